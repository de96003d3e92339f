package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/callqa/callqa/models"
)

// keyDate finds a YYYY/MM/DD folder in a recording key.
var keyDate = regexp.MustCompile(`(?:^|/)(\d{4})/(\d{2})/(\d{2})/`)

// CallDate is the day a call belongs to, as YYYY-MM-DD: the date of
// meta.started_at in the time zone loc (the hotline's, whatever offset the
// metadata was written with; nil means DefaultLocation()); else the
// YYYY/MM/DD folder of the recording's key; else fallback (the batch date;
// may be "").
func CallDate(r *models.Result, fallback string, loc *time.Location) string {
	if r.Meta.StartedAt != nil && !r.Meta.StartedAt.IsZero() {
		if loc == nil {
			loc = DefaultLocation()
		}
		return r.Meta.StartedAt.In(loc).Format(time.DateOnly)
	}
	if m := keyDate.FindStringSubmatch(r.Recording); m != nil {
		d := m[1] + "-" + m[2] + "-" + m[3]
		if _, err := time.Parse(time.DateOnly, d); err == nil {
			return d
		}
	}
	return fallback
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// SaveResult stores r (inspected or unprocessable) as produced by batch
// batchID ("" if none) in one transaction: the results row is inserted or
// replaced, and its findings are replaced. A result is identified by its
// recording (r.Recording, the key the source lists) and scorecard
// version: saving the same recording with the same scorecard version again
// replaces the previous result, whatever call_id either carried, and two
// recordings whose metadata carry the same call_id are two results. Such a
// clash is logged (Clashes lists them). The call's date comes from
// CallDate, falling back on the batch's date. The indicator columns
// (answered, satisfaction, agent talk time, complaint flag, each finding's
// indicator) are written in the same statement as the rest.
func (s *Store) SaveResult(ctx context.Context, batchID string, r *models.Result) error {
	return s.SaveResults(ctx, batchID, []*models.Result{r})
}

// SaveResults stores rs as SaveResult does, all in one transaction (a bulk
// load: the rollups are updated once for all of them). Nothing is stored
// when one of them is refused.
func (s *Store) SaveResults(ctx context.Context, batchID string, rs []*models.Result) error {
	docs := make([][]byte, len(rs))
	recordings := make([]string, len(rs))
	for i, r := range rs {
		doc, err := encodeResult(r)
		if err != nil {
			return err
		}
		docs[i], recordings[i] = doc, r.Recording
	}
	inspectedAt := s.now().UTC()
	others := make([][]string, len(rs))
	err := s.write(ctx, func(tx *sql.Tx) error {
		return s.Recount(ctx, tx, recordings, func() error {
			for i, r := range rs {
				var err error
				if others[i], err = s.saveResult(ctx, tx, batchID, r, docs[i], inspectedAt); err != nil {
					if len(rs) > 1 {
						err = fmt.Errorf("%s: %w", r.Recording, err)
					}
					return err
				}
			}
			return nil
		})
	})
	switch {
	case err != nil && len(rs) == 1:
		return fmt.Errorf("save result %s: %w", rs[0].Recording, err)
	case err != nil:
		return fmt.Errorf("save results: %w", err)
	}
	for i, r := range rs {
		if len(others[i]) > 0 {
			s.logger.WarnContext(ctx, "call_id clash: another recording carries the same call_id; both are stored and counted",
				"call_id", r.CallID, "recording", r.Recording, "other_recordings", strings.Join(others[i], ", "))
		}
	}
	return nil
}

// encodeResult checks r and returns the document stored with it
// (encodeDoc).
func encodeResult(r *models.Result) ([]byte, error) {
	switch {
	case r == nil:
		return nil, errors.New("save result: nil result")
	case r.Recording == "":
		return nil, fmt.Errorf("save result %s: empty recording", r.CallID)
	case r.CallID == "":
		return nil, fmt.Errorf("save result %s: empty call_id", r.Recording)
	case r.Scorecard.ID == "":
		return nil, fmt.Errorf("save result %s: empty scorecard id", r.Recording)
	case r.Status != models.StatusInspected && r.Status != models.StatusUnprocessable:
		return nil, fmt.Errorf("save result %s: unknown status %q", r.Recording, r.Status)
	}
	doc, err := encodeDoc(r)
	if err != nil {
		return nil, fmt.Errorf("save result %s: %w", r.Recording, err)
	}
	return doc, nil
}

// saveResult writes r's row and findings in tx, returning the other
// recordings that carry its call id.
func (s *Store) saveResult(ctx context.Context, tx *sql.Tx, batchID string, r *models.Result, doc []byte, inspectedAt time.Time) (others []string, err error) {
	started := ""
	if r.Meta.StartedAt != nil && !r.Meta.StartedAt.IsZero() {
		started = r.Meta.StartedAt.Format(time.RFC3339)
	}
	duration := 0.0
	if r.Audio != nil {
		duration = r.Audio.DurationS
	}
	veto, complaint := false, false
	for _, f := range r.Findings {
		veto = veto || f.Veto
		complaint = complaint || f.Indicator == models.IndicatorComplaint
	}
	agentTalk := 0.0
	if r.Metrics != nil && r.Metrics.Agent != nil {
		agentTalk = r.Metrics.Agent.TalkS
	}
	sc := r.Scorecard
	var an models.AnalysisRef
	if r.Analysis != nil {
		an = *r.Analysis
	}
	err = func() error {
		date := CallDate(r, "", s.loc)
		if date == "" && batchID != "" {
			err := tx.QueryRowContext(ctx, `SELECT date FROM batches WHERE id = $1`, batchID).Scan(&date)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		if date == "" {
			date = inspectedAt.In(s.loc).Format(time.DateOnly)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO results (
				recording, scorecard_id, scorecard_version, call_id, status, error, truncated,
				agent_id, agent_name, team, queue, call_date, started_at, duration_s,
				score, passed, veto, review, batch_id, inspected_at, doc, analysis_vad, analysis_version,
				answered, satisfaction, agent_talk_s, complaint)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23,
				$24, $25, $26, $27)
			ON CONFLICT (recording, scorecard_id, scorecard_version) DO UPDATE SET
				analysis_vad = excluded.analysis_vad, analysis_version = excluded.analysis_version,
				answered = excluded.answered, satisfaction = excluded.satisfaction,
				agent_talk_s = excluded.agent_talk_s, complaint = excluded.complaint,
				call_id = excluded.call_id, status = excluded.status, error = excluded.error,
				truncated = excluded.truncated, agent_id = excluded.agent_id,
				agent_name = excluded.agent_name, team = excluded.team, queue = excluded.queue,
				call_date = excluded.call_date, started_at = excluded.started_at,
				duration_s = excluded.duration_s, score = excluded.score, passed = excluded.passed,
				veto = excluded.veto, review = excluded.review, batch_id = excluded.batch_id,
				inspected_at = excluded.inspected_at, doc = excluded.doc`,
			r.Recording, sc.ID, sc.Version, r.CallID, r.Status, r.Error, boolInt(r.Truncated),
			r.Meta.AgentID, r.Meta.AgentName, r.Meta.Team, r.Meta.Queue, date, started, duration,
			r.Score, boolInt(r.Passed), boolInt(veto), boolInt(r.Review), batchID,
			formatStoreTime(inspectedAt), doc, an.VAD, an.Version,
			boolInt(r.Meta.IsAnswered()), r.Meta.Satisfaction, agentTalk, boolInt(complaint))
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM findings WHERE recording = $1 AND scorecard_id = $2 AND scorecard_version = $3`,
			r.Recording, sc.ID, sc.Version); err != nil {
			return err
		}
		if others, err = otherRecordings(ctx, tx, r.CallID, r.Recording, 3); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO scorecard_usage (scorecard_id, scorecard_version, call_date, last_inspected) VALUES ($1, $2, $3, $4)
			ON CONFLICT (scorecard_id, scorecard_version, call_date) DO UPDATE SET last_inspected = CASE
				WHEN excluded.last_inspected > scorecard_usage.last_inspected THEN excluded.last_inspected
				ELSE scorecard_usage.last_inspected END`, sc.ID, sc.Version, date, formatStoreTime(inspectedAt)); err != nil {
			return err
		}
		if len(r.Findings) == 0 {
			return nil
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO findings (
				recording, scorecard_id, scorecard_version, seq, rule, name, start_s, end_s,
				speaker, evidence, deduct, veto, review, indicator)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for i, f := range r.Findings {
			if _, err := stmt.ExecContext(ctx, r.Recording, sc.ID, sc.Version, i, f.Rule, f.Name, f.Start, f.End,
				f.Speaker, f.Evidence, f.Deduct, boolInt(f.Veto), boolInt(f.Review), f.Indicator); err != nil {
				return err
			}
		}
		return nil
	}()
	return others, err
}

// otherRecordings returns up to limit recordings other than recording
// whose results carry callID, under any scorecard version.
func otherRecordings(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, callID, recording string, limit int) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT DISTINCT recording FROM results WHERE call_id = $1 AND recording <> $2
		ORDER BY recording LIMIT `+strconv.Itoa(limit), callID, recording)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// StoredCall is what a rerun needs of a stored result to skip its call and
// count it in its summary, read from the indexed columns and the findings
// without decoding the result document.
type StoredCall struct {
	CallID string
	// Status is models.StatusInspected or models.StatusUnprocessable;
	// Passed is meaningful for inspected calls.
	Status string
	Passed bool
	// AgentID, AgentName and Team come from the call's metadata.
	AgentID, AgentName, Team string
	// Analysis is the audio analysis that measured it.
	Analysis models.AnalysisRef
	// Rules are the rules the findings flagged, once each, in the order
	// of their first finding.
	Rules []StoredRule
}

// StoredRule is a rule flagged in a stored result.
type StoredRule struct {
	Rule, Name string
}

// StoredCall returns the stored result of the recording at key for
// scorecard version sc, or nil when there is none. It is one query on the
// primary key.
func (s *Store) StoredCall(ctx context.Context, key string, sc models.ScorecardRef) (*StoredCall, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT r.call_id, r.status, r.passed, r.agent_id, r.agent_name, r.team,
			r.analysis_vad, r.analysis_version, fi.rule, fi.name
		FROM results r
		LEFT JOIN findings fi ON fi.recording = r.recording AND fi.scorecard_id = r.scorecard_id AND fi.scorecard_version = r.scorecard_version
		WHERE r.recording = $1 AND r.scorecard_id = $2 AND r.scorecard_version = $3
		ORDER BY fi.seq`, key, sc.ID, sc.Version)
	if err != nil {
		return nil, fmt.Errorf("stored call %s: %w", key, err)
	}
	defer rows.Close()
	var c *StoredCall
	seen := map[string]bool{}
	for rows.Next() {
		var sc StoredCall
		var passed int
		var rule, name sql.NullString
		if err := rows.Scan(&sc.CallID, &sc.Status, &passed, &sc.AgentID, &sc.AgentName, &sc.Team,
			&sc.Analysis.VAD, &sc.Analysis.Version, &rule, &name); err != nil {
			return nil, fmt.Errorf("stored call %s: %w", key, err)
		}
		if c == nil {
			sc.Passed = passed != 0
			c = &sc
		}
		if rule.Valid && !seen[rule.String] {
			seen[rule.String] = true
			c.Rules = append(c.Rules, StoredRule{Rule: rule.String, Name: name.String})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("stored call %s: %w", key, err)
	}
	return c, nil
}

// HasResult reports whether the recording at key has a result (inspected
// or unprocessable) for scorecard version sc.
func (s *Store) HasResult(ctx context.Context, key string, sc models.ScorecardRef) (bool, error) {
	var one int
	err := s.db.QueryRowContext(ctx, `SELECT 1 FROM results WHERE recording = $1 AND scorecard_id = $2 AND scorecard_version = $3`,
		key, sc.ID, sc.Version).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("has result %s: %w", key, err)
	}
	return true, nil
}

// GetResult returns the stored result of the recording at key for
// scorecard version sc, or an error wrapping ErrNotFound. What the store
// leaves out (Result.Omitted) is put back by pipeline.Restore.
func (s *Store) GetResult(ctx context.Context, key string, sc models.ScorecardRef) (*models.Result, error) {
	r, err := s.readResult(ctx, `WHERE recording = $1 AND scorecard_id = $2 AND scorecard_version = $3`, key, sc.ID, sc.Version)
	if err != nil {
		return nil, fmt.Errorf("get result %s: %w", key, err)
	}
	return r, nil
}

// LatestResult returns the result of the recording at key with version of
// the scorecard, or with its newest version when version is 0 (any
// scorecard when scorecardID is empty), or an error wrapping ErrNotFound.
func (s *Store) LatestResult(ctx context.Context, key, scorecardID string, version int) (*models.Result, error) {
	where := `WHERE recording = $1`
	args := []any{key}
	if scorecardID != "" {
		args = append(args, scorecardID)
		where += fmt.Sprintf(` AND scorecard_id = $%d`, len(args))
	}
	if version > 0 {
		args = append(args, version)
		where += fmt.Sprintf(` AND scorecard_version = $%d`, len(args))
	}
	r, err := s.readResult(ctx, where+` ORDER BY scorecard_version DESC, inspected_at DESC LIMIT 1`, args...)
	if err != nil {
		return nil, fmt.Errorf("result %s: %w", key, err)
	}
	return r, nil
}

// readResult reads the first results row that where (a WHERE clause, with
// ORDER BY and LIMIT when it may match several) selects, with its
// findings and document, in one statement: one snapshot, so that a
// re-inspection saved meanwhile cannot mix its row with the findings of
// the result before it.
func (s *Store) readResult(ctx context.Context, where string, args ...any) (*models.Result, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT r.recording, r.call_id, r.status, r.error, r.truncated, r.scorecard_id, r.scorecard_version,
			r.analysis_vad, r.analysis_version, r.agent_id, r.agent_name, r.team, r.queue, r.score, r.passed, r.review, r.doc,
			fi.rule, fi.name, fi.start_s, fi.end_s, fi.speaker, fi.evidence, fi.deduct, fi.veto, fi.review, fi.indicator
		FROM (SELECT recording, scorecard_id, scorecard_version FROM results `+where+`) k
		JOIN results r ON r.recording = k.recording AND r.scorecard_id = k.scorecard_id AND r.scorecard_version = k.scorecard_version
		LEFT JOIN findings fi ON fi.recording = r.recording AND fi.scorecard_id = r.scorecard_id AND fi.scorecard_version = r.scorecard_version
		ORDER BY fi.seq`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var r *models.Result
	var doc []byte
	for rows.Next() {
		var (
			c                      models.Result
			an                     models.AnalysisRef
			truncated, passed, rev int
			d                      []byte
			rule, name, speaker    sql.NullString
			evidence, indicator    sql.NullString
			start, end, deduct     sql.NullFloat64
			veto, frev             sql.NullInt64
		)
		if err := rows.Scan(&c.Recording, &c.CallID, &c.Status, &c.Error, &truncated, &c.Scorecard.ID, &c.Scorecard.Version,
			&an.VAD, &an.Version, &c.Meta.AgentID, &c.Meta.AgentName, &c.Meta.Team, &c.Meta.Queue, &c.Score, &passed, &rev, &d,
			&rule, &name, &start, &end, &speaker, &evidence, &deduct, &veto, &frev, &indicator); err != nil {
			return nil, err
		}
		if r == nil {
			c.Truncated, c.Passed, c.Review = truncated != 0, passed != 0, rev != 0
			if an.VAD != "" {
				c.Analysis = &an
			}
			c.Findings = []models.Finding{}
			r, doc = &c, d
		}
		if rule.Valid {
			r.Findings = append(r.Findings, models.Finding{Rule: rule.String, Name: name.String, Start: start.Float64, End: end.Float64,
				Speaker: speaker.String, Evidence: evidence.String, Deduct: deduct.Float64, Veto: veto.Int64 != 0,
				Review: frev.Int64 != 0, Indicator: indicator.String})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if r == nil {
		return nil, ErrNotFound
	}
	if err := decodeDoc(doc, r); err != nil {
		return nil, err
	}
	return r, nil
}

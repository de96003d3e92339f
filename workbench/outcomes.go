package workbench

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/outcome"
	"github.com/callqa/callqa/store"
)

// CallFilter selects calls by their latest result.
type CallFilter struct {
	// ScorecardID restricts to one scorecard; empty means any.
	ScorecardID string
	// ScorecardVersion selects one version of it; 0 means the newest
	// version each call was inspected with.
	ScorecardVersion int
	// From and To bound the call date (YYYY-MM-DD, inclusive); empty is open.
	From, To string
	// Team, Agent (id or name), Queue and Rule (a finding of that rule)
	// narrow the selection; empty matches everything.
	Team, Agent, Queue, Rule string
}

// where returns the SQL conditions over results r for the filter, with ?
// placeholders.
func (f CallFilter) where() (string, []any) {
	conds := []string{`r.status = 'inspected'`}
	var args []any
	add := func(cond string, a ...any) { conds, args = append(conds, cond), append(args, a...) }
	if f.ScorecardVersion > 0 {
		add(`r.scorecard_version = ?`, f.ScorecardVersion)
	} else {
		add(`r.scorecard_version = (SELECT MAX(r2.scorecard_version) FROM results r2
			WHERE r2.recording = r.recording AND r2.scorecard_id = r.scorecard_id)`)
	}
	if f.ScorecardID != "" {
		add(`r.scorecard_id = ?`, f.ScorecardID)
	}
	if f.From != "" {
		add(`r.call_date >= ?`, f.From)
	}
	if f.To != "" {
		add(`r.call_date <= ?`, f.To)
	}
	if f.Team != "" {
		add(`r.team = ?`, f.Team)
	}
	if f.Agent != "" {
		add(`(r.agent_id = ? OR r.agent_name = ?)`, f.Agent, f.Agent)
	}
	if f.Queue != "" {
		add(`r.queue = ?`, f.Queue)
	}
	if f.Rule != "" {
		add(`EXISTS (SELECT 1 FROM findings f WHERE f.recording = r.recording AND f.scorecard_id = r.scorecard_id
			AND f.scorecard_version = r.scorecard_version AND f.rule = ?)`, f.Rule)
	}
	return strings.Join(conds, " AND "), args
}

// CallOutcome is one inspected call's machine and reviewed verdicts, the
// unit the reviewed pass rate is computed from.
type CallOutcome struct {
	CallID           string  `json:"call_id"`
	ScorecardID      string  `json:"scorecard_id"`
	ScorecardVersion int     `json:"scorecard_version"`
	Recording        string  `json:"recording"`
	CallDate         string  `json:"call_date"`
	StartedAt        string  `json:"started_at,omitempty"`
	AgentID          string  `json:"agent_id"`
	AgentName        string  `json:"agent_name"`
	Team             string  `json:"team"`
	Queue            string  `json:"queue"`
	DurationS        float64 `json:"duration_s"`
	Score            float64 `json:"score"`
	Passed           bool    `json:"passed"`
	Veto             bool    `json:"veto"`
	Review           bool    `json:"review"`
	Findings         int     `json:"findings"`
	// ReviewedPassed is the verdict after reviews (see ReviewedVerdict).
	ReviewedPassed bool `json:"reviewed_passed"`
	// Verdict is the reviewer's final verdict, nil when none was given.
	Verdict *bool `json:"verdict,omitempty"`
	// FindingReviews counts the reviews of this call's findings.
	FindingReviews int `json:"finding_reviews"`
}

// Outcomes returns the machine and reviewed verdict of every inspected call
// the filter selects (the latest scorecard version of each call).
//
// The reviewed verdict is ReviewedVerdict's, computed efficiently: the
// query gives each call its machine verdict and final verdict; only the
// failed calls without a final verdict that have an overturned finding are
// re-scored, in Go, from their stored findings with sc (the scorecard of
// the selected results; see ReviewedVerdict). sc must not be nil.
func (w *Workbench) Outcomes(ctx context.Context, sc *models.Scorecard, f CallFilter) ([]CallOutcome, error) {
	if sc == nil {
		return nil, errors.New("outcomes: nil scorecard")
	}
	where, args := f.where()
	query := `SELECT r.call_id, r.scorecard_id, r.scorecard_version, r.recording, r.call_date, r.started_at, r.agent_id, r.agent_name,
		r.team, r.queue, r.duration_s, r.score, r.passed, r.veto, r.review,
		(SELECT COUNT(*) FROM findings f WHERE f.recording = r.recording AND f.scorecard_id = r.scorecard_id AND f.scorecard_version = r.scorecard_version),
		v.passed,
		(SELECT COUNT(*) FROM reviews rv WHERE rv.recording = r.recording),
		(SELECT COUNT(*) FROM reviews rv WHERE rv.recording = r.recording AND rv.decision = 'overturn')
		FROM results r LEFT JOIN verdicts v ON v.recording = r.recording
		WHERE ` + where + ` ORDER BY r.call_date, r.started_at, r.call_id, r.recording`
	rows, err := w.db.QueryContext(ctx, w.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("outcomes: %w", err)
	}
	defer rows.Close()
	var out []CallOutcome
	rescore := map[resultKey]int{} // the calls to re-score, by index in out
	for rows.Next() {
		var o CallOutcome
		var passed, veto, review, overturns int
		var verdict sql.NullInt64
		if err := rows.Scan(&o.CallID, &o.ScorecardID, &o.ScorecardVersion, &o.Recording, &o.CallDate, &o.StartedAt, &o.AgentID, &o.AgentName,
			&o.Team, &o.Queue, &o.DurationS, &o.Score, &passed, &veto, &review, &o.Findings, &verdict, &o.FindingReviews, &overturns); err != nil {
			return nil, fmt.Errorf("outcomes: %w", err)
		}
		o.Passed, o.Veto, o.Review = passed != 0, veto != 0, review != 0
		o.ReviewedPassed = o.Passed
		if verdict.Valid {
			p := verdict.Int64 != 0
			o.Verdict = &p
			o.ReviewedPassed = p
		} else if !o.Passed && overturns > 0 {
			rescore[resultKey{o.Recording, o.ScorecardID, o.ScorecardVersion}] = len(out)
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("outcomes: %w", err)
	}
	rows.Close()
	if len(rescore) == 0 {
		return out, nil
	}
	findings, overturned, err := w.rescoreInputs(ctx, where, args)
	if err != nil {
		return nil, fmt.Errorf("outcomes: %w", err)
	}
	for k, i := range rescore {
		out[i].ReviewedPassed = outcome.ReviewedPassed(sc, false, nil, findings[k], overturned[k.recording].has)
	}
	return out, nil
}

// resultKey names one stored result.
type resultKey struct {
	recording, scorecardID string
	version                int
}

// rescoreFrom and rescoreCond select, among the results r (joined with
// their verdict v) the filter selects, those Outcomes re-scores: failed,
// no final verdict, an overturned finding. The query starts from the
// overturned reviews (a few, CROSS JOIN keeping SQLite's join order), so
// that a year of results is never scanned for them.
const (
	rescoreFrom = `(SELECT DISTINCT rv0.recording FROM reviews rv0 WHERE rv0.decision = 'overturn') o
		CROSS JOIN results r LEFT JOIN verdicts v ON v.recording = r.recording`
	rescoreCond = ` AND r.recording = o.recording AND r.passed = 0 AND v.passed IS NULL`
)

// rescoreInputs loads the stored findings and the overturned review keys of
// the results Outcomes re-scores (where and args are the filter's).
func (w *Workbench) rescoreInputs(ctx context.Context, where string, args []any) (map[resultKey][]models.Finding, map[string]reviewKeys, error) {
	findings := map[resultKey][]models.Finding{}
	rows, err := w.db.QueryContext(ctx, w.q(`SELECT fd.recording, fd.scorecard_id, fd.scorecard_version, fd.rule, fd.start_s, fd.end_s, fd.deduct, fd.veto, fd.review
		FROM `+rescoreFrom+`
		JOIN findings fd ON fd.recording = r.recording AND fd.scorecard_id = r.scorecard_id AND fd.scorecard_version = r.scorecard_version
		WHERE `+where+rescoreCond+` ORDER BY fd.recording, fd.scorecard_id, fd.scorecard_version, fd.seq`), args...)
	if err != nil {
		return nil, nil, fmt.Errorf("findings to re-score: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k resultKey
		var f models.Finding
		var veto, review int
		if err := rows.Scan(&k.recording, &k.scorecardID, &k.version, &f.Rule, &f.Start, &f.End, &f.Deduct, &veto, &review); err != nil {
			return nil, nil, fmt.Errorf("findings to re-score: %w", err)
		}
		f.Veto, f.Review = veto != 0, review != 0
		findings[k] = append(findings[k], f)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("findings to re-score: %w", err)
	}
	rows.Close()

	overturned := map[string]reviewKeys{}
	rows, err = w.db.QueryContext(ctx, w.q(`SELECT DISTINCT rv.recording, rv.rule, rv.start_ms FROM `+rescoreFrom+`
		JOIN reviews rv ON rv.recording = r.recording AND rv.decision = 'overturn'
		WHERE `+where+rescoreCond), args...)
	if err != nil {
		return nil, nil, fmt.Errorf("overturns: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var k reviewKey
		if err := rows.Scan(&id, &k.rule, &k.startMS); err != nil {
			return nil, nil, fmt.Errorf("overturns: %w", err)
		}
		if overturned[id] == nil {
			overturned[id] = reviewKeys{}
		}
		overturned[id][k] = true
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("overturns: %w", err)
	}
	return findings, overturned, nil
}

// RuleOverturn is how often reviewers overturned a rule's findings: the
// measure of false positives that says which rule to tune.
type RuleOverturn struct {
	Rule       string  `json:"rule"`
	Reviewed   int     `json:"reviewed"`
	Overturned int     `json:"overturned"`
	Rate       float64 `json:"rate"` // Overturned / Reviewed
}

// OverturnRates returns, per rule, the reviews of findings on the calls the
// filter selects and the share overturned, by rule, read from the
// rollups. Only the reviews of a finding the selected result still makes
// count (same rule, same start in whole milliseconds): a review made on an
// earlier inspection whose finding moved or went away is left out. f must
// name one scorecard version and may bound the dates.
func (w *Workbench) OverturnRates(ctx context.Context, f CallFilter) ([]RuleOverturn, error) {
	switch {
	case f.ScorecardID == "" || f.ScorecardVersion <= 0:
		return nil, errors.New("overturn rates: the filter must name one scorecard version")
	case f.Team != "" || f.Agent != "" || f.Queue != "" || f.Rule != "":
		return nil, errors.New("overturn rates: only a scorecard version and dates can be filtered")
	}
	rs, err := w.st.RuleCounts(ctx, store.ReportFilter{Scorecard: models.ScorecardRef{ID: f.ScorecardID, Version: f.ScorecardVersion},
		From: f.From, To: f.To})
	if err != nil {
		return nil, fmt.Errorf("overturn rates: %w", err)
	}
	var out []RuleOverturn
	for _, r := range rs {
		if r.Reviewed == 0 {
			continue
		}
		rate, _ := outcome.Rate(r.Overturned, r.Reviewed)
		out = append(out, RuleOverturn{Rule: r.Rule, Reviewed: r.Reviewed, Overturned: r.Overturned, Rate: rate})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Rule < out[j].Rule })
	return out, nil
}

// ReviewedVerdict is the reviewed verdict of one result given its reviews
// and final verdict (outcome.ReviewedPassed, which Outcomes and
// GroupedPassRates compute for many calls at once). sc is the scorecard
// the result was scored with (its base, pass mark and rules); the
// workbench passes the one it serves. It must not be nil.
func ReviewedVerdict(sc *models.Scorecard, r *models.Result, reviews []Review, v *Verdict) bool {
	var verdict *bool
	if v != nil {
		verdict = &v.Passed
	}
	overturned := reviewKeys{}
	for _, rv := range reviews {
		if rv.Decision == DecisionOverturn {
			overturned[reviewKey{rv.Rule, rv.StartMS}] = true
		}
	}
	return outcome.ReviewedPassed(sc, r.Passed, verdict, r.Findings, overturned.has)
}

// reviewKey is what a review is keyed by within a call.
type reviewKey struct {
	rule    string
	startMS int64
}

// reviewKeys is the set of overturned findings of a call.
type reviewKeys map[reviewKey]bool

// has reports whether the finding of rule at startMS is in the set; a nil
// set has none.
func (ks reviewKeys) has(rule string, startMS int64) bool { return ks[reviewKey{rule, startMS}] }

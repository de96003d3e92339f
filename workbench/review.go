package workbench

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"sort"
	"strings"
	"time"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/outcome"
	"github.com/callqa/callqa/store"
)

// Review decisions on a finding.
const (
	DecisionConfirm  = "confirm"
	DecisionOverturn = "overturn"
)

// Reasons a call is in the review queue.
const (
	ReasonVeto        = "veto"        // a veto rule hit
	ReasonFailed      = "failed"      // score below the pass mark
	ReasonReview      = "review"      // complaint risk: a finding asks for review
	ReasonCalibration = "calibration" // a passed call drawn for calibration
)

// Review statuses for QueueFilter.Status.
const (
	StatusPending  = "pending"  // no final verdict yet
	StatusReviewed = "reviewed" // a reviewer gave a final verdict
)

// DefaultCalibrationRate is the share of passed calls sampled into the
// review queue for calibration.
const DefaultCalibrationRate = 0.02

// Review is a reviewer's decision on one finding. It is keyed by
// (Recording, Rule, StartMS), not by scorecard version, so that a
// re-inspection with a new scorecard version keeps it visible;
// ScorecardID and ScorecardVersion say which inspection it was made on.
// CallID is the call's label (its metadata's call_id) when it was made.
type Review struct {
	Recording        string    `json:"recording"`
	CallID           string    `json:"call_id"`
	Rule             string    `json:"rule"`
	StartMS          int64     `json:"start_ms"`
	Decision         string    `json:"decision"`
	Comment          string    `json:"comment,omitempty"`
	Reviewer         string    `json:"reviewer"`
	ScorecardID      string    `json:"scorecard_id,omitempty"`
	ScorecardVersion int       `json:"scorecard_version,omitempty"`
	ReviewedAt       time.Time `json:"reviewed_at"`
}

// Verdict is the reviewer's final pass/fail decision on a call, keyed by
// its recording.
type Verdict struct {
	Recording        string    `json:"recording"`
	CallID           string    `json:"call_id"`
	Passed           bool      `json:"passed"`
	Comment          string    `json:"comment,omitempty"`
	Reviewer         string    `json:"reviewer"`
	ScorecardID      string    `json:"scorecard_id,omitempty"`
	ScorecardVersion int       `json:"scorecard_version,omitempty"`
	ReviewedAt       time.Time `json:"reviewed_at"`
}

// SaveReview records (or replaces) a review of a finding and its audit entry
// in one transaction.
func (w *Workbench) SaveReview(ctx context.Context, r Review, remote string) error {
	if r.Decision != DecisionConfirm && r.Decision != DecisionOverturn {
		return fmt.Errorf("save review: decision %q: want confirm or overturn", r.Decision)
	}
	if r.Recording == "" || r.Rule == "" || r.Reviewer == "" {
		return errors.New("save review: recording, rule and reviewer are required")
	}
	if r.ReviewedAt.IsZero() {
		r.ReviewedAt = w.now()
	}
	return w.tx(ctx, "save review", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, w.q(`INSERT INTO reviews (recording, rule, start_ms, call_id, decision, comment, reviewer, scorecard_id, scorecard_version, reviewed_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (recording, rule, start_ms) DO UPDATE SET call_id = excluded.call_id, decision = excluded.decision, comment = excluded.comment,
			reviewer = excluded.reviewer, scorecard_id = excluded.scorecard_id, scorecard_version = excluded.scorecard_version,
			reviewed_at = excluded.reviewed_at`),
			r.Recording, r.Rule, r.StartMS, r.CallID, r.Decision, r.Comment, r.Reviewer, r.ScorecardID, r.ScorecardVersion,
			formatWorkbenchTime(r.ReviewedAt))
		if err != nil {
			return err
		}
		return w.auditTx(ctx, tx, AuditEntry{At: r.ReviewedAt, User: r.Reviewer, Action: AuditReview, CallID: r.CallID, Recording: r.Recording,
			Detail: fmt.Sprintf("%s %s@%.3fs %s", r.Decision, r.Rule, float64(r.StartMS)/1000, r.Comment), Remote: remote})
	})
}

// SaveVerdict records (or replaces) the final verdict on a call and its
// audit entry in one transaction.
func (w *Workbench) SaveVerdict(ctx context.Context, v Verdict, remote string) error {
	if v.Recording == "" || v.Reviewer == "" {
		return errors.New("save verdict: recording and reviewer are required")
	}
	if v.ReviewedAt.IsZero() {
		v.ReviewedAt = w.now()
	}
	return w.tx(ctx, "save verdict", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, w.q(`INSERT INTO verdicts (recording, call_id, passed, comment, reviewer, scorecard_id, scorecard_version, reviewed_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (recording) DO UPDATE SET call_id = excluded.call_id, passed = excluded.passed, comment = excluded.comment, reviewer = excluded.reviewer,
			scorecard_id = excluded.scorecard_id, scorecard_version = excluded.scorecard_version, reviewed_at = excluded.reviewed_at`),
			v.Recording, v.CallID, b2i(v.Passed), v.Comment, v.Reviewer, v.ScorecardID, v.ScorecardVersion, formatWorkbenchTime(v.ReviewedAt))
		if err != nil {
			return err
		}
		verdict := "fail"
		if v.Passed {
			verdict = "pass"
		}
		return w.auditTx(ctx, tx, AuditEntry{At: v.ReviewedAt, User: v.Reviewer, Action: AuditVerdict, CallID: v.CallID, Recording: v.Recording,
			Detail: strings.TrimSpace(verdict + " " + v.Comment), Remote: remote})
	})
}

func (w *Workbench) tx(ctx context.Context, op string, fn func(*sql.Tx) error) error {
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

func (w *Workbench) auditTx(ctx context.Context, tx *sql.Tx, e AuditEntry) error {
	id, err := randomToken(12)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, w.q(`INSERT INTO audit (id, at, user_name, action, call_id, recording, detail, remote) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
		id, formatWorkbenchTime(e.At), e.User, e.Action, e.CallID, e.Recording, e.Detail, e.Remote)
	return err
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Reviews returns every review of the findings of the call recorded at
// key, whatever scorecard version they were made on, by start time.
func (w *Workbench) Reviews(ctx context.Context, key string) ([]Review, error) {
	rows, err := w.db.QueryContext(ctx, w.q(`SELECT recording, call_id, rule, start_ms, decision, comment, reviewer, scorecard_id, scorecard_version, reviewed_at
		FROM reviews WHERE recording = ? ORDER BY start_ms, rule`), key)
	if err != nil {
		return nil, fmt.Errorf("reviews: %w", err)
	}
	defer rows.Close()
	var out []Review
	for rows.Next() {
		var r Review
		var at string
		if err := rows.Scan(&r.Recording, &r.CallID, &r.Rule, &r.StartMS, &r.Decision, &r.Comment, &r.Reviewer, &r.ScorecardID, &r.ScorecardVersion, &at); err != nil {
			return nil, fmt.Errorf("reviews: %w", err)
		}
		r.ReviewedAt = parseTime(at)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reviews: %w", err)
	}
	return out, nil
}

// Verdict returns the final verdict on the call recorded at key, or nil
// when there is none.
func (w *Workbench) Verdict(ctx context.Context, key string) (*Verdict, error) {
	var v Verdict
	var passed int
	var at string
	err := w.db.QueryRowContext(ctx, w.q(`SELECT recording, call_id, passed, comment, reviewer, scorecard_id, scorecard_version, reviewed_at
		FROM verdicts WHERE recording = ?`), key).
		Scan(&v.Recording, &v.CallID, &passed, &v.Comment, &v.Reviewer, &v.ScorecardID, &v.ScorecardVersion, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("verdict: %w", err)
	}
	v.Passed, v.ReviewedAt = passed != 0, parseTime(at)
	return &v, nil
}

// LatestResult returns the result of the call recorded at key with version
// of the scorecard, or with its newest version when version is 0 (any
// scorecard when scorecardID is empty). A call without such a result is
// store.ErrNotFound.
func (w *Workbench) LatestResult(ctx context.Context, key, scorecardID string, version int) (*models.Result, error) {
	query := `SELECT result_json FROM results WHERE recording = ?`
	args := []any{key}
	if scorecardID != "" {
		query += ` AND scorecard_id = ?`
		args = append(args, scorecardID)
	}
	if version > 0 {
		query += ` AND scorecard_version = ?`
		args = append(args, version)
	}
	query += ` ORDER BY scorecard_version DESC, inspected_at DESC LIMIT 1`
	var js string
	err := w.db.QueryRowContext(ctx, w.q(query), args...).Scan(&js)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("result %s: %w", key, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("result %s: %w", key, err)
	}
	var r models.Result
	if err := json.Unmarshal([]byte(js), &r); err != nil {
		return nil, fmt.Errorf("result %s: decode: %w", key, err)
	}
	return &r, nil
}

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

// rescoreCond selects, among the results r (joined with their verdict v)
// the filter selects, those Outcomes re-scores.
const rescoreCond = ` AND r.passed = 0 AND v.passed IS NULL
	AND EXISTS (SELECT 1 FROM reviews rv WHERE rv.recording = r.recording AND rv.decision = 'overturn')`

// rescoreInputs loads the stored findings and the overturned review keys of
// the results Outcomes re-scores (where and args are the filter's).
func (w *Workbench) rescoreInputs(ctx context.Context, where string, args []any) (map[resultKey][]models.Finding, map[string]reviewKeys, error) {
	findings := map[resultKey][]models.Finding{}
	rows, err := w.db.QueryContext(ctx, w.q(`SELECT fd.recording, fd.scorecard_id, fd.scorecard_version, fd.rule, fd.start_s, fd.end_s, fd.deduct, fd.veto, fd.review
		FROM findings fd JOIN results r ON r.recording = fd.recording AND r.scorecard_id = fd.scorecard_id AND r.scorecard_version = fd.scorecard_version
		LEFT JOIN verdicts v ON v.recording = r.recording
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
	rows, err = w.db.QueryContext(ctx, w.q(`SELECT rv.recording, rv.rule, rv.start_ms FROM reviews rv
		WHERE rv.decision = 'overturn' AND rv.recording IN (SELECT r.recording FROM results r LEFT JOIN verdicts v ON v.recording = r.recording
		WHERE `+where+rescoreCond+`)`), args...)
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

// QueueFilter selects and orders the review queue.
type QueueFilter struct {
	CallFilter
	// Status is "" (every flagged call), StatusPending or StatusReviewed.
	Status string
	// Reason keeps only calls flagged for one reason (ReasonVeto...).
	Reason string
	// CalibrationRate is the share of passed calls drawn for calibration;
	// 0 means DefaultCalibrationRate, a negative value none.
	CalibrationRate float64
	// Sort is one of "date" (default, newest first), "date_asc", "score"
	// (lowest first), "score_desc", "agent", "team".
	Sort string
	// Page is 1-based; PageSize 0 means 50.
	Page, PageSize int
}

// QueueItem is one call in the review queue.
type QueueItem struct {
	CallOutcome
	// Reason is why the call is in the queue (the first of veto, failed,
	// review, calibration that applies).
	Reason string `json:"reason"`
}

// QueueCounts counts the flagged calls the filter selects, before Status,
// Reason and paging apply.
type QueueCounts struct {
	Flagged     int `json:"flagged"`
	Pending     int `json:"pending"`
	Reviewed    int `json:"reviewed"`
	Veto        int `json:"veto"`
	Failed      int `json:"failed"`
	Review      int `json:"review"`
	Calibration int `json:"calibration"`
}

// QueuePage is one page of the review queue.
type QueuePage struct {
	Items    []QueueItem `json:"items"`
	Total    int         `json:"total"` // items matching the filter, over all pages
	Page     int         `json:"page"`
	PageSize int         `json:"page_size"`
	Counts   QueueCounts `json:"counts"`
	// From and To are the date range the queue covers (the filter's).
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
}

// InCalibrationSample reports whether a passed call belongs to the random
// calibration sample at rate. The draw is a hash of the call id, so a call
// stays in (or out of) the sample on every page load and re-inspection.
func InCalibrationSample(callID string, rate float64) bool {
	if rate <= 0 {
		return false
	}
	h := fnv.New32a()
	h.Write([]byte(callID))
	return float64(h.Sum32()%100000) < rate*100000
}

// FlagReason is why a call belongs in the review queue, "" if it does not.
func FlagReason(o CallOutcome, calibrationRate float64) string {
	switch {
	case o.Veto:
		return ReasonVeto
	case !o.Passed:
		return ReasonFailed
	case o.Review:
		return ReasonReview
	case InCalibrationSample(o.CallID, calibrationRate):
		return ReasonCalibration
	}
	return ""
}

// Queue returns a page of the review queue: calls failed, vetoed, at
// complaint risk or drawn for calibration, filtered, sorted and paginated.
// sc re-scores calls with overturned findings, as in Outcomes.
func (w *Workbench) Queue(ctx context.Context, sc *models.Scorecard, f QueueFilter) (*QueuePage, error) {
	rate := f.CalibrationRate
	if rate == 0 {
		rate = DefaultCalibrationRate
	}
	size := f.PageSize
	if size <= 0 {
		size = 50
	}
	page := max(f.Page, 1)
	all, err := w.Outcomes(ctx, sc, f.CallFilter)
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	p := &QueuePage{Page: page, PageSize: size, Items: []QueueItem{}, From: f.From, To: f.To}
	var items []QueueItem
	for _, o := range all {
		reason := FlagReason(o, rate)
		if reason == "" {
			continue
		}
		c := &p.Counts
		c.Flagged++
		if o.Verdict != nil {
			c.Reviewed++
		} else {
			c.Pending++
		}
		switch reason {
		case ReasonVeto:
			c.Veto++
		case ReasonFailed:
			c.Failed++
		case ReasonReview:
			c.Review++
		case ReasonCalibration:
			c.Calibration++
		}
		if f.Status == StatusPending && o.Verdict != nil || f.Status == StatusReviewed && o.Verdict == nil {
			continue
		}
		if f.Reason != "" && f.Reason != reason {
			continue
		}
		items = append(items, QueueItem{CallOutcome: o, Reason: reason})
	}
	sortQueue(items, f.Sort)
	p.Total = len(items)
	lo := min((page-1)*size, len(items))
	hi := min(lo+size, len(items))
	p.Items = append(p.Items, items[lo:hi]...)
	return p, nil
}

// QueueSorts are the accepted QueueFilter.Sort values.
var QueueSorts = []string{"date", "date_asc", "score", "score_desc", "agent", "team"}

func sortQueue(items []QueueItem, by string) {
	when := func(o QueueItem) string { return o.CallDate + " " + o.StartedAt + " " + o.CallID }
	var less func(a, b QueueItem) bool
	switch by {
	case "date_asc":
		less = func(a, b QueueItem) bool { return when(a) < when(b) }
	case "score":
		less = func(a, b QueueItem) bool { return a.Score < b.Score }
	case "score_desc":
		less = func(a, b QueueItem) bool { return a.Score > b.Score }
	case "agent":
		less = func(a, b QueueItem) bool { return a.AgentName+a.AgentID < b.AgentName+b.AgentID }
	case "team":
		less = func(a, b QueueItem) bool { return a.Team < b.Team }
	default:
		less = func(a, b QueueItem) bool { return when(a) > when(b) }
	}
	sort.SliceStable(items, func(i, j int) bool { return less(items[i], items[j]) })
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
// filter selects and the share overturned, by rule. Only the reviews of a
// finding the selected result still makes count (same rule, same start in
// whole milliseconds): a review made on an earlier inspection whose
// finding moved or went away is not a review of this result.
func (w *Workbench) OverturnRates(ctx context.Context, f CallFilter) ([]RuleOverturn, error) {
	where, args := f.where()
	// round(start_s*1000) = start_ms as StartMS computes it (half away from
	// zero, starts are not negative), without the backends' ROUND, which
	// differ on ties.
	query := `SELECT rv.rule, COUNT(*), SUM(CASE WHEN rv.decision = 'overturn' THEN 1 ELSE 0 END)
		FROM reviews rv JOIN results r ON r.recording = rv.recording
		WHERE ` + where + ` AND EXISTS (SELECT 1 FROM findings fd WHERE fd.recording = r.recording
			AND fd.scorecard_id = r.scorecard_id AND fd.scorecard_version = r.scorecard_version AND fd.rule = rv.rule
			AND fd.start_s * 1000 >= rv.start_ms - 0.5 AND fd.start_s * 1000 < rv.start_ms + 0.5)
		GROUP BY rv.rule ORDER BY rv.rule`
	rows, err := w.db.QueryContext(ctx, w.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("overturn rates: %w", err)
	}
	defer rows.Close()
	var out []RuleOverturn
	for rows.Next() {
		var r RuleOverturn
		if err := rows.Scan(&r.Rule, &r.Reviewed, &r.Overturned); err != nil {
			return nil, fmt.Errorf("overturn rates: %w", err)
		}
		if r.Reviewed > 0 {
			r.Rate = float64(r.Overturned) / float64(r.Reviewed)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("overturn rates: %w", err)
	}
	return out, nil
}

// PassRate is the machine and reviewed pass rate of a group of calls.
type PassRate struct {
	Key            string  `json:"key"` // the day, team, agent or queue
	Label          string  `json:"label,omitempty"`
	Calls          int     `json:"calls"`
	Passed         int     `json:"passed"`
	ReviewedPassed int     `json:"reviewed_passed"`
	Verdicts       int     `json:"verdicts"` // calls with a final verdict
	Rate           float64 `json:"rate"`
	ReviewedRate   float64 `json:"reviewed_rate"`
}

// setRates sets the group's rates from its counts (outcome.Rate); a group
// always has calls.
func (g *PassRate) setRates() {
	g.Rate, _ = outcome.Rate(g.Passed, g.Calls)
	g.ReviewedRate, _ = outcome.Rate(g.ReviewedPassed, g.Calls)
}

// GroupPassRates groups outcomes by key (e.g. the call date) and returns
// the machine and reviewed pass rate of each group, by key. A nil key puts
// every call in one group with an empty key.
func GroupPassRates(outcomes []CallOutcome, key func(CallOutcome) (key, label string)) []PassRate {
	groups := map[string]*PassRate{}
	var keys []string
	for _, o := range outcomes {
		k, label := "", ""
		if key != nil {
			k, label = key(o)
		}
		g := groups[k]
		if g == nil {
			g = &PassRate{Key: k, Label: label}
			groups[k] = g
			keys = append(keys, k)
		}
		g.Calls++
		if o.Passed {
			g.Passed++
		}
		if o.ReviewedPassed {
			g.ReviewedPassed++
		}
		if o.Verdict != nil {
			g.Verdicts++
		}
	}
	sort.Strings(keys)
	out := make([]PassRate, 0, len(keys))
	for _, k := range keys {
		g := groups[k]
		g.setRates()
		out = append(out, *g)
	}
	return out
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

// groupKey is the key, in grouping by, of a call of that day, team, agent
// id and queue; ok is false for an unknown grouping.
func groupKey(by, day, team, agent, queue string) (key string, ok bool) {
	switch by {
	case store.GroupAll:
		return "", true
	case store.GroupDay:
		return day, true
	case store.GroupMonth:
		if len(day) >= 7 {
			return day[:7], true
		}
		return day, true
	case store.GroupTeam:
		return team, true
	case store.GroupAgent:
		return agent, true
	case store.GroupQueue:
		return queue, true
	}
	return "", false
}

// GroupedPassRates returns, for each grouping in groups (store.GroupAll,
// store.GroupDay, store.GroupMonth, store.GroupTeam, store.GroupAgent, store.GroupQueue), the same figures as
// GroupPassRates over Outcomes(ctx, sc, f) grouped the same way (the
// agent's label aside: here the smallest name the agent's calls carry,
// there the first call's), without loading one row per call. One query
// counts, per day, team, agent and queue, the calls, machine passes, final
// verdicts and the reviewed passes that need no re-scoring (a final
// verdict decides, else a machine pass stands); only the calls Outcomes
// re-scores (failed, no final verdict, an overturned finding) are
// re-scored, in Go by outcome.ReviewedPassed, and the passes added to their
// groups. sc must not be nil.
func (w *Workbench) GroupedPassRates(ctx context.Context, sc *models.Scorecard, f CallFilter, groups ...string) (map[string][]PassRate, error) {
	if sc == nil {
		return nil, errors.New("grouped pass rates: nil scorecard")
	}
	for _, by := range groups {
		if _, ok := groupKey(by, "", "", "", ""); !ok {
			return nil, fmt.Errorf("grouped pass rates: unknown grouping %q", by)
		}
	}
	where, args := f.where()
	// A failed call without a verdict counts as failed here; if Outcomes
	// re-scores it, addRescored adds it back when it passes.
	rows, err := w.db.QueryContext(ctx, w.q(`SELECT r.call_date, r.team, r.agent_id, r.queue, MIN(r.agent_name), COUNT(*),
		SUM(CASE WHEN r.passed <> 0 THEN 1 ELSE 0 END),
		SUM(CASE WHEN v.passed IS NULL THEN 0 ELSE 1 END),
		SUM(CASE WHEN v.passed IS NOT NULL THEN (CASE WHEN v.passed <> 0 THEN 1 ELSE 0 END)
			WHEN r.passed <> 0 THEN 1 ELSE 0 END)
		FROM results r LEFT JOIN verdicts v ON v.recording = r.recording
		WHERE `+where+` GROUP BY r.call_date, r.team, r.agent_id, r.queue`), args...)
	if err != nil {
		return nil, fmt.Errorf("grouped pass rates: %w", err)
	}
	defer rows.Close()
	acc := newGroupAcc(groups)
	for rows.Next() {
		var day, team, agent, queue, name string
		var g PassRate
		if err := rows.Scan(&day, &team, &agent, &queue, &name, &g.Calls, &g.Passed, &g.Verdicts, &g.ReviewedPassed); err != nil {
			return nil, fmt.Errorf("grouped pass rates: %w", err)
		}
		acc.add(day, team, agent, queue, name, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("grouped pass rates: %w", err)
	}
	rows.Close()
	if err := w.addRescored(ctx, sc, where, args, acc); err != nil {
		return nil, fmt.Errorf("grouped pass rates: %w", err)
	}
	return acc.rates(), nil
}

// groupAcc sums pass-rate counts into the groups of several groupings.
type groupAcc map[string]map[string]*PassRate // grouping -> key -> group

func newGroupAcc(groups []string) groupAcc {
	acc := groupAcc{}
	for _, by := range groups {
		acc[by] = map[string]*PassRate{}
	}
	return acc
}

// add adds the counts c of the calls of one day, team, agent and queue.
func (acc groupAcc) add(day, team, agent, queue, agentName string, c PassRate) {
	for by, gs := range acc {
		k, _ := groupKey(by, day, team, agent, queue)
		g := gs[k]
		if g == nil {
			g = &PassRate{Key: k}
			if by == store.GroupAgent {
				g.Label = agentName
			}
			gs[k] = g
		}
		if by == store.GroupAgent && agentName < g.Label {
			g.Label = agentName
		}
		g.Calls += c.Calls
		g.Passed += c.Passed
		g.Verdicts += c.Verdicts
		g.ReviewedPassed += c.ReviewedPassed
	}
}

// rates returns each grouping's groups by key, with their rates.
func (acc groupAcc) rates() map[string][]PassRate {
	out := make(map[string][]PassRate, len(acc))
	for by, gs := range acc {
		rates := make([]PassRate, 0, len(gs))
		for _, g := range gs {
			g.setRates()
			rates = append(rates, *g)
		}
		sort.Slice(rates, func(i, j int) bool { return rates[i].Key < rates[j].Key })
		out[by] = rates
	}
	return out
}

// addRescored re-scores the calls Outcomes re-scores (where and args are
// the filter's) and adds those that pass to their group of each grouping
// in acc.
func (w *Workbench) addRescored(ctx context.Context, sc *models.Scorecard, where string, args []any, acc groupAcc) error {
	type call struct {
		key                     resultKey
		day, team, agent, queue string
	}
	rows, err := w.db.QueryContext(ctx, w.q(`SELECT r.recording, r.scorecard_id, r.scorecard_version, r.call_date, r.team, r.agent_id, r.queue
		FROM results r LEFT JOIN verdicts v ON v.recording = r.recording
		WHERE `+where+rescoreCond), args...)
	if err != nil {
		return fmt.Errorf("calls to re-score: %w", err)
	}
	defer rows.Close()
	var calls []call
	for rows.Next() {
		var c call
		if err := rows.Scan(&c.key.recording, &c.key.scorecardID, &c.key.version, &c.day, &c.team, &c.agent, &c.queue); err != nil {
			return fmt.Errorf("calls to re-score: %w", err)
		}
		calls = append(calls, c)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("calls to re-score: %w", err)
	}
	rows.Close()
	if len(calls) == 0 {
		return nil
	}
	findings, overturned, err := w.rescoreInputs(ctx, where, args)
	if err != nil {
		return err
	}
	for _, c := range calls {
		if !outcome.ReviewedPassed(sc, false, nil, findings[c.key], overturned[c.key.recording].has) {
			continue
		}
		for by, gs := range acc {
			k, _ := groupKey(by, c.day, c.team, c.agent, c.queue)
			g := gs[k]
			if g == nil { // the grouped query counted every selected call
				return fmt.Errorf("re-scored call %s: no %s group %q", c.key.recording, by, k)
			}
			g.ReviewedPassed++
		}
	}
	return nil
}

package workbench

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"sort"
	"strings"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/outcome"
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
//
// A day of a big hotline holds ~30,000 calls, of which the queue flags
// ~15%, and a page shows 50: only the calls that can be flagged are read
// (the failed, vetoed and at-risk ones, and the passed calls of the
// calibration sample, drawn from their call ids first), with the columns
// that flag, count, filter and sort them (no subquery per row); the
// findings, reviews and reviewed verdict that Outcomes gives every call
// are read for the page's calls alone. The page is the one built from
// Outcomes (TestQueueEqualsOutcomes).
func (w *Workbench) Queue(ctx context.Context, sc *models.Scorecard, f QueueFilter) (*QueuePage, error) {
	if sc == nil {
		return nil, errors.New("queue: nil scorecard")
	}
	rate := f.CalibrationRate
	if rate == 0 {
		rate = DefaultCalibrationRate
	}
	size := f.PageSize
	if size <= 0 {
		size = 50
	}
	page := max(f.Page, 1)
	where, args := f.CallFilter.where()
	flagged, flaggedArgs, err := w.flaggedWhere(ctx, where, args, rate)
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	rows, err := w.db.QueryContext(ctx, w.q(`SELECT r.call_id, r.scorecard_id, r.scorecard_version, r.recording, r.call_date, r.started_at,
		r.agent_id, r.agent_name, r.team, r.queue, r.duration_s, r.score, r.passed, r.veto, r.review, v.passed
		FROM results r LEFT JOIN verdicts v ON v.recording = r.recording
		WHERE `+flagged+` ORDER BY r.call_date, r.started_at, r.call_id, r.recording`), flaggedArgs...)
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	defer rows.Close()
	p := &QueuePage{Page: page, PageSize: size, Items: []QueueItem{}, From: f.From, To: f.To}
	var items []QueueItem
	for rows.Next() {
		var o CallOutcome
		var passed, veto, review int
		var verdict sql.NullInt64
		if err := rows.Scan(&o.CallID, &o.ScorecardID, &o.ScorecardVersion, &o.Recording, &o.CallDate, &o.StartedAt, &o.AgentID, &o.AgentName,
			&o.Team, &o.Queue, &o.DurationS, &o.Score, &passed, &veto, &review, &verdict); err != nil {
			return nil, fmt.Errorf("queue: %w", err)
		}
		o.Passed, o.Veto, o.Review = passed != 0, veto != 0, review != 0
		o.ReviewedPassed = o.Passed
		if verdict.Valid {
			v := verdict.Int64 != 0
			o.Verdict, o.ReviewedPassed = &v, v
		}
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
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	rows.Close()
	sortQueue(items, f.Sort)
	p.Total = len(items)
	lo := min((page-1)*size, len(items))
	hi := min(lo+size, len(items))
	p.Items = append(p.Items, items[lo:hi]...)
	if err := w.queueDetails(ctx, sc, p.Items); err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	return p, nil
}

// maxSampled is the most call ids of the calibration sample that
// flaggedWhere names in its condition; beyond (a queue over weeks of
// calls), every call of the filter is read and flagged in Go.
const maxSampled = 2000

// flaggedWhere narrows the filter's condition (where, args) to the calls
// the queue may flag: vetoed, failed, at complaint risk, or passed and in
// the calibration sample at rate, whose call ids it reads first (the call
// id only, of the passed calls). Queue still applies FlagReason to every
// row read.
func (w *Workbench) flaggedWhere(ctx context.Context, where string, args []any, rate float64) (string, []any, error) {
	cond := `r.veto <> 0 OR r.passed = 0 OR r.review <> 0`
	if rate <= 0 {
		return where + ` AND (` + cond + `)`, args, nil
	}
	rows, err := w.db.QueryContext(ctx, w.q(`SELECT DISTINCT r.call_id FROM results r
		WHERE `+where+` AND r.veto = 0 AND r.passed <> 0 AND r.review = 0`), args...)
	if err != nil {
		return "", nil, fmt.Errorf("calibration sample: %w", err)
	}
	defer rows.Close()
	var sampled []any
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return "", nil, fmt.Errorf("calibration sample: %w", err)
		}
		if InCalibrationSample(id, rate) {
			sampled = append(sampled, id)
		}
	}
	if err := rows.Err(); err != nil {
		return "", nil, fmt.Errorf("calibration sample: %w", err)
	}
	switch {
	case len(sampled) > maxSampled:
		return where, args, nil
	case len(sampled) > 0:
		cond += ` OR r.call_id IN (` + strings.TrimSuffix(strings.Repeat("?, ", len(sampled)), ", ") + `)`
	}
	return where + ` AND (` + cond + `)`, append(slices.Clone(args), sampled...), nil
}

// queueDetails fills in the findings and reviews counts and the reviewed
// verdict of the page's items, as Outcomes does for every call (the
// items' results are found by their keys).
func (w *Workbench) queueDetails(ctx context.Context, sc *models.Scorecard, items []QueueItem) error {
	if len(items) == 0 {
		return nil
	}
	recs := make([]string, 0, len(items))
	seen := map[string]bool{}
	for _, it := range items {
		if !seen[it.Recording] {
			seen[it.Recording] = true
			recs = append(recs, it.Recording)
		}
	}
	where := `r.recording IN (` + strings.TrimSuffix(strings.Repeat("?, ", len(recs)), ", ") + `)`
	args := make([]any, len(recs))
	for i, r := range recs {
		args[i] = r
	}
	index := make(map[resultKey]int, len(items))
	for i, it := range items {
		index[resultKey{it.Recording, it.ScorecardID, it.ScorecardVersion}] = i
	}
	rows, err := w.db.QueryContext(ctx, w.q(`SELECT r.recording, r.scorecard_id, r.scorecard_version,
		(SELECT COUNT(*) FROM findings f WHERE f.recording = r.recording AND f.scorecard_id = r.scorecard_id AND f.scorecard_version = r.scorecard_version),
		(SELECT COUNT(*) FROM reviews rv WHERE rv.recording = r.recording),
		(SELECT COUNT(*) FROM reviews rv WHERE rv.recording = r.recording AND rv.decision = 'overturn')
		FROM results r WHERE `+where), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	rescore := false
	for rows.Next() {
		var k resultKey
		var findings, reviews, overturns int
		if err := rows.Scan(&k.recording, &k.scorecardID, &k.version, &findings, &reviews, &overturns); err != nil {
			return err
		}
		i, ok := index[k]
		if !ok {
			continue
		}
		o := &items[i].CallOutcome
		o.Findings, o.FindingReviews = findings, reviews
		if o.Verdict == nil && !o.Passed && overturns > 0 {
			rescore = true
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()
	if !rescore {
		return nil
	}
	findings, overturned, err := w.rescoreInputs(ctx, where, args)
	if err != nil {
		return err
	}
	for k, fs := range findings {
		if i, ok := index[k]; ok {
			items[i].ReviewedPassed = outcome.ReviewedPassed(sc, false, nil, fs, overturned[k.recording].has)
		}
	}
	return nil
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

package store

import (
	"context"
	"database/sql"
	"fmt"
	"sort"

	"github.com/callqa/callqa/outcome"
)

// IndicatorCount is what the evaluation indicators count of one group of
// results (report.Indicators turns them into rates and scores). Every
// count is of results of the filter's scorecard version, one per
// recording.
type IndicatorCount struct {
	// Key is the day (YYYY-MM-DD), month (YYYY-MM), team, agent id or
	// queue ("" for GroupAll); Label is the agent's name for GroupAgent,
	// else Key.
	Key, Label string
	// Results counts the results, inspected and unprocessable; Answered
	// those whose metadata does not say "answered": false: the calls
	// answered, the denominator of 投诉率.
	Results, Answered int
	// Counts are the pass rate's (answered or not: every inspected call
	// is in 质量控制合格率).
	outcome.Counts
	// ComplaintFlagged counts the answered calls a complaint rule flagged
	// (a finding whose rule declares indicator: complaint).
	// ComplaintConfirmed counts those of them with a complaint finding a
	// reviewer confirmed (成立); ComplaintPending those not confirmed with a
	// complaint finding no reviewer has decided yet. The rest,
	// Flagged - Confirmed - Pending, had every complaint finding
	// overturned.
	ComplaintFlagged, ComplaintConfirmed, ComplaintPending int
	// Surveyed counts the answered calls with a survey answer, Satisfied,
	// Basic and Dissatisfied each answer.
	Surveyed, Satisfied, Basic, Dissatisfied int
	// AnsweredS is the recorded duration of the answered calls, in
	// seconds (an unprocessable recording counts 0: it could not be
	// measured); AgentTalkS the agent's talk time in them.
	AnsweredS, AgentTalkS float64
}

// ComplaintOverturned counts the flagged calls whose every complaint
// finding a reviewer overturned.
func (c IndicatorCount) ComplaintOverturned() int {
	return c.ComplaintFlagged - c.ComplaintConfirmed - c.ComplaintPending
}

// complaintFinding is the condition, over findings fd of the result r,
// of a complaint finding.
const complaintFinding = `fd.recording = r.recording AND fd.scorecard_id = r.scorecard_id
		AND fd.scorecard_version = r.scorecard_version AND fd.indicator = 'complaint'`

// reviewOfFinding is the condition, over reviews rv, of a review of
// finding fd: same recording and rule, start_ms the finding's start in
// whole milliseconds (round(start_s*1000) as StartMS computes it, written
// without the backends' ROUND, which differ on ties).
const reviewOfFinding = `rv.recording = fd.recording AND rv.rule = fd.rule
		AND fd.start_s * 1000 >= rv.start_ms - 0.5 AND fd.start_s * 1000 < rv.start_ms + 0.5`

// indicatorSums are the columns of IndicatorCounts after the key and
// label, in IndicatorCount's order. This SQL is the definition of the
// indicator counts: summaries kept elsewhere (per-day rollups) must agree
// with it.
const indicatorSums = `COUNT(*),
		COALESCE(SUM(CASE WHEN r.answered = 1 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN r.status = 'inspected' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN r.status = 'inspected' AND r.passed = 1 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN r.status = 'unprocessable' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN r.answered = 1 AND r.complaint = 1 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN r.answered = 1 AND r.complaint = 1 AND EXISTS (
			SELECT 1 FROM findings fd JOIN reviews rv ON ` + reviewOfFinding + `
			WHERE ` + complaintFinding + ` AND rv.decision = 'confirm') THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN r.answered = 1 AND r.complaint = 1 AND NOT EXISTS (
			SELECT 1 FROM findings fd JOIN reviews rv ON ` + reviewOfFinding + `
			WHERE ` + complaintFinding + ` AND rv.decision = 'confirm') AND EXISTS (
			SELECT 1 FROM findings fd WHERE ` + complaintFinding + `
				AND NOT EXISTS (SELECT 1 FROM reviews rv WHERE ` + reviewOfFinding + `)) THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN r.answered = 1 AND r.satisfaction <> '' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN r.answered = 1 AND r.satisfaction = 'satisfied' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN r.answered = 1 AND r.satisfaction = 'basic' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN r.answered = 1 AND r.satisfaction = 'dissatisfied' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN r.answered = 1 THEN r.duration_s ELSE 0.0 END), 0.0),
		COALESCE(SUM(CASE WHEN r.answered = 1 THEN r.agent_talk_s ELSE 0.0 END), 0.0)`

// IndicatorCounts counts, per group of the results f selects (GroupAll,
// GroupDay, GroupMonth, GroupTeam, GroupAgent or GroupQueue), what the
// evaluation indicators need: calls answered, the pass rate's counts,
// complaint calls flagged, confirmed and awaiting review, survey answers,
// answered and agent talk time. Groups come ordered by key; GroupAll gives
// exactly one group, with key "", even when nothing is selected; the other
// groupings list only groups with at least one result.
//
// A complaint is counted once per call whatever the number of its
// complaint findings: confirmed when a reviewer confirmed one of them, and
// awaiting review when none is confirmed and one has no review yet. Only
// the reviews of findings this result makes count (same rule, same start
// in ms), as for the overturn rates.
func (s *Store) IndicatorCounts(ctx context.Context, f ReportFilter, by string) ([]IndicatorCount, error) {
	where, args := f.where()
	var q string
	if by == GroupAll {
		q = `SELECT '', '', ` + indicatorSums + ` FROM results r ` + where
	} else {
		key, ok := groupExpr[by]
		if !ok {
			return nil, fmt.Errorf("indicator counts: unknown grouping %q", by)
		}
		label := key
		if by == GroupAgent {
			label = "MAX(r.agent_name)"
		}
		q = `SELECT ` + key + `, ` + label + `, ` + indicatorSums + ` FROM results r ` + where + `
			GROUP BY ` + key + ` ORDER BY ` + key
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("indicator counts by %s: %w", by, err)
	}
	defer rows.Close()
	var out []IndicatorCount
	for rows.Next() {
		var c IndicatorCount
		var label sql.NullString
		if err := rows.Scan(&c.Key, &label, &c.Results, &c.Answered, &c.Inspected, &c.Passed, &c.Unprocessable,
			&c.ComplaintFlagged, &c.ComplaintConfirmed, &c.ComplaintPending,
			&c.Surveyed, &c.Satisfied, &c.Basic, &c.Dissatisfied, &c.AnsweredS, &c.AgentTalkS); err != nil {
			return nil, fmt.Errorf("indicator counts by %s: %w", by, err)
		}
		c.Label = label.String
		if c.Label == "" {
			c.Label = c.Key
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("indicator counts by %s: %w", by, err)
	}
	// PostgreSQL orders text by its collation, SQLite by bytes: one order.
	sort.SliceStable(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

package store

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"

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
	g, ok := rollupGroup[by]
	if !ok {
		return nil, fmt.Errorf("indicator counts: unknown grouping %q", by)
	}
	label := g.key
	if by == GroupAgent {
		label = "MAX(u.name)"
	}
	cols := []string{"results", "answered", "inspected", "passed", "unprocessable",
		"complaint_flagged", "complaint_confirmed", "complaint_pending", "surveyed", "satisfied", "basic", "dissatisfied"}
	sums := make([]string, 0, len(cols)+2)
	for _, c := range cols {
		sums = append(sums, "CAST(COALESCE(SUM(u."+c+"), 0) AS BIGINT)")
	}
	sums = append(sums, "COALESCE(SUM(u.answered_s), 0.0)", "COALESCE(SUM(u.agent_talk_s), 0.0)")
	where, args := f.rollupWhere(g.dim)
	q := `SELECT ` + g.key + `, ` + label + `, ` + strings.Join(sums, ", ") + ` FROM rollups u ` + where
	if by != GroupAll {
		q += ` GROUP BY ` + g.key + ` ORDER BY ` + g.key
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

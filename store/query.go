package store

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/outcome"
)

// Report groupings of GroupCounts.
const (
	GroupDay   = "day"
	GroupMonth = "month"
	GroupTeam  = "team"
	GroupAgent = "agent"
	GroupQueue = "queue"
)

// GroupAll is the grouping that puts every call in one group with an
// empty key. The others are GroupDay, GroupMonth, GroupTeam, GroupAgent
// (keyed by agent id, labelled with the agent name) and GroupQueue.
const GroupAll = "all"

// rollupGroup is, for a grouping, the rollups dimension it reads and the
// SQL of its key over those rows (aliased u).
var rollupGroup = map[string]struct{ dim, key string }{
	GroupAll:   {dimAll, "''"},
	GroupDay:   {dimAll, "u.call_date"},
	GroupMonth: {dimAll, "substr(u.call_date, 1, 7)"},
	GroupTeam:  {dimTeam, "u.grp"},
	GroupAgent: {dimAgent, "u.grp"},
	GroupQueue: {dimQueue, "u.grp"},
}

// ReportFilter selects the results a report reads.
type ReportFilter struct {
	// Scorecard is the scorecard version reported on (required).
	Scorecard models.ScorecardRef
	// From and To bound the call date, inclusive, as YYYY-MM-DD; "" leaves
	// the side open.
	From, To string
}

// where returns the WHERE clause (over the results table, aliased r) and
// its arguments.
func (f ReportFilter) where() (string, []any) {
	conds := []string{"r.scorecard_id = $1", "r.scorecard_version = $2"}
	args := []any{f.Scorecard.ID, f.Scorecard.Version}
	if f.From != "" {
		args = append(args, f.From)
		conds = append(conds, fmt.Sprintf("r.call_date >= $%d", len(args)))
	}
	if f.To != "" {
		args = append(args, f.To)
		conds = append(conds, fmt.Sprintf("r.call_date <= $%d", len(args)))
	}
	return "WHERE " + strings.Join(conds, " AND "), args
}

// rollupWhere returns the WHERE clause over rollups (aliased u) of the
// filter's scorecard version and dates in dimension dim, and its
// arguments.
func (f ReportFilter) rollupWhere(dim string) (string, []any) {
	where, args := f.dateWhere("u", f.Scorecard.ID, f.Scorecard.Version)
	args = append(args, dim)
	return where + fmt.Sprintf(" AND u.dim = $%d", len(args)), args
}

// dateWhere is the WHERE clause over table alias t of scorecard version
// id:version and the filter's dates.
func (f ReportFilter) dateWhere(t, id string, version int) (string, []any) {
	conds := []string{t + ".scorecard_id = $1", t + ".scorecard_version = $2"}
	args := []any{id, version}
	if f.From != "" {
		args = append(args, f.From)
		conds = append(conds, fmt.Sprintf("%s.call_date >= $%d", t, len(args)))
	}
	if f.To != "" {
		args = append(args, f.To)
		conds = append(conds, fmt.Sprintf("%s.call_date <= $%d", t, len(args)))
	}
	return "WHERE " + strings.Join(conds, " AND "), args
}

// GroupCount is the tally of one group of calls.
type GroupCount struct {
	// Key is the day (YYYY-MM-DD), month (YYYY-MM), team, agent id or queue.
	Key string
	// Label is the agent's name for GroupAgent, else Key.
	Label string
	// Counts are the group's outcomes.
	outcome.Counts
	// ScoreSum is the sum of the scores of the inspected calls.
	ScoreSum float64
}

// GroupCounts tallies the results selected by f per group (GroupDay,
// GroupMonth, GroupTeam, GroupAgent or GroupQueue), ordered by key. Only
// groups with at least one result appear.
func (s *Store) GroupCounts(ctx context.Context, f ReportFilter, by string) ([]GroupCount, error) {
	g, ok := rollupGroup[by]
	if !ok || by == GroupAll {
		return nil, fmt.Errorf("group counts: unknown grouping %q", by)
	}
	label := g.key
	if by == GroupAgent {
		label = "MAX(u.name)"
	}
	where, args := f.rollupWhere(g.dim)
	q := `SELECT ` + g.key + `, ` + label + `, CAST(SUM(u.inspected) AS BIGINT), CAST(SUM(u.passed) AS BIGINT),
			CAST(SUM(u.unprocessable) AS BIGINT), SUM(u.score_sum)
		FROM rollups u ` + where + `
		GROUP BY ` + g.key + `
		ORDER BY ` + g.key
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("group counts by %s: %w", by, err)
	}
	defer rows.Close()
	var out []GroupCount
	for rows.Next() {
		var g GroupCount
		var lbl sql.NullString
		if err := rows.Scan(&g.Key, &lbl, &g.Inspected, &g.Passed, &g.Unprocessable, &g.ScoreSum); err != nil {
			return nil, fmt.Errorf("group counts by %s: %w", by, err)
		}
		g.Label = lbl.String
		if g.Label == "" {
			g.Label = g.Key
		}
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("group counts by %s: %w", by, err)
	}
	// PostgreSQL orders text by its collation, SQLite by bytes: one order.
	sort.SliceStable(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// RuleCount is how often one rule flagged the inspected calls.
type RuleCount struct {
	Rule string
	Name string
	// Calls counts the calls the rule flagged at least once; Hits counts
	// every finding.
	Calls, Hits int
	// Deduct is the total of points the rule cost.
	Deduct float64
	// Vetoes counts the calls it failed by veto.
	Vetoes int
	// Reviewed counts the reviews of its findings, Overturned those that
	// overturned them.
	Reviewed, Overturned int
}

// RuleCounts tallies the findings of the inspected calls selected by f per
// rule, most calls flagged first.
func (s *Store) RuleCounts(ctx context.Context, f ReportFilter) ([]RuleCount, error) {
	where, args := f.dateWhere("u", f.Scorecard.ID, f.Scorecard.Version)
	q := `SELECT u.rule, MAX(u.name), CAST(SUM(u.calls) AS BIGINT), CAST(SUM(u.hits) AS BIGINT), SUM(u.deduct),
			CAST(SUM(u.vetoes) AS BIGINT), CAST(SUM(u.reviewed) AS BIGINT), CAST(SUM(u.overturned) AS BIGINT)
		FROM rule_rollups u ` + where + `
		GROUP BY u.rule
		HAVING SUM(u.calls) > 0`
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("rule counts: %w", err)
	}
	defer rows.Close()
	var out []RuleCount
	for rows.Next() {
		var c RuleCount
		if err := rows.Scan(&c.Rule, &c.Name, &c.Calls, &c.Hits, &c.Deduct, &c.Vetoes, &c.Reviewed, &c.Overturned); err != nil {
			return nil, fmt.Errorf("rule counts: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("rule counts: %w", err)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Calls != out[j].Calls {
			return out[i].Calls > out[j].Calls
		}
		return out[i].Rule < out[j].Rule
	})
	return out, nil
}

// ScorecardUsage is one scorecard version found in the results.
type ScorecardUsage struct {
	Scorecard models.ScorecardRef `json:"scorecard"`
	// Calls counts its results; LastInspected is the newest inspected_at
	// (RFC 3339, UTC, nine fractional digits).
	Calls         int    `json:"calls"`
	LastInspected string `json:"last_inspected"`
}

// Scorecards lists the scorecard versions present in the results, the most
// recently used first.
func (s *Store) Scorecards(ctx context.Context) ([]ScorecardUsage, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT su.scorecard_id, su.scorecard_version,
			CAST(COALESCE((SELECT SUM(u.results) FROM rollups u WHERE u.scorecard_id = su.scorecard_id
				AND u.scorecard_version = su.scorecard_version AND u.dim = 'all'), 0) AS BIGINT),
			su.last_inspected
		FROM (SELECT scorecard_id, scorecard_version, MAX(last_inspected) AS last_inspected
			FROM scorecard_usage GROUP BY scorecard_id, scorecard_version) su
		ORDER BY su.last_inspected DESC, su.scorecard_version DESC, su.scorecard_id`)
	if err != nil {
		return nil, fmt.Errorf("scorecards: %w", err)
	}
	defer rows.Close()
	var out []ScorecardUsage
	for rows.Next() {
		var u ScorecardUsage
		if err := rows.Scan(&u.Scorecard.ID, &u.Scorecard.Version, &u.Calls, &u.LastInspected); err != nil {
			return nil, fmt.Errorf("scorecards: %w", err)
		}
		if u.Calls == 0 {
			continue // its results were replaced: a version no longer in use
		}
		// Rows written before the fixed-width layout: same instant, one layout.
		if t, err := parseStoreTime(u.LastInspected); err == nil {
			u.LastInspected = formatStoreTime(t)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("scorecards: %w", err)
	}
	return out, nil
}

// LatestScorecard returns the scorecard version most recently used in the
// results, or an error wrapping ErrNotFound when there are no results.
func (s *Store) LatestScorecard(ctx context.Context) (models.ScorecardRef, error) {
	us, err := s.Scorecards(ctx)
	if err != nil {
		return models.ScorecardRef{}, err
	}
	if len(us) == 0 {
		return models.ScorecardRef{}, fmt.Errorf("latest scorecard: no results: %w", ErrNotFound)
	}
	return us[0].Scorecard, nil
}

// LatestCallDate returns the most recent call date (YYYY-MM-DD) of the
// results of scorecard version sc, or "" when it has none.
func (s *Store) LatestCallDate(ctx context.Context, sc models.ScorecardRef) (string, error) {
	var d sql.NullString
	err := s.db.QueryRowContext(ctx, `SELECT MAX(call_date) FROM rollups
		WHERE scorecard_id = $1 AND scorecard_version = $2 AND dim = 'all' AND call_date <> ''`, sc.ID, sc.Version).Scan(&d)
	if err != nil {
		return "", fmt.Errorf("latest call date: %w", err)
	}
	return d.String, nil
}

// ScorecardCalls counts calls of one scorecard version.
type ScorecardCalls struct {
	Scorecard models.ScorecardRef `json:"scorecard"`
	Calls     int                 `json:"calls"`
}

// OtherScorecards counts the calls that a report on f leaves out because
// they have results only under other scorecard versions: calls with a
// result of another version dated in f's range and no result of
// f.Scorecard. It returns the number of such calls and, per other version
// (newest id and version first), how many of them it holds; a call with
// results under two other versions counts once in the total and once
// under each.
func (s *Store) OtherScorecards(ctx context.Context, f ReportFilter) (int, []ScorecardCalls, error) {
	var conds []string
	var args []any
	if f.From != "" {
		args = append(args, f.From)
		conds = append(conds, fmt.Sprintf("call_date >= $%d", len(args)))
	}
	if f.To != "" {
		args = append(args, f.To)
		conds = append(conds, fmt.Sprintf("call_date <= $%d", len(args)))
	}
	where := ""
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	rows, err := s.db.QueryContext(ctx, `SELECT versions, CAST(SUM(recordings) AS BIGINT) FROM version_rollups`+where+` GROUP BY versions`, args...)
	if err != nil {
		return 0, nil, fmt.Errorf("other scorecards: %w", err)
	}
	defer rows.Close()
	self := "|" + f.Scorecard.ID + ":" + strconv.Itoa(f.Scorecard.Version) + "|"
	total := 0
	per := map[models.ScorecardRef]int{}
	for rows.Next() {
		var versions string
		var n int
		if err := rows.Scan(&versions, &n); err != nil {
			return 0, nil, fmt.Errorf("other scorecards: %w", err)
		}
		if n <= 0 || strings.Contains(versions, self) {
			continue
		}
		total += n
		for _, v := range strings.Split(strings.Trim(versions, "|"), "|") {
			id, ver, _ := strings.Cut(v, ":")
			n2, err := strconv.Atoi(ver)
			if err != nil {
				return 0, nil, fmt.Errorf("other scorecards: version set %q", versions)
			}
			per[models.ScorecardRef{ID: id, Version: n2}] += n
		}
	}
	if err := rows.Err(); err != nil {
		return 0, nil, fmt.Errorf("other scorecards: %w", err)
	}
	if total == 0 {
		return 0, nil, nil
	}
	out := make([]ScorecardCalls, 0, len(per))
	for ref, n := range per {
		out = append(out, ScorecardCalls{Scorecard: ref, Calls: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Scorecard.ID != out[j].Scorecard.ID {
			return out[i].Scorecard.ID < out[j].Scorecard.ID
		}
		return out[i].Scorecard.Version > out[j].Scorecard.Version
	})
	return total, out, nil
}

// ListFilter selects the calls a listing reads: those of a ReportFilter
// (scorecard version and date range) with one status, narrowed by the
// call's metadata and findings.
type ListFilter struct {
	ReportFilter
	// Status is models.StatusInspected or models.StatusUnprocessable
	// (required).
	Status string
	// Team, AgentID and Queue keep the calls whose metadata has exactly
	// this value; nil keeps every call, and a pointer to "" keeps the
	// calls without one (the "(未填)" group of a report).
	Team, AgentID, Queue *string
	// Rule keeps the calls with at least one finding of this rule ("" any).
	Rule string
	// FailedOnly keeps the inspected calls that did not pass.
	FailedOnly bool
}

// where returns the WHERE clause (over the results table, aliased r) and
// its arguments.
func (f ListFilter) where() (string, []any) {
	where, args := f.ReportFilter.where()
	add := func(cond string, v any) {
		args = append(args, v)
		where += " AND " + fmt.Sprintf(cond, len(args))
	}
	add("r.status = $%d", f.Status)
	for _, c := range []struct {
		col string
		v   *string
	}{{"r.team", f.Team}, {"r.agent_id", f.AgentID}, {"r.queue", f.Queue}} {
		if c.v != nil {
			add(c.col+" = $%d", *c.v)
		}
	}
	if f.Rule != "" {
		add(`EXISTS (SELECT 1 FROM findings x WHERE x.recording = r.recording
			AND x.scorecard_id = r.scorecard_id AND x.scorecard_version = r.scorecard_version AND x.rule = $%d)`, f.Rule)
	}
	if f.FailedOnly {
		where += " AND r.passed = 0"
	}
	return where, args
}

// ListedCall is one call of a listing, read from the indexed columns of
// its result and its findings.
type ListedCall struct {
	CallID string
	// Date is the call date (YYYY-MM-DD); Recording the recording's key.
	Date, Recording string
	// Status is models.StatusInspected or models.StatusUnprocessable;
	// Error is the reason of an unprocessable call.
	Status, Error string
	// AgentID, AgentName, Team and Queue come from the call's metadata.
	AgentID, AgentName, Team, Queue string
	// Score, Passed, Veto and Review are those of an inspected call.
	Score                float64
	Passed, Veto, Review bool
	// Rules are the rules its findings flagged, once each, in the order
	// of their first finding.
	Rules []string
}

// ListCalls lists the calls selected by f, by date, call id then recording
// (byte order, the same on both dialects). Every call selected is listed once, so that
// the listing adds up to the GroupCounts of the same filter.
func (s *Store) ListCalls(ctx context.Context, f ListFilter) ([]ListedCall, error) {
	if f.Status != models.StatusInspected && f.Status != models.StatusUnprocessable {
		return nil, fmt.Errorf("list calls: unknown status %q", f.Status)
	}
	where, args := f.where()
	// One query: each result with its findings (or one row without), the
	// rows of a call adjacent.
	q := `SELECT r.call_id, r.call_date, r.recording, r.status, r.error, r.agent_id, r.agent_name, r.team, r.queue,
			r.score, r.passed, r.veto, r.review, fi.rule
		FROM results r LEFT JOIN findings fi ON fi.recording = r.recording
			AND fi.scorecard_id = r.scorecard_id AND fi.scorecard_version = r.scorecard_version
		` + where + `
		ORDER BY r.call_date, r.call_id, r.recording, fi.seq`
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list calls: %w", err)
	}
	defer rows.Close()
	out := []ListedCall{}
	var seen map[string]bool
	for rows.Next() {
		var c ListedCall
		var passed, veto, review int
		var rule sql.NullString
		if err := rows.Scan(&c.CallID, &c.Date, &c.Recording, &c.Status, &c.Error, &c.AgentID, &c.AgentName, &c.Team, &c.Queue,
			&c.Score, &passed, &veto, &review, &rule); err != nil {
			return nil, fmt.Errorf("list calls: %w", err)
		}
		if n := len(out); n == 0 || out[n-1].Recording != c.Recording {
			c.Passed, c.Veto, c.Review = passed != 0, veto != 0, review != 0
			c.Rules = []string{}
			out = append(out, c)
			seen = map[string]bool{}
		}
		if last := &out[len(out)-1]; rule.Valid && !seen[rule.String] {
			seen[rule.String] = true
			last.Rules = append(last.Rules, rule.String)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list calls: %w", err)
	}
	// PostgreSQL orders text by its collation, SQLite by bytes: one order.
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Date != out[j].Date {
			return out[i].Date < out[j].Date
		}
		if out[i].CallID != out[j].CallID {
			return out[i].CallID < out[j].CallID
		}
		return out[i].Recording < out[j].Recording
	})
	return out, nil
}

// AnalysisCalls counts the calls of one audio analysis.
type AnalysisCalls struct {
	Analysis models.AnalysisRef `json:"analysis"`
	Calls    int                `json:"calls"`
}

// Analyses counts the results f selects per audio analysis that measured
// them, the most calls first. More than one row means the range mixes
// analyses (some calls not yet re-inspected after an upgrade).
func (s *Store) Analyses(ctx context.Context, f ReportFilter) ([]AnalysisCalls, error) {
	where, args := f.rollupWhere(dimAll)
	rows, err := s.db.QueryContext(ctx, `SELECT u.analysis_vad, u.analysis_version, CAST(SUM(u.results) AS BIGINT) FROM rollups u `+where+`
		GROUP BY u.analysis_vad, u.analysis_version`, args...)
	if err != nil {
		return nil, fmt.Errorf("analyses: %w", err)
	}
	defer rows.Close()
	var out []AnalysisCalls
	for rows.Next() {
		var a AnalysisCalls
		if err := rows.Scan(&a.Analysis.VAD, &a.Analysis.Version, &a.Calls); err != nil {
			return nil, fmt.Errorf("analyses: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("analyses: %w", err)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Calls != b.Calls {
			return a.Calls > b.Calls
		}
		if a.Analysis.VAD != b.Analysis.VAD {
			return a.Analysis.VAD < b.Analysis.VAD
		}
		return a.Analysis.Version < b.Analysis.Version
	})
	return out, nil
}

// ReviewedCount is a group's machine outcomes and the reviewed figures the
// rollups hold: final verdicts, and the reviewed passes that need no
// re-scoring (outcome.ReviewedPassed's first two steps; the workbench adds
// the re-scored calls).
type ReviewedCount struct {
	// Key is the group (as GroupCounts'; "" for GroupAll); Label the
	// smallest name of an agent's rows for GroupAgent, else "".
	Key, Label string
	outcome.Counts
	Reviewed outcome.Reviewed
}

// ReviewedCounts reads the machine and reviewed figures of the results f
// selects, per group of grouping by (GroupAll gives one group, key "",
// when there is a result), ordered by key.
func (s *Store) ReviewedCounts(ctx context.Context, f ReportFilter, by string) ([]ReviewedCount, error) {
	g, ok := rollupGroup[by]
	if !ok {
		return nil, fmt.Errorf("reviewed counts: unknown grouping %q", by)
	}
	label := "''"
	if by == GroupAgent {
		label = "MIN(u.name)"
	}
	where, args := f.rollupWhere(g.dim)
	q := `SELECT ` + g.key + `, ` + label + `, CAST(SUM(u.inspected) AS BIGINT), CAST(SUM(u.passed) AS BIGINT),
			CAST(SUM(u.unprocessable) AS BIGINT), CAST(SUM(u.reviewed_base) AS BIGINT), CAST(SUM(u.verdicts) AS BIGINT)
		FROM rollups u ` + where
	if by != GroupAll {
		q += ` GROUP BY ` + g.key
	}
	q += ` HAVING COUNT(*) > 0`
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("reviewed counts by %s: %w", by, err)
	}
	defer rows.Close()
	var out []ReviewedCount
	for rows.Next() {
		var c ReviewedCount
		if err := rows.Scan(&c.Key, &c.Label, &c.Inspected, &c.Passed, &c.Unprocessable, &c.Reviewed.Passed, &c.Reviewed.Verdicts); err != nil {
			return nil, fmt.Errorf("reviewed counts by %s: %w", by, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reviewed counts by %s: %w", by, err)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

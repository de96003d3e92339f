// Package report turns the results store into the figures the QA staff
// report: the quality pass rate (质量控制合格率 = calls passed / calls
// inspected) per day, month, team, agent or queue with counts and average
// score, how many calls each rule flagged, the indicator rows of the
// annual evaluation (Indicators: 质量控制合格率, 投诉率, 综合满意率, 成本控制情况),
// and the calls behind each of those figures (Calls,
// Unprocessable: one row per call, filtered by team, agent, queue, rule or
// failed calls, adding up to the report's rows). The builders return typed
// rows (the workbench shows them too); the writers in format.go render them
// as an aligned table, CSV, JSON or an XLSX workbook.
//
// Unprocessable calls are counted and shown apart, never in the denominator
// of a pass rate. A group without inspected calls has no pass rate (nil),
// which is shown empty rather than as 0% or NaN.
//
// A report covers one scorecard version (pass rates under two scorecards
// are not comparable), but never drops calls silently: every report says
// how many calls of its range have results only under other scorecard
// versions, and which (OtherScorecards, a note under the table).
//
// It is one package of about 1,900 lines, above the house's 1,500, on
// purpose: every report (pass rates, rule hits, lists, indicators) shares
// the same filters, notes and four output formats (table, CSV, JSON,
// XLSX), and the dashboard's exports are these reports.
package report

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/outcome"
	"github.com/callqa/callqa/store"
)

// Groupings of a pass-rate report.
const (
	ByDay   = store.GroupDay
	ByMonth = store.GroupMonth
	ByTeam  = store.GroupTeam
	ByAgent = store.GroupAgent
	ByQueue = store.GroupQueue
)

// IndicatorName is the name of the annual-evaluation indicator the pass
// rate is (the first of Indicators' rows).
const IndicatorName = "质量控制合格率"

// Defaults of the pass-rate indicator (质量控制合格率): its target and
// weight; the other indicators' are in IndicatorDefs.
const (
	DefaultTarget = 0.95
	DefaultWeight = 10.0
)

// MaxPeriods bounds the days (or months) a report by day or month fills
// in: about ten years of days.
const MaxPeriods = 3700

// ErrRangeTooLong is the error (wrapped) of a report by day or month whose
// date range spans more than MaxPeriods days (months): bad input.
var ErrRangeTooLong = errors.New("range too long")

// Store is what reports read from the results store (*store.Store).
type Store interface {
	GroupCounts(ctx context.Context, f store.ReportFilter, by string) ([]store.GroupCount, error)
	RuleCounts(ctx context.Context, f store.ReportFilter) ([]store.RuleCount, error)
	LatestScorecard(ctx context.Context) (models.ScorecardRef, error)
	OtherScorecards(ctx context.Context, f store.ReportFilter) (int, []store.ScorecardCalls, error)
	Analyses(ctx context.Context, f store.ReportFilter) ([]store.AnalysisCalls, error)
}

var _ Store = (*store.Store)(nil)

// scorecardSource resolves the default scorecard of a report.
type scorecardSource interface {
	LatestScorecard(ctx context.Context) (models.ScorecardRef, error)
}

// omissionSource counts the calls a report leaves out, and the analyses
// of those it covers.
type omissionSource interface {
	OtherScorecards(ctx context.Context, f store.ReportFilter) (int, []store.ScorecardCalls, error)
	Analyses(ctx context.Context, f store.ReportFilter) ([]store.AnalysisCalls, error)
}

// Options select the results a report covers.
type Options struct {
	// Scorecard is the scorecard version; the zero value means the one
	// most recently used in the results.
	Scorecard models.ScorecardRef
	// From and To bound the call date, inclusive (YYYY-MM-DD); "" leaves
	// the side open.
	From, To string
}

// Validate reports options that cannot work, naming the field.
func (o Options) Validate() error {
	for _, d := range []struct{ name, v string }{{"From", o.From}, {"To", o.To}} {
		if d.v == "" {
			continue
		}
		if _, err := time.Parse(time.DateOnly, d.v); err != nil {
			return fmt.Errorf("report options: %s must be YYYY-MM-DD, got %q", d.name, d.v)
		}
	}
	if o.From != "" && o.To != "" && o.From > o.To {
		return fmt.Errorf("report options: From %s is after To %s", o.From, o.To)
	}
	if o.Scorecard.ID == "" && o.Scorecard.Version != 0 {
		return errors.New("report options: Scorecard.Version set without Scorecard.ID")
	}
	return nil
}

// filter resolves the scorecard and returns the store filter.
func (o Options) filter(ctx context.Context, st scorecardSource) (store.ReportFilter, error) {
	if err := o.Validate(); err != nil {
		return store.ReportFilter{}, err
	}
	sc := o.Scorecard
	if sc.ID == "" {
		latest, err := st.LatestScorecard(ctx)
		if err != nil {
			return store.ReportFilter{}, fmt.Errorf("report: which scorecard: %w", err)
		}
		sc = latest
	}
	return store.ReportFilter{Scorecard: sc, From: o.From, To: o.To}, nil
}

// Omitted are the calls of a report's date range that it leaves out
// because they have results only under other scorecard versions, and the
// mix of audio analyses among those it covers.
type Omitted struct {
	// Calls counts them (each once).
	Calls int `json:"calls"`
	// Scorecards are those versions with how many of the calls each holds.
	Scorecards []store.ScorecardCalls `json:"scorecards"`
	// Analyses, set only when the calls the report covers were measured by
	// more than one audio analysis (some not re-inspected since an
	// upgrade), counts them per analysis, the most calls first.
	Analyses []store.AnalysisCalls `json:"analyses,omitempty"`
}

// omitted counts the calls a report on f leaves out.
func omitted(ctx context.Context, st omissionSource, f store.ReportFilter) (Omitted, error) {
	n, per, err := st.OtherScorecards(ctx, f)
	if err != nil {
		return Omitted{}, fmt.Errorf("report: %w", err)
	}
	if per == nil {
		per = []store.ScorecardCalls{}
	}
	ans, err := st.Analyses(ctx, f)
	if err != nil {
		return Omitted{}, fmt.Errorf("report: %w", err)
	}
	if len(ans) < 2 {
		ans = nil
	}
	return Omitted{Calls: n, Scorecards: per, Analyses: ans}, nil
}

// AnalysesNote is the sentence that tells the reader the report's calls
// were measured by different audio analyses, or "".
func (o Omitted) AnalysesNote() string {
	if len(o.Analyses) < 2 {
		return ""
	}
	var parts []string
	for _, a := range o.Analyses {
		parts = append(parts, fmt.Sprintf("%s（%d 通）", a.Analysis, a.Calls))
	}
	return "注意：本表的通话由不同版本的音频分析测得：" + strings.Join(parts, "，") +
		"。音频类规则（静音、抢话、语速、音量）的结果可能不一致；再次运行 callqa run（或 enqueue）会按当前版本重新质检旧结果"
}

// Note is the sentence that tells the reader about the omitted calls, or
// "" when there are none.
func (o Omitted) Note() string {
	if o.Calls == 0 {
		return ""
	}
	var vs, flags []string
	for _, c := range o.Scorecards {
		vs = append(vs, fmt.Sprintf("%s v%d（%d 通）", c.Scorecard.ID, c.Scorecard.Version, c.Calls))
		flags = append(flags, fmt.Sprintf("--scorecard-id %s --scorecard-version %d", c.Scorecard.ID, c.Scorecard.Version))
	}
	return fmt.Sprintf("注意：本期另有 %d 通通话只有其他评分表版本的质检结果，未计入本表：%s。查看请加 %s",
		o.Calls, strings.Join(vs, "，"), strings.Join(flags, " 或 "))
}

// PassRow is the pass rate of one group of calls.
type PassRow struct {
	// Group is the day, month, team, agent id or queue; Label is the
	// agent's name (else Group).
	Group string `json:"group"`
	Label string `json:"label"`
	// Inspected = Passed + Failed; Unprocessable calls are apart.
	Inspected     int `json:"inspected"`
	Passed        int `json:"passed"`
	Failed        int `json:"failed"`
	Unprocessable int `json:"unprocessable"`
	// PassRate is Passed/Inspected and AvgScore the mean score of the
	// inspected calls; both nil when none was inspected.
	PassRate *float64 `json:"pass_rate"`
	AvgScore *float64 `json:"avg_score"`
}

// PassTable is a pass-rate report.
type PassTable struct {
	Scorecard models.ScorecardRef `json:"scorecard"`
	By        string              `json:"by"`
	From      string              `json:"from,omitempty"`
	To        string              `json:"to,omitempty"`
	Rows      []PassRow           `json:"rows"`
	// Total sums every row (Group "合计").
	Total PassRow `json:"total"`
	// OtherScorecards are the calls of the range left out (another
	// scorecard version only).
	OtherScorecards Omitted `json:"other_scorecards"`
}

func passRow(g store.GroupCount) PassRow {
	r := PassRow{Group: g.Key, Label: g.Label, Inspected: g.Inspected, Passed: g.Passed,
		Failed: g.Failed(), Unprocessable: g.Unprocessable, PassRate: outcome.RatePtr(g.Passed, g.Inspected)}
	if g.Inspected > 0 {
		avg := math.Round(g.ScoreSum/float64(g.Inspected)*100) / 100
		r.AvgScore = &avg
	}
	return r
}

// PassRates builds the pass-rate report grouped by (ByDay, ByMonth, ByTeam,
// ByAgent or ByQueue). By day and by month, every day (month) from From
// (or the first with calls) to To (or the last with calls) has a row, with
// no pass rate when it had no calls.
func PassRates(ctx context.Context, st Store, o Options, by string) (*PassTable, error) {
	f, err := o.filter(ctx, st)
	if err != nil {
		return nil, err
	}
	groups, err := st.GroupCounts(ctx, f, by)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	if by == ByDay || by == ByMonth {
		if groups, err = fillPeriods(groups, by, o.From, o.To); err != nil {
			return nil, err
		}
	}
	om, err := omitted(ctx, st, f)
	if err != nil {
		return nil, err
	}
	t := &PassTable{Scorecard: f.Scorecard, By: by, From: o.From, To: o.To, Rows: make([]PassRow, 0, len(groups)), OtherScorecards: om}
	var total store.GroupCount
	for _, g := range groups {
		t.Rows = append(t.Rows, passRow(g))
		total.Inspected += g.Inspected
		total.Passed += g.Passed
		total.Unprocessable += g.Unprocessable
		total.ScoreSum += g.ScoreSum
	}
	total.Key, total.Label = "合计", "合计"
	t.Total = passRow(total)
	return t, nil
}

// fillPeriods adds the days (months) without calls between from and to.
func fillPeriods(groups []store.GroupCount, by, from, to string) ([]store.GroupCount, error) {
	layout, step := time.DateOnly, func(t time.Time) time.Time { return t.AddDate(0, 0, 1) }
	if by == ByMonth {
		layout, step = "2006-01", func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }
		if from != "" {
			from = from[:7]
		}
		if to != "" {
			to = to[:7]
		}
	}
	have := map[string]store.GroupCount{}
	for _, g := range groups {
		if _, err := time.Parse(layout, g.Key); err != nil {
			continue // a result without a usable date: kept below
		}
		have[g.Key] = g
		if from == "" || g.Key < from {
			from = g.Key
		}
		if to == "" || g.Key > to {
			to = g.Key
		}
	}
	if from == "" || to == "" {
		return groups, nil
	}
	start, err1 := time.Parse(layout, from)
	end, err2 := time.Parse(layout, to)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	var out []store.GroupCount
	for _, g := range groups {
		if _, ok := have[g.Key]; !ok {
			out = append(out, g)
		}
	}
	for d, n := start, 0; !d.After(end); d, n = step(d), n+1 {
		if n >= MaxPeriods {
			return nil, fmt.Errorf("report: range %s..%s: %w (more than %d periods)", from, to, ErrRangeTooLong, MaxPeriods)
		}
		k := d.Format(layout)
		g, ok := have[k]
		if !ok {
			g = store.GroupCount{Key: k, Label: k}
		}
		out = append(out, g)
	}
	return out, nil
}

// RuleRow is how often one rule flagged the inspected calls.
type RuleRow struct {
	Rule string `json:"rule"`
	Name string `json:"name"`
	// Calls counts the calls flagged, Hits every finding.
	Calls int `json:"calls"`
	Hits  int `json:"hits"`
	// Inspected is the number of inspected calls; HitRate = Calls/Inspected.
	Inspected int      `json:"inspected"`
	HitRate   *float64 `json:"hit_rate"`
	// Deduct is the total of points the rule cost; Vetoes the calls it
	// failed by veto.
	Deduct float64 `json:"deduct"`
	Vetoes int     `json:"vetoes"`
}

// RuleTable is the rule-hit report, most calls flagged first.
type RuleTable struct {
	Scorecard models.ScorecardRef `json:"scorecard"`
	From      string              `json:"from,omitempty"`
	To        string              `json:"to,omitempty"`
	Inspected int                 `json:"inspected"`
	Rows      []RuleRow           `json:"rows"`
	// OtherScorecards are the calls of the range left out (another
	// scorecard version only).
	OtherScorecards Omitted `json:"other_scorecards"`
}

// RuleHits builds the rule-hit report.
func RuleHits(ctx context.Context, st Store, o Options) (*RuleTable, error) {
	f, err := o.filter(ctx, st)
	if err != nil {
		return nil, err
	}
	counts, err := st.RuleCounts(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	inspected, _, err := totals(ctx, st, f)
	if err != nil {
		return nil, err
	}
	om, err := omitted(ctx, st, f)
	if err != nil {
		return nil, err
	}
	t := &RuleTable{Scorecard: f.Scorecard, From: o.From, To: o.To, Inspected: inspected, Rows: make([]RuleRow, 0, len(counts)), OtherScorecards: om}
	for _, c := range counts {
		t.Rows = append(t.Rows, RuleRow{Rule: c.Rule, Name: c.Name, Calls: c.Calls, Hits: c.Hits, Inspected: inspected,
			HitRate: outcome.RatePtr(c.Calls, inspected), Deduct: math.Round(c.Deduct*100) / 100, Vetoes: c.Vetoes})
	}
	return t, nil
}

// totals returns the inspected and passed calls selected by f.
func totals(ctx context.Context, st Store, f store.ReportFilter) (inspected, passed int, err error) {
	gs, err := st.GroupCounts(ctx, f, ByMonth)
	if err != nil {
		return 0, 0, fmt.Errorf("report: %w", err)
	}
	for _, g := range gs {
		inspected += g.Inspected
		passed += g.Passed
	}
	return inspected, passed, nil
}

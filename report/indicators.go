package report

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/outcome"
	"github.com/callqa/callqa/store"
	"github.com/callqa/callqa/workbench"
)

// Indicator keys: the names IndicatorOptions.Targets and Weights (and the
// CLI's --target NAME=VALUE, --weight NAME=VALUE) take. IndicatorDefByName
// also accepts the Chinese names.
const (
	IndicatorPass         = "pass"         // 质量控制合格率
	IndicatorComplaint    = "complaint"    // 投诉率
	IndicatorSatisfaction = "satisfaction" // 综合满意率
	IndicatorCost         = "cost"         // 成本控制情况
)

// Units of an indicator's target and values.
const (
	UnitRatio       = "ratio"     // 0.95 for 95 %
	UnitYuanPerHour = "yuan/hour" // yuan per answered hour
)

// IndicatorDef is one row of the evaluation table: what it measures, which
// way is better, and its default weight and target.
type IndicatorDef struct {
	Key  string
	Name string
	// LowerIsBetter scores weight × min(1, target/actual) (an actual of 0
	// earns the whole weight); otherwise weight × min(1, actual/target).
	LowerIsBetter bool
	// Unit is UnitRatio or UnitYuanPerHour.
	Unit string
	// Weight (points) and Target are the defaults.
	Weight, Target float64
	// Definition is the evaluation's definition, printed under the table.
	Definition string
}

// IndicatorDefs are the indicators callqa computes, in the order of the
// table, with their default weights and targets:
//
//   - 质量控制合格率: weight 10, target 95 % (the hotline's quality standard,
//     and callqa's default since the first report).
//   - 投诉率: weight 4, target 1 % at most: substantiated complaints are
//     rare on a well-run hotline (a few per thousand answered calls); 1 %
//     is a ceiling, not an aim. Lower is better.
//   - 综合满意率: weight 6, target 90 %: the level government service
//     hotlines are commonly held to for satisfied plus basically
//     satisfied callers.
//   - 成本控制情况: weight 5, target 100 yuan per answered hour: a fully
//     loaded seat (wages, social insurance, workplace and systems, about
//     8,000-10,000 yuan a month) over the 80-100 hours of calls an agent
//     answers in a month. Lower is better. A placeholder: set the target
//     from the project's budget (planned spend / planned answered hours).
//
// Weights are those of the evaluation table; every target is meant to be
// set from the year's evaluation (IndicatorOptions.Targets, the CLI's
// --target NAME=VALUE).
var IndicatorDefs = []IndicatorDef{
	{Key: IndicatorPass, Name: IndicatorName, Unit: UnitRatio, Weight: DefaultWeight, Target: DefaultTarget,
		Definition: "质量控制合格率 = 合格通话数 / 质检通话数（复核后：按复核结论，推翻的问题不扣分）"},
	{Key: IndicatorComplaint, Name: "投诉率", LowerIsBetter: true, Unit: UnitRatio, Weight: 4, Target: 0.01,
		Definition: "投诉率 = 成立的投诉电话数 / 接听总量，越低越好（机器：投诉规则命中的通话；复核后：其中投诉经复核确认成立的）"},
	{Key: IndicatorSatisfaction, Name: "综合满意率", Unit: UnitRatio, Weight: 6, Target: 0.90,
		Definition: "综合满意率 = （满意 + 基本满意）/ 参评通话数，来电人通话后评价；不涉及复核"},
	{Key: IndicatorCost, Name: "成本控制情况", LowerIsBetter: true, Unit: UnitYuanPerHour, Weight: 5, Target: 100,
		Definition: "成本控制情况 = 项目投入总量 / 热线接听总时间（元/小时），越低越好；不涉及复核"},
}

// IndicatorDefByName returns the indicator named by its key (pass,
// complaint, satisfaction, cost) or its Chinese name.
func IndicatorDefByName(name string) (IndicatorDef, bool) {
	for _, d := range IndicatorDefs {
		if name == d.Key || name == d.Name {
			return d, true
		}
	}
	return IndicatorDef{}, false
}

func indicatorKeys() string {
	var keys []string
	for _, d := range IndicatorDefs {
		keys = append(keys, d.Key)
	}
	return strings.Join(keys, ", ")
}

// IndicatorStore is what the indicator rows read from the results store
// (*store.Store).
type IndicatorStore interface {
	IndicatorCounts(ctx context.Context, f store.ReportFilter, by string) ([]store.IndicatorCount, error)
	LatestScorecard(ctx context.Context) (models.ScorecardRef, error)
	OtherScorecards(ctx context.Context, f store.ReportFilter) (int, []store.ScorecardCalls, error)
	Analyses(ctx context.Context, f store.ReportFilter) ([]store.AnalysisCalls, error)
}

// ReviewSource gives the reviewed pass rates (*workbench.Workbench): they
// need the scorecard, to re-score calls with overturned findings.
type ReviewSource interface {
	GroupedPassRates(ctx context.Context, sc *models.Scorecard, f workbench.CallFilter, groups ...string) (map[string][]workbench.PassRate, error)
}

var (
	_ IndicatorStore = (*store.Store)(nil)
	_ ReviewSource   = (*workbench.Workbench)(nil)
)

// IndicatorOptions configure the indicator rows. The zero value is the
// documented default: one group for the whole range, IndicatorDefs'
// weights and targets, 基本满意 counted as satisfied, no spend (no cost
// figure), no reviewed pass rate.
type IndicatorOptions struct {
	// By groups the rows by ByDay, ByMonth, ByTeam, ByAgent or ByQueue
	// ("" none); a total group always follows.
	By string
	// Targets and Weights override the defaults per indicator key
	// (IndicatorPass...). A ratio target is a ratio (0.95); the cost
	// target is yuan per answered hour.
	Targets, Weights map[string]float64
	// OnlySatisfied counts only 满意 in 综合满意率 (default: 满意 and 基本满意).
	OnlySatisfied bool
	// Spend is the project's spend over the range, in yuan; 0 gives no
	// cost per answered hour.
	Spend float64
	// Scorecard and Reviews give the reviewed pass rate: Scorecard must be
	// the report's scorecard version. Either nil: the reviewed pass rate
	// is unavailable (NoReviewReason says why). A Scorecard that declares
	// no complaint rule (indicator: complaint) makes 投诉率 unmeasurable;
	// one without any rule stands for a definition that is not known.
	Scorecard *models.Scorecard
	Reviews   ReviewSource
	// NoReviewReason is shown when the reviewed pass rate is unavailable
	// (default: no scorecard was given).
	NoReviewReason string
}

// Validate reports options that cannot work, naming the field.
func (o IndicatorOptions) Validate() error {
	if o.By != "" && !slices.Contains([]string{ByDay, ByMonth, ByTeam, ByAgent, ByQueue}, o.By) {
		return fmt.Errorf("indicator options: By %q (want day, month, team, agent or queue)", o.By)
	}
	for field, m := range map[string]map[string]float64{"Targets": o.Targets, "Weights": o.Weights} {
		for k, v := range m {
			d, ok := IndicatorDefByName(k)
			if !ok || k != d.Key {
				return fmt.Errorf("indicator options: %s: unknown indicator %q (want %s)", field, k, indicatorKeys())
			}
			switch {
			case math.IsNaN(v) || math.IsInf(v, 0):
				return fmt.Errorf("indicator options: %s[%s] must be a finite number, got %v", field, k, v)
			case field == "Weights" && v < 0:
				return fmt.Errorf("indicator options: Weights[%s] must be >= 0, got %v", k, v)
			case field == "Targets" && d.Unit == UnitRatio && !(v > 0 && v <= 1):
				return fmt.Errorf("indicator options: Targets[%s] must be a ratio in (0, 1], got %v", k, v)
			case field == "Targets" && !(v > 0):
				return fmt.Errorf("indicator options: Targets[%s] must be > 0, got %v", k, v)
			}
		}
	}
	if o.Spend < 0 || math.IsNaN(o.Spend) || math.IsInf(o.Spend, 0) {
		return fmt.Errorf("indicator options: Spend must be a finite number >= 0, got %v", o.Spend)
	}
	if (o.Scorecard == nil) != (o.Reviews == nil) {
		return errors.New("indicator options: Scorecard and Reviews go together")
	}
	return nil
}

// IndicatorTable is the evaluation table of a range: the indicator rows of
// the whole range (Total) and, with IndicatorOptions.By, of each group.
type IndicatorTable struct {
	Scorecard models.ScorecardRef `json:"scorecard"`
	From      string              `json:"from,omitempty"`
	To        string              `json:"to,omitempty"`
	By        string              `json:"by,omitempty"`
	// Spend is the project's spend over the range (yuan), when given.
	Spend *float64 `json:"spend,omitempty"`
	// SatisfactionCountsBasic says whether 基本满意 counts as satisfied.
	SatisfactionCountsBasic bool `json:"satisfaction_counts_basic"`
	// ReviewedPassRate says whether the reviewed pass rate was computed.
	ReviewedPassRate bool             `json:"reviewed_pass_rate"`
	Groups           []IndicatorGroup `json:"groups"`
	Total            IndicatorGroup   `json:"total"`
	// Notes are the definitions and what the reader must know (reviewed
	// figures unavailable, complaints awaiting review, calls left out).
	Notes []string `json:"notes"`
	// OtherScorecards are the calls of the range left out (another
	// scorecard version only).
	OtherScorecards Omitted `json:"other_scorecards"`
}

// IndicatorGroup is the indicator rows of one group of calls.
type IndicatorGroup struct {
	// Group is the day, month, team, agent id or queue ("合计" for the
	// total); Label the agent's name (else Group).
	Group  string          `json:"group"`
	Label  string          `json:"label"`
	Counts IndicatorCounts `json:"counts"`
	Rows   []IndicatorRow  `json:"rows"`
}

// IndicatorCounts are the counts behind a group's rows.
type IndicatorCounts struct {
	// Results = Answered + Unanswered (inspected and unprocessable).
	Results    int `json:"results"`
	Answered   int `json:"answered"`
	Unanswered int `json:"unanswered"`
	// Inspected, Passed, Unprocessable: the pass rate's; ReviewedPassed
	// and Verdicts (calls with a final verdict) nil when the reviewed
	// pass rate is unavailable.
	Inspected      int  `json:"inspected"`
	Passed         int  `json:"passed"`
	Unprocessable  int  `json:"unprocessable"`
	ReviewedPassed *int `json:"reviewed_passed"`
	Verdicts       *int `json:"verdicts"`
	// Complaint calls among the answered: flagged by a complaint rule =
	// confirmed + overturned + pending (awaiting review).
	ComplaintFlagged    int `json:"complaint_flagged"`
	ComplaintConfirmed  int `json:"complaint_confirmed"`
	ComplaintOverturned int `json:"complaint_overturned"`
	ComplaintPending    int `json:"complaint_pending"`
	// Survey answers of the answered calls; SurveyRate = Surveyed /
	// Answered (the response rate), nil without answered calls.
	Surveyed     int      `json:"surveyed"`
	Satisfied    int      `json:"satisfied"`
	Basic        int      `json:"basic"`
	Dissatisfied int      `json:"dissatisfied"`
	SurveyRate   *float64 `json:"survey_rate"`
	// AnsweredHours is the recorded duration of the answered calls,
	// AgentTalkHours the agent's talk time in them (hours, to 0.01).
	AnsweredHours  float64 `json:"answered_hours"`
	AgentTalkHours float64 `json:"agent_talk_hours"`
}

// IndicatorRow is one indicator of one group: its weight and target, the
// machine and reviewed values and the scores they earn, and the figures
// behind them. Values and scores are nil where they cannot be computed
// (nothing to divide by, no spend given, reviews unavailable).
type IndicatorRow struct {
	Indicator     string  `json:"indicator"` // IndicatorPass...
	Name          string  `json:"name"`
	LowerIsBetter bool    `json:"lower_is_better"`
	Unit          string  `json:"unit"`
	Weight        float64 `json:"weight"`
	Target        float64 `json:"target"`
	// Machine is the value from the machine's findings alone, Reviewed
	// the value after the reviewers' decisions (the same value for the
	// indicators reviews do not touch: satisfaction, cost).
	Machine       *float64 `json:"machine"`
	MachineScore  *float64 `json:"machine_score"`
	Reviewed      *float64 `json:"reviewed"`
	ReviewedScore *float64 `json:"reviewed_score"`
	// Numerator / Denominator = Machine, ReviewedNumerator / Denominator
	// = Reviewed: counts of calls, or yuan / hours for the cost.
	Numerator         *float64 `json:"numerator"`
	ReviewedNumerator *float64 `json:"reviewed_numerator"`
	Denominator       *float64 `json:"denominator"`
	// Detail says the counts in words (说明).
	Detail string `json:"detail"`
}

// indicatorSettings are the weights and targets in force.
type indicatorSettings struct {
	defs          []IndicatorDef
	onlySatisfied bool
	spend         float64
	// noComplaintRule: the scorecard is known and declares no complaint
	// rule, so 投诉率 cannot be measured.
	noComplaintRule bool
	reviewed        bool
	noReviewReason  string
}

// Indicators builds the evaluation table of the range: 质量控制合格率, 投诉率,
// 综合满意率 and 成本控制情况, each with its weight, target, machine and
// reviewed values and scores, for the whole range and per group.
func Indicators(ctx context.Context, st IndicatorStore, o Options, ind IndicatorOptions) (*IndicatorTable, error) {
	if err := ind.Validate(); err != nil {
		return nil, err
	}
	f, err := o.filter(ctx, st)
	if err != nil {
		return nil, err
	}
	set := indicatorSettings{onlySatisfied: ind.OnlySatisfied, spend: ind.Spend, noReviewReason: ind.NoReviewReason}
	for _, d := range IndicatorDefs {
		if v, ok := ind.Targets[d.Key]; ok {
			d.Target = v
		}
		if v, ok := ind.Weights[d.Key]; ok {
			d.Weight = v
		}
		set.defs = append(set.defs, d)
	}
	if sc := ind.Scorecard; sc != nil {
		if sc.ID != f.Scorecard.ID || sc.Version != f.Scorecard.Version {
			return nil, fmt.Errorf("report: the scorecard given is %s v%d, the report's %s v%d", sc.ID, sc.Version, f.Scorecard.ID, f.Scorecard.Version)
		}
		set.reviewed = true
		// A scorecard without rules stands for one whose definition is
		// unknown (the workbench's, for results of a scorecard it has no
		// file of): its complaint rules cannot be checked.
		set.noComplaintRule = len(sc.Rules) > 0 &&
			!slices.ContainsFunc(sc.Rules, func(r models.Rule) bool { return r.Indicator == models.IndicatorComplaint })
	}
	if set.noReviewReason == "" {
		set.noReviewReason = fmt.Sprintf("未提供评分表 %s v%d", f.Scorecard.ID, f.Scorecard.Version)
	}

	totals, err := st.IndicatorCounts(ctx, f, store.GroupAll)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	if len(totals) != 1 {
		return nil, fmt.Errorf("report: indicator totals: %d groups, want 1", len(totals))
	}
	var groups []store.IndicatorCount
	if ind.By != "" {
		if groups, err = st.IndicatorCounts(ctx, f, ind.By); err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
	}
	var reviewed map[string][]workbench.PassRate
	if set.reviewed {
		by := []string{store.GroupAll}
		if ind.By != "" {
			by = append(by, ind.By)
		}
		cf := workbench.CallFilter{ScorecardID: f.Scorecard.ID, ScorecardVersion: f.Scorecard.Version, From: f.From, To: f.To}
		if reviewed, err = ind.Reviews.GroupedPassRates(ctx, ind.Scorecard, cf, by...); err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
	}
	reviewedOf := func(by, key string) *workbench.PassRate {
		if !set.reviewed {
			return nil
		}
		for _, p := range reviewed[by] {
			if p.Key == key {
				return &p
			}
		}
		return &workbench.PassRate{Key: key} // no inspected call in the group
	}
	om, err := omitted(ctx, st, f)
	if err != nil {
		return nil, err
	}

	t := &IndicatorTable{Scorecard: f.Scorecard, From: o.From, To: o.To, By: ind.By, SatisfactionCountsBasic: !ind.OnlySatisfied,
		ReviewedPassRate: set.reviewed, Groups: []IndicatorGroup{}, OtherScorecards: om}
	if ind.Spend > 0 {
		t.Spend = &ind.Spend
	}
	for _, g := range groups {
		t.Groups = append(t.Groups, set.group(g, reviewedOf(ind.By, g.Key), false))
	}
	total := totals[0]
	total.Key, total.Label = "合计", "合计"
	t.Total = set.group(total, reviewedOf(store.GroupAll, ""), true)
	t.Notes = set.notes(t, om)
	return t, nil
}

// group computes the rows of one group; the spend applies to the total
// only (it is the range's).
func (s indicatorSettings) group(c store.IndicatorCount, rv *workbench.PassRate, total bool) IndicatorGroup {
	counts := IndicatorCounts{Results: c.Results, Answered: c.Answered, Unanswered: c.Results - c.Answered,
		Inspected: c.Inspected, Passed: c.Passed, Unprocessable: c.Unprocessable,
		ComplaintFlagged: c.ComplaintFlagged, ComplaintConfirmed: c.ComplaintConfirmed,
		ComplaintOverturned: c.ComplaintOverturned(), ComplaintPending: c.ComplaintPending,
		Surveyed: c.Surveyed, Satisfied: c.Satisfied, Basic: c.Basic, Dissatisfied: c.Dissatisfied,
		SurveyRate: outcome.RatePtr(c.Surveyed, c.Answered), AnsweredHours: hours(c.AnsweredS), AgentTalkHours: hours(c.AgentTalkS)}
	if rv != nil {
		counts.ReviewedPassed, counts.Verdicts = &rv.ReviewedPassed, &rv.Verdicts
	}
	g := IndicatorGroup{Group: c.Key, Label: c.Label, Counts: counts}
	for _, d := range s.defs {
		g.Rows = append(g.Rows, s.row(d, c, counts, total))
	}
	return g
}

// hours converts seconds to hours, to 0.01.
func hours(s float64) float64 { return math.Round(s/3600*100) / 100 }

func fptr(v float64) *float64 { return &v }

// indicatorScore is weight × attainment: min(1, actual/target), or
// min(1, target/actual) when lower is better (an actual of 0 attains
// fully), to 0.01; nil without an actual.
func indicatorScore(d IndicatorDef, actual *float64) *float64 {
	if actual == nil {
		return nil
	}
	a := 1.0
	switch {
	case d.LowerIsBetter && *actual > 0:
		a = math.Min(1, d.Target / *actual)
	case !d.LowerIsBetter:
		a = math.Min(1, *actual/d.Target)
	}
	return fptr(math.Round(d.Weight*a*100) / 100)
}

// pctText renders a ratio as the tables do (95.0%), "—" for none.
func pctText(r *float64) string {
	if r == nil {
		return "—"
	}
	return pctCell(*r).String()
}

// row computes one indicator of one group.
func (s indicatorSettings) row(d IndicatorDef, c store.IndicatorCount, n IndicatorCounts, total bool) IndicatorRow {
	r := IndicatorRow{Indicator: d.Key, Name: d.Name, LowerIsBetter: d.LowerIsBetter, Unit: d.Unit, Weight: d.Weight, Target: d.Target}
	count := func(v int) *float64 { return fptr(float64(v)) }
	sameReviewed := func() {
		r.Reviewed, r.ReviewedNumerator = r.Machine, r.Numerator
	}
	switch d.Key {
	case IndicatorPass:
		r.Numerator, r.Denominator, r.Machine = count(c.Passed), count(c.Inspected), outcome.RatePtr(c.Passed, c.Inspected)
		r.Detail = fmt.Sprintf("质检 %d 通，合格 %d 通，无法处理 %d 通", c.Inspected, c.Passed, c.Unprocessable)
		if n.ReviewedPassed != nil {
			r.ReviewedNumerator, r.Reviewed = count(*n.ReviewedPassed), outcome.RatePtr(*n.ReviewedPassed, c.Inspected)
			r.Detail += fmt.Sprintf("；复核后合格 %d 通（复核结论 %d 通）", *n.ReviewedPassed, *n.Verdicts)
		} else {
			r.Detail += "；复核后数值不可用：" + s.noReviewReason
		}
	case IndicatorComplaint:
		r.Detail = fmt.Sprintf("接听 %d 通", c.Answered)
		if n.Unanswered > 0 {
			r.Detail += fmt.Sprintf("（另有未接听 %d 通，不计）", n.Unanswered)
		}
		if s.noComplaintRule {
			r.Detail += "；评分表没有声明投诉规则（indicator: complaint），无法计算"
			break
		}
		r.Numerator, r.ReviewedNumerator, r.Denominator = count(c.ComplaintFlagged), count(c.ComplaintConfirmed), count(c.Answered)
		r.Machine, r.Reviewed = outcome.RatePtr(c.ComplaintFlagged, c.Answered), outcome.RatePtr(c.ComplaintConfirmed, c.Answered)
		r.Detail += fmt.Sprintf("；疑似投诉 %d 通：成立 %d、推翻 %d、待复核 %d", c.ComplaintFlagged, c.ComplaintConfirmed,
			n.ComplaintOverturned, c.ComplaintPending)
	case IndicatorSatisfaction:
		num, how := c.Satisfied+c.Basic, "基本满意计入"
		if s.onlySatisfied {
			num, how = c.Satisfied, "只计满意"
		}
		r.Numerator, r.Denominator, r.Machine = count(num), count(c.Surveyed), outcome.RatePtr(num, c.Surveyed)
		sameReviewed()
		r.Detail = fmt.Sprintf("参评 %d 通（参评率 %s）：满意 %d、基本满意 %d、不满意 %d；%s",
			c.Surveyed, pctText(n.SurveyRate), c.Satisfied, c.Basic, c.Dissatisfied, how)
	case IndicatorCost:
		h := c.AnsweredS / 3600
		r.Denominator = fptr(n.AnsweredHours)
		r.Detail = fmt.Sprintf("接听总时长 %s 小时，坐席通话 %s 小时", numCell(n.AnsweredHours).String(), numCell(n.AgentTalkHours).String())
		switch {
		case !total:
			r.Detail += "（项目投入按全期计，见合计）"
		case s.spend == 0:
			r.Detail += "；未给出项目投入（--spend），不计成本"
		case h == 0:
			r.Numerator = fptr(s.spend)
			r.Detail += fmt.Sprintf("；项目投入 %s 元，没有接听时长，不计成本", numCell(s.spend).String())
		default:
			r.Numerator = fptr(s.spend)
			r.Machine = fptr(math.Round(s.spend/h*100) / 100)
			sameReviewed()
			r.Detail += fmt.Sprintf("；项目投入 %s 元", numCell(s.spend).String())
		}
	}
	switch {
	case d.Unit == UnitYuanPerHour:
		r.Detail = "元/小时，越低越好；" + r.Detail
	case d.LowerIsBetter:
		r.Detail = "越低越好；" + r.Detail
	}
	r.MachineScore, r.ReviewedScore = indicatorScore(d, r.Machine), indicatorScore(d, r.Reviewed)
	return r
}

// notes are the sentences under the table.
func (s indicatorSettings) notes(t *IndicatorTable, om Omitted) []string {
	var out []string
	for _, d := range s.defs {
		out = append(out, d.Definition)
	}
	if !s.reviewed {
		out = append(out, "复核后合格率不可用："+s.noReviewReason+"（复核后合格率要按评分表重新计分：callqa report --indicator --scorecard FILE）")
	}
	if p := t.Total.Counts.ComplaintPending; p > 0 && !s.noComplaintRule {
		out = append(out, fmt.Sprintf("尚有 %d 通疑似投诉待复核：复核后投诉率只计已确认成立的投诉", p))
	}
	return append(out, notes(om)...)
}

// Sheet lays the table out: one row per indicator, per group then the
// total (合计), with the definitions as notes.
func (t *IndicatorTable) Sheet() Sheet {
	var h []string
	if t.By != "" {
		h = append(h, groupHeaders[t.By])
		if t.By == ByAgent {
			h = append(h, "坐席姓名")
		}
	}
	h = append(h, "指标名称", "权重", "目标值", "实际值（机器）", "得分（机器）", "实际值（复核后）", "得分（复核后）",
		"分子（机器）", "分子（复核后）", "分母", "说明")
	s := Sheet{Name: "考核指标", Headers: h, Notes: t.Notes,
		Title: fmt.Sprintf("年度考核指标（评分表 %s v%d，%s）", t.Scorecard.ID, t.Scorecard.Version, period(t.From, t.To))}
	add := func(g IndicatorGroup) {
		for _, r := range g.Rows {
			var cells []Cell
			if t.By != "" {
				group := g.Group
				if group == "" {
					group = "(未填)"
				}
				cells = append(cells, textCell(group))
				if t.By == ByAgent {
					label := g.Label
					if label == g.Group {
						label = ""
					}
					cells = append(cells, textCell(label))
				}
			}
			value, target, count := Percent, pctCell(r.Target), Integer
			if r.Unit != UnitRatio {
				value, target, count = Number, numCell(r.Target), Number
			}
			cells = append(cells, textCell(r.Name), numCell(r.Weight), target,
				optCell(value, r.Machine), optCell(Number, r.MachineScore), optCell(value, r.Reviewed), optCell(Number, r.ReviewedScore),
				optCell(count, r.Numerator), optCell(count, r.ReviewedNumerator), optCell(Number, r.Denominator), textCell(r.Detail))
			s.Rows = append(s.Rows, cells)
		}
	}
	for _, g := range t.Groups {
		add(g)
	}
	add(t.Total)
	return s
}

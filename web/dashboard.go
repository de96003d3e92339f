package web

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/outcome"
	"github.com/callqa/callqa/report"
	"github.com/callqa/callqa/store"
	"github.com/callqa/callqa/workbench"
)

// rateRow is one row of a pass-rate table: the machine figures from the
// results store's report query and the reviewed figures beside them.
type rateRow struct {
	Key, Label     string
	Inspected      int
	Passed         int
	Unprocessable  int
	AvgScore       float64
	Rate           float64
	ReviewedPassed int
	ReviewedRate   float64
	Verdicts       int
}

// ruleRow is one rule's hit rate and overturn rate.
type ruleRow struct {
	Rule, Name   string
	Calls, Hits  int
	HitRate      float64 // calls flagged / calls inspected
	Deduct       float64
	Vetoes       int
	Reviewed     int
	Overturned   int
	OverturnRate float64
}

// indicatorRow is the evaluation indicator (质量控制合格率).
type indicatorRow struct {
	Name          string
	Weight        float64
	Target        float64
	MachineRate   float64 // the actual value of `callqa report`
	MachineScore  float64
	ReviewedRate  float64 // after reviews
	ReviewedScore float64
	Calls         int
}

// indicatorLine is one evaluation indicator as the dashboard shows it:
// its values written with their unit.
type indicatorLine struct {
	Name                        string
	Weight                      float64
	Target, Machine, Reviewed   string
	MachineScore, ReviewedScore float64
	Detail                      string
}

type dashboard struct {
	Card      *served
	From, To  string
	Scorecard models.ScorecardRef
	Total     rateRow
	Indicator indicatorRow
	// Indicators are the evaluation indicators of the range (report's
	// table, the same as callqa report --indicator), Lines their rows for
	// the page, Spend the project's spend the page was given (yuan, 0
	// none).
	Indicators *report.IndicatorTable
	Lines      []indicatorLine
	Spend      float64
	Days       []rateRow
	DayRows    []dayRow // Days with the runs of empty days collapsed
	Teams      []rateRow
	Agents     []rateRow
	Queues     []rateRow
	Rules      []ruleRow
	Trend      template.HTML
	// Exports are the export links of each table (exportTables), with the
	// dashboard's dates.
	Exports map[string]exportLinks
}

// exportLinks are the CSV and XLSX links of one table.
type exportLinks struct{ CSV, XLSX string }

// exportURL is the link of a table's export with the dates and the
// scorecard version of the dashboard (sv, when not the default).
func exportURL(table, format, from, to string, sv *served) string {
	q := url.Values{"format": {format}}
	if !sv.Default {
		q.Set(scorecardParam, refParam(sv.Ref))
	}
	if from != "" {
		q.Set("from", from)
	}
	if to != "" {
		q.Set("to", to)
	}
	return "/export/" + url.PathEscape(table) + "?" + q.Encode()
}

// opt turns an optional ratio of the report package into NaN when absent.
func opt(v *float64) float64 {
	if v == nil {
		return math.NaN()
	}
	return *v
}

// Parts of the dashboard dashboardData computes: the tables of
// exportTables, and the total row.
const partTotal = "total"

// dashFilter reads the dashboard's date range. Without from and to, it is
// the current month in the hotline's time zone, so that neither the page
// nor an export loads every call ever inspected.
func (s *Server) dashFilter(q url.Values, sv *served) (workbench.CallFilter, error) {
	for k := range q {
		if k != "from" && k != "to" && k != "format" && k != "spend" && k != scorecardParam {
			return workbench.CallFilter{}, badf("未知参数 %q", k)
		}
	}
	cf, err := s.callFilter(url.Values{"from": {q.Get("from")}, "to": {q.Get("to")}}, sv)
	if err != nil {
		return cf, err
	}
	if cf.From == "" && cf.To == "" {
		cf.From, cf.To = monthOf(s.today())
	}
	if cf.From != "" && cf.To != "" {
		from, _ := time.Parse(time.DateOnly, cf.From)
		to, _ := time.Parse(time.DateOnly, cf.To)
		if days := int(to.Sub(from).Hours()/24) + 1; days > report.MaxPeriods {
			return cf, rangeTooLong()
		}
	}
	return cf, nil
}

// rangeTooLong is the message of a date range longer than a report by day
// fills in.
func rangeTooLong() error {
	return badf("日期范围过长：按日统计最多 %d 天（约 10 年），请缩小起止日期", report.MaxPeriods)
}

// monthOf returns the first and last date of t's month.
func monthOf(t time.Time) (from, to string) {
	first := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, t.Location())
	return first.Format(time.DateOnly), first.AddDate(0, 1, -1).Format(time.DateOnly)
}

// dashboardData computes the tables of the dashboard named in parts
// (exportTables, partTotal; none means all) for a date range: the machine
// figures come from the report package (the same numbers as `callqa
// report`), the reviewed ones from the workbench store. A table's total row
// and the indicator's reviewed rate need the total.
func (s *Server) dashboardData(r *http.Request, parts ...string) (*dashboard, error) {
	sv, err := s.scorecardFor(r)
	if err != nil {
		return nil, err
	}
	cf, err := s.dashFilter(r.URL.Query(), sv)
	if err != nil {
		return nil, err
	}
	want := func(p string) bool { return len(parts) == 0 || slices.Contains(parts, p) }
	needTotal := want(partTotal) || want("indicator") || want("days") || want("teams") || want("agents") || want("queues")
	ctx := r.Context()
	ref := sv.Ref
	ro := report.Options{Scorecard: ref, From: cf.From, To: cf.To}
	d := &dashboard{Card: sv, From: cf.From, To: cf.To, Scorecard: ref, Exports: map[string]exportLinks{}}
	for _, t := range exportTables {
		d.Exports[t] = exportLinks{CSV: exportURL(t, report.FormatCSV, cf.From, cf.To, sv), XLSX: exportURL(t, report.FormatXLSX, cf.From, cf.To, sv)}
	}

	groups := []struct {
		table, by string
		dst       *[]rateRow
	}{
		{"days", report.ByDay, &d.Days},
		{"teams", report.ByTeam, &d.Teams},
		{"agents", report.ByAgent, &d.Agents},
		{"queues", report.ByQueue, &d.Queues},
	}
	// The reviewed figures of the total and of the tables wanted, grouped
	// by the database (a month is hundreds of thousands of calls).
	var reviewedBy map[string][]workbench.PassRate
	if needTotal {
		by := []string{store.GroupAll}
		for _, g := range groups {
			if want(g.table) {
				by = append(by, g.by)
			}
		}
		if reviewedBy, err = s.wb.GroupedPassRates(ctx, sv.Scorecard, cf, by...); err != nil {
			return nil, err
		}
	}
	row := func(pr report.PassRow, rv workbench.PassRate) rateRow {
		x := rateRow{Key: pr.Group, Label: pr.Label, Inspected: pr.Inspected, Passed: pr.Passed,
			Unprocessable: pr.Unprocessable, AvgScore: opt(pr.AvgScore), Rate: opt(pr.PassRate),
			ReviewedPassed: rv.ReviewedPassed, Verdicts: rv.Verdicts, ReviewedRate: math.NaN()}
		if x.Label == "" {
			x.Label = "（未填）"
		}
		if r, ok := outcome.Rate(rv.ReviewedPassed, pr.Inspected); ok {
			x.ReviewedRate = r
		}
		return x
	}
	haveTotal := false
	for _, g := range groups {
		if !want(g.table) && (haveTotal || !needTotal) {
			continue
		}
		t, err := report.PassRates(ctx, s.store, ro, g.by)
		if err != nil {
			return nil, err
		}
		if !haveTotal {
			all := reviewedBy[store.GroupAll]
			var total workbench.PassRate
			if len(all) == 1 {
				total = all[0]
			}
			d.Total, haveTotal = row(t.Total, total), true
		}
		if !want(g.table) {
			continue
		}
		reviewed := map[string]workbench.PassRate{}
		for _, p := range reviewedBy[g.by] {
			reviewed[p.Key] = p
		}
		for _, pr := range t.Rows {
			*g.dst = append(*g.dst, row(pr, reviewed[pr.Group]))
		}
	}

	if want("indicator") {
		if d.Spend, err = parseSpend(r.URL.Query().Get("spend")); err != nil {
			return nil, err
		}
		if d.Spend > 0 {
			l := d.Exports["indicator"]
			sp := "&spend=" + url.QueryEscape(strconv.FormatFloat(d.Spend, 'f', -1, 64))
			d.Exports["indicator"] = exportLinks{CSV: l.CSV + sp, XLSX: l.XLSX + sp}
		}
		ind := s.cfg.Indicator
		opts := report.IndicatorOptions{Targets: map[string]float64{}, Weights: map[string]float64{},
			OnlySatisfied: s.cfg.Indicators.OnlySatisfied, Spend: d.Spend, Scorecard: sv.Scorecard,
			Reviews: knownRates{ReviewSource: s.wb, sc: sv.Scorecard, cf: cf, rates: reviewedBy}}
		for k, v := range s.cfg.Indicators.Targets {
			opts.Targets[k] = v
		}
		for k, v := range s.cfg.Indicators.Weights {
			opts.Weights[k] = v
		}
		opts.Targets[report.IndicatorPass], opts.Weights[report.IndicatorPass] = ind.Target, ind.Weight
		if !sv.Exact && sv.Basis.ID == "" {
			opts.NoReviewReason = fmt.Sprintf("本服务没有评分表 %s v%d 的定义文件", sv.Ref.ID, sv.Ref.Version)
		}
		tab, err := report.Indicators(ctx, s.store, ro, opts)
		if err != nil {
			return nil, err
		}
		d.Indicators, d.Lines = tab, indicatorLines(tab.Total.Rows)
		row := tab.Total.Rows[0] // 质量控制合格率
		d.Indicator = indicatorRow{Name: ind.Name, Weight: row.Weight, Target: row.Target, Calls: tab.Total.Counts.Inspected,
			MachineRate: opt(row.Machine), MachineScore: opt(row.MachineScore), ReviewedRate: opt(row.Reviewed), ReviewedScore: opt(row.ReviewedScore)}
	}

	if want("rules") {
		if err := s.ruleRows(ctx, d, ro, cf); err != nil {
			return nil, err
		}
	}
	if want("days") {
		d.Trend = trendSVG(d.Days)
		d.DayRows = collapseDays(d.Days)
	}
	return d, nil
}

// dayRow is a row of the dashboard's daily table: a day with calls, or a
// run of days without any (Gap), collapsed into one row.
type dayRow struct {
	rateRow
	Gap            bool
	GapFrom, GapTo string
	GapDays        int
}

// collapseDays folds each run of days without a call (inspected or
// unprocessable) into one row, so that a month with calls on a few days
// is a few rows; the exports keep every day.
func collapseDays(days []rateRow) []dayRow {
	var out []dayRow
	for _, d := range days {
		if d.Inspected > 0 || d.Unprocessable > 0 {
			out = append(out, dayRow{rateRow: d})
			continue
		}
		if n := len(out); n > 0 && out[n-1].Gap {
			out[n-1].GapTo = d.Key
			out[n-1].GapDays++
			continue
		}
		out = append(out, dayRow{Gap: true, GapFrom: d.Key, GapTo: d.Key, GapDays: 1})
	}
	return out
}

// parseSpend reads the dashboard's spend parameter: the project's spend
// over the dates shown, in yuan ("" none).
func parseSpend(v string) (float64, error) {
	if v == "" {
		return 0, nil
	}
	x, err := strconv.ParseFloat(v, 64)
	if err != nil || x < 0 || math.IsNaN(x) || math.IsInf(x, 0) || len(v) > 30 {
		return 0, badf("参数 spend=%q 应为项目投入的金额（元，不小于 0）", v)
	}
	return x, nil
}

// indicatorLines writes the indicator rows for the page: ratios as
// percentages, the cost in yuan per hour.
func indicatorLines(rows []report.IndicatorRow) []indicatorLine {
	out := make([]indicatorLine, 0, len(rows))
	for _, r := range rows {
		value := func(v *float64) string {
			switch {
			case v == nil:
				return ""
			case r.Unit == report.UnitRatio:
				return pct(*v).String()
			}
			return num(*v).String() + " 元/小时"
		}
		target := value(&r.Target)
		if r.LowerIsBetter {
			target = "≤ " + target
		}
		out = append(out, indicatorLine{Name: r.Name, Weight: r.Weight, Target: target, Machine: value(r.Machine), Reviewed: value(r.Reviewed),
			MachineScore: opt(r.MachineScore), ReviewedScore: opt(r.ReviewedScore), Detail: r.Detail})
	}
	return out
}

// knownRates answers GroupedPassRates from the reviewed pass rates the
// dashboard has already computed, for the same scorecard and filter, so
// that the indicators do not count them again; anything else goes to the
// workbench.
type knownRates struct {
	report.ReviewSource
	sc    *models.Scorecard
	cf    workbench.CallFilter
	rates map[string][]workbench.PassRate
}

func (k knownRates) GroupedPassRates(ctx context.Context, sc *models.Scorecard, f workbench.CallFilter, groups ...string) (map[string][]workbench.PassRate, error) {
	if sc == k.sc && f == k.cf {
		out := map[string][]workbench.PassRate{}
		for _, g := range groups {
			rs, ok := k.rates[g]
			if !ok {
				return k.ReviewSource.GroupedPassRates(ctx, sc, f, groups...)
			}
			out[g] = rs
		}
		return out, nil
	}
	return k.ReviewSource.GroupedPassRates(ctx, sc, f, groups...)
}

// ruleRows fills the rule table: hit rates from the report package,
// overturn rates from the reviews of the findings counted.
func (s *Server) ruleRows(ctx context.Context, d *dashboard, ro report.Options, cf workbench.CallFilter) error {
	rules, err := report.RuleHits(ctx, s.store, ro)
	if err != nil {
		return err
	}
	overturns, err := s.wb.OverturnRates(ctx, cf)
	if err != nil {
		return err
	}
	ov := map[string]workbench.RuleOverturn{}
	for _, o := range overturns {
		ov[o.Rule] = o
	}
	seen := map[string]bool{}
	for _, rc := range rules.Rows {
		o := ov[rc.Rule]
		x := ruleRow{Rule: rc.Rule, Name: rc.Name, Calls: rc.Calls, Hits: rc.Hits, HitRate: opt(rc.HitRate),
			Deduct: rc.Deduct, Vetoes: rc.Vetoes, Reviewed: o.Reviewed, Overturned: o.Overturned, OverturnRate: math.NaN()}
		if o.Reviewed > 0 {
			x.OverturnRate = o.Rate
		}
		seen[rc.Rule] = true
		d.Rules = append(d.Rules, x)
	}
	for _, o := range overturns {
		if !seen[o.Rule] { // a rule RuleHits does not list
			d.Rules = append(d.Rules, ruleRow{Rule: o.Rule, Name: o.Rule, HitRate: math.NaN(), Reviewed: o.Reviewed,
				Overturned: o.Overturned, OverturnRate: o.Rate})
		}
	}
	return nil
}

func (s *Server) dashboardPage(w http.ResponseWriter, r *http.Request) {
	d, err := s.dashboardData(r)
	if err != nil {
		s.failFilter(w, r, err)
		return
	}
	s.rememberScorecard(w, r, d.Card)
	s.render(w, r, http.StatusOK, "dashboard", "合格率看板", d)
}

func pct(v float64) report.Cell {
	if math.IsNaN(v) {
		return report.Cell{Kind: report.Percent, Empty: true}
	}
	return report.Cell{Kind: report.Percent, Num: v}
}

func num(v float64) report.Cell {
	if math.IsNaN(v) {
		return report.Cell{Kind: report.Number, Empty: true}
	}
	return report.Cell{Kind: report.Number, Num: v}
}

func integer(n int) report.Cell { return report.Cell{Kind: report.Integer, Num: float64(n)} }
func text(s string) report.Cell { return report.Cell{Kind: report.Text, Text: s} }

func (d *dashboard) period() string {
	if d.From == "" && d.To == "" {
		return "全部日期"
	}
	return d.From + " ~ " + d.To
}

func (d *dashboard) rateSheet(name, keyHeader string, rows []rateRow) report.Sheet {
	sh := report.Sheet{Name: name, Title: fmt.Sprintf("%s（评分表 %s v%d，%s）", name, d.Scorecard.ID, d.Scorecard.Version, d.period()),
		Headers: []string{keyHeader, "名称", "质检数", "机器合格数", "机器合格率", "复核后合格数", "复核后合格率", "复核结论数", "平均分", "无法处理"}}
	for _, r := range append(append([]rateRow{}, rows...), d.Total) {
		sh.Rows = append(sh.Rows, []report.Cell{text(r.Key), text(r.Label), integer(r.Inspected), integer(r.Passed), pct(r.Rate),
			integer(r.ReviewedPassed), pct(r.ReviewedRate), integer(r.Verdicts), num(r.AvgScore), integer(r.Unprocessable)})
	}
	sh.Rows[len(sh.Rows)-1][0] = text("合计")
	return sh
}

// exportTables are the tables /export/{table} serves.
var exportTables = []string{"days", "teams", "agents", "queues", "rules", "indicator"}

// sheet lays out one dashboard table for export.
func (d *dashboard) sheet(name string) (report.Sheet, bool) {
	switch name {
	case "days":
		return d.rateSheet("按日合格率", "日期", d.Days), true
	case "teams":
		return d.rateSheet("按班组合格率", "班组", d.Teams), true
	case "agents":
		return d.rateSheet("按坐席合格率", "坐席工号", d.Agents), true
	case "queues":
		return d.rateSheet("按队列合格率", "队列", d.Queues), true
	case "rules":
		sh := report.Sheet{Name: "规则命中与推翻率", Title: fmt.Sprintf("规则命中率与推翻率（评分表 %s v%d，%s）", d.Scorecard.ID, d.Scorecard.Version, d.period()),
			Headers: []string{"规则", "名称", "命中通话数", "命中次数", "命中率", "扣分合计", "否决通话数", "复核数", "推翻数", "推翻率"}}
		for _, r := range d.Rules {
			sh.Rows = append(sh.Rows, []report.Cell{text(r.Rule), text(r.Name), integer(r.Calls), integer(r.Hits), pct(r.HitRate),
				num(r.Deduct), integer(r.Vetoes), integer(r.Reviewed), integer(r.Overturned), pct(r.OverturnRate)})
		}
		return sh, true
	case "indicator":
		// The same sheet as callqa report --indicator.
		return d.Indicators.Sheet(), true
	}
	return report.Sheet{}, false
}

// export serves one dashboard table as CSV (UTF-8 with BOM, for Excel) or
// XLSX with the report package's writers: /export/{table}?format=csv|xlsx&from=&to=
// (the current month without dates). It computes that table only.
func (s *Server) export(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("table")
	format := r.URL.Query().Get("format")
	if format == "" {
		format = report.FormatCSV
	}
	if format != report.FormatCSV && format != report.FormatXLSX {
		s.fail(w, r, http.StatusBadRequest, badf("format 应为 csv 或 xlsx"))
		return
	}
	if !slices.Contains(exportTables, name) {
		s.fail(w, r, http.StatusNotFound, badf("没有表格 %q（可选：%s）", name, strings.Join(exportTables, ", ")))
		return
	}
	d, err := s.dashboardData(r, name)
	if err != nil {
		s.failFilter(w, r, err)
		return
	}
	sh, _ := d.sheet(name)
	file := fmt.Sprintf("callqa-%s-%s-v%d", name, d.Scorecard.ID, d.Scorecard.Version)
	if d.From != "" || d.To != "" {
		file += "-" + d.From + "_" + d.To
	}
	var buf bytes.Buffer
	if format == report.FormatCSV {
		err = report.WriteCSV(&buf, sh)
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	} else {
		err = report.WriteXLSX(&buf, sh)
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	}
	if err != nil {
		w.Header().Del("Content-Type")
		s.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.%s"`, file, format))
	w.Write(buf.Bytes())
}

// trendSVG draws the daily machine and reviewed pass rates as two lines.
func trendSVG(days []rateRow) template.HTML {
	if len(days) == 0 {
		return ""
	}
	const W, H, L, R, T, B = 1000.0, 240.0, 44.0, 10.0, 12.0, 28.0
	pw, ph := W-L-R, H-T-B
	x := func(i int) float64 {
		if len(days) == 1 {
			return L + pw/2
		}
		return L + pw*float64(i)/float64(len(days)-1)
	}
	y := func(v float64) float64 { return T + ph*(1-v) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="trend" viewBox="0 0 %g %g" role="img" aria-label="合格率趋势" xmlns="http://www.w3.org/2000/svg">`, W, H)
	for _, v := range []float64{0, 0.25, 0.5, 0.75, 1} {
		fmt.Fprintf(&b, `<line class="grid" x1="%g" y1="%.1f" x2="%g" y2="%.1f"/><text class="ylab" x="%g" y="%.1f" text-anchor="end">%d%%</text>`,
			L, y(v), W-R, y(v), L-6, y(v)+4, int(v*100))
	}
	line := func(cls string, val func(rateRow) float64) {
		fmt.Fprintf(&b, `<polyline class="%s" points="`, cls)
		for i, d := range days {
			v := val(d)
			if math.IsNaN(v) {
				continue
			}
			fmt.Fprintf(&b, "%.1f,%.1f ", x(i), y(v))
		}
		b.WriteString(`"/>`)
		for i, d := range days {
			v := val(d)
			if math.IsNaN(v) {
				continue
			}
			fmt.Fprintf(&b, `<circle class="%s" cx="%.1f" cy="%.1f" r="3"><title>%s %.1f%%</title></circle>`,
				cls, x(i), y(v), template.HTMLEscapeString(d.Key), v*100)
		}
	}
	line("machine", func(d rateRow) float64 { return d.Rate })
	line("reviewed", func(d rateRow) float64 { return d.ReviewedRate })
	every := max(1, len(days)/10)
	for i, d := range days {
		if i%every == 0 || i == len(days)-1 {
			fmt.Fprintf(&b, `<text class="xlab" x="%.1f" y="%g" text-anchor="middle">%s</text>`, x(i), H-8, template.HTMLEscapeString(d.Key))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // #nosec: numbers and escaped text
}

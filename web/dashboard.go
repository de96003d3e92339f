package web

import (
	"encoding/csv"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/storage"
	"github.com/xuri/excelize/v2"
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
	Name         string
	Weight       float64
	Target       float64
	MachineRate  float64
	ReviewedRate float64
	Score        float64 // from the reviewed rate
	Calls        int
}

type dashboard struct {
	From, To  string
	Scorecard models.ScorecardRef
	Total     rateRow
	Indicator indicatorRow
	Days      []rateRow
	Teams     []rateRow
	Agents    []rateRow
	Queues    []rateRow
	Rules     []ruleRow
	Trend     template.HTML
	Query     string
}

// dashboardData computes every table of the dashboard for a date range.
func (s *Server) dashboardData(r *http.Request) (*dashboard, error) {
	q := r.URL.Query()
	for k := range q {
		if k != "from" && k != "to" && k != "format" {
			return nil, badf("未知参数 %q", k)
		}
	}
	cf, err := s.callFilter(url.Values{"from": {q.Get("from")}, "to": {q.Get("to")}})
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	ref := models.ScorecardRef{ID: s.sc.ID, Version: s.sc.Version}
	rf := storage.ReportFilter{Scorecard: ref, From: cf.From, To: cf.To}
	outcomes, err := s.wb.Outcomes(ctx, cf)
	if err != nil {
		return nil, err
	}
	d := &dashboard{From: cf.From, To: cf.To, Scorecard: ref}
	enc := url.Values{}
	if cf.From != "" {
		enc.Set("from", cf.From)
	}
	if cf.To != "" {
		enc.Set("to", cf.To)
	}
	d.Query = enc.Encode()

	groups := []struct {
		by  string
		key func(storage.CallOutcome) (string, string)
		dst *[]rateRow
	}{
		{storage.GroupDay, func(o storage.CallOutcome) (string, string) { return o.CallDate, "" }, &d.Days},
		{storage.GroupTeam, func(o storage.CallOutcome) (string, string) { return o.Team, "" }, &d.Teams},
		{storage.GroupAgent, func(o storage.CallOutcome) (string, string) { return o.AgentID, o.AgentName }, &d.Agents},
		{storage.GroupQueue, func(o storage.CallOutcome) (string, string) { return o.Queue, "" }, &d.Queues},
	}
	for _, g := range groups {
		counts, err := s.store.GroupCounts(ctx, rf, g.by)
		if err != nil {
			return nil, err
		}
		reviewed := map[string]storage.PassRate{}
		for _, p := range storage.GroupPassRates(outcomes, g.key) {
			reviewed[p.Key] = p
		}
		for _, c := range counts {
			row := rateRow{Key: c.Key, Label: c.Label, Inspected: c.Inspected, Passed: c.Passed, Unprocessable: c.Unprocessable}
			if row.Label == "" {
				row.Label = "（未填）"
			}
			if c.Inspected > 0 {
				row.AvgScore = c.ScoreSum / float64(c.Inspected)
				row.Rate = float64(c.Passed) / float64(c.Inspected)
			} else {
				row.Rate, row.ReviewedRate = math.NaN(), math.NaN()
			}
			if p, ok := reviewed[c.Key]; ok {
				row.ReviewedPassed, row.Verdicts = p.ReviewedPassed, p.Verdicts
				row.ReviewedRate = p.ReviewedRate
			}
			*g.dst = append(*g.dst, row)
		}
	}
	d.Total = rateRow{Key: "all", Label: "合计"}
	var scoreSum float64
	for _, row := range d.Days {
		d.Total.Inspected += row.Inspected
		d.Total.Passed += row.Passed
		d.Total.Unprocessable += row.Unprocessable
		d.Total.ReviewedPassed += row.ReviewedPassed
		d.Total.Verdicts += row.Verdicts
		scoreSum += row.AvgScore * float64(row.Inspected)
	}
	d.Total.Rate, d.Total.ReviewedRate = math.NaN(), math.NaN()
	if n := float64(d.Total.Inspected); n > 0 {
		d.Total.Rate = float64(d.Total.Passed) / n
		d.Total.ReviewedRate = float64(d.Total.ReviewedPassed) / n
		d.Total.AvgScore = scoreSum / n
	}
	ind := s.cfg.Indicator
	d.Indicator = indicatorRow{Name: ind.Name, Weight: ind.Weight, Target: ind.Target,
		MachineRate: d.Total.Rate, ReviewedRate: d.Total.ReviewedRate, Calls: d.Total.Inspected}
	if d.Total.Inspected > 0 {
		d.Indicator.Score = math.Round(ind.Weight*math.Min(1, d.Total.ReviewedRate/ind.Target)*100) / 100
	}

	rules, err := s.store.RuleCounts(ctx, rf)
	if err != nil {
		return nil, err
	}
	overturns, err := s.wb.OverturnRates(ctx, cf)
	if err != nil {
		return nil, err
	}
	ov := map[string]storage.RuleOverturn{}
	for _, o := range overturns {
		ov[o.Rule] = o
	}
	seen := map[string]bool{}
	for _, rc := range rules {
		row := ruleRow{Rule: rc.Rule, Name: rc.Name, Calls: rc.Calls, Hits: rc.Hits, Deduct: rc.Deduct, Vetoes: rc.Vetoes}
		if d.Total.Inspected > 0 {
			row.HitRate = float64(rc.Calls) / float64(d.Total.Inspected)
		}
		o := ov[rc.Rule]
		row.Reviewed, row.Overturned, row.OverturnRate = o.Reviewed, o.Overturned, math.NaN()
		if o.Reviewed > 0 {
			row.OverturnRate = o.Rate
		}
		seen[rc.Rule] = true
		d.Rules = append(d.Rules, row)
	}
	for _, o := range overturns {
		if !seen[o.Rule] { // reviews of findings a newer version no longer makes
			d.Rules = append(d.Rules, ruleRow{Rule: o.Rule, Name: o.Rule, Reviewed: o.Reviewed, Overturned: o.Overturned, OverturnRate: o.Rate})
		}
	}
	d.Trend = trendSVG(d.Days)
	return d, nil
}

func (s *Server) dashboardPage(w http.ResponseWriter, r *http.Request) {
	d, err := s.dashboardData(r)
	if err != nil {
		s.failFilter(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "dashboard", "合格率看板", d)
}

// table is an exportable table.
type table struct {
	Name    string
	Headers []string
	Rows    [][]any
}

func f4(v float64) any {
	if math.IsNaN(v) {
		return ""
	}
	return math.Round(v*10000) / 10000
}

func rateTable(name, keyHeader string, rows []rateRow) table {
	t := table{Name: name, Headers: []string{keyHeader, "名称", "质检数", "机器合格数", "机器合格率", "复核后合格数", "复核后合格率", "已复核结论数", "平均分", "无法处理"}}
	for _, r := range rows {
		t.Rows = append(t.Rows, []any{r.Key, r.Label, r.Inspected, r.Passed, f4(r.Rate), r.ReviewedPassed, f4(r.ReviewedRate), r.Verdicts, f4(r.AvgScore), r.Unprocessable})
	}
	return t
}

// exportTables are the tables /export/{table} serves.
var exportTables = []string{"days", "teams", "agents", "queues", "rules", "indicator"}

func (d *dashboard) table(name string) (table, bool) {
	switch name {
	case "days":
		return rateTable("按日合格率", "日期", d.Days), true
	case "teams":
		return rateTable("按班组合格率", "班组", d.Teams), true
	case "agents":
		return rateTable("按坐席合格率", "坐席工号", d.Agents), true
	case "queues":
		return rateTable("按队列合格率", "队列", d.Queues), true
	case "rules":
		t := table{Name: "规则命中与推翻率", Headers: []string{"规则", "名称", "命中通话数", "命中次数", "命中率", "扣分合计", "否决通话数", "复核数", "推翻数", "推翻率"}}
		for _, r := range d.Rules {
			t.Rows = append(t.Rows, []any{r.Rule, r.Name, r.Calls, r.Hits, f4(r.HitRate), r.Deduct, r.Vetoes, r.Reviewed, r.Overturned, f4(r.OverturnRate)})
		}
		return t, true
	case "indicator":
		i := d.Indicator
		return table{Name: "考核指标", Headers: []string{"指标", "权重", "目标值", "机器合格率", "复核后合格率（实际值）", "得分", "质检数"},
			Rows: [][]any{{i.Name, i.Weight, i.Target, f4(i.MachineRate), f4(i.ReviewedRate), i.Score, i.Calls}}}, true
	}
	return table{}, false
}

// export serves one dashboard table as CSV (UTF-8 with BOM, for Excel) or
// XLSX: /export/{table}?format=csv|xlsx&from=&to=.
func (s *Server) export(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("table")
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "csv"
	}
	if format != "csv" && format != "xlsx" {
		s.fail(w, r, http.StatusBadRequest, badf("format 应为 csv 或 xlsx"))
		return
	}
	d, err := s.dashboardData(r)
	if err != nil {
		s.failFilter(w, r, err)
		return
	}
	t, ok := d.table(name)
	if !ok {
		s.fail(w, r, http.StatusNotFound, badf("没有表格 %q（可选：%s）", name, strings.Join(exportTables, ", ")))
		return
	}
	file := fmt.Sprintf("callqa-%s-%s", name, s.sc.ID)
	if d.From != "" || d.To != "" {
		file += "-" + d.From + "_" + d.To
	}
	switch format {
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.csv"`, file))
		w.Write([]byte("\ufeff"))
		cw := csv.NewWriter(w)
		cw.Write(t.Headers)
		for _, row := range t.Rows {
			rec := make([]string, len(row))
			for i, v := range row {
				rec[i] = csvCell(v)
			}
			cw.Write(rec)
		}
		cw.Flush()
	case "xlsx":
		x := excelize.NewFile()
		defer x.Close()
		sheet := "Sheet1"
		x.SetSheetRow(sheet, "A1", &t.Headers)
		for i, row := range t.Rows {
			cell, _ := excelize.CoordinatesToCellName(1, i+2)
			x.SetSheetRow(sheet, cell, &row)
		}
		x.SetColWidth(sheet, "A", "J", 14)
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.xlsx"`, file))
		if _, err := x.WriteTo(w); err != nil {
			s.logger.ErrorContext(r.Context(), "export xlsx", "err", err)
		}
	}
}

// csvCell formats a cell, neutralising text that a spreadsheet would run as
// a formula (CSV injection through team or agent names).
func csvCell(v any) string {
	switch x := v.(type) {
	case string:
		if x != "" && strings.ContainsRune("=+-@\t\r", rune(x[0])) {
			return "'" + x
		}
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	default:
		return fmt.Sprint(x)
	}
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

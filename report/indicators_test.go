package report

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/crypto/bcrypt"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/store"
	"github.com/callqa/callqa/workbench"
)

// indCard is the scorecard of the indicator fixture: complaint_risk is its
// complaint rule.
var indCard = &models.Scorecard{ID: "hotline-12333", Version: 2, BaseScore: 100, PassScore: 85, Rules: []models.Rule{
	{ID: "greeting", Name: "开场白", Deduct: 20},
	{ID: "complaint_risk", Name: "投诉风险", Review: true, Indicator: models.IndicatorComplaint},
}}

// indCall is one result of the indicator fixture.
type indCall struct {
	id, date, team string
	unprocessable  bool
	passed         bool
	unanswered     bool
	satisfaction   string
	durationS      float64
	talkS          float64
	complaints     []float64 // starts of its complaint findings
	reviews        []string  // the decision on each ("" none)
}

// indFixture, the calls of hotline-12333 v2 (every call answered unless
// marked; one final verdict: C passed on review):
//
//	call day    team unproc/pass   survey        dur  talk  complaint findings (review)
//	A   11-25   一组 pass          dissatisfied  100   60   10.0 confirm
//	B   11-25   一组 pass          satisfied     200  100   5.0 overturn
//	C   11-25   二组 FAIL (80)     basic          50   20   3.0 (none)   verdict: pass
//	D   11-26   二组 pass          -             150   90   1.0 overturn, 8.0 (none)
//	E   12-01   一组 pass          satisfied     300  200   -
//	F   12-01   二组 unprocessable satisfied       0    0   -
//	G   12-01   一组 pass, answered: false, satisfied, 30 s, 5 s, 2.0 confirm
//	H   12-01   二组 pass          dissatisfied  100   50   2.0 confirm, 4.0 overturn
//
// Whole range, default weights and targets, spend 100 yuan:
//
//	质量控制合格率 machine 6/7 = 85.7 %, 10 × 0.857/0.95 = 9.02;
//	               reviewed 7/7 (C's verdict) = 100 %, 10
//	投诉率         machine 5/7 answered = 71.4 %, 4 × 0.01/0.714 = 0.06;
//	               reviewed 2/7 (A, H confirmed) = 28.6 %, 4 × 0.01/0.286 = 0.14;
//	               B overturned, C and D awaiting review; G not answered
//	综合满意率     (3 satisfied + 1 basic)/6 surveyed = 66.7 %, 6 × 0.667/0.9 = 4.44
//	               (only 满意: 3/6 = 50 %, 3.33); response rate 6/7 = 85.7 %
//	成本控制情况   900 s answered = 0.25 h: 100/0.25 = 400 yuan/h, 5 × 100/400 = 1.25;
//	               agent talk 520 s = 0.14 h
var indFixture = []indCall{
	{"A", "2026-11-25", "一组", false, true, false, models.SatisfactionDissatisfied, 100, 60, []float64{10}, []string{workbench.DecisionConfirm}},
	{"B", "2026-11-25", "一组", false, true, false, models.SatisfactionSatisfied, 200, 100, []float64{5}, []string{workbench.DecisionOverturn}},
	{"C", "2026-11-25", "二组", false, false, false, models.SatisfactionBasic, 50, 20, []float64{3}, []string{""}},
	{"D", "2026-11-26", "二组", false, true, false, "", 150, 90, []float64{1, 8}, []string{workbench.DecisionOverturn, ""}},
	{"E", "2026-12-01", "一组", false, true, false, models.SatisfactionSatisfied, 300, 200, nil, nil},
	{"F", "2026-12-01", "二组", true, false, false, models.SatisfactionSatisfied, 0, 0, nil, nil},
	{"G", "2026-12-01", "一组", false, true, true, models.SatisfactionSatisfied, 30, 5, []float64{2}, []string{workbench.DecisionConfirm}},
	{"H", "2026-12-01", "二组", false, true, false, models.SatisfactionDissatisfied, 100, 50, []float64{2, 4}, []string{workbench.DecisionConfirm, workbench.DecisionOverturn}},
}

// setupIndicators returns a fresh SQLite store holding indFixture with its
// reviews, and the workbench over it.
func setupIndicators(t *testing.T) (*store.Store, *workbench.Workbench) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "ind.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	wb, err := workbench.New(st, workbench.Config{BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	cst := time.FixedZone("CST", 8*3600)
	for _, c := range indFixture {
		day, _ := time.ParseInLocation(time.DateOnly, c.date, cst)
		started := day.Add(10 * time.Hour)
		rec := strings.ReplaceAll(c.date, "-", "/") + "/" + c.id + ".wav"
		r := &models.Result{CallID: c.id, Recording: rec, Status: models.StatusInspected,
			Scorecard: models.ScorecardRef{ID: indCard.ID, Version: indCard.Version},
			Meta: models.CallMeta{CallID: c.id, AgentID: "A-" + c.team, AgentName: "坐席" + c.team, Team: c.team, Queue: "养老",
				StartedAt: &started, Satisfaction: c.satisfaction},
			Audio:    &models.AudioInfo{Format: "pcm_s16le", SampleRate: 8000, Channels: 2, DurationS: c.durationS},
			Metrics:  &models.Metrics{Agent: &models.SpeakerMetrics{TalkS: c.talkS}, Customer: &models.SpeakerMetrics{}},
			Findings: []models.Finding{}, Passed: c.passed, Score: 100}
		if c.unanswered {
			no := false
			r.Meta.Answered = &no
		}
		if c.unprocessable {
			r.Status, r.Error, r.Audio, r.Metrics, r.Score = models.StatusUnprocessable, "not a RIFF file", nil, nil, 0
		}
		if !c.passed && !c.unprocessable {
			r.Score = 80
			r.Findings = append(r.Findings, models.Finding{Rule: "greeting", Name: "开场白", Start: 0, End: 10, Deduct: 20})
		}
		for _, s := range c.complaints {
			r.Findings = append(r.Findings, models.Finding{Rule: "complaint_risk", Name: "投诉风险", Start: s, End: s + 1,
				Review: true, Indicator: models.IndicatorComplaint})
		}
		if err := st.SaveResult(ctx, "", r); err != nil {
			t.Fatal(err)
		}
		for i, d := range c.reviews {
			if d == "" {
				continue
			}
			if err := wb.SaveReview(ctx, workbench.Review{Recording: rec, CallID: c.id, Rule: "complaint_risk",
				StartMS: models.StartMS(c.complaints[i]), Decision: d, Reviewer: "qa"}, ""); err != nil {
				t.Fatal(err)
			}
		}
		if c.id == "C" {
			if err := wb.SaveVerdict(ctx, workbench.Verdict{Recording: rec, CallID: c.id, Passed: true, Reviewer: "qa"}, ""); err != nil {
				t.Fatal(err)
			}
		}
	}
	return st, wb
}

// rowLine renders an indicator row compactly: values to 0.1 %, scores and
// money to 0.01.
func rowLine(g IndicatorGroup, r IndicatorRow) string {
	v := func(p *float64) string {
		switch {
		case p == nil:
			return "-"
		case r.Unit == UnitRatio:
			return fmt.Sprintf("%.1f%%", *p*100)
		}
		return fmt.Sprintf("%.2f", *p)
	}
	n := func(p *float64) string {
		if p == nil {
			return "-"
		}
		return fmt.Sprint(*p)
	}
	return fmt.Sprintf("%s %s w%g t%g %s/%s %s/%s %s/%s/%s", g.Group, r.Indicator, r.Weight, r.Target,
		v(r.Machine), n(r.MachineScore), v(r.Reviewed), n(r.ReviewedScore), n(r.Numerator), n(r.ReviewedNumerator), n(r.Denominator))
}

func tableLines(t *IndicatorTable) []string {
	var out []string
	for _, g := range append(append([]IndicatorGroup{}, t.Groups...), t.Total) {
		for _, r := range g.Rows {
			out = append(out, rowLine(g, r))
		}
	}
	return out
}

// TestIndicators checks the hand-computed figures of indFixture (see its
// comment).
func TestIndicators(t *testing.T) {
	t.Parallel()
	st, wb := setupIndicators(t)
	ctx := context.Background()
	reviewed := IndicatorOptions{Scorecard: indCard, Reviews: wb, Spend: 100}
	tests := []struct {
		name string
		o    Options
		ind  IndicatorOptions
		want []string
	}{
		{"defaults, reviewed", Options{}, reviewed, []string{
			"合计 pass w10 t0.95 85.7%/9.02 100.0%/10 6/7/7",
			"合计 complaint w4 t0.01 71.4%/0.06 28.6%/0.14 5/2/7",
			"合计 satisfaction w6 t0.9 66.7%/4.44 66.7%/4.44 4/4/6",
			"合计 cost w5 t100 400.00/1.25 400.00/1.25 100/100/0.25",
		}},
		{"no scorecard: no reviewed pass rate, no spend", Options{}, IndicatorOptions{}, []string{
			"合计 pass w10 t0.95 85.7%/9.02 -/- 6/-/7",
			"合计 complaint w4 t0.01 71.4%/0.06 28.6%/0.14 5/2/7",
			"合计 satisfaction w6 t0.9 66.7%/4.44 66.7%/4.44 4/4/6",
			"合计 cost w5 t100 -/- -/- -/-/0.25",
		}},
		// Targets and weights of one's own; only 满意 counts: 3/6; 20
		// yuan over 0.25 h = 80 yuan/h, under the target of 100: full 5.
		// Complaint target 50 %: 4 × 0.5/0.714 = 2.8; reviewed 28.6 %
		// under the target: full 4. Satisfaction 50 % of 60 %: 8 × 0.833.
		{"own targets", Options{}, IndicatorOptions{Spend: 20, OnlySatisfied: true,
			Targets: map[string]float64{IndicatorComplaint: 0.5, IndicatorSatisfaction: 0.6, IndicatorPass: 0.8},
			Weights: map[string]float64{IndicatorSatisfaction: 8, IndicatorPass: 12}}, []string{
			"合计 pass w12 t0.8 85.7%/12 -/- 6/-/7",
			"合计 complaint w4 t0.5 71.4%/2.8 28.6%/4 5/2/7",
			"合计 satisfaction w8 t0.6 50.0%/6.67 50.0%/6.67 3/3/6",
			"合计 cost w5 t100 80.00/5 80.00/5 20/20/0.25",
		}},
		// 一组: A B E G (G not answered); 二组: C D F H (F unprocessable).
		// 二组 pass 2/3 = 66.7 %, 10 × 0.667/0.95 = 7.02, reviewed 3/3.
		{"by team", Options{}, IndicatorOptions{By: ByTeam, Scorecard: indCard, Reviews: wb, Spend: 100}, []string{
			"一组 pass w10 t0.95 100.0%/10 100.0%/10 4/4/4",
			"一组 complaint w4 t0.01 66.7%/0.06 33.3%/0.12 2/1/3",
			"一组 satisfaction w6 t0.9 66.7%/4.44 66.7%/4.44 2/2/3",
			"一组 cost w5 t100 -/- -/- -/-/0.17",
			"二组 pass w10 t0.95 66.7%/7.02 100.0%/10 2/3/3",
			"二组 complaint w4 t0.01 75.0%/0.05 25.0%/0.16 3/1/4",
			"二组 satisfaction w6 t0.9 66.7%/4.44 66.7%/4.44 2/2/3",
			"二组 cost w5 t100 -/- -/- -/-/0.08",
			"合计 pass w10 t0.95 85.7%/9.02 100.0%/10 6/7/7",
			"合计 complaint w4 t0.01 71.4%/0.06 28.6%/0.14 5/2/7",
			"合计 satisfaction w6 t0.9 66.7%/4.44 66.7%/4.44 4/4/6",
			"合计 cost w5 t100 400.00/1.25 400.00/1.25 100/100/0.25",
		}},
		// November: A B C D, all answered; 3 passed, C passed on review;
		// complaints A (confirmed) B (overturned) C D (awaiting review).
		{"by month, November", Options{To: "2026-11-30"}, IndicatorOptions{By: ByMonth, Scorecard: indCard, Reviews: wb}, []string{
			"2026-11 pass w10 t0.95 75.0%/7.89 100.0%/10 3/4/4",
			"2026-11 complaint w4 t0.01 100.0%/0.04 25.0%/0.16 4/1/4",
			"2026-11 satisfaction w6 t0.9 66.7%/4.44 66.7%/4.44 2/2/3",
			"2026-11 cost w5 t100 -/- -/- -/-/0.14",
			"合计 pass w10 t0.95 75.0%/7.89 100.0%/10 3/4/4",
			"合计 complaint w4 t0.01 100.0%/0.04 25.0%/0.16 4/1/4",
			"合计 satisfaction w6 t0.9 66.7%/4.44 66.7%/4.44 2/2/3",
			"合计 cost w5 t100 -/- -/- -/-/0.14",
		}},
		// No calls: nothing to divide; a complaint rate of nothing is no
		// rate, not a perfect one.
		{"empty range", Options{From: "2027-01-01"}, reviewed, []string{
			"合计 pass w10 t0.95 -/- -/- 0/0/0",
			"合计 complaint w4 t0.01 -/- -/- 0/0/0",
			"合计 satisfaction w6 t0.9 -/- -/- 0/0/0",
			"合计 cost w5 t100 -/- -/- 100/-/0",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tab, err := Indicators(ctx, st, tt.o, tt.ind)
			if err != nil {
				t.Fatal(err)
			}
			if got := tableLines(tab); strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}

	// The counts behind the whole range.
	tab, err := Indicators(ctx, st, Options{}, reviewed)
	if err != nil {
		t.Fatal(err)
	}
	c := tab.Total.Counts
	if got := fmt.Sprintf("%d %d %d | %d %d %d %d/%d | %d %d %d %d | %d %d %d %d %.3f | %g %g", c.Results, c.Answered, c.Unanswered,
		c.Inspected, c.Passed, c.Unprocessable, *c.ReviewedPassed, *c.Verdicts,
		c.ComplaintFlagged, c.ComplaintConfirmed, c.ComplaintOverturned, c.ComplaintPending,
		c.Surveyed, c.Satisfied, c.Basic, c.Dissatisfied, *c.SurveyRate, c.AnsweredHours, c.AgentTalkHours); got != "8 7 1 | 7 6 1 7/1 | 5 2 1 2 | 6 3 1 2 0.857 | 0.25 0.14" {
		t.Errorf("counts %s", got)
	}
	if !strings.Contains(strings.Join(tab.Notes, "\n"), "尚有 2 通疑似投诉待复核") {
		t.Errorf("notes %q do not say 2 complaints await review", tab.Notes)
	}

	// A scorecard without a complaint rule cannot measure 投诉率; one of
	// another version is refused.
	noRule := *indCard
	noRule.Rules = indCard.Rules[:1]
	tab, err = Indicators(ctx, st, Options{}, IndicatorOptions{Scorecard: &noRule, Reviews: wb})
	if err != nil {
		t.Fatal(err)
	}
	if r := tab.Total.Rows[1]; r.Machine != nil || r.Reviewed != nil || !strings.Contains(r.Detail, "没有声明投诉规则") {
		t.Errorf("complaint row without a complaint rule: %+v", r)
	}
	other := *indCard
	other.Version = 1
	if _, err := Indicators(ctx, st, Options{}, IndicatorOptions{Scorecard: &other, Reviews: wb}); err == nil || !strings.Contains(err.Error(), "v1") {
		t.Errorf("a scorecard of another version: %v", err)
	}
}

// xlsxDump renders a workbook's first sheet as text, one line per cell
// with its raw value and number format, for a golden file.
func xlsxDump(t *testing.T, data []byte) []byte {
	t.Helper()
	x, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	sheet := x.GetSheetName(0)
	rows, err := x.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "sheet %s\n", sheet)
	for i, row := range rows {
		for j := range row {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			shown, _ := x.GetCellValue(sheet, cell)
			raw, _ := x.GetCellValue(sheet, cell, excelize.Options{RawCellValue: true})
			if shown == "" {
				continue
			}
			typ, _ := x.GetCellType(sheet, cell)
			kind := "text"
			if typ != excelize.CellTypeSharedString && typ != excelize.CellTypeInlineString {
				kind = "number " + raw
			}
			fmt.Fprintf(&b, "%s %q (%s)\n", cell, shown, kind)
		}
	}
	return []byte(b.String())
}

// TestIndicatorFormats pins the table, CSV, JSON and XLSX of the fixture,
// by team with reviews and spend (go test ./report -update).
func TestIndicatorFormats(t *testing.T) {
	t.Parallel()
	st, wb := setupIndicators(t)
	ctx := context.Background()
	all, err := Indicators(ctx, st, Options{}, IndicatorOptions{Scorecard: indCard, Reviews: wb, Spend: 100})
	if err != nil {
		t.Fatal(err)
	}
	team, err := Indicators(ctx, st, Options{}, IndicatorOptions{By: ByTeam, Scorecard: indCard, Reviews: wb, Spend: 100})
	if err != nil {
		t.Fatal(err)
	}
	for name, rep := range map[string]*IndicatorTable{"indicators": all, "indicators-team": team} {
		t.Run(name, func(t *testing.T) {
			for _, format := range []string{FormatTable, FormatCSV, FormatJSON} {
				var buf bytes.Buffer
				if err := Write(&buf, format, rep); err != nil {
					t.Fatal(err)
				}
				golden(t, name+"."+format+".golden", buf.Bytes())
			}
			var buf bytes.Buffer
			if err := Write(&buf, FormatXLSX, rep); err != nil {
				t.Fatal(err)
			}
			golden(t, name+".xlsx.golden", xlsxDump(t, buf.Bytes()))
		})
	}
	// The JSON reads back, nil values as null.
	var buf bytes.Buffer
	if err := Write(&buf, FormatJSON, all); err != nil {
		t.Fatal(err)
	}
	var back IndicatorTable
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(tableLines(&back)) != fmt.Sprint(tableLines(all)) {
		t.Errorf("JSON round trip:\n%v\nwant\n%v", tableLines(&back), tableLines(all))
	}
}

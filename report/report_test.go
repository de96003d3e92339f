package report

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var sc = models.ScorecardRef{ID: "hotline-12333", Version: 3}

// call is a hand-made result: date, team, agent, passed, score, rules hit.
type call struct {
	id, date, team, agent string
	status                string
	passed                bool
	score                 float64
	rules                 []string
}

// fixture is the data set the figures below were computed from by hand.
//
//	2026-11-23  一组 A1 pass 90 | 一组 A2 fail 70 greeting | 二组 B1 fail 50 greeting, silence
//	2026-11-24  (no calls)
//	2026-11-25  一组 A1 pass 100 | 二组 B2 fail 40 silence×2 | 二组 unprocessable
//	2026-11-26  一组 A2 pass 88 overtalk | 三组 unprocessable
var fixture = []call{
	{"c1", "2026-11-23", "一组", "A1", models.StatusInspected, true, 90, nil},
	{"c2", "2026-11-23", "一组", "A2", models.StatusInspected, false, 70, []string{"greeting"}},
	{"c3", "2026-11-23", "二组", "B1", models.StatusInspected, false, 50, []string{"greeting", "silence"}},
	{"c4", "2026-11-25", "一组", "A1", models.StatusInspected, true, 100, nil},
	{"c5", "2026-11-25", "二组", "B2", models.StatusInspected, false, 40, []string{"silence", "silence"}},
	{"c6", "2026-11-25", "二组", "B3", models.StatusUnprocessable, false, 0, nil},
	{"c7", "2026-11-26", "一组", "A2", models.StatusInspected, true, 88, []string{"overtalk"}},
	{"c8", "2026-11-26", "三组", "C1", models.StatusUnprocessable, false, 0, nil},
}

var ruleNames = map[string]string{"greeting": "开场白", "silence": "长时间静音", "overtalk": "抢话"}

// setup returns a fresh SQLite store holding the fixture (plus a result
// of an older scorecard version that must never show).
func setup(t *testing.T) *store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "r.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	old := &models.Result{CallID: "c1", Recording: "2026-11-23/c1.wav", Status: models.StatusInspected,
		Scorecard: models.ScorecardRef{ID: sc.ID, Version: 2}, Findings: []models.Finding{{Rule: "greeting"}}}
	if err := st.SaveResult(ctx, "", old); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Millisecond) // the fixture is the newest scorecard used
	for _, c := range fixture {
		start, _ := time.Parse(time.RFC3339, c.date+"T10:00:00+08:00")
		r := &models.Result{CallID: c.id, Recording: c.date + "/" + c.id + ".wav", Status: c.status, Scorecard: sc,
			Meta:  models.CallMeta{AgentID: c.agent, AgentName: "坐席" + c.agent, Team: c.team, Queue: "养老保险", StartedAt: &start},
			Score: c.score, Passed: c.passed, Findings: []models.Finding{}}
		for _, rule := range c.rules {
			r.Findings = append(r.Findings, models.Finding{Rule: rule, Name: ruleNames[rule], Deduct: 5})
		}
		if c.status == models.StatusUnprocessable {
			r.Error = "decode: not a RIFF file"
		}
		if err := st.SaveResult(ctx, "", r); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

func f(x float64) *float64 { return &x }

// rowString renders a row compactly for comparison.
func rowString(r PassRow) string {
	opt := func(p *float64) string {
		if p == nil {
			return "nil"
		}
		return fmt.Sprintf("%.4f", *p)
	}
	return fmt.Sprintf("%s/%s %d %d %d %d rate=%s avg=%s", r.Group, r.Label, r.Inspected, r.Passed, r.Failed, r.Unprocessable, opt(r.PassRate), opt(r.AvgScore))
}

func TestPassRates(t *testing.T) {
	t.Parallel()
	st := setup(t)
	ctx := context.Background()
	tests := []struct {
		name string
		o    Options
		by   string
		want []string // rows, then the total
	}{
		{"by day with an empty day", Options{From: "2026-11-23", To: "2026-11-26"}, ByDay, []string{
			"2026-11-23/2026-11-23 3 1 2 0 rate=0.3333 avg=70.0000",
			"2026-11-24/2026-11-24 0 0 0 0 rate=nil avg=nil",
			"2026-11-25/2026-11-25 2 1 1 1 rate=0.5000 avg=70.0000",
			"2026-11-26/2026-11-26 1 1 0 1 rate=1.0000 avg=88.0000",
			"合计/合计 6 3 3 2 rate=0.5000 avg=73.0000",
		}},
		{"by day widened", Options{From: "2026-11-22", To: "2026-11-27"}, ByDay, []string{
			"2026-11-22/2026-11-22 0 0 0 0 rate=nil avg=nil",
			"2026-11-23/2026-11-23 3 1 2 0 rate=0.3333 avg=70.0000",
			"2026-11-24/2026-11-24 0 0 0 0 rate=nil avg=nil",
			"2026-11-25/2026-11-25 2 1 1 1 rate=0.5000 avg=70.0000",
			"2026-11-26/2026-11-26 1 1 0 1 rate=1.0000 avg=88.0000",
			"2026-11-27/2026-11-27 0 0 0 0 rate=nil avg=nil",
			"合计/合计 6 3 3 2 rate=0.5000 avg=73.0000",
		}},
		{"by day without a range fills the gaps", Options{}, ByDay, []string{
			"2026-11-23/2026-11-23 3 1 2 0 rate=0.3333 avg=70.0000",
			"2026-11-24/2026-11-24 0 0 0 0 rate=nil avg=nil",
			"2026-11-25/2026-11-25 2 1 1 1 rate=0.5000 avg=70.0000",
			"2026-11-26/2026-11-26 1 1 0 1 rate=1.0000 avg=88.0000",
			"合计/合计 6 3 3 2 rate=0.5000 avg=73.0000",
		}},
		{"by team, one never passes, one never inspected", Options{}, ByTeam, []string{
			"一组/一组 4 3 1 0 rate=0.7500 avg=87.0000",
			"三组/三组 0 0 0 1 rate=nil avg=nil",
			"二组/二组 2 0 2 1 rate=0.0000 avg=45.0000",
			"合计/合计 6 3 3 2 rate=0.5000 avg=73.0000",
		}},
		{"by agent in a range", Options{From: "2026-11-25", To: "2026-11-26"}, ByAgent, []string{
			"A1/坐席A1 1 1 0 0 rate=1.0000 avg=100.0000",
			"A2/坐席A2 1 1 0 0 rate=1.0000 avg=88.0000",
			"B2/坐席B2 1 0 1 0 rate=0.0000 avg=40.0000",
			"B3/坐席B3 0 0 0 1 rate=nil avg=nil",
			"C1/坐席C1 0 0 0 1 rate=nil avg=nil",
			"合计/合计 3 2 1 2 rate=0.6667 avg=76.0000",
		}},
		{"by month", Options{From: "2026-10-15", To: "2026-11-30"}, ByMonth, []string{
			"2026-10/2026-10 0 0 0 0 rate=nil avg=nil",
			"2026-11/2026-11 6 3 3 2 rate=0.5000 avg=73.0000",
			"合计/合计 6 3 3 2 rate=0.5000 avg=73.0000",
		}},
		{"by queue, older scorecard", Options{Scorecard: models.ScorecardRef{ID: sc.ID, Version: 2}}, ByQueue, []string{
			"/ 1 0 1 0 rate=0.0000 avg=0.0000",
			"合计/合计 1 0 1 0 rate=0.0000 avg=0.0000",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tab, err := PassRates(ctx, st, tt.o, tt.by)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range tab.Rows {
				got = append(got, rowString(r))
			}
			got = append(got, rowString(tab.Total))
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if tt.o.Scorecard.ID == "" && tab.Scorecard != sc {
				t.Errorf("scorecard = %v, want the latest %v", tab.Scorecard, sc)
			}
		})
	}
}

func TestRuleHitsAndPassIndicator(t *testing.T) {
	t.Parallel()
	st := setup(t)
	ctx := context.Background()
	rt, err := RuleHits(ctx, st, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rt.Rows {
		got = append(got, fmt.Sprintf("%s %s calls=%d hits=%d of %d rate=%.4f deduct=%g", r.Rule, r.Name, r.Calls, r.Hits, r.Inspected, *r.HitRate, r.Deduct))
	}
	want := []string{
		"greeting 开场白 calls=2 hits=2 of 6 rate=0.3333 deduct=10",
		"silence 长时间静音 calls=2 hits=3 of 6 rate=0.3333 deduct=15",
		"overtalk 抢话 calls=1 hits=1 of 6 rate=0.1667 deduct=5",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rule hits\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// The pass-rate row of Indicators, as the single indicator row was.
	pass := func(target, weight float64) IndicatorOptions {
		return IndicatorOptions{Targets: map[string]float64{IndicatorPass: target}, Weights: map[string]float64{IndicatorPass: weight}}
	}
	tests := []struct {
		name      string
		o         Options
		ind       IndicatorOptions
		actual    *float64
		score     *float64
		weight    float64
		target    float64
		inspected int
	}{
		// 3/6 = 50%; 10 × min(1, 0.5/0.95) = 5.263… → 5.26
		{"defaults", Options{}, IndicatorOptions{}, f(0.5), f(5.26), 10, 0.95, 6},
		// above target: capped at the weight
		{"capped", Options{}, pass(0.4, 8), f(0.5), f(8), 8, 0.4, 6},
		// 2/3 on the 25th and 26th; 20 × (2/3)/0.8 = 16.67
		{"range", Options{From: "2026-11-25"}, pass(0.8, 20), f(2.0 / 3), f(16.67), 20, 0.8, 3},
		{"no calls", Options{From: "2026-11-24", To: "2026-11-24"}, IndicatorOptions{}, nil, nil, 10, 0.95, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tab, err := Indicators(ctx, st, tt.o, tt.ind)
			if err != nil {
				t.Fatal(err)
			}
			eq := func(a, b *float64) bool {
				return (a == nil) == (b == nil) && (a == nil || fmt.Sprintf("%.6f", *a) == fmt.Sprintf("%.6f", *b))
			}
			row := tab.Total.Rows[0]
			if row.Name != IndicatorName || row.Weight != tt.weight || row.Target != tt.target || tab.Total.Counts.Inspected != tt.inspected ||
				!eq(row.Machine, tt.actual) || !eq(row.MachineScore, tt.score) || row.Reviewed != nil || row.ReviewedScore != nil {
				t.Errorf("pass row = %+v (actual %v score %v)", row, deref(row.Machine), deref(row.MachineScore))
			}
		})
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestOptionsErrors(t *testing.T) {
	t.Parallel()
	st := setup(t)
	ctx := context.Background()
	for _, o := range []Options{{From: "2026-13-01"}, {To: "yesterday"}, {From: "2026-11-26", To: "2026-11-25"}, {Scorecard: models.ScorecardRef{Version: 2}}} {
		if _, err := PassRates(ctx, st, o, ByDay); err == nil {
			t.Errorf("PassRates(%+v) = nil error", o)
		}
	}
	if _, err := PassRates(ctx, st, Options{}, "planet"); err == nil {
		t.Error("PassRates(by planet) = nil error")
	}
	if _, err := PassRates(ctx, st, Options{From: "1900-01-01", To: "2026-01-01"}, ByDay); err == nil {
		t.Error("a 126-year day range = nil error")
	}
	for _, ind := range []IndicatorOptions{
		{Targets: map[string]float64{IndicatorPass: 1.5}},
		{Targets: map[string]float64{IndicatorComplaint: -1}},
		{Targets: map[string]float64{IndicatorCost: 0}},
		{Targets: map[string]float64{"质量控制合格率": 0.9}}, // keys, not names
		{Weights: map[string]float64{IndicatorSatisfaction: -1}},
		{Weights: map[string]float64{"speed": 1}},
		{Spend: -1},
		{By: "rule"},
		{Scorecard: &models.Scorecard{ID: sc.ID, Version: sc.Version}}, // without Reviews
	} {
		if _, err := Indicators(ctx, st, Options{}, ind); err == nil {
			t.Errorf("Indicators(%+v) = nil error", ind)
		}
	}
	empty, err := store.Open(ctx, filepath.Join(t.TempDir(), "e.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer empty.Close()
	if _, err := PassRates(ctx, empty, Options{}, ByDay); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("PassRates on an empty store = %v, want not found", err)
	}
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n%s\nwant\n%s", name, got, want)
	}
}

func TestWriteFormats(t *testing.T) {
	t.Parallel()
	st := setup(t)
	ctx := context.Background()
	team, err := PassRates(ctx, st, Options{}, ByTeam)
	if err != nil {
		t.Fatal(err)
	}
	day, err := PassRates(ctx, st, Options{From: "2026-11-23", To: "2026-11-26"}, ByDay)
	if err != nil {
		t.Fatal(err)
	}
	agent, err := PassRates(ctx, st, Options{}, ByAgent)
	if err != nil {
		t.Fatal(err)
	}
	rules, err := RuleHits(ctx, st, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ind, err := Indicators(ctx, st, Options{}, IndicatorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for name, rep := range map[string]Report{"team": team, "day": day, "agent": agent, "rules": rules, "indicator": ind} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, FormatTable, rep); err != nil {
				t.Fatal(err)
			}
			golden(t, name+".table.golden", buf.Bytes())
			// Every line of the table has the same display width up to
			// its last cell: the columns line up despite Chinese text.
			sh := rep.Sheet()
			lines := strings.Split(strings.TrimSpace(buf.String()), "\n")[1:]
			lines = lines[:len(lines)-len(sh.Notes)] // the notes are sentences
			col := strings.Index(lines[1], "  ")     // the end of the first column
			for _, l := range lines {
				if DisplayWidth(l[:strings.Index(l+"  ", "  ")]) > DisplayWidth(lines[1][:col]) {
					t.Errorf("line %q overflows the first column", l)
				}
			}

			buf.Reset()
			if err := Write(&buf, FormatCSV, rep); err != nil {
				t.Fatal(err)
			}
			golden(t, name+".csv.golden", buf.Bytes())
			if !bytes.HasPrefix(buf.Bytes(), []byte("\ufeff")) {
				t.Error("CSV without a byte-order mark")
			}
			cr := csv.NewReader(bytes.NewReader(buf.Bytes()[3:]))
			cr.FieldsPerRecord = -1 // the notes are rows of one cell
			recs, err := cr.ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if want := len(sh.Rows) + 1 + len(sh.Notes); len(recs) != want { // csv skips the empty row
				t.Errorf("CSV has %d records, want %d", len(recs), want)
			}

			buf.Reset()
			if err := Write(&buf, FormatJSON, rep); err != nil {
				t.Fatal(err)
			}
			if !json.Valid(buf.Bytes()) {
				t.Errorf("invalid JSON: %s", buf.Bytes())
			}
		})
	}
	// JSON keeps "no pass rate" as null, never 0 or NaN.
	var buf bytes.Buffer
	if err := Write(&buf, FormatJSON, day); err != nil {
		t.Fatal(err)
	}
	var back PassTable
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Rows[1].Group != "2026-11-24" || back.Rows[1].PassRate != nil || *back.Rows[0].PassRate != 1.0/3 {
		t.Errorf("JSON round trip: %+v", back.Rows[:2])
	}
	if err := Write(&buf, "pdf", day); err == nil {
		t.Error("Write(pdf) = nil error")
	}
}

// TestXLSX writes workbooks, opens them again and checks their cells.
func TestXLSX(t *testing.T) {
	t.Parallel()
	st := setup(t)
	ctx := context.Background()
	day, err := PassRates(ctx, st, Options{From: "2026-11-23", To: "2026-11-26"}, ByDay)
	if err != nil {
		t.Fatal(err)
	}
	open := func(rep Report) *excelize.File {
		t.Helper()
		var buf bytes.Buffer
		if err := Write(&buf, FormatXLSX, rep); err != nil {
			t.Fatal(err)
		}
		x, err := excelize.OpenReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { x.Close() })
		return x
	}
	x := open(day)
	sheet := x.GetSheetName(0)
	if sheet != "合格率" {
		t.Errorf("sheet name = %q", sheet)
	}
	rows, err := x.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	wantRows := [][]string{
		{"日期", "质检通话数", "合格数", "不合格数", "无法处理", "合格率", "平均分"},
		{"2026-11-23", "3", "1", "2", "0", "33.3%", "70"},
		{"2026-11-24", "0", "0", "0", "0"},
		{"2026-11-25", "2", "1", "1", "1", "50.0%", "70"},
		{"2026-11-26", "1", "1", "0", "1", "100.0%", "88"},
		{"合计", "6", "3", "3", "2", "50.0%", "73"},
	}
	if fmt.Sprint(rows) != fmt.Sprint(wantRows) {
		t.Errorf("rows\n%v\nwant\n%v", rows, wantRows)
	}
	// The percentage is a number in the cell, shown through the format.
	raw, err := x.GetCellValue(sheet, "F2", excelize.Options{RawCellValue: true})
	if err != nil || !strings.HasPrefix(raw, "0.333") {
		t.Errorf("F2 raw = %q, %v; want the ratio 0.333…", raw, err)
	}
	if typ, _ := x.GetCellType(sheet, "F2"); typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
		t.Errorf("F2 is stored as text (%v)", typ)
	}
	if v, _ := x.GetCellValue(sheet, "F3"); v != "" {
		t.Errorf("F3 (no calls) = %q, want empty", v)
	}
	panes, err := x.GetPanes(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if !panes.Freeze || panes.YSplit != 1 || panes.TopLeftCell != "A2" {
		t.Errorf("panes = %+v, want the header row frozen", panes)
	}
}

func TestDisplayWidth(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]int{"": 0, "abc": 3, "合格率": 6, "坐席A1": 6, "（）": 4, "95.0%": 5} {
		if got := DisplayWidth(s); got != want {
			t.Errorf("DisplayWidth(%q) = %d, want %d", s, got, want)
		}
	}
}

// TestCSVNeutralizesFormulas: a team or agent name from a metadata file
// must not run as a formula when the CSV export is opened in Excel.
func TestCSVNeutralizesFormulas(t *testing.T) {
	s := Sheet{Headers: []string{"班组", "合格率"}, Rows: [][]Cell{
		{textCell(`=HYPERLINK("http://x","y")`), pctCell(0.5)},
		{textCell("+1"), pctCell(1)},
		{textCell("-a"), pctCell(1)},
		{textCell("@SUM(A1)"), pctCell(1)},
		{textCell("养老保险组"), pctCell(1)},
	}}
	var b strings.Builder
	if err := WriteCSV(&b, s); err != nil {
		t.Fatal(err)
	}
	want := "\ufeff班组,合格率\n\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",50.0%\n'+1,100.0%\n'-a,100.0%\n'@SUM(A1),100.0%\n养老保险组,100.0%\n"
	if b.String() != want {
		t.Errorf("got %q\nwant %q", b.String(), want)
	}
}

// TestOtherScorecards inspects the 24th with scorecard v1 and the 25th
// with v2 (and one call of the 25th with v1 too): a report on the latest
// version (v2, the default) says in every format that the 24th's calls
// have results only under v1, and how to see them; a report on v1 says
// the same of the 25th's call inspected with v2 only.
func TestOtherScorecards(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "o.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	v1 := models.ScorecardRef{ID: "hotline-12333", Version: 1}
	v2 := models.ScorecardRef{ID: "hotline-12333", Version: 2}
	save := func(id, date string, ref models.ScorecardRef, passed bool) {
		t.Helper()
		start, _ := time.Parse(time.RFC3339, date+"T10:00:00+08:00")
		r := &models.Result{CallID: id, Recording: date + "/" + id + ".wav", Status: models.StatusInspected, Scorecard: ref,
			Meta: models.CallMeta{AgentID: "A1", Team: "一组", StartedAt: &start}, Score: 90, Passed: passed, Findings: []models.Finding{}}
		if err := st.SaveResult(ctx, "", r); err != nil {
			t.Fatal(err)
		}
	}
	save("d1", "2026-11-24", v1, true)
	save("d2", "2026-11-24", v1, false)
	save("d3", "2026-11-24", v1, true)
	save("e1", "2026-11-25", v1, true)
	time.Sleep(2 * time.Millisecond) // v2 is the newest scorecard used
	save("e1", "2026-11-25", v2, true)
	save("e2", "2026-11-25", v2, false)

	note := "注意：本期另有 3 通通话只有其他评分表版本的质检结果，未计入本表：hotline-12333 v1（3 通）。查看请加 --scorecard-id hotline-12333 --scorecard-version 1"
	day, err := PassRates(ctx, st, Options{From: "2026-11-24", To: "2026-11-25"}, ByDay)
	if err != nil {
		t.Fatal(err)
	}
	if day.Scorecard != v2 || day.Rows[0].Inspected != 0 || day.Rows[1].Inspected != 2 {
		t.Fatalf("report = %+v", day)
	}
	rules, err := RuleHits(ctx, st, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ind, err := Indicators(ctx, st, Options{To: "2026-11-30"}, IndicatorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for name, rep := range map[string]Report{"day": day, "rules": rules, "indicator": ind} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, FormatTable, rep); err != nil {
				t.Fatal(err)
			}
			if lines := strings.Split(strings.TrimSpace(buf.String()), "\n"); lines[len(lines)-1] != note {
				t.Errorf("table does not end with the note:\n%s", buf.String())
			}

			buf.Reset()
			if err := Write(&buf, FormatJSON, rep); err != nil {
				t.Fatal(err)
			}
			var doc struct {
				Other Omitted `json:"other_scorecards"`
			}
			if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprintf("%+v", doc.Other); got != "{Calls:3 Scorecards:[{Scorecard:{ID:hotline-12333 Version:1} Calls:3}] Analyses:[]}" {
				t.Errorf("JSON other_scorecards = %s", got)
			}

			buf.Reset()
			if err := Write(&buf, FormatCSV, rep); err != nil {
				t.Fatal(err)
			}
			r := csv.NewReader(bytes.NewReader(buf.Bytes()[3:]))
			r.FieldsPerRecord = -1
			recs, err := r.ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if last := recs[len(recs)-1]; len(last) != 1 || last[0] != note {
				t.Errorf("CSV last record = %q, want the note", last)
			}

			buf.Reset()
			if err := Write(&buf, FormatXLSX, rep); err != nil {
				t.Fatal(err)
			}
			f, err := excelize.OpenReader(&buf)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			rows, err := f.GetRows(f.GetSheetName(0))
			if err != nil {
				t.Fatal(err)
			}
			sh := rep.Sheet()
			if len(rows) != len(sh.Rows)+2+len(sh.Notes) || len(rows[len(sh.Rows)+1]) != 0 || rows[len(rows)-1][0] != note {
				t.Errorf("XLSX rows end with %q, want an empty row, the notes and this one last", rows[len(sh.Rows)+1:])
			}
		})
	}

	// A range without such calls has no note; the JSON field says 0.
	only25, err := PassRates(ctx, st, Options{From: "2026-11-25"}, ByDay)
	if err != nil {
		t.Fatal(err)
	}
	if only25.OtherScorecards.Calls != 0 || len(only25.Sheet().Notes) != 0 {
		t.Errorf("from the 25th: %+v", only25.OtherScorecards)
	}
	var buf bytes.Buffer
	if err := Write(&buf, FormatJSON, only25); err != nil || !strings.Contains(buf.String(), `"other_scorecards": {
    "calls": 0,
    "scorecards": []`) {
		t.Errorf("JSON without omitted calls:\n%s", buf.String())
	}

	// The report on v1 misses e2, inspected with v2 only.
	old, err := PassRates(ctx, st, Options{Scorecard: v1}, ByDay)
	if err != nil {
		t.Fatal(err)
	}
	if got := old.OtherScorecards.Note(); got != "注意：本期另有 1 通通话只有其他评分表版本的质检结果，未计入本表：hotline-12333 v2（1 通）。查看请加 --scorecard-id hotline-12333 --scorecard-version 2" {
		t.Errorf("note on v1 = %s", got)
	}
}

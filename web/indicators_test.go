package web

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/callqa/callqa/internal/testsvc"
	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/report"
)

// callComplaint is the sample call whose customer threatens to complain.
const callComplaint = "C20261125-0008"

// TestDashboardIndicators: the dashboard shows the four evaluation
// indicators, machine and reviewed, as callqa report --indicator computes
// them; a reviewer confirming the complaint moves the reviewed 投诉率; the
// export is the report's sheet. Samples: 12 answered calls, 11 passed, one
// complaint flagged (C20261125-0008), 11 surveys (9 satisfied, 1 basic, 1
// dissatisfied).
func TestDashboardIndicators(t *testing.T) {
	t.Parallel()
	for _, be := range testsvc.Backends(t) {
		t.Run(be.Name, func(t *testing.T) {
			dashboardIndicators(t, setupDB(t, Config{InsecureCookies: true, CalibrationRate: -1}, be.Fresh(t)))
		})
	}
}

func dashboardIndicators(t *testing.T, b *bundle) {
	ctx := context.Background()
	vc := b.login(t, viewer)
	type row struct {
		Indicator     string   `json:"indicator"`
		Machine       *float64 `json:"machine"`
		MachineScore  *float64 `json:"machine_score"`
		Reviewed      *float64 `json:"reviewed"`
		ReviewedScore *float64 `json:"reviewed_score"`
	}
	rows := func() map[string]string {
		t.Helper()
		var out struct {
			Indicators struct {
				Total struct{ Rows []row }
			}
		}
		if resp := vc.getJSON("/api/reports/pass-rate?spend=50", &out); resp.StatusCode != http.StatusOK {
			t.Fatalf("pass-rate: %d %s", resp.StatusCode, bodyOf(resp))
		}
		f := func(p *float64) string {
			if p == nil {
				return "-"
			}
			return strconv.FormatFloat(*p, 'f', 4, 64)
		}
		m := map[string]string{}
		for _, r := range out.Indicators.Total.Rows {
			m[r.Indicator] = fmt.Sprintf("%s/%s %s/%s", f(r.Machine), f(r.MachineScore), f(r.Reviewed), f(r.ReviewedScore))
		}
		return m
	}
	// 投诉率: 1/12 flagged, 4 × 0.01/0.0833 = 0.48; none confirmed yet, 0 %:
	// 4. 综合满意率: 10/11 = 90.9 %, above the 90 % target: 6.
	before := rows()
	want := map[string]string{
		report.IndicatorPass:         "0.9167/9.6500 0.9167/9.6500",
		report.IndicatorComplaint:    "0.0833/0.4800 0.0000/4.0000",
		report.IndicatorSatisfaction: "0.9091/6.0000 0.9091/6.0000",
	}
	for k, v := range want {
		if before[k] != v {
			t.Errorf("%s before review: %s, want %s", k, before[k], v)
		}
	}
	// 成本控制情况: 50 yuan over the samples' answered time (under ten
	// minutes), above the 100 yuan an hour of the target: a fraction of 5.
	var cost, score float64
	if _, err := fmt.Sscanf(before[report.IndicatorCost], "%f/%f", &cost, &score); err != nil || cost < 300 || score >= 5 || score <= 0 {
		t.Errorf("cost row %s", before[report.IndicatorCost])
	}

	page := bodyOf(vc.get("/dashboard?spend=50"))
	table := page[strings.Index(page, `id="indicator"`):]
	table = table[:strings.Index(table, "</table>")]
	for _, s := range []string{"质量控制合格率", "投诉率", "综合满意率", "成本控制情况", "≤ 1.0%", "90.9%", "8.3%", "0.0%", "元/小时", "待复核 1"} {
		if !strings.Contains(table, s) {
			t.Errorf("dashboard indicator table lacks %q:\n%s", s, table)
		}
	}
	if !strings.Contains(page, `name="spend" min="0" step="any" value="50"`) || !strings.Contains(page, "spend=50") {
		t.Error("the dashboard does not keep the spend (form and export links)")
	}

	// A reviewer confirms the complaint: the reviewed 投诉率 is 1/12.
	rc := b.login(t, reviewer)
	r := b.result(t, callComplaint)
	var complaint *models.Finding
	for i, f := range r.Findings {
		if f.Indicator == models.IndicatorComplaint {
			complaint = &r.Findings[i]
		}
	}
	if complaint == nil {
		t.Fatalf("%s has no complaint finding: %+v", callComplaint, r.Findings)
	}
	resp := rc.postForm("/calls/"+callComplaint+"/reviews", url.Values{"rule": {complaint.Rule},
		"start_ms": {strconv.FormatInt(models.StartMS(complaint.Start), 10)}, "decision": {"confirm"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirm: %d %s", resp.StatusCode, bodyOf(resp))
	}
	if got := rows()[report.IndicatorComplaint]; got != "0.0833/0.4800 0.0833/0.4800" {
		t.Errorf("投诉率 after the confirmation: %s", got)
	}

	// The export is callqa report --indicator's sheet for the same dates.
	csv := bodyOf(vc.get("/export/indicator?format=csv&spend=50"))
	tab, err := report.Indicators(ctx, b.st, report.Options{Scorecard: models.ScorecardRef{ID: b.sc.ID, Version: b.sc.Version},
		From: "2026-11-01", To: "2026-11-30"}, report.IndicatorOptions{Scorecard: b.sc, Reviews: b.wb, Spend: 50})
	if err != nil {
		t.Fatal(err)
	}
	var want2 bytes.Buffer
	if err := report.WriteCSV(&want2, tab.Sheet()); err != nil {
		t.Fatal(err)
	}
	if csv != want2.String() {
		t.Errorf("export\n%s\nwant the report's\n%s", csv, want2.String())
	}

	if resp := vc.get("/dashboard?spend=abc"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("spend=abc: %d", resp.StatusCode)
	}

	// The server's own targets and weights (serve --target, --weight).
	srv, err := New(Config{InsecureCookies: true, AudioCacheDir: t.TempDir(), Indicator: Indicator{Target: 0.9},
		Indicators: Indicators{Targets: map[string]float64{report.IndicatorComplaint: 0.2}, Weights: map[string]float64{report.IndicatorCost: 8},
			OnlySatisfied: true}},
		Deps{Store: b.st, Workbench: b.wb, Source: b.srv.src, Scorecard: b.sc, Now: b.clock.now}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	d, err := srv.dashboardData(httptest.NewRequest(http.MethodGet, "/export/indicator", nil), "indicator")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range d.Indicators.Total.Rows[:3] { // the cost has no score without a spend
		got = append(got, fmt.Sprintf("%s w%g t%g %v", r.Indicator, r.Weight, r.Target, *r.MachineScore))
	}
	// 10 × min(1, 0.917/0.9); 8.3 % under the 20 % ceiling; only 满意: 9/11 →
	// 6 × 0.818/0.9.
	if g := strings.Join(got, ", "); g != "pass w10 t0.9 10, complaint w4 t0.2 4, satisfaction w6 t0.9 5.45" || d.Indicators.Total.Rows[3].Weight != 8 {
		t.Errorf("configured indicators: %v", got)
	}
}

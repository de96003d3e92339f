package web

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/callqa/callqa/internal/testsvc"
	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/workbench"
)

// TestServedScorecard runs the workbench, as serve does without
// --scorecard, on a database whose newest results are of a scorecard it has
// no definition of: the queue, the call pages and the dashboard show those
// results, the pages list the versions with a selector, a choice sticks
// across pages, and overturns are re-scored only with a definition.
func TestServedScorecard(t *testing.T) {
	t.Parallel()
	for _, be := range testsvc.Backends(t) {
		t.Run(be.Name, func(t *testing.T) {
			servedScorecard(t, setupDB(t, Config{InsecureCookies: true, LatestScorecard: true}, be.Fresh(t)))
		})
	}
}

func servedScorecard(t *testing.T, b *bundle) {
	ctx := context.Background()
	builtin := refParam(models.ScorecardRef{ID: b.sc.ID, Version: b.sc.Version})
	// Every sample call inspected again with "my-card" v3, a scorecard of
	// the user's own, after the built-in one: the newest in the database.
	recs, err := b.wb.CallRecordings(ctx, callGood)
	if err != nil || len(recs) != 1 {
		t.Fatal(recs, err)
	}
	var tabooFindings []models.Finding
	for _, id := range []string{callGood, callGreeting, callTaboo} {
		r := *b.result(t, id)
		r.Scorecard = models.ScorecardRef{ID: "my-card", Version: 3}
		if err := b.st.SaveResult(ctx, "", &r); err != nil {
			t.Fatal(err)
		}
		if id == callTaboo {
			tabooFindings = r.Findings
		}
	}
	b.clock.advance(heldTTL) // the versions held are read again

	rev := b.login(t, reviewer)
	var p workbench.QueuePage
	if resp := rev.getJSON("/api/calls?from=2026-11-25&to=2026-11-25", &p); resp.StatusCode != 200 || p.Total != 1 || p.Items[0].CallID != callTaboo {
		t.Fatalf("queue of the newest scorecard: %d %+v", resp.StatusCode, p)
	}
	var call apiCallBody
	if resp := rev.getJSON("/api/calls/"+callTaboo, &call); resp.StatusCode != 200 ||
		call.Result.Scorecard.ID != "my-card" || call.ServedScorecard.ID != "my-card" || call.RescoreNotice == "" || len(call.ScorecardsHeld) != 2 {
		t.Fatalf("call: %d, result %+v, served %+v, held %+v, notice %q", resp.StatusCode, call.Result.Scorecard, call.ServedScorecard, call.ScorecardsHeld, call.RescoreNotice)
	}
	if body := bodyOf(rev.get("/api/calls/" + callTaboo)); !strings.Contains(body, `"scorecard": {`) || !strings.Contains(body, `"calls": 3`) {
		t.Errorf("the API's scorecards are not in snake case: %.2000s", body)
	}
	var rep struct {
		Scorecard models.ScorecardRef
		Total     struct{ Inspected int }
	}
	if resp := rev.getJSON("/api/reports/pass-rate?from=2026-11-01&to=2026-11-30", &rep); resp.StatusCode != 200 || rep.Scorecard.ID != "my-card" || rep.Total.Inspected != 3 {
		t.Fatalf("pass rate: %d %+v", resp.StatusCode, rep)
	}
	if resp := rev.getJSON("/api/reports/pass-rate?from=2026-11-01&to=2026-11-30&scorecard="+builtin, &rep); resp.StatusCode != 200 || rep.Total.Inspected != 12 {
		t.Fatalf("pass rate of the built-in: %d %+v", resp.StatusCode, rep)
	}
	for q, want := range map[string]string{"nope:1": "数据库中没有评分表 nope v1", "my-card": "无效", "my-card:0": "无效"} {
		if resp := rev.get("/api/calls?scorecard=" + q); resp.StatusCode != 400 || !strings.Contains(bodyOf(resp), want) {
			t.Errorf("scorecard=%s: %d %s, want 400 with %s", q, resp.StatusCode, bodyOf(resp), want)
		}
	}

	// The pages: the versions with their counts, the newest selected.
	page := bodyOf(rev.get("/queue?from=2026-11-25&to=2026-11-25"))
	for _, want := range []string{`<option value="my-card:3" selected>my-card v3（3 通）</option>`,
		`<option value="` + builtin + `">` + fmt.Sprintf("%s v%d（12 通）", b.sc.ID, b.sc.Version), `id="rescore-notice"`, "/calls/" + callTaboo} {
		if !strings.Contains(page, want) {
			t.Errorf("queue page lacks %s", want)
		}
	}
	if resp := rev.get("/calls/" + callTaboo); resp.StatusCode != 200 || !strings.Contains(bodyOf(resp), "my-card v3</dd>") {
		t.Errorf("call page: %d", resp.StatusCode)
	}
	// Picking the built-in version on one page carries to the others
	// (a cookie), until the default is picked again.
	resp := rev.get("/dashboard?scorecard=" + builtin)
	if resp.StatusCode != 200 || !strings.Contains(bodyOf(resp), `<b id="kpi-calls">12</b>`) {
		t.Fatalf("dashboard of the built-in: %d", resp.StatusCode)
	}
	page = bodyOf(rev.get("/queue?from=2026-11-25&to=2026-11-25"))
	if !strings.Contains(page, `<option value="`+builtin+`" selected>`) || strings.Contains(page, `id="rescore-notice"`) {
		t.Errorf("the queue does not follow the choice made on the dashboard")
	}
	if !strings.Contains(bodyOf(rev.get("/calls/"+callTaboo)), fmt.Sprintf("%s v%d</dd>", b.sc.ID, b.sc.Version)) {
		t.Errorf("the call page does not follow the choice")
	}
	rev.get("/dashboard?scorecard=my-card:3")
	if page := bodyOf(rev.get("/queue")); !strings.Contains(page, `<option value="my-card:3" selected>`) {
		t.Errorf("back to the default: the queue still shows the earlier choice")
	}

	// Overturning every finding of the failed call: the built-in version
	// re-scores it to passed; my-card, without a definition, does not
	// (the reviewer's verdict decides).
	for _, f := range tabooFindings {
		body := fmt.Sprintf(`{"rule":%q,"start_ms":%d,"decision":"overturn","comment":"误报"}`, f.Rule, models.StartMS(f.Start))
		if resp := rev.postJSON("/api/calls/"+callTaboo+"/reviews", body); resp.StatusCode != 200 {
			t.Fatalf("overturn: %d %s", resp.StatusCode, bodyOf(resp))
		}
	}
	for _, tc := range []struct {
		query  string
		passed bool
	}{{"", false}, {"?scorecard=" + builtin, true}} {
		var call apiCallBody
		if resp := rev.getJSON("/api/calls/"+callTaboo+tc.query, &call); resp.StatusCode != 200 || call.ReviewedPassed != tc.passed {
			t.Errorf("reviewed verdict%s: %d %v, want %v", tc.query, resp.StatusCode, call.ReviewedPassed, tc.passed)
		}
	}
	if resp := rev.postJSON("/api/calls/"+callTaboo+"/verdict", `{"verdict":"pass"}`); resp.StatusCode != 200 {
		t.Fatal(resp.StatusCode)
	}
	if rev.getJSON("/api/calls/"+callTaboo, &call); !call.ReviewedPassed {
		t.Errorf("the final verdict does not decide under my-card")
	}
}

// TestServedScorecardDefault checks that without LatestScorecard the
// server's own scorecard is the default, whatever the results hold.
func TestServedScorecardDefault(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{InsecureCookies: true})
	r := *b.result(t, callTaboo)
	r.Scorecard = models.ScorecardRef{ID: "my-card", Version: 3}
	if err := b.st.SaveResult(context.Background(), "", &r); err != nil {
		t.Fatal(err)
	}
	b.clock.advance(heldTTL)
	var call apiCallBody
	if resp := b.login(t, reviewer).getJSON("/api/calls/"+callTaboo, &call); resp.StatusCode != 200 ||
		call.ServedScorecard.ID != b.sc.ID || call.Result.Scorecard.ID != b.sc.ID || call.RescoreNotice != "" {
		t.Fatalf("call: %d %+v %+v %q", resp.StatusCode, call.ServedScorecard, call.Result.Scorecard, call.RescoreNotice)
	}
}

package web

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/callqa/callqa/internal/testsvc"
	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/pipeline"
	"github.com/callqa/callqa/source"
	"github.com/callqa/callqa/workbench"
)

const (
	anon     = "anonymous"
	admin    = workbench.RoleAdmin
	reviewer = workbench.RoleReviewer
	viewer   = workbench.RoleViewer
)

var roles = []string{anon, admin, reviewer, viewer}

// TestRoutesByRole requests every page and API route as each role and
// checks the status: what each role may see, 401/redirect without a
// session, 403 for a role without access.
func TestRoutesByRole(t *testing.T) {
	t.Parallel()
	for _, be := range testsvc.Backends(t) {
		t.Run(be.Name, func(t *testing.T) { routesByRole(t, setupDB(t, Config{InsecureCookies: true}, be.Fresh(t))) })
	}
}

func routesByRole(t *testing.T, b *bundle) {
	r := b.result(t, callGreeting)
	f := firstDeduction(t, r)
	ms := strconv.FormatInt(models.StartMS(f.Start), 10)
	call := "/calls/" + callGreeting
	api := "/api/calls/" + callGreeting
	reviewForm := url.Values{"rule": {f.Rule}, "start_ms": {ms}, "decision": {"confirm"}}
	reviewJSON := fmt.Sprintf(`{"rule":%q,"start_ms":%s,"decision":"confirm"}`, f.Rule, ms)

	type want map[string]int
	all := func(code int) want { return want{admin: code, reviewer: code, viewer: code} }
	staff := func(code int) want { return want{admin: code, reviewer: code, viewer: http.StatusForbidden} }
	adminOnly := func(code int) want {
		return want{admin: code, reviewer: http.StatusForbidden, viewer: http.StatusForbidden}
	}
	tests := []struct {
		method, path string
		form         url.Values
		json         string
		anon         int // status without a session
		want         want
		contentType  string // of a 200
	}{
		{"GET", "/login", nil, "", 200, all(200), "text/html"},
		{"GET", "/static/app.js", nil, "", 200, all(200), "text/javascript"},
		{"GET", "/static/app.css", nil, "", 200, all(200), "text/css"},
		{"GET", "/", nil, "", 303, all(303), ""},
		{"GET", "/queue", nil, "", 303, staff(200), "text/html"},
		{"GET", "/queue?status=pending&sort=score&rule=greeting", nil, "", 303, staff(200), "text/html"},
		{"GET", call, nil, "", 303, staff(200), "text/html"},
		{"GET", call + "/audio", nil, "", 303, staff(200), "audio/wav"},
		{"GET", "/dashboard", nil, "", 303, all(200), "text/html"},
		{"GET", "/dashboard?from=2026-11-01&to=2026-11-30", nil, "", 303, all(200), "text/html"},
		{"GET", "/export/days", nil, "", 303, all(200), "text/csv"},
		{"GET", "/export/rules?format=xlsx", nil, "", 303, all(200), "application/vnd.openxmlformats"},
		{"GET", "/export/indicator?format=csv", nil, "", 303, all(200), "text/csv"},
		{"GET", "/admin/users", nil, "", 303, adminOnly(200), "text/html"},
		{"GET", "/admin/audit", nil, "", 303, adminOnly(200), "text/html"},
		{"GET", "/api/me", nil, "", 401, all(200), "application/json"},
		{"GET", "/api/calls", nil, "", 401, staff(200), "application/json"},
		{"GET", api, nil, "", 401, staff(200), "application/json"},
		{"GET", api + "/reviews", nil, "", 401, staff(200), "application/json"},
		{"GET", "/api/reports/pass-rate?by=team", nil, "", 401, all(200), "application/json"},
		{"GET", "/api/reports/rules", nil, "", 401, all(200), "application/json"},
		{"GET", "/api/users", nil, "", 401, adminOnly(200), "application/json"},
		{"GET", "/api/audit", nil, "", 401, adminOnly(200), "application/json"},
		{"POST", call + "/reviews", reviewForm, "", 401, staff(303), ""},
		{"POST", call + "/verdict", url.Values{"verdict": {"fail"}}, "", 401, staff(303), ""},
		{"POST", api + "/reviews", nil, reviewJSON, 401, staff(200), "application/json"},
		{"POST", api + "/verdict", nil, `{"verdict":"fail","comment":"确认不合格"}`, 401, staff(200), "application/json"},
		{"POST", "/admin/users", nil, "", 401, adminOnly(303), ""}, // form filled per role below
		{"POST", "/logout", url.Values{}, "", 401, all(303), ""},
	}
	for _, role := range roles {
		for _, tc := range tests {
			t.Run(role+" "+tc.method+" "+tc.path, func(t *testing.T) {
				var c *client
				if role == anon {
					c = b.anon(t)
				} else {
					c = b.login(t, role)
				}
				var resp *http.Response
				switch {
				case tc.method == "GET":
					resp = c.get(tc.path)
				case tc.path == "/admin/users":
					resp = c.postForm(tc.path, url.Values{"name": {"new-" + role}, "role": {"viewer"}, "password": {"a long password"}})
				case tc.json != "":
					resp = c.postJSON(tc.path, tc.json)
				default:
					resp = c.postForm(tc.path, tc.form)
				}
				wantCode := tc.anon
				if role != anon {
					wantCode = tc.want[role]
				}
				if resp.StatusCode != wantCode {
					t.Fatalf("status %d, want %d: %.300s", resp.StatusCode, wantCode, bodyOf(resp))
				}
				if wantCode == 200 && tc.contentType != "" && !strings.HasPrefix(resp.Header.Get("Content-Type"), tc.contentType) {
					t.Errorf("Content-Type %q, want %s", resp.Header.Get("Content-Type"), tc.contentType)
				}
				if wantCode == 303 && role == anon && tc.method == "GET" && !strings.HasPrefix(resp.Header.Get("Location"), "/login?next=") {
					t.Errorf("anonymous redirect to %q", resp.Header.Get("Location"))
				}
				if wantCode == 403 {
					// The answer is the error page (or the API's error), not
					// the page asked for.
					body := bodyOf(resp)
					var apiErr apiError
					switch {
					case strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json"):
						if err := json.Unmarshal([]byte(body), &apiErr); err != nil || apiErr.Status != 403 || apiErr.Error == "" {
							t.Errorf("forbidden API answer is not its error: %.300s", body)
						}
					case !strings.Contains(body, `<section class="error">`) || !strings.Contains(body, "<h1>403 "):
						t.Errorf("forbidden page is not the error page: %.300s", body)
					}
				}
			})
		}
	}
	// Forbidden and anonymous POSTs wrote nothing; allowed ones did.
	ctx := context.Background()
	users, _ := b.wb.Users(ctx)
	var names []string
	for _, u := range users {
		names = append(names, u.Name)
	}
	if got := strings.Join(names, ","); got != "admin1,new-admin,reviewer1,viewer1" {
		t.Errorf("users = %s", got)
	}
	log, _ := b.wb.AuditLog(ctx, workbench.AuditFilter{Action: workbench.AuditReview})
	for _, e := range log {
		if e.User != "admin1" && e.User != "reviewer1" {
			t.Errorf("review by %s recorded", e.User)
		}
	}
	if len(log) != 4 { // form and JSON, by admin and reviewer
		t.Errorf("%d review audit entries, want 4", len(log))
	}
}

// TestRoleHomes checks where / sends each role and what the viewer's
// dashboard shows (no links into call pages).
func TestRoleHomes(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{InsecureCookies: true})
	for role, want := range map[string]string{admin: "/queue", reviewer: "/queue", viewer: "/dashboard"} {
		if loc := b.login(t, role).get("/").Header.Get("Location"); loc != want {
			t.Errorf("%s: / redirects to %q, want %s", role, loc, want)
		}
	}
	page := bodyOf(b.login(t, viewer).get("/dashboard"))
	if strings.Contains(page, "/calls/") || strings.Contains(page, `href="/queue"`) {
		t.Error("viewer's dashboard links to call pages or the queue")
	}
}

// TestCSRF rejects state-changing requests without the session's token or
// from another origin, and writes nothing.
func TestCSRF(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{InsecureCookies: true})
	r := b.result(t, callGreeting)
	f := firstDeduction(t, r)
	ms := strconv.FormatInt(models.StartMS(f.Start), 10)
	c := b.login(t, reviewer)
	other := b.login(t, admin)
	path := "/calls/" + callGreeting + "/reviews"
	form := func(csrf string) url.Values {
		return url.Values{"rule": {f.Rule}, "start_ms": {ms}, "decision": {"overturn"}, "comment": {"x"}, "csrf": {csrf}}
	}
	tests := []struct {
		name string
		do   func() *http.Response
	}{
		{"no token", func() *http.Response { return c.postForm(path, form("")) }},
		{"wrong token", func() *http.Response { return c.postForm(path, form("AAAA"+c.csrf[4:])) }},
		{"another session's token", func() *http.Response { return c.postForm(path, form(other.csrf)) }},
		{"cross-site origin", func() *http.Response {
			req, _ := http.NewRequest("POST", c.base+path, strings.NewReader(form(c.csrf).Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", "https://evil.example")
			return c.do(req)
		}},
		{"JSON without header", func() *http.Response {
			saved := c.csrf
			c.csrf = ""
			defer func() { c.csrf = saved }()
			return c.postJSON("/api/calls/"+callGreeting+"/verdict", `{"verdict":"pass"}`)
		}},
		{"verdict without token", func() *http.Response {
			return c.postForm("/calls/"+callGreeting+"/verdict", url.Values{"verdict": {"pass"}, "csrf": {""}})
		}},
		{"user creation without token", func() *http.Response {
			return other.postForm("/admin/users", url.Values{"name": {"mallory"}, "role": {"admin"}, "password": {"a long password"}, "csrf": {""}})
		}},
		{"logout without token", func() *http.Response { return c.postForm("/logout", url.Values{"csrf": {""}}) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := tc.do()
			if resp.StatusCode != http.StatusForbidden {
				t.Fatalf("status %d, want 403", resp.StatusCode)
			}
		})
	}
	ctx := context.Background()
	if rs, _ := b.wb.Reviews(ctx, callGreeting); len(rs) != 0 {
		t.Errorf("reviews written: %+v", rs)
	}
	if v, _ := b.wb.Verdict(ctx, callGreeting); v != nil {
		t.Errorf("verdict written: %+v", v)
	}
	if us, _ := b.wb.Users(ctx); len(us) != 3 {
		t.Errorf("%d users", len(us))
	}
	// The session survived the forged logout.
	if resp := c.get("/api/me"); resp.StatusCode != 200 {
		t.Errorf("session ended by a forged logout: %d", resp.StatusCode)
	}
	// And with the token it works.
	if resp := c.postForm(path, form(c.csrf)); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("with the token: %d %s", resp.StatusCode, bodyOf(resp))
	}
}

// TestBadParameters answers clear 4xx errors for bad input and writes
// nothing.
func TestBadParameters(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{InsecureCookies: true})
	r := b.result(t, callGreeting)
	f := firstDeduction(t, r)
	ms := strconv.FormatInt(models.StartMS(f.Start), 10)
	rev := b.login(t, reviewer)
	adm := b.login(t, admin)
	call := "/calls/" + callGreeting
	api := "/api/calls/" + callGreeting
	tests := []struct {
		name string
		do   func() *http.Response
		code int
		msg  string
	}{
		{"queue bad date", func() *http.Response { return rev.get("/queue?from=2026-13-01") }, 400, "不是日期"},
		{"queue reversed range", func() *http.Response { return rev.get("/queue?from=2026-11-30&to=2026-11-01") }, 400, "晚于"},
		{"queue bad sort", func() *http.Response { return rev.get("/queue?sort=random") }, 400, "sort"},
		{"queue bad status", func() *http.Response { return rev.get("/queue?status=done") }, 400, "status"},
		{"queue bad reason", func() *http.Response { return rev.get("/queue?reason=x") }, 400, "reason"},
		{"queue page 0", func() *http.Response { return rev.get("/queue?page=0") }, 400, "page"},
		{"api page size", func() *http.Response { return rev.get("/api/calls?size=10000") }, 400, "size"},
		{"dashboard bad date", func() *http.Response { return rev.get("/dashboard?to=yesterday") }, 400, "不是日期"},
		{"dashboard unknown param", func() *http.Response { return rev.get("/dashboard?team=x") }, 400, "未知参数"},
		{"dashboard range of 20 years", func() *http.Response { return rev.get("/dashboard?from=2006-12-01&to=2026-11-30") }, 400, "日期范围过长"},
		{"dashboard open range the data stretch", func() *http.Response { return rev.get("/dashboard?from=1900-01-01") }, 400, "日期范围过长"},
		{"dashboard range of 9 years", func() *http.Response { return rev.get("/dashboard?from=2017-12-01&to=2026-11-30") }, 200, "合格率看板"},
		{"pass-rate API range too long", func() *http.Response { return rev.get("/api/reports/pass-rate?from=1900-01-01&to=2026-11-30") }, 400, "日期范围过长"},
		{"pass-rate API by team range too long", func() *http.Response {
			return rev.get("/api/reports/pass-rate?by=team&from=1900-01-01&to=2026-11-30")
		}, 400, "日期范围过长"},
		{"rules API range too long", func() *http.Response { return rev.get("/api/reports/rules?from=1900-01-01&to=2026-11-30") }, 400, "日期范围过长"},
		{"export range too long", func() *http.Response { return rev.get("/export/days?from=1900-01-01&to=2026-11-30") }, 400, "日期范围过长"},
		{"export open range too long", func() *http.Response { return rev.get("/export/days?format=xlsx&from=1900-01-01") }, 400, "日期范围过长"},
		{"export unknown table", func() *http.Response { return rev.get("/export/secrets") }, 404, "没有表格"},
		{"export bad format", func() *http.Response { return rev.get("/export/days?format=pdf") }, 400, "format"},
		{"pass rate bad grouping", func() *http.Response { return rev.get("/api/reports/pass-rate?by=hour") }, 400, "by"},
		{"unknown call", func() *http.Response { return rev.get("/calls/C00000000-0000") }, 404, "找不到"},
		{"unknown call API", func() *http.Response { return rev.get("/api/calls/nope") }, 404, "找不到"},
		{"unknown call audio", func() *http.Response { return rev.get("/calls/nope/audio") }, 404, "找不到"},
		{"review bad decision", func() *http.Response {
			return rev.postForm(call+"/reviews", url.Values{"rule": {f.Rule}, "start_ms": {ms}, "decision": {"maybe"}})
		}, 400, "decision"},
		{"review bad start", func() *http.Response {
			return rev.postForm(call+"/reviews", url.Values{"rule": {f.Rule}, "start_ms": {"soon"}, "decision": {"confirm"}})
		}, 400, "start_ms"},
		{"review no such finding", func() *http.Response {
			return rev.postForm(call+"/reviews", url.Values{"rule": {"nope"}, "start_ms": {ms}, "decision": {"confirm"}})
		}, 400, "没有规则"},
		{"overturn without reason", func() *http.Response {
			return rev.postForm(call+"/reviews", url.Values{"rule": {f.Rule}, "start_ms": {ms}, "decision": {"overturn"}})
		}, 400, "理由"},
		{"review comment too long", func() *http.Response {
			return rev.postForm(call+"/reviews", url.Values{"rule": {f.Rule}, "start_ms": {ms}, "decision": {"confirm"}, "comment": {strings.Repeat("长", 2001)}})
		}, 400, "备注"},
		{"review unknown call", func() *http.Response {
			return rev.postForm("/calls/nope/reviews", url.Values{"rule": {f.Rule}, "start_ms": {ms}, "decision": {"confirm"}})
		}, 404, "找不到"},
		{"verdict bad value", func() *http.Response { return rev.postForm(call+"/verdict", url.Values{"verdict": {"ok"}}) }, 400, "verdict"},
		{"API review unknown field", func() *http.Response {
			return rev.postJSON(api+"/reviews", `{"rule":"x","start_ms":1,"decision":"confirm","extra":1}`)
		}, 400, "JSON"},
		{"API review not JSON", func() *http.Response { return rev.postJSON(api+"/reviews", `rule=x`) }, 400, "JSON"},
		{"API verdict bad value", func() *http.Response { return rev.postJSON(api+"/verdict", `{"verdict":"maybe"}`) }, 400, "verdict"},
		{"API login bad JSON", func() *http.Response { return b.anon(t).postJSON("/api/login", `{`) }, 400, "JSON"},
		{"user bad name", func() *http.Response {
			return adm.postForm("/admin/users", url.Values{"name": {"a b"}, "role": {"viewer"}, "password": {"a long password"}})
		}, 400, "用户名无效"},
		{"user bad role", func() *http.Response {
			return adm.postForm("/admin/users", url.Values{"name": {"bob"}, "role": {"root"}, "password": {"a long password"}})
		}, 400, "角色无效"},
		{"user short password", func() *http.Response {
			return adm.postForm("/admin/users", url.Values{"name": {"bob"}, "role": {"viewer"}, "password": {"short"}})
		}, 400, "密码"},
		{"user exists", func() *http.Response {
			return adm.postForm("/admin/users", url.Values{"name": {"viewer1"}, "role": {"viewer"}, "password": {"a long password"}})
		}, 409, "已存在"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := tc.do()
			body := bodyOf(resp)
			if resp.StatusCode != tc.code || !strings.Contains(body, tc.msg) {
				t.Fatalf("status %d, want %d with %q: %.400s", resp.StatusCode, tc.code, tc.msg, body)
			}
		})
	}
	ctx := context.Background()
	for _, id := range []string{callGreeting, "nope"} {
		if rs, _ := b.wb.Reviews(ctx, id); len(rs) != 0 {
			t.Errorf("reviews of %s written: %+v", id, rs)
		}
		if v, _ := b.wb.Verdict(ctx, id); v != nil {
			t.Errorf("verdict on %s written", id)
		}
	}
	if us, _ := b.wb.Users(ctx); len(us) != 3 {
		t.Errorf("%d users, want 3", len(us))
	}
	for _, a := range []string{workbench.AuditReview, workbench.AuditVerdict, workbench.AuditUserAdd} {
		if log, _ := b.wb.AuditLog(ctx, workbench.AuditFilter{Action: a}); len(log) != 0 {
			t.Errorf("audit %s written: %+v", a, log)
		}
	}
}

// TestReviewFlow overturns a finding and follows it to the call page, the
// dashboard, the reports API, the audit trail, and a re-inspection with a
// new scorecard version.
func TestReviewFlow(t *testing.T) {
	t.Parallel()
	for _, be := range testsvc.Backends(t) {
		t.Run(be.Name, func(t *testing.T) {
			reviewFlow(t, setupDB(t, Config{InsecureCookies: true, CalibrationRate: -1}, be.Fresh(t)))
		})
	}
}

func reviewFlow(t *testing.T, b *bundle) {
	c := b.login(t, reviewer)
	call := callTaboo
	r := b.result(t, call)
	if r.Passed {
		t.Fatalf("%s passed; the samples changed?", call)
	}
	var deducting []models.Finding
	for _, f := range r.Findings {
		if f.Deduct > 0 || f.Veto {
			deducting = append(deducting, f)
		}
	}
	if len(deducting) < 2 {
		t.Fatalf("%s: want two deducting findings, got %+v", call, r.Findings)
	}

	type rate struct {
		Rate         float64 `json:"rate"`
		ReviewedRate float64 `json:"reviewed_rate"`
		Inspected    int     `json:"inspected"`
	}
	passRate := func() rate {
		var out struct{ Total rate }
		if resp := c.getJSON("/api/reports/pass-rate", &out); resp.StatusCode != 200 {
			t.Fatalf("pass-rate: %d", resp.StatusCode)
		}
		return out.Total
	}
	before := passRate()
	if before.Inspected != 12 || before.Rate != before.ReviewedRate {
		t.Fatalf("before review: %+v", before)
	}
	// The queue lists the failed call as pending.
	var q workbench.QueuePage
	c.getJSON("/api/calls?status=pending", &q)
	found := false
	for _, it := range q.Items {
		found = found || it.CallID == call && it.Reason == workbench.ReasonVeto
	}
	if !found || q.Counts.Calibration != 0 {
		t.Fatalf("queue: %+v", q)
	}

	page := bodyOf(c.get("/calls/" + call))
	if !strings.Contains(page, "复核后：不合格") || !strings.Contains(page, "<mark>不归我们管</mark>") || !strings.Contains(page, `class="wave"`) {
		t.Fatalf("call page lacks the verdict, the highlighted evidence or the waveform: %s", page)
	}
	overturn := func(f models.Finding) {
		t.Helper()
		resp := c.postForm("/calls/"+call+"/reviews", url.Values{"rule": {f.Rule},
			"start_ms": {strconv.FormatInt(models.StartMS(f.Start), 10)}, "decision": {"overturn"}, "comment": {"ASR 误识别"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("overturn: %d %s", resp.StatusCode, bodyOf(resp))
		}
	}
	overturn(deducting[0])
	if got := passRate(); got != before {
		t.Fatalf("one veto finding left, yet the rate moved: %+v", got)
	}
	for _, f := range deducting[1:] {
		overturn(f)
	}
	page = bodyOf(c.get("/calls/" + call))
	if !strings.Contains(page, "复核后：合格") || !strings.Contains(page, "已推翻") {
		t.Fatal("call page does not show the overturn")
	}
	after := passRate()
	// One call of the 12 samples more passes: the rates are rounded to
	// four places.
	if after.Rate != before.Rate || math.Abs(after.ReviewedRate-before.ReviewedRate-1.0/12) > 1e-4 {
		t.Fatalf("after overturn: %+v (before %+v)", after, before)
	}
	var ind struct {
		Indicator struct {
			Weight        float64 `json:"weight"`
			Target        float64 `json:"target"`
			MachineRate   float64 `json:"machine_rate"`
			MachineScore  float64 `json:"machine_score"`
			ReviewedRate  float64 `json:"reviewed_rate"`
			ReviewedScore float64 `json:"reviewed_score"`
		}
	}
	c.getJSON("/api/reports/pass-rate", &ind)
	if i := ind.Indicator; i.Weight != 10 || i.Target != 0.95 || i.MachineRate != 0.9167 || i.MachineScore != 9.65 ||
		i.ReviewedRate != 1 || i.ReviewedScore != 10 {
		t.Errorf("indicator %+v", i)
	}
	dash := bodyOf(c.get("/dashboard"))
	if !strings.Contains(dash, fmt.Sprintf(`id="reviewed-rate">%.1f%%`, after.ReviewedRate*100)) {
		t.Error("dashboard does not show the reviewed pass rate")
	}
	var rules struct {
		Rules []struct {
			Rule         string
			Reviewed     int
			Overturned   int
			OverturnRate *float64 `json:"overturn_rate"`
		}
	}
	c.getJSON("/api/reports/rules", &rules)
	seen := false
	for _, rr := range rules.Rules {
		if rr.Rule == deducting[0].Rule {
			seen = true
			if rr.Overturned != len(deducting) || rr.OverturnRate == nil || *rr.OverturnRate != 1 {
				t.Errorf("overturn rate of %s: %+v", rr.Rule, rr)
			}
		}
	}
	if !seen {
		t.Errorf("rules report lacks %s: %+v", deducting[0].Rule, rules)
	}
	csv := bodyOf(c.get("/export/rules"))
	if !strings.HasPrefix(csv, "\ufeff规则,名称") || !strings.Contains(csv, deducting[0].Rule) {
		t.Errorf("rules CSV: %.200s", csv)
	}

	// A verdict beats the re-scoring.
	if resp := c.postJSON("/api/calls/"+call+"/verdict", `{"verdict":"fail","comment":"确有服务禁语"}`); resp.StatusCode != 200 {
		t.Fatalf("verdict: %d %s", resp.StatusCode, bodyOf(resp))
	}
	if got := passRate(); got != before {
		t.Errorf("after a fail verdict: %+v", got)
	}

	// The audit trail has login, reviews and the verdict.
	log, err := b.wb.AuditLog(context.Background(), workbench.AuditFilter{User: "reviewer1"})
	if err != nil {
		t.Fatal(err)
	}
	actions := map[string]int{}
	for _, e := range log {
		actions[e.Action]++
	}
	if actions[workbench.AuditLogin] != 1 || actions[workbench.AuditReview] != len(deducting) || actions[workbench.AuditVerdict] != 1 {
		t.Errorf("audit actions %v", actions)
	}

	// Re-inspection with a new scorecard version: the reviews stay visible.
	sc2 := *b.sc
	sc2.Version++
	r2 := *r
	r2.Scorecard.Version = sc2.Version
	if err := b.st.SaveResult(context.Background(), "", &r2); err != nil {
		t.Fatal(err)
	}
	b.srv.sc = &sc2
	var detail apiCallBody
	if resp := c.getJSON("/api/calls/"+call, &detail); resp.StatusCode != 200 {
		t.Fatalf("call API: %d", resp.StatusCode)
	}
	if detail.Result.Scorecard.Version != sc2.Version || len(detail.Reviews) != len(deducting) || detail.Reviews[0].ScorecardVersion != b.sc.Version || detail.ReviewedPassed {
		t.Errorf("after re-inspection: version %d, reviews %+v", detail.Result.Scorecard.Version, detail.Reviews)
	}
	if !strings.Contains(bodyOf(c.get("/calls/"+call)), "已推翻") {
		t.Error("re-inspected call page lost the reviews")
	}
}

// TestAudio checks playback: G.711 transcoded to PCM16 WAV of the right
// duration, PCM16 served as stored, Range requests, the audit trail and a
// missing recording.
func TestAudio(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{InsecureCookies: true})
	c := b.login(t, reviewer)
	for _, id := range []string{callGreeting, "C20261125-0005", callGood} {
		t.Run(id, func(t *testing.T) {
			r := b.result(t, id)
			resp := c.get("/calls/" + id + "/audio")
			if resp.StatusCode != 200 || resp.Header.Get("Accept-Ranges") != "bytes" {
				t.Fatalf("status %d, Accept-Ranges %q", resp.StatusCode, resp.Header.Get("Accept-Ranges"))
			}
			full := []byte(bodyOf(resp))
			if len(full) < 44 || string(full[:4]) != "RIFF" || string(full[8:12]) != "WAVE" {
				t.Fatalf("not a WAV file (%d bytes)", len(full))
			}
			if r.Audio.Format == "pcm_s16le" {
				orig, err := os.ReadFile(filepath.Join(b.src, filepath.FromSlash(r.Recording)))
				if err != nil {
					t.Fatal(err)
				}
				if string(orig) != string(full) {
					t.Error("PCM16 recording not served as stored")
				}
			} else {
				format := binary.LittleEndian.Uint16(full[20:])
				channels := int(binary.LittleEndian.Uint16(full[22:]))
				rate := int(binary.LittleEndian.Uint32(full[24:]))
				bits := binary.LittleEndian.Uint16(full[34:])
				data := int(binary.LittleEndian.Uint32(full[40:]))
				if format != 1 || bits != 16 || channels != r.Audio.Channels || rate != r.Audio.SampleRate || data != len(full)-44 {
					t.Fatalf("header: format %d bits %d channels %d rate %d data %d of %d", format, bits, channels, rate, data, len(full)-44)
				}
				dur := float64(data) / float64(2*channels*rate)
				if math.Abs(dur-r.Audio.DurationS) > 0.01 {
					t.Errorf("duration %.3f s, result says %.3f s", dur, r.Audio.DurationS)
				}
			}
			// A range from the middle: 206 with exactly those bytes.
			part := c.get("/calls/"+id+"/audio", "Range", "bytes=1000-1999")
			if part.StatusCode != http.StatusPartialContent || bodyOf(part) != string(full[1000:2000]) {
				t.Fatalf("range: %d, %d bytes", part.StatusCode, len(bodyOf(part)))
			}
			if got := part.Header.Get("Content-Range"); got != fmt.Sprintf("bytes 1000-1999/%d", len(full)) {
				t.Errorf("Content-Range %q", got)
			}
		})
	}
	// One playback entry per listening (the first request), not per range.
	log, _ := b.wb.AuditLog(context.Background(), workbench.AuditFilter{Action: workbench.AuditPlayback})
	if len(log) != 3 || log[0].User != "reviewer1" || log[0].CallID == "" {
		t.Errorf("playback audit: %+v", log)
	}
	// An unprocessable recording: its page says why, its audio is a 422.
	bad := filepath.Join(b.src, "2026/11/25/BAD-0001.wav")
	if err := os.WriteFile(bad, []byte("RIFF\x10\x00\x00\x00WAVEjunkjunk"), 0o644); err != nil {
		t.Fatal(err)
	}
	eng, err := pipeline.NewEngine(b.sc, pipeline.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	src, err := source.NewLocal(b.src)
	if err != nil {
		t.Fatal(err)
	}
	res, err := eng.InspectKey(context.Background(), src, "2026/11/25/BAD-0001.wav")
	if err != nil || res.Status != "unprocessable" {
		t.Fatalf("inspect garbage: %+v, %v", res, err)
	}
	if err := b.st.SaveResult(context.Background(), "", res); err != nil {
		t.Fatal(err)
	}
	if page := bodyOf(c.get("/calls/BAD-0001")); !strings.Contains(page, "无法质检") {
		t.Errorf("unprocessable call page: %.300s", page)
	}
	if resp := c.get("/calls/BAD-0001/audio"); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("unprocessable audio: %d %s", resp.StatusCode, bodyOf(resp))
	}

	// A recording gone from the source.
	r := b.result(t, callTaboo)
	if err := os.Remove(filepath.Join(b.src, filepath.FromSlash(r.Recording))); err != nil {
		t.Fatal(err)
	}
	if resp := c.get("/calls/" + callTaboo + "/audio"); resp.StatusCode != 404 || !strings.Contains(bodyOf(resp), "录音文件不存在") {
		t.Errorf("missing recording: %d %s", resp.StatusCode, bodyOf(resp))
	}
	// Neither failed request (422, 404) is a listen.
	for _, id := range []string{"BAD-0001", callTaboo} {
		if log, _ := b.wb.AuditLog(context.Background(), workbench.AuditFilter{Action: workbench.AuditPlayback, CallID: id}); len(log) != 0 {
			t.Errorf("failed playback of %s audited: %+v", id, log)
		}
	}
}

// TestLoginRateLimit locks an address and user name out after 5 failures
// within 15 minutes, and lets them in again once the failures age out.
func TestLoginRateLimit(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{InsecureCookies: true})
	c := b.anon(t)
	try := func(name, pw string) int {
		return c.postForm("/login", url.Values{"name": {name}, "password": {pw}}).StatusCode
	}
	for i := range 5 {
		if code := try("reviewer1", "wrong password"); code != http.StatusUnauthorized {
			t.Fatalf("failure %d: status %d", i+1, code)
		}
		b.clock.advance(time.Minute)
	}
	if code := try("reviewer1", testPassword); code != http.StatusTooManyRequests {
		t.Fatalf("6th attempt with the right password: %d, want 429", code)
	}
	if code := try("viewer1", testPassword); code != http.StatusSeeOther {
		t.Fatalf("another user from the same address: %d", code)
	}
	b.clock.advance(11 * time.Minute) // the first failure is 16 minutes old
	if code := try("reviewer1", testPassword); code != http.StatusSeeOther {
		t.Fatalf("after the window: %d", code)
	}
	log, _ := b.wb.AuditLog(context.Background(), workbench.AuditFilter{Action: workbench.AuditLoginFailed})
	if len(log) != 5 {
		t.Errorf("%d failed logins audited, want 5", len(log))
	}
}

// TestSessionCookie checks the cookie attributes, logout and expiry.
func TestSessionCookie(t *testing.T) {
	t.Parallel()
	for _, insecure := range []bool{false, true} {
		b := setup(t, Config{InsecureCookies: insecure, SessionTTL: time.Hour})
		c := b.anon(t)
		resp := c.postForm("/login", url.Values{"name": {"reviewer1"}, "password": {testPassword}})
		var ck *http.Cookie
		for _, x := range resp.Cookies() {
			if x.Name == sessionCookie {
				ck = x
			}
		}
		if ck == nil || !ck.HttpOnly || ck.Secure == insecure || ck.SameSite != http.SameSiteLaxMode || len(ck.Value) < 43 {
			t.Fatalf("insecure=%v: cookie %+v", insecure, ck)
		}
		if insecure {
			c = b.login(t, reviewer)
			b.clock.advance(59 * time.Minute)
			if code := c.get("/api/me").StatusCode; code != 200 {
				t.Fatalf("before expiry: %d", code)
			}
			b.clock.advance(time.Minute)
			if code := c.get("/api/me").StatusCode; code != 401 {
				t.Fatalf("after expiry: %d", code)
			}
			c = b.login(t, reviewer)
			if code := c.postForm("/logout", url.Values{}).StatusCode; code != 303 {
				t.Fatalf("logout: %d", code)
			}
			if code := c.get("/api/me").StatusCode; code != 401 {
				t.Fatalf("after logout: %d", code)
			}
		}
	}
}

// TestAPILogin logs in through the API and uses the returned CSRF token.
func TestAPILogin(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{InsecureCookies: true})
	c := b.anon(t)
	resp := c.postJSON("/api/login", `{"name":"reviewer1","password":"wrong password"}`)
	if resp.StatusCode != 401 {
		t.Fatalf("wrong password: %d", resp.StatusCode)
	}
	resp = c.postJSON("/api/login", fmt.Sprintf(`{"name":"reviewer1","password":%q}`, testPassword))
	var out struct{ CSRF string }
	if resp.StatusCode != 200 {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	if err := jsonDecode(resp, &out); err != nil || out.CSRF == "" {
		t.Fatalf("login body: %v", err)
	}
	c.csrf = out.CSRF
	if resp := c.postJSON("/api/calls/"+callGreeting+"/verdict", `{"verdict":"pass"}`); resp.StatusCode != 200 {
		t.Fatalf("verdict: %d %s", resp.StatusCode, bodyOf(resp))
	}
}

// TestQueueDefaultDates checks that the queue without from and to covers
// the most recent day with results (shown in the filter form), however long
// ago, that explicit dates still reach other days, and that a scorecard
// version without results opens on today.
func TestQueueDefaultDates(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{InsecureCookies: true, CalibrationRate: -1})
	// The samples are of 2026-11-25; the clock says 2026-11-26.
	tests := []struct {
		name     string
		advance  time.Duration
		query    string
		from, to string
		taboo    bool // the failed sample call is listed
	}{
		{"default: the day of the samples", 0, "", "2026-11-25", "2026-11-25", true},
		{"explicit range", 0, "?from=2026-11-25&to=2026-11-25", "2026-11-25", "2026-11-25", true},
		{"open-ended from is kept", 0, "?from=2026-11-01", "2026-11-01", "", true},
		{"explicit range without calls", 0, "?from=2026-11-26&to=2026-11-30", "2026-11-26", "2026-11-30", false},
		{"default a month later: still the samples' day", 30 * 24 * time.Hour, "", "2026-11-25", "2026-11-25", true},
	}
	for _, tc := range tests {
		b.clock.advance(tc.advance)
		c := b.login(t, reviewer)
		var p workbench.QueuePage
		if resp := c.getJSON("/api/calls"+tc.query, &p); resp.StatusCode != 200 {
			t.Fatalf("%s: status %d", tc.name, resp.StatusCode)
		}
		listed := false
		for _, it := range p.Items {
			listed = listed || it.CallID == callTaboo
		}
		if p.From != tc.from || p.To != tc.to || listed != tc.taboo {
			t.Errorf("%s: range %q..%q, taboo listed %v; want %q..%q, %v", tc.name, p.From, p.To, listed, tc.from, tc.to, tc.taboo)
		}
		page := bodyOf(c.get("/queue" + tc.query))
		for _, want := range []string{`name="from" value="` + tc.from + `"`, `name="to" value="` + tc.to + `"`, "有质检结果的最近一天"} {
			if !strings.Contains(page, want) {
				t.Errorf("%s: queue page lacks %s", tc.name, want)
			}
		}
		if strings.Contains(page, "/calls/"+callTaboo) != tc.taboo {
			t.Errorf("%s: queue page lists the taboo call: %v, want %v", tc.name, !tc.taboo, tc.taboo)
		}
	}
	// A later day with results becomes the default.
	r := *b.result(t, callGood)
	r.Recording = "2026/12/02/late.wav"
	r.CallID, r.Meta.CallID = "LATE", "LATE"
	day := time.Date(2026, 12, 2, 10, 0, 0, 0, hotlineZone())
	r.Meta.StartedAt = &day
	if err := b.st.SaveResult(context.Background(), "", &r); err != nil {
		t.Fatal(err)
	}
	var p workbench.QueuePage
	if b.login(t, reviewer).getJSON("/api/calls", &p); p.From != "2026-12-02" || p.To != "2026-12-02" {
		t.Errorf("after a later call: %s..%s, want 2026-12-02", p.From, p.To)
	}

	// An empty database (no results of the version): today, in the
	// hotline's zone.
	empty := setupDB(t, Config{InsecureCookies: true}, filepath.Join(t.TempDir(), "empty.db"))
	if _, err := empty.st.DB().Exec(`DELETE FROM results`); err != nil {
		t.Fatal(err)
	}
	if err := empty.st.RebuildRollups(context.Background()); err != nil { // rows deleted by hand
		t.Fatal(err)
	}
	if empty.login(t, reviewer).getJSON("/api/calls", &p); p.From != "2026-11-26" || p.To != "2026-11-26" {
		t.Errorf("no results: %s..%s, want today, 2026-11-26", p.From, p.To)
	}
}

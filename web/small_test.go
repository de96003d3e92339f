package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/workbench"
)

// TestReviewFormErrors posts refused review and verdict forms: the answer
// is the call page (400) with the message at the form, and what was typed
// kept, not a bare error page.
func TestReviewFormErrors(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{InsecureCookies: true})
	f := firstDeduction(t, b.result(t, callGreeting))
	ms := strconv.FormatInt(models.StartMS(f.Start), 10)
	rev := b.login(t, reviewer)
	call := "/calls/" + callGreeting

	resp := rev.postForm(call+"/reviews", url.Values{"rule": {f.Rule}, "start_ms": {ms}, "decision": {"overturn"}, "comment": {"  "}})
	page := bodyOf(resp)
	anchor := fmt.Sprintf(`id="f-%s-%s"`, f.Rule, ms)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, `id="player"`) {
		t.Fatalf("overturn without a reason: %d, not the call page: %.300s", resp.StatusCode, page)
	}
	// The message sits inside the finding reviewed, before its form.
	i, j := strings.Index(page, anchor), strings.Index(page, `id="form-error"`)
	if i < 0 || j < i || !strings.Contains(page[j:], "推翻时请填写理由") || strings.Count(page, `id="form-error"`) != 1 {
		t.Errorf("the message is not at the finding (finding at %d, message at %d)", i, j)
	}
	if !strings.Contains(page, `value="  " autofocus`) {
		t.Errorf("the comment field is not kept and focused")
	}

	resp = rev.postForm(call+"/verdict", url.Values{"verdict": {"maybe"}, "comment": {"看一下"}})
	page = bodyOf(resp)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, `id="form-error"`) || !strings.Contains(page, `value="看一下" autofocus`) {
		t.Errorf("bad verdict: %d, no message at the verdict form", resp.StatusCode)
	}
	if rs, _ := b.wb.Reviews(context.Background(), b.result(t, callGreeting).Recording); len(rs) != 0 {
		t.Errorf("a refused form stored reviews: %+v", rs)
	}
}

// TestFindingWithoutSpeaker: a finding about the whole call (dead air) has
// no speaker, and its evidence is shown without a stray "：".
func TestFindingWithoutSpeaker(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{InsecureCookies: true})
	r := *b.result(t, callGood)
	value, limit := 10.9, 8.0
	r.Findings = append(r.Findings, models.Finding{Rule: "dead_air", Name: "长时间静音", Start: 30, End: 40.9,
		Evidence: "10.9 s", Value: &value, Unit: models.UnitSeconds, Limit: &limit, Deduct: 5},
		models.Finding{Rule: "custom", Name: "自定义", Start: 41, End: 42, Speaker: "both", Evidence: "x"})
	if err := b.st.SaveResult(context.Background(), "", &r); err != nil {
		t.Fatal(err)
	}
	page := bodyOf(b.login(t, reviewer).get("/calls/" + callGood))
	for _, want := range []string{`<div class="evidence">10.9 秒，达到阈值 8.0 秒</div>`, `<div class="evidence">both：x</div>`} {
		if !strings.Contains(page, want) {
			t.Errorf("call page lacks %s", want)
		}
	}
	if strings.Contains(page, `<div class="evidence">：`) {
		t.Error(`evidence starting with "："`)
	}
}

// TestActionLogChinese: the call page's action log and the audit page say
// the decisions and verdicts in Chinese.
func TestActionLogChinese(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{InsecureCookies: true})
	f := firstDeduction(t, b.result(t, callGreeting))
	ms := strconv.FormatInt(models.StartMS(f.Start), 10)
	rev := b.login(t, reviewer)
	call := "/calls/" + callGreeting
	for _, form := range []url.Values{
		{"rule": {f.Rule}, "start_ms": {ms}, "decision": {"confirm"}},
		{"rule": {f.Rule}, "start_ms": {ms}, "decision": {"overturn"}, "comment": {"误报"}},
	} {
		if resp := rev.postForm(call+"/reviews", form); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("review: %d", resp.StatusCode)
		}
	}
	if resp := rev.postForm(call+"/verdict", url.Values{"verdict": {"pass"}, "comment": {"可以"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("verdict: %d", resp.StatusCode)
	}
	page := bodyOf(rev.get(call))
	at := fmt.Sprintf("%s@%.3fs", f.Rule, float64(models.StartMS(f.Start))/1000)
	for _, want := range []string{"复核 确认 " + at, "复核 推翻 " + at + " 误报", "结论 判定合格 可以"} {
		if !strings.Contains(page, want) {
			t.Errorf("action log lacks %q", want)
		}
	}
	for _, raw := range []string{"复核 confirm", "复核 overturn", "结论 pass"} {
		if strings.Contains(page, raw) {
			t.Errorf("action log shows %q", raw)
		}
	}
	audit := bodyOf(b.login(t, admin).get("/admin/audit"))
	if !strings.Contains(audit, "<td>判定合格 可以</td>") || !strings.Contains(audit, "<td>推翻 "+at+" 误报</td>") {
		t.Errorf("audit page does not translate the details")
	}
}

// TestLoginRefusedAudited makes 30 wrong logins from one client: the 5
// checked are login_failed entries, the 25 the rate limit refused are
// login_refused entries whose counts add up to 25 (the first written at
// once, the others together when the audit trail is read), and refusals a
// minute later get an entry of their own.
func TestLoginRefusedAudited(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{InsecureCookies: true})
	c := b.anon(t)
	for i := range 30 {
		resp := c.postForm("/login", url.Values{"name": {"viewer1"}, "password": {"wrong password"}})
		if want := map[bool]int{true: 401, false: 429}[i < 5]; resp.StatusCode != want {
			t.Fatalf("attempt %d: %d, want %d", i+1, resp.StatusCode, want)
		}
	}
	refused := func() (entries, attempts int) {
		t.Helper()
		var log []workbench.AuditEntry
		if resp := b.login(t, admin).getJSON("/api/audit?action=login_refused", &log); resp.StatusCode != 200 {
			t.Fatalf("audit: %d", resp.StatusCode)
		}
		for _, e := range log {
			var n int
			if _, err := fmt.Sscanf(e.Detail, loginRefusedFormat, &n); err != nil || e.User != "viewer1" || e.Remote != "127.0.0.1" {
				t.Errorf("entry %+v", e)
			}
			attempts += n
		}
		return len(log), attempts
	}
	failed, _ := b.wb.AuditLog(context.Background(), workbench.AuditFilter{Action: workbench.AuditLoginFailed})
	if len(failed) != 5 {
		t.Errorf("%d login_failed entries, want 5", len(failed))
	}
	if entries, attempts := refused(); entries != 2 || attempts != 25 {
		t.Errorf("login_refused: %d entries for %d attempts, want 2 for 25", entries, attempts)
	}
	b.clock.advance(2 * time.Minute)
	c.postForm("/login", url.Values{"name": {"viewer1"}, "password": {"wrong password"}})
	if entries, attempts := refused(); entries != 3 || attempts != 26 {
		t.Errorf("a refusal later: %d entries for %d attempts, want 3 for 26", entries, attempts)
	}
	page := bodyOf(b.login(t, admin).get("/admin/audit?action=login_refused"))
	if !strings.Contains(page, "登录被拒（限流）") || !strings.Contains(page, "24 次登录尝试被拒绝") {
		t.Errorf("audit page does not show the refusals")
	}
}

// TestRefusalLogClose: refusals not yet written are written when the
// server closes.
func TestRefusalLogClose(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{InsecureCookies: true, LoginMaxFailures: 1})
	c := b.anon(t)
	for range 4 {
		c.postForm("/login", url.Values{"name": {"nobody"}, "password": {"wrong password"}})
	}
	b.srv.Close()
	log, err := b.wb.AuditLog(context.Background(), workbench.AuditFilter{Action: workbench.AuditLoginRefused})
	details := map[string]bool{}
	for _, e := range log {
		details[e.Detail] = true
	}
	if err != nil || len(log) != 2 || !details[fmt.Sprintf(loginRefusedFormat, 1)] || !details[fmt.Sprintf(loginRefusedFormat, 2)] {
		t.Errorf("after Close: %+v %v; want the first refusal and one entry for 2", log, err)
	}
}

// TestBodyLimits: a form too large is a 413 saying so (not a CSRF
// failure); the JSON API takes one object of known fields and nothing
// after it, and comments without control characters.
func TestBodyLimits(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{InsecureCookies: true})
	f := firstDeduction(t, b.result(t, callGreeting))
	ms := models.StartMS(f.Start)
	rev := b.login(t, reviewer)
	call := "/calls/" + callGreeting
	big := strings.Repeat("长", 4<<20) // 12 MB of text, 36 MB encoded
	for _, path := range []string{call + "/reviews", call + "/verdict", "/logout"} {
		resp := rev.postForm(path, url.Values{"comment": {big}})
		if body := bodyOf(resp); resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, "过大") || strings.Contains(body, "CSRF") {
			t.Errorf("POST %s of 36 MB: %d %.200s", path, resp.StatusCode, body)
		}
	}
	resp := b.anon(t).postForm("/login", url.Values{"name": {"reviewer1"}, "password": {big}})
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(bodyOf(resp), "过大") {
		t.Errorf("login form of 36 MB: %d", resp.StatusCode)
	}

	review := func(comment string) string {
		js, _ := json.Marshal(map[string]any{"rule": f.Rule, "start_ms": ms, "decision": "confirm", "comment": comment})
		return string(js)
	}
	tests := []struct {
		name, path, body string
		code             int
		msg              string
	}{
		{"trailing object", "/reviews", review("") + `{"rule":"x"}`, 400, "对象之后还有数据"},
		{"trailing garbage", "/reviews", review("") + ` x`, 400, "JSON"},
		{"trailing whitespace", "/reviews", review("") + " \n", 200, ""},
		{"NUL in a comment", "/reviews", review("a\x00b"), 400, "控制字符 U+0000"},
		{"escape in a comment", "/reviews", review("a\x1b[31mb"), 400, "控制字符 U+001B"},
		{"C1 control in a comment", "/verdict", `{"verdict":"pass","comment":"a\u0085b"}`, 400, "控制字符 U+0085"},
		{"newline and tab", "/reviews", review("第一行\r\n第二行\t完"), 200, ""},
		{"verdict with trailing data", "/verdict", `{"verdict":"pass"}[]`, 400, "对象之后还有数据"},
		{"too large", "/reviews", review(strings.Repeat("x", 70000)), 413, "过大"},
	}
	for _, tc := range tests {
		resp := rev.postJSON("/api"+call+tc.path, tc.body)
		if body := bodyOf(resp); resp.StatusCode != tc.code || !strings.Contains(body, tc.msg) {
			t.Errorf("%s: %d %.200s; want %d with %q", tc.name, resp.StatusCode, body, tc.code, tc.msg)
		}
	}
	if resp := b.anon(t).postJSON("/api/login", `{"name":"reviewer1","password":"`+testPassword+`"} {}`); resp.StatusCode != 400 {
		t.Errorf("API login with trailing data: %d", resp.StatusCode)
	}
	rs, _ := b.wb.Reviews(context.Background(), b.result(t, callGreeting).Recording)
	if len(rs) != 1 || rs[0].Comment != "第一行\n第二行\t完" {
		t.Errorf("stored reviews %+v", rs)
	}
	// A form's comment is checked the same way.
	resp = rev.postForm(call+"/reviews", url.Values{"rule": {f.Rule}, "start_ms": {fmt.Sprint(ms)}, "decision": {"confirm"}, "comment": {"a\x00b"}})
	if resp.StatusCode != 400 || !strings.Contains(bodyOf(resp), "控制字符") {
		t.Errorf("form comment with a NUL: %d", resp.StatusCode)
	}
}

// TestDashboardDayGaps: the daily table folds the days without calls into
// one row per run; the export keeps every day.
func TestDashboardDayGaps(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{InsecureCookies: true})
	c := b.login(t, viewer)
	page := bodyOf(c.get("/dashboard?from=2026-11-01&to=2026-11-30"))
	table := regexp.MustCompile(`(?s)<table class="list rates" id="t-days">.*?</table>`).FindString(page)
	for _, want := range []string{"2026-11-01 ~ 2026-11-24：无通话（24 天）", "<td>2026-11-25</td>", "2026-11-26 ~ 2026-11-30：无通话（5 天）"} {
		if !strings.Contains(table, want) {
			t.Errorf("daily table lacks %s:\n%s", want, table)
		}
	}
	if n := strings.Count(table, "<tr"); n != 4 { // the header and three rows
		t.Errorf("daily table has %d rows, want 4", n)
	}
	csv := bodyOf(c.get("/export/days?from=2026-11-01&to=2026-11-30"))
	if n := strings.Count(csv, "\n2026-11-"); n != 30 {
		t.Errorf("export lists %d days, want 30", n)
	}
	if got := collapseDays([]rateRow{{Key: "a"}, {Key: "b", Inspected: 1}, {Key: "c"}}); len(got) != 3 || !got[0].Gap || got[0].GapDays != 1 || got[1].Gap {
		t.Errorf("collapse one empty day: %+v", got)
	}
}

// TestFavicon: the icon is served at /favicon.ico and linked from pages.
func TestFavicon(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{InsecureCookies: true})
	c := b.anon(t)
	for _, path := range []string{"/favicon.ico", "/static/favicon.svg"} {
		resp := c.get(path)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/svg+xml" || !strings.Contains(bodyOf(resp), "<svg") {
			t.Errorf("%s: %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
	if !strings.Contains(bodyOf(c.get("/login")), `<link rel="icon" href="/static/favicon.svg"`) {
		t.Error("the login page does not link the icon")
	}
}

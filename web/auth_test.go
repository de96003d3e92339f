package web

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callqa/callqa/workbench"
)

func TestSafeNext(t *testing.T) {
	t.Parallel()
	tests := []struct {
		next, want string
	}{
		{"", "/"},
		{"/", "/"},
		{"/queue", "/queue"},
		{"/queue?status=pending&page=2", "/queue?status=pending&page=2"},
		{"/calls/C20261125-0003", "/calls/C20261125-0003"},
		{"/calls/C20261125-0003#f2", "/calls/C20261125-0003#f2"},
		{"/dashboard?by=team", "/dashboard?by=team"},
		{"/admin/users", "/admin/users"},
		// Other hosts, however spelled.
		{"//evil.example", "/"},
		{"/\\evil.example", "/"},
		{"/\t/evil.example", "/"}, // browsers strip the tab: //evil.example
		{"/\n/evil.example", "/"},
		{"/\r/evil.example", "/"},
		{"\t//evil.example", "/"},
		{"/\x00/evil.example", "/"},
		{"/\x7f/evil.example", "/"},
		{"/queue\\..\\..\\evil", "/"},
		{"https://evil.example/queue", "/"},
		{"http:/queue", "/"},
		{"javascript:alert(1)", "/"},
		{"evil.example", "/"},
		{"/%2f/evil.example", "/"},
		{"/%09/evil.example", "/"},
		// Not pages.
		{"/api/me", "/"},
		{"/export/calls.csv", "/"},
		{"/logout", "/"},
		{"/login", "/"},
		{"/calls/", "/"},
		{"/calls/../api/me", "/"},
		{"/queue/../api/me", "/"},
		{"/calls/./x", "/"},
		{"/queuex", "/"},
		{"/" + strings.Repeat("a", 3000), "/"},
	}
	for _, tc := range tests {
		if got := safeNext(tc.next); got != tc.want {
			t.Errorf("safeNext(%.80q) = %.80q, want %q", tc.next, got, tc.want)
		}
	}
}

// TestLoginNext checks the redirect after a login: a page of the site is
// kept, a control character that a browser would strip falls back to the
// home page.
func TestLoginNext(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{InsecureCookies: true})
	tests := []struct{ next, want string }{
		{"/\t/evil.example", "/"},
		{"/\\/evil.example", "/"},
		{"/api/me", "/"},
		{"/calls/" + callTaboo, "/calls/" + callTaboo},
	}
	for _, tc := range tests {
		c := b.anon(t)
		resp := c.postForm("/login", url.Values{"name": {"reviewer1"}, "password": {testPassword}, "next": {tc.next}})
		if got := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || got != tc.want {
			t.Errorf("next %q: %s, Location %q; want 303 to %q", tc.next, resp.Status, got, tc.want)
		}
	}
	// The login page does not echo an unsafe next into its form.
	page := bodyOf(b.anon(t).get("/login?next=" + url.QueryEscape("/\t/evil.example")))
	if strings.Contains(page, "evil.example") {
		t.Errorf("login page carries the unsafe next:\n%s", page)
	}
}

// TestLoginLimiterUnit checks the limiter's bookkeeping: the client and
// user pair and the user name have their own limits, an attempt counts
// from its reservation, a success withdraws it, and refusal says how long
// to wait.
func TestLoginLimiterUnit(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	l := newLoginLimiter(3, 5, 10*time.Minute, func() time.Time { return now })
	for range 3 {
		if _, ok, _ := l.reserve("192.0.2.1", "Ann"); !ok {
			t.Fatal("refused before the limit")
		}
		now = now.Add(time.Minute)
	}
	_, ok, wait := l.reserve("192.0.2.1", "ann")
	if ok || wait != 7*time.Minute {
		t.Fatalf("4th attempt: allowed %v, wait %v; want refused for 7m", ok, wait)
	}
	// The same user from another address: two more, then the user's
	// limit (5) holds whatever the address.
	for i, addr := range []string{"192.0.2.2", "192.0.2.3"} {
		if _, ok, _ := l.reserve(addr, "ann"); !ok {
			t.Fatalf("address %d refused", i)
		}
	}
	if _, ok, _ := l.reserve("192.0.2.4", "ann"); ok {
		t.Fatal("user limit not applied across addresses")
	}
	if _, ok, _ := l.reserve("192.0.2.1", "bob"); !ok {
		t.Fatal("another user refused")
	}
	// A success forgets the pair's failures and withdraws its own
	// attempt from the user's count; a cancelled attempt counts nowhere.
	a, ok, _ := l.reserve("192.0.2.9", "bob")
	if !ok {
		t.Fatal("bob refused")
	}
	a.succeeded()
	if n := len(l.failures["u|bob"]); n != 1 {
		t.Errorf("bob's user count %d after a failure and a success, want 1", n)
	}
	if _, ok := l.failures["c|192.0.2.9|bob"]; ok {
		t.Error("success kept the pair's failures")
	}
	a, _, _ = l.reserve("192.0.2.9", "carl")
	a.cancelled()
	if len(l.failures["u|carl"])+len(l.failures["c|192.0.2.9|carl"]) != 0 {
		t.Errorf("cancelled attempt still counted: %v", l.failures)
	}
	now = now.Add(7 * time.Minute) // ann's first attempt from 192.0.2.1 is 10 minutes old
	if _, ok, _ := l.reserve("192.0.2.1", "ann"); !ok {
		t.Fatal("still refused after the oldest attempt aged out")
	}
}

func TestClientBucket(t *testing.T) {
	t.Parallel()
	tests := []struct{ addr, want string }{
		{"192.0.2.1", "192.0.2.1"},
		{"::ffff:192.0.2.1", "192.0.2.1"},
		{"2001:db8:1:2::a", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"},
		{"2001:db8:1:3::a", "2001:db8:1:3::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{"not-an-ip", "not-an-ip"},
	}
	for _, tc := range tests {
		if got := clientBucket(tc.addr); got != tc.want {
			t.Errorf("clientBucket(%q) = %q, want %q", tc.addr, got, tc.want)
		}
	}
}

// TestLoginRateLimitParallel sends 40 wrong passwords at once: only the
// limit's 5 are checked, the rest are refused before bcrypt.
func TestLoginRateLimitParallel(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{InsecureCookies: true})
	const n = 40
	codes := make(chan int, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			c := b.anon(t)
			<-start
			codes <- c.postForm("/login", url.Values{"name": {"reviewer1"}, "password": {"wrong password"}}).StatusCode
		})
	}
	close(start)
	wg.Wait()
	close(codes)
	count := map[int]int{}
	for c := range codes {
		count[c]++
	}
	if count[http.StatusUnauthorized] != 5 || count[http.StatusTooManyRequests] != n-5 {
		t.Errorf("statuses %v, want 5 × 401 and %d × 429", count, n-5)
	}
	log, err := b.wb.AuditLog(context.Background(), workbench.AuditFilter{Action: workbench.AuditLoginFailed})
	if err != nil || len(log) != 5 {
		t.Errorf("%d failed logins checked and audited (%v), want 5", len(log), err)
	}
}

// proxied is a request through the reverse proxy on 127.0.0.1 for the
// client at addr.
func proxied(c *client, path string, form url.Values, hdr ...string) *http.Response {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	return c.do(req)
}

var loopbackProxy = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

// TestLoginRateLimitPerUser spreads guesses of one user name over many
// addresses (behind the trusted proxy): each address stays below its
// limit, the user name's limit (20) still locks the name, not the others.
func TestLoginRateLimitPerUser(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{InsecureCookies: true, TrustedProxies: loopbackProxy})
	c := b.anon(t)
	try := func(addr, name, pw string) int {
		return proxied(c, "/login", url.Values{"name": {name}, "password": {pw}}, "X-Forwarded-For", addr).StatusCode
	}
	for i := range 20 {
		if code := try(fmt.Sprintf("198.51.100.%d", i/4+1), "reviewer1", "wrong password"); code != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i+1, code)
		}
	}
	if code := try("203.0.113.50", "reviewer1", testPassword); code != http.StatusTooManyRequests {
		t.Errorf("21st attempt, new address, right password: %d, want 429", code)
	}
	if code := try("198.51.100.1", "viewer1", testPassword); code != http.StatusSeeOther {
		t.Errorf("another user from a guessing address: %d, want 303", code)
	}
}

// TestLoginRateLimitIPv6 checks that an IPv6 client is limited by its /64:
// new addresses in the same /64 do not get new attempts.
func TestLoginRateLimitIPv6(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{InsecureCookies: true, TrustedProxies: loopbackProxy})
	c := b.anon(t)
	try := func(addr, pw string) int {
		return proxied(c, "/login", url.Values{"name": {"reviewer1"}, "password": {pw}}, "X-Forwarded-For", addr).StatusCode
	}
	for i := range 5 {
		if code := try(fmt.Sprintf("2001:db8:1:2::%x", i+1), "wrong password"); code != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i+1, code)
		}
	}
	if code := try("2001:db8:1:2:ffff::1", testPassword); code != http.StatusTooManyRequests {
		t.Errorf("same /64: %d, want 429", code)
	}
	if code := try("2001:db8:1:3::1", testPassword); code != http.StatusSeeOther {
		t.Errorf("another /64: %d, want 303", code)
	}
}

func TestClientFrom(t *testing.T) {
	t.Parallel()
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("fd00::/8")}
	tests := []struct {
		name   string
		remote string
		tls    bool
		hdr    [][2]string
		want   clientInfo
	}{
		{"direct", "203.0.113.9:5000", false, nil, clientInfo{"203.0.113.9", "", "callqa.example"}},
		{"direct over TLS", "203.0.113.9:5000", true, nil, clientInfo{"203.0.113.9", "https", "callqa.example"}},
		{"untrusted peer's headers ignored", "203.0.113.9:5000", false,
			[][2]string{{"X-Forwarded-For", "198.51.100.1"}, {"X-Forwarded-Proto", "https"}, {"X-Forwarded-Host", "evil.example"}},
			clientInfo{"203.0.113.9", "", "callqa.example"}},
		{"trusted proxy", "127.0.0.1:40000", false,
			[][2]string{{"X-Forwarded-For", "203.0.113.9"}, {"X-Forwarded-Proto", "https"}, {"X-Forwarded-Host", "qa.example"}},
			clientInfo{"203.0.113.9", "https", "qa.example"}},
		{"client-written entries left of the proxy's", "127.0.0.1:40000", false,
			[][2]string{{"X-Forwarded-For", "198.51.100.1, 10.9.9.9, 203.0.113.9"}},
			clientInfo{"203.0.113.9", "", "callqa.example"}},
		{"chain of trusted proxies", "127.0.0.1:40000", false,
			[][2]string{{"X-Forwarded-For", "198.51.100.1, 203.0.113.9, 10.0.0.2"}},
			clientInfo{"203.0.113.9", "", "callqa.example"}},
		{"several header lines", "127.0.0.1:40000", false,
			[][2]string{{"X-Forwarded-For", "198.51.100.1"}, {"X-Forwarded-For", "203.0.113.9, 10.0.0.2"}},
			clientInfo{"203.0.113.9", "", "callqa.example"}},
		{"garbage stops at the nearest trusted hop", "127.0.0.1:40000", false,
			[][2]string{{"X-Forwarded-For", "203.0.113.9, bogus, 10.0.0.2"}},
			clientInfo{"10.0.0.2", "", "callqa.example"}},
		{"only trusted hops", "127.0.0.1:40000", false,
			[][2]string{{"X-Forwarded-For", "10.0.0.3, 10.0.0.2"}},
			clientInfo{"10.0.0.3", "", "callqa.example"}},
		{"no X-Forwarded-For", "127.0.0.1:40000", false, nil, clientInfo{"127.0.0.1", "", "callqa.example"}},
		{"IPv6 with port", "127.0.0.1:40000", false,
			[][2]string{{"X-Forwarded-For", "[2001:db8::1]:443"}},
			clientInfo{"2001:db8::1", "", "callqa.example"}},
		{"IPv6 proxy", "[fd00::1]:40000", false,
			[][2]string{{"X-Forwarded-For", "2001:db8::1"}, {"X-Forwarded-Proto", "HTTPS"}},
			clientInfo{"2001:db8::1", "https", "callqa.example"}},
		{"bad scheme and host ignored", "127.0.0.1:40000", false,
			[][2]string{{"X-Forwarded-Proto", "ftp"}, {"X-Forwarded-Host", "evil.example/x"}},
			clientInfo{"127.0.0.1", "", "callqa.example"}},
		{"nearest proxy's scheme and host", "127.0.0.1:40000", false,
			[][2]string{{"X-Forwarded-Proto", "http, https"}, {"X-Forwarded-Host", "evil.example, qa.example"}},
			clientInfo{"127.0.0.1", "https", "qa.example"}},
	}
	for _, tc := range tests {
		r := httptest.NewRequest(http.MethodGet, "http://callqa.example/queue", nil)
		r.RemoteAddr = tc.remote
		if tc.tls {
			r.TLS = &tls.ConnectionState{}
		}
		for _, h := range tc.hdr {
			r.Header.Add(h[0], h[1])
		}
		if got := clientFrom(r, trusted); got != tc.want {
			t.Errorf("%s: clientFrom = %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

// TestTrustedProxy runs the workbench behind a reverse proxy on the same
// host (nginx -> 127.0.0.1): trusted, the forwarded client address is
// audited and has its own lockout bucket, and the same-origin check uses
// the forwarded scheme and host; untrusted, the headers are ignored.
func TestTrustedProxy(t *testing.T) {
	t.Parallel()
	fwd := func(addr string) []string {
		return []string{"X-Forwarded-For", addr, "X-Forwarded-Proto", "https", "X-Forwarded-Host", "qa.example", "Origin", "https://qa.example"}
	}
	login := url.Values{"name": {"reviewer1"}, "password": {testPassword}}
	wrong := url.Values{"name": {"reviewer1"}, "password": {"wrong password"}}

	t.Run("trusted", func(t *testing.T) {
		t.Parallel()
		b := setup(t, Config{TrustedProxies: loopbackProxy})
		c := b.anon(t)
		if resp := proxied(c, "/login", login, fwd("203.0.113.9")...); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("login through the proxy: %s %s", resp.Status, bodyOf(resp))
		}
		log, _ := b.wb.AuditLog(context.Background(), workbench.AuditFilter{Action: workbench.AuditLogin})
		if len(log) != 1 || log[0].Remote != "203.0.113.9" {
			t.Errorf("audited login %+v, want remote 203.0.113.9", log)
		}
		// Same origin: the forwarded scheme and host, not 127.0.0.1:port.
		for _, tc := range []struct {
			origin string
			want   int
		}{
			{"https://qa.example", http.StatusSeeOther},
			{"http://qa.example", http.StatusForbidden},
			{"https://evil.example", http.StatusForbidden},
			{"null", http.StatusForbidden},
		} {
			hdr := append(fwd("203.0.113.9")[:6], "Origin", tc.origin)
			if code := proxied(b.anon(t), "/login", login, hdr...).StatusCode; code != tc.want {
				t.Errorf("Origin %s: %d, want %d", tc.origin, code, tc.want)
			}
		}
		// One client locked out, another one (same user name) not.
		for range 5 {
			proxied(c, "/login", wrong, fwd("198.51.100.7")...)
		}
		if code := proxied(c, "/login", login, fwd("198.51.100.7")...).StatusCode; code != http.StatusTooManyRequests {
			t.Errorf("locked-out client: %d, want 429", code)
		}
		if code := proxied(c, "/login", login, fwd("198.51.100.8")...).StatusCode; code != http.StatusSeeOther {
			t.Errorf("another client behind the same proxy: %d, want 303", code)
		}
		// The audit trail of a review carries the forwarded address too.
		rc := b.login(t, reviewer)
		resp := proxied(rc, "/calls/"+callGreeting+"/verdict", url.Values{"verdict": {"pass"}, "csrf": {rc.csrf}}, fwd("203.0.113.77")...)
		if resp.StatusCode >= 400 {
			t.Fatalf("verdict through the proxy: %s %s", resp.Status, bodyOf(resp))
		}
		log, _ = b.wb.AuditLog(context.Background(), workbench.AuditFilter{Action: workbench.AuditVerdict})
		if len(log) != 1 || log[0].Remote != "203.0.113.77" {
			t.Errorf("audited verdict %+v, want remote 203.0.113.77", log)
		}
	})

	t.Run("untrusted", func(t *testing.T) {
		t.Parallel()
		b := setup(t, Config{})
		c := b.anon(t)
		if code := proxied(c, "/login", login, fwd("203.0.113.9")...).StatusCode; code != http.StatusForbidden {
			t.Errorf("forwarded Origin from an untrusted peer: %d, want 403", code)
		}
		hdr := fwd("203.0.113.9")[:6]
		if resp := proxied(c, "/login", login, hdr...); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("login: %s", resp.Status)
		}
		log, _ := b.wb.AuditLog(context.Background(), workbench.AuditFilter{Action: workbench.AuditLogin})
		if len(log) != 1 || log[0].Remote != "127.0.0.1" {
			t.Errorf("audited login %+v, want the connection's address 127.0.0.1", log)
		}
		// A forged X-Forwarded-For does not escape a lockout.
		for range 5 {
			proxied(c, "/login", wrong, "X-Forwarded-For", "198.51.100.7")
		}
		if code := proxied(c, "/login", login, "X-Forwarded-For", "198.51.100.8").StatusCode; code != http.StatusTooManyRequests {
			t.Errorf("forged X-Forwarded-For after a lockout: %d, want 429", code)
		}
	})
}

// TestSecureCookieDefault checks that the default, Secure session cookie
// still works over http://127.0.0.1 (as in browsers, Go's cookie jar sends
// it to a loopback host), so local trials need no --insecure-cookies.
func TestSecureCookieDefault(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{})
	c := b.anon(t)
	resp := c.postForm("/login", url.Values{"name": {"reviewer1"}, "password": {testPassword}})
	var secure bool
	for _, ck := range resp.Cookies() {
		if ck.Name == sessionCookie {
			secure = ck.Secure
		}
	}
	if resp.StatusCode != http.StatusSeeOther || !secure {
		t.Fatalf("login: %s, Secure %v; want 303 and a Secure cookie", resp.Status, secure)
	}
	var me struct{ User workbench.User }
	if code := c.getJSON("/api/me", &me).StatusCode; code != http.StatusOK || me.User.Name != "reviewer1" {
		t.Fatalf("/api/me with the Secure cookie over http://127.0.0.1: %d %+v", code, me)
	}
}

// TestUserStatus disables and enables a user from the admin page: the
// user's session ends at once, the login is refused, the change is
// audited; only an admin with the CSRF token may do it, and not to
// themselves.
func TestUserStatus(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{InsecureCookies: true})
	ctx := context.Background()
	ad := b.login(t, admin)
	rv := b.login(t, reviewer)
	status := func(c *client, name, action string, form url.Values) *http.Response {
		if form == nil {
			form = url.Values{}
		}
		form.Set("action", action)
		return c.postForm("/admin/users/"+name+"/status", form)
	}
	refused := []struct {
		name string
		c    *client
		user string
		form url.Values
		act  string
		want int
	}{
		{"no CSRF token", ad, "reviewer1", url.Values{"csrf": {""}}, "disable", http.StatusForbidden},
		{"wrong CSRF token", ad, "reviewer1", url.Values{"csrf": {"x" + ad.csrf}}, "disable", http.StatusForbidden},
		{"reviewer", rv, "viewer1", nil, "disable", http.StatusForbidden},
		{"admin disables themselves", ad, "admin1", nil, "disable", http.StatusBadRequest},
		{"unknown user", ad, "nobody", nil, "disable", http.StatusNotFound},
		{"bad action", ad, "reviewer1", nil, "delete", http.StatusBadRequest},
	}
	for _, tc := range refused {
		if code := status(tc.c, tc.user, tc.act, tc.form).StatusCode; code != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, code, tc.want)
		}
	}
	if code := rv.get("/api/me").StatusCode; code != http.StatusOK {
		t.Fatalf("a refused request disabled the reviewer: %d", code)
	}

	resp := status(ad, "reviewer1", "disable", nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/users?disabled=reviewer1" {
		t.Fatalf("disable: %s, Location %q", resp.Status, resp.Header.Get("Location"))
	}
	if code := rv.get("/api/me").StatusCode; code != http.StatusUnauthorized {
		t.Errorf("disabled user's session: %d, want 401", code)
	}
	if code := b.anon(t).postForm("/login", url.Values{"name": {"reviewer1"}, "password": {testPassword}}).StatusCode; code != http.StatusUnauthorized {
		t.Errorf("disabled user's login: %d, want 401", code)
	}
	page := bodyOf(ad.get("/admin/users?disabled=reviewer1"))
	for _, want := range []string{"已停用用户 reviewer1", `action="/admin/users/reviewer1/status"`, `value="enable"`} {
		if !strings.Contains(page, want) {
			t.Errorf("users page lacks %q", want)
		}
	}
	if strings.Contains(page, `action="/admin/users/admin1/status"`) {
		t.Error("users page offers the admin to disable themselves")
	}

	b.clock.advance(time.Second)
	if resp := status(ad, "reviewer1", "enable", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("enable: %s", resp.Status)
	}
	b.login(t, reviewer)

	log, err := b.wb.AuditLog(ctx, workbench.AuditFilter{User: "admin1"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range log {
		if e.Action == workbench.AuditUserDisable || e.Action == workbench.AuditUserEnable {
			got = append(got, e.Action+" "+e.Detail+" "+e.Remote)
		}
	}
	want := []string{"user_enable reviewer1 127.0.0.1", "user_disable reviewer1 127.0.0.1"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("audit %q, want %q", got, want)
	}
}

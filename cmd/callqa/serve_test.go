package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callqa/callqa/store"
	"github.com/callqa/callqa/workbench"
)

// syncBuffer is a bytes.Buffer safe to read while a command writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestUserAdd(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "callqa.db")
	code, out, errOut := runCmd(t, "user", "add", "wang", "--role", "reviewer", "--db", db)
	if code != exitOK || !regexp.MustCompile(`created user wang \(role reviewer\) with password \S{16}\n`).MatchString(out) {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"user", "add", "wang", "--role", "viewer", "--db", db}, "already exists"},
		{[]string{"user", "add", "li", "--role", "root", "--db", db}, "--role"},
		{[]string{"user", "add", "--role", "viewer", "--db", db}, "one NAME"},
		{[]string{"user", "add", "a b", "--role", "viewer", "--db", db}, "user name"},
		{[]string{"user", "delete", "wang"}, "usage"},
	}
	for _, tc := range tests {
		code, _, errOut := runCmd(t, tc.args...)
		if code != exitBadInput || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 with %q", tc.args, code, errOut, tc.want)
		}
	}

	// --password-stdin: the password is the first line of stdin, and it is
	// the one that logs in.
	code, out, errOut = runCmdStdin(t, "correct horse battery\nignored\n", "user", "add", "li", "--role", "viewer", "--password-stdin", "--db", db)
	if code != exitOK || strings.Contains(out, "correct horse") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if code, _, errOut := runCmdStdin(t, "short\n", "user", "add", "zhao", "--role", "viewer", "--password-stdin", "--db", db); code != exitBadInput || !strings.Contains(errOut, "password") {
		t.Errorf("short password: exit %d, stderr %q", code, errOut)
	}
	st, err := store.Open(context.Background(), db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	wb, err := workbench.New(st, workbench.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wb.Authenticate(context.Background(), "li", "correct horse battery"); err != nil {
		t.Errorf("li cannot log in with the password given on stdin: %v", err)
	}
}

// serveSamples inspects the samples into a fresh database and starts the
// workbench on it with the extra flags; it returns the address, the
// bootstrap admin's password and the database. The server stops (and must
// exit 0) at the end of the test.
func serveSamples(t *testing.T, extra ...string) (addr, pw, db string) {
	t.Helper()
	return serveFolder(t, filepath.Join("..", "..", "samples"), extra...)
}

// serveFolder is serveSamples on the recordings under samples.
func serveFolder(t *testing.T, samples string, extra ...string) (addr, pw, db string) {
	t.Helper()
	db = filepath.Join(t.TempDir(), "callqa.db")
	if code, out, errOut := runCmd(t, "run", samples, "--db", db, "--workers", "2"); code != exitOK {
		t.Fatalf("run: exit %d\n%s%s", code, out, errOut)
	}
	addr, pw, _ = serveDB(t, db, samples, extra...)
	return addr, pw, db
}

// serveDB starts the workbench on the database db and the recordings
// under samples, as serveFolder does; it also returns what serve printed
// when it started.
func serveDB(t *testing.T, db, samples string, extra ...string) (addr, pw, started string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr = ln.Addr().String()
	ln.Close()

	var out, errOut syncBuffer
	e := &env{stdout: &out, stderr: &errOut, getenv: func(string) string { return "" },
		logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	args := append([]string{"serve", "--db", db, "--source", samples, "--addr", addr}, extra...)
	go func() { done <- run(ctx, e, args) }()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != exitOK {
				t.Errorf("serve exit %d: %s", code, errOut.String())
			}
		case <-time.After(15 * time.Second):
			t.Error("serve did not stop")
		}
	})

	deadline := time.Now().Add(10 * time.Second)
	for {
		// The password is printed before the address, and only by the
		// first server on a database.
		if strings.Contains(out.String(), "http://"+addr) {
			m := regexp.MustCompile(`created user admin \(role admin\) with password (\S+)`).FindStringSubmatch(out.String())
			if m == nil {
				return addr, "", out.String()
			}
			return addr, m[1], out.String()
		}
		select {
		case code := <-done:
			done <- code
			t.Fatalf("serve exited %d:\n%s%s", code, out.String(), errOut.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start:\n%s%s", out.String(), errOut.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// loginAs posts the login form with the extra headers and returns the
// response and its session cookie.
func loginAs(t *testing.T, addr, name, pw string, hdr ...string) (*http.Response, *http.Cookie) {
	t.Helper()
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/login", strings.NewReader(url.Values{"name": {name}, "password": {pw}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "callqa_session" {
			cookie = c
		}
	}
	return resp, cookie
}

// getWith GETs path with the session cookie and returns the status and body.
func getWith(t *testing.T, addr, path string, cookie *http.Cookie) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+addr+path, nil)
	req.AddCookie(cookie)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(body)
}

// TestServe starts the workbench on the inspected samples, logs in as the
// bootstrap admin and stops it by cancelling the context. On a loopback
// address too, the session cookie is Secure by default.
func TestServe(t *testing.T) {
	t.Parallel()
	addr, pw, _ := serveSamples(t)
	resp, cookie := loginAs(t, addr, "admin", pw)
	if resp.StatusCode != http.StatusSeeOther || cookie == nil || !cookie.Secure || !cookie.HttpOnly {
		t.Fatalf("login: %s, cookie %+v (want Secure, also on loopback)", resp.Status, cookie)
	}
	code, body := getWith(t, addr, "/api/calls?status=pending&from=2026-11-25&to=2026-11-25", cookie)
	if code != 200 || !strings.Contains(body, "C20261125-0003") {
		t.Fatalf("queue: %d %.300s", code, body)
	}
}

// TestServeBehindProxy starts the workbench as behind nginx on the same
// host: --trusted-proxy makes the forwarded client address, scheme and
// host count; --insecure-cookies is the only way to drop Secure.
func TestServeBehindProxy(t *testing.T) {
	t.Parallel()
	addr, pw, _ := serveSamples(t, "--trusted-proxy", "10.0.0.0/8, 127.0.0.1", "--insecure-cookies")
	fwd := []string{"X-Forwarded-For", "203.0.113.9", "X-Forwarded-Proto", "https", "X-Forwarded-Host", "qa.example", "Origin", "https://qa.example"}
	resp, cookie := loginAs(t, addr, "admin", pw, fwd...)
	if resp.StatusCode != http.StatusSeeOther || cookie == nil || cookie.Secure {
		t.Fatalf("login through the proxy: %s, cookie %+v (want not Secure with --insecure-cookies)", resp.Status, cookie)
	}
	code, body := getWith(t, addr, "/api/audit?action=login", cookie)
	if code != 200 || !regexp.MustCompile(`"remote":\s*"203\.0\.113\.9"`).MatchString(body) {
		t.Errorf("audited login: %d %s; want remote 203.0.113.9", code, body)
	}
	if resp, _ := loginAs(t, addr, "admin", pw, "Origin", "https://qa.example"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("Origin without the forwarded host: %s, want 403", resp.Status)
	}
}

// TestServeLatestScorecard inspects the samples with a scorecard of the
// user's own and starts the workbench without --scorecard: it serves that
// scorecard, the newest in the database, as callqa report does, and says
// so; --scorecard still picks the built-in one.
func TestServeLatestScorecard(t *testing.T) {
	t.Parallel()
	samples := filepath.Join("..", "..", "samples")
	builtin, err := os.ReadFile(filepath.Join("..", "..", "scorecards", "hotline-12333.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	own := filepath.Join(t.TempDir(), "my-card.yaml")
	card := regexp.MustCompile(`(?m)^id: .*$`).ReplaceAll(builtin, []byte("id: my-card"))
	card = regexp.MustCompile(`(?m)^version: .*$`).ReplaceAll(card, []byte("version: 7"))
	if err := os.WriteFile(own, card, 0o644); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(t.TempDir(), "callqa.db")
	if code, out, errOut := runCmd(t, "run", samples, "--db", db, "--scorecard", own); code != exitOK {
		t.Fatalf("run: exit %d\n%s%s", code, out, errOut)
	}
	addr, pw, started := serveDB(t, db, samples)
	if !strings.Contains(started, "scorecard my-card v7, the newest in the database") {
		t.Errorf("serve does not say which scorecard it serves:\n%s", started)
	}
	_, cookie := loginAs(t, addr, "admin", pw)
	code, body := getWith(t, addr, "/api/calls?from=2026-11-25&to=2026-11-25", cookie)
	if code != 200 || !strings.Contains(body, "C20261125-0003") {
		t.Fatalf("queue without --scorecard: %d %.300s", code, body)
	}
	if code, body := getWith(t, addr, "/calls/C20261125-0003", cookie); code != 200 || !strings.Contains(body, "my-card v7") {
		t.Errorf("call page: %d", code)
	}

	// --scorecard names the built-in card: its version, with no results
	// (the admin of the first server logs in).
	addr, _, _ = serveDB(t, db, samples, "--scorecard", filepath.Join("..", "..", "scorecards", "hotline-12333.yaml"))
	_, cookie = loginAs(t, addr, "admin", pw)
	if code, body := getWith(t, addr, "/dashboard", cookie); code != 200 || !strings.Contains(body, `<option value="my-card:7">my-card v7（12 通）</option>`) {
		t.Errorf("dashboard with --scorecard: %d, no selector naming my-card v7", code)
	}
}

// TestServeCacheDir starts two workbenches with one --cache-dir: each
// transcodes into a private folder of its own under it, both keep playing
// a G.711 recording, and each removes its folder when it stops.
func TestServeCacheDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	t.Cleanup(func() { // runs after both servers stopped
		if left, _ := filepath.Glob(filepath.Join(dir, "*")); len(left) != 0 {
			t.Errorf("left in --cache-dir after the servers stopped: %v", left)
		}
	})
	play := func(addr string, cookie *http.Cookie) {
		t.Helper()
		code, body := getWith(t, addr, "/calls/C20261125-0002/audio", cookie) // mu-law
		if code != http.StatusOK || !strings.HasPrefix(body, "RIFF") {
			t.Fatalf("audio from %s: %d %.100q", addr, code, body)
		}
	}
	var cookies []*http.Cookie
	var addrs []string
	for range 2 {
		addr, pw, _ := serveSamples(t, "--cache-dir", dir)
		_, cookie := loginAs(t, addr, "admin", pw)
		play(addr, cookie)
		addrs, cookies = append(addrs, addr), append(cookies, cookie)
	}
	for i := range addrs {
		play(addrs[i], cookies[i])
	}
	if folders, _ := filepath.Glob(filepath.Join(dir, "callqa-audio-*")); len(folders) != 2 {
		t.Errorf("cache folders %v, want one per server", folders)
	}
}

func TestServeFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--trusted-proxy", "nginx"}, "trusted-proxy"},
		{[]string{"serve", "--trusted-proxy", "10.0.0.0/33"}, "trusted-proxy"},
		{[]string{"serve", "--addr", "8080"}, "--addr"},
		{[]string{"serve", "--tz", "Local"}, "--tz"},
		{[]string{"serve", "--tz", "Mars/Olympus"}, "--tz"},
		{[]string{"serve", "--cache-dir", "/nonexistent/callqa"}, "--cache-dir"},
	} {
		code, _, errOut := runCmd(t, tc.args...)
		if code != exitBadInput || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 naming %s", tc.args, code, errOut, tc.want)
		}
	}
	var p prefixList
	if err := p.Set("10.0.0.0/8, 192.0.2.7,::1"); err != nil {
		t.Fatal(err)
	}
	if err := p.Set("fd00::/8"); err != nil {
		t.Fatal(err)
	}
	if got := p.String(); got != "10.0.0.0/8,192.0.2.7/32,::1/128,fd00::/8" {
		t.Errorf("prefixes %s", got)
	}
}

// TestUserManage disables, enables and re-passwords a user on the command
// line: sessions end, logins follow, every change is audited as "cli", and
// list shows the status.
func TestUserManage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "callqa.db")
	if code, out, errOut := runCmdStdin(t, "correct horse battery\n", "user", "add", "wang", "--role", "reviewer", "--password-stdin", "--db", db); code != exitOK {
		t.Fatalf("add: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, _ := runCmdStdin(t, "correct horse battery\n", "user", "add", "li", "--role", "viewer", "--password-stdin", "--db", db); code != exitOK {
		t.Fatal("add li")
	}
	st, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	wb, err := workbench.New(st, workbench.Config{})
	if err != nil {
		t.Fatal(err)
	}
	session := func(name, pw string) string {
		t.Helper()
		u, err := wb.Authenticate(ctx, name, pw)
		if err != nil {
			t.Fatalf("%s cannot log in: %v", name, err)
		}
		token, _, err := wb.CreateSession(ctx, u, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return token
	}
	live := func(token string) bool {
		_, err := wb.Session(ctx, token)
		return err == nil
	}
	wangTok, liTok := session("wang", "correct horse battery"), session("li", "correct horse battery")

	code, out, errOut := runCmd(t, "user", "disable", "wang", "--db", db)
	if code != exitOK || !strings.Contains(out, "disabled user wang") {
		t.Fatalf("disable: exit %d\n%s%s", code, out, errOut)
	}
	if live(wangTok) || !live(liTok) {
		t.Errorf("after disabling wang: wang's session live %v, li's %v; want false, true", live(wangTok), live(liTok))
	}
	if _, err := wb.Authenticate(ctx, "wang", "correct horse battery"); !errors.Is(err, workbench.ErrBadCredentials) {
		t.Errorf("disabled wang logs in: %v", err)
	}
	_, out, _ = runCmd(t, "user", "list", "--db", db)
	if !regexp.MustCompile(`(?m)^li\s+viewer\s+active\s`).MatchString(out) || !regexp.MustCompile(`(?m)^wang\s+reviewer\s+disabled\s`).MatchString(out) {
		t.Errorf("list:\n%s", out)
	}

	if code, _, errOut := runCmd(t, "user", "enable", "wang", "--db", db); code != exitOK {
		t.Fatalf("enable: exit %d %s", code, errOut)
	}
	wangTok = session("wang", "correct horse battery")

	// passwd: generated and printed once, or from stdin; sessions end.
	code, out, errOut = runCmd(t, "user", "passwd", "wang", "--db", db)
	m := regexp.MustCompile(`new password of wang: (\S{16})\n`).FindStringSubmatch(out)
	if code != exitOK || m == nil {
		t.Fatalf("passwd: exit %d\n%s%s", code, out, errOut)
	}
	if live(wangTok) {
		t.Error("wang's session survived the password change")
	}
	wangTok = session("wang", m[1])
	code, out, errOut = runCmdStdin(t, "battery staple horse\n", "user", "passwd", "wang", "--password-stdin", "--db", db)
	if code != exitOK || strings.Contains(out, "battery staple") {
		t.Fatalf("passwd --password-stdin: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if live(wangTok) {
		t.Error("wang's session survived the second password change")
	}
	session("wang", "battery staple horse")

	for _, tc := range []struct {
		stdin string
		args  []string
		want  string
	}{
		{"", []string{"user", "disable", "nobody", "--db", db}, "no such user"},
		{"", []string{"user", "enable", "nobody", "--db", db}, "no such user"},
		{"", []string{"user", "passwd", "nobody", "--db", db}, "no such user"},
		{"short\n", []string{"user", "passwd", "wang", "--password-stdin", "--db", db}, "password"},
		{"", []string{"user", "disable", "--db", db}, "one NAME"},
		{"", []string{"user", "disable", "a b", "--db", db}, "user name"},
		{"", []string{"user", "list", "wang", "--db", db}, "no arguments"},
		{"", []string{"user", "disable", "wang", "--role", "admin", "--db", db}, "role"},
	} {
		code, _, errOut := runCmdStdin(t, tc.stdin, tc.args...)
		if code != exitBadInput || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 with %q", tc.args, code, errOut, tc.want)
		}
	}
	session("wang", "battery staple horse") // the refused passwd changed nothing

	log, err := wb.AuditLog(ctx, workbench.AuditFilter{User: "cli"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range log {
		got = append(got, e.Action+" "+e.Detail)
	}
	want := []string{"user_passwd wang", "user_passwd wang", "user_enable wang", "user_disable wang"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("audit by cli: %q, want %q", got, want)
	}
}

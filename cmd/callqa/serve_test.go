package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callqa/callqa/storage"
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
	st, err := storage.OpenStore(context.Background(), db, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	wb, err := storage.NewWorkbench(st, storage.WorkbenchConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wb.Authenticate(context.Background(), "li", "correct horse battery"); err != nil {
		t.Errorf("li cannot log in with the password given on stdin: %v", err)
	}
}

// TestServe starts the workbench on the inspected samples, logs in as the
// bootstrap admin and stops it by cancelling the context.
func TestServe(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "callqa.db")
	samples := filepath.Join("..", "..", "samples")
	if code, out, errOut := runCmd(t, "run", samples, "--db", db, "--workers", "2"); code != exitOK {
		t.Fatalf("run: exit %d\n%s%s", code, out, errOut)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	var out, errOut syncBuffer
	e := &env{stdout: &out, stderr: &errOut, getenv: func(string) string { return "" },
		logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- run(ctx, e, []string{"serve", "--db", db, "--source", samples, "--addr", addr}) }()
	defer func() {
		cancel()
		select {
		case code := <-done:
			if code != exitOK {
				t.Errorf("serve exit %d: %s", code, errOut.String())
			}
		case <-time.After(15 * time.Second):
			t.Error("serve did not stop")
		}
	}()

	var pw string
	deadline := time.Now().Add(10 * time.Second)
	for pw == "" {
		if m := regexp.MustCompile(`created user admin \(role admin\) with password (\S+)`).FindStringSubmatch(out.String()); m != nil && strings.Contains(out.String(), "http://"+addr) {
			pw = m[1]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start:\n%s%s", out.String(), errOut.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.PostForm("http://"+addr+"/login", url.Values{"name": {"admin"}, "password": {pw}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		cookie = c
	}
	if resp.StatusCode != http.StatusSeeOther || cookie == nil || cookie.Secure || !cookie.HttpOnly {
		t.Fatalf("login: %s, cookie %+v (loopback: not Secure)", resp.Status, cookie)
	}
	req, _ := http.NewRequest("GET", "http://"+addr+"/api/calls?status=pending&from=2026-11-25&to=2026-11-25", nil)
	req.AddCookie(cookie)
	resp, err = hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "C20261125-0003") {
		t.Fatalf("queue: %s %.300s", resp.Status, body)
	}
}

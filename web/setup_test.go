package web

import (
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callqa/callqa/source"
	"github.com/callqa/callqa/store"
	"github.com/callqa/callqa/workbench"

	"golang.org/x/crypto/bcrypt"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/pipeline"
	"github.com/callqa/callqa/scorecards"

	"net/http/httptest"
)

// samplesDir is the committed sample calls.
const samplesDir = "../samples"

// Calls of the samples used by the tests (see samples/README.md).
const (
	callGood     = "C20261125-0001" // PCM16, passes
	callGreeting = "C20261125-0002" // mu-law, loses points on the greeting rule (passes)
	callTaboo    = "C20261125-0003" // mu-law, two veto findings: the only failed call
)

// testPassword is every test user's password.
const testPassword = "correct horse battery"

// bundle is what a test works with.
type bundle struct {
	srv   *Server
	ts    *httptest.Server
	st    *store.Store
	wb    *workbench.Workbench
	sc    *models.Scorecard
	src   string // the recordings folder (a copy of the samples)
	recs  Recordings
	clock *testClock
}

// testClock is an adjustable clock.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// copySamples copies the sample calls into a fresh folder.
func copySamples(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(samplesDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(samplesDir, p)
		if d.IsDir() {
			if rel == "generate" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !strings.HasPrefix(rel, "2026") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// setup inspects the sample calls with the real engine into a fresh SQLite
// store, creates one user per role and starts the workbench.
func setup(t *testing.T, cfg Config) *bundle {
	t.Helper()
	return setupDB(t, cfg, filepath.Join(t.TempDir(), "callqa.db"))
}

// setupDB is setup on the results database at dbURL.
func setupDB(t *testing.T, cfg Config, dbURL string) *bundle {
	t.Helper()
	ctx := context.Background()
	dir := copySamples(t)
	src, err := source.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := scorecards.Default()
	if err != nil {
		t.Fatal(err)
	}
	eng, err := pipeline.NewEngine(sc, pipeline.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, dbURL, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	keys, _ := filepath.Glob(filepath.Join(dir, "2026/11/25/*.wav"))
	if len(keys) == 0 {
		t.Fatal("no sample calls")
	}
	for _, k := range keys {
		rel, _ := filepath.Rel(dir, k)
		res, err := eng.InspectKey(ctx, src, filepath.ToSlash(rel))
		if err != nil {
			t.Fatal(err)
		}
		if err := st.SaveResult(ctx, "", res); err != nil {
			t.Fatal(err)
		}
	}
	clock := &testClock{t: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	wb, err := workbench.New(st, workbench.Config{BcryptCost: bcrypt.MinCost, Now: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	for _, role := range []string{workbench.RoleAdmin, workbench.RoleReviewer, workbench.RoleViewer} {
		if _, err := wb.AddUser(ctx, role+"1", role, testPassword); err != nil {
			t.Fatal(err)
		}
	}
	if cfg.AudioCacheDir == "" {
		cfg.AudioCacheDir = t.TempDir()
	}
	srv, err := New(cfg, Deps{Store: st, Workbench: wb, Source: src, Scorecard: sc, Now: clock.now}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &bundle{srv: srv, ts: ts, st: st, wb: wb, sc: sc, src: dir, recs: src, clock: clock}
}

// client is a browser-like HTTP client of one user: a cookie jar, no
// redirect following, and the session's CSRF token.
type client struct {
	t    *testing.T
	base string
	hc   *http.Client
	csrf string
}

func (b *bundle) anon(t *testing.T) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: b.ts.URL, hc: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// login returns a client logged in as the test user of role.
func (b *bundle) login(t *testing.T, role string) *client {
	t.Helper()
	c := b.anon(t)
	resp := c.postForm("/login", url.Values{"name": {role + "1"}, "password": {testPassword}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login as %s: %s", role, resp.Status)
	}
	var me struct{ CSRF string }
	c.getJSON("/api/me", &me)
	if me.CSRF == "" {
		t.Fatalf("login as %s: no CSRF token", role)
	}
	c.csrf = me.CSRF
	return c
}

func (c *client) do(req *http.Request) *http.Response {
	c.t.Helper()
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(strings.NewReader(string(body)))
	return resp
}

func (c *client) get(path string, hdr ...string) *http.Response {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.base+path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return c.do(req)
}

func (c *client) getJSON(path string, v any) *http.Response {
	c.t.Helper()
	resp := c.get(path)
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			c.t.Fatalf("GET %s: %v", path, err)
		}
	}
	return resp
}

// postForm posts a form; the session's CSRF token is added unless the form
// has a "csrf" entry already.
func (c *client) postForm(path string, form url.Values) *http.Response {
	c.t.Helper()
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	form = f
	if _, ok := form["csrf"]; !ok && c.csrf != "" {
		form.Set("csrf", c.csrf)
	}
	req, _ := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// postJSON posts a JSON body with the session's CSRF token in the header.
func (c *client) postJSON(path, body string) *http.Response {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	return c.do(req)
}

func bodyOf(resp *http.Response) string {
	b, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(strings.NewReader(string(b)))
	return string(b)
}

// result returns a call's stored result.
func (b *bundle) result(t *testing.T, id string) *models.Result {
	t.Helper()
	recs, err := b.wb.CallRecordings(context.Background(), id)
	if err != nil || len(recs) != 1 {
		t.Fatalf("recordings of %s: %+v, %v", id, recs, err)
	}
	r, err := b.wb.LatestResult(context.Background(), recs[0].Recording, b.sc.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	// As the call page shows it: with what the store keeps beside the
	// recording.
	if notes, err := pipeline.Restore(context.Background(), b.recs, r); err != nil || len(notes) > 0 {
		t.Fatalf("restore %s: %v %v", id, notes, err)
	}
	return r
}

// firstDeduction returns the call's first finding that costs points.
func firstDeduction(t *testing.T, r *models.Result) models.Finding {
	t.Helper()
	for _, f := range r.Findings {
		if f.Deduct > 0 || f.Veto {
			return f
		}
	}
	t.Fatalf("%s has no deducting finding: %+v", r.CallID, r.Findings)
	return models.Finding{}
}

func jsonDecode(resp *http.Response, v any) error { return json.NewDecoder(resp.Body).Decode(v) }

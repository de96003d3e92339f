package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/workbench"
)

// TestDashboardExportLinks renders a dated dashboard and follows every
// export link on it: each answers 200 with the table of that period.
func TestDashboardExportLinks(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{InsecureCookies: true})
	c := b.login(t, viewer)
	page := bodyOf(c.get("/dashboard?from=2026-11-25&to=2026-11-25"))
	links := regexp.MustCompile(`href="(/export/[^"]*)"`).FindAllStringSubmatch(page, -1)
	seen := map[string]bool{}
	for _, l := range links {
		seen[strings.SplitN(html.UnescapeString(l[1]), "&", 2)[0]] = true
	}
	for _, table := range exportTables {
		for _, format := range []string{"csv", "xlsx"} {
			if !seen["/export/"+table+"?format="+format] {
				t.Errorf("no %s export link of %s", format, table)
			}
		}
	}
	for _, l := range links {
		link := html.UnescapeString(l[1])
		t.Run(link, func(t *testing.T) {
			resp := c.get(link)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %.200s", resp.StatusCode, bodyOf(resp))
			}
			if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, "-2026-11-25_2026-11-25.") {
				t.Errorf("Content-Disposition %q lacks the period", cd)
			}
			if strings.HasPrefix(link, "/export/days?format=csv") && !strings.Contains(bodyOf(resp), "\n2026-11-25,") {
				t.Errorf("days CSV lacks the day: %.200s", bodyOf(resp))
			}
		})
	}
}

// TestDashboardDefaultMonth checks that the dashboard, its exports and the
// report API cover the current month of the hotline's time zone when no
// dates are given, and show it in the form.
func TestDashboardDefaultMonth(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{InsecureCookies: true})
	tests := []struct {
		name     string
		now      time.Time
		from, to string
		calls    int // inspected calls in the range
	}{
		{"the samples' month", time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC), "2026-11-01", "2026-11-30", 12},
		// 2026-11-30 17:00 UTC is 2026-12-01 01:00 in Beijing.
		{"the hotline's next month", time.Date(2026, 11, 30, 17, 0, 0, 0, time.UTC), "2026-12-01", "2026-12-31", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b.clock.mu.Lock()
			b.clock.t = tc.now
			b.clock.mu.Unlock()
			c := b.login(t, viewer)
			page := bodyOf(c.get("/dashboard"))
			for _, want := range []string{`name="from" value="` + tc.from + `"`, `name="to" value="` + tc.to + `"`,
				`<b id="kpi-calls">` + fmt.Sprint(tc.calls) + `</b>`, "from=" + tc.from + "&amp;to=" + tc.to} {
				if !strings.Contains(page, want) {
					t.Errorf("dashboard lacks %s", want)
				}
			}
			var rep struct {
				From, To string
				Total    struct{ Inspected int }
			}
			if resp := c.getJSON("/api/reports/pass-rate", &rep); resp.StatusCode != 200 || rep.From != tc.from || rep.To != tc.to || rep.Total.Inspected != tc.calls {
				t.Errorf("pass-rate API: %d %+v", resp.StatusCode, rep)
			}
			if cd := c.get("/export/days").Header.Get("Content-Disposition"); !strings.Contains(cd, tc.from+"_"+tc.to) {
				t.Errorf("export without dates: %q", cd)
			}
		})
	}
}

// TestDashboardParts checks that an export computes its own table only.
func TestDashboardParts(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{InsecureCookies: true})
	req := httptest.NewRequest(http.MethodGet, "/export/x?from=2026-11-01&to=2026-11-30", nil)
	tests := []struct {
		part                               string
		days, teams, agents, queues, rules bool
		total, indicator                   bool
	}{
		{part: "days", days: true, total: true},
		{part: "teams", teams: true, total: true},
		{part: "agents", agents: true, total: true},
		{part: "queues", queues: true, total: true},
		{part: "rules", rules: true},
		{part: "indicator", total: true, indicator: true},
	}
	for _, tc := range tests {
		t.Run(tc.part, func(t *testing.T) {
			d, err := b.srv.dashboardData(req, tc.part)
			if err != nil {
				t.Fatal(err)
			}
			got := []bool{len(d.Days) > 0, len(d.Teams) > 0, len(d.Agents) > 0, len(d.Queues) > 0, len(d.Rules) > 0, d.Total.Inspected > 0, d.Indicator.Calls > 0}
			want := []bool{tc.days, tc.teams, tc.agents, tc.queues, tc.rules, tc.total, tc.indicator}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("days, teams, agents, queues, rules, total, indicator computed: %v, want %v", got, want)
			}
		})
	}
}

// playbacks counts the playback audit entries of a call.
func (b *bundle) playbacks(t *testing.T, id string) int {
	t.Helper()
	log, err := b.wb.AuditLog(context.Background(), workbench.AuditFilter{Action: workbench.AuditPlayback, CallID: id})
	if err != nil {
		t.Fatal(err)
	}
	return len(log)
}

// TestPlaybackAudit checks that every request that serves audio bytes is a
// listen in the audit trail, whatever its Range, once per session and call
// within 30 minutes, and that HEAD is not.
func TestPlaybackAudit(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{InsecureCookies: true})
	for _, id := range []string{callGood, callGreeting} { // served as stored, transcoded
		tests := []struct {
			name   string
			method string
			hdr    []string
			status int
			listen bool
		}{
			{"range from 00", "GET", []string{"Range", "bytes=00-"}, 206, true},
			{"range after the header", "GET", []string{"Range", "bytes=44-"}, 206, true},
			{"If-Range mismatch serves the whole file", "GET", []string{"Range", "bytes=1-", "If-Range", `"x"`}, 200, true},
			{"HEAD", "HEAD", nil, 200, false},
		}
		for _, tc := range tests {
			t.Run(id+" "+tc.name, func(t *testing.T) {
				c := b.login(t, reviewer) // a new session
				before := b.playbacks(t, id)
				req, _ := http.NewRequest(tc.method, c.base+"/calls/"+id+"/audio", nil)
				for i := 0; i+1 < len(tc.hdr); i += 2 {
					req.Header.Set(tc.hdr[i], tc.hdr[i+1])
				}
				resp := c.do(req)
				if resp.StatusCode != tc.status {
					t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
				}
				if got := b.playbacks(t, id) - before; got != map[bool]int{true: 1, false: 0}[tc.listen] {
					t.Errorf("%d playback entries, want listen=%v", got, tc.listen)
				}
			})
		}
	}
	t.Run("dedupe", func(t *testing.T) {
		c := b.login(t, reviewer)
		before := b.playbacks(t, callTaboo)
		for _, rng := range []string{"bytes=0-", "bytes=5000-", "bytes=100-200"} {
			if resp := c.get("/calls/"+callTaboo+"/audio", "Range", rng); resp.StatusCode != 206 {
				t.Fatalf("%s: status %d", rng, resp.StatusCode)
			}
		}
		if got := b.playbacks(t, callTaboo) - before; got != 1 {
			t.Errorf("one session, three ranges: %d entries, want 1", got)
		}
		if resp := b.login(t, reviewer).get("/calls/"+callTaboo+"/audio", "Range", "bytes=5000-"); resp.StatusCode != 206 {
			t.Fatalf("another session: %d", resp.StatusCode)
		}
		if got := b.playbacks(t, callTaboo) - before; got != 2 {
			t.Errorf("another session: %d entries, want 2", got)
		}
		b.clock.advance(31 * time.Minute)
		c.get("/calls/"+callTaboo+"/audio", "Range", "bytes=5000-")
		if got := b.playbacks(t, callTaboo) - before; got != 3 {
			t.Errorf("31 minutes later: %d entries, want 3", got)
		}
	})
}

// slowSource holds each recording's bytes after the first 64 until gate
// is closed, and records the contexts it was opened with.
type slowSource struct {
	src    Recordings
	gate   chan struct{}
	opened chan context.Context
	open   atomic.Int32 // readers open now
	most   atomic.Int32 // most readers open at once
}

func (s *slowSource) OpenSidecar(ctx context.Context, key, suffix string) (io.ReadCloser, error) {
	return s.src.OpenSidecar(ctx, key, suffix)
}

func (s *slowSource) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	rc, err := s.src.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	n := s.open.Add(1)
	for m := s.most.Load(); n > m && !s.most.CompareAndSwap(m, n); m = s.most.Load() {
	}
	select {
	case s.opened <- ctx:
	default:
	}
	return &slowReader{s: s, ctx: ctx, rc: rc}, nil
}

type slowReader struct {
	s    *slowSource
	ctx  context.Context
	rc   io.ReadCloser
	read int
	once sync.Once
}

func (r *slowReader) Read(p []byte) (int, error) {
	if r.read >= 64 {
		select {
		case <-r.s.gate:
		case <-r.ctx.Done():
			return 0, r.ctx.Err()
		}
	} else if len(p) > 64-r.read {
		p = p[:64-r.read]
	}
	n, err := r.rc.Read(p)
	r.read += n
	return n, err
}

func (r *slowReader) Close() error {
	r.once.Do(func() { r.s.open.Add(-1) })
	return r.rc.Close()
}

// waiters is how many requests wait for the transcoding of key.
func (c *audioCache) waitersOf(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[key]; ok {
		return el.Value.(*audioEntry).waiters
	}
	return 0
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// TestAudioAbortedRequest aborts the request that started a transcoding:
// another request waiting for it still gets its range; when every request
// is gone, the transcoding stops.
func TestAudioAbortedRequest(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{InsecureCookies: true})
	src := &slowSource{src: b.srv.src, gate: make(chan struct{}), opened: make(chan context.Context, 1)}
	b.srv.src = src
	c := b.login(t, reviewer)
	rec := b.result(t, callGreeting).Recording
	get := func(ctx context.Context, rng string) (*http.Response, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/calls/"+callGreeting+"/audio", nil)
		req.Header.Set("Range", rng)
		return c.hc.Do(req)
	}

	ctx1, abort1 := context.WithCancel(context.Background())
	done1 := make(chan error, 1)
	go func() {
		resp, err := get(ctx1, "bytes=0-99")
		if err == nil {
			resp.Body.Close()
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		done1 <- err
	}()
	<-src.opened
	type result struct {
		status int
		body   string
		err    error
	}
	done2 := make(chan result, 1)
	go func() {
		resp, err := get(context.Background(), "bytes=100-199")
		if err != nil {
			done2 <- result{err: err}
			return
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		done2 <- result{resp.StatusCode, string(body), err}
	}()
	waitFor(t, "two waiters", func() bool { return b.srv.audio.waitersOf(rec) == 2 })
	abort1()
	if err := <-done1; !errors.Is(err, context.Canceled) {
		t.Fatalf("request 1: %v, want canceled", err)
	}
	waitFor(t, "one waiter", func() bool { return b.srv.audio.waitersOf(rec) == 1 })
	close(src.gate)
	r2 := <-done2
	if r2.err != nil || r2.status != http.StatusPartialContent || len(r2.body) != 100 {
		t.Fatalf("request 2: %d, %d bytes, %v", r2.status, len(r2.body), r2.err)
	}
	full := bodyOf(c.get("/calls/" + callGreeting + "/audio"))
	if r2.body != full[100:200] {
		t.Error("request 2 got the wrong bytes")
	}

	// Every request gone: the transcoding stops.
	src.gate = make(chan struct{})
	rec2 := b.result(t, "C20261125-0005").Recording
	ctx3, abort3 := context.WithCancel(context.Background())
	done3 := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx3, http.MethodGet, c.base+"/calls/C20261125-0005/audio", nil)
		_, err := c.hc.Do(req)
		done3 <- err
	}()
	fillCtx := <-src.opened
	waitFor(t, "the waiter", func() bool { return b.srv.audio.waitersOf(rec2) == 1 })
	abort3()
	<-done3
	select {
	case <-fillCtx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the transcoding went on with no request waiting")
	}
}

// TestAudioCacheBounded requests more distinct transcodings at once than
// the cache holds: at most AudioCacheFiles run at a time, every request
// gets its audio, and no file is left beyond the cache's size.
func TestAudioCacheBounded(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{InsecureCookies: true, AudioCacheFiles: 1})
	src := &slowSource{src: b.srv.src, gate: make(chan struct{}), opened: make(chan context.Context, 8)}
	close(src.gate)
	b.srv.src = streamOnly{src}
	c := b.login(t, reviewer)
	var ids []string // the transcoded ones
	for i := 1; i <= 10; i++ {
		id := fmt.Sprintf("C20261125-%04d", i)
		if b.result(t, id).Audio.Format != "pcm_s16le" {
			ids = append(ids, id)
		}
	}
	if len(ids) < 3 {
		t.Fatalf("%d transcoded samples: %v", len(ids), ids)
	}
	var wg sync.WaitGroup
	errs := make(chan string, len(ids)*3)
	for range 3 {
		for _, id := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp, err := c.hc.Get(c.base + "/calls/" + id + "/audio")
				if err != nil {
					errs <- err.Error()
					return
				}
				defer resp.Body.Close()
				data, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != 200 || len(data) < 44 || string(data[:4]) != "RIFF" {
					errs <- fmt.Sprintf("%s: %d, %d bytes", id, resp.StatusCode, len(data))
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if m := src.most.Load(); m > 1 {
		t.Errorf("%d transcodings at once, want at most 1 (AudioCacheFiles)", m)
	}
	if files, _ := filepath.Glob(filepath.Join(b.srv.audio.dir, audioFilePattern)); len(files) > 1 {
		t.Errorf("%d cached files, want at most 1", len(files))
	}
}

// closeCounter counts the Close calls of every reader it opens, hiding Seek.
type closeCounter struct {
	src    Recordings
	mu     sync.Mutex
	closes []int
}

type countedReader struct {
	io.Reader
	c *closeCounter
	i int
}

func (r countedReader) Close() error {
	r.c.mu.Lock()
	defer r.c.mu.Unlock()
	r.c.closes[r.i]++
	return nil
}

func (c *closeCounter) OpenSidecar(ctx context.Context, key, suffix string) (io.ReadCloser, error) {
	return c.src.OpenSidecar(ctx, key, suffix)
}

func (c *closeCounter) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	rc, err := c.src.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closes = append(c.closes, 0)
	return countedReader{strings.NewReader(string(data)), c, len(c.closes) - 1}, nil
}

// TestAudioStreamClosedOnce checks that a PCM16 recording from a source
// without Seek closes each stream it opens exactly once.
func TestAudioStreamClosedOnce(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{InsecureCookies: true})
	cc := &closeCounter{src: b.srv.src}
	b.srv.src = cc
	if resp := b.login(t, reviewer).get("/calls/" + callGood + "/audio"); resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if len(cc.closes) == 0 {
		t.Fatal("nothing opened")
	}
	for i, n := range cc.closes {
		if n != 1 {
			t.Errorf("stream %d closed %d times, want 1", i, n)
		}
	}
}

// TestAudioCacheFolder checks that each server keeps its transcoded files
// in a private folder of its own under AudioCacheDir: a second server
// started on the same folder does not break the first one's playback; a
// cached file (or the whole folder) removed behind the server's back is
// transcoded again; Close removes the folder.
func TestAudioCacheFolder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	other := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(other, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	audio := "/calls/" + callGreeting + "/audio" // mu-law: transcoded
	play := func(t *testing.T, c *client, what string) {
		t.Helper()
		resp := c.get(audio, "Range", "bytes=0-99")
		if resp.StatusCode != http.StatusPartialContent || len(bodyOf(resp)) != 100 {
			t.Fatalf("%s: GET %s = %d (%d bytes), want 206 with 100 bytes: %s", what, audio, resp.StatusCode, len(bodyOf(resp)), bodyOf(resp))
		}
	}
	files := func(b *bundle) []string {
		f, _ := filepath.Glob(filepath.Join(b.srv.audio.dir, audioFilePattern))
		return f
	}

	b1 := setup(t, Config{InsecureCookies: true, AudioCacheDir: dir})
	c1 := b1.login(t, reviewer)
	play(t, c1, "first server")
	if len(files(b1)) != 1 {
		t.Fatalf("first server cached %v, want one file", files(b1))
	}
	// A second server on the same folder, as a second `callqa serve`.
	b2 := setup(t, Config{InsecureCookies: true, AudioCacheDir: dir})
	c2 := b2.login(t, reviewer)
	play(t, c2, "second server")
	play(t, c1, "first server after the second started")
	for _, b := range []*bundle{b1, b2} {
		fi, err := os.Stat(b.srv.audio.dir)
		if err != nil || fi.Mode().Perm() != 0o700 || filepath.Dir(b.srv.audio.dir) != dir {
			t.Fatalf("cache folder %s: %v, %v", b.srv.audio.dir, fi, err)
		}
	}
	if b1.srv.audio.dir == b2.srv.audio.dir {
		t.Fatalf("both servers cache in %s", b1.srv.audio.dir)
	}

	// A temporary-file cleaner removes the first server's file, then its
	// whole folder: the next playback transcodes again.
	for _, f := range files(b1) {
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
	play(t, c1, "after the cached file was removed")
	if len(files(b1)) != 1 {
		t.Fatalf("after the cached file was removed: %v, want one new file", files(b1))
	}
	if err := os.RemoveAll(b1.srv.audio.dir); err != nil {
		t.Fatal(err)
	}
	play(t, c1, "after the cache folder was removed")
	play(t, c2, "second server after the first one's folder was removed")

	b1.srv.Close()
	if _, err := os.Stat(b1.srv.audio.dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Close left the cache folder: %v", err)
	}
	if _, err := os.Stat(b2.srv.audio.dir); err != nil {
		t.Errorf("the first server's Close removed the second's folder: %v", err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("a file not the cache's was removed: %v", err)
	}
}

// saveAs stores a copy of a call's result under another call id.
func (b *bundle) saveAs(t *testing.T, from, id string) string {
	t.Helper()
	r := *b.result(t, from)
	// Another recording (a copy of from's), since a result is its
	// recording's.
	key := fmt.Sprintf("2026/11/25/copy-%x-%s.wav", id, from)
	wav, err := os.ReadFile(filepath.Join(b.src, filepath.FromSlash(r.Recording)))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b.src, filepath.FromSlash(key)), wav, 0o644); err != nil {
		t.Fatal(err)
	}
	r.CallID, r.Meta.CallID, r.Recording = id, id, key
	if err := b.st.SaveResult(context.Background(), "", &r); err != nil {
		t.Fatal(err)
	}
	return key
}

// TestCallIDClash stores two recordings whose metadata carry one call id:
// the call id alone lists both (300), each recording's page names the
// other, and a verdict on one is not a verdict on the other.
func TestCallIDClash(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{InsecureCookies: true})
	const id = "DUP-1"
	recA := b.saveAs(t, callTaboo, id)
	recB := b.saveAs(t, callGood, id)
	rev := b.login(t, reviewer)

	resp := rev.get(callURL(id, ""))
	page := bodyOf(resp)
	if resp.StatusCode != http.StatusMultipleChoices || !strings.Contains(page, `id="clash-notice"`) ||
		!strings.Contains(page, `href="`+callURL(id, recA)+`"`) || !strings.Contains(page, `href="`+callURL(id, recB)+`"`) {
		t.Fatalf("GET %s = %d, want 300 listing both recordings: %s", callURL(id, ""), resp.StatusCode, page)
	}
	var amb struct {
		Status     int `json:"status"`
		Recordings []struct {
			Recording string `json:"recording"`
			URL       string `json:"url"`
		} `json:"recordings"`
	}
	resp = rev.get("/api" + callURL(id, ""))
	if err := json.Unmarshal([]byte(bodyOf(resp)), &amb); err != nil || resp.StatusCode != http.StatusMultipleChoices ||
		len(amb.Recordings) != 2 || amb.Recordings[0].URL != "/api"+callURL(id, recB) || amb.Recordings[1].Recording != recA {
		t.Fatalf("API without rec = %d %+v", resp.StatusCode, amb)
	}

	page = bodyOf(rev.get(callURL(id, recA)))
	if !strings.Contains(page, `id="clash-notice"`) || !strings.Contains(page, `href="`+callURL(id, recB)+`"`) || !strings.Contains(page, recA) {
		t.Errorf("page of %s does not name the other recording: %s", recA, page)
	}
	if resp := rev.postJSON("/api"+callURL(id, recA, "verdict"), `{"verdict":"pass","comment":"复核"}`); resp.StatusCode != 200 {
		t.Fatalf("verdict: %d %s", resp.StatusCode, bodyOf(resp))
	}
	for rec, want := range map[string]bool{recA: true, recB: false} {
		var body struct {
			Verdict *struct{ Recording string }  `json:"verdict"`
			Clash   []struct{ Recording string } `json:"clash"`
		}
		if resp := rev.getJSON("/api"+callURL(id, rec), &body); resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d", rec, resp.StatusCode)
		}
		if (body.Verdict != nil) != want || len(body.Clash) != 1 || body.Clash[0].Recording == rec {
			t.Errorf("%s: verdict %+v (want one: %v), clash %+v", rec, body.Verdict, want, body.Clash)
		}
	}
	if resp := rev.get(callURL(id, "2026/11/25/other.wav")); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a recording that does not carry the call id: %d, want 404", resp.StatusCode)
	}
	entries, err := b.wb.AuditLog(context.Background(), workbench.AuditFilter{Recording: recA})
	if err != nil || len(entries) != 1 || entries[0].CallID != id {
		t.Errorf("audit of %s = %+v, %v", recA, entries, err)
	}
}

// TestCallLinks checks that call ids with characters special in a URL
// path are escaped in every link to the call and that the links work.
func TestCallLinks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		id, rec string
		sub     []string
		want    string
	}{
		{"C1", "", nil, "/calls/C1"},
		{"a?b#c%d", "", nil, "/calls/a%3Fb%23c%25d"},
		{"..", "", nil, "/calls/%2E%2E"},
		{".", "", nil, "/calls/%2E"},
		{"a b+c", "", nil, "/calls/a%20b+c"},
		{"C1", "2026/11/25/a b&c.wav", nil, "/calls/C1?rec=2026%2F11%2F25%2Fa+b%26c.wav"},
		{"C1", "2026/11/25/a.wav", []string{"audio"}, "/calls/C1/audio?rec=2026%2F11%2F25%2Fa.wav"},
	}
	for _, tc := range tests {
		if got := callURL(tc.id, tc.rec, tc.sub...); got != tc.want {
			t.Errorf("callURL(%q, %q, %q) = %q, want %q", tc.id, tc.rec, tc.sub, got, tc.want)
		}
	}
	b := setup(t, Config{InsecureCookies: true})
	const id = "Q?1#2%3"
	rec := b.saveAs(t, callTaboo, id)
	admin := b.login(t, admin)
	if resp := admin.postJSON("/api/calls/"+callURL(id, "")[len("/calls/"):]+"/verdict", `{"verdict":"fail"}`); resp.StatusCode != 200 {
		t.Fatalf("verdict: %d %s", resp.StatusCode, bodyOf(resp))
	}
	link := `href="` + callURL(id, rec) + `"`
	for _, path := range []string{"/queue?from=2026-11-25&to=2026-11-25", "/admin/audit"} {
		if page := bodyOf(admin.get(path)); !strings.Contains(page, link) {
			t.Errorf("%s lacks %s", path, link)
		}
	}
	page := bodyOf(admin.get(callURL(id, rec)))
	for _, want := range []string{`src="` + callURL(id, rec, "audio") + `"`, `action="` + callURL(id, rec, "reviews") + `"`, `action="` + callURL(id, rec, "verdict") + `"`} {
		if !strings.Contains(page, want) {
			t.Errorf("call page lacks %s", want)
		}
	}
	if resp := admin.get(callURL(id, rec, "audio")); resp.StatusCode != 200 {
		t.Errorf("audio link: %d", resp.StatusCode)
	}
}

// TestHotlineTimeZone checks that the times shown and the queue's default
// day without results (today) are those of the hotline (Asia/Shanghai by
// default), not the server's: at 2026-11-25T17:00Z it is 01:00 on 11-26 in
// Beijing.
func TestHotlineTimeZone(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		loc   *time.Location
		today string
		clock string // the review time on the call page
	}{
		{"default Asia/Shanghai", nil, "2026-11-26", "11-26 01:00"},
		{"UTC", time.UTC, "2026-11-25", "11-25 17:00"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := setup(t, Config{InsecureCookies: true, Location: tc.loc})
			b.clock.mu.Lock()
			b.clock.t = time.Date(2026, 11, 25, 17, 0, 0, 0, time.UTC)
			b.clock.mu.Unlock()
			c := b.login(t, reviewer)
			if resp := c.postJSON("/api/calls/"+callTaboo+"/verdict", `{"verdict":"fail"}`); resp.StatusCode != 200 {
				t.Fatalf("verdict: %d", resp.StatusCode)
			}
			if page := bodyOf(c.get("/calls/" + callTaboo)); !strings.Contains(page, "（reviewer1，2026-"+tc.clock+"）") {
				t.Errorf("verdict time not %s in the hotline's zone", tc.clock)
			}
			// No results: the queue opens on today, the hotline's.
			if _, err := b.st.DB().Exec(`DELETE FROM results`); err != nil {
				t.Fatal(err)
			}
			if err := b.st.RebuildRollups(context.Background()); err != nil { // rows deleted by hand
				t.Fatal(err)
			}
			var p workbench.QueuePage
			if resp := c.getJSON("/api/calls", &p); resp.StatusCode != 200 || p.From != tc.today || p.To != tc.today {
				t.Errorf("queue range %s..%s, want %s", p.From, p.To, tc.today)
			}
		})
	}
	if loc := (Config{}).withDefaults().Location; loc.String() != "Asia/Shanghai" {
		t.Errorf("default Location %v", loc)
	}
	if _, off := time.Date(2026, 1, 1, 0, 0, 0, 0, hotlineZone()).Zone(); off != 8*3600 {
		t.Errorf("hotline zone offset %d", off)
	}
}

// TestCallScorecardVersion checks that the call page shows the result of
// the scorecard version the queue and dashboard count, falls back to the
// newest with a notice (page and API) when the call has none, and says when
// the verdict was given on another version.
func TestCallScorecardVersion(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{InsecureCookies: true})
	c := b.login(t, reviewer)
	if resp := c.postJSON("/api/calls/"+callTaboo+"/verdict", `{"verdict":"fail"}`); resp.StatusCode != 200 {
		t.Fatalf("verdict: %d", resp.StatusCode)
	}
	v1 := b.sc.Version
	// Version 2 of the scorecard re-inspects the taboo call only, and finds
	// it passed.
	r2 := *b.result(t, callTaboo)
	r2.Scorecard.Version = v1 + 1
	r2.Passed, r2.Findings = true, nil
	if err := b.st.SaveResult(context.Background(), "", &r2); err != nil {
		t.Fatal(err)
	}
	notice := fmt.Sprintf("此通话按评分表 v%d 质检，与当前评分表 v%d 不同", v1, v1+1)
	sc2 := *b.sc
	sc2.Version = v1 + 1
	tests := []struct {
		name    string
		sc      *models.Scorecard
		id      string
		version int
		notice  string
		verdict bool // the verdict-on-another-version notice
	}{
		{"served v1: the v1 result, not the newest", b.sc, callTaboo, v1, "", false},
		{"served v2: the v2 result", &sc2, callTaboo, v1 + 1, "", true},
		{"served v2, call without one: v1 with a notice", &sc2, callGreeting, v1, notice, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b.srv.sc = tc.sc
			var body apiCallBody
			if resp := c.getJSON("/api/calls/"+tc.id, &body); resp.StatusCode != 200 {
				t.Fatalf("API: %d", resp.StatusCode)
			}
			if body.Result.Scorecard.Version != tc.version || body.ScorecardNotice != tc.notice || (body.VerdictNotice != "") != tc.verdict {
				t.Errorf("API: version %d, notice %q, verdict notice %q", body.Result.Scorecard.Version, body.ScorecardNotice, body.VerdictNotice)
			}
			page := bodyOf(c.get("/calls/" + tc.id))
			if !strings.Contains(page, fmt.Sprintf("v%d</dd>", tc.version)) {
				t.Errorf("page does not show version %d", tc.version)
			}
			if strings.Contains(page, `id="version-notice"`) != (tc.notice != "") || !strings.Contains(page, tc.notice) {
				t.Errorf("page version notice: want %q", tc.notice)
			}
			if strings.Contains(page, `id="verdict-notice"`) != tc.verdict {
				t.Errorf("page verdict notice shown %v, want %v", !tc.verdict, tc.verdict)
			}
		})
	}
	b.srv.sc = b.sc
}

// downSource is a recordings storage that is down: every open fails with a
// transient fault.
type downSource struct{}

func (downSource) Open(context.Context, string) (io.ReadCloser, error) {
	return nil, errors.New("dial tcp 10.0.0.9:9000: connection refused")
}

func (downSource) OpenSidecar(context.Context, string, string) (io.ReadCloser, error) {
	return nil, errors.New("dial tcp 10.0.0.9:9000: connection refused")
}

// TestCallPageRecordingsDown: with the recordings' storage down, the call
// page still shows the call's findings and score from the database, and
// says that the waveform's levels and the transcript could not be read
// (the speech bands and findings still drawn); with it back, both show
// again.
func TestCallPageRecordingsDown(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{InsecureCookies: true})
	c := b.login(t, reviewer)
	res := b.result(t, callGreeting)
	up := b.srv.src
	b.srv.src = downSource{}
	body := bodyOf(c.get("/calls/" + callGreeting))
	if !strings.Contains(body, "录音存储暂时无法访问") || !strings.Contains(body, res.Findings[0].Name) || strings.Contains(body, `class="lvl agent"`) {
		t.Errorf("call page with the storage down:\n%s", body)
	}
	b.srv.src = up
	body = bodyOf(c.get("/calls/" + callGreeting))
	if strings.Contains(body, "录音存储暂时无法访问") || !strings.Contains(body, `class="lvl agent"`) || !strings.Contains(body, res.Transcript.Utterances[0].Text) {
		t.Errorf("call page with the storage back lacks the waveform or the transcript")
	}
}

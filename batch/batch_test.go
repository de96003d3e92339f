package batch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/pipeline"
	"github.com/callqa/callqa/report"
	"github.com/callqa/callqa/scorecards"
	"github.com/callqa/callqa/source"
	"github.com/callqa/callqa/store"
)

// bundle is what a test needs: a generated folder, the real engine with
// the default scorecard and a fresh SQLite store.
type bundle struct {
	root  string
	src   *source.Local
	eng   *pipeline.Engine
	store *store.Store
}

func setup(t testing.TB, calls []genCall) *bundle {
	t.Helper()
	root := t.TempDir()
	writeFolder(t, root, calls)
	src, err := source.NewLocal(root)
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
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "results.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &bundle{root: root, src: src, eng: eng, store: st}
}

func (b *bundle) ref() models.ScorecardRef {
	return models.ScorecardRef{ID: b.eng.Scorecard().ID, Version: b.eng.Scorecard().Version}
}

// count runs a COUNT(*) query.
func (b *bundle) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	if err := b.store.DB().QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// checkWhole checks that every stored result is whole: its findings rows
// are those of its JSON document.
func (b *bundle) checkWhole(t *testing.T) {
	t.Helper()
	rows, err := b.store.DB().Query(`SELECT recording FROM results`)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for rows.Next() {
		var id string
		rows.Scan(&id)
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		r, err := b.store.GetResult(context.Background(), id, b.ref())
		if err != nil {
			t.Fatal(err)
		}
		n := b.count(t, `SELECT COUNT(*) FROM findings WHERE recording = $1`, id)
		if n != len(r.Findings) || (r.Status == models.StatusInspected && r.Audio == nil) || (r.Status == models.StatusUnprocessable && r.Error == "") {
			t.Errorf("result %s is not whole: %d findings rows for %d findings, status %s, audio %v", id, n, len(r.Findings), r.Status, r.Audio)
		}
	}
}

func quiet() Config {
	return Config{Workers: 3, RetryDelay: time.Millisecond}
}

func TestRunFolder(t *testing.T) {
	t.Parallel()
	calls := standardFolder()
	b := setup(t, calls)
	ctx := context.Background()
	var progress strings.Builder
	cfg := quiet()
	cfg.Progress = &progress
	cfg.ProgressEvery = time.Millisecond

	sum, err := Run(ctx, cfg, b.src, "2026/11/25", b.eng, b.store)
	if err != nil {
		t.Fatal(err)
	}
	bt := sum.Batch
	// 15 recordings on the 25th: 10 valid, 4 broken, 1 with broken metadata.
	if bt.Total != 15 || bt.Inspected != 10 || bt.Unprocessable != 5 || bt.Failed != 0 || bt.Skipped != 0 || bt.Status != store.BatchFinished || bt.Date != "2026-11-25" {
		t.Errorf("batch = %+v", bt)
	}
	if n := b.count(t, `SELECT COUNT(*) FROM results`); n != 15 {
		t.Errorf("stored %d results, want exactly one per call (15)", n)
	}
	for _, c := range calls[:15] {
		r, err := b.store.GetResult(ctx, "2026/11/25/"+c.name+".wav", b.ref())
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		wantStatus := models.StatusInspected
		if c.broken != "" || c.badMeta {
			wantStatus = models.StatusUnprocessable
		}
		if r.Status != wantStatus || (wantStatus == models.StatusUnprocessable && r.Error == "") {
			t.Errorf("%s: status %s (%s), want %s", c.name, r.Status, r.Error, wantStatus)
		}
		if c.broken == "" && !c.badMeta && r.Passed != c.polite {
			t.Errorf("%s: passed = %v (score %v, findings %+v), want %v", c.name, r.Passed, r.Score, r.Findings, c.polite)
		}
	}
	b.checkWhole(t)

	// The summary agrees with the store and with the report.
	if bt.Passed != b.count(t, `SELECT COUNT(*) FROM results WHERE passed = 1 AND status = 'inspected'`) || bt.Passed != 7 {
		t.Errorf("passed = %d, want 7 as stored", bt.Passed)
	}
	rate, ok := sum.PassRate()
	tab, err := report.PassRates(ctx, b.store, report.Options{From: "2026-11-25", To: "2026-11-25"}, report.ByDay)
	if err != nil {
		t.Fatal(err)
	}
	if !ok || tab.Rows[0].PassRate == nil || *tab.Rows[0].PassRate != rate || rate != 0.7 {
		t.Errorf("summary pass rate %v, report %v; want 0.7 both", rate, tab.Rows[0].PassRate)
	}
	if tab.Rows[0].Unprocessable != 5 || tab.Rows[0].Inspected != 10 {
		t.Errorf("report row = %+v", tab.Rows[0])
	}
	// Impolite calls miss the greeting, the job number and the closing.
	top := map[string]int{}
	for _, r := range sum.TopRules {
		top[r.Rule] = r.Calls
	}
	for _, rule := range []string{"greeting", "job_number", "closing"} {
		if top[rule] != 3 {
			t.Errorf("top rules: %s flagged %d calls, want 3 (%+v)", rule, top[rule], sum.TopRules)
		}
	}
	// V07, V08, V09 are impolite: agents B1 (V08) ... agent of Vi is i%3.
	// A1: V00 V03 V06 V09 -> 3/4; A2: V01 V04 V07 -> 2/3; B1: V02 V05 V08 -> 2/3.
	var worst []string
	for _, a := range sum.WorstAgents {
		worst = append(worst, fmt.Sprintf("%s %d/%d", a.AgentID, a.Passed, a.Inspected))
	}
	if got := strings.Join(worst, ", "); got != "A2 2/3, B1 2/3, A1 3/4" {
		t.Errorf("worst agents = %s", got)
	}
	if sum.AudioSeconds != 10*30 || sum.Processed != 15 {
		t.Errorf("audio = %v s, processed %d; want 300 s, 15", sum.AudioSeconds, sum.Processed)
	}
	if !strings.Contains(progress.String(), "/15 calls") {
		t.Errorf("no progress line in %q", progress.String())
	}
	stored, err := b.store.GetBatch(ctx, bt.ID)
	if err != nil || stored.Total != 15 || stored.Passed != 7 || stored.Status != store.BatchFinished || stored.FinishedAt.IsZero() {
		t.Errorf("stored batch = %+v, %v", stored, err)
	}
	var text strings.Builder
	if err := sum.WriteText(&text); err != nil || !strings.Contains(text.String(), "pass rate:      70.0%") {
		t.Errorf("summary text:\n%s", text.String())
	}
	// The summary names the unprocessable calls, by key, with the reason
	// stored for each.
	var keys []string
	for _, p := range sum.Unprocessable {
		keys = append(keys, p.Key)
		r, err := b.store.GetResult(ctx, p.Key, b.ref())
		if err != nil || r.Recording != p.Key || r.Error == "" || p.Reason != r.Error || p.Date != "2026-11-25" {
			t.Errorf("unprocessable %+v; stored %+v, %v", p, r, err)
			continue
		}
		if line := "  " + p.Key + "  " + r.Error + "\n"; !strings.Contains(text.String(), line) {
			t.Errorf("summary text lacks %q:\n%s", line, text.String())
		}
	}
	wantKeys := "2026/11/25/M-badmeta.wav 2026/11/25/X-empty.wav 2026/11/25/X-not-riff.wav 2026/11/25/X-truncated-header.wav 2026/11/25/X-unsupported-codec.wav"
	if got := strings.Join(keys, " "); got != wantKeys || len(sum.Failed) != 0 {
		t.Errorf("unprocessable keys = %s, failed %+v; want %s", got, sum.Failed, wantKeys)
	}
	if !strings.Contains(text.String(), "unprocessable:  5 calls stored with the reason:\n") || strings.Contains(text.String(), "more:") {
		t.Errorf("summary text:\n%s", text.String())
	}

	// A rerun is idempotent: the inspected calls are skipped, the
	// unprocessable ones tried again (and still unprocessable), nothing is
	// added, and the summary still covers the whole day with the same
	// figures.
	sum2, err := Run(ctx, cfg, b.src, "2026/11/25", b.eng, b.store)
	if err != nil {
		t.Fatal(err)
	}
	if b2 := sum2.Batch; b2.Skipped != 10 || b2.Inspected != 10 || b2.Passed != 7 || b2.Unprocessable != 5 || sum2.Processed != 5 {
		t.Errorf("rerun batch = %+v (processed %d)", b2, sum2.Processed)
	}
	if fmt.Sprint(sum2.TopRules, sum2.WorstAgents, sum2.Unprocessable) != fmt.Sprint(sum.TopRules, sum.WorstAgents, sum.Unprocessable) {
		t.Errorf("rerun summary lists differ:\n%+v %+v %+v\nfirst run:\n%+v %+v %+v", sum2.TopRules, sum2.WorstAgents, sum2.Unprocessable, sum.TopRules, sum.WorstAgents, sum.Unprocessable)
	}
	if n := b.count(t, `SELECT COUNT(*) FROM results`); n != 15 {
		t.Errorf("after rerun %d results, want 15", n)
	}
	// --force inspects again, still one row per call.
	cfg.Force = true
	sum3, err := Run(ctx, cfg, b.src, "", b.eng, b.store)
	if err != nil {
		t.Fatal(err)
	}
	if sum3.Batch.Total != 16 || sum3.Batch.Skipped != 0 || sum3.Processed != 16 || sum3.Batch.Inspected != 11 || sum3.Batch.Passed != 8 {
		t.Errorf("forced run = %+v", sum3.Batch)
	}
	if n := b.count(t, `SELECT COUNT(*) FROM results`); n != 16 {
		t.Errorf("after a forced run over the whole tree: %d results, want 16", n)
	}
	if n := b.count(t, `SELECT COUNT(*) FROM results WHERE batch_id = $1`, sum3.Batch.ID); n != 16 {
		t.Errorf("%d results carry the forced batch id, want 16", n)
	}
	b.checkWhole(t)
}

// cancelSource cancels the run when the n-th recording is opened.
type cancelSource struct {
	*source.Local
	n      int32
	opened atomic.Int32
	cancel context.CancelFunc
}

func (s *cancelSource) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	if s.opened.Add(1) == s.n {
		s.cancel()
	}
	return s.Local.Open(ctx, key)
}

func TestRunInterrupted(t *testing.T) {
	t.Parallel()
	var calls []genCall
	for i := range 24 {
		calls = append(calls, genCall{name: fmt.Sprintf("C%02d", i), seconds: 60, polite: i%4 != 0, agent: "A1", team: "一组"})
	}
	b := setup(t, calls)
	ctx, cancel := context.WithCancel(context.Background())
	src := &cancelSource{Local: b.src, n: 8, cancel: cancel}
	sum, err := Run(ctx, quiet(), src, "", b.eng, b.store)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run error = %v, want context.Canceled", err)
	}
	if sum == nil || sum.Batch.Status != store.BatchInterrupted {
		t.Fatalf("summary = %+v", sum)
	}
	stored := b.count(t, `SELECT COUNT(*) FROM results`)
	if stored >= 24 || stored != sum.Batch.Inspected+sum.Batch.Unprocessable || sum.Batch.Failed != 0 {
		t.Errorf("interrupted: %d stored, batch %+v", stored, sum.Batch)
	}
	b.checkWhole(t)
	if got, err := b.store.GetBatch(context.Background(), sum.Batch.ID); err != nil || got.Status != store.BatchInterrupted {
		t.Errorf("stored batch = %+v, %v", got, err)
	}

	// The rerun completes the rest and skips what was done.
	sum2, err := Run(context.Background(), quiet(), b.src, "", b.eng, b.store)
	if err != nil {
		t.Fatal(err)
	}
	if sum2.Batch.Skipped != stored || sum2.Processed != 24-stored || sum2.Batch.Inspected != 24 || sum2.Batch.Passed != 18 {
		t.Errorf("rerun after %d stored: %+v, processed %d", stored, sum2.Batch, sum2.Processed)
	}
	if n := b.count(t, `SELECT COUNT(*) FROM results`); n != 24 {
		t.Errorf("after the rerun %d results, want 24", n)
	}
	b.checkWhole(t)
}

// flakySource fails opening some recordings with a transient (not a
// not-found) error: "F-once" the first time only, "F-always" every time.
type flakySource struct {
	*source.Local
	mu    sync.Mutex
	tries map[string]int
}

var errFlaky = errors.New("connection reset by peer")

func (s *flakySource) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	s.mu.Lock()
	s.tries[key]++
	n := s.tries[key]
	s.mu.Unlock()
	if strings.Contains(key, "F-always") || (strings.Contains(key, "F-once") && n == 1) {
		return nil, errFlaky
	}
	return s.Local.Open(ctx, key)
}

func TestRunTransientFaults(t *testing.T) {
	t.Parallel()
	b := setup(t, []genCall{
		{name: "F-once", seconds: 20, polite: true},
		{name: "F-always", seconds: 20, polite: true},
		{name: "OK", seconds: 20, polite: true},
	})
	src := &flakySource{Local: b.src, tries: map[string]int{}}
	var logs strings.Builder
	cfg := quiet()
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	sum, err := Run(context.Background(), cfg, src, "", b.eng, b.store)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Batch.Inspected != 2 || sum.Batch.Failed != 1 || sum.Batch.Unprocessable != 0 {
		t.Errorf("batch = %+v", sum.Batch)
	}
	if src.tries["2026/11/25/F-always.wav"] != 3 || src.tries["2026/11/25/F-once.wav"] != 2 {
		t.Errorf("tries = %v, want 3 for F-always and 2 for F-once", src.tries)
	}
	if ok, _ := b.store.HasResult(context.Background(), "F-always", b.ref()); ok {
		t.Error("a call that kept failing was stored; it must be left for a rerun")
	}
	if !strings.Contains(logs.String(), "F-always") || !strings.Contains(logs.String(), "connection reset") {
		t.Errorf("the failure is not logged:\n%s", logs.String())
	}
	// The summary names it, with the fault.
	if len(sum.Failed) != 1 || sum.Failed[0].Key != "2026/11/25/F-always.wav" || !strings.Contains(sum.Failed[0].Reason, "connection reset by peer") {
		t.Errorf("summary failed = %+v", sum.Failed)
	}
	var text strings.Builder
	if err := sum.WriteText(&text); err != nil || !strings.Contains(text.String(), "errors:         1 call hit a transient fault, not stored (run again to retry):\n  2026/11/25/F-always.wav  ") {
		t.Errorf("summary text:\n%s", text.String())
	}
}

// TestRunStoreFault breaks the results store (its findings table is gone):
// the run stops and the batch is marked failed.
func TestRunStoreFault(t *testing.T) {
	t.Parallel()
	var calls []genCall
	for i := range 6 {
		calls = append(calls, genCall{name: fmt.Sprintf("S%d", i), seconds: 20, polite: false})
	}
	b := setup(t, calls)
	if _, err := b.store.DB().Exec(`DROP TABLE findings`); err != nil {
		t.Fatal(err)
	}
	sum, err := Run(context.Background(), quiet(), b.src, "", b.eng, b.store)
	if err == nil || !strings.Contains(err.Error(), "results store") {
		t.Fatalf("Run with a broken store = %v", err)
	}
	if sum.Batch.Status != store.BatchFailed {
		t.Errorf("batch status = %s, want failed", sum.Batch.Status)
	}
	if n := b.count(t, `SELECT COUNT(*) FROM results`); n != 0 {
		t.Errorf("%d results stored without their findings", n)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	bad := []Config{{Workers: -1}, {MaxAttempts: -1}, {RetryDelay: -1}, {ProgressEvery: -1}, {TopRules: -1}, {Date: "25/11/2026"}}
	for _, c := range bad {
		if err := c.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil", c)
		}
	}
	if err := (Config{}).Validate(); err != nil {
		t.Errorf("zero Config: %v", err)
	}
	if _, err := Run(context.Background(), Config{Workers: -1}, nil, "", nil, nil); err == nil || !strings.Contains(err.Error(), "Workers") {
		t.Errorf("Run with a bad config = %v, want the field named", err)
	}
}

func TestDateOfPrefix(t *testing.T) {
	t.Parallel()
	for p, want := range map[string]string{"2026/11/25": "2026-11-25", "recordings/2026/11/25/": "2026-11-25", "2026/11": "", "2026/13/01": "", "": "", "x2026/11/25": ""} {
		if got := DateOfPrefix(p); got != want {
			t.Errorf("DateOfPrefix(%q) = %q, want %q", p, got, want)
		}
	}
}

func TestProgressLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		p     progress
		width int
		want  string
	}{
		{progress{total: 100, done: 25, processed: 25, listingOver: true}, 10, "[##........] 25/100 calls 2.5 calls/s ETA 30s"},
		{progress{total: 40, done: 10, processed: 10}, 0, "10/40+ calls 1.0 calls/s ETA ?"},
		{progress{total: 10, done: 10, processed: 0, listingOver: true}, 0, "10/10 calls 0.0 calls/s ETA 0s"},
		{progress{total: 1, done: 1, processed: 1, listingOver: true}, 0, "1/1 call 0.1 calls/s ETA 0s"},
		{progress{total: 1, done: 0}, 0, "0/1+ calls 0.0 calls/s ETA ?"},
	}
	for _, tt := range tests {
		if got := progressLine(tt.p, 10*time.Second, tt.width); got != tt.want {
			t.Errorf("progressLine(%+v) = %q, want %q", tt.p, got, tt.want)
		}
	}
}

// countingSource counts the opens of each recording's meta sidecar.
type countingSource struct {
	*source.Local
	mu   sync.Mutex
	meta map[string]int
}

func (s *countingSource) OpenSidecar(ctx context.Context, key, suffix string) (io.ReadCloser, error) {
	if suffix == models.SuffixMeta {
		s.mu.Lock()
		s.meta[key]++
		s.mu.Unlock()
	}
	return s.Local.OpenSidecar(ctx, key, suffix)
}

// countingStore counts the store lookups of skipped calls.
type countingStore struct {
	*store.Store
	lookups atomic.Int32
}

func (s *countingStore) StoredCall(ctx context.Context, key string, sc models.ScorecardRef) (*store.StoredCall, error) {
	s.lookups.Add(1)
	return s.Store.StoredCall(ctx, key, sc)
}

// TestRunSkipsByRecording checks that the run leaves the metadata to the
// engine (each meta sidecar read once per inspection, never to decide a
// skip), skips by recording key with one store lookup per call, and that
// a recording whose call id comes from its metadata is skipped on a rerun
// even when the metadata's call_id is not the file name or is unusable.
func TestRunSkipsByRecording(t *testing.T) {
	t.Parallel()
	b := setup(t, []genCall{
		{name: "R1", seconds: 20, polite: true, agent: "A1", team: "一组"},
		{name: "R2", seconds: 20, polite: false, agent: "A2", team: "一组"},
		{name: "R3", seconds: 20, polite: true, agent: "A1", team: "一组"},
	})
	dir := filepath.Join(b.root, "2026", "11", "25")
	// R2's metadata names the call differently from its file.
	if err := os.WriteFile(filepath.Join(dir, "R2.meta.json"), []byte(`{"call_id":"CALL-0002","agent_id":"A2","started_at":"2026-11-25T09:30:00+08:00"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	// R3's metadata has a valid call_id but an unusable started_at: the
	// engine stores it as unprocessable under its file name.
	if err := os.WriteFile(filepath.Join(dir, "R3.meta.json"), []byte(`{"call_id":"CALL-0003","started_at":"yesterday"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	src := &countingSource{Local: b.src, meta: map[string]int{}}
	st := &countingStore{Store: b.store}
	sum, err := Run(ctx, quiet(), src, "", b.eng, st)
	if err != nil {
		t.Fatal(err)
	}
	if bt := sum.Batch; bt.Inspected != 2 || bt.Unprocessable != 1 || bt.Passed != 1 {
		t.Fatalf("first run = %+v", bt)
	}
	for _, k := range []string{"R1", "R2", "R3"} {
		if n := src.meta["2026/11/25/"+k+".wav"]; n != 1 {
			t.Errorf("%s: meta sidecar read %d times in the first run, want once (by the engine)", k, n)
		}
	}
	if r, err := b.store.GetResult(ctx, "2026/11/25/R2.wav", b.ref()); err != nil || r.CallID != "CALL-0002" {
		t.Errorf("R2 not stored with its meta call id: %+v, %v", r, err)
	}

	// The rerun skips R1 and R2 without reading their metadata, one
	// lookup each; R3 (unprocessable) is inspected again.
	src.meta = map[string]int{}
	st.lookups.Store(0)
	sum2, err := Run(ctx, quiet(), src, "", b.eng, st)
	if err != nil {
		t.Fatal(err)
	}
	if bt := sum2.Batch; bt.Skipped != 2 || bt.Inspected != 2 || bt.Unprocessable != 1 || bt.Passed != 1 || sum2.Processed != 1 {
		t.Errorf("rerun = %+v, processed %d", bt, sum2.Processed)
	}
	if got := fmt.Sprint(src.meta); got != "map[2026/11/25/R3.wav:1]" {
		t.Errorf("meta sidecars read in the rerun: %s, want only R3's, once", got)
	}
	if n := st.lookups.Load(); n != 3 {
		t.Errorf("%d store lookups for 3 calls, want 3", n)
	}
	if n := b.count(t, `SELECT COUNT(*) FROM results`); n != 3 {
		t.Errorf("%d results, want 3", n)
	}
}

// TestRunReinspectsUnprocessable fixes the broken meta sidecar of a call
// stored as unprocessable: a rerun without Force inspects it again while
// the inspected calls are skipped. When the fixed sidecar names the call
// differently from its file, the new result replaces the unprocessable one
// (the call is counted once).
func TestRunReinspectsUnprocessable(t *testing.T) {
	t.Parallel()
	for _, callID := range []string{"M1", "CALL-M1"} {
		t.Run(callID, func(t *testing.T) {
			t.Parallel()
			b := setup(t, []genCall{
				{name: "OK1", seconds: 20, polite: true, agent: "A1", team: "一组"},
				{name: "M1", seconds: 20, polite: true, agent: "A2", team: "一组", badMeta: true},
			})
			ctx := context.Background()
			sum, err := Run(ctx, quiet(), b.src, "2026/11/25", b.eng, b.store)
			if err != nil {
				t.Fatal(err)
			}
			if bt := sum.Batch; bt.Inspected != 1 || bt.Unprocessable != 1 {
				t.Fatalf("first run = %+v", bt)
			}
			// Someone fixes the sidecar.
			meta := `{"call_id":"` + callID + `","agent_id":"A2","agent_name":"坐席A2","team":"一组","started_at":"2026-11-25T09:30:00+08:00"}`
			if err := os.WriteFile(filepath.Join(b.root, "2026", "11", "25", "M1.meta.json"), []byte(meta), 0o644); err != nil {
				t.Fatal(err)
			}
			sum2, err := Run(ctx, quiet(), b.src, "2026/11/25", b.eng, b.store)
			if err != nil {
				t.Fatal(err)
			}
			if bt := sum2.Batch; bt.Skipped != 1 || bt.Inspected != 2 || bt.Unprocessable != 0 || bt.Passed != 2 || sum2.Processed != 1 {
				t.Errorf("rerun after the fix = %+v, processed %d", bt, sum2.Processed)
			}
			r, err := b.store.GetResult(ctx, "2026/11/25/M1.wav", b.ref())
			if err != nil || r.Status != models.StatusInspected || r.CallID != callID {
				t.Fatalf("fixed call = %+v, %v", r, err)
			}
			if n := b.count(t, `SELECT COUNT(*) FROM results`); n != 2 {
				t.Errorf("%d results, want 2 (the unprocessable one replaced)", n)
			}
			tab, err := report.PassRates(ctx, b.store, report.Options{}, report.ByDay)
			if err != nil {
				t.Fatal(err)
			}
			if row := tab.Rows[0]; row.Inspected != 2 || row.Unprocessable != 0 || row.Passed != 2 {
				t.Errorf("report = %+v", row)
			}
			// A third run skips both.
			sum3, err := Run(ctx, quiet(), b.src, "2026/11/25", b.eng, b.store)
			if err != nil || sum3.Batch.Skipped != 2 || sum3.Processed != 0 {
				t.Errorf("third run = %+v, %v", sum3.Batch, err)
			}
		})
	}
}

// TestRunCallIDClash runs over three recordings whose metadata carry one
// call_id, two on the 25th and one on the 26th: every one is inspected,
// stored and counted, and the summary names the clash. A run of the 26th
// alone names it too (the other recordings are another day's).
func TestRunCallIDClash(t *testing.T) {
	t.Parallel()
	b := setup(t, []genCall{
		{name: "D1", seconds: 20, polite: true, agent: "A1", team: "一组"},
		{name: "D2", seconds: 20, polite: false, agent: "A2", team: "一组"},
		{name: "D3", seconds: 20, polite: true, agent: "A1", team: "一组", date: "2026-11-26"},
		{name: "U1", seconds: 20, polite: true, agent: "A1", team: "一组"},
	})
	for _, k := range []string{"2026/11/25/D1", "2026/11/25/D2", "2026/11/26/D3"} {
		meta := `{"call_id":"SAME-1","agent_id":"A1","started_at":"` + map[bool]string{true: "2026-11-26", false: "2026-11-25"}[strings.HasPrefix(k, "2026/11/26")] + `T09:30:00+08:00"}`
		if err := os.WriteFile(filepath.Join(b.root, filepath.FromSlash(k)+".meta.json"), []byte(meta), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	sum, err := Run(ctx, quiet(), b.src, "", b.eng, b.store)
	if err != nil {
		t.Fatal(err)
	}
	if bt := sum.Batch; bt.Total != 4 || bt.Inspected != 4 {
		t.Errorf("batch = %+v, want 4 listed and inspected", bt)
	}
	if n := b.count(t, `SELECT COUNT(*) FROM results WHERE call_id = 'SAME-1'`); n != 3 {
		t.Errorf("%d results of SAME-1 stored, want 3", n)
	}
	if len(sum.Clashes) != 1 || sum.Clashes[0].CallID != "SAME-1" || len(sum.Clashes[0].Recordings) != 3 {
		t.Fatalf("clashes = %+v", sum.Clashes)
	}
	var text strings.Builder
	if err := sum.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	want := "call_id clash:  1 call id carried by more than one recording (each stored and counted as its own call; fix the numbering at the recorder):\n" +
		"  SAME-1  2026/11/25/D1.wav, 2026/11/25/D2.wav, 2026/11/26/D3.wav\n"
	if !strings.Contains(text.String(), want) || !strings.Contains(text.String(), "4 listed, 4 inspected") {
		t.Errorf("summary text lacks the clash:\n%s", text.String())
	}

	sum2, err := Run(ctx, quiet(), b.src, "2026/11/26", b.eng, b.store)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum2.Clashes) != 1 || sum2.Batch.Total != 1 || sum2.Batch.Skipped != 1 {
		t.Errorf("run of the 26th: batch %+v, clashes %+v", sum2.Batch, sum2.Clashes)
	}
	gs, err := b.store.GroupCounts(ctx, store.ReportFilter{Scorecard: b.ref()}, store.GroupDay)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(len(gs), gs[0].Inspected+gs[0].Unprocessable, gs[1].Inspected+gs[1].Unprocessable); got != "2 3 1" {
		t.Errorf("calls by day = %s, want 2 days: 3 and 1", got)
	}
}

// TestRunReinspectsOlderAnalysis marks one stored call as measured by an
// older audio analysis: a rerun without Force inspects that call again and
// says so, and skips the others.
func TestRunReinspectsOlderAnalysis(t *testing.T) {
	t.Parallel()
	b := setup(t, []genCall{
		{name: "N1", seconds: 20, polite: true, agent: "A1", team: "一组"},
		{name: "N2", seconds: 20, polite: true, agent: "A1", team: "一组"},
	})
	ctx := context.Background()
	if _, err := Run(ctx, quiet(), b.src, "", b.eng, b.store); err != nil {
		t.Fatal(err)
	}
	if _, err := b.store.DB().Exec(`UPDATE results SET analysis_vad = 'energy', analysis_version = 0 WHERE recording = '2026/11/25/N2.wav'`); err != nil {
		t.Fatal(err)
	}
	sum, err := Run(ctx, quiet(), b.src, "", b.eng, b.store)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Batch.Skipped != 1 || sum.Processed != 1 || sum.Reanalysed != 1 || fmt.Sprint(sum.ReanalysedFrom) != "[{energy v0 1}]" {
		t.Errorf("rerun: batch %+v, processed %d, reanalysed %d %v", sum.Batch, sum.Processed, sum.Reanalysed, sum.ReanalysedFrom)
	}
	var text strings.Builder
	sum.WriteText(&text)
	if !strings.Contains(text.String(), "re-inspected:   1 call stored with an older audio analysis (1 by energy v0)") {
		t.Errorf("summary text:\n%s", text.String())
	}
	want := b.eng.Analysis()
	if n := b.count(t, `SELECT COUNT(*) FROM results WHERE analysis_vad = $1 AND analysis_version = $2`, want.VAD, want.Version); n != 2 {
		t.Errorf("%d results of the current analysis, want 2", n)
	}
}

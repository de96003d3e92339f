package worker_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/minio/minio-go/v7"

	"github.com/callqa/callqa/internal/testsvc"
	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/pipeline"
	"github.com/callqa/callqa/pipeline/analyse"
	"github.com/callqa/callqa/scorecards"
	"github.com/callqa/callqa/source"
	"github.com/callqa/callqa/store"
	"github.com/callqa/callqa/worker"
)

// samples is the folder of the committed sample calls.
const samples = "../samples"

// bundle is what the handler tests work with.
type bundle struct {
	dir     string // the local source's root
	src     *source.Local
	eng     *pipeline.Engine
	store   *store.Store
	ref     models.ScorecardRef
	metrics *worker.Metrics
	handler *worker.InspectHandler
}

// copySample copies a sample call and its sidecars under dir/2026/11/25.
func copySample(t testing.TB, dir, name string) {
	t.Helper()
	day := filepath.Join(dir, "2026", "11", "25")
	if err := os.MkdirAll(day, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{".wav", ".meta.json", ".transcript.json"} {
		data, err := os.ReadFile(filepath.Join(samples, "2026", "11", "25", name+suffix))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(day, name+suffix), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// setup builds a local source with a PCM call, a mu-law call and a broken
// recording, the real engine with the default scorecard, a SQLite store and
// the call:inspect handler.
func setup(t testing.TB) *bundle {
	t.Helper()
	b := &bundle{dir: t.TempDir()}
	copySample(t, b.dir, "C20261125-0001") // PCM16, passes
	copySample(t, b.dir, "C20261125-0003") // mu-law, vetoed
	if err := os.WriteFile(filepath.Join(b.dir, "2026", "11", "25", "BROKEN.wav"), []byte("RIFF\x10\x00\x00\x00WAVEjunk"), 0o644); err != nil {
		t.Fatal(err)
	}
	var err error
	if b.src, err = source.NewLocal(b.dir); err != nil {
		t.Fatal(err)
	}
	sc, err := scorecards.Default()
	if err != nil {
		t.Fatal(err)
	}
	b.ref = models.ScorecardRef{ID: sc.ID, Version: sc.Version}
	if b.eng, err = pipeline.NewEngine(sc, pipeline.Config{}, nil); err != nil {
		t.Fatal(err)
	}
	if b.store, err = store.Open(context.Background(), filepath.Join(t.TempDir(), "results.db"), store.Options{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.store.Close() })
	_, b.metrics = worker.NewRegistry(nil)
	b.handler = worker.NewInspectHandler(b.eng, b.store, b.sourceFunc, b.metrics, nil)
	return b
}

// sourceFunc serves the local folder under the name "local", and an S3
// bucket on a closed port (every request fails: a storage outage) under
// "s3://down/...".
func (b *bundle) sourceFunc(ctx context.Context, spec string) (worker.Source, error) {
	switch {
	case spec == "local":
		return b.src, nil
	case strings.HasPrefix(spec, "s3://down"):
		return source.NewS3(ctx, source.S3Config{Endpoint: "127.0.0.1:1", Bucket: "down", MaxRetries: 1})
	}
	return nil, models.BadInput(errors.New("bad source"))
}

func (b *bundle) task(t *testing.T, p worker.InspectPayload) *asynq.Task {
	t.Helper()
	if p.Source == "" {
		p.Source = "local"
	}
	if p.Scorecard.ID == "" {
		p.Scorecard = b.ref
	}
	task, err := worker.NewInspectTask(p, "", worker.TimeoutConfig{})
	if err != nil {
		t.Fatal(err)
	}
	return task
}

func (b *bundle) countRows(t *testing.T) int {
	t.Helper()
	var n int
	if err := b.store.DB().QueryRow(`SELECT COUNT(*) FROM results`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestInspectProcessTask(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		payload     worker.InspectPayload
		raw         []byte // a raw payload instead
		wantOutcome string
		wantStatus  string // stored result status, "" for none
		wantCallID  string
		wantPassed  bool
		// wantUnreachable: the error must match source.ErrUnreachable.
		wantUnreachable bool
	}{
		{name: "pcm call passes", payload: worker.InspectPayload{Key: "2026/11/25/C20261125-0001.wav"},
			wantOutcome: "ok", wantStatus: models.StatusInspected, wantCallID: "C20261125-0001", wantPassed: true},
		{name: "mu-law call vetoed", payload: worker.InspectPayload{Key: "2026/11/25/C20261125-0003.wav"},
			wantOutcome: "ok", wantStatus: models.StatusInspected, wantCallID: "C20261125-0003", wantPassed: false},
		{name: "invalid wav", payload: worker.InspectPayload{Key: "2026/11/25/BROKEN.wav"},
			wantOutcome: "skip_retry", wantStatus: models.StatusUnprocessable, wantCallID: "BROKEN"},
		{name: "missing recording", payload: worker.InspectPayload{Key: "2026/11/25/GONE.wav"},
			wantOutcome: "skip_retry", wantStatus: models.StatusUnprocessable, wantCallID: "GONE"},
		{name: "storage outage", payload: worker.InspectPayload{Source: "s3://down/x", Key: "2026/11/25/C1.wav"},
			wantOutcome: "retry", wantUnreachable: true},
		{name: "unknown source", payload: worker.InspectPayload{Source: "ftp://x", Key: "2026/11/25/C1.wav"},
			wantOutcome: "skip_retry"},
		{name: "other scorecard version", payload: worker.InspectPayload{Key: "2026/11/25/C20261125-0001.wav",
			Scorecard: models.ScorecardRef{ID: "hotline-12333", Version: 999}}, wantOutcome: "retry"},
		{name: "malformed payload", raw: []byte(`{"v":1,`), wantOutcome: "skip_retry"},
		{name: "future payload version", raw: []byte(`{"v":2,"source":"local","key":"a.wav"}`), wantOutcome: "skip_retry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			task := asynq.NewTask(worker.TypeInspect, tt.raw)
			if tt.raw == nil {
				task = b.task(t, tt.payload)
			}
			err := b.handler.ProcessTask(context.Background(), task)
			if got := worker.Outcome(err); got != tt.wantOutcome {
				t.Fatalf("ProcessTask() = %v: outcome %s, want %s", err, got, tt.wantOutcome)
			}
			// What the task log says: a storage outage is an unreachable
			// store, not a body cut short.
			if tt.wantUnreachable && (!errors.Is(err, source.ErrUnreachable) || strings.Contains(err.Error(), "interrupted")) {
				t.Errorf("ProcessTask() = %v; want ErrUnreachable, not an interrupted read", err)
			}
			if tt.wantStatus == "" {
				if n := b.countRows(t); n != 0 {
					t.Fatalf("%d results stored, want none", n)
				}
				return
			}
			res, err := b.store.GetResult(context.Background(), tt.payload.Key, b.ref)
			if err != nil {
				t.Fatalf("stored result: %v", err)
			}
			if res.Status != tt.wantStatus || res.Passed != tt.wantPassed {
				t.Fatalf("stored %s passed=%v (%s), want %s passed=%v", res.Status, res.Passed, res.Error, tt.wantStatus, tt.wantPassed)
			}
			if res.Recording != tt.payload.Key || res.CallID != tt.wantCallID {
				t.Errorf("recording, call id = %q, %q; want %q, %q", res.Recording, res.CallID, tt.payload.Key, tt.wantCallID)
			}
		})
	}
}

// TestInspectSameAsEngine checks that the handler stores exactly what the
// engine computes.
func TestInspectSameAsEngine(t *testing.T) {
	t.Parallel()
	b := setup(t)
	key := "2026/11/25/C20261125-0003.wav"
	if err := b.handler.ProcessTask(context.Background(), b.task(t, worker.InspectPayload{Key: key})); err != nil {
		t.Fatal(err)
	}
	want, err := b.eng.InspectKey(context.Background(), b.src, key)
	if err != nil {
		t.Fatal(err)
	}
	got, err := b.store.GetResult(context.Background(), key, b.ref)
	if err != nil {
		t.Fatal(err)
	}
	if got.Score != want.Score || got.Passed != want.Passed || len(got.Findings) != len(want.Findings) {
		t.Fatalf("stored score %v passed %v (%d findings), engine %v %v (%d)", got.Score, got.Passed,
			len(got.Findings), want.Score, want.Passed, len(want.Findings))
	}
}

// TestInspectDeliveredTwice: a task delivered again after its result was
// saved does no work and writes no second row; a forced one inspects again.
func TestInspectDeliveredTwice(t *testing.T) {
	t.Parallel()
	b := setup(t)
	task := b.task(t, worker.InspectPayload{Key: "2026/11/25/C20261125-0001.wav"})
	for range 2 {
		if err := b.handler.ProcessTask(context.Background(), task); err != nil {
			t.Fatal(err)
		}
	}
	if n := b.countRows(t); n != 1 {
		t.Fatalf("%d rows after two deliveries, want 1", n)
	}
	if got := callsCounted(t, b, "skipped"); got != 1 {
		t.Fatalf("skipped %v deliveries, want 1", got)
	}
	if got := callsCounted(t, b, "passed"); got != 1 {
		t.Fatalf("inspected %v times, want 1", got)
	}
	forced := b.task(t, worker.InspectPayload{Key: "2026/11/25/C20261125-0001.wav", Force: true, RequestID: "r1"})
	if err := b.handler.ProcessTask(context.Background(), forced); err != nil {
		t.Fatal(err)
	}
	if got := callsCounted(t, b, "passed"); got != 2 {
		t.Fatalf("forced task: inspected %v times, want 2", got)
	}
	if n := b.countRows(t); n != 1 {
		t.Fatalf("%d rows after a forced re-inspection, want 1", n)
	}
}

// TestInspectDatabaseDown: a results store that fails is transient.
func TestInspectDatabaseDown(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.store.Close()
	err := b.handler.ProcessTask(context.Background(), b.task(t, worker.InspectPayload{Key: "2026/11/25/C20261125-0001.wav"}))
	if worker.Outcome(err) != "retry" {
		t.Fatalf("ProcessTask() with a closed store = %v, want a retryable error", err)
	}
}

// TestInspectCancelled: a task whose deadline passed stops and is retried.
func TestInspectCancelled(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := b.handler.ProcessTask(ctx, b.task(t, worker.InspectPayload{Key: "2026/11/25/C20261125-0001.wav"}))
	if !errors.Is(err, context.Canceled) || worker.Outcome(err) != "retry" {
		t.Fatalf("ProcessTask(cancelled) = %v, want context.Canceled, retried", err)
	}
	if n := b.countRows(t); n != 0 {
		t.Fatalf("%d rows stored by a cancelled task", n)
	}
}

func callsCounted(t *testing.T, b *bundle, result string) float64 {
	t.Helper()
	return worker.CallsCounted(b.metrics, result)
}

func TestMiddleware(t *testing.T) {
	t.Parallel()
	b := setup(t)
	reg, m := worker.NewRegistry(nil)
	panicky := asynq.HandlerFunc(func(context.Context, *asynq.Task) error { panic("boom") })
	mux := asynq.NewServeMux()
	mux.Use(worker.Observe(b.discard(), m), worker.Recover(b.discard()))
	mux.Handle(worker.TypeInspect, worker.NewInspectHandler(b.eng, b.store, b.sourceFunc, m, nil))
	mux.Handle("test:panic", panicky)

	if err := mux.ProcessTask(context.Background(), b.task(t, worker.InspectPayload{Key: "2026/11/25/C20261125-0001.wav"})); err != nil {
		t.Fatal(err)
	}
	if err := mux.ProcessTask(context.Background(), b.task(t, worker.InspectPayload{Key: "2026/11/25/BROKEN.wav"})); worker.Outcome(err) != "skip_retry" {
		t.Fatalf("broken: %v", err)
	}
	err := mux.ProcessTask(context.Background(), asynq.NewTask("test:panic", nil))
	if worker.Outcome(err) != "panic" {
		t.Fatalf("panicking handler: %v, want a panic error", err)
	}

	srv := httptest.NewServer(worker.OpsHandler(reg, map[string]worker.Checker{
		"database": func(ctx context.Context) error { return b.store.DB().PingContext(ctx) },
	}))
	defer srv.Close()
	body := get(t, srv.URL+"/metrics", 200)
	for _, want := range []string{
		`callqa_tasks_total{outcome="ok",type="call:inspect"} 1`,
		`callqa_tasks_total{outcome="skip_retry",type="call:inspect"} 1`,
		`callqa_tasks_total{outcome="panic",type="test:panic"} 1`,
		`callqa_calls_total{result="passed"} 1`,
		`callqa_calls_total{result="unprocessable"} 1`,
		`callqa_inspection_duration_seconds_count 2`,
		`callqa_call_phase_seconds_count{phase="lookup"} 2`,
		`callqa_call_phase_seconds_count{phase="inspect"} 2`,
		`callqa_call_phase_seconds_count{phase="save"} 2`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if !strings.Contains(body, "callqa_audio_seconds_total 40.9") {
		t.Errorf("/metrics: audio seconds of C20261125-0001 (40.9 s) not counted:\n%s", grepLines(body, "audio"))
	}
	get(t, srv.URL+"/healthz", 200)
	get(t, srv.URL+"/readyz", 200)
	b.store.Close()
	if body := get(t, srv.URL+"/readyz", 503); !strings.Contains(body, "database") {
		t.Errorf("/readyz with the database closed: %q", body)
	}
}

func (b *bundle) discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

func get(t *testing.T, url string, want int) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("GET %s: %s, want %d: %s", url, resp.Status, want, body)
	}
	return string(body)
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestPlanProcessTask plans a day on a real Redis: one call:inspect task
// per recording, the batch total recorded; planning again (a retried or
// duplicated plan) enqueues nothing new.
func TestPlanProcessTask(t *testing.T) {
	t.Parallel()
	b := setup(t)
	addr := testsvc.Redis(t, 11)
	redisOpt := asynq.RedisClientOpt{Addr: addr, DB: 11}
	client := asynq.NewClient(redisOpt)
	defer client.Close()
	insp := asynq.NewInspector(redisOpt)
	defer insp.Close()
	h := worker.NewPlanHandler(b.store, b.sourceFunc, client, insp, worker.TimeoutConfig{}, analyse.Config{}.Ref(), nil)
	task, err := worker.NewPlanTask(worker.PlanPayload{Source: "local", Date: "2026-11-25", Scorecard: b.ref})
	if err != nil {
		t.Fatal(err)
	}
	for round := range 2 {
		if err := h.ProcessTask(context.Background(), task); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		pending, err := insp.ListPendingTasks(worker.QueueBulk)
		if err != nil {
			t.Fatal(err)
		}
		if len(pending) != 3 {
			t.Fatalf("round %d: %d pending tasks, want 3", round, len(pending))
		}
		keys := map[string]bool{}
		for _, p := range pending {
			var ip worker.InspectPayload
			if err := json.Unmarshal(p.Payload, &ip); err != nil {
				t.Fatal(err)
			}
			keys[ip.Key] = true
			if ip.BatchID != worker.BatchID("2026-11-25", b.ref) || p.Timeout < 2*time.Minute || p.Retention != worker.Retention {
				t.Errorf("task %s: batch %q timeout %v retention %v", p.ID, ip.BatchID, p.Timeout, p.Retention)
			}
			if p.ID != worker.InspectTaskID(ip.Key, b.ref) {
				t.Errorf("task id %s, want %s", p.ID, worker.InspectTaskID(ip.Key, b.ref))
			}
		}
		if !keys["2026/11/25/BROKEN.wav"] || !keys["2026/11/25/C20261125-0001.wav"] {
			t.Errorf("planned %v", keys)
		}
		batch, err := b.store.GetBatch(context.Background(), worker.BatchID("2026-11-25", b.ref))
		if err != nil {
			t.Fatal(err)
		}
		if batch.Total != 3 || batch.Prefix != "2026/11/25/" || batch.Status != store.BatchRunning {
			t.Fatalf("batch %+v", batch)
		}
	}
	// The plan task itself is deduplicated by its TaskID.
	for i, want := range []worker.Enqueued{worker.EnqueuedNew, worker.EnqueuedDuplicate} {
		got, err := worker.Enqueue(context.Background(), client, task)
		if err != nil || got != want {
			t.Fatalf("enqueue plan #%d: %v, %v; want %v", i+1, got, err, want)
		}
	}
}

func TestPlanBadDate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	h := worker.NewPlanHandler(b.store, b.sourceFunc, nil, nil, worker.TimeoutConfig{}, analyse.Config{}.Ref(), nil)
	err := h.ProcessTask(context.Background(), asynq.NewTask(worker.TypePlan, []byte(`{"v":1,"source":"local","date":"2026-13-01"}`)))
	if worker.Outcome(err) != "skip_retry" {
		t.Fatalf("bad date: %v", err)
	}
}

func TestNightlyDate(t *testing.T) {
	t.Parallel()
	// 2026-11-26 00:30 in Shanghai is still 2026-11-25 in UTC.
	now := time.Date(2026, 11, 25, 16, 30, 0, 0, time.UTC)
	tests := []struct {
		p    worker.NightlyPayload
		want string
	}{
		{worker.NightlyPayload{}, "2026-11-25"},
		{worker.NightlyPayload{DaysAgo: 2}, "2026-11-24"},
		{worker.NightlyPayload{TZ: "UTC"}, "2026-11-24"},
	}
	for _, tt := range tests {
		got, err := worker.NightlyDate(tt.p, now)
		if err != nil || got != tt.want {
			t.Errorf("NightlyDate(%+v) = %q, %v; want %q", tt.p, got, err, tt.want)
		}
	}
	if _, err := worker.NightlyDate(worker.NightlyPayload{TZ: "Mars/Olympus"}, now); err == nil {
		t.Error("unknown time zone accepted")
	}
}

// TestNightlyTwoSchedulers: two schedulers' nightly tasks plan the date once.
func TestNightlyTwoSchedulers(t *testing.T) {
	t.Parallel()
	addr := testsvc.Redis(t, 12)
	redisOpt := asynq.RedisClientOpt{Addr: addr, DB: 12}
	client := asynq.NewClient(redisOpt)
	defer client.Close()
	insp := asynq.NewInspector(redisOpt)
	defer insp.Close()
	now := func() time.Time { return time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC) }
	h := worker.NewNightlyHandler(client, now, nil)
	task, err := worker.NewNightlyTask(worker.NightlyPayload{Source: "s3://recordings", TZ: "UTC",
		Scorecard: models.ScorecardRef{ID: "hotline-12333", Version: 1}})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := h.ProcessTask(context.Background(), task); err != nil {
			t.Fatal(err)
		}
	}
	pending, err := insp.ListPendingTasks(worker.QueueDefault)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 1 || pending[0].ID != worker.PlanTaskID("2026-11-25", models.ScorecardRef{ID: "hotline-12333", Version: 1}) {
		t.Fatalf("pending plans: %d, want 1 for 2026-11-25", len(pending))
	}
}

func TestTaskIDs(t *testing.T) {
	t.Parallel()
	v1 := models.ScorecardRef{ID: "hotline-12333", Version: 1}
	v2 := models.ScorecardRef{ID: "hotline-12333", Version: 2}
	tests := []struct {
		name string
		a, b string
		same bool
	}{
		{"same call and version", worker.InspectTaskID("2026/11/25/C1.wav", v1), worker.InspectTaskID("2026/11/25/C1.wav", v1), true},
		{"another version", worker.InspectTaskID("2026/11/25/C1.wav", v1), worker.InspectTaskID("2026/11/25/C1.wav", v2), false},
		{"another call", worker.InspectTaskID("2026/11/25/C1.wav", v1), worker.InspectTaskID("2026/11/25/C2.wav", v1), false},
		{"same plan", worker.PlanTaskID("2026-11-25", v1), worker.PlanTaskID("2026-11-25", v1), true},
		{"another day", worker.PlanTaskID("2026-11-25", v1), worker.PlanTaskID("2026-11-26", v1), false},
	}
	for _, tt := range tests {
		if (tt.a == tt.b) != tt.same {
			t.Errorf("%s: %s vs %s", tt.name, tt.a, tt.b)
		}
	}
}

func TestTimeoutConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cfg  worker.TimeoutConfig
		size int64
		want time.Duration
	}{
		{worker.TimeoutConfig{}, 0, 2 * time.Minute},
		{worker.TimeoutConfig{}, 3 << 20, 2*time.Minute + 60*time.Second},
		{worker.TimeoutConfig{}, 1 << 40, time.Hour},
		{worker.TimeoutConfig{Base: time.Second, PerMiB: time.Second, Max: 10 * time.Second}, 4 << 20, 5 * time.Second},
	}
	for _, tt := range tests {
		if got := tt.cfg.For(tt.size); got != tt.want {
			t.Errorf("%+v.For(%d) = %v, want %v", tt.cfg, tt.size, got, tt.want)
		}
	}
}

func TestRetryDelay(t *testing.T) {
	t.Parallel()
	f := worker.Config{RetryBase: time.Second, RetryMax: time.Minute}.RetryDelay()
	for n, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 32 * time.Second, time.Minute, time.Minute} {
		got := f(n, nil, nil)
		if got < want*8/10 || got > want*12/10 {
			t.Errorf("retry %d: %v, want %v +-20%%", n, got, want)
		}
	}
	if got := f(1000, nil, nil); got > time.Minute*12/10 {
		t.Errorf("retry 1000: %v", got)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cfg  worker.Config
		want string
	}{
		{worker.Config{}, ""},
		{worker.Config{Concurrency: -1}, "Concurrency"},
		{worker.Config{Queues: map[string]int{"bulk": 0}}, "Queues"},
		{worker.Config{ShutdownTimeout: -time.Second}, "ShutdownTimeout"},
		{worker.Config{Timeouts: worker.TimeoutConfig{PerMiB: -1}}, "PerMiB"},
		{worker.Config{TaskCheckInterval: -1}, "TaskCheckInterval"},
		{worker.Config{RegisterEvery: -1}, "RegisterEvery"},
	}
	for _, tt := range tests {
		err := tt.cfg.Validate()
		if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("Validate(%+v) = %v, want %q", tt.cfg, err, tt.want)
		}
	}
}

// logBuffer collects log records for assertions.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// TestInspectS3BucketAndAccess runs the handler on a real S3 server: a
// missing key in the bucket is the call's fault (unprocessable, not
// retried), but a missing bucket or a wrong secret key is the deployment's:
// the task is retried, nothing is stored, and a missing bucket is logged
// at error level.
func TestInspectS3BucketAndAccess(t *testing.T) {
	t.Parallel()
	b := setup(t)
	srv := testsvc.StartS3(t)
	ctx := context.Background()
	s3src := func(bucket, secret string) *source.S3 {
		s, err := source.NewS3(ctx, source.S3Config{Endpoint: srv.Endpoint, Bucket: bucket,
			AccessKey: srv.AccessKey, SecretKey: secret, MaxRetries: 1})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	good := s3src("recordings", srv.SecretKey)
	if err := good.Client().MakeBucket(ctx, "recordings", minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	const key = "2026/11/25/C20261125-0001.wav"
	for _, suffix := range []string{".wav", ".meta.json", ".transcript.json"} {
		data, err := os.ReadFile(filepath.Join(samples, "2026", "11", "25", "C20261125-0001"+suffix))
		if err != nil {
			t.Fatal(err)
		}
		if err := good.Put(ctx, models.SidecarKey(key, suffix), data); err != nil {
			t.Fatal(err)
		}
	}
	sources := map[string]worker.Source{
		"s3://recordings":        good,
		"s3://recordngs":         s3src("recordngs", srv.SecretKey), // mistyped bucket
		"s3://recordings#badkey": s3src("recordings", "wrong-secret"),
	}
	tests := []struct {
		name        string
		source, key string
		wantOutcome string
		wantStored  bool
		wantLog     string // in an ERROR record
	}{
		{"inspected", "s3://recordings", key, "ok", true, ""},
		{"missing key", "s3://recordings", "2026/11/25/GONE.wav", "skip_retry", true, ""},
		{"missing bucket", "s3://recordngs", key, "retry", false, "bucket does not exist"},
		{"wrong secret key", "s3://recordings#badkey", key, "retry", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			results, err := store.Open(ctx, filepath.Join(t.TempDir(), "results.db"), store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer results.Close()
			var logs logBuffer
			logger := slog.New(slog.NewTextHandler(&logs, nil))
			h := worker.NewInspectHandler(b.eng, results, func(_ context.Context, spec string) (worker.Source, error) {
				if s, ok := sources[spec]; ok {
					return s, nil
				}
				return nil, models.BadInput(errors.New("bad source"))
			}, nil, logger)
			err = h.ProcessTask(ctx, b.task(t, worker.InspectPayload{Source: tt.source, Key: tt.key}))
			if got := worker.Outcome(err); got != tt.wantOutcome {
				t.Fatalf("ProcessTask() = %v: outcome %s, want %s", err, got, tt.wantOutcome)
			}
			if source.IsNotFound(err) || errors.Is(err, store.ErrNotFound) {
				t.Errorf("ProcessTask() = %v: matches ErrNotFound", err)
			}
			var n int
			if err := results.DB().QueryRow(`SELECT COUNT(*) FROM results`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if (n == 1) != tt.wantStored || n > 1 {
				t.Fatalf("%d results stored, want stored=%v", n, tt.wantStored)
			}
			if tt.wantLog != "" && (!strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), tt.wantLog)) {
				t.Errorf("log lacks an error record with %q:\n%s", tt.wantLog, logs.String())
			}
		})
	}
}

// writeLongWAV writes a PCM16 mono 8 kHz WAV of the given length, a tone
// with pauses so that the analyser has work to do.
func writeLongWAV(t *testing.T, path string, seconds int) int64 {
	t.Helper()
	const rate = 8000
	n := rate * seconds
	data := make([]byte, 44+2*n)
	le := binary.LittleEndian
	copy(data, "RIFF")
	le.PutUint32(data[4:], uint32(36+2*n))
	copy(data[8:], "WAVEfmt ")
	le.PutUint32(data[16:], 16)
	le.PutUint16(data[20:], 1) // PCM
	le.PutUint16(data[22:], 1) // mono
	le.PutUint32(data[24:], rate)
	le.PutUint32(data[28:], 2*rate)
	le.PutUint16(data[32:], 2)
	le.PutUint16(data[34:], 16)
	copy(data[36:], "data")
	le.PutUint32(data[40:], uint32(2*n))
	for i := range n {
		var v int16
		if (i/rate)%5 < 3 { // 3 s of tone, 2 s of silence
			v = int16(8000 * math.Sin(2*math.Pi*440*float64(i)/rate))
		}
		le.PutUint16(data[44+2*i:], uint16(v))
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return int64(len(data))
}

// cancellingSource opens recordings from a real folder through a reader
// that cancels the task's context once `after` bytes have been read, i.e.
// while the engine is in the middle of the recording.
type cancellingSource struct {
	*source.Local
	after  int64
	cancel context.CancelFunc
	read   *atomic.Int64
}

func (s cancellingSource) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	rc, err := s.Local.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	return &cancellingReader{f: rc.(*os.File), src: s}, nil
}

type cancellingReader struct {
	f   *os.File
	src cancellingSource
}

func (r *cancellingReader) Read(p []byte) (int, error) {
	n, err := r.f.Read(p)
	if r.src.read.Add(int64(n)) >= r.src.after {
		r.src.cancel()
	}
	return n, err
}

func (r *cancellingReader) Close() error { return r.f.Close() }

// Size tells the decoder the recording's length, as a file or an S3 object does.
func (r *cancellingReader) Size() int64 {
	fi, err := r.f.Stat()
	if err != nil {
		return -1
	}
	return fi.Size()
}

// TestInspectCancelledMidRecording cancels the task's context while the
// engine is reading a long recording (an hour, 57 MB): the handler must
// stop within a few blocks, return the context's error for a retry, and
// store nothing.
func TestInspectCancelledMidRecording(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const key = "2026/11/25/LONG.wav"
	size := writeLongWAV(t, filepath.Join(b.dir, filepath.FromSlash(key)), 3600)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	src := cancellingSource{Local: b.src, after: 1 << 20, cancel: cancel, read: new(atomic.Int64)}
	h := worker.NewInspectHandler(b.eng, b.store, func(context.Context, string) (worker.Source, error) { return src, nil }, nil, nil)
	start := time.Now()
	err := h.ProcessTask(ctx, b.task(t, worker.InspectPayload{Key: key, Size: size}))
	took := time.Since(start)
	if !errors.Is(err, context.Canceled) || worker.Outcome(err) != "retry" {
		t.Fatalf("ProcessTask(cancelled mid-recording) = %v, want context.Canceled, retried", err)
	}
	if got := src.read.Load(); got < 1<<20 || got > 2<<20 {
		t.Errorf("read %d of %d bytes: want the engine to stop within 1 MiB of the cancellation", got, size)
	}
	if took > 5*time.Second {
		t.Errorf("ProcessTask took %v after a cancellation", took)
	}
	if n := b.countRows(t); n != 0 {
		t.Fatalf("%d rows stored by a cancelled task", n)
	}
}

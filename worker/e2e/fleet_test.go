package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/minio/minio-go/v7"

	"github.com/callqa/callqa/batch"
	"github.com/callqa/callqa/internal/testsvc"
	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/pipeline"
	"github.com/callqa/callqa/scorecards"
	"github.com/callqa/callqa/source"
	"github.com/callqa/callqa/store"
	"github.com/callqa/callqa/worker"
)

const (
	date    = "2026-11-25"
	dayDir  = "2026/11/25"
	bucket  = "recordings"
	prefix  = "calls"
	samples = "../../samples/2026/11/25"
)

// callqaBin is the callqa binary built once for the package's tests.
var callqaBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "callqa-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	callqaBin = filepath.Join(dir, "callqa")
	build := exec.Command("go", "build", "-o", callqaBin, "github.com/callqa/callqa/cmd/callqa")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: build callqa:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// makeCalls writes the day's calls under root/2026/11/25: every sample
// call copied copies times under new call ids (rewritten meta sidecars),
// plus broken recordings. It returns the call ids.
func makeCalls(t testing.TB, root string, copies int) []string {
	t.Helper()
	day := filepath.Join(root, filepath.FromSlash(dayDir))
	if err := os.MkdirAll(day, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := filepath.Glob(filepath.Join(samples, "*.wav"))
	if err != nil || len(entries) == 0 {
		t.Fatalf("no samples in %s: %v", samples, err)
	}
	var ids []string
	write := func(name string, data []byte) {
		if err := os.WriteFile(filepath.Join(day, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(samples, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, wav := range entries {
		base := strings.TrimSuffix(filepath.Base(wav), ".wav")
		audio, tr := read(base+".wav"), read(base+".transcript.json")
		var meta map[string]any
		if err := json.Unmarshal(read(base+".meta.json"), &meta); err != nil {
			t.Fatal(err)
		}
		for c := 1; c <= copies; c++ {
			id := fmt.Sprintf("%s-r%d", base, c)
			meta["call_id"] = id
			m, _ := json.Marshal(meta)
			write(id+".wav", audio)
			write(id+".transcript.json", tr)
			write(id+".meta.json", m)
			ids = append(ids, id)
		}
	}
	pcm := read(filepath.Base(entries[0]))
	broken := map[string][]byte{
		"BROKEN-garbage": []byte("this is not a wav file at all, just text"),
		"BROKEN-empty":   {},
		"BROKEN-header":  pcm[:30],
		"CUT-data":       pcm[:len(pcm)*6/10], // data chunk ends early: inspected, truncated
	}
	for id, data := range broken {
		write(id+".wav", data)
		ids = append(ids, id)
	}
	// A good recording with an unreadable meta sidecar: unprocessable.
	write("BROKEN-meta.wav", pcm)
	write("BROKEN-meta.meta.json", []byte("{not json"))
	ids = append(ids, "BROKEN-meta")
	// Two recordings whose metadata carry one call id (a recorder that
	// restarted its numbering): two calls, both stored and counted.
	for _, name := range []string{"DUP-a", "DUP-b"} {
		write(name+".wav", pcm)
		write(name+".meta.json", []byte(`{"call_id":"DUP-1","agent_id":"1086","started_at":"2026-11-25T15:00:00+08:00"}`))
		ids = append(ids, name)
	}
	sort.Strings(ids)
	return ids
}

// fleet is one test's services and workers.
type fleet struct {
	t         testing.TB
	local     string // the calls on disk (for the embedded run)
	ids       []string
	s3        *testsvc.S3
	src       *source.S3
	redisDB   int
	redisAddr string
	redisURL  string
	pgURL     string
	store     *store.Store
	insp      *asynq.Inspector
	ref       models.ScorecardRef
	logs      string

	mu      sync.Mutex
	workers []*proc
}

// proc is a running callqa process.
type proc struct {
	name        string
	cmd         *exec.Cmd
	metricsAddr string
	done        chan struct{}
}

func newFleet(t testing.TB, redisDB, copies int) *fleet {
	t.Helper()
	return newFleetOn(t, testsvc.Redis(t, redisDB), redisDB, copies)
}

// newFleetOn is newFleet on the Redis at addr (a test's own server).
func newFleetOn(t testing.TB, addr string, redisDB, copies int) *fleet {
	t.Helper()
	f := &fleet{t: t, local: t.TempDir(), logs: t.TempDir(), redisDB: redisDB, redisAddr: addr}
	f.redisURL = fmt.Sprintf("redis://%s/%d", addr, redisDB)
	f.pgURL = testsvc.Postgres(t)
	f.s3 = testsvc.StartS3(t)
	f.ids = makeCalls(t, f.local, copies)

	ctx := context.Background()
	var err error
	f.src, err = source.NewS3(ctx, source.S3Config{Endpoint: f.s3.Endpoint, Bucket: bucket,
		AccessKey: f.s3.AccessKey, SecretKey: f.s3.SecretKey, Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.src.Client().MakeBucket(ctx, bucket, minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(f.local, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(f.local, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return f.src.Put(ctx, filepath.ToSlash(rel), data)
	})
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	if f.store, err = store.Open(ctx, f.pgURL, store.Options{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.store.Close() })
	f.insp = asynq.NewInspector(asynq.RedisClientOpt{Addr: addr, DB: redisDB})
	t.Cleanup(func() { f.insp.Close() })
	sc, err := scorecards.Default()
	if err != nil {
		t.Fatal(err)
	}
	f.ref = models.ScorecardRef{ID: sc.ID, Version: sc.Version}
	t.Cleanup(f.stopAll)
	return f
}

func (f *fleet) env() []string {
	return append(os.Environ(),
		"CALLQA_REDIS="+f.redisURL,
		"CALLQA_DATABASE_URL="+f.pgURL,
		"CALLQA_SOURCE=s3://"+bucket+"/"+prefix,
		"CALLQA_S3_ENDPOINT="+f.s3.Endpoint,
		"CALLQA_S3_ACCESS_KEY="+f.s3.AccessKey,
		"CALLQA_S3_SECRET_KEY="+f.s3.SecretKey,
		"CALLQA_S3_SSL=false",
	)
}

// callqa runs a callqa command to completion and returns its stdout.
func (f *fleet) callqa(args ...string) string {
	f.t.Helper()
	cmd := exec.Command(callqaBin, args...)
	cmd.Env = f.env()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		f.t.Fatalf("callqa %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// startWorker starts a callqa worker process.
func (f *fleet) startWorker(name string, args ...string) *proc {
	f.t.Helper()
	port := freePort(f.t)
	p := &proc{name: name, metricsAddr: fmt.Sprintf("127.0.0.1:%d", port), done: make(chan struct{})}
	args = append([]string{"worker", "--metrics-addr", p.metricsAddr, "--retry-base", "1s", "--shutdown-timeout", "5s"}, args...)
	p.cmd = exec.Command(callqaBin, args...)
	p.cmd.Env = f.env()
	logf, err := os.Create(filepath.Join(f.logs, name+".log"))
	if err != nil {
		f.t.Fatal(err)
	}
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	if err := p.cmd.Start(); err != nil {
		f.t.Fatal(err)
	}
	go func() { p.cmd.Wait(); logf.Close(); close(p.done) }()
	f.mu.Lock()
	f.workers = append(f.workers, p)
	f.mu.Unlock()
	// Ready when /readyz says Redis and PostgreSQL answer.
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + p.metricsAddr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		select {
		case <-p.done:
			f.t.Fatalf("worker %s exited at start:\n%s", name, f.log(name))
		default:
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("worker %s not ready:\n%s", name, f.log(name))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (f *fleet) log(name string) string {
	b, _ := os.ReadFile(filepath.Join(f.logs, name+".log"))
	return string(b)
}

// stopAll stops the workers with SIGTERM (a drain) and, on failure, prints
// their logs.
func (f *fleet) stopAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.workers {
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(15 * time.Second):
			p.cmd.Process.Kill()
			<-p.done
		}
		if f.t.Failed() {
			f.t.Logf("--- log of %s ---\n%s", p.name, tail(f.log(p.name), 60))
		}
	}
	f.workers = nil
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// status runs callqa status --json; it returns nil while the plan has not
// created the batch yet.
func (f *fleet) status() *worker.Status {
	f.t.Helper()
	cmd := exec.Command(callqaBin, "status", "--batch", worker.BatchID(date, f.ref), "--json")
	cmd.Env = f.env()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if strings.Contains(stderr.String(), "no batch") {
			return nil
		}
		f.t.Fatalf("callqa status: %v\n%s", err, stderr.String())
	}
	var st worker.Status
	if err := json.Unmarshal(stdout.Bytes(), &st); err != nil {
		f.t.Fatalf("status --json: %v\n%s", err, stdout.String())
	}
	return &st
}

// waitComplete polls the batch status until it is complete.
func (f *fleet) waitComplete(timeout time.Duration) *worker.Status {
	f.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		st := f.status()
		if st != nil && st.Complete {
			return st
		}
		if time.Now().After(deadline) {
			if st == nil {
				f.t.Fatalf("no batch after %v", timeout)
			}
			f.t.Fatalf("batch not complete after %v: total %d done %d retrying %d archived %d", timeout,
				st.Total, st.Done, st.Retrying, st.Archived)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// checkResults checks that PostgreSQL holds exactly one result per call,
// equal in status, score, verdict and findings to the embedded run on the
// same files.
func (f *fleet) checkResults(st *worker.Status) {
	t := f.t
	t.Helper()
	ctx := context.Background()
	var rows int
	if err := f.store.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM results`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != len(f.ids) {
		t.Errorf("%d result rows for %d calls", rows, len(f.ids))
	}

	// The embedded run on the same files, SQLite.
	sc, _ := scorecards.Default()
	eng, err := pipeline.NewEngine(sc, pipeline.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	local, err := source.NewLocal(f.local)
	if err != nil {
		t.Fatal(err)
	}
	lite, err := store.Open(ctx, filepath.Join(t.TempDir(), "embedded.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	sum, err := batch.Run(ctx, batch.Config{Workers: 2}, local, dayDir+"/", eng, lite)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Batch.Total != len(f.ids) {
		t.Fatalf("embedded run listed %d calls, want %d", sum.Batch.Total, len(f.ids))
	}
	unprocessable := 0
	for _, id := range f.ids {
		want, err := lite.GetResult(ctx, dayDir+"/"+id+".wav", f.ref)
		if err != nil {
			t.Errorf("embedded %s: %v", id, err)
			continue
		}
		got, err := f.store.GetResult(ctx, dayDir+"/"+id+".wav", f.ref)
		if err != nil {
			t.Errorf("fleet %s: %v", id, err)
			continue
		}
		if want.Status == models.StatusUnprocessable {
			unprocessable++
		}
		if got.Status != want.Status || got.Score != want.Score || got.Passed != want.Passed ||
			got.Truncated != want.Truncated || findings(got) != findings(want) {
			t.Errorf("%s: fleet %s %.1f passed=%v [%s], embedded %s %.1f passed=%v [%s]", id,
				got.Status, got.Score, got.Passed, findings(got), want.Status, want.Score, want.Passed, findings(want))
		}
		if got.Recording != want.Recording {
			t.Errorf("%s: recording %q, embedded %q", id, got.Recording, want.Recording)
		}
	}
	if unprocessable != 4 {
		t.Errorf("%d unprocessable calls, want 4 (3 broken recordings, 1 broken meta sidecar)", unprocessable)
	}
	if st.Results.Inspected != sum.Batch.Inspected || st.Results.Unprocessable != sum.Batch.Unprocessable ||
		st.Results.Passed != sum.Batch.Passed {
		t.Errorf("fleet counts %+v, embedded inspected %d unprocessable %d passed %d", st.Results,
			sum.Batch.Inspected, sum.Batch.Unprocessable, sum.Batch.Passed)
	}
	wantRate := float64(sum.Batch.Passed) / float64(sum.Batch.Inspected)
	if st.PassRate == nil || *st.PassRate != wantRate {
		t.Errorf("fleet pass rate %v, embedded %v", st.PassRate, wantRate)
	}
}

func findings(r *models.Result) string {
	var rules []string
	for _, f := range r.Findings {
		rules = append(rules, fmt.Sprintf("%s@%.2f", f.Rule, f.Start))
	}
	return strings.Join(rules, ",")
}

// metric sums a counter over the workers' /metrics.
func (f *fleet) metric(procs []*proc, series string) float64 {
	f.t.Helper()
	total := 0.0
	for _, p := range procs {
		resp, err := http.Get("http://" + p.metricsAddr + "/metrics")
		if err != nil {
			f.t.Fatal(err)
		}
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, series+" ") {
				v, _ := strconv.ParseFloat(strings.TrimPrefix(line, series+" "), 64)
				total += v
			}
		}
		resp.Body.Close()
	}
	return total
}

// TestFleet runs two worker processes on 67 calls (5 copies of each of
// the 12 samples in PCM16, mu-law and A-law, 5 broken or cut short, two whose metadata carry one
// call id) in S3, enqueues the date twice, delivers one call:inspect a
// second time, and checks exactly one result per recording in PostgreSQL,
// equal to the embedded run's; then a third recording of the clashing call
// id arrives the next day, and the first day keeps all of its results.
func TestFleet(t *testing.T) {
	f := newFleet(t, 13, 5)
	if len(f.ids) < 50 {
		t.Fatalf("only %d calls", len(f.ids))
	}
	w1 := f.startWorker("worker1", "--concurrency", "2")
	w2 := f.startWorker("worker2", "--concurrency", "2")

	out := f.callqa("enqueue", "--date", date)
	if !strings.Contains(out, "enqueued") || strings.Contains(out, "already") {
		t.Fatalf("first enqueue: %q", out)
	}
	// Again: nothing, whether the plan is still queued or already ran.
	out = f.callqa("enqueue", "--date", date)
	if !strings.Contains(out, "already enqueued") && !strings.Contains(out, "already ran") {
		t.Fatalf("second enqueue of the same date: %q", out)
	}
	st := f.waitComplete(3 * time.Minute)
	if st.Total != len(f.ids) || st.Done != len(f.ids) {
		t.Fatalf("status: total %d done %d, want %d", st.Total, st.Done, len(f.ids))
	}
	f.checkResults(st)

	// Every call was inspected exactly once across the two workers.
	procs := []*proc{w1, w2}
	counted := 0.0
	for _, r := range []string{"passed", "failed", "unprocessable"} {
		counted += f.metric(procs, `callqa_calls_total{result="`+r+`"}`)
	}
	if counted != float64(len(f.ids)) {
		t.Errorf("workers inspected %v calls, want %d (no duplicate work)", counted, len(f.ids))
	}
	if f.metric(procs, `callqa_tasks_total{outcome="ok",type="batch:plan"}`) != 1 {
		t.Errorf("the date was planned more than once")
	}
	if f.metric(procs, "callqa_audio_seconds_total") < 50*35 {
		t.Errorf("audio seconds inspected: %v", f.metric(procs, "callqa_audio_seconds_total"))
	}

	// Enqueuing a call again on its queue within the retention is refused
	// by its TaskID (asynq keys tasks by queue)...
	key := dayDir + "/" + f.ids[len(f.ids)-1] + ".wav" // an inspected call
	if out := f.callqa("enqueue", "--key", key, "--queue", worker.QueueBulk); !strings.Contains(out, "already enqueued") {
		t.Errorf("enqueue --key of a done call on its queue: %q", out)
	}
	// ... on another queue (an operator's enqueue on critical) and when
	// the same call:inspect is delivered again (at-least-once delivery,
	// here a copy without TaskID), the worker skips the inspected call: no
	// work, no row.
	if out := f.callqa("enqueue", "--key", key); !strings.Contains(out, "enqueued") {
		t.Errorf("enqueue --key on critical: %q", out)
	}
	task, err := worker.NewInspectTask(worker.InspectPayload{Source: "s3://" + bucket + "/" + prefix, Key: key,
		Scorecard: f.ref, BatchID: worker.BatchID(date, f.ref)}, worker.QueueCritical, worker.TimeoutConfig{})
	if err != nil {
		t.Fatal(err)
	}
	client := asynq.NewClient(asynq.RedisClientOpt{Addr: testsvc.RedisAddr(), DB: f.redisDB})
	defer client.Close()
	if _, err := client.Enqueue(asynq.NewTask(task.Type(), task.Payload()), asynq.Queue(worker.QueueCritical)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for f.metric(procs, `callqa_calls_total{result="skipped"}`) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("redelivered tasks not skipped: %v", f.metric(procs, `callqa_calls_total{result="skipped"}`))
		}
		time.Sleep(100 * time.Millisecond)
	}
	counted = 0
	for _, r := range []string{"passed", "failed", "unprocessable"} {
		counted += f.metric(procs, `callqa_calls_total{result="`+r+`"}`)
	}
	if counted != float64(len(f.ids)) {
		t.Errorf("after redeliveries, workers inspected %v calls, want still %d", counted, len(f.ids))
	}
	var rows int
	if err := f.store.DB().QueryRow(`SELECT COUNT(*) FROM results`).Scan(&rows); err != nil || rows != len(f.ids) {
		t.Errorf("after a redelivery: %d rows (%v), want %d", rows, err, len(f.ids))
	}
	// The queue metrics of asynq are served too.
	if f.metric(procs[:1], `asynq_tasks_enqueued_total{queue="bulk",state="archived"}`) != 4 {
		t.Errorf("asynq queue metrics: archived bulk tasks %v, want the 4 unprocessable calls",
			f.metric(procs[:1], `asynq_tasks_enqueued_total{queue="bulk",state="archived"}`))
	}
	// The call id clash is named, both recordings stored; a third
	// recording of DUP-1 the next day is a call of that day, and the
	// first day keeps its results.
	if len(st.Clashes) != 1 || st.Clashes[0].CallID != "DUP-1" || len(st.Clashes[0].Recordings) != 2 {
		t.Errorf("status clashes = %+v, want DUP-1 with 2 recordings", st.Clashes)
	}
	if out := f.callqa("status", "--batch", worker.BatchID(date, f.ref)); !strings.Contains(out, "call_id clash: 1 call id(s)") || !strings.Contains(out, dayDir+"/DUP-b.wav") {
		t.Errorf("status text does not name the clash:\n%s", out)
	}
	nextDay := "2026/11/26"
	meta := []byte(`{"call_id":"DUP-1","agent_id":"1086","started_at":"2026-11-26T09:00:00+08:00"}`)
	wav, err := os.ReadFile(filepath.Join(f.local, filepath.FromSlash(dayDir), "DUP-a.wav"))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{nextDay + "/DUP-c.wav": wav, nextDay + "/DUP-c.meta.json": meta} {
		if err := f.src.Put(context.Background(), name, data); err != nil {
			t.Fatal(err)
		}
	}
	f.callqa("enqueue", "--date", "2026-11-26")
	nextID := worker.BatchID("2026-11-26", f.ref)
	for deadline := time.Now().Add(time.Minute); ; {
		var next worker.Status
		if err := json.Unmarshal([]byte(f.callqa("status", "--batch", nextID, "--json")), &next); err == nil && next.Complete {
			if next.Total != 1 || next.Done != 1 || len(next.Clashes) != 1 || len(next.Clashes[0].Recordings) != 3 {
				t.Errorf("next day's status: total %d done %d clashes %+v", next.Total, next.Done, next.Clashes)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the next day's batch did not complete")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if again := f.status(); again.Done != len(f.ids) || again.Total != len(f.ids) || !again.Complete {
		t.Errorf("the first day after the next day's DUP-1: total %d done %d complete %v, want %d", again.Total, again.Done, again.Complete, len(f.ids))
	}
	if err := f.store.DB().QueryRow(`SELECT COUNT(*) FROM results WHERE call_id = 'DUP-1'`).Scan(&rows); err != nil || rows != 3 {
		t.Errorf("results of DUP-1: %d (%v), want 3", rows, err)
	}
	// The batch row is marked finished with the counts.
	b, err := f.store.GetBatch(context.Background(), worker.BatchID(date, f.ref))
	if err != nil || b.Status != store.BatchFinished || b.Inspected != st.Results.Inspected {
		t.Errorf("batch row %+v (%v)", b, err)
	}
	// Human-readable status.
	out = f.callqa("status", "--date", date)
	if !regexp.MustCompile(fmt.Sprintf(`complete[\s\S]*total %d  done %[1]d[\s\S]*pass rate \d+\.\d%%`, len(f.ids))).MatchString(out) {
		t.Errorf("status:\n%s", out)
	}
}

// TestFleetWorkerKilled kills a worker (SIGKILL) while it inspects a call:
// the orphaned task is recovered by the other worker once its lease has
// expired (30 s, checked every minute, spending one retry), and every call
// ends with exactly one result.
func TestFleetWorkerKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("waits about a minute for asynq's orphan recovery")
	}
	f := newFleet(t, 14, 5)
	// The victim reads S3 through a slow link (256 KB/s: about 3 s a call)
	// so that it is surely in the middle of a call when it is killed.
	slow := throttlingProxy(t, f.s3.Endpoint, 256<<10)
	victim := f.startWorker("victim", "--concurrency", "1", "--s3-endpoint", slow)
	f.callqa("enqueue", "--date", date)

	// Kill it in the middle of a task, once it has done a few.
	deadline := time.Now().Add(60 * time.Second)
	var orphan string
	for {
		active, err := f.insp.ListActiveTasks(worker.QueueBulk)
		if err != nil && !errors.Is(err, asynq.ErrQueueNotFound) {
			t.Fatal(err)
		}
		c, err := f.store.CountPrefix(context.Background(), f.ref, dayDir+"/")
		if err != nil {
			t.Fatal(err)
		}
		// The 4 broken calls sort first and take no time: kill it in a
		// valid call.
		if len(active) > 0 && c.Results() >= 5 {
			if err := victim.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			orphan = active[0].ID
			t.Logf("killed the worker after %d results, with task %s active", c.Results(), orphan)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the worker never got going: %d results", c.Results())
		}
		time.Sleep(20 * time.Millisecond)
	}
	<-victim.done
	if active, _ := f.insp.ListActiveTasks(worker.QueueBulk); len(active) != 1 || active[0].ID != orphan {
		t.Fatalf("killed worker left %d active tasks, want its one task %s", len(active), orphan)
	}

	start := time.Now()
	f.startWorker("survivor", "--concurrency", "2")
	st := f.waitComplete(3 * time.Minute)
	t.Logf("batch complete %v after the kill", time.Since(start).Round(time.Second))
	// The orphan was recovered once its lease expired, spending a retry.
	var info *asynq.TaskInfo
	for {
		var err error
		if info, err = f.insp.GetTaskInfo(worker.QueueBulk, orphan); err != nil {
			t.Fatal(err)
		}
		if info.State == asynq.TaskStateCompleted || time.Since(start) > 3*time.Minute {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("orphan %s: %v after %v", orphan, info.State, time.Since(start).Round(time.Second))
	if info.State != asynq.TaskStateCompleted || info.Retried != 1 || !strings.Contains(info.LastErr, "lease expired") {
		t.Errorf("orphaned task: retried %d, last error %q; want 1 retry after its lease expired", info.Retried, info.LastErr)
	}
	if st.Total != len(f.ids) || st.Done != len(f.ids) {
		t.Fatalf("status: total %d done %d, want %d", st.Total, st.Done, len(f.ids))
	}
	f.checkResults(st)
}

// throttlingProxy forwards TCP connections to upstream, sending the
// answers back at about rate bytes a second.
func throttlingProxy(t *testing.T, upstream string, rate int) string {
	return testsvc.Proxy(t, upstream, func(c io.Writer, u io.Reader) {
		buf := make([]byte, rate/20)
		for {
			n, err := u.Read(buf)
			if n > 0 {
				if _, werr := c.Write(buf[:n]); werr != nil {
					return
				}
				time.Sleep(time.Duration(n) * time.Second / time.Duration(rate))
			}
			if err != nil {
				return
			}
		}
	})
}

// TestFleetDrain stops a worker with SIGTERM in the middle of a call: the
// call finishes and is stored, the process exits cleanly, and the tasks it
// had not started stay queued for the others.
func TestFleetDrain(t *testing.T) {
	f := newFleet(t, 9, 1)
	slow := throttlingProxy(t, f.s3.Endpoint, 256<<10)
	w := f.startWorker("draining", "--concurrency", "1", "--s3-endpoint", slow)
	f.callqa("enqueue", "--date", date)
	var inFlight *asynq.TaskInfo
	deadline := time.Now().Add(60 * time.Second)
	for inFlight == nil {
		active, err := f.insp.ListActiveTasks(worker.QueueBulk)
		if err != nil && !errors.Is(err, asynq.ErrQueueNotFound) {
			t.Fatal(err)
		}
		c, err := f.store.CountPrefix(context.Background(), f.ref, dayDir+"/")
		if err != nil {
			t.Fatal(err)
		}
		if len(active) > 0 && c.Results() >= 5 { // past the 4 broken calls: a real one, ~3 s long
			inFlight = active[0]
		}
		if time.Now().After(deadline) {
			t.Fatal("the worker never got going")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := w.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-w.done:
	case <-time.After(20 * time.Second):
		t.Fatal("worker did not exit after SIGTERM")
	}
	if code := w.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("worker exit code %d after SIGTERM", code)
	}
	var p worker.InspectPayload
	if err := json.Unmarshal(inFlight.Payload, &p); err != nil {
		t.Fatal(err)
	}
	status, _, err := f.store.RecordingStatus(context.Background(), p.Key, f.ref)
	if err != nil || status != models.StatusInspected {
		t.Fatalf("the call in flight at SIGTERM (%s): stored %q, %v; want it finished", p.Key, status, err)
	}
	info, err := f.insp.GetTaskInfo(worker.QueueBulk, inFlight.ID)
	if err != nil || info.State != asynq.TaskStateCompleted {
		t.Fatalf("task in flight at SIGTERM: %v, %v; want completed", info.State, err)
	}
	q, err := f.insp.GetQueueInfo(worker.QueueBulk)
	if err != nil {
		t.Fatal(err)
	}
	if q.Active != 0 || q.Pending == 0 {
		t.Fatalf("after the drain: %d active, %d pending; want 0 active and the rest pending", q.Active, q.Pending)
	}
}

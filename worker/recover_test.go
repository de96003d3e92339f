package worker_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/callqa/callqa/internal/testsvc"
	"github.com/callqa/callqa/pipeline/analyse"
	"github.com/callqa/callqa/store"
	"github.com/callqa/callqa/worker"
)

// fleetBundle is a worker fleet in the test's process: the handlers of
// setup on a Redis of the test's own (testsvc.StartRedis), served by a
// worker.Server when the test runs one.
type fleetBundle struct {
	*bundle
	redis  *testsvc.RedisServer
	opt    asynq.RedisClientOpt
	client *asynq.Client
	insp   *asynq.Inspector
	rdb    *redis.Client
	mux    *asynq.ServeMux
	date   string
	id     string
	logs   *logBuffer
}

func setupFleet(t *testing.T) *fleetBundle {
	t.Helper()
	f := &fleetBundle{bundle: setup(t), redis: testsvc.StartRedis(t), date: "2026-11-25", logs: &logBuffer{}}
	f.opt = asynq.RedisClientOpt{Addr: f.redis.Addr}
	f.client = asynq.NewClient(f.opt)
	t.Cleanup(func() { f.client.Close() })
	f.insp = asynq.NewInspector(f.opt)
	t.Cleanup(func() { f.insp.Close() })
	f.rdb = redis.NewClient(&redis.Options{Addr: f.redis.Addr})
	t.Cleanup(func() { f.rdb.Close() })
	f.id = worker.BatchID(f.date, f.ref)
	logger := slog.New(slog.NewTextHandler(f.logs, nil))
	f.mux = worker.NewMux(worker.Handlers{
		Inspect: worker.NewInspectHandler(f.eng, f.store, f.sourceFunc, nil, logger),
		Plan:    worker.NewPlanHandler(f.store, f.sourceFunc, f.client, f.insp, worker.TimeoutConfig{}, analyse.Config{}.Ref(), logger),
	}, nil, logger)
	return f
}

// work runs a worker until every queue is idle (nothing pending, active,
// scheduled or retrying), and stops it.
func (f *fleetBundle) work(t *testing.T) {
	t.Helper()
	srv, err := worker.NewServer(f.opt, worker.Config{Concurrency: 2, RetryBase: 50 * time.Millisecond,
		RegisterEvery: 50 * time.Millisecond, ShutdownTimeout: time.Second}, slog.New(slog.NewTextHandler(f.logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- srv.Run(ctx, f.mux) }()
	deadline := time.Now().Add(30 * time.Second)
	for idle := 0; idle < 3; { // idle three polls in a row: no plan mid-listing
		time.Sleep(100 * time.Millisecond)
		busy := false
		qs, err := worker.Queues(f.insp)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range qs {
			busy = busy || q.Pending+q.Active+q.Scheduled+q.Retry > 0
		}
		if busy {
			idle = 0
		} else {
			idle++
		}
		if time.Now().After(deadline) {
			t.Fatalf("queues still busy after 30 s: %+v", qs)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func (f *fleetBundle) status(t *testing.T) *worker.Status {
	t.Helper()
	st, err := worker.BatchStatus(context.Background(), f.insp, f.store, f.id)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// deleteResult deletes the stored result of the recording at key (a
// result lost: a restored database, a deleted row).
func (f *fleetBundle) deleteResult(t *testing.T, key string) {
	t.Helper()
	if _, err := f.store.DB().Exec(`DELETE FROM findings WHERE recording = $1`, key); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.DB().Exec(`DELETE FROM results WHERE recording = $1`, key); err != nil {
		t.Fatal(err)
	}
}

func (f *fleetBundle) state(t *testing.T, key string) asynq.TaskState {
	t.Helper()
	info, err := f.insp.GetTaskInfo(worker.QueueBulk, worker.InspectTaskID(key, f.ref))
	if err != nil {
		t.Fatalf("task of %s: %v", key, err)
	}
	return info.State
}

func (f *fleetBundle) enqueuePlan(t *testing.T, replan bool, want worker.PlanEnqueued) {
	t.Helper()
	got, _, err := worker.EnqueuePlan(context.Background(), f.client, f.insp,
		worker.PlanPayload{Source: "local", Date: f.date, Scorecard: f.ref}, replan)
	if err != nil || got != want {
		t.Fatalf("EnqueuePlan(replan %v) = %v, %v; want %v", replan, got, err, want)
	}
}

func checkStatus(t *testing.T, step string, st *worker.Status, total, done int, complete, stalled bool) {
	t.Helper()
	if st.Total != total || st.Done != done || st.Missing != total-done || st.Complete != complete || st.Stalled != stalled {
		t.Fatalf("%s: status total %d done %d missing %d complete %v stalled %v; want total %d done %d complete %v stalled %v",
			step, st.Total, st.Done, st.Missing, st.Complete, st.Stalled, total, done, complete, stalled)
	}
	wantRecover := ""
	if stalled {
		wantRecover = "callqa enqueue --date 2026-11-25 --replan"
	}
	if st.Recover != wantRecover {
		t.Fatalf("%s: recover %q, want %q", step, st.Recover, wantRecover)
	}
}

// TestReplan: a day is planned and inspected by a worker on a real Redis;
// then results go missing (one call's result lost with its task completed,
// the broken call's result lost with its task archived) and a recording
// arrives late. Status says stalled with the number missing; a plain plan
// (after the retention, or with no plan task left) enqueues only the late
// recording, and leaves the batch running, not complete, its total grown;
// the re-plan runs the two others again; every recording then has one
// result and the batch is complete again. EnqueuePlan refuses to plan a
// finished date again without replan.
func TestReplan(t *testing.T) {
	t.Parallel()
	f := setupFleet(t)
	ctx := context.Background()
	const pcm, mulaw, broken = "2026/11/25/C20261125-0001.wav", "2026/11/25/C20261125-0003.wav", "2026/11/25/BROKEN.wav"

	f.enqueuePlan(t, false, worker.PlanNew)
	st, err := worker.BatchStatus(ctx, f.insp, f.store, f.id)
	if err != nil || !st.Planning || st.Stalled || st.Batch.ID != f.id {
		t.Fatalf("status before any worker ran: %+v, %v; want planning", st, err)
	}
	f.enqueuePlan(t, false, worker.PlanInProgress)
	f.enqueuePlan(t, true, worker.PlanInProgress)
	f.work(t)
	checkStatus(t, "planned and inspected", f.status(t), 3, 3, true, false)
	f.enqueuePlan(t, false, worker.PlanRan)
	if got := f.state(t, pcm); got != asynq.TaskStateCompleted {
		t.Fatalf("task of %s: %v, want completed", pcm, got)
	}
	if got := f.state(t, broken); got != asynq.TaskStateArchived {
		t.Fatalf("task of %s: %v, want archived", broken, got)
	}

	// Results lost, a late recording: nothing will run by itself.
	f.deleteResult(t, pcm)
	f.deleteResult(t, broken)
	st = f.status(t)
	checkStatus(t, "results lost", st, 3, 1, false, true)
	if row, err := f.store.GetBatch(ctx, f.id); err != nil || row.Status != store.BatchRunning || !row.FinishedAt.IsZero() {
		t.Fatalf("batch row of an incomplete batch: %+v, %v; want running again", row, err)
	}
	copySample(t, f.dir, "C20261125-0005")
	const late = "2026/11/25/C20261125-0005.wav"

	// A plain plan (the finished plan task gone: after the retention):
	// only the late recording is new.
	if err := f.insp.DeleteTask(worker.QueueDefault, worker.PlanTaskID(f.date, f.ref)); err != nil {
		t.Fatal(err)
	}
	f.enqueuePlan(t, false, worker.PlanNew)
	f.work(t)
	checkStatus(t, "late recording planned", f.status(t), 4, 2, false, true)
	if got := f.state(t, pcm); got != asynq.TaskStateCompleted {
		t.Fatalf("a plain plan touched the completed task of %s: %v", pcm, got)
	}

	// The re-plan runs the completed and the archived task again.
	f.enqueuePlan(t, true, worker.PlanReplanned)
	f.work(t)
	checkStatus(t, "re-planned", f.status(t), 4, 4, true, false)
	for _, key := range []string{pcm, mulaw, broken, late} {
		var n int
		if err := f.store.DB().QueryRow(`SELECT COUNT(*) FROM results WHERE recording = $1`, key).Scan(&n); err != nil || n != 1 {
			t.Errorf("%s: %d results (%v), want 1", key, n, err)
		}
	}
	if row, err := f.store.GetBatch(ctx, f.id); err != nil || row.Status != store.BatchFinished || row.Total != 4 {
		t.Fatalf("batch row after the re-plan: %+v, %v; want finished, total 4", row, err)
	}
	if !strings.Contains(f.logs.String(), "run_again=2") {
		t.Errorf("the re-plan did not log 2 tasks run again:\n%s", grepLines(f.logs.String(), "planned"))
	}
}

// TestRedisLost: Redis restarted without persistence in the middle of a
// batch loses its queued tasks: status says stalled (no task left, calls
// missing) with the number missing and the command that recovers; the
// running worker registers its queues again and warns; the same `enqueue
// --date` (the plan task is gone with the rest) completes the batch. A
// long-running client's enqueue after the loss does not register its
// queue (asynq remembers it did once): EnsureQueues makes its tasks
// visible to status and requeue again.
func TestRedisLost(t *testing.T) {
	t.Parallel()
	f := setupFleet(t)
	ctx := context.Background()
	critical := func(key string) *asynq.Task {
		task, err := worker.NewInspectTask(worker.InspectPayload{Source: "local", Key: key, Scorecard: f.ref}, worker.QueueCritical, worker.TimeoutConfig{})
		if err != nil {
			t.Fatal(err)
		}
		return task
	}
	// The client has enqueued on critical once (and registered it).
	if info, err := f.client.Enqueue(critical("2026/11/25/A.wav")); err != nil {
		t.Fatal(err)
	} else if err := f.insp.DeleteTask(worker.QueueCritical, info.ID); err != nil {
		t.Fatal(err)
	}
	f.enqueuePlan(t, false, worker.PlanNew)
	// A worker that serves default and bulk, whose inspections never
	// finish: the plan runs, the calls stay queued or active.
	srv, err := worker.NewServer(f.opt, worker.Config{Concurrency: 1, Queues: map[string]int{worker.QueueDefault: 1, worker.QueueBulk: 1},
		RegisterEvery: 50 * time.Millisecond, ShutdownTimeout: 100 * time.Millisecond}, slog.New(slog.NewTextHandler(f.logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	stuck := asynq.NewServeMux()
	stuck.Handle(worker.TypePlan, worker.NewPlanHandler(f.store, f.sourceFunc, f.client, f.insp, worker.TimeoutConfig{}, analyse.Config{}.Ref(), nil))
	stuck.HandleFunc(worker.TypeInspect, func(ctx context.Context, _ *asynq.Task) error {
		<-ctx.Done()
		return ctx.Err()
	})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Run(runCtx, stuck) }()
	stop := func() {
		if cancel != nil {
			cancel()
			<-done
			cancel = nil
		}
	}
	defer stop()
	deadline := time.Now().Add(20 * time.Second)
	for {
		st := f.status(t)
		if st.Planned && !st.Planning {
			checkStatus(t, "planned", st, 3, 0, false, false)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not planned after 20 s: %+v", st)
		}
		time.Sleep(50 * time.Millisecond)
	}

	f.redis.Restart(t)
	// The worker puts its queues back, and says why.
	deadline = time.Now().Add(20 * time.Second)
	for !strings.Contains(f.logs.String(), "Redis had lost the queue registry") {
		if time.Now().After(deadline) {
			t.Fatalf("no warning after the restart:\n%s", f.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	names, err := f.insp.Queues()
	if err != nil || len(names) != 2 {
		t.Fatalf("queues after the restart: %v, %v; want the worker's two", names, err)
	}
	checkStatus(t, "after the restart", f.status(t), 3, 0, false, true)

	// The client does not register critical again when it enqueues on
	// it; EnsureQueues does, and its task shows.
	deadline = time.Now().Add(10 * time.Second)
	for {
		_, err := f.client.Enqueue(critical("2026/11/25/B.wav"))
		if err == nil {
			break
		}
		if time.Now().After(deadline) { // the first commands may meet the old connections
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if names, _ := f.insp.Queues(); len(names) != 2 {
		t.Fatalf("queues %v: the client registered critical again (asynq changed: EnsureQueues may no longer be needed)", names)
	}
	if err := worker.EnsureQueues(ctx, f.rdb, f.insp); err != nil {
		t.Fatal(err)
	}
	pending, err := f.insp.ListPendingTasks(worker.QueueCritical)
	if err != nil || len(pending) != 1 {
		t.Fatalf("critical after EnsureQueues: %d pending, %v; want 1", len(pending), err)
	}
	if err := f.insp.DeleteTask(worker.QueueCritical, pending[0].ID); err != nil {
		t.Fatal(err)
	}

	// Recovery: the plan task is gone too, so a plain enqueue plans again,
	// and a working worker completes the batch.
	stop()
	f.enqueuePlan(t, false, worker.PlanNew)
	f.work(t)
	checkStatus(t, "recovered", f.status(t), 3, 3, true, false)
}

// TestInspectAddToBatch: a recording enqueued on its own (enqueue --key)
// counts in its day's batch, once, even when the batch was complete.
func TestInspectAddToBatch(t *testing.T) {
	t.Parallel()
	f := setupFleet(t)
	f.enqueuePlan(t, false, worker.PlanNew)
	f.work(t)
	checkStatus(t, "complete", f.status(t), 3, 3, true, false)
	copySample(t, f.dir, "C20261125-0005")
	late := f.task(t, worker.InspectPayload{Key: "2026/11/25/C20261125-0005.wav", BatchID: f.id, AddToBatch: true})
	for range 2 {
		if err := f.handler.ProcessTask(context.Background(), late); err != nil {
			t.Fatal(err)
		}
	}
	checkStatus(t, "late recording inspected", f.status(t), 4, 4, true, false)
}

// TestPersistence checks what workers say about Redis's persistence, on
// Redis servers configured without any, with AOF, with RDB snapshots, and
// refusing CONFIG (INFO persistence is read instead).
func TestPersistence(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		want     worker.Persistence
		refused  bool
		wantWarn string // in the warning, "" for none
	}{
		{"none", nil, worker.Persistence{}, false, "neither AOF nor RDB"},
		{"aof", []string{"--appendonly", "yes"}, worker.Persistence{AOF: true}, false, ""},
		{"rdb", []string{"--save", "3600 1"}, worker.Persistence{RDB: true, Save: "3600 1"}, false, ""},
		{"config refused", []string{"--rename-command", "CONFIG", ""}, worker.Persistence{}, true, "whether it takes RDB snapshots is unknown"},
		{"config refused, aof", []string{"--rename-command", "CONFIG", "", "--appendonly", "yes"}, worker.Persistence{AOF: true}, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := testsvc.StartRedis(t, tt.args...)
			rdb := redis.NewClient(&redis.Options{Addr: r.Addr})
			defer rdb.Close()
			var logs logBuffer
			got := worker.LogPersistence(context.Background(), rdb, slog.New(slog.NewTextHandler(&logs, nil)))
			if (got.ConfigRefused != "") != tt.refused {
				t.Errorf("ConfigRefused = %q, want refused %v", got.ConfigRefused, tt.refused)
			}
			got.ConfigRefused = ""
			if got != tt.want {
				t.Errorf("CheckPersistence = %+v, want %+v", got, tt.want)
			}
			warned := strings.Contains(logs.String(), "level=WARN")
			if warned != (tt.wantWarn != "") || !strings.Contains(logs.String(), tt.wantWarn) {
				t.Errorf("log:\n%s\nwant a warning with %q", logs.String(), tt.wantWarn)
			}
		})
	}
}

package worker_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/callqa/callqa/internal/testsvc"
	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/pipeline/analyse"
	"github.com/callqa/callqa/source"
	"github.com/callqa/callqa/store"
	"github.com/callqa/callqa/worker"
)

// failingList is a real source whose listing breaks after `after`
// recordings, as an S3 listing does when the server fails on page N.
type failingList struct {
	*source.Local
	after int
}

var errListing = errors.New("listing failed (test)")

func (f failingList) List(ctx context.Context, prefix string, fn func(source.Object) error) error {
	n := 0
	return f.Local.List(ctx, prefix, func(o source.Object) error {
		if n == f.after {
			return errListing
		}
		n++
		return fn(o)
	})
}

// TestBatchStatusPartialPlan: a plan whose listing fails after part of the
// day leaves a partial total; even when every listed call has a result, the
// batch must not be complete, finished or given a pass rate, whether the
// plan task is archived ("plan failed") or gone from Redis. Once a plan
// lists the whole day, the batch completes. On a real Redis, with SQLite
// and PostgreSQL.
func TestBatchStatusPartialPlan(t *testing.T) {
	t.Parallel()
	addr := testsvc.Redis(t, 15)
	redisOpt := asynq.RedisClientOpt{Addr: addr, DB: 15}
	backends := []struct {
		name string
		url  func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "results.db") }},
		{"postgres", func(t *testing.T) string { return testsvc.Postgres(t) }},
	}
	for _, be := range backends {
		// Not parallel: the subtests share Redis database 15.
		t.Run(be.name, func(t *testing.T) {
			ctx := context.Background()
			b := setup(t)
			results, err := store.Open(ctx, be.url(t), store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer results.Close()
			client := asynq.NewClient(redisOpt)
			defer client.Close()
			insp := asynq.NewInspector(redisOpt)
			defer insp.Close()
			defer flushQueues(t, insp)

			var listed []string
			sources := func(_ context.Context, spec string) (worker.Source, error) {
				switch spec {
				case "local":
					return b.src, nil
				case "broken-listing":
					return failingList{Local: b.src, after: 2}, nil
				}
				return nil, models.BadInput(errors.New("bad source"))
			}
			inspect := worker.NewInspectHandler(b.eng, results, sources, nil, nil)
			const date = "2026-11-25"
			id := worker.BatchID(date, b.ref)
			plan := func(source string) error {
				h := worker.NewPlanHandler(results, sources, client, insp, worker.TimeoutConfig{}, analyse.Config{}.Ref(), nil)
				worker.SetPageSize(h, 1) // the total is written after every key
				task, err := worker.NewPlanTask(worker.PlanPayload{Source: source, Date: date, Scorecard: b.ref})
				if err != nil {
					t.Fatal(err)
				}
				return h.ProcessTask(ctx, task)
			}
			// inspectPending runs every pending call:inspect task.
			inspectPending := func() {
				t.Helper()
				tasks, err := insp.ListPendingTasks(worker.QueueBulk)
				if err != nil {
					t.Fatal(err)
				}
				for _, ti := range tasks {
					err := inspect.ProcessTask(ctx, asynq.NewTask(ti.Type, ti.Payload))
					if o := worker.Outcome(err); o == "retry" {
						t.Fatalf("inspect %s: %v", ti.ID, err)
					}
					listed = append(listed, ti.ID)
					if err := insp.DeleteTask(worker.QueueBulk, ti.ID); err != nil {
						t.Fatal(err)
					}
				}
			}
			status := func(step string, want worker.Status, wantBatch string) {
				t.Helper()
				st, err := worker.BatchStatus(ctx, insp, results, id)
				if err != nil {
					t.Fatalf("%s: BatchStatus: %v", step, err)
				}
				if st.Planning != want.Planning || st.Planned != want.Planned || st.PlanFailed != want.PlanFailed ||
					st.Total != want.Total || st.Done != want.Done || st.Complete != want.Complete ||
					(st.PassRate != nil) != want.Complete {
					t.Fatalf("%s: status planning=%v planned=%v plan_failed=%v total=%d done=%d complete=%v pass_rate=%v;\n"+
						"want planning=%v planned=%v plan_failed=%v total=%d done=%d complete=%v",
						step, st.Planning, st.Planned, st.PlanFailed, st.Total, st.Done, st.Complete, st.PassRate,
						want.Planning, want.Planned, want.PlanFailed, want.Total, want.Done, want.Complete)
				}
				row, err := results.GetBatch(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if row.Status != wantBatch {
					t.Fatalf("%s: batch row %s, want %s", step, row.Status, wantBatch)
				}
			}

			// The listing fails after two of the day's three recordings.
			if err := plan("broken-listing"); !errors.Is(err, errListing) || worker.Outcome(err) != "retry" {
				t.Fatalf("plan with a failing listing = %v, want the listing error, retried", err)
			}
			inspectPending()
			if len(listed) != 2 {
				t.Fatalf("%d calls enqueued by the broken listing, want 2", len(listed))
			}
			// Its retries ran out: the plan task is archived.
			archivePlan(t, client, insp, date, b)
			status("plan archived", worker.Status{PlanFailed: true, Total: 2, Done: 2}, store.BatchRunning)
			// Archived tasks are eventually deleted: still not complete.
			if err := insp.DeleteTask(worker.QueueDefault, worker.PlanTaskID(date, b.ref)); err != nil {
				t.Fatal(err)
			}
			status("plan task gone", worker.Status{Total: 2, Done: 2}, store.BatchRunning)

			// The plan runs again and lists the whole day.
			if err := plan("local"); err != nil {
				t.Fatal(err)
			}
			status("planned", worker.Status{Planned: true, Total: 3, Done: 2}, store.BatchRunning)
			inspectPending()
			status("all done", worker.Status{Planned: true, Total: 3, Done: 3, Complete: true}, store.BatchFinished)

			// A plan that starts again and fails un-plans the batch.
			if err := plan("broken-listing"); err == nil {
				t.Fatal("second broken listing succeeded")
			}
			if _, planned, err := results.Planned(ctx, id); err != nil || planned {
				t.Fatalf("Planned after a failed re-plan = %v, %v; want false", planned, err)
			}
		})
	}
}

// archivePlan puts the date's plan task in Redis and archives it, as asynq
// does when a plan's retries run out.
func archivePlan(t *testing.T, client *asynq.Client, insp *asynq.Inspector, date string, b *bundle) {
	t.Helper()
	task, err := worker.NewPlanTask(worker.PlanPayload{Source: "local", Date: date, Scorecard: b.ref})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Enqueue(task); err != nil {
		t.Fatal(err)
	}
	if err := insp.ArchiveTask(worker.QueueDefault, worker.PlanTaskID(date, b.ref)); err != nil {
		t.Fatal(err)
	}
}

// flushQueues deletes every task of every queue.
func flushQueues(t *testing.T, insp *asynq.Inspector) {
	t.Helper()
	names, err := insp.Queues()
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range names {
		for _, del := range []func(string) (int, error){insp.DeleteAllPendingTasks, insp.DeleteAllArchivedTasks,
			insp.DeleteAllRetryTasks, insp.DeleteAllScheduledTasks, insp.DeleteAllCompletedTasks} {
			if _, err := del(q); err != nil {
				t.Fatal(fmt.Errorf("flush %s: %w", q, err))
			}
		}
	}
}

package worker_test

import (
	"errors"
	"sort"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/callqa/callqa/internal/testsvc"
	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/worker"
)

// TestRequeue archives call:inspect tasks of two batches, the plan of one
// and a task left pending on a real Redis (database 8), then lists and
// re-queues them by batch and by task id.
func TestRequeue(t *testing.T) {
	t.Parallel()
	addr := testsvc.Redis(t, 8)
	redisOpt := asynq.RedisClientOpt{Addr: addr, DB: 8}
	client := asynq.NewClient(redisOpt)
	defer client.Close()
	insp := asynq.NewInspector(redisOpt)
	defer insp.Close()
	ref := models.ScorecardRef{ID: "hotline-12333", Version: 1}
	batchA, batchB := worker.BatchID("2026-11-25", ref), worker.BatchID("2026-11-26", ref)

	enqueue := func(task *asynq.Task, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		info, err := client.Enqueue(task)
		if err != nil {
			t.Fatal(err)
		}
		return info.ID
	}
	inspect := func(key, batch string) string {
		return enqueue(worker.NewInspectTask(worker.InspectPayload{Source: "s3://recordings", Key: key,
			Scorecard: ref, BatchID: batch}, worker.QueueBulk, worker.TimeoutConfig{}))
	}
	a1, a2 := inspect("2026/11/25/C1.wav", batchA), inspect("2026/11/25/C2.wav", batchA)
	b1 := inspect("2026/11/26/C1.wav", batchB)
	pendingA := inspect("2026/11/25/C3.wav", batchA) // not archived: never touched
	planA := enqueue(worker.NewPlanTask(worker.PlanPayload{Source: "s3://recordings", Date: "2026-11-25", Scorecard: ref}))
	for _, id := range []string{a1, a2, b1} {
		if err := insp.ArchiveTask(worker.QueueBulk, id); err != nil {
			t.Fatal(err)
		}
	}
	if err := insp.ArchiveTask(worker.QueueDefault, planA); err != nil {
		t.Fatal(err)
	}

	archived := func(batch string) []string {
		t.Helper()
		tasks, err := worker.Archived(insp, batch)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, ti := range tasks {
			ids = append(ids, ti.ID)
		}
		sort.Strings(ids)
		return ids
	}
	sorted := func(ids ...string) []string { sort.Strings(ids); return ids }
	equal := func(a, b []string) bool {
		if len(a) != len(b) {
			return false
		}
		for i := range a {
			if a[i] != b[i] {
				return false
			}
		}
		return true
	}
	for _, tt := range []struct {
		batch string
		want  []string
	}{
		{batchA, sorted(a1, a2, planA)},
		{batchB, sorted(b1)},
		{"", sorted(a1, a2, b1, planA)},
	} {
		if got := archived(tt.batch); !equal(got, tt.want) {
			t.Fatalf("Archived(%q) = %v, want %v", tt.batch, got, tt.want)
		}
	}

	steps := []struct {
		name         string
		batch        string
		ids          []string
		wantN        int
		wantErr      error
		wantArchived []string // afterwards, every batch
	}{
		{"unknown id", "", []string{"inspect:nope"}, 0, worker.ErrNotArchived, sorted(a1, a2, b1, planA)},
		{"id of another batch", batchB, []string{a1}, 0, worker.ErrNotArchived, sorted(a1, a2, b1, planA)},
		{"one task by id", "", []string{a1}, 1, nil, sorted(a2, b1, planA)},
		{"plan by id", batchA, []string{planA}, 1, nil, sorted(a2, b1)},
		{"by batch", batchA, nil, 1, nil, sorted(b1)},
		{"everything left", "", nil, 1, nil, nil},
	}
	for _, st := range steps {
		n, err := worker.Requeue(insp, st.batch, st.ids)
		if n != st.wantN || !errors.Is(err, st.wantErr) || (st.wantErr == nil && err != nil) {
			t.Fatalf("%s: Requeue(%q, %v) = %d, %v; want %d, %v", st.name, st.batch, st.ids, n, err, st.wantN, st.wantErr)
		}
		if got := archived(""); !equal(got, st.wantArchived) {
			t.Fatalf("%s: archived afterwards %v, want %v", st.name, got, st.wantArchived)
		}
	}
	for _, tt := range []struct{ queue, id string }{
		{worker.QueueBulk, a1}, {worker.QueueBulk, a2}, {worker.QueueBulk, b1}, {worker.QueueBulk, pendingA}, {worker.QueueDefault, planA},
	} {
		info, err := insp.GetTaskInfo(tt.queue, tt.id)
		if err != nil || info.State != asynq.TaskStatePending {
			t.Errorf("task %s: %v, %v; want pending", tt.id, info, err)
		}
	}
}

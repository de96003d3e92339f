package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/hibiken/asynq"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/storage"
)

// StatusStore reads batch progress; *storage.Store implements it.
type StatusStore interface {
	GetBatch(ctx context.Context, id string) (*storage.Batch, error)
	UpdateBatch(ctx context.Context, b *storage.Batch) error
	CountPrefix(ctx context.Context, sc models.ScorecardRef, prefix string) (storage.ResultCounts, error)
}

// Status is the progress of a fleet batch.
type Status struct {
	Batch *storage.Batch `json:"batch"`
	// Planning is true while the batch:plan task is still listing.
	Planning bool `json:"planning"`
	// Total is the number of recordings the plan listed.
	Total int `json:"total"`
	// Results tallies the calls of the batch with a result.
	Results storage.ResultCounts `json:"results"`
	Done    int                  `json:"done"`
	// Retrying and Archived count the batch's call:inspect tasks waiting
	// for a retry and given up (dead; unprocessable calls are archived
	// too, with their result stored).
	Retrying int `json:"retrying"`
	Archived int `json:"archived"`
	// Complete: planned, and every listed call has a result.
	Complete bool `json:"complete"`
	// PassRate is Passed/Inspected once complete (nil before, or when no
	// call could be inspected).
	PassRate *float64 `json:"pass_rate,omitempty"`
	// Queues are the sizes of the queues.
	Queues []QueueStatus `json:"queues"`
}

// QueueStatus is a queue's size by task state.
type QueueStatus struct {
	Queue     string `json:"queue"`
	Pending   int    `json:"pending"`
	Active    int    `json:"active"`
	Scheduled int    `json:"scheduled"`
	Retry     int    `json:"retry"`
	Archived  int    `json:"archived"`
	Completed int    `json:"completed"`
	Paused    bool   `json:"paused"`
}

// BatchStatus reports the progress of batch id. When the batch is complete
// and its row still says running, the row is updated with the counts and
// marked finished, so that reports see a finished batch.
func BatchStatus(ctx context.Context, q *asynq.Inspector, store StatusStore, id string) (*Status, error) {
	b, err := store.GetBatch(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	st := &Status{Batch: b, Total: b.Total}
	if b.Date != "" {
		info, err := q.GetTaskInfo(QueueDefault, PlanTaskID(b.Date, b.Scorecard))
		switch {
		case err == nil:
			st.Planning = info.State != asynq.TaskStateCompleted && info.State != asynq.TaskStateArchived
		case errors.Is(err, asynq.ErrTaskNotFound), errors.Is(err, asynq.ErrQueueNotFound):
			// Retention expired (long done), or planned by another means.
		default:
			return nil, fmt.Errorf("status: plan task: %w", err)
		}
	}
	if st.Results, err = store.CountPrefix(ctx, b.Scorecard, b.Prefix); err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	st.Done = st.Results.Done()
	retry, err := batchTasks(q, id, (*asynq.Inspector).ListRetryTasks)
	if err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	archived, err := batchTasks(q, id, (*asynq.Inspector).ListArchivedTasks)
	if err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	st.Retrying, st.Archived = len(retry), len(archived)
	if st.Queues, err = Queues(q); err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	st.Complete = !st.Planning && st.Total > 0 && st.Done >= st.Total
	if st.Complete {
		if st.Results.Inspected > 0 {
			r := float64(st.Results.Passed) / float64(st.Results.Inspected)
			st.PassRate = &r
		}
		if b.Status == storage.BatchRunning {
			b.Inspected, b.Unprocessable, b.Passed = st.Results.Inspected, st.Results.Unprocessable, st.Results.Passed
			b.Status, b.FinishedAt = storage.BatchFinished, time.Now()
			if err := store.UpdateBatch(ctx, b); err != nil {
				return nil, fmt.Errorf("status: %w", err)
			}
		}
	}
	return st, nil
}

// Queues returns the size of every queue, by name.
func Queues(q *asynq.Inspector) ([]QueueStatus, error) {
	names, err := q.Queues()
	if err != nil {
		return nil, fmt.Errorf("queues: %w", err)
	}
	sort.Strings(names)
	out := make([]QueueStatus, 0, len(names))
	for _, n := range names {
		info, err := q.GetQueueInfo(n)
		if err != nil {
			return nil, fmt.Errorf("queue %s: %w", n, err)
		}
		out = append(out, QueueStatus{Queue: n, Pending: info.Pending, Active: info.Active, Scheduled: info.Scheduled,
			Retry: info.Retry, Archived: info.Archived, Completed: info.Completed, Paused: info.Paused})
	}
	return out, nil
}

type lister func(q *asynq.Inspector, queue string, opts ...asynq.ListOption) ([]*asynq.TaskInfo, error)

// batchTasks lists the call:inspect tasks of batch id ("" for every batch)
// in every queue with list (retry or archived tasks), page by page.
func batchTasks(q *asynq.Inspector, id string, list lister) ([]*asynq.TaskInfo, error) {
	names, err := q.Queues()
	if err != nil {
		return nil, fmt.Errorf("queues: %w", err)
	}
	var out []*asynq.TaskInfo
	const pageSize = 500
	for _, n := range names {
		for page := 1; ; page++ {
			infos, err := list(q, n, asynq.PageSize(pageSize), asynq.Page(page))
			if err != nil {
				return nil, fmt.Errorf("list %s: %w", n, err)
			}
			for _, info := range infos {
				if info.Type != TypeInspect {
					if id == "" {
						out = append(out, info)
					}
					continue
				}
				var p InspectPayload
				if json.Unmarshal(info.Payload, &p) == nil && (id == "" || p.BatchID == id) {
					out = append(out, info)
				}
			}
			if len(infos) < pageSize {
				break
			}
		}
	}
	return out, nil
}

// Archived lists the archived (dead) tasks of batch id ("" for all).
func Archived(q *asynq.Inspector, id string) ([]*asynq.TaskInfo, error) {
	return batchTasks(q, id, (*asynq.Inspector).ListArchivedTasks)
}

// Requeue moves archived tasks back to pending: those with the given task
// ids, or when ids is empty every archived task of batch id ("" for all).
// It returns how many were re-queued.
func Requeue(q *asynq.Inspector, id string, ids []string) (int, error) {
	tasks, err := Archived(q, id)
	if err != nil {
		return 0, fmt.Errorf("requeue: %w", err)
	}
	want := map[string]bool{}
	for _, i := range ids {
		want[i] = true
	}
	n := 0
	for _, t := range tasks {
		if len(want) > 0 && !want[t.ID] {
			continue
		}
		if err := q.RunTask(t.Queue, t.ID); err != nil {
			return n, fmt.Errorf("requeue %s: %w", t.ID, err)
		}
		delete(want, t.ID)
		n++
	}
	if len(want) > 0 {
		missing := make([]string, 0, len(want))
		for i := range want {
			missing = append(missing, i)
		}
		sort.Strings(missing)
		return n, fmt.Errorf("requeue: no archived task %v", missing)
	}
	return n, nil
}

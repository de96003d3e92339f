package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/outcome"
	"github.com/callqa/callqa/store"
)

// StatusStore reads batch progress; *store.Store implements it.
type StatusStore interface {
	GetBatch(ctx context.Context, id string) (*store.Batch, error)
	UpdateBatch(ctx context.Context, b *store.Batch) error
	CountPrefix(ctx context.Context, sc models.ScorecardRef, prefix string) (outcome.Counts, error)
	Planned(ctx context.Context, id string) (total int, planned bool, err error)
	BatchProgress(ctx context.Context, id string, sc models.ScorecardRef) (int, outcome.Counts, error)
	Clashes(ctx context.Context, f store.ClashFilter) ([]store.Clash, error)
}

var _ StatusStore = (*store.Store)(nil)

// Status is the progress of a fleet batch.
type Status struct {
	// Batch is the batch's row; while its plan waits for a worker there
	// is none yet, and Batch has only the ID, Date, Prefix and Scorecard
	// (Status "").
	Batch *store.Batch `json:"batch"`
	// Planning is true while the batch:plan task is queued, running or
	// waiting for a retry.
	Planning bool `json:"planning"`
	// Planned is true once the plan listed every recording of the day.
	Planned bool `json:"planned"`
	// PlanFailed is true when the batch:plan task was archived (it gave
	// up, or was refused) before the listing finished: Total is then what
	// was listed before the failure, and the batch can never be complete
	// until the plan is re-queued. PlanError is the plan's last error.
	PlanFailed bool   `json:"plan_failed"`
	PlanError  string `json:"plan_error,omitempty"`
	// Total is the number of recordings of the batch: every recording its
	// plans listed (so far, while not Planned) and those enqueue --key
	// added to it.
	Total int `json:"total"`
	// Results tallies the calls of the batch with a result.
	Results outcome.Counts `json:"results"`
	Done    int            `json:"done"`
	// Retrying and Archived count the batch's call:inspect tasks waiting
	// for a retry and given up (dead; unprocessable calls are archived
	// too, with their result stored).
	Retrying int `json:"retrying"`
	Archived int `json:"archived"`
	// Complete: Planned, no plan running, and every recording has a
	// result.
	Complete bool `json:"complete"`
	// Missing is the number of recordings without a result (Total -
	// Done; while not Planned, of those listed so far).
	Missing int `json:"missing"`
	// Stalled: the batch is not complete, no plan is queued or running
	// (nor failed: PlanFailed), and no call:inspect task of the batch is
	// pending, active, scheduled or retrying, so nothing will make
	// progress: Redis lost the tasks (a restart without persistence), or
	// the plan task expired before it finished. Recover says what to run.
	Stalled bool `json:"stalled"`
	// Recover is the command that gets a stalled batch, or one whose plan
	// failed, going again.
	Recover string `json:"recover,omitempty"`
	// PassRate is Passed/Inspected once complete (nil before, or when no
	// call could be inspected).
	PassRate *float64 `json:"pass_rate,omitempty"`
	// Queues are the sizes of the queues.
	Queues []QueueStatus `json:"queues"`
	// Clashes are the call ids of the batch's recordings that another
	// recording also carries: each is stored and counted as its own call.
	Clashes []store.Clash `json:"clashes,omitempty"`
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
// marked finished, so that reports see a finished batch; when a finished
// batch is no longer complete (it gained recordings), the row goes back
// to running. A batch with no row yet, whose plan is queued (no worker
// has taken it yet) or failed before creating it, is reported as planning
// or plan failed; with no plan either, the error wraps store.ErrNotFound.
func BatchStatus(ctx context.Context, q *asynq.Inspector, results StatusStore, id string) (*Status, error) {
	b, err := results.GetBatch(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return planOnlyStatus(q, id, err)
	}
	if err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	st := &Status{Batch: b, Total: b.Total}
	if _, st.Planned, err = results.Planned(ctx, id); err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	if b.Date != "" {
		info, err := q.GetTaskInfo(QueueDefault, PlanTaskID(b.Date, b.Scorecard))
		switch {
		case err == nil:
			switch info.State {
			case asynq.TaskStateCompleted:
				// The handler returns nil only after MarkPlanned; this
				// also covers a batch planned by a worker older than the
				// planned mark, while the task is retained.
				st.Planned = true
			case asynq.TaskStateArchived:
				st.PlanFailed, st.PlanError = true, info.LastErr
			default:
				st.Planning = true
			}
		case errors.Is(err, asynq.ErrTaskNotFound), errors.Is(err, asynq.ErrQueueNotFound):
			// Retention expired, or planned by another means: the
			// planned mark alone says whether the listing finished.
		default:
			return nil, fmt.Errorf("status: plan task: %w", err)
		}
	}
	total, counts, err := results.BatchProgress(ctx, id, b.Scorecard)
	if err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	if total > 0 {
		st.Total, st.Results = total, counts
	} else if st.Results, err = results.CountPrefix(ctx, b.Scorecard, b.Prefix); err != nil {
		// A batch planned before its recordings were recorded: the
		// results under its prefix.
		return nil, fmt.Errorf("status: %w", err)
	}
	st.Done = st.Results.Results()
	st.Missing = max(st.Total-st.Done, 0)
	if st.Clashes, err = results.Clashes(ctx, store.ClashFilter{Scorecard: b.Scorecard, Prefix: b.Prefix}); err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	retry, err := batchTasks(q, id, (*asynq.Inspector).ListRetryTasks, false)
	if err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	archived, err := batchTasks(q, id, (*asynq.Inspector).ListArchivedTasks, false)
	if err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	st.Retrying, st.Archived = len(retry), len(archived)
	if st.Queues, err = Queues(q); err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	st.Complete = st.Planned && !st.Planning && !st.PlanFailed && st.Total > 0 && st.Done >= st.Total
	switch {
	case st.PlanFailed:
		st.Recover = "callqa requeue --batch " + id
	case !st.Complete && !st.Planning && st.Retrying == 0:
		live, err := batchLive(q, id)
		if err != nil {
			return nil, fmt.Errorf("status: %w", err)
		}
		if st.Stalled = !live; st.Stalled && b.Date != "" {
			st.Recover = "callqa enqueue --date " + b.Date + " --replan"
		}
	}
	switch {
	case st.Complete:
		st.PassRate = outcome.RatePtr(st.Results.Passed, st.Results.Inspected)
		if b.Status == store.BatchRunning {
			b.Inspected, b.Unprocessable, b.Passed = st.Results.Inspected, st.Results.Unprocessable, st.Results.Passed
			b.Status, b.FinishedAt = store.BatchFinished, time.Now()
			if err := results.UpdateBatch(ctx, b); err != nil {
				return nil, fmt.Errorf("status: %w", err)
			}
		}
	case b.Status == store.BatchFinished:
		// Late recordings (a re-plan or enqueue --key) reopened it.
		b.Total, b.Status, b.FinishedAt = st.Total, store.BatchRunning, time.Time{}
		if err := results.UpdateBatch(ctx, b); err != nil {
			return nil, fmt.Errorf("status: %w", err)
		}
	}
	return st, nil
}

// planOnlyStatus is the status of batch id when it has no row: its plan
// task, queued or archived, is all there is. notFound is returned when
// there is no plan task either.
func planOnlyStatus(q *asynq.Inspector, id string, notFound error) (*Status, error) {
	date, sc, ok := ParseBatchID(id)
	if !ok {
		return nil, fmt.Errorf("status: %w", notFound)
	}
	info, err := q.GetTaskInfo(QueueDefault, PlanTaskID(date, sc))
	switch {
	case errors.Is(err, asynq.ErrTaskNotFound), errors.Is(err, asynq.ErrQueueNotFound):
		return nil, fmt.Errorf("status: %w", notFound)
	case err != nil:
		return nil, fmt.Errorf("status: plan task: %w", err)
	}
	st := &Status{Batch: &store.Batch{ID: id, Date: date, Prefix: DatePrefix(date), Scorecard: sc}}
	switch info.State {
	case asynq.TaskStateArchived:
		st.PlanFailed, st.PlanError = true, info.LastErr
		st.Recover = "callqa requeue --batch " + id
	case asynq.TaskStateCompleted:
		// Completed without a batch row: only a plan of another version
		// does that. Nothing runs; plan it again.
		st.Stalled, st.Recover = true, "callqa enqueue --date "+date+" --replan"
	default:
		st.Planning = true
	}
	if st.Queues, err = Queues(q); err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	return st, nil
}

// ParseBatchID splits a batch id made by BatchID into its date and
// scorecard version.
func ParseBatchID(id string) (date string, sc models.ScorecardRef, ok bool) {
	rest, found := strings.CutPrefix(id, "fleet-")
	if !found || len(rest) < len("2006-01-02-x-v1") || rest[10] != '-' {
		return "", sc, false
	}
	date, rest = rest[:10], rest[11:]
	if ParseDate(date) != nil {
		return "", sc, false
	}
	i := strings.LastIndex(rest, "-v")
	if i <= 0 {
		return "", sc, false
	}
	v, err := strconv.Atoi(rest[i+2:])
	if err != nil || v < 0 || strconv.Itoa(v) != rest[i+2:] {
		return "", sc, false
	}
	return date, models.ScorecardRef{ID: rest[:i], Version: v}, true
}

// batchLive reports whether a task of batch id (a call:inspect, or its
// plan) is pending, active, scheduled or retrying in any queue. Queues with none in
// those states are not listed; in the others the listing stops at the
// first task of the batch.
func batchLive(q *asynq.Inspector, id string) (bool, error) {
	names, err := q.Queues()
	if err != nil {
		return false, fmt.Errorf("queues: %w", err)
	}
	const pageSize = 500
	for _, n := range names {
		info, err := q.GetQueueInfo(n)
		if errors.Is(err, asynq.ErrQueueNotFound) {
			continue
		}
		if err != nil {
			return false, fmt.Errorf("queue %s: %w", n, err)
		}
		for _, s := range []struct {
			size int
			list lister
		}{
			{info.Pending, (*asynq.Inspector).ListPendingTasks},
			{info.Active, (*asynq.Inspector).ListActiveTasks},
			{info.Scheduled, (*asynq.Inspector).ListScheduledTasks},
			{info.Retry, (*asynq.Inspector).ListRetryTasks},
		} {
			for page := 1; s.size > 0; page++ {
				infos, err := s.list(q, n, asynq.PageSize(pageSize), asynq.Page(page))
				if errors.Is(err, asynq.ErrQueueNotFound) {
					break
				}
				if err != nil {
					return false, fmt.Errorf("list %s: %w", n, err)
				}
				for _, ti := range infos {
					if inBatch(ti, id, true) {
						return true, nil
					}
				}
				if len(infos) < pageSize {
					break
				}
			}
		}
	}
	return false, nil
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

// batchTasks lists, in every queue, the tasks list returns (retry or
// archived tasks) that belong to batch id: its call:inspect tasks, and
// with plans its batch:plan task too. id "" selects every task.
func batchTasks(q *asynq.Inspector, id string, list lister, plans bool) ([]*asynq.TaskInfo, error) {
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
				if inBatch(info, id, plans) {
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

// inBatch reports whether task info belongs to batch id (see batchTasks).
func inBatch(info *asynq.TaskInfo, id string, plans bool) bool {
	switch {
	case id == "":
		return info.Type == TypeInspect || plans
	case info.Type == TypeInspect:
		var p InspectPayload
		return json.Unmarshal(info.Payload, &p) == nil && p.BatchID == id
	case info.Type == TypePlan && plans:
		var p PlanPayload
		return json.Unmarshal(info.Payload, &p) == nil && BatchID(p.Date, p.Scorecard) == id
	}
	return false
}

// Archived lists the archived (dead) tasks of batch id, its batch:plan
// task included, or with id "" every archived task.
func Archived(q *asynq.Inspector, id string) ([]*asynq.TaskInfo, error) {
	return batchTasks(q, id, (*asynq.Inspector).ListArchivedTasks, true)
}

// ErrNotArchived is returned (wrapped) by Requeue for task ids that are not
// archived tasks (of the batch given).
var ErrNotArchived = errors.New("no archived task")

// Requeue moves archived tasks back to pending: those with the given task
// ids (among the archived tasks of batch id, or of every batch when id is
// ""), or when ids is empty every archived task of batch id, its failed
// plan included ("" for all). It returns how many were re-queued.
func Requeue(q *asynq.Inspector, id string, ids []string) (int, error) {
	tasks, err := Archived(q, id)
	if err != nil {
		return 0, fmt.Errorf("requeue: %w", err)
	}
	all := len(ids) == 0
	want := map[string]bool{}
	for _, i := range ids {
		want[i] = true
	}
	n := 0
	for _, t := range tasks {
		// Not len(want): want empties as the named tasks are found.
		if !all && !want[t.ID] {
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
		return n, fmt.Errorf("requeue: %w %v", ErrNotArchived, missing)
	}
	return n, nil
}

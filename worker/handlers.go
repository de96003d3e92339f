package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/trace"
	"sync"
	"time"

	"github.com/hibiken/asynq"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/outcome"
	"github.com/callqa/callqa/pipeline"
	"github.com/callqa/callqa/source"
	"github.com/callqa/callqa/store"
)

// Inspector inspects one call; *pipeline.Engine is the implementation.
type Inspector interface {
	InspectKey(ctx context.Context, src pipeline.RecordingSource, key string) (*models.Result, error)
	Scorecard() *models.Scorecard
	Analysis() models.AnalysisRef
}

var _ Inspector = (*pipeline.Engine)(nil)

// Source is a recording source that can also list a day's recordings
// (*source.S3 and *source.Local).
type Source interface {
	pipeline.RecordingSource
	List(ctx context.Context, prefix string, fn func(source.Object) error) error
}

var (
	_ Source = (*source.S3)(nil)
	_ Source = (*source.Local)(nil)
)

// SourceFunc opens the source named by a payload's Source field
// (s3://bucket/prefix or a folder). An error that is models.ErrBadInput is bad
// input (never retried); any other error is transient.
type SourceFunc func(ctx context.Context, spec string) (Source, error)

// ResultStore is where results go; *store.Store implements it.
type ResultStore interface {
	SaveResult(ctx context.Context, batchID string, r *models.Result) error
	RecordingStatus(ctx context.Context, key string, sc models.ScorecardRef) (string, models.AnalysisRef, error)
	// AddBatchKey adds a recording enqueued on its own (enqueue --key)
	// to its day's batch.
	AddBatchKey(ctx context.Context, id, key string) (bool, error)
}

// BatchStore records batches; *store.Store implements it.
type BatchStore interface {
	GetBatch(ctx context.Context, id string) (*store.Batch, error)
	StartBatch(ctx context.Context, b *store.Batch) error
	UpdateBatch(ctx context.Context, b *store.Batch) error
}

// PlanStore records batches, their recordings and whether their plan
// listed every recording; *store.Store implements it.
type PlanStore interface {
	BatchStore
	// ClearPlanned is called before a listing starts, MarkPlanned (which
	// also sets the batch total) only after it succeeded.
	ClearPlanned(ctx context.Context, id string) error
	MarkPlanned(ctx context.Context, id string, total int) error
	// AddPlanKeys records listed recordings as the batch's;
	// BatchProgress counts them and their results.
	AddPlanKeys(ctx context.Context, id string, keys []string) error
	BatchProgress(ctx context.Context, id string, sc models.ScorecardRef) (int, outcome.Counts, error)
	// WithResult says which recordings already have a result: those are
	// not enqueued again.
	WithResult(ctx context.Context, sc models.ScorecardRef, an models.AnalysisRef, keys []string) (map[string]bool, error)
}

var _ PlanStore = (*store.Store)(nil)

// TaskInspector looks a task up, runs an archived one again, deletes
// one; *asynq.Inspector implements it. A re-plan uses it for the
// recordings without a result whose task Redis still holds.
type TaskInspector interface {
	GetTaskInfo(queue, id string) (*asynq.TaskInfo, error)
	RunTask(queue, id string) error
	DeleteTask(queue, id string) error
}

var _ TaskInspector = (*asynq.Inspector)(nil)

// Enqueuer adds tasks to the queue; *asynq.Client implements it.
type Enqueuer interface {
	EnqueueContext(ctx context.Context, t *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error)
}

var _ Enqueuer = (*asynq.Client)(nil)

// sourceCache opens each source once.
type sourceCache struct {
	open SourceFunc
	mu   sync.Mutex
	srcs map[string]Source
}

func (c *sourceCache) get(ctx context.Context, spec string) (Source, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.srcs[spec]; ok {
		return s, nil
	}
	s, err := c.open(ctx, spec)
	if err != nil {
		if errors.Is(err, models.ErrBadInput) {
			return nil, fmt.Errorf("source %s: %w: %w", spec, err, asynq.SkipRetry)
		}
		return nil, fmt.Errorf("source %s: %w", spec, err)
	}
	if c.srcs == nil {
		c.srcs = map[string]Source{}
	}
	c.srcs[spec] = s
	return s, nil
}

// InspectHandler processes call:inspect tasks.
type InspectHandler struct {
	eng     Inspector
	store   ResultStore
	sources *sourceCache
	metrics *Metrics
	logger  *slog.Logger
}

// NewInspectHandler returns the call:inspect handler. metrics may be nil.
func NewInspectHandler(eng Inspector, results ResultStore, sources SourceFunc, metrics *Metrics, logger *slog.Logger) *InspectHandler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &InspectHandler{eng: eng, store: results, sources: &sourceCache{open: sources}, metrics: metrics, logger: logger}
}

// ProcessTask inspects the task's recording and stores the result: exactly
// Engine.InspectKey then Store.SaveResult, as the embedded batch does. A
// call that already has an inspected result for this scorecard version is
// skipped (a duplicate delivery) unless the task is forced. An
// unprocessable call is stored and reported with an asynq.SkipRetry error;
// transient faults are returned for retry.
func (h *InspectHandler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	var p InspectPayload
	if err := decodePayload(t, &p, &p.V); err != nil {
		return err
	}
	if p.Key == "" {
		return fmt.Errorf("%s: %w: empty key: %w", TypeInspect, errBadPayload, asynq.SkipRetry)
	}
	taskID, _ := asynq.GetTaskID(ctx)
	log := h.logger.With("task_id", taskID, "key", p.Key)
	// An execution trace (the worker's --pprof) shows each call as a task
	// with its phases as regions, the S3 requests inside (see storage).
	ctx, task := trace.NewTask(ctx, TypeInspect)
	defer task.End()
	sc := h.eng.Scorecard()
	ref := models.ScorecardRef{ID: sc.ID, Version: sc.Version}
	if p.Scorecard != ref {
		// Another worker (or this one after a deploy) may have that
		// scorecard version: retry rather than score with the wrong one.
		return fmt.Errorf("inspect %s: task wants scorecard %s v%d, this worker has %s v%d",
			p.Key, p.Scorecard.ID, p.Scorecard.Version, ref.ID, ref.Version)
	}
	src, err := h.sources.get(ctx, p.Source)
	if err != nil {
		return fmt.Errorf("inspect %s: %w", p.Key, err)
	}
	lookup := h.phase(ctx, "lookup")
	if p.AddToBatch && p.BatchID != "" {
		// Before the result, so that the batch's total never lags
		// behind its done count.
		added, err := h.store.AddBatchKey(ctx, p.BatchID, p.Key)
		if err != nil {
			return fmt.Errorf("inspect %s: %w", p.Key, err)
		}
		if added {
			log.InfoContext(ctx, "recording added to its batch", "batch", p.BatchID)
		}
	}
	if !p.Force {
		status, an, err := h.store.RecordingStatus(ctx, p.Key, ref)
		if err != nil {
			return fmt.Errorf("inspect %s: %w", p.Key, err)
		}
		// A call measured by another audio analysis is inspected again.
		if status == models.StatusInspected && an == h.eng.Analysis() {
			lookup()
			h.metrics.call("skipped", nil)
			log.InfoContext(ctx, "call already inspected")
			return nil
		}
	}
	lookup()
	start := time.Now()
	inspect := h.phase(ctx, "inspect")
	res, err := h.eng.InspectKey(ctx, src, p.Key)
	inspect()
	if err != nil {
		logNoBucket(ctx, log, p.Source, err)
		return fmt.Errorf("inspect %s: %w", p.Key, err)
	}
	save := h.phase(ctx, "save")
	err = h.store.SaveResult(ctx, p.BatchID, res)
	save()
	if err != nil {
		return fmt.Errorf("inspect %s: %w", p.Key, err)
	}
	h.metrics.inspected(res, time.Since(start))
	if res.Status == models.StatusUnprocessable {
		log.InfoContext(ctx, "call unprocessable", "call_id", res.CallID, "reason", res.Error)
		return fmt.Errorf("call %s unprocessable (result stored): %s: %w", res.CallID, res.Error, asynq.SkipRetry)
	}
	log.InfoContext(ctx, "call inspected", "call_id", res.CallID, "status", res.Status,
		"score", res.Score, "passed", res.Passed, "duration", time.Since(start))
	return nil
}

// phase starts a phase of a call (lookup, inspect, save): a region of the
// execution trace, timed in callqa_call_phase_seconds. The returned
// function ends it.
func (h *InspectHandler) phase(ctx context.Context, name string) func() {
	start := time.Now()
	r := trace.StartRegion(ctx, name)
	return func() {
		r.End()
		h.metrics.phase(name, time.Since(start))
	}
}

// logNoBucket logs an error wrapping source.ErrNoBucket at error level:
// the task is retried like any transient fault, but every task of the
// source will fail until someone creates the bucket or fixes the source's
// name, so it must not read like one flaky request.
func logNoBucket(ctx context.Context, log *slog.Logger, spec string, err error) {
	if errors.Is(err, source.ErrNoBucket) {
		log.ErrorContext(ctx, "recordings bucket does not exist: every task of this spec fails (and is retried) until it is created or the spec is corrected",
			"spec", spec, "err", err)
	}
}

// PlanHandler processes batch:plan tasks: it lists a date's recordings and
// enqueues one call:inspect task per recording that has no result.
type PlanHandler struct {
	store    PlanStore
	sources  *sourceCache
	client   Enqueuer
	tasks    TaskInspector
	timeouts TimeoutConfig
	// analysis is the audio analysis of the workers' engine: a recording
	// inspected by another one is planned again.
	analysis models.AnalysisRef
	logger   *slog.Logger
	// pageSize is how many listed recordings are recorded, checked for a
	// result and enqueued at a time (and between updates of the batch
	// total).
	pageSize int
}

// NewPlanHandler returns the batch:plan handler. tasks may be nil: a
// re-plan then enqueues only recordings that have no task in Redis.
func NewPlanHandler(store PlanStore, sources SourceFunc, client Enqueuer, tasks TaskInspector, timeouts TimeoutConfig, analysis models.AnalysisRef, logger *slog.Logger) *PlanHandler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &PlanHandler{store: store, sources: &sourceCache{open: sources}, client: client, tasks: tasks,
		timeouts: timeouts, analysis: analysis, logger: logger, pageSize: 1000}
}

// planCounts tallies what a plan did.
type planCounts struct {
	listed   int // recordings listed
	have     int // of which already had a result: not enqueued
	enqueued int // new call:inspect tasks
	rerun    int // tasks of a re-plan run again (archived, or completed without a result)
}

// ProcessTask plans the task's date. Planning is idempotent: the batch row
// is reused, the listed recordings are recorded as the batch's (its total
// is their number, kept across plans, so that a re-plan that finds late
// recordings extends the batch), a recording that already has a result is
// not enqueued, and every call:inspect task has a TaskID, so a retried plan
// enqueues only what is missing. The batch total is updated every page of
// the listing for progress, but the batch is marked planned (see
// store.Store.MarkPlanned) only once the listing returned without error:
// a listing that fails half way never makes a partial day look complete.
//
// A re-plan (PlanPayload.Replan) also runs again the task of a recording
// without a result that Redis still holds archived (its retries ran out)
// or completed (its result was lost), so that every recording without a
// result gets inspected.
func (h *PlanHandler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	var p PlanPayload
	if err := decodePayload(t, &p, &p.V); err != nil {
		return err
	}
	if err := ParseDate(p.Date); err != nil {
		return fmt.Errorf("%s: %w: %w: %w", TypePlan, errBadPayload, err, asynq.SkipRetry)
	}
	if p.Queue == "" {
		p.Queue = QueueBulk
	}
	src, err := h.sources.get(ctx, p.Source)
	if err != nil {
		return fmt.Errorf("plan %s: %w", p.Date, err)
	}
	b, err := h.batch(ctx, p)
	if err != nil {
		return err
	}
	if err := h.store.ClearPlanned(ctx, b.ID); err != nil {
		return fmt.Errorf("plan %s: %w", p.Date, err)
	}
	var n planCounts
	page := make([]source.Object, 0, h.pageSize)
	flush := func() error {
		if len(page) == 0 {
			return nil
		}
		if err := h.enqueuePage(ctx, p, b, page, &n); err != nil {
			return err
		}
		page = page[:0]
		h.logger.InfoContext(ctx, "planning", "batch", b.ID, "listed", n.listed, "enqueued", n.enqueued)
		return nil
	}
	err = src.List(ctx, b.Prefix, func(o source.Object) error {
		page = append(page, o)
		n.listed++
		if len(page) == h.pageSize {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		logNoBucket(ctx, h.logger.With("batch", b.ID), p.Source, err)
		return fmt.Errorf("plan %s: %w", p.Date, err)
	}
	total, _, err := h.store.BatchProgress(ctx, b.ID, p.Scorecard)
	if err != nil {
		return fmt.Errorf("plan %s: %w", p.Date, err)
	}
	if err := h.store.MarkPlanned(ctx, b.ID, total); err != nil {
		return fmt.Errorf("plan %s: %w", p.Date, err)
	}
	h.logger.InfoContext(ctx, "planned", "batch", b.ID, "date", p.Date, "total", total, "listed", n.listed,
		"with_result", n.have, "enqueued", n.enqueued, "run_again", n.rerun, "replan", p.Replan)
	return nil
}

// enqueuePage records a page of listed recordings as the batch's, enqueues
// those without a result and updates the batch row: its total, and back
// to running when a finished batch gains work (late recordings).
func (h *PlanHandler) enqueuePage(ctx context.Context, p PlanPayload, b *store.Batch, page []source.Object, n *planCounts) error {
	keys := make([]string, len(page))
	for i, o := range page {
		keys[i] = o.Key
	}
	if err := h.store.AddPlanKeys(ctx, b.ID, keys); err != nil {
		return err
	}
	have, err := h.store.WithResult(ctx, p.Scorecard, h.analysis, keys)
	if err != nil {
		return err
	}
	work := 0
	for _, o := range page {
		if have[o.Key] {
			n.have++
			continue
		}
		task, err := NewInspectTask(InspectPayload{
			Source: p.Source, Key: o.Key, Scorecard: p.Scorecard, BatchID: b.ID, Size: o.Size,
		}, p.Queue, h.timeouts)
		if err != nil {
			return err
		}
		what, err := Enqueue(ctx, h.client, task)
		if err != nil {
			return err
		}
		switch {
		case what == EnqueuedNew:
			n.enqueued++
			work++
		case p.Replan:
			again, err := h.runAgain(ctx, p.Queue, InspectTaskID(o.Key, p.Scorecard), task)
			if err != nil {
				return err
			}
			if again {
				n.rerun++
				work++
			}
		}
	}
	total, _, err := h.store.BatchProgress(ctx, b.ID, p.Scorecard)
	if err != nil {
		return err
	}
	b.Total = total
	if work > 0 && b.Status != store.BatchRunning {
		b.Status, b.FinishedAt = store.BatchRunning, time.Time{}
		h.logger.InfoContext(ctx, "batch reopened", "batch", b.ID)
	}
	return h.store.UpdateBatch(ctx, b)
}

// runAgain makes the task of a recording without a result run again when
// Redis holds it archived (re-run) or completed (deleted and enqueued
// anew); a task still pending, scheduled, retrying or running is left to
// run. It reports whether the task will run again.
func (h *PlanHandler) runAgain(ctx context.Context, queue, id string, task *asynq.Task) (bool, error) {
	if h.tasks == nil {
		return false, nil
	}
	info, err := h.tasks.GetTaskInfo(queue, id)
	switch {
	case errors.Is(err, asynq.ErrTaskNotFound), errors.Is(err, asynq.ErrQueueNotFound):
		// Gone since the enqueue said duplicate: enqueue it now.
		what, err := Enqueue(ctx, h.client, task)
		return what == EnqueuedNew, err
	case err != nil:
		return false, fmt.Errorf("replan %s: %w", id, err)
	}
	switch info.State {
	case asynq.TaskStateArchived:
		if err := h.tasks.RunTask(queue, id); err != nil {
			return false, fmt.Errorf("replan %s: %w", id, err)
		}
		return true, nil
	case asynq.TaskStateCompleted:
		if err := h.tasks.DeleteTask(queue, id); err != nil && !errors.Is(err, asynq.ErrTaskNotFound) {
			return false, fmt.Errorf("replan %s: %w", id, err)
		}
		what, err := Enqueue(ctx, h.client, task)
		return what == EnqueuedNew, err
	}
	return false, nil
}

// batch returns the date's batch, creating it if needed.
func (h *PlanHandler) batch(ctx context.Context, p PlanPayload) (*store.Batch, error) {
	id := BatchID(p.Date, p.Scorecard)
	b, err := h.store.GetBatch(ctx, id)
	if err == nil {
		return b, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("plan %s: %w", p.Date, err)
	}
	b = &store.Batch{ID: id, Source: p.Source, Prefix: DatePrefix(p.Date), Date: p.Date,
		Scorecard: p.Scorecard, Status: store.BatchRunning}
	if err := h.store.StartBatch(ctx, b); err != nil {
		return nil, fmt.Errorf("plan %s: %w", p.Date, err)
	}
	return b, nil
}

// NightlyHandler processes batch:nightly tasks: it enqueues the plan of the
// date DaysAgo days before today.
type NightlyHandler struct {
	client Enqueuer
	now    func() time.Time
	logger *slog.Logger
}

// NewNightlyHandler returns the batch:nightly handler; now is the clock
// (time.Now if nil).
func NewNightlyHandler(client Enqueuer, now func() time.Time, logger *slog.Logger) *NightlyHandler {
	if now == nil {
		now = time.Now
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &NightlyHandler{client: client, now: now, logger: logger}
}

// NightlyDate returns the date DaysAgo days before now in p's time zone.
func NightlyDate(p NightlyPayload, now time.Time) (string, error) {
	tz := p.TZ
	if tz == "" {
		tz = "Asia/Shanghai"
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return "", fmt.Errorf("nightly: %w", err)
	}
	days := p.DaysAgo
	if days == 0 {
		days = 1
	}
	return now.In(loc).AddDate(0, 0, -days).Format(time.DateOnly), nil
}

// ProcessTask enqueues the plan; a plan already enqueued (by another
// scheduler) is not an error.
func (h *NightlyHandler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	var p NightlyPayload
	if err := decodePayload(t, &p, &p.V); err != nil {
		return err
	}
	date, err := NightlyDate(p, h.now())
	if err != nil {
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	task, err := NewPlanTask(PlanPayload{Source: p.Source, Date: date, Scorecard: p.Scorecard})
	if err != nil {
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	what, err := Enqueue(ctx, h.client, task)
	if err != nil {
		return err
	}
	h.logger.InfoContext(ctx, "nightly plan", "date", date, "duplicate", what == EnqueuedDuplicate)
	return nil
}

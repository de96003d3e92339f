package worker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/callqa/callqa/models"
)

// Task types, one handler each.
const (
	TypeInspect = "call:inspect"
	TypePlan    = "batch:plan"
	TypeNightly = "batch:nightly"
)

// Queue names, by priority.
const (
	QueueCritical = "critical" // re-inspections and reviews
	QueueDefault  = "default"  // operator enqueues, plans
	QueueBulk     = "bulk"     // the nightly fan-out of call:inspect
)

// DefaultQueues returns the queue weights a worker uses by default: with all
// queues busy, critical gets 6/10 of the picks, default 3/10, bulk 1/10.
func DefaultQueues() map[string]int {
	return map[string]int{QueueCritical: 6, QueueDefault: 3, QueueBulk: 1}
}

// PayloadVersion is the version of the JSON payloads this package writes.
// Handlers refuse (without retry) payloads of another version.
const PayloadVersion = 1

// Retention is how long a completed task (and so its TaskID) is kept in
// Redis. While it is kept, enqueuing the same call for the same scorecard
// version again is rejected as a duplicate: 48 hours covers a scheduler
// running twice, an operator re-running the night's enqueue the next
// morning, and the retries of a plan. Longer would cost Redis memory (about
// 1 KB a call); after it expires, a repeated enqueue still writes the same
// single row (the store upserts) and the handler skips calls already
// inspected.
const Retention = 48 * time.Hour

// InspectPayload is the payload of a call:inspect task.
type InspectPayload struct {
	V int `json:"v"`
	// Source is where the recording is: s3://bucket/prefix or a folder.
	Source string `json:"source"`
	// Key is the recording's key in the source.
	Key string `json:"key"`
	// Scorecard is the scorecard version to inspect with; a worker whose
	// engine has another version returns the task for retry.
	Scorecard models.ScorecardRef `json:"scorecard"`
	// BatchID is the batch the result belongs to ("" for none).
	BatchID string `json:"batch_id,omitempty"`
	// Size is the recording's size in bytes (0 if unknown); it scales the
	// task's timeout.
	Size int64 `json:"size,omitempty"`
	// Force re-inspects the call even if it already has a result for this
	// scorecard version (a reviewer's request). A forced task has its own
	// TaskID, made unique by RequestID.
	Force     bool   `json:"force,omitempty"`
	RequestID string `json:"request_id,omitempty"`
	// AddToBatch adds the recording to batch BatchID's recordings (and
	// so to its total) if it is not one of them yet: a recording
	// enqueued on its own (enqueue --key), perhaps uploaded after its
	// day was planned. The plan's own tasks do not need it.
	AddToBatch bool `json:"add_to_batch,omitempty"`
}

// PlanPayload is the payload of a batch:plan task.
type PlanPayload struct {
	V         int                 `json:"v"`
	Source    string              `json:"source"`
	Date      string              `json:"date"` // YYYY-MM-DD
	Scorecard models.ScorecardRef `json:"scorecard"`
	// Queue receives the call:inspect tasks. Default QueueBulk.
	Queue string `json:"queue,omitempty"`
	// Replan also runs again the tasks Redis still holds, archived or
	// completed, of recordings that have no result (see
	// PlanHandler.ProcessTask). Recordings with a result are never
	// enqueued, re-plan or not.
	Replan bool `json:"replan,omitempty"`
}

// NightlyPayload is the payload of a batch:nightly task.
type NightlyPayload struct {
	V         int                 `json:"v"`
	Source    string              `json:"source"`
	Scorecard models.ScorecardRef `json:"scorecard"`
	// DaysAgo selects the date: 1 (the default when 0) is yesterday.
	DaysAgo int `json:"days_ago,omitempty"`
	// TZ is the IANA time zone the date is taken in (default Asia/Shanghai).
	TZ string `json:"tz,omitempty"`
}

// errBadPayload marks a payload that can never be processed.
var errBadPayload = errors.New("bad payload")

func decodePayload(t *asynq.Task, v any, version *int) error {
	if err := json.Unmarshal(t.Payload(), v); err != nil {
		return fmt.Errorf("%s: %w: %v: %w", t.Type(), errBadPayload, err, asynq.SkipRetry)
	}
	if *version != PayloadVersion {
		return fmt.Errorf("%s: %w: version %d, want %d: %w", t.Type(), errBadPayload, *version, PayloadVersion, asynq.SkipRetry)
	}
	return nil
}

func hashID(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// InspectTaskID is the TaskID of the call:inspect task of the recording at
// key with scorecard version sc.
func InspectTaskID(key string, sc models.ScorecardRef) string {
	return "inspect:" + hashID(key, sc.ID, strconv.Itoa(sc.Version))
}

// PlanTaskID is the TaskID of the batch:plan task of date with scorecard
// version sc.
func PlanTaskID(date string, sc models.ScorecardRef) string {
	return "plan:" + hashID(date, sc.ID, strconv.Itoa(sc.Version))
}

// BatchID is the id of the fleet batch of date with scorecard version sc:
// fleet-2026-11-25-hotline-12333-v1. Planning a date again continues the
// same batch.
func BatchID(date string, sc models.ScorecardRef) string {
	return fmt.Sprintf("fleet-%s-%s-v%d", date, sc.ID, sc.Version)
}

// DatePrefix is the key prefix of a date's recordings: 2026-11-25 ->
// 2026/11/25/.
func DatePrefix(date string) string {
	return strings.ReplaceAll(date, "-", "/") + "/"
}

// ParseDate checks a YYYY-MM-DD date.
func ParseDate(date string) error {
	if _, err := time.Parse(time.DateOnly, date); err != nil {
		return fmt.Errorf("date %q: want YYYY-MM-DD", date)
	}
	return nil
}

// TimeoutConfig scales a call:inspect task's timeout with the size of its
// recording. Zero values mean the defaults.
type TimeoutConfig struct {
	// Base is the timeout of an empty recording. Default 2 minutes.
	Base time.Duration
	// PerMiB is added per MiB of recording. Default 20 seconds: a MiB of
	// 8 kHz G.711 mono (the densest telephony format) is 131 s of audio,
	// which the engine analyses in well under a second; the margin is for
	// a transcription service.
	PerMiB time.Duration
	// Max caps the timeout. Default 1 hour.
	Max time.Duration
}

// Validate reports negative durations.
func (c TimeoutConfig) Validate() error {
	switch {
	case c.Base < 0:
		return fmt.Errorf("TimeoutConfig.Base %v must not be negative", c.Base)
	case c.PerMiB < 0:
		return fmt.Errorf("TimeoutConfig.PerMiB %v must not be negative", c.PerMiB)
	case c.Max < 0:
		return fmt.Errorf("TimeoutConfig.Max %v must not be negative", c.Max)
	}
	return nil
}

// For returns the timeout of a recording of size bytes.
func (c TimeoutConfig) For(size int64) time.Duration {
	if c.Base == 0 {
		c.Base = 2 * time.Minute
	}
	if c.PerMiB == 0 {
		c.PerMiB = 20 * time.Second
	}
	if c.Max == 0 {
		c.Max = time.Hour
	}
	d := c.Base + time.Duration(float64(c.PerMiB)*float64(max(size, 0))/(1<<20))
	return min(d, c.Max)
}

// Retry limits per task type.
const (
	InspectMaxRetry = 8 // with RetryDelay: about 40 minutes of retrying
	PlanMaxRetry    = 5
)

// NewInspectTask returns the call:inspect task of p with its options:
// TaskID, queue, timeout scaled to p.Size, retries and retention.
func NewInspectTask(p InspectPayload, queue string, tc TimeoutConfig) (*asynq.Task, error) {
	p.V = PayloadVersion
	if p.Key == "" || p.Source == "" || p.Scorecard.ID == "" {
		return nil, errors.New("new inspect task: source, key and scorecard are required")
	}
	if p.Force && p.RequestID == "" {
		return nil, errors.New("new inspect task: a forced re-inspection needs a RequestID")
	}
	if queue == "" {
		queue = QueueDefault
	}
	data, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("new inspect task: %w", err)
	}
	id := InspectTaskID(p.Key, p.Scorecard)
	if p.Force {
		id = "re" + id + ":" + p.RequestID
	}
	return asynq.NewTask(TypeInspect, data,
		asynq.TaskID(id), asynq.Queue(queue), asynq.Timeout(tc.For(p.Size)),
		asynq.MaxRetry(InspectMaxRetry), asynq.Retention(Retention)), nil
}

// NewPlanTask returns the batch:plan task of p with its options. The plan
// itself goes on the default queue; its call:inspect tasks on p.Queue.
func NewPlanTask(p PlanPayload) (*asynq.Task, error) {
	p.V = PayloadVersion
	if err := ParseDate(p.Date); err != nil {
		return nil, fmt.Errorf("new plan task: %w", err)
	}
	if p.Source == "" || p.Scorecard.ID == "" {
		return nil, errors.New("new plan task: source and scorecard are required")
	}
	data, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("new plan task: %w", err)
	}
	return asynq.NewTask(TypePlan, data,
		asynq.TaskID(PlanTaskID(p.Date, p.Scorecard)), asynq.Queue(QueueDefault),
		asynq.Timeout(2*time.Hour), asynq.MaxRetry(PlanMaxRetry), asynq.Retention(Retention)), nil
}

// NewNightlyTask returns the batch:nightly task the scheduler registers.
func NewNightlyTask(p NightlyPayload) (*asynq.Task, error) {
	p.V = PayloadVersion
	if p.Source == "" || p.Scorecard.ID == "" {
		return nil, errors.New("new nightly task: source and scorecard are required")
	}
	if p.TZ != "" {
		if _, err := time.LoadLocation(p.TZ); err != nil {
			return nil, fmt.Errorf("new nightly task: %w", err)
		}
	}
	data, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("new nightly task: %w", err)
	}
	return asynq.NewTask(TypeNightly, data, asynq.Queue(QueueDefault), asynq.MaxRetry(PlanMaxRetry),
		asynq.Timeout(time.Minute)), nil
}

// Enqueued says what an enqueue did.
type Enqueued int

// Outcomes of Enqueue.
const (
	EnqueuedNew       Enqueued = iota // the task was added
	EnqueuedDuplicate                 // a task with its TaskID already exists (pending, running or kept)
)

// Enqueue adds t to the queue; a TaskID conflict (the same work is already
// queued, running or recently done) is not an error.
func Enqueue(ctx context.Context, c Enqueuer, t *asynq.Task) (Enqueued, error) {
	_, err := c.EnqueueContext(ctx, t)
	switch {
	case err == nil:
		return EnqueuedNew, nil
	case errors.Is(err, asynq.ErrTaskIDConflict), errors.Is(err, asynq.ErrDuplicateTask):
		return EnqueuedDuplicate, nil
	default:
		return 0, fmt.Errorf("enqueue %s: %w", t.Type(), err)
	}
}

// PlanEnqueued says what EnqueuePlan did.
type PlanEnqueued int

// Outcomes of EnqueuePlan.
const (
	PlanNew        PlanEnqueued = iota // the plan was enqueued
	PlanInProgress                     // the date's plan is already queued, running or retrying
	PlanRan                            // the date's plan finished (completed, or failed for good) within Retention; nothing enqueued
	PlanReplanned                      // the finished plan was replaced by a re-plan
)

// EnqueuePlan enqueues the plan p of a date. Redis keeps a finished plan
// (and so its TaskID) for Retention: within it, the date is planned again
// only with replan, which replaces the finished plan by one with
// PlanPayload.Replan set. Either way, a plan enqueues only the recordings
// that have no result: a re-plan is how a batch that lost its tasks
// (stalled) or gained recordings (late uploads) is completed. The
// returned info is the plan task found in Redis (nil for PlanNew without
// one).
func EnqueuePlan(ctx context.Context, c Enqueuer, tasks TaskInspector, p PlanPayload, replan bool) (PlanEnqueued, *asynq.TaskInfo, error) {
	p.Replan = replan
	task, err := NewPlanTask(p)
	if err != nil {
		return 0, nil, err
	}
	id := PlanTaskID(p.Date, p.Scorecard)
	info, err := tasks.GetTaskInfo(QueueDefault, id)
	switch {
	case errors.Is(err, asynq.ErrTaskNotFound), errors.Is(err, asynq.ErrQueueNotFound):
		info = nil
	case err != nil:
		return 0, nil, fmt.Errorf("enqueue plan %s: %w", p.Date, err)
	default:
		switch info.State {
		case asynq.TaskStateCompleted, asynq.TaskStateArchived:
			if !replan {
				return PlanRan, info, nil
			}
			if err := tasks.DeleteTask(QueueDefault, id); err != nil && !errors.Is(err, asynq.ErrTaskNotFound) {
				return 0, info, fmt.Errorf("enqueue plan %s: %w", p.Date, err)
			}
		default:
			return PlanInProgress, info, nil
		}
	}
	what, err := Enqueue(ctx, c, task)
	switch {
	case err != nil:
		return 0, info, err
	case what == EnqueuedDuplicate:
		return PlanInProgress, info, nil // another enqueue got there first
	case info != nil:
		return PlanReplanned, info, nil
	}
	return PlanNew, nil, nil
}

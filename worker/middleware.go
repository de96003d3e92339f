package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/hibiken/asynq"
)

// errPanic marks an error made from a recovered panic (a bug).
var errPanic = errors.New("panic")

// Recover turns a panic in a handler into an error (retried: the bug may be
// in a transient state), logged loudly with its stack.
func Recover(logger *slog.Logger) asynq.MiddlewareFunc {
	return func(next asynq.Handler) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) (err error) {
			defer func() {
				if r := recover(); r != nil {
					id, _ := asynq.GetTaskID(ctx)
					logger.ErrorContext(ctx, "task panicked", "type", t.Type(), "task_id", id,
						"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
					err = fmt.Errorf("%s: %w: %v", t.Type(), errPanic, r)
				}
			}()
			return next.ProcessTask(ctx, t)
		})
	}
}

// Outcome classifies a handler's error: "ok", "skip_retry" (bad input,
// never retried), "panic" or "retry" (transient).
func Outcome(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, asynq.SkipRetry):
		return "skip_retry"
	case errors.Is(err, errPanic):
		return "panic"
	default:
		return "retry"
	}
}

// Observe logs every task with its id, type, outcome and duration, and
// counts it in m (which may be nil). It goes outside Recover so that panics
// are counted.
func Observe(logger *slog.Logger, m *Metrics) asynq.MiddlewareFunc {
	return func(next asynq.Handler) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
			start := time.Now()
			id, _ := asynq.GetTaskID(ctx)
			retried, _ := asynq.GetRetryCount(ctx)
			queue, _ := asynq.GetQueueName(ctx)
			log := logger.With("task_id", id, "type", t.Type(), "queue", queue)
			err := next.ProcessTask(ctx, t)
			d := time.Since(start)
			outcome := Outcome(err)
			m.task(t.Type(), outcome, d)
			switch outcome {
			case "ok":
				log.DebugContext(ctx, "task done", "duration", d)
			case "skip_retry":
				log.WarnContext(ctx, "task not retried", "duration", d, "err", err)
			default:
				log.WarnContext(ctx, "task failed", "duration", d, "retried", retried, "err", err)
			}
			return err
		})
	}
}

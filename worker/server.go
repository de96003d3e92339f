package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"time"

	"github.com/hibiken/asynq"
)

// Config tunes a worker process. Zero values mean the documented defaults.
type Config struct {
	// Concurrency is how many tasks run at once. Default: the number of
	// CPUs.
	Concurrency int
	// Queues maps queue names to weights. Default DefaultQueues().
	Queues map[string]int
	// StrictPriority serves a lower-priority queue only when the higher
	// ones are empty. Default false (weighted).
	StrictPriority bool
	// ShutdownTimeout is how long SIGTERM waits for in-flight tasks before
	// handing them back to the queue. Default 30 seconds.
	ShutdownTimeout time.Duration
	// RetryBase and RetryMax shape the exponential backoff: attempt n
	// waits RetryBase*2^n (with +-20% jitter), capped at RetryMax.
	// Defaults 10 seconds and 10 minutes.
	RetryBase, RetryMax time.Duration
	// Timeouts scale the timeouts of the call:inspect tasks a plan
	// enqueues.
	Timeouts TimeoutConfig
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	switch {
	case c.Concurrency < 0:
		return fmt.Errorf("worker Config.Concurrency %d must not be negative", c.Concurrency)
	case c.ShutdownTimeout < 0:
		return fmt.Errorf("worker Config.ShutdownTimeout %v must not be negative", c.ShutdownTimeout)
	case c.RetryBase < 0 || c.RetryMax < 0:
		return errors.New("worker Config.RetryBase and RetryMax must not be negative")
	}
	for q, w := range c.Queues {
		if q == "" || w <= 0 {
			return fmt.Errorf("worker Config.Queues: queue %q has weight %d, want a name and a weight > 0", q, w)
		}
	}
	if err := c.Timeouts.Validate(); err != nil {
		return fmt.Errorf("worker Config.Timeouts: %w", err)
	}
	return nil
}

// WithDefaults returns c with its zero fields set to the defaults.
func (c Config) WithDefaults() Config {
	if c.Concurrency == 0 {
		c.Concurrency = runtime.NumCPU()
	}
	if len(c.Queues) == 0 {
		c.Queues = DefaultQueues()
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = 30 * time.Second
	}
	if c.RetryBase == 0 {
		c.RetryBase = 10 * time.Second
	}
	if c.RetryMax == 0 {
		c.RetryMax = 10 * time.Minute
	}
	return c
}

// RetryDelay returns the exponential backoff of c: RetryBase*2^n with
// +-20% jitter (so that a fleet's retries do not arrive together), capped
// at RetryMax.
func (c Config) RetryDelay() asynq.RetryDelayFunc {
	c = c.WithDefaults()
	return func(n int, _ error, _ *asynq.Task) time.Duration {
		d := c.RetryBase << min(n, 30)
		if d <= 0 || d > c.RetryMax {
			d = c.RetryMax
		}
		jitter := 0.8 + 0.4*rand.Float64()
		return time.Duration(float64(d) * jitter)
	}
}

// Handlers are the task handlers a worker serves; nil ones are not
// registered.
type Handlers struct {
	Inspect *InspectHandler
	Plan    *PlanHandler
	Nightly *NightlyHandler
}

// NewMux registers the handlers on a ServeMux behind the observe (logging
// and metrics) and recover middleware.
func NewMux(h Handlers, m *Metrics, logger *slog.Logger) *asynq.ServeMux {
	mux := asynq.NewServeMux()
	mux.Use(Observe(logger, m), Recover(logger))
	if h.Inspect != nil {
		mux.Handle(TypeInspect, h.Inspect)
	}
	if h.Plan != nil {
		mux.Handle(TypePlan, h.Plan)
	}
	if h.Nightly != nil {
		mux.Handle(TypeNightly, h.Nightly)
	}
	return mux
}

// Server is an asynq server configured from Config.
type Server struct {
	srv *asynq.Server
}

// NewServer returns a server on Redis r; it does not start it.
func NewServer(r asynq.RedisConnOpt, cfg Config, logger *slog.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	srv := asynq.NewServer(r, asynq.Config{
		Concurrency:     cfg.Concurrency,
		Queues:          cfg.Queues,
		StrictPriority:  cfg.StrictPriority,
		ShutdownTimeout: cfg.ShutdownTimeout,
		RetryDelayFunc:  cfg.RetryDelay(),
		Logger:          NewAsynqLogger(logger),
		LogLevel:        asynq.WarnLevel,
		HealthCheckFunc: func(err error) {
			if err != nil {
				logger.Warn("redis health check failed", "err", err)
			}
		},
	})
	return &Server{srv: srv}, nil
}

// Run processes tasks with handler until ctx is done, then drains: tasks
// still running after the shutdown timeout go back to the queue.
func (s *Server) Run(ctx context.Context, handler asynq.Handler) error {
	if err := s.srv.Start(handler); err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	<-ctx.Done()
	s.srv.Shutdown()
	return nil
}

// Ping checks the connection to Redis.
func (s *Server) Ping() error { return s.srv.Ping() }

// asynqLogger adapts slog to asynq's Logger.
type asynqLogger struct{ l *slog.Logger }

// NewAsynqLogger returns an asynq.Logger writing to l.
func NewAsynqLogger(l *slog.Logger) asynq.Logger { return asynqLogger{l.With("component", "asynq")} }

func (a asynqLogger) Debug(args ...any) { a.l.Debug(fmt.Sprint(args...)) }
func (a asynqLogger) Info(args ...any)  { a.l.Info(fmt.Sprint(args...)) }
func (a asynqLogger) Warn(args ...any)  { a.l.Warn(fmt.Sprint(args...)) }
func (a asynqLogger) Error(args ...any) { a.l.Error(fmt.Sprint(args...)) }
func (a asynqLogger) Fatal(args ...any) { a.l.Error(fmt.Sprint(args...)); panic(fmt.Sprint(args...)) }

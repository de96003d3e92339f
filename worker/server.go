package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"sort"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
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
	// TaskCheckInterval is how long the worker waits, on average, before
	// it looks again when every queue is empty: the delay before it
	// notices a new plan, the calls a plan enqueued, or a review
	// (enqueue --key). Default 200 ms (asynq's own default, 1 s, added
	// about 1.5 s to every batch in BenchmarkFleet). Each look is one
	// Lua script in Redis: 5 a second per idle worker.
	TaskCheckInterval time.Duration
	// RegisterEvery is how often the worker puts its queues back in
	// asynq's queue registry if Redis lost them (see RegisterQueues).
	// Default 5 seconds, asynq's heartbeat.
	RegisterEvery time.Duration
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
	case c.TaskCheckInterval < 0:
		return fmt.Errorf("worker Config.TaskCheckInterval %v must not be negative", c.TaskCheckInterval)
	case c.RegisterEvery < 0:
		return fmt.Errorf("worker Config.RegisterEvery %v must not be negative", c.RegisterEvery)
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
	if c.TaskCheckInterval == 0 {
		c.TaskCheckInterval = 200 * time.Millisecond
	}
	if c.RegisterEvery == 0 {
		c.RegisterEvery = 5 * time.Second
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
	srv    *asynq.Server
	rdb    redis.UniversalClient
	cfg    Config
	logger *slog.Logger
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
		Concurrency:       cfg.Concurrency,
		Queues:            cfg.Queues,
		StrictPriority:    cfg.StrictPriority,
		ShutdownTimeout:   cfg.ShutdownTimeout,
		RetryDelayFunc:    cfg.RetryDelay(),
		TaskCheckInterval: cfg.TaskCheckInterval,
		Logger:            NewAsynqLogger(logger),
		LogLevel:          asynq.WarnLevel,
		HealthCheckFunc: func(err error) {
			if err != nil {
				logger.Warn("redis health check failed", "err", err)
			}
		},
	})
	rdb, err := RedisClient(r)
	if err != nil {
		return nil, err
	}
	return &Server{srv: srv, rdb: rdb, cfg: cfg, logger: logger}, nil
}

// Run processes tasks with handler until ctx is done, then drains: tasks
// still running after the shutdown timeout go back to the queue. While it
// runs, it keeps its queues in asynq's queue registry.
func (s *Server) Run(ctx context.Context, handler asynq.Handler) error {
	defer s.rdb.Close()
	if err := s.srv.Start(handler); err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	done := make(chan struct{})
	go func() { s.keepQueues(ctx); close(done) }()
	<-ctx.Done()
	<-done
	s.srv.Shutdown()
	return nil
}

// keepQueues registers the worker's queues now and every RegisterEvery
// until ctx is done. Queues missing after the first round mean that Redis
// lost its data (a restart without persistence, a flush): the worker puts
// them back, so that status, requeue and the queue metrics see them
// again, and warns, since the tasks queued then are lost with them.
func (s *Server) keepQueues(ctx context.Context) {
	names := make([]string, 0, len(s.cfg.Queues))
	for n := range s.cfg.Queues {
		names = append(names, n)
	}
	sort.Strings(names)
	tick := time.NewTicker(s.cfg.RegisterEvery)
	defer tick.Stop()
	for first := true; ; first = false {
		n, err := RegisterQueues(ctx, s.rdb, names...)
		switch {
		case err != nil && ctx.Err() == nil:
			s.logger.WarnContext(ctx, "cannot register the queues in Redis", "err", err)
		case n > 0 && !first:
			s.logger.WarnContext(ctx, "Redis had lost the queue registry (a restart without persistence, or a flush): queues registered again; "+
				"tasks queued before are lost: `callqa status --date D` shows the batches that stalled",
				"queues", names, "missing", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
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

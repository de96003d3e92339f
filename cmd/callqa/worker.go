package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/hibiken/asynq"

	"github.com/callqa/callqa/pipeline"
	"github.com/callqa/callqa/store"
	"github.com/callqa/callqa/worker"
)

const workerSynopsis = "worker [--concurrency N] [--queues critical=6,default=3,bulk=1] [--redis ADDR] [--database-url URL] [--db-max-conns N] [--metrics-addr ADDR] " + asrSynopsis

func cmdWorker(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	var ff fleetFlags
	ff.register(fs, e, "redis", "db", "source", "scorecard")
	concurrency := fs.Int("concurrency", 0, "tasks processed at once (default: the number of CPUs)")
	queues := fs.String("queues", "", "queues and weights (default critical=6,default=3,bulk=1)")
	strict := fs.Bool("strict-priority", false, "serve lower queues only when higher ones are empty")
	metricsAddr := fs.String("metrics-addr", fleetEnv(e, "CALLQA_METRICS_ADDR", ":9090"), "address of /metrics, /healthz and /readyz; empty: none (env CALLQA_METRICS_ADDR)")
	shutdown := fs.Duration("shutdown-timeout", 30*time.Second, "on SIGTERM, how long in-flight tasks may finish before going back to the queue")
	retryBase := fs.Duration("retry-base", 0, "first retry delay of a failed task, doubled at each retry (default 10s)")
	retryMax := fs.Duration("retry-max", 0, "longest retry delay (default 10m)")
	timeoutBase := fs.Duration("timeout-base", 0, "call:inspect timeout of an empty recording, for plans this worker runs (default 2m)")
	timeoutPerMiB := fs.Duration("timeout-per-mib", 0, "call:inspect timeout added per MiB of recording (default 20s)")
	pprofOn := fs.Bool("pprof", false, "also serve Go's profiler (/debug/pprof/: CPU, heap, execution trace) on --metrics-addr; keep that address private")
	checkInterval := fs.Duration("task-check-interval", 0, "when every queue is empty, how long to wait before looking again (default 200ms)")
	dbConns := fs.Int("db-max-conns", 0, "PostgreSQL connections this process keeps at most, all reused while busy (default: concurrency + 4)")
	var asr asrFlags
	asr.register(fs, e)
	pos, err := parseFlags(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return printHelp(e, fs, workerSynopsis)
	}
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usageError(fs, workerSynopsis, "worker: unexpected arguments")
	}
	qs, err := parseQueues(*queues)
	if err != nil {
		return badInput(err)
	}
	cfg := worker.Config{Concurrency: *concurrency, Queues: qs, StrictPriority: *strict, ShutdownTimeout: *shutdown,
		RetryBase: *retryBase, RetryMax: *retryMax, TaskCheckInterval: *checkInterval,
		Timeouts: worker.TimeoutConfig{Base: *timeoutBase, PerMiB: *timeoutPerMiB}}
	if err := cfg.Validate(); err != nil {
		return badInput(err)
	}
	if *dbConns < 0 {
		return badInput(fmt.Errorf("--db-max-conns %d must not be negative", *dbConns))
	}
	pool := store.PoolFor(cfg.WithDefaults().Concurrency)
	if *dbConns > 0 {
		pool = store.PoolConfig{MaxOpen: *dbConns, MaxIdle: *dbConns}
	}
	redisOpt, err := ff.redisOpt()
	if err != nil {
		return err
	}
	sc, err := ff.loadScorecard()
	if err != nil {
		return err
	}
	pcfg := pipeline.Config{}
	if tr, err := asr.transcriber(e); err != nil {
		return badInput(err)
	} else if tr != nil {
		pcfg.Transcriber = tr
	}
	eng, err := pipeline.NewEngine(sc, pcfg, e.logger)
	if err != nil {
		return badInput(err)
	}
	results, err := ff.openStore(ctx, e, pool)
	if err != nil {
		return err
	}
	defer results.Close()

	client := asynq.NewClient(redisOpt)
	defer client.Close()
	inspector := asynq.NewInspector(redisOpt)
	defer inspector.Close()
	reg, metrics := worker.NewRegistry(inspector)
	worker.RegisterDBMetrics(reg, results.DB(), results.ConnectionsOpened)

	srv, err := worker.NewServer(redisOpt, cfg, e.logger)
	if err != nil {
		return badInput(err)
	}
	mux := worker.NewMux(worker.Handlers{
		Inspect: worker.NewInspectHandler(eng, results, ff.openSource, metrics, e.logger),
		Plan:    worker.NewPlanHandler(results, ff.openSource, client, inspector, cfg.Timeouts, eng.Analysis(), e.logger),
		Nightly: worker.NewNightlyHandler(client, time.Now, e.logger),
	}, metrics, e.logger)

	if *metricsAddr != "" {
		ln, err := net.Listen("tcp", *metricsAddr)
		if err != nil {
			return fmt.Errorf("worker: metrics: %w", err)
		}
		var handler http.Handler = worker.OpsHandler(reg, map[string]worker.Checker{
			"redis":    func(context.Context) error { return client.Ping() },
			"database": func(ctx context.Context) error { return results.DB().PingContext(ctx) },
		})
		if *pprofOn {
			mux := http.NewServeMux()
			mux.Handle("/", handler)
			mux.HandleFunc("/debug/pprof/", pprof.Index)
			mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
			mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
			mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
			mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
			handler = mux
		}
		ops := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
		go ops.Serve(ln)
		defer ops.Close()
		e.logger.Info("metrics listening", "addr", ln.Addr().String())
	}
	if rdb, err := worker.RedisClient(redisOpt); err == nil {
		worker.LogPersistence(ctx, rdb, e.logger)
		rdb.Close()
	}
	cfg = cfg.WithDefaults()
	e.logger.Info("worker started", "concurrency", cfg.Concurrency, "queues", cfg.Queues,
		"scorecard", sc.ID, "version", sc.Version, "db_max_conns", pool.WithDefaults().MaxOpen)
	if err := srv.Run(ctx, mux); err != nil {
		return err
	}
	e.logger.Info("worker stopped")
	return nil
}

// fleetEnv returns the environment variable name, or def when it is empty.
func fleetEnv(e *env, name, def string) string {
	if v := e.getenv(name); v != "" {
		return v
	}
	return def
}

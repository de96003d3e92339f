package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/hibiken/asynq"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/scorecards"
	"github.com/callqa/callqa/source"
	"github.com/callqa/callqa/store"
	"github.com/callqa/callqa/worker"
)

// fleetFlags are the flags the fleet commands share. Each defaults to an
// environment variable, so that a container is configured by its
// environment alone.
type fleetFlags struct {
	redis       string
	databaseURL string
	source      string
	scorecard   string
	s3          source.S3Config
	s3SSL       bool
}

// register adds the shared flags to fs; which selects the groups a command
// needs: "redis", "db", "source" (with the S3 flags), "scorecard".
func (f *fleetFlags) register(fs *flag.FlagSet, e *env, which ...string) {
	env := func(name, def string) string {
		if v := e.getenv(name); v != "" {
			return v
		}
		return def
	}
	for _, w := range which {
		switch w {
		case "redis":
			fs.StringVar(&f.redis, "redis", env("CALLQA_REDIS", "127.0.0.1:6379"),
				"Redis address host:port or redis:// URL (env CALLQA_REDIS)")
		case "db":
			fs.StringVar(&f.databaseURL, "database-url", env("CALLQA_DATABASE_URL", ""),
				"results database: postgres://... or a SQLite file (env CALLQA_DATABASE_URL)")
			fs.StringVar(&f.databaseURL, "db", env("CALLQA_DATABASE_URL", ""), "same as --database-url (as in run, report and serve; env CALLQA_DATABASE_URL)")
		case "source":
			fs.StringVar(&f.source, "source", env("CALLQA_SOURCE", ""),
				"recordings: s3://bucket/prefix or a folder (env CALLQA_SOURCE)")
			fs.StringVar(&f.s3.Endpoint, "s3-endpoint", env("CALLQA_S3_ENDPOINT", ""), "S3 endpoint host:port (env CALLQA_S3_ENDPOINT)")
			fs.StringVar(&f.s3.AccessKey, "s3-access-key", env("CALLQA_S3_ACCESS_KEY", ""), "S3 access key (env CALLQA_S3_ACCESS_KEY)")
			fs.StringVar(&f.s3.SecretKey, "s3-secret-key", env("CALLQA_S3_SECRET_KEY", ""), "S3 secret key (env CALLQA_S3_SECRET_KEY)")
			fs.StringVar(&f.s3.Region, "s3-region", env("CALLQA_S3_REGION", "us-east-1"), "S3 region (env CALLQA_S3_REGION)")
			ssl, _ := strconv.ParseBool(env("CALLQA_S3_SSL", "false"))
			fs.BoolVar(&f.s3SSL, "s3-ssl", ssl, "use https for S3 (env CALLQA_S3_SSL)")
		case "scorecard":
			fs.StringVar(&f.scorecard, "scorecard", env("CALLQA_SCORECARD", ""),
				"scorecard YAML (default: the built-in "+scorecards.DefaultName+"; env CALLQA_SCORECARD)")
		}
	}
}

// redisOpt parses the --redis flag.
func (f *fleetFlags) redisOpt() (asynq.RedisConnOpt, error) {
	if strings.Contains(f.redis, "://") {
		opt, err := asynq.ParseRedisURI(f.redis)
		if err != nil {
			return nil, badInput(fmt.Errorf("--redis: %w", err))
		}
		return opt, nil
	}
	if f.redis == "" {
		return nil, badInput(errors.New("--redis is required"))
	}
	return asynq.RedisClientOpt{Addr: f.redis}, nil
}

// sourceSpec returns the canonical name of --source put in task payloads:
// s3://bucket/prefix as given, a folder as an absolute path.
func (f *fleetFlags) sourceSpec() (string, error) {
	if f.source == "" {
		return "", badInput(errors.New("--source is required (s3://bucket/prefix or a folder)"))
	}
	if strings.HasPrefix(f.source, "s3://") {
		if _, _, err := parseS3URL(f.source); err != nil {
			return "", badInput(err)
		}
		return f.source, nil
	}
	abs, err := filepath.Abs(f.source)
	if err != nil {
		return "", badInput(err)
	}
	return abs, nil
}

// parseS3URL splits s3://bucket/prefix.
func parseS3URL(spec string) (bucket, prefix string, err error) {
	u, err := url.Parse(spec)
	if err != nil || u.Scheme != "s3" || u.Host == "" {
		return "", "", fmt.Errorf("source %q: want s3://bucket/prefix", spec)
	}
	return u.Host, strings.TrimPrefix(u.Path, "/"), nil
}

// openSource opens a source named by a payload or --source. It is the
// worker.SourceFunc of the fleet commands.
func (f *fleetFlags) openSource(ctx context.Context, spec string) (worker.Source, error) {
	if strings.HasPrefix(spec, "s3://") {
		bucket, prefix, err := parseS3URL(spec)
		if err != nil {
			return nil, models.BadInput(fmt.Errorf("bad source: %v", err))
		}
		cfg := f.s3
		cfg.Bucket, cfg.Prefix, cfg.UseSSL = bucket, prefix, f.s3SSL
		src, err := source.NewS3(ctx, cfg)
		if err != nil {
			return nil, models.BadInput(fmt.Errorf("bad source: %v", err))
		}
		return src, nil
	}
	src, err := source.NewLocal(spec)
	if err != nil {
		if source.IsNotFound(err) {
			// A folder may be a network mount that is not there yet.
			return nil, err
		}
		return nil, models.BadInput(fmt.Errorf("bad source: %v", err))
	}
	return src, nil
}

// loadScorecard loads --scorecard.
func (f *fleetFlags) loadScorecard() (*models.Scorecard, error) {
	sc, err := scorecards.Load(f.scorecard)
	if err != nil {
		return nil, badInput(err)
	}
	return sc, nil
}

// openStore opens --database-url with the pool given (zero: the default).
// Call dates are taken in CALLQA_TZ (the hotline's zone, Asia/Shanghai by
// default), as callqa run takes them.
func (f *fleetFlags) openStore(ctx context.Context, e *env, pool store.PoolConfig) (*store.Store, error) {
	if f.databaseURL == "" {
		return nil, badInput(errors.New("--database-url is required (postgres://... for a fleet)"))
	}
	loc, err := parseZone("CALLQA_TZ", envOr(e, "CALLQA_TZ", store.DefaultTimeZone))
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, f.databaseURL, store.Options{Location: loc, Pool: pool, Logger: e.logger})
	if err != nil {
		return nil, fmt.Errorf("results store: %w", err)
	}
	return st, nil
}

// parseQueues parses "critical=6,default=3,bulk=1".
func parseQueues(s string) (map[string]int, error) {
	if s == "" {
		return nil, nil
	}
	out := map[string]int{}
	for _, part := range strings.Split(s, ",") {
		name, w, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			w = "1"
		}
		n, err := strconv.Atoi(w)
		if err != nil || n <= 0 || name == "" {
			return nil, fmt.Errorf("--queues: %q: want name=weight with weight > 0", part)
		}
		out[name] = n
	}
	return out, nil
}

// ensureQueues puts the fleet's known queues back in asynq's queue
// registry before status or requeue reads the queues: after Redis lost
// its data, the registry may lack a queue that still holds tasks, and
// asynq's inspector shows only registered queues.
func ensureQueues(ctx context.Context, opt asynq.RedisConnOpt, q *asynq.Inspector) error {
	rdb, err := worker.RedisClient(opt)
	if err != nil {
		return err
	}
	defer rdb.Close()
	return worker.EnsureQueues(ctx, rdb, q)
}

package worker

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// RedisClient returns a go-redis client on the Redis of opt (the one asynq
// would make), for the checks asynq has no API for. Close it after use.
func RedisClient(opt asynq.RedisConnOpt) (redis.UniversalClient, error) {
	c, ok := opt.MakeRedisClient().(redis.UniversalClient)
	if !ok {
		return nil, fmt.Errorf("redis client: %T is not a go-redis client", opt.MakeRedisClient())
	}
	return c, nil
}

// queueRegistry is the Redis set in which asynq keeps the names of the
// queues (base.AllQueues in asynq's internal package). asynq's Inspector
// (status, requeue, asynqmon, the queue metrics) sees only the queues named
// there, and its client adds a name only the first time it enqueues on a
// queue: after Redis loses its data, a long-running process never adds it
// again, and archived or retrying tasks of the queue become invisible.
const queueRegistry = "asynq:queues"

// RegisterQueues adds the queue names to asynq's queue registry (what
// every first enqueue on a queue does; an empty queue costs nothing) and
// returns how many were missing.
func RegisterQueues(ctx context.Context, rdb redis.UniversalClient, names ...string) (int64, error) {
	if len(names) == 0 {
		return 0, nil
	}
	members := make([]any, len(names))
	for i, n := range names {
		members[i] = n
	}
	n, err := rdb.SAdd(ctx, queueRegistry, members...).Result()
	if err != nil {
		return 0, fmt.Errorf("register queues: %w", err)
	}
	return n, nil
}

// KnownQueues returns, sorted, the names of the queues of the fleet that
// Redis can tell of without its registry: the default ones (critical,
// default, bulk) and those the running workers serve (from their
// heartbeats, which they write again every few seconds).
func KnownQueues(q *asynq.Inspector) ([]string, error) {
	set := map[string]bool{}
	for n := range DefaultQueues() {
		set[n] = true
	}
	servers, err := q.Servers()
	if err != nil {
		return nil, fmt.Errorf("known queues: %w", err)
	}
	for _, s := range servers {
		for n := range s.Queues {
			set[n] = true
		}
	}
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out, nil
}

// EnsureQueues registers the known queues (KnownQueues) so that q sees
// them all, whatever Redis lost: status and requeue call it before they
// read the queues.
func EnsureQueues(ctx context.Context, rdb redis.UniversalClient, q *asynq.Inspector) error {
	names, err := KnownQueues(q)
	if err != nil {
		return err
	}
	_, err = RegisterQueues(ctx, rdb, names...)
	return err
}

// Persistence is how Redis keeps its data across a restart.
type Persistence struct {
	// AOF: the append-only file is on (appendonly yes): a restart loses
	// at most about a second of writes.
	AOF bool `json:"aof"`
	// RDB: snapshots are configured (save is not empty): a restart loses
	// what was written since the last snapshot.
	RDB bool `json:"rdb"`
	// Save is the snapshot configuration, e.g. "3600 1 300 100 60 10000".
	Save string `json:"save,omitempty"`
	// ConfigRefused is set when Redis refused CONFIG GET (a managed Redis,
	// a renamed command, an ACL): AOF then comes from INFO persistence,
	// and whether snapshots are configured is unknown (RDB is false).
	ConfigRefused string `json:"config_refused,omitempty"`
}

// CheckPersistence asks Redis how it persists its data: CONFIG GET
// appendonly and save, or, when CONFIG is refused, INFO persistence.
func CheckPersistence(ctx context.Context, rdb redis.UniversalClient) (Persistence, error) {
	var p Persistence
	aof, err := rdb.ConfigGet(ctx, "appendonly").Result()
	var save map[string]string
	if err == nil {
		save, err = rdb.ConfigGet(ctx, "save").Result()
	}
	if err == nil {
		p.AOF = aof["appendonly"] == "yes"
		p.Save = strings.TrimSpace(save["save"])
		p.RDB = p.Save != ""
		return p, nil
	}
	p.ConfigRefused = err.Error()
	info, err := rdb.Info(ctx, "persistence").Result()
	if err != nil {
		return p, fmt.Errorf("redis persistence: CONFIG GET: %s; INFO persistence: %w", p.ConfigRefused, err)
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "aof_enabled:"); ok {
			p.AOF = v == "1"
		}
	}
	return p, nil
}

// Warning returns what an operator must be told about p, or "" when Redis
// keeps its data (AOF on, or RDB snapshots).
func (p Persistence) Warning() string {
	const lost = "a Redis restart loses the queued tasks, and the batches in flight stall (callqa status says stalled; " +
		"`callqa enqueue --date D --replan` completes them). Turn AOF on (appendonly yes; see docs/fleet.md)"
	switch {
	case p.AOF, p.RDB:
		return ""
	case p.ConfigRefused != "":
		return "Redis has no AOF (INFO persistence: aof_enabled:0) and refused CONFIG GET save (" + p.ConfigRefused +
			"), so whether it takes RDB snapshots is unknown; without them " + lost
	}
	return "Redis has neither AOF nor RDB persistence (appendonly no, save \"\"): " + lost
}

// LogPersistence checks Redis's persistence and logs it: a warning when
// Redis keeps nothing across a restart (Persistence.Warning), else one
// line at info level. Workers call it at start.
func LogPersistence(ctx context.Context, rdb redis.UniversalClient, logger *slog.Logger) Persistence {
	p, err := CheckPersistence(ctx, rdb)
	switch {
	case err != nil:
		logger.WarnContext(ctx, "could not check Redis persistence: make sure AOF is on (see docs/fleet.md)", "err", err)
	case p.Warning() != "":
		logger.WarnContext(ctx, p.Warning())
	case p.AOF:
		logger.InfoContext(ctx, "redis persistence", "aof", true, "save", p.Save)
	default:
		logger.InfoContext(ctx, "redis persistence: RDB snapshots only: a crash loses the tasks enqueued since the last snapshot (callqa status then says stalled)",
			"save", p.Save)
	}
	return p
}

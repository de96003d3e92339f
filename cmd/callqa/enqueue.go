package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"time"

	"github.com/hibiken/asynq"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/pipeline"
	"github.com/callqa/callqa/storage"
	"github.com/callqa/callqa/worker"
)

const enqueueSynopsis = "enqueue --date YYYY-MM-DD | --key KEY [--force] [--source s3://bucket/prefix|FOLDER] [--scorecard F] [--redis ADDR]"

func cmdEnqueue(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("enqueue", flag.ContinueOnError)
	var ff fleetFlags
	ff.register(fs, e, "redis", "source", "scorecard")
	date := fs.String("date", "", "plan every recording of this day (YYYY-MM-DD; recordings under YYYY/MM/DD/)")
	key := fs.String("key", "", "inspect one recording (its key in the source), on the critical queue")
	force := fs.Bool("force", false, "with --key: inspect again even if the call has a result for this scorecard version")
	queue := fs.String("queue", "", "queue of the call:inspect tasks (default: bulk for --date, critical for --key)")
	pos, err := parseFlags(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return printHelp(e, fs, enqueueSynopsis)
	}
	if err != nil {
		return err
	}
	if len(pos) != 0 || (*date == "") == (*key == "") {
		return usageError(fs, enqueueSynopsis, "enqueue: give exactly one of --date and --key")
	}
	if *force && *key == "" {
		return usageError(fs, enqueueSynopsis, "enqueue: --force goes with --key")
	}
	redisOpt, err := ff.redisOpt()
	if err != nil {
		return err
	}
	spec, err := ff.sourceSpec()
	if err != nil {
		return err
	}
	sc, err := ff.loadScorecard()
	if err != nil {
		return err
	}
	ref := models.ScorecardRef{ID: sc.ID, Version: sc.Version}
	var task *asynq.Task
	var what string
	if *date != "" {
		if err := worker.ParseDate(*date); err != nil {
			return badInput(err)
		}
		what = fmt.Sprintf("plan of %s (batch %s)", *date, worker.BatchID(*date, ref))
		if task, err = worker.NewPlanTask(worker.PlanPayload{Source: spec, Date: *date, Scorecard: ref, Queue: *queue}); err != nil {
			return badInput(err)
		}
	} else {
		q := *queue
		if q == "" {
			q = worker.QueueCritical
		}
		what = "inspection of " + *key
		if task, err = inspectTask(ctx, &ff, spec, *key, ref, q, *force); err != nil {
			return err
		}
	}
	client := asynq.NewClient(redisOpt)
	defer client.Close()
	res, err := worker.Enqueue(ctx, client, task)
	if err != nil {
		return err
	}
	if res == worker.EnqueuedDuplicate {
		fmt.Fprintf(e.stdout, "%s already enqueued (or done within %v): nothing to do\n", what, worker.Retention)
		return nil
	}
	fmt.Fprintf(e.stdout, "%s enqueued\n", what)
	return nil
}

// inspectTask returns the call:inspect task of the recording at key in
// spec, its timeout sized from the recording. A missing recording or an
// invalid task is bad input; a source that cannot be reached is a fault.
func inspectTask(ctx context.Context, ff *fleetFlags, spec, key string, ref models.ScorecardRef, queue string, force bool) (*asynq.Task, error) {
	src, err := ff.openSource(ctx, spec)
	if err != nil {
		return nil, badInput(err)
	}
	rc, err := src.Open(ctx, key)
	if storage.IsNotFound(err) {
		return nil, badInput(fmt.Errorf("enqueue: no recording %s in %s", key, spec))
	}
	if err != nil {
		return nil, fmt.Errorf("enqueue: %w", err)
	}
	// The size scales the task's timeout; unknown (-1) takes the base one.
	size := max(pipeline.StreamSize(rc), 0)
	rc.Close()
	p := worker.InspectPayload{Source: spec, Key: key, Scorecard: ref, Force: force, Size: size}
	if force {
		p.RequestID = strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	task, err := worker.NewInspectTask(p, queue, worker.TimeoutConfig{})
	if err != nil {
		return nil, badInput(err)
	}
	return task, nil
}

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/pipeline"
	"github.com/callqa/callqa/source"
	"github.com/callqa/callqa/worker"
)

const enqueueSynopsis = "enqueue --date YYYY-MM-DD [--replan] | --key KEY [--force] [--source s3://bucket/prefix|FOLDER] [--scorecard F] [--redis ADDR]"

func cmdEnqueue(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("enqueue", flag.ContinueOnError)
	var ff fleetFlags
	ff.register(fs, e, "redis", "source", "scorecard")
	date := fs.String("date", "", "plan every recording of this day (YYYY-MM-DD; recordings under YYYY/MM/DD/)")
	key := fs.String("key", "", "inspect one recording (its key in the source), on the critical queue")
	force := fs.Bool("force", false, "with --key: inspect again even if the call has a result for this scorecard version")
	replan := fs.Bool("replan", false, "with --date: plan the day again even if its plan ran within the last 48 hours: what has no result (late recordings, tasks Redis lost or gave up on) is inspected")
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
	if *replan && *date == "" {
		return usageError(fs, enqueueSynopsis, "enqueue: --replan goes with --date")
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
	client := asynq.NewClient(redisOpt)
	defer client.Close()
	if *date != "" {
		if err := worker.ParseDate(*date); err != nil {
			return badInput(err)
		}
		inspector := asynq.NewInspector(redisOpt)
		defer inspector.Close()
		// The plan task is looked up in the default queue, which asynq's
		// inspector sees only when registered.
		if err := ensureQueues(ctx, redisOpt, inspector); err != nil {
			return err
		}
		return enqueuePlan(ctx, e, client, inspector, worker.PlanPayload{Source: spec, Date: *date, Scorecard: ref, Queue: *queue}, *replan)
	}
	q := *queue
	if q == "" {
		q = worker.QueueCritical
	}
	task, err := inspectTask(ctx, &ff, spec, *key, ref, q, *force)
	if err != nil {
		return err
	}
	res, err := worker.Enqueue(ctx, client, task)
	if err != nil {
		return err
	}
	if res == worker.EnqueuedDuplicate {
		fmt.Fprintf(e.stdout, "inspection of %s already enqueued (or done within %v): nothing to do\n", *key, worker.Retention)
		return nil
	}
	fmt.Fprintf(e.stdout, "inspection of %s enqueued\n", *key)
	return nil
}

// enqueuePlan enqueues the plan of a date (see worker.EnqueuePlan) and
// says what it did: a plan that ran within the retention is planned again
// only with --replan.
func enqueuePlan(ctx context.Context, e *env, client *asynq.Client, insp *asynq.Inspector, p worker.PlanPayload, replan bool) error {
	id := worker.BatchID(p.Date, p.Scorecard)
	what, info, err := worker.EnqueuePlan(ctx, client, insp, p, replan)
	if err != nil {
		return err
	}
	switch what {
	case worker.PlanNew:
		fmt.Fprintf(e.stdout, "plan of %s (batch %s) enqueued: every recording of the day without a result will be inspected\n", p.Date, id)
	case worker.PlanReplanned:
		fmt.Fprintf(e.stdout, "plan of %s (batch %s) enqueued again: the recordings without a result will be inspected\n", p.Date, id)
	case worker.PlanInProgress:
		fmt.Fprintf(e.stdout, "plan of %s (batch %s) already enqueued and not finished (%s): nothing to do\n", p.Date, id, info.State)
	case worker.PlanRan:
		how := "ran"
		if info.State == asynq.TaskStateArchived {
			how = "failed"
		}
		at := info.CompletedAt
		if at.IsZero() {
			at = info.LastFailedAt
		}
		fmt.Fprintf(e.stdout, "plan of %s (batch %s) already %s at %s: nothing enqueued.\n"+
			"To inspect what has no result (recordings uploaded since, tasks Redis lost): callqa enqueue --date %s --replan\n",
			p.Date, id, how, at.Format(time.DateTime), p.Date)
	}
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
	if source.IsNotFound(err) {
		return nil, badInput(fmt.Errorf("enqueue: no recording %s in %s", key, spec))
	}
	if err != nil {
		return nil, fmt.Errorf("enqueue: %w", err)
	}
	// The size scales the task's timeout; unknown (-1) takes the base one.
	size := max(pipeline.StreamSize(rc), 0)
	rc.Close()
	p := worker.InspectPayload{Source: spec, Key: key, Scorecard: ref, Force: force, Size: size}
	if date, ok := keyDate(key); ok {
		// A recording of a day counts in that day's batch, even one
		// uploaded after the day was planned.
		p.BatchID, p.AddToBatch = worker.BatchID(date, ref), true
	}
	if force {
		p.RequestID = strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	task, err := worker.NewInspectTask(p, queue, worker.TimeoutConfig{})
	if err != nil {
		return nil, badInput(err)
	}
	return task, nil
}

// keyDate returns the date of a recording key that starts with its day's
// folder, 2026/11/25/C1.wav -> 2026-11-25, as a plan lists it.
func keyDate(key string) (string, bool) {
	if len(key) < len("2006/01/02/x") || key[4] != '/' || key[7] != '/' || key[10] != '/' {
		return "", false
	}
	date := strings.ReplaceAll(key[:10], "/", "-")
	if worker.ParseDate(date) != nil || worker.DatePrefix(date) != key[:11] {
		return "", false
	}
	return date, true
}

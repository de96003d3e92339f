package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/hibiken/asynq"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/store"
	"github.com/callqa/callqa/worker"
)

const statusSynopsis = "status [--batch ID | --date YYYY-MM-DD] [--json] [--redis ADDR] [--database-url URL]"

func cmdStatus(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	var ff fleetFlags
	ff.register(fs, e, "redis", "db", "scorecard")
	batch := fs.String("batch", "", "batch id (fleet-DATE-SCORECARD-vN)")
	date := fs.String("date", "", "the batch of this date with --scorecard")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseFlags(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return printHelp(e, fs, statusSynopsis)
	}
	if err != nil {
		return err
	}
	if len(pos) != 0 || (*batch != "" && *date != "") {
		return usageError(fs, statusSynopsis, "status: give at most one of --batch and --date")
	}
	redisOpt, err := ff.redisOpt()
	if err != nil {
		return err
	}
	inspector := asynq.NewInspector(redisOpt)
	defer inspector.Close()
	if err := ensureQueues(ctx, redisOpt, inspector); err != nil {
		return err
	}
	if *date != "" {
		if err := worker.ParseDate(*date); err != nil {
			return badInput(err)
		}
		sc, err := ff.loadScorecard()
		if err != nil {
			return err
		}
		*batch = worker.BatchID(*date, models.ScorecardRef{ID: sc.ID, Version: sc.Version})
	}
	if *batch == "" {
		qs, err := worker.Queues(inspector)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(e, qs)
		}
		printQueues(e, qs)
		return nil
	}
	results, err := ff.openStore(ctx, e, store.PoolConfig{})
	if err != nil {
		return err
	}
	defer results.Close()
	st, err := worker.BatchStatus(ctx, inspector, results, *batch)
	if errors.Is(err, store.ErrNotFound) {
		return badInput(fmt.Errorf("status: no batch %s", *batch))
	}
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(e, st)
	}
	fmt.Fprintf(e.stdout, "batch %s (%s, scorecard %s v%d): %s\n", st.Batch.ID, st.Batch.Date,
		st.Batch.Scorecard.ID, st.Batch.Scorecard.Version, batchState(st))
	if st.PlanFailed {
		why := ""
		if st.PlanError != "" {
			why = " (" + e.redact.String(st.PlanError) + ")"
		}
		fmt.Fprintf(e.stdout, "plan failed: the listing stopped after %d recordings%s; the day is incomplete until `callqa requeue --batch %s` re-runs the plan\n",
			st.Total, why, st.Batch.ID)
	}
	if st.Stalled {
		what := fmt.Sprintf("%d of %d recordings have no result", st.Missing, st.Total)
		if !st.Planned {
			what = fmt.Sprintf("the plan did not finish listing the day (%d listed, %d without a result)", st.Total, st.Missing)
		}
		fmt.Fprintf(e.stdout, "stalled: %s and no task of the batch is queued, running or retrying (Redis lost them: a restart without persistence?); `%s` plans what has no result\n",
			what, st.Recover)
	}
	total := "total"
	if !st.Planned {
		total = "listed so far"
	}
	// Calls that failed QA (不合格) are inspected and not passed; tasks
	// retrying hit an error (a transient fault) and are not "failed".
	fmt.Fprintf(e.stdout, "%s %d  done %d  missing %d  inspected %d  unprocessable %d  passed %d  not passed (不合格) %d\n",
		total, st.Total, st.Done, st.Missing, st.Results.Inspected, st.Results.Unprocessable, st.Results.Passed,
		st.Results.Inspected-st.Results.Passed)
	fmt.Fprintf(e.stdout, "tasks: retrying after an error %d  archived %d (unprocessable calls, and errors whose retries ran out: `callqa requeue --list`)\n",
		st.Retrying, st.Archived)
	if st.PassRate != nil {
		fmt.Fprintf(e.stdout, "pass rate %.1f%%\n", *st.PassRate*100)
	}
	if n := len(st.Clashes); n > 0 {
		fmt.Fprintf(e.stdout, "call_id clash: %d call id(s) carried by more than one recording, each stored and counted as its own call (callqa report --list clashes):\n", n)
		for _, c := range st.Clashes[:min(n, 10)] {
			keys := make([]string, len(c.Recordings))
			for i, r := range c.Recordings {
				keys[i] = r.Recording
			}
			fmt.Fprintf(e.stdout, "  %s  %s\n", c.CallID, strings.Join(keys, ", "))
		}
	}
	printQueues(e, st.Queues)
	return nil
}

// batchState is the one-word state of a batch in status's text output.
func batchState(st *worker.Status) string {
	switch {
	case st.PlanFailed:
		return "plan failed"
	case st.Planning:
		return "planning"
	case st.Complete:
		return "complete"
	case st.Stalled:
		return "stalled"
	case !st.Planned:
		return "not planned"
	}
	return "running"
}

func printQueues(e *env, qs []worker.QueueStatus) {
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "queue\tpending\tactive\tscheduled\tretry\tarchived\tcompleted")
	for _, q := range qs {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\n", q.Queue, q.Pending, q.Active, q.Scheduled, q.Retry, q.Archived, q.Completed)
	}
	tw.Flush()
}

func writeJSON(e *env, v any) error {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

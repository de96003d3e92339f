package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"text/tabwriter"

	"github.com/hibiken/asynq"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/storage"
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
	store, err := ff.openStore(ctx, e)
	if err != nil {
		return err
	}
	defer store.Close()
	st, err := worker.BatchStatus(ctx, inspector, store, *batch)
	if storage.IsNotFound(err) {
		return badInput(fmt.Errorf("status: no batch %s", *batch))
	}
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(e, st)
	}
	state := "running"
	switch {
	case st.Planning:
		state = "planning"
	case st.Complete:
		state = "complete"
	}
	fmt.Fprintf(e.stdout, "batch %s (%s, scorecard %s v%d): %s\n", st.Batch.ID, st.Batch.Date,
		st.Batch.Scorecard.ID, st.Batch.Scorecard.Version, state)
	fmt.Fprintf(e.stdout, "total %d  done %d  inspected %d  unprocessable %d  passed %d  retrying %d  archived %d\n",
		st.Total, st.Done, st.Results.Inspected, st.Results.Unprocessable, st.Results.Passed, st.Retrying, st.Archived)
	if st.PassRate != nil {
		fmt.Fprintf(e.stdout, "pass rate %.1f%%\n", *st.PassRate*100)
	}
	printQueues(e, st.Queues)
	return nil
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

package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"text/tabwriter"

	"github.com/hibiken/asynq"

	"github.com/callqa/callqa/worker"
)

const requeueSynopsis = "requeue [--batch ID] [--list] [TASK_ID...] [--redis ADDR]"

func cmdRequeue(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("requeue", flag.ContinueOnError)
	var ff fleetFlags
	ff.register(fs, e, "redis")
	batch := fs.String("batch", "", "only the archived tasks of this batch")
	list := fs.Bool("list", false, "list the archived tasks instead of re-queuing them")
	pos, err := parseFlags(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return printHelp(e, fs, requeueSynopsis)
	}
	if err != nil {
		return err
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
	if *list {
		tasks, err := worker.Archived(inspector, *batch)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "task id\tqueue\ttype\tkey\tfailed at\tlast error")
		for _, t := range tasks {
			var p worker.InspectPayload
			json.Unmarshal(t.Payload, &p)
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Queue, t.Type, p.Key,
				t.LastFailedAt.Format("2006-01-02 15:04:05"), e.redact.String(t.LastErr))
		}
		return tw.Flush()
	}
	n, err := worker.Requeue(inspector, *batch, pos)
	fmt.Fprintf(e.stdout, "re-queued %d archived task(s)\n", n)
	if errors.Is(err, worker.ErrNotArchived) {
		return badInput(err)
	}
	return err
}

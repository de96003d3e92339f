package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/worker"
)

const schedulerSynopsis = `scheduler [--cron "0 1 * * *"] [--tz Asia/Shanghai] [--days-ago 1] [--source ...] [--scorecard F] [--redis ADDR]`

func cmdScheduler(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("scheduler", flag.ContinueOnError)
	var ff fleetFlags
	ff.register(fs, e, "redis", "source", "scorecard")
	cron := fs.String("cron", fleetEnv(e, "CALLQA_CRON", "0 1 * * *"), "when to plan, as a cron spec in --tz (env CALLQA_CRON)")
	tz := fs.String("tz", fleetEnv(e, "CALLQA_TZ", "Asia/Shanghai"), "time zone of --cron and of the dates (env CALLQA_TZ)")
	daysAgo := fs.Int("days-ago", 1, "plan the day this many days before the run (1: yesterday)")
	pos, err := parseFlags(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return printHelp(e, fs, schedulerSynopsis)
	}
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usageError(fs, schedulerSynopsis, "scheduler: unexpected arguments")
	}
	if *daysAgo < 1 {
		return badInput(fmt.Errorf("--days-ago %d: want 1 or more", *daysAgo))
	}
	loc, err := time.LoadLocation(*tz)
	if err != nil {
		return badInput(fmt.Errorf("--tz: %w", err))
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
	task, err := worker.NewNightlyTask(worker.NightlyPayload{Source: spec, DaysAgo: *daysAgo, TZ: *tz,
		Scorecard: models.ScorecardRef{ID: sc.ID, Version: sc.Version}})
	if err != nil {
		return badInput(err)
	}
	// Every scheduler enqueues its own batch:nightly task; the plan each
	// one then enqueues has a TaskID made of the date and the scorecard
	// version, so that however many schedulers run, a date is planned once.
	s := asynq.NewScheduler(redisOpt, &asynq.SchedulerOpts{
		Location: loc,
		Logger:   worker.NewAsynqLogger(e.logger),
		LogLevel: asynq.WarnLevel,
		PostEnqueueFunc: func(info *asynq.TaskInfo, err error) {
			if err != nil {
				e.logger.Error("scheduler: enqueue failed", "err", err)
				return
			}
			e.logger.Info("scheduler: nightly task enqueued", "task_id", info.ID)
		},
	})
	id, err := s.Register(*cron, task)
	if err != nil {
		return badInput(fmt.Errorf("--cron %q: %w", *cron, err))
	}
	if err := s.Start(); err != nil {
		return fmt.Errorf("scheduler: %w", err)
	}
	e.logger.Info("scheduler started", "entry", id, "cron", *cron, "tz", *tz, "source", spec)
	<-ctx.Done()
	s.Shutdown()
	return nil
}

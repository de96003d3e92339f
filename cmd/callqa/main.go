// Command callqa inspects hotline call recordings: one call (inspect, probe),
// a day of calls on one machine (run, report), a fleet of queue workers
// (worker, enqueue, scheduler, status, requeue) and the review workbench
// (serve). It is the only place that reads flags and the environment.
//
// Every command takes --log-level (debug, info, warn, error) and
// --log-format (text, json), or CALLQA_LOG_LEVEL and CALLQA_LOG_FORMAT.
//
// It is one package of about 3,000 lines, above the house's 1,500, on
// purpose: one binary, one file per command, sharing the flag parsing,
// the environment and the exit codes; nothing here is reused elsewhere.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/callqa/callqa/models"
)

// Exit codes: 0 success, 1 failure (a fault to retry or a bug), 2 bad input
// (unreadable recording, invalid scorecard, wrong usage).
const (
	exitOK       = 0
	exitFailure  = 1
	exitBadInput = 2
)

// env bundles what a command may touch of the outside world, so that tests
// can run commands in-process.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// logger is nil until run builds it from --log-level, --log-format
	// and the environment (tests may set their own).
	logger *slog.Logger
	// redact masks the secrets read through getenv in error messages
	// (and, through logger, in logs); run sets it.
	redact *redactor
}

const usage = `callqa: speech-analytics quality inspection for hotline calls

usage: callqa <command> [flags] [args]

one call:
  inspect RECORDING    inspect one call and print its findings and score
  probe RECORDING      describe a recording (format, duration, levels)
  scorecard check FILE validate a scorecard and print its rules

a day of calls on this machine:
  run SOURCE           inspect every recording under SOURCE (a folder)
  report               pass rates from the results database
  show RECORDING       a stored result in full, as inspect --json prints it
  rollup rebuild       recompute the per-day figures reports read

fleet:
  worker               process inspection tasks from Redis
  enqueue              plan a day's inspection on the queue
  scheduler            enqueue every night on a cron schedule
  status               progress of a batch
  requeue              re-queue archived tasks

review workbench:
  serve                start the web workbench
  user add|list|disable|enable|passwd
                       manage workbench users

Run 'callqa <command> -h' for a command's flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	e := &env{
		stdin:  os.Stdin,
		stdout: os.Stdout,
		stderr: os.Stderr,
		getenv: os.Getenv,
	}
	code := run(ctx, e, os.Args[1:])
	stop()
	os.Exit(code)
}

// run dispatches to a command and maps its error to an exit code. The
// secrets the command reads from the environment are masked in its logs
// and in the error it ends with.
func run(ctx context.Context, e *env, args []string) int {
	if e.logger == nil && len(args) > 0 {
		// Logs, the progress bar and messages share stderr through one
		// lineWriter, so that a log line never lands inside the bar.
		ls, err := logSettingsFor(e, args[0], args[1:], isTerminal(e.stderr))
		if err != nil {
			fmt.Fprintf(e.stderr, "callqa: %s\n", err)
			return exitBadInput
		}
		withLogger := *e
		lw := &lineWriter{w: e.stderr}
		withLogger.stderr, withLogger.logger = lw, newLogger(lw, ls)
		e = &withLogger
	}
	if e.logger == nil {
		e.logger = slog.New(slog.DiscardHandler)
	}
	r := &redactor{}
	masked := *e
	masked.redact = r
	masked.getenv = r.getenv(e.getenv)
	masked.logger = slog.New(redactHandler{next: e.logger.Handler(), r: r})
	e = &masked
	if len(args) == 0 {
		fmt.Fprint(e.stderr, usage)
		return exitBadInput
	}
	cmd, rest := args[0], args[1:]
	var err error
	switch cmd {
	case "inspect":
		err = cmdInspect(ctx, e, rest)
	case "probe":
		err = cmdProbe(ctx, e, rest)
	case "scorecard":
		err = cmdScorecard(ctx, e, rest)
	case "run":
		err = cmdRun(ctx, e, rest)
	case "report":
		err = cmdReport(ctx, e, rest)
	case "worker":
		err = cmdWorker(ctx, e, rest)
	case "enqueue":
		err = cmdEnqueue(ctx, e, rest)
	case "scheduler":
		err = cmdScheduler(ctx, e, rest)
	case "status":
		err = cmdStatus(ctx, e, rest)
	case "requeue":
		err = cmdRequeue(ctx, e, rest)
	// Further commands are added here, one case each.
	case "serve":
		err = cmdServe(ctx, e, rest)
	case "user":
		err = cmdUser(ctx, e, rest)
	case "rollup":
		err = cmdRollup(ctx, e, rest)
	case "show":
		err = cmdShow(ctx, e, rest)
	case "help", "-h", "--help":
		fmt.Fprint(e.stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(e.stderr, "callqa: unknown command %q\n\n%s", cmd, usage)
		return exitBadInput
	}
	return exitCode(e, err)
}

// exitCode prints err (if any) on one line and returns the exit code.
func exitCode(e *env, err error) int {
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errSilentExit):
		return exitBadInput
	case errors.Is(err, models.ErrBadInput):
		fmt.Fprintf(e.stderr, "callqa: %s\n", e.redact.String(err.Error()))
		return exitBadInput
	default:
		fmt.Fprintf(e.stderr, "callqa: %s\n", e.redact.String(err.Error()))
		return exitFailure
	}
}

// errSilentExit ends a command with exit code 2 when the command has already
// reported the problem itself (e.g. an unprocessable result printed as JSON).
var errSilentExit = errors.New("silent exit")

// badInput marks err as bad input (models.ErrBadInput): exit code 2.
func badInput(err error) error { return models.BadInput(err) }

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/callqa/callqa/batch"
	"github.com/callqa/callqa/pipeline"
	"github.com/callqa/callqa/scorecards"
	"github.com/callqa/callqa/source"
	"github.com/callqa/callqa/store"
)

const runSynopsis = "run SOURCE [--date YYYY-MM-DD | --prefix P] [--scorecard F] [--db FILE] [--workers N] [--force] [--tz ZONE] " + asrSynopsis

// cmdRun inspects every recording of a folder (or one day of it) on this
// machine and stores the results.
func cmdRun(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	date := fs.String("date", "", "inspect one day: the recordings under SOURCE/YYYY/MM/DD")
	prefix := fs.String("prefix", "", "inspect the recordings under this sub-folder of SOURCE (instead of --date)")
	scorecardPath := fs.String("scorecard", envOr(e, "CALLQA_SCORECARD", ""), "scorecard YAML (default: the built-in "+scorecards.DefaultName+"; env CALLQA_SCORECARD)")
	db := fs.String("db", envOr(e, "CALLQA_DATABASE_URL", "callqa.db"), "results database: a SQLite file or postgres://... (env CALLQA_DATABASE_URL)")
	workers := fs.Int("workers", 0, "calls inspected at once (default: the number of CPUs)")
	force := fs.Bool("force", false, "inspect again the calls already inspected with this scorecard version (unprocessable ones are always tried again)")
	tz := zoneFlag(fs, e)
	var asr asrFlags
	asr.register(fs, e)
	pos, err := parseFlags(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return printHelp(e, fs, runSynopsis)
	}
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError(fs, runSynopsis, "run: expected one SOURCE folder")
	}
	if *date != "" && *prefix != "" {
		return usageError(fs, runSynopsis, "run: --date and --prefix exclude each other")
	}
	p := strings.Trim(filepath.ToSlash(*prefix), "/")
	if *date != "" {
		d, err := time.Parse(time.DateOnly, *date)
		if err != nil {
			return badInput(fmt.Errorf("run: --date %q: want YYYY-MM-DD", *date))
		}
		p = d.Format("2006/01/02")
	}
	if *workers < 0 {
		return badInput(fmt.Errorf("run: --workers must be >= 0, got %d", *workers))
	}
	loc, err := parseZone("run", *tz)
	if err != nil {
		return err
	}

	src, err := source.NewLocal(pos[0])
	if err != nil {
		return badInput(fmt.Errorf("run: %w", err))
	}
	sc, err := scorecards.Load(*scorecardPath)
	if err != nil {
		return badInput(err)
	}
	tr, err := asr.transcriber(e)
	if err != nil {
		return badInput(err)
	}
	eng, err := pipeline.NewEngine(sc, pipeline.Config{Transcriber: tr}, e.logger)
	if err != nil {
		return badInput(err)
	}
	st, err := store.Open(ctx, *db, store.Options{Logger: e.logger, Location: loc})
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}
	defer st.Close()

	cfg := batch.Config{
		Workers:     *workers,
		Force:       *force,
		Logger:      e.logger,
		Progress:    e.stderr,
		ProgressBar: isTerminal(e.stderr),
		SourceName:  src.Root(),
		Date:        *date,
		ListFlags:   reportDBFlag(fs, *db),
	}
	sum, err := batch.Run(ctx, cfg, src, p, eng, st)
	if sum != nil {
		if werr := sum.WriteText(e.stdout); werr != nil && err == nil {
			err = werr
		}
	}
	switch {
	case err != nil && ctx.Err() != nil:
		return fmt.Errorf("run interrupted: run the same command again to inspect the remaining calls")
	case err != nil:
		return fmt.Errorf("run: %w", err)
	case sum.Batch.Total == 0:
		return badInput(fmt.Errorf("run: no recordings (.wav) under %s", filepath.Join(src.Root(), filepath.FromSlash(p))))
	case sum.Batch.Failed > 0:
		return fmt.Errorf("run: %d %s: a transient fault, not stored: run again to retry", sum.Batch.Failed, plural(sum.Batch.Failed, "call had an error", "calls had errors"))
	}
	return nil
}

// reportDBFlag is the --db flag that `callqa report` needs to read the
// database this run wrote: none when it came from the default or the
// environment (report reads them too), and none for a PostgreSQL URL (it
// may hold a password; such a URL belongs in CALLQA_DATABASE_URL).
func reportDBFlag(fs *flag.FlagSet, db string) string {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == "db" })
	if !set || strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://") {
		return ""
	}
	return "--db " + shellQuote(db)
}

// shellQuote quotes s for a POSIX shell when it holds anything but
// letters, digits and -_./:=+@%,.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=+@%,", r)))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// isTerminal reports whether w is a terminal (draw a progress bar) rather
// than a file or a pipe (write plain lines).
func isTerminal(w any) bool {
	f, ok := w.(interface{ Fd() uintptr }) // an *os.File, or a lineWriter over one
	return ok && term.IsTerminal(int(f.Fd()))
}

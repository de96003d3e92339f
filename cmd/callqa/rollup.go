package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/callqa/callqa/store"
)

const rollupSynopsis = `rollup rebuild [--db URL]`

// cmdRollup maintains the per-day aggregates reports read: "rollup
// rebuild" recomputes them from the results, reviews and verdicts (after
// a restore, or rows changed by hand). Every write callqa makes keeps them
// in step; opening a database of an earlier version builds them once.
func cmdRollup(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Fprintf(e.stdout, "usage: callqa %s\n", rollupSynopsis)
		return nil
	}
	if len(args) == 0 || args[0] != "rebuild" {
		return badInput(fmt.Errorf("usage: callqa %s", rollupSynopsis))
	}
	fs := flag.NewFlagSet("rollup rebuild", flag.ContinueOnError)
	db := fs.String("db", envOr(e, "CALLQA_DATABASE_URL", "callqa.db"), "results database: a SQLite file or postgres://... (env CALLQA_DATABASE_URL)")
	pos, err := parseFlags(fs, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return printHelp(e, fs, rollupSynopsis)
	}
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usageError(fs, rollupSynopsis, "rollup rebuild takes no arguments")
	}
	st, err := store.Open(ctx, *db, store.Options{Logger: e.logger})
	if err != nil {
		return fmt.Errorf("results store: %w", err)
	}
	defer st.Close()
	start := time.Now()
	if err := st.RebuildRollups(ctx); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "rollups rebuilt in %s\n", time.Since(start).Round(time.Millisecond))
	return nil
}

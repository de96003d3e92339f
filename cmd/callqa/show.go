package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"

	"github.com/callqa/callqa/pipeline"
	"github.com/callqa/callqa/store"
)

const showSynopsis = "show [--db URL] [--source DIR|s3://bucket/prefix] [--scorecard-id ID [--scorecard-version N]] RECORDING"

// cmdShow prints a stored result in full, as inspect --json printed it:
// the results store keeps a compact form and leaves out what is kept
// beside the recording (the level envelope, recomputed from the audio; a
// transcript read from its sidecars), which show reads again from
// --source. What cannot be read again is said on stderr and left out.
func cmdShow(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("show", flag.ContinueOnError)
	var ff fleetFlags
	ff.register(fs, e, "source")
	db := fs.String("db", envOr(e, "CALLQA_DATABASE_URL", "callqa.db"), "results database: a SQLite file or postgres://... (env CALLQA_DATABASE_URL)")
	scID := fs.String("scorecard-id", "", "the scorecard of the result (default: the newest result of the recording, any scorecard)")
	scVersion := fs.Int("scorecard-version", 0, "the scorecard version of the result (default: the newest)")
	pos, err := parseFlags(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return printHelp(e, fs, showSynopsis)
	}
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError(fs, showSynopsis, "show: expected one RECORDING (its key, as reports list it)")
	}
	if *scVersion < 0 || (*scVersion > 0 && *scID == "") {
		return usageError(fs, showSynopsis, "--scorecard-version needs --scorecard-id and must be positive")
	}
	if ff.source == "" {
		ff.source = "samples"
	}
	spec, err := ff.sourceSpec()
	if err != nil {
		return err
	}
	src, err := ff.openSource(ctx, spec)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, *db, store.Options{Logger: e.logger})
	if err != nil {
		return fmt.Errorf("results store: %w", err)
	}
	defer st.Close()
	res, err := st.LatestResult(ctx, pos[0], *scID, *scVersion)
	if errors.Is(err, store.ErrNotFound) {
		return badInput(fmt.Errorf("show: no result of %s in %s", pos[0], *db))
	}
	if err != nil {
		return err
	}
	notes, err := pipeline.Restore(ctx, src, res)
	if err != nil {
		return err
	}
	for _, n := range notes {
		fmt.Fprintf(e.stderr, "callqa show: %s: %s\n", pos[0], n)
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(res); err != nil {
		return fmt.Errorf("show: write json: %w", err)
	}
	return nil
}

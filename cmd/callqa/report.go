package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/report"
	"github.com/callqa/callqa/storage"
)

const reportSynopsis = "report [--db FILE] [--from D --to D] [--by day|month|team|agent|queue|rule | --indicator [--target 95%] [--weight 10] | --list calls|unprocessable|clashes [--team T] [--agent ID] [--queue Q] [--rule RULE] [--failed]] [--format table|csv|json|xlsx] [-o FILE]"

// Listings of --list.
const (
	listCalls         = "calls"
	listUnprocessable = "unprocessable"
	listClashes       = "clashes"
)

// cmdReport prints pass rates, rule hit rates, the evaluation indicator or
// the calls behind them from the results database.
func cmdReport(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	db := fs.String("db", envOr(e, "CALLQA_DATABASE_URL", "callqa.db"), "results database: a SQLite file or postgres://... (env CALLQA_DATABASE_URL)")
	from := fs.String("from", "", "first call date, YYYY-MM-DD (default: open)")
	to := fs.String("to", "", "last call date, YYYY-MM-DD (default: open)")
	by := fs.String("by", "day", "group by day, month, team, agent, queue, or rule (rule hit rates)")
	indicator := fs.Bool("indicator", false, "write the annual-evaluation indicator row ("+report.IndicatorName+") instead")
	target := fs.String("target", "95%", "indicator target pass rate: 95%, 95 or 0.95")
	weight := fs.Float64("weight", report.DefaultWeight, "indicator weight (points)")
	format := fs.String("format", "", "table, csv, json or xlsx (default: from -o's extension, else table)")
	out := fs.String("o", "", "write to FILE instead of standard output")
	scID := fs.String("scorecard-id", "", "scorecard id (default: the scorecard most recently used in the results; calls of the range with results only under other versions are counted in a note)")
	scVersion := fs.Int("scorecard-version", 0, "scorecard version (with --scorecard-id; default: the newest in the results)")
	list := fs.String("list", "", "list the calls behind the figures, one row per call: calls (inspected), unprocessable (with the reason) or clashes (call ids that more than one recording carries)")
	team := fs.String("team", "", "with --list: only the calls of this team (--team '' for calls without one)")
	agent := fs.String("agent", "", "with --list: only the calls of this agent id (--agent '' for calls without one)")
	queue := fs.String("queue", "", "with --list: only the calls of this queue (--queue '' for calls without one)")
	rule := fs.String("rule", "", "with --list calls: only the calls with a finding of this rule id")
	failed := fs.Bool("failed", false, "with --list calls: only the calls that did not pass")
	pos, err := parseFlags(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return printHelp(e, fs, reportSynopsis)
	}
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usageError(fs, reportSynopsis, "report: unexpected argument "+pos[0])
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var lo report.ListOptions
	switch *list {
	case "":
		for _, name := range []string{"team", "agent", "queue", "rule", "failed"} {
			if set[name] {
				return usageError(fs, reportSynopsis, "report: --"+name+" needs --list calls or --list unprocessable")
			}
		}
	case listClashes:
		switch {
		case *indicator:
			return usageError(fs, reportSynopsis, "report: --list and --indicator exclude each other")
		case set["by"]:
			return usageError(fs, reportSynopsis, "report: --list and --by exclude each other")
		}
		for _, name := range []string{"team", "agent", "queue", "rule", "failed"} {
			if set[name] {
				return usageError(fs, reportSynopsis, "report: --"+name+" does not apply to --list clashes")
			}
		}
	case listCalls, listUnprocessable:
		switch {
		case *indicator:
			return usageError(fs, reportSynopsis, "report: --list and --indicator exclude each other")
		case set["by"]:
			return usageError(fs, reportSynopsis, "report: --list and --by exclude each other")
		case *list == listUnprocessable && (set["rule"] || set["failed"]):
			return usageError(fs, reportSynopsis, "report: --rule and --failed select inspected calls: use them with --list calls")
		}
		lo = report.ListOptions{Rule: *rule, FailedOnly: *failed}
		if set["team"] {
			lo.Team = team
		}
		if set["agent"] {
			lo.Agent = agent
		}
		if set["queue"] {
			lo.Queue = queue
		}
	default:
		return usageError(fs, reportSynopsis, fmt.Sprintf("report: unknown --list %q (want calls, unprocessable or clashes)", *list))
	}
	if *format == "" {
		*format = report.FormatTable
		if ext := strings.TrimPrefix(strings.ToLower(filepath.Ext(*out)), "."); slices.Contains(report.Formats, ext) {
			*format = ext
		}
	}
	if !slices.Contains(report.Formats, *format) {
		return usageError(fs, reportSynopsis, fmt.Sprintf("report: unknown --format %q", *format))
	}
	if *format == report.FormatXLSX && *out == "" && isTerminal(e.stdout) {
		return badInput(errors.New("report: --format xlsx needs -o FILE (or a redirection)"))
	}
	groupings := []string{report.ByDay, report.ByMonth, report.ByTeam, report.ByAgent, report.ByQueue, "rule"}
	if !slices.Contains(groupings, *by) {
		return usageError(fs, reportSynopsis, fmt.Sprintf("report: unknown --by %q", *by))
	}
	tgt, err := parseTarget(*target)
	if err != nil {
		return badInput(err)
	}
	opts := report.Options{From: *from, To: *to}
	if *scID != "" {
		opts.Scorecard = models.ScorecardRef{ID: *scID, Version: *scVersion}
	} else if *scVersion != 0 {
		return badInput(errors.New("report: --scorecard-version needs --scorecard-id"))
	}
	if err := opts.Validate(); err != nil {
		return badInput(err)
	}
	ind := report.IndicatorOptions{Target: tgt, Weight: *weight}
	if err := ind.Validate(); err != nil {
		return badInput(err)
	}
	if *weight == 0 {
		return badInput(errors.New("report: --weight must be > 0"))
	}
	st, err := storage.OpenStore(ctx, *db, e.logger)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	defer st.Close()
	if *scID != "" && *scVersion == 0 {
		if opts.Scorecard.Version, err = newestVersion(ctx, st, *scID); err != nil {
			return err
		}
	}
	var rep report.Report
	switch {
	case *list == listCalls:
		rep, err = report.Calls(ctx, st, opts, lo)
	case *list == listUnprocessable:
		rep, err = report.Unprocessable(ctx, st, opts, lo)
	case *list == listClashes:
		rep, err = report.Clashes(ctx, st, opts)
	case *indicator:
		rep, err = report.Indicator(ctx, st, opts, ind)
	case *by == "rule":
		rep, err = report.RuleHits(ctx, st, opts)
	default:
		rep, err = report.PassRates(ctx, st, opts, *by)
	}
	if storage.IsNotFound(err) {
		return badInput(fmt.Errorf("%w (database %s)", err, *db))
	}
	if errors.Is(err, report.ErrRangeTooLong) {
		return badInput(err)
	}
	if err != nil {
		return err
	}
	if *out == "" {
		return report.Write(e.stdout, *format, rep)
	}
	f, err := os.Create(*out)
	if err != nil {
		return badInput(fmt.Errorf("report: %w", err))
	}
	if err := report.Write(f, *format, rep); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	fmt.Fprintf(e.stderr, "report written to %s\n", *out)
	return nil
}

// newestVersion returns the newest version of scorecard id in the results.
func newestVersion(ctx context.Context, st *storage.Store, id string) (int, error) {
	us, err := st.Scorecards(ctx)
	if err != nil {
		return 0, fmt.Errorf("report: %w", err)
	}
	best := 0
	for _, u := range us {
		if u.Scorecard.ID == id && u.Scorecard.Version > best {
			best = u.Scorecard.Version
		}
	}
	if best == 0 {
		return 0, badInput(fmt.Errorf("report: no results with scorecard %q", id))
	}
	return best, nil
}

// parseTarget reads "95%", "95" or "0.95" as the ratio 0.95.
func parseTarget(s string) (float64, error) {
	t := strings.TrimSpace(s)
	pct := strings.HasSuffix(t, "%")
	v, err := strconv.ParseFloat(strings.TrimSuffix(t, "%"), 64)
	if err != nil || !(v > 0) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("report: --target %q: want a pass rate such as 95%%, 95 or 0.95", s)
	}
	if pct || v > 1 {
		v /= 100
	}
	if v > 1 {
		return 0, fmt.Errorf("report: --target %q: above 100%%", s)
	}
	return v, nil
}

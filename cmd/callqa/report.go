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

	"golang.org/x/crypto/bcrypt"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/report"
	"github.com/callqa/callqa/scorecards"
	"github.com/callqa/callqa/store"
	"github.com/callqa/callqa/workbench"
)

const reportSynopsis = "report [--db FILE] [--from D --to D] [--by day|month|team|agent|queue|rule | --indicator [--by day|month|team|agent|queue] [--target [NAME=]VALUE]... [--weight [NAME=]VALUE]... [--spend YUAN] [--satisfaction-basic=false] [--scorecard F] | --list calls|unprocessable|clashes [--team T] [--agent ID] [--queue Q] [--rule RULE] [--failed]] [--format table|csv|json|xlsx] [-o FILE]"

// Listings of --list.
const (
	listCalls         = "calls"
	listUnprocessable = "unprocessable"
	listClashes       = "clashes"
)

// cmdReport prints pass rates, rule hit rates, the evaluation indicators or
// the calls behind them from the results database.
func cmdReport(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	db := fs.String("db", envOr(e, "CALLQA_DATABASE_URL", "callqa.db"), "results database: a SQLite file or postgres://... (env CALLQA_DATABASE_URL)")
	from := fs.String("from", "", "first call date, YYYY-MM-DD (default: open)")
	to := fs.String("to", "", "last call date, YYYY-MM-DD (default: open)")
	by := fs.String("by", "day", "group by day, month, team, agent, queue, or rule (rule hit rates)")
	indicator := fs.Bool("indicator", false, "write the annual-evaluation indicator rows instead: "+indicatorNames()+" (with --by: per group, then the total)")
	var targets, weights namedValues
	fs.Var(&targets, "target", "with --indicator: an indicator's target, NAME=VALUE, repeatable; NAME is "+indicatorKeys()+
		" (or the Chinese name); a rate as 95%, 95 or 0.95, the cost in yuan per answered hour; a bare VALUE is the pass rate's. Defaults: "+indicatorDefaults("target"))
	fs.Var(&weights, "weight", "with --indicator: an indicator's weight in points, NAME=VALUE, repeatable; a bare VALUE is the pass rate's. Defaults: "+indicatorDefaults("weight"))
	spend := fs.Float64("spend", 0, "with --indicator: the project's spend over the range, in yuan, for 成本控制情况 (cost per answered hour)")
	satisfactionBasic := fs.Bool("satisfaction-basic", true, "with --indicator: count 基本满意 as satisfied in 综合满意率 (false: only 满意)")
	scorecardPath := fs.String("scorecard", "", "with --indicator: the scorecard YAML of the report's results, for the reviewed pass rate (default: the built-in "+scorecards.DefaultName+" when the results are of its id and version)")
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
	if !*indicator {
		for _, name := range []string{"target", "weight", "spend", "satisfaction-basic", "scorecard"} {
			if set[name] {
				return usageError(fs, reportSynopsis, "report: --"+name+" needs --indicator")
			}
		}
	}
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
	var ind report.IndicatorOptions
	if *indicator {
		if set["by"] {
			if *by == "rule" {
				return usageError(fs, reportSynopsis, "report: --indicator groups by day, month, team, agent or queue, not rule")
			}
			ind.By = *by
		}
		if ind.Targets, err = targets.parse("target", parseIndicatorTarget); err != nil {
			return badInput(err)
		}
		if ind.Weights, err = weights.parse("weight", parseWeight); err != nil {
			return badInput(err)
		}
		if *spend < 0 || math.IsNaN(*spend) || math.IsInf(*spend, 0) {
			return badInput(fmt.Errorf("report: --spend %v: want the yuan spent over the range, >= 0", *spend))
		}
		ind.Spend, ind.OnlySatisfied = *spend, !*satisfactionBasic
		if err := ind.Validate(); err != nil {
			return badInput(err)
		}
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
	var card *models.Scorecard
	if *scorecardPath != "" {
		if card, err = scorecards.Load(*scorecardPath); err != nil {
			return badInput(err)
		}
	}
	st, err := store.Open(ctx, *db, store.Options{Logger: e.logger})
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
		if err = reviewedScorecard(ctx, st, opts.Scorecard, card, &ind); err == nil {
			rep, err = report.Indicators(ctx, st, opts, ind)
		}
	case *by == "rule":
		rep, err = report.RuleHits(ctx, st, opts)
	default:
		rep, err = report.PassRates(ctx, st, opts, *by)
	}
	if errors.Is(err, store.ErrNotFound) {
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
func newestVersion(ctx context.Context, st *store.Store, id string) (int, error) {
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

// parseTarget reads a rate given as "95%", "95" or "0.95" as the ratio
// 0.95: with a percent sign, or above 1, it is a percentage.
func parseTarget(s string) (float64, error) {
	t := strings.TrimSpace(s)
	pct := strings.HasSuffix(t, "%")
	v, err := strconv.ParseFloat(strings.TrimSuffix(t, "%"), 64)
	if err != nil || !(v > 0) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("want a rate such as 95%%, 95 or 0.95")
	}
	if pct || v > 1 {
		v /= 100
	}
	if v > 1 {
		return 0, fmt.Errorf("above 100%%")
	}
	return v, nil
}

// parseIndicatorTarget reads the target of indicator d: a rate
// (parseTarget) or, for the cost, yuan per answered hour.
func parseIndicatorTarget(d report.IndicatorDef, s string) (float64, error) {
	if d.Unit == report.UnitRatio {
		return parseTarget(s)
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || !(v > 0) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("want yuan per answered hour, such as 100")
	}
	return v, nil
}

// parseWeight reads an indicator's weight in points.
func parseWeight(_ report.IndicatorDef, s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("want points, a number >= 0")
	}
	return v, nil
}

// namedValues collects the values of a repeatable NAME=VALUE flag.
type namedValues []string

func (n *namedValues) String() string     { return strings.Join(*n, ",") }
func (n *namedValues) Set(v string) error { *n = append(*n, v); return nil }

// parse reads each NAME=VALUE (a bare VALUE is the pass rate's, as before
// there were other indicators) into a map by indicator key.
func (n namedValues) parse(flagName string, value func(report.IndicatorDef, string) (float64, error)) (map[string]float64, error) {
	out := map[string]float64{}
	for _, arg := range n {
		name, v, ok := strings.Cut(arg, "=")
		if !ok {
			name, v = report.IndicatorPass, arg
		}
		d, known := report.IndicatorDefByName(strings.TrimSpace(name))
		if !known {
			return nil, fmt.Errorf("report: --%s %q: unknown indicator %q (want %s)", flagName, arg, name, indicatorKeys())
		}
		x, err := value(d, v)
		if err != nil {
			return nil, fmt.Errorf("report: --%s %q: %v", flagName, arg, err)
		}
		out[d.Key] = x
	}
	return out, nil
}

func indicatorKeys() string {
	var keys []string
	for _, d := range report.IndicatorDefs {
		keys = append(keys, d.Key)
	}
	return strings.Join(keys, ", ")
}

func indicatorNames() string {
	var names []string
	for _, d := range report.IndicatorDefs {
		names = append(names, d.Name)
	}
	return strings.Join(names, ", ")
}

// indicatorDefaults lists the default targets or weights.
func indicatorDefaults(what string) string {
	var parts []string
	for _, d := range report.IndicatorDefs {
		v := strconv.FormatFloat(d.Weight, 'f', -1, 64)
		if what == "target" {
			v = strconv.FormatFloat(d.Target, 'f', -1, 64)
			if d.Unit == report.UnitRatio {
				v = strconv.FormatFloat(d.Target*100, 'f', -1, 64) + "%"
			}
		}
		parts = append(parts, d.Key+"="+v)
	}
	return strings.Join(parts, ", ")
}

// reviewedScorecard sets what the reviewed pass rate needs in ind: the
// scorecard of the report's results (ref, or the newest in the store) and
// the reviews. card is the one given with --scorecard (nil: the built-in
// one, used only when it is of the results' id and version; otherwise the
// reviewed pass rate is left out, with the reason).
func reviewedScorecard(ctx context.Context, st *store.Store, ref models.ScorecardRef, card *models.Scorecard, ind *report.IndicatorOptions) error {
	if ref.ID == "" {
		latest, err := st.LatestScorecard(ctx)
		if err != nil {
			return err
		}
		ref = latest
	}
	if card != nil && (card.ID != ref.ID || card.Version != ref.Version) {
		return badInput(fmt.Errorf("report: --scorecard is %s v%d, the report's results are %s v%d (report on it with --scorecard-id %s --scorecard-version %d)",
			card.ID, card.Version, ref.ID, ref.Version, card.ID, card.Version))
	}
	if card == nil {
		builtin, err := scorecards.Default()
		if err != nil {
			return err
		}
		if builtin.ID != ref.ID || builtin.Version != ref.Version {
			ind.NoReviewReason = fmt.Sprintf("结果的评分表 %s v%d 不是内置评分表 %s v%d，请用 --scorecard 指定", ref.ID, ref.Version, builtin.ID, builtin.Version)
			return nil
		}
		card = builtin
	}
	wb, err := workbench.New(st, workbench.Config{BcryptCost: bcrypt.MinCost}) // no password is hashed here
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	ind.Scorecard, ind.Reviews = card, wb
	return nil
}

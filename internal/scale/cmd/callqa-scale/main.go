// Command callqa-scale grows a results database with a year of generated
// calls and times the reports and pages that read it (see package scale).
//
//	callqa-scale load --db URL --results N [--seed S] [--series K] [--days 365] [--workers K] [--chunk C]
//	callqa-scale queries --db URL [--runs 3] [--callqa PATH]
//
// N takes a k or m suffix (10k, 1m, 11m). load prints what it stored and
// its rate; queries prints the rows of a markdown table, one per query,
// with the median of the runs in seconds.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/callqa/callqa/internal/scale"
	"github.com/callqa/callqa/scorecards"
	"github.com/callqa/callqa/store"
	"github.com/callqa/callqa/workbench"
)

const usage = `usage: callqa-scale load --db URL --results N [--seed S] [--series K] [--days 365] [--end DATE] [--workers K] [--chunk C]
       callqa-scale queries --db URL [--runs 3] [--callqa PATH] [--from DATE --to DATE] [--day DATE]`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "callqa-scale:", err)
		stop()
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	switch args[0] {
	case "load":
		return cmdLoad(ctx, args[1:], stdout, stderr)
	case "queries":
		return cmdQueries(ctx, args[1:], stdout, stderr)
	}
	return fmt.Errorf("unknown command %q\n%s", args[0], usage)
}

// parseCount reads 10000, 10k or 1.5m.
func parseCount(s string) (int, error) {
	mult := 1.0
	switch {
	case strings.HasSuffix(strings.ToLower(s), "k"):
		mult, s = 1e3, s[:len(s)-1]
	case strings.HasSuffix(strings.ToLower(s), "m"):
		mult, s = 1e6, s[:len(s)-1]
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f <= 0 {
		return 0, fmt.Errorf("--results %q: want a positive count such as 10000, 10k or 1m", s)
	}
	return int(f * mult), nil
}

func cmdLoad(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", "", "results database: a SQLite file or postgres://... (required)")
	results := fs.String("results", "", "number of results: 10000, 10k, 1m... (required)")
	seed := fs.Uint64("seed", 1, "random seed: the same seed makes the same results")
	days := fs.Int("days", scale.DefaultDays, "days the results span, ending --end")
	end := fs.String("end", scale.DefaultEnd, "last call date")
	series := fs.Int("series", 0, "series of calls: a load of series k > 0 adds other calls (C20261125-k-000001...) to a database that holds the earlier series")
	workers := fs.Int("workers", scale.DefaultWorkers, "days generated and saved at once")
	chunk := fs.Int("chunk", scale.DefaultChunk, "results per SaveResults call")
	analyze := fs.Bool("analyze", false, "SQLite: run ANALYZE after the results, before the reviews (see below)")
	analyzeEvery := fs.Duration("pg-analyze-every", time.Minute, "PostgreSQL: run ANALYZE this often during the load and once at its end, "+
		"as autovacuum would (0: never). The store's queries need statistics on PostgreSQL: without them (a server with autovacuum off) "+
		"a SaveResults of 1,000 results reads their old rows with a sequential scan of the results table and JIT-compiles the query (1.5 s per chunk at 200k results)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the load to FILE")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return fmt.Errorf("load: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("load: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	if *db == "" || *results == "" {
		return errors.New("load: --db and --results are required\n" + usage)
	}
	n, err := parseCount(*results)
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	card, err := scorecards.Default()
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	g, err := scale.NewGenerator(scale.Config{Seed: *seed, Results: n, Days: *days, End: *end, Series: *series}, card)
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	st, err := store.Open(ctx, *db, store.Options{})
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	defer st.Close()
	wb, err := workbench.New(st, workbench.Config{})
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	next := 0
	cfg := scale.LoadConfig{Workers: *workers, Chunk: *chunk, Progress: func(done int, el time.Duration) {
		if done >= next {
			fmt.Fprintf(stderr, "%s %d results, %.0f/s\n", time.Now().UTC().Format(time.TimeOnly), done, float64(done)/el.Seconds())
			next = done + max(n/20, 1)
		}
	}}
	// SQLite keeps no statistics unless told to (ANALYZE), and the
	// store's queries are written for a database without them: with
	// statistics, a SaveResults of more than ~50 results reads its
	// results' old rows with a scan of the results table. --analyze is for
	// comparing; before findings_by_rule went (store migration 0422) it
	// was what kept reviews fast.
	if st.Dialect() == store.DialectSQLite && *analyze {
		cfg.BeforeReviews = func(ctx context.Context) error {
			start := time.Now()
			if _, err := st.DB().ExecContext(ctx, "ANALYZE"); err != nil {
				return fmt.Errorf("analyze: %w", err)
			}
			fmt.Fprintf(stderr, "ANALYZE: %s\n", time.Since(start).Round(time.Millisecond))
			return nil
		}
	}
	if st.Dialect() == store.DialectPostgres && *analyzeEvery > 0 {
		stop := analyzePeriodically(ctx, st, *analyzeEvery, stderr)
		defer stop()
	}
	s, err := scale.Load(ctx, g, st, wb, cfg)
	if err != nil {
		return err
	}
	if st.Dialect() == store.DialectPostgres && *analyzeEvery > 0 {
		if _, err := st.DB().ExecContext(ctx, "ANALYZE"); err != nil {
			return fmt.Errorf("load: analyze: %w", err)
		}
	}
	busy := g.BusiestDay()
	fmt.Fprintf(stdout, "stored %d results (%d inspected, %d passed, %d unprocessable) over %d days in %s: %.0f results/s\n",
		s.Results, s.Inspected, s.Passed, s.Unprocessable, len(g.Days()), s.Elapsed.Round(time.Second), float64(s.Results)/s.Elapsed.Seconds())
	fmt.Fprintf(stdout, "vetoed %d, complaint flags %d, surveyed %d, unanswered %d; %d reviews of %d calls, %d overturned (saved in %s); busiest day %s (%d results)\n",
		s.Vetoed, s.Complaints, s.Surveyed, s.Unanswered, s.Reviews, s.ReviewedCalls, s.Overturned, s.ReviewsElapsed.Round(time.Millisecond), busy.Date, busy.Results)
	return nil
}

func cmdQueries(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("queries", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg scale.TimeConfig
	fs.StringVar(&cfg.DB, "db", "", "results database: a SQLite file or postgres://... (required)")
	fs.IntVar(&cfg.Runs, "runs", scale.DefaultRuns, "runs of each query; the median is printed")
	fs.StringVar(&cfg.Callqa, "callqa", "callqa", "the callqa binary")
	fs.StringVar(&cfg.From, "from", "", "first date of the year-long queries (default: a year before --to)")
	fs.StringVar(&cfg.To, "to", "", "last date (default: the latest call date in the database)")
	fs.StringVar(&cfg.Day, "day", "", "the day of the review queue (default: the day with most results)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.DB == "" {
		return errors.New("queries: --db is required\n" + usage)
	}
	cfg.Log = stderr
	rows, err := scale.Time(ctx, cfg)
	if err != nil {
		return err
	}
	for _, r := range rows {
		fmt.Fprintln(stdout, r.Markdown())
	}
	return nil
}

// analyzePeriodically runs ANALYZE on st every interval until the
// returned stop is called. PostgreSQL's ANALYZE does not block writes.
func analyzePeriodically(ctx context.Context, st *store.Store, every time.Duration, log io.Writer) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				start := time.Now()
				if _, err := st.DB().ExecContext(ctx, "ANALYZE"); err != nil && ctx.Err() == nil {
					fmt.Fprintln(log, "analyze:", err)
					continue
				}
				fmt.Fprintf(log, "ANALYZE: %s\n", time.Since(start).Round(time.Millisecond))
			}
		}
	}()
	return func() { cancel(); <-done }
}

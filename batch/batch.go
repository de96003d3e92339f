// Package batch inspects every recording of a source (a day's folder, a
// bucket prefix) on this machine with a bounded pool of workers, stores each
// result, and sums the run up: calls inspected, unprocessable, passed, the
// pass rate, the rules hit most and the agents who fail most.
//
// A run survives bad recordings (stored as unprocessable with the reason),
// retries transient faults a few times, stops cleanly when its context is
// cancelled (no result is ever half-written: a result is saved in one
// transaction once its call is fully inspected) and, run again, skips the
// recordings already inspected with the same scorecard version (looked up
// by recording key, as the worker fleet does); recordings stored as
// unprocessable are inspected again, in case their files were fixed.
package batch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/pipeline"
	"github.com/callqa/callqa/source"
	"github.com/callqa/callqa/store"
)

// Source is where the recordings come from: it lists them and opens them
// with their sidecars. source.Local implements it, and so does the
// S3 source.
type Source interface {
	pipeline.RecordingSource
	List(ctx context.Context, prefix string, fn func(source.Object) error) error
}

// ResultStore is what a run needs of the results store (*store.Store):
// what is stored for a recording (to skip and count it), save results, and
// keep the batch record.
type ResultStore interface {
	StoredCall(ctx context.Context, key string, sc models.ScorecardRef) (*store.StoredCall, error)
	SaveResult(ctx context.Context, batchID string, r *models.Result) error
	StartBatch(ctx context.Context, b *store.Batch) error
	UpdateBatch(ctx context.Context, b *store.Batch) error
	FinishBatch(ctx context.Context, b *store.Batch, status string) error
	Clashes(ctx context.Context, f store.ClashFilter) ([]store.Clash, error)
}

var (
	_ Source      = (*source.Local)(nil)
	_ ResultStore = (*store.Store)(nil)
)

// Config tunes a run. The zero value is the documented default, except that
// a run without a Logger logs nothing.
type Config struct {
	// Workers is how many calls are inspected at once; default
	// runtime.NumCPU().
	Workers int
	// Force inspects calls again even when they were inspected with the
	// same scorecard version. Without it, only those are skipped: calls
	// stored as unprocessable are always inspected again.
	Force bool
	// Logger receives per-call problems and the run's milestones; nil
	// discards them.
	Logger *slog.Logger
	// Progress receives the progress display; nil shows none.
	Progress io.Writer
	// ProgressBar redraws a one-line bar on Progress with \r (set it when
	// Progress is a terminal); otherwise a plain line is written every
	// ProgressEvery.
	ProgressBar bool
	// ProgressEvery is the interval of plain progress lines and of batch
	// record updates; default 5s. The bar is redrawn every 200 ms.
	ProgressEvery time.Duration
	// MaxAttempts bounds the tries of a call that hits a transient fault
	// (storage I/O); default 3. The waits between tries start at
	// RetryDelay (default 500 ms) and double.
	MaxAttempts int
	RetryDelay  time.Duration
	// SourceName and Date label the batch record; Date defaults to the
	// YYYY/MM/DD of the prefix, if it has one.
	SourceName string
	Date       string
	// TopRules and WorstAgents size the summary's lists (default 10 and 5);
	// an agent needs MinAgentCalls inspected calls (default 3) to be ranked.
	TopRules      int
	WorstAgents   int
	MinAgentCalls int
	// ListFlags are added to the `callqa report --list unprocessable`
	// command the summary suggests when it has more unprocessable calls
	// than it lists (e.g. "--db results.db": a run does not know how its
	// store was named). Default none.
	ListFlags string
}

// Validate reports a configuration that cannot work, naming the field.
func (c Config) Validate() error {
	switch {
	case c.Workers < 0:
		return fmt.Errorf("batch config: Workers must be >= 0 (0 = number of CPUs), got %d", c.Workers)
	case c.ProgressEvery < 0:
		return fmt.Errorf("batch config: ProgressEvery must be >= 0, got %v", c.ProgressEvery)
	case c.MaxAttempts < 0:
		return fmt.Errorf("batch config: MaxAttempts must be >= 0 (0 = 3), got %d", c.MaxAttempts)
	case c.RetryDelay < 0:
		return fmt.Errorf("batch config: RetryDelay must be >= 0, got %v", c.RetryDelay)
	case c.TopRules < 0, c.WorstAgents < 0, c.MinAgentCalls < 0:
		return errors.New("batch config: TopRules, WorstAgents and MinAgentCalls must be >= 0")
	case c.Date != "" && !validDate(c.Date):
		return fmt.Errorf("batch config: Date must be YYYY-MM-DD, got %q", c.Date)
	}
	return nil
}

func validDate(d string) bool {
	_, err := time.Parse(time.DateOnly, d)
	return err == nil
}

// withDefaults fills the zero fields.
func (c Config) withDefaults() Config {
	if c.Workers == 0 {
		c.Workers = runtime.NumCPU()
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.ProgressEvery == 0 {
		c.ProgressEvery = 5 * time.Second
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = 3
	}
	if c.RetryDelay == 0 {
		c.RetryDelay = 500 * time.Millisecond
	}
	if c.TopRules == 0 {
		// A scorecard has about ten rules; show them all, vetoes included.
		c.TopRules = 10
	}
	if c.WorstAgents == 0 {
		c.WorstAgents = 5
	}
	if c.MinAgentCalls == 0 {
		c.MinAgentCalls = 3
	}
	return c
}

// prefixDate finds YYYY/MM/DD at the end of a prefix.
var prefixDate = regexp.MustCompile(`(?:^|/)(\d{4})/(\d{2})/(\d{2})/?$`)

// DateOfPrefix returns the YYYY-MM-DD a prefix like "2026/11/25" names, or "".
func DateOfPrefix(prefix string) string {
	m := prefixDate.FindStringSubmatch(prefix)
	if m == nil {
		return ""
	}
	d := m[1] + "-" + m[2] + "-" + m[3]
	if !validDate(d) {
		return ""
	}
	return d
}

// errStore marks a results-store fault: the run cannot go on.
type errStore struct{ err error }

func (e errStore) Error() string { return e.err.Error() }
func (e errStore) Unwrap() error { return e.err }

// Run inspects every recording under prefix in src with eng, saving each
// result in store, and returns the summary. Recordings are dispatched as
// the listing streams in.
//
// When ctx is cancelled, Run stops dispatching, lets the calls in flight
// either finish (their whole result is saved) or abandon (nothing is
// saved), marks the batch interrupted and returns the summary with an error
// wrapping ctx's error. A results-store or listing fault ends the run the
// same way with the batch marked failed. Calls that kept failing with a
// transient fault are counted as failed, logged, and not stored, so that a
// rerun tries them again.
func Run(ctx context.Context, cfg Config, src Source, prefix string, eng *pipeline.Engine, results ResultStore) (*Summary, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if src == nil || eng == nil || results == nil {
		return nil, errors.New("batch run: nil source, engine or results")
	}
	cfg = cfg.withDefaults()
	sc := eng.Scorecard()
	r := &runner{
		cfg:   cfg,
		src:   src,
		eng:   eng,
		store: results,
		ref:   models.ScorecardRef{ID: sc.ID, Version: sc.Version},
	}
	date := cfg.Date
	if date == "" {
		date = DateOfPrefix(prefix)
	}
	// The results's time zone dates the unprocessable calls as it stores them.
	loc := store.DefaultLocation()
	if l, ok := results.(interface{ Location() *time.Location }); ok && l.Location() != nil {
		loc = l.Location()
	}
	r.tally = newTally(date, loc)
	r.batch = store.Batch{Source: cfg.SourceName, Prefix: prefix, Date: date, Scorecard: r.ref}
	if err := results.StartBatch(ctx, &r.batch); err != nil {
		return nil, fmt.Errorf("batch run: %w", err)
	}
	return r.run(ctx, prefix)
}

// runner is one run in progress.
type runner struct {
	cfg   Config
	src   Source
	eng   *pipeline.Engine
	store ResultStore
	ref   models.ScorecardRef
	batch store.Batch // ID and labels; counts are copied from tally
	tally *tally
}

func (r *runner) run(parent context.Context, prefix string) (*Summary, error) {
	log := r.cfg.Logger.With("batch", r.batch.ID)
	log.InfoContext(parent, "batch started", "prefix", prefix, "scorecard", r.ref.ID, "version", r.ref.Version,
		"workers", r.cfg.Workers, "force", r.cfg.Force)
	start := time.Now()

	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)

	keys := make(chan string, 2*r.cfg.Workers)
	var listErr error
	go func() {
		defer close(keys)
		listErr = r.src.List(ctx, prefix, func(o source.Object) error {
			r.tally.listed()
			select {
			case keys <- o.Key:
				return nil
			case <-ctx.Done():
				return context.Cause(ctx)
			}
		})
		r.tally.listingDone()
	}()

	var wg sync.WaitGroup
	for range r.cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for key := range keys {
				if ctx.Err() != nil {
					continue // drain: the listing goroutine must not block
				}
				if err := r.call(ctx, log, key); err != nil {
					cancel(err)
				}
			}
		}()
	}

	stopProgress := r.startProgress(ctx, log, start)
	wg.Wait()
	stopProgress()

	// The run is over: record it even when ctx is cancelled.
	final := context.WithoutCancel(parent)
	status := store.BatchFinished
	var err, err2 error
	cause := context.Cause(ctx)
	switch {
	case parent.Err() != nil:
		status = store.BatchInterrupted
		err = fmt.Errorf("batch %s interrupted: %w", r.batch.ID, context.Cause(parent))
	case cause != nil && cause != context.Canceled:
		status = store.BatchFailed
		err = fmt.Errorf("batch %s: %w", r.batch.ID, cause)
	case listErr != nil:
		status = store.BatchFailed
		err = fmt.Errorf("batch %s: list %s: %w", r.batch.ID, prefix, listErr)
	}
	r.tally.fill(&r.batch)
	if ferr := r.store.FinishBatch(final, &r.batch, status); ferr != nil {
		log.ErrorContext(final, "recording the batch failed", "err", ferr)
		if err == nil {
			err = fmt.Errorf("batch %s: %w", r.batch.ID, ferr)
		}
	}
	sum := r.tally.summary(r.cfg, r.batch, time.Since(start))
	// Call ids that another recording also carries: both are stored and
	// counted, and the summary names them so the recorder can be fixed.
	if sum.Clashes, err2 = r.store.Clashes(final, store.ClashFilter{Scorecard: r.ref, Prefix: prefix}); err2 != nil {
		log.ErrorContext(final, "listing call id clashes failed", "err", err2)
	}
	for _, c := range sum.Clashes {
		keys := make([]string, len(c.Recordings))
		for i, rec := range c.Recordings {
			keys[i] = rec.Recording
		}
		log.WarnContext(final, "call_id clash: more than one recording carries this call_id; each is stored and counted as its own call",
			"call_id", c.CallID, "recordings", strings.Join(keys, ", "))
	}
	log.InfoContext(final, "batch "+status, "total", sum.Batch.Total, "inspected", sum.Batch.Inspected,
		"unprocessable", sum.Batch.Unprocessable, "passed", sum.Batch.Passed, "errors", sum.Batch.Failed,
		"skipped", sum.Batch.Skipped, "elapsed", sum.Elapsed.Round(time.Millisecond))
	return sum, err
}

// call inspects (or skips) one recording. It returns an error only for a
// fault that must end the run (the results store).
func (r *runner) call(ctx context.Context, log *slog.Logger, key string) (err error) {
	defer func() {
		if p := recover(); p != nil {
			log.ErrorContext(ctx, "bug: inspection panicked", "key", key, "panic", p, "stack", string(debug.Stack()))
			r.tally.failed(key, fmt.Sprintf("bug: inspection panicked: %v", p))
		}
	}()
	if !r.cfg.Force {
		// By recording key, whatever call id the metadata gives: the
		// engine alone reads the sidecars.
		stored, err := r.store.StoredCall(ctx, key, r.ref)
		if err != nil {
			return r.storeFault(ctx, err)
		}
		if stored != nil && stored.Status == models.StatusInspected {
			// A call measured by another audio analysis is inspected
			// again, as if it had no result: its figures may differ.
			if stored.Analysis == r.eng.Analysis() {
				r.tally.addStored(stored)
				return nil
			}
			r.tally.reanalyse(stored.Analysis)
		}
	}
	res, err := r.inspect(ctx, key)
	if err != nil {
		if ctx.Err() == nil {
			log.WarnContext(ctx, "call not stored: transient fault (an error, not a QA failure; run again)", "key", key, "attempts", r.cfg.MaxAttempts, "err", err)
			r.tally.failed(key, err.Error())
		}
		return nil
	}
	// The call is fully inspected: save it even if the run is being
	// interrupted (one transaction, a few milliseconds).
	saveCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := retry(saveCtx, r.cfg, func() error { return r.store.SaveResult(saveCtx, r.batch.ID, res) }); err != nil {
		return r.storeFault(ctx, err)
	}
	r.tally.add(res)
	return nil
}

func (r *runner) storeFault(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return errStore{fmt.Errorf("results store: %w", err)}
}

// inspect runs the engine, retrying transient faults.
func (r *runner) inspect(ctx context.Context, key string) (*models.Result, error) {
	var res *models.Result
	err := retry(ctx, r.cfg, func() error {
		var err error
		res, err = r.eng.InspectKey(ctx, r.src, key)
		return err
	})
	return res, err
}

// retry calls fn up to cfg.MaxAttempts times, waiting between tries.
func retry(ctx context.Context, cfg Config, fn func() error) error {
	delay := cfg.RetryDelay
	var err error
	for attempt := 1; ; attempt++ {
		if err = fn(); err == nil || ctx.Err() != nil || attempt >= cfg.MaxAttempts {
			return err
		}
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return err
		}
		delay *= 2
	}
}

// sortedKeys returns m's keys sorted.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

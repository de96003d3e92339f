package scale

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/outcome"
	"github.com/callqa/callqa/store"
	"github.com/callqa/callqa/workbench"
)

// Saver stores results; *store.Store is one.
type Saver interface {
	SaveResults(ctx context.Context, batchID string, rs []*models.Result) error
}

// ReviewSaver records a reviewer's decision; *workbench.Workbench is one.
type ReviewSaver interface {
	SaveReview(ctx context.Context, r workbench.Review, remote string) error
}

var (
	_ Saver       = (*store.Store)(nil)
	_ ReviewSaver = (*workbench.Workbench)(nil)
)

// Defaults of LoadConfig.
const (
	DefaultWorkers = 2
	DefaultChunk   = 1000
)

// LoadConfig configures Load. The zero value is the documented default.
type LoadConfig struct {
	// Workers is how many days are generated and saved at once. Default
	// DefaultWorkers.
	Workers int
	// Chunk is how many results one SaveResults call stores. Default
	// DefaultChunk.
	Chunk int
	// Progress, when not nil, is called after every day with the results
	// stored so far (from the workers' goroutines, one at a time).
	Progress func(done int, elapsed time.Duration)
	// BeforeReviews, when not nil, runs once every result is stored and
	// before the reviews are (callqa-scale runs ANALYZE there on SQLite:
	// see its --analyze flag). Its error stops the load.
	BeforeReviews func(ctx context.Context) error
}

// Validate reports a configuration that cannot work, naming the field.
func (c LoadConfig) Validate() error {
	switch {
	case c.Workers < 0:
		return fmt.Errorf("load config: Workers %d: want >= 0", c.Workers)
	case c.Chunk < 0:
		return fmt.Errorf("load config: Chunk %d: want >= 0", c.Chunk)
	}
	return nil
}

// Stats are what Load stored, as the generator made it: the figures the
// reports should read back.
type Stats struct {
	// Results counts every result; Counts split them by status and
	// machine verdict.
	Results int
	outcome.Counts
	// ByDay and ByTeam are the counts per call date and per team.
	ByDay, ByTeam map[string]outcome.Counts
	// RuleCalls counts, per rule id, the inspected calls with at least
	// one finding of it; RuleHits every finding.
	RuleCalls, RuleHits map[string]int
	// Vetoed counts the calls with a veto finding, Complaints those with a
	// finding of the complaint indicator, Surveyed those with a
	// satisfaction answer, Unanswered those marked answered:false.
	Vetoed, Complaints, Surveyed, Unanswered int
	// Reviews counts the reviews saved, Overturned those overturning
	// their finding; ReviewedCalls the calls they are of.
	Reviews, Overturned, ReviewedCalls int
	// Elapsed is the wall time of the load, ReviewsElapsed that of its
	// reviews (after the results).
	Elapsed, ReviewsElapsed time.Duration
}

func newStats() Stats {
	return Stats{ByDay: map[string]outcome.Counts{}, ByTeam: map[string]outcome.Counts{},
		RuleCalls: map[string]int{}, RuleHits: map[string]int{}}
}

// add counts c.
func (s *Stats) add(c Call, date string) {
	r := c.Result
	s.Results++
	s.Counts.Add(r.Status, r.Passed, 1)
	day, team := s.ByDay[date], s.ByTeam[r.Meta.Team]
	day.Add(r.Status, r.Passed, 1)
	team.Add(r.Status, r.Passed, 1)
	s.ByDay[date], s.ByTeam[r.Meta.Team] = day, team
	if r.Meta.Satisfaction != "" {
		s.Surveyed++
	}
	if !r.Meta.IsAnswered() {
		s.Unanswered++
	}
	if r.Status == models.StatusInspected {
		seen := map[string]bool{}
		veto, complaint := false, false
		for _, f := range r.Findings {
			s.RuleHits[f.Rule]++
			if !seen[f.Rule] {
				seen[f.Rule] = true
				s.RuleCalls[f.Rule]++
			}
			veto = veto || f.Veto
			complaint = complaint || f.Indicator == models.IndicatorComplaint
		}
		if veto {
			s.Vetoed++
		}
		if complaint {
			s.Complaints++
		}
	}
	if len(c.Reviews) > 0 {
		s.ReviewedCalls++
	}
	for _, rv := range c.Reviews {
		s.Reviews++
		if rv.Decision == workbench.DecisionOverturn {
			s.Overturned++
		}
	}
}

// merge adds o's counts to s.
func (s *Stats) merge(o Stats) {
	s.Results += o.Results
	s.Inspected += o.Inspected
	s.Passed += o.Passed
	s.Unprocessable += o.Unprocessable
	for k, v := range o.ByDay {
		c := s.ByDay[k]
		c.Inspected, c.Passed, c.Unprocessable = c.Inspected+v.Inspected, c.Passed+v.Passed, c.Unprocessable+v.Unprocessable
		s.ByDay[k] = c
	}
	for k, v := range o.ByTeam {
		c := s.ByTeam[k]
		c.Inspected, c.Passed, c.Unprocessable = c.Inspected+v.Inspected, c.Passed+v.Passed, c.Unprocessable+v.Unprocessable
		s.ByTeam[k] = c
	}
	for k, v := range o.RuleCalls {
		s.RuleCalls[k] += v
	}
	for k, v := range o.RuleHits {
		s.RuleHits[k] += v
	}
	s.Vetoed += o.Vetoed
	s.Complaints += o.Complaints
	s.Surveyed += o.Surveyed
	s.Unanswered += o.Unanswered
	s.Reviews += o.Reviews
	s.Overturned += o.Overturned
	s.ReviewedCalls += o.ReviewedCalls
}

// Count returns the Stats of g's results without storing anything.
func Count(ctx context.Context, g *Generator) (Stats, error) {
	st := newStats()
	for _, d := range g.Days() {
		err := g.Generate(ctx, d, DefaultChunk, func(cs []Call) error {
			for _, c := range cs {
				st.add(c, d.Date)
			}
			return nil
		})
		if err != nil {
			return st, err
		}
	}
	return st, nil
}

// Load generates g's results and stores them with sv, Chunk at a time,
// Workers days at once; then, once every result is stored, it runs
// BeforeReviews and saves the reviews with rv (Workers at once), as
// reviewers would after the inspections. It returns what it stored. A
// database that already holds them gets the same rows again (results are
// replaced by recording and scorecard version, reviews by finding), so a
// load interrupted half way can be run again.
func Load(ctx context.Context, g *Generator, sv Saver, rv ReviewSaver, cfg LoadConfig) (Stats, error) {
	if err := cfg.Validate(); err != nil {
		return Stats{}, err
	}
	if cfg.Workers == 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.Chunk == 0 {
		cfg.Chunk = DefaultChunk
	}
	start := time.Now()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu      sync.Mutex
		total   = newStats()
		reviews [][]workbench.Review // by day
		first   error
	)
	fail := func(err error) {
		mu.Lock()
		if first == nil {
			first = err
		}
		mu.Unlock()
		cancel()
	}
	each(ctx, cfg.Workers, g.Days(), func(d Day) {
		st := newStats()
		var rvs []workbench.Review
		rs := make([]*models.Result, 0, cfg.Chunk)
		err := g.Generate(ctx, d, cfg.Chunk, func(cs []Call) error {
			rs = rs[:0]
			for _, c := range cs {
				st.add(c, d.Date)
				rs = append(rs, c.Result)
				rvs = append(rvs, c.Reviews...)
			}
			if err := sv.SaveResults(ctx, "", rs); err != nil {
				return fmt.Errorf("load %s: %w", d.Date, err)
			}
			return nil
		})
		if err != nil {
			fail(err)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		total.merge(st)
		if len(rvs) > 0 {
			reviews = append(reviews, rvs)
		}
		if cfg.Progress != nil {
			cfg.Progress(total.Results, time.Since(start))
		}
	})
	if first == nil && ctx.Err() == nil && cfg.BeforeReviews != nil {
		if err := cfg.BeforeReviews(ctx); err != nil {
			fail(fmt.Errorf("load: before the reviews: %w", err))
		}
	}
	if first == nil && ctx.Err() == nil {
		reviewStart := time.Now()
		each(ctx, cfg.Workers, reviews, func(rvs []workbench.Review) {
			for _, r := range rvs {
				if err := rv.SaveReview(ctx, r, "callqa-scale"); err != nil {
					fail(fmt.Errorf("load: review of %s: %w", r.Recording, err))
					return
				}
			}
		})
		total.ReviewsElapsed = time.Since(reviewStart)
	}
	total.Elapsed = time.Since(start)
	if first != nil {
		return total, first
	}
	if err := ctx.Err(); err != nil {
		return total, fmt.Errorf("load: %w", err)
	}
	return total, nil
}

// each calls fn with every item, workers at once, until ctx is done.
func each[T any](ctx context.Context, workers int, items []T, fn func(T)) {
	ch := make(chan T)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for it := range ch {
				fn(it)
			}
		})
	}
feed:
	for _, it := range items {
		select {
		case ch <- it:
		case <-ctx.Done():
			break feed
		}
	}
	close(ch)
	wg.Wait()
}

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
	// AfterDay, when not nil, is called after every day is stored with
	// the results stored so far, one call at a time; the job it returns,
	// if any, runs while no worker writes (callqa-scale refreshes the
	// SQLite planner's statistics there: see its --analyze flag). The
	// job's error stops the load.
	AfterDay func(done int) func(ctx context.Context) error
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
	// Elapsed is the wall time of the load.
	Elapsed time.Duration
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
func Count(g *Generator) (Stats, error) {
	st := newStats()
	for _, d := range g.Days() {
		err := g.Generate(d, DefaultChunk, func(cs []Call) error {
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
// Workers days at once, then each day's reviews with rv (after the day's
// results, as a reviewer would). It returns what it stored. A database
// that already holds them gets the same rows again (results are replaced
// by recording and scorecard version, reviews by finding), so a load
// interrupted half way can be run again.
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
	afterDay := cfg.AfterDay
	if afterDay == nil {
		afterDay = func(int) func(context.Context) error { return nil }
	}
	start := time.Now()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	days := make(chan Day)
	var (
		// writing is held shared by the workers' writes and exclusively
		// by AfterDay.
		writing sync.RWMutex
		mu      sync.Mutex
		total   = newStats()
		first   error
		wg      sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		if first == nil {
			first = err
		}
		mu.Unlock()
		cancel()
	}
	for range cfg.Workers {
		wg.Go(func() {
			for d := range days {
				st := newStats()
				var reviews []workbench.Review
				rs := make([]*models.Result, 0, cfg.Chunk)
				err := g.Generate(d, cfg.Chunk, func(cs []Call) error {
					rs = rs[:0]
					for _, c := range cs {
						st.add(c, d.Date)
						rs = append(rs, c.Result)
						reviews = append(reviews, c.Reviews...)
					}
					writing.RLock()
					defer writing.RUnlock()
					if err := sv.SaveResults(ctx, "", rs); err != nil {
						return fmt.Errorf("load %s: %w", d.Date, err)
					}
					return nil
				})
				writing.RLock()
				for i := 0; err == nil && i < len(reviews); i++ {
					if e := rv.SaveReview(ctx, reviews[i], "callqa-scale"); e != nil {
						err = fmt.Errorf("load %s: review: %w", d.Date, e)
					}
				}
				writing.RUnlock()
				if err != nil {
					fail(err)
					continue
				}
				mu.Lock()
				total.merge(st)
				if cfg.Progress != nil {
					cfg.Progress(total.Results, time.Since(start))
				}
				if job := afterDay(total.Results); job != nil {
					writing.Lock()
					err := job(ctx)
					writing.Unlock()
					if err != nil {
						err = fmt.Errorf("load: after %s: %w", d.Date, err)
						if first == nil {
							first = err
						}
						cancel()
					}
				}
				mu.Unlock()
			}
		})
	}
feed:
	for _, d := range g.Days() {
		select {
		case days <- d:
		case <-ctx.Done():
			break feed
		}
	}
	close(days)
	wg.Wait()
	total.Elapsed = time.Since(start)
	if first != nil {
		return total, first
	}
	if err := ctx.Err(); err != nil {
		return total, fmt.Errorf("load: %w", err)
	}
	return total, nil
}

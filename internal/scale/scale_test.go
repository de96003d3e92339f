package scale

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"math"
	"reflect"
	"testing"

	"github.com/callqa/callqa/internal/testsvc"
	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/scorecards"
	"github.com/callqa/callqa/store"
	"github.com/callqa/callqa/workbench"
	"golang.org/x/crypto/bcrypt"
)

func newGenerator(t testing.TB, cfg Config) *Generator {
	t.Helper()
	card, err := scorecards.Default()
	if err != nil {
		t.Fatal(err)
	}
	g, err := NewGenerator(cfg, card)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// digest hashes every result and review g makes, days in the order given.
func digest(t *testing.T, g *Generator, order []int) [32]byte {
	t.Helper()
	h := sha256.New()
	enc := json.NewEncoder(h)
	for _, i := range order {
		err := g.Generate(context.Background(), g.Days()[i], 7, func(cs []Call) error {
			for _, c := range cs {
				if err := enc.Encode(c); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return sum
}

func TestGeneratorDeterministic(t *testing.T) {
	t.Parallel()
	cfg := Config{Seed: 7, Results: 600, Days: 30}
	a, b := newGenerator(t, cfg), newGenerator(t, cfg)
	n := len(a.Days())
	forward, backward := make([]int, n), make([]int, n)
	for i := range n {
		forward[i], backward[n-1-i] = i, i
	}
	if digest(t, a, forward) != digest(t, b, forward) {
		t.Error("two generators of the same config made different results")
	}
	// Each day has its own stream: the order of the days does not matter.
	perDay := make([][32]byte, n)
	for _, i := range forward {
		perDay[i] = digest(t, a, []int{i})
	}
	for _, i := range backward {
		if digest(t, b, []int{i}) != perDay[i] {
			t.Fatalf("day %d differs when the days are generated backwards", i)
		}
	}
	other := newGenerator(t, Config{Seed: 8, Results: 600, Days: 30})
	if digest(t, a, forward) == digest(t, other, forward) {
		t.Error("seeds 7 and 8 made the same results")
	}
	// A series adds other calls, of the same agents.
	series := newGenerator(t, Config{Seed: 7, Results: 600, Days: 30, Series: 2})
	if !reflect.DeepEqual(series.Agents(), a.Agents()) {
		t.Error("series 2 has other agents")
	}
	recordings := map[string]bool{}
	for _, g := range []*Generator{a, series} {
		for _, d := range g.Days() {
			err := g.Generate(context.Background(), d, 100, func(cs []Call) error {
				for _, c := range cs {
					if recordings[c.Result.Recording] {
						t.Fatalf("series 0 and 2 both have %s", c.Result.Recording)
					}
					recordings[c.Result.Recording] = true
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestGeneratorSpreads(t *testing.T) {
	t.Parallel()
	g := newGenerator(t, Config{Seed: 1, Results: 20000})
	days := g.Days()
	if len(days) != DefaultDays || days[len(days)-1].Date != DefaultEnd || days[0].Date != "2025-11-26" {
		t.Fatalf("days %s..%s (%d), want 2025-11-26..%s", days[0].Date, days[len(days)-1].Date, len(days), DefaultEnd)
	}
	teams := map[string]bool{}
	for _, a := range g.Agents() {
		teams[a.Team] = true
		if a.PassP < 0.75 || a.PassP > 0.98 {
			t.Errorf("agent %s pass probability %.3f outside [0.75, 0.98]", a.ID, a.PassP)
		}
	}
	if len(g.Agents()) != DefaultAgents || len(teams) != 12 {
		t.Errorf("%d agents in %d teams, want %d in 12", len(g.Agents()), len(teams), DefaultAgents)
	}
	s, err := Count(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	if s.Results != 20000 {
		t.Fatalf("%d results, want 20000", s.Results)
	}
	// Shares, with room for the draw (20,000 calls).
	shares := []struct {
		name     string
		n        int
		lo, hi   float64
		ofCalls  int
		ofString string
	}{
		{"unprocessable", s.Unprocessable, 0.006, 0.014, s.Results, "results"},
		{"unanswered", s.Unanswered, 0.015, 0.025, s.Results, "results"},
		{"surveyed", s.Surveyed, 0.28, 0.32, s.Results, "results"},
		{"complaint", s.Complaints, 0.01, 0.02, s.Inspected, "inspected"},
		{"vetoed", s.Vetoed, 0.001, 0.006, s.Inspected, "inspected"},
		{"passed", s.Passed, 0.80, 0.90, s.Inspected, "inspected"},
		{"overturned", s.Overturned, 0.10, 0.20, s.Reviews, "reviews"},
	}
	for _, sh := range shares {
		if f := float64(sh.n) / float64(sh.ofCalls); f < sh.lo || f > sh.hi {
			t.Errorf("%s: %d of %d %s (%.3f), want %.3f-%.3f", sh.name, sh.n, sh.ofCalls, sh.ofString, f, sh.lo, sh.hi)
		}
	}
	// Weekends are quieter than weekdays.
	var weekday, weekend, nWeekday, nWeekend float64
	for i, d := range days {
		// 2025-11-26 is a Wednesday: days 3 and 4 of each week are the weekend.
		if i%7 == 3 || i%7 == 4 {
			weekend, nWeekend = weekend+float64(d.Results), nWeekend+1
		} else {
			weekday, nWeekday = weekday+float64(d.Results), nWeekday+1
		}
	}
	if weekend/nWeekend > 0.6*weekday/nWeekday {
		t.Errorf("weekend days average %.0f results, weekdays %.0f", weekend/nWeekend, weekday/nWeekday)
	}
}

func TestGeneratedResultShape(t *testing.T) {
	t.Parallel()
	g := newGenerator(t, Config{Seed: 3, Results: 3000, Days: 10})
	card, _ := scorecards.Default()
	deduct := map[string]float64{}
	for _, r := range card.Rules {
		deduct[r.ID] = math.Max(r.Deduct, r.MaxDeduct)
	}
	for _, d := range g.Days() {
		err := g.Generate(context.Background(), d, 500, func(cs []Call) error {
			for _, c := range cs {
				r := c.Result
				if got := store.CallDate(r, "", nil); got != d.Date {
					t.Fatalf("%s: call date %s, want %s", r.CallID, got, d.Date)
				}
				if r.Status != models.StatusInspected {
					continue
				}
				dur := r.Audio.DurationS
				if dur < 20 || dur > 1200 {
					t.Fatalf("%s: duration %.2f s outside 20 s-20 min", r.CallID, dur)
				}
				if n := len(r.Envelope.Agent); n != int(math.Ceil(dur*10)) || len(r.Envelope.Customer) != n {
					t.Fatalf("%s: envelope of %d steps for %.2f s", r.CallID, n, dur)
				}
				if len(r.Metrics.Agent.Segments) == 0 {
					t.Fatalf("%s: no agent speech", r.CallID)
				}
				score, perRule := card.BaseScore, map[string]float64{}
				for _, f := range r.Findings {
					score -= f.Deduct
					perRule[f.Rule] += f.Deduct
				}
				for rule, lost := range perRule {
					if lost > deduct[rule] {
						t.Fatalf("%s: rule %s cost %.0f, more than the card allows (%.0f)", r.CallID, rule, lost, deduct[rule])
					}
				}
				if r.Score != math.Max(score, 0) {
					t.Fatalf("%s: score %.0f, findings say %.0f", r.CallID, r.Score, score)
				}
				keys := map[[2]any]bool{}
				for _, rv := range c.Reviews {
					k := [2]any{rv.Rule, rv.StartMS}
					if keys[k] {
						t.Fatalf("%s: two reviews of %v (one would replace the other)", r.CallID, k)
					}
					keys[k] = true
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestLoadCounts loads a few hundred generated results on each backend
// and reads back the figures the reports use: they equal what the
// generator made.
func TestLoadCounts(t *testing.T) {
	t.Parallel()
	for _, b := range testsvc.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			st, err := store.Open(ctx, b.Fresh(t), store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			wb, err := workbench.New(st, workbench.Config{BcryptCost: bcrypt.MinCost})
			if err != nil {
				t.Fatal(err)
			}
			// A seed whose calls have reviews of both kinds.
			var g *Generator
			var want Stats
			for seed := uint64(1); seed < 20 && want.Overturned == 0; seed++ {
				g = newGenerator(t, Config{Seed: seed, Results: 1200, Days: 20})
				var err error
				if want, err = Count(ctx, g); err != nil {
					t.Fatal(err)
				}
			}
			s, err := Load(ctx, g, st, wb, LoadConfig{Workers: 3, Chunk: 25})
			if err != nil {
				t.Fatal(err)
			}
			if s.Results != want.Results || s.Counts != want.Counts || s.Reviews != want.Reviews || s.Overturned != want.Overturned {
				t.Fatalf("load stats %+v, the generator counts %+v", s.Counts, want.Counts)
			}
			if want.Reviews == 0 || want.Overturned == 0 {
				t.Fatalf("%d reviews, %d overturned: too few calls to test them", want.Reviews, want.Overturned)
			}
			sc := models.ScorecardRef{ID: "hotline-12333", Version: 2}
			f := store.ReportFilter{Scorecard: sc}
			teams, err := st.GroupCounts(ctx, f, store.GroupTeam)
			if err != nil {
				t.Fatal(err)
			}
			if len(teams) != len(want.ByTeam) {
				t.Errorf("%d teams in the report, %d generated", len(teams), len(want.ByTeam))
			}
			for _, g := range teams {
				if g.Counts != want.ByTeam[g.Key] {
					t.Errorf("team %s: report %+v, generated %+v", g.Key, g.Counts, want.ByTeam[g.Key])
				}
			}
			days, err := st.GroupCounts(ctx, f, store.GroupDay)
			if err != nil {
				t.Fatal(err)
			}
			if len(days) != len(want.ByDay) {
				t.Errorf("%d days in the report, %d generated", len(days), len(want.ByDay))
			}
			for _, g := range days {
				if g.Counts != want.ByDay[g.Key] {
					t.Errorf("day %s: report %+v, generated %+v", g.Key, g.Counts, want.ByDay[g.Key])
				}
			}
			rules, err := st.RuleCounts(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			reviewed, overturned := 0, 0
			for _, r := range rules {
				if r.Calls != want.RuleCalls[r.Rule] || r.Hits != want.RuleHits[r.Rule] {
					t.Errorf("rule %s: report %d calls %d hits, generated %d and %d", r.Rule, r.Calls, r.Hits, want.RuleCalls[r.Rule], want.RuleHits[r.Rule])
				}
				reviewed += r.Reviewed
				overturned += r.Overturned
			}
			if len(rules) != len(want.RuleCalls) {
				t.Errorf("%d rules in the report, %d generated", len(rules), len(want.RuleCalls))
			}
			if reviewed != want.Reviews || overturned != want.Overturned {
				t.Errorf("report: %d reviews, %d overturned; generated %d and %d", reviewed, overturned, want.Reviews, want.Overturned)
			}
			// Loading again replaces every row: the figures stay.
			if _, err := Load(ctx, g, st, wb, LoadConfig{Workers: 1, Chunk: 500}); err != nil {
				t.Fatal(err)
			}
			again, err := st.GroupCounts(ctx, f, store.GroupTeam)
			if err != nil {
				t.Fatal(err)
			}
			for i := range again {
				if again[i].Counts != teams[i].Counts {
					t.Errorf("after a second load, team %s: %+v, was %+v", again[i].Key, again[i].Counts, teams[i].Counts)
				}
			}
		})
	}
}

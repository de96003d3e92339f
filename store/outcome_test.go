package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/callqa/callqa/internal/testsvc"
	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/outcome"
)

// TestOutcomeSQL proves the store's SQL aggregations (GroupCounts per
// grouping, CountPrefix, IndicatorCounts' pass-rate counts) equal to the
// Go definition (outcome.Counts.Add over the stored results) on both
// backends, over a spread of days, teams, agents, queues, statuses, other
// scorecard versions and re-inspections.
func TestOutcomeSQL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, be := range testsvc.Backends(t) {
		t.Run(be.Name, func(t *testing.T) {
			t.Parallel()
			st := openStore(t, be)
			rng := rand.New(rand.NewPCG(7, 11))
			latest := map[string]*models.Result{} // recording -> the stored result of testsvc.Scorecard
			days := []string{"2026-10-31", "2026-11-01", "2026-11-25", "2026-12-01"}
			for i := range 160 {
				id := fmt.Sprintf("C%03d", i%120) // 40 re-inspections
				day := days[rng.IntN(len(days))]
				r := testsvc.Result(id, day, []string{"一组", "二组", ""}[rng.IntN(3)], fmt.Sprintf("A%d", rng.IntN(5)), rng.IntN(3) > 0, float64(60+rng.IntN(40)))
				r.Meta.Queue = []string{"社保", "医保", ""}[rng.IntN(3)]
				if rng.IntN(8) == 0 {
					r.Status, r.Passed, r.Error = models.StatusUnprocessable, false, "not a RIFF file"
				}
				if rng.IntN(10) == 0 {
					r.Scorecard.Version = 2 // another version: never counted
				}
				if err := st.SaveResult(ctx, "", r); err != nil {
					t.Fatal(err)
				}
				if r.Scorecard == testsvc.Scorecard {
					latest[r.Recording] = r
				}
			}
			goCounts := func(group func(r *models.Result) string) map[string]outcome.Counts {
				out := map[string]outcome.Counts{}
				for _, r := range latest {
					k := group(r)
					c := out[k]
					c.Add(r.Status, r.Passed, 1)
					out[k] = c
				}
				return out
			}
			date := func(r *models.Result) string { return CallDate(r, "", st.Location()) }
			groupings := map[string]func(r *models.Result) string{
				GroupDay:   date,
				GroupMonth: func(r *models.Result) string { return date(r)[:7] },
				GroupTeam:  func(r *models.Result) string { return r.Meta.Team },
				GroupAgent: func(r *models.Result) string { return r.Meta.AgentID },
				GroupQueue: func(r *models.Result) string { return r.Meta.Queue },
				GroupAll:   func(*models.Result) string { return "" },
			}
			f := ReportFilter{Scorecard: testsvc.Scorecard}
			for by, group := range groupings {
				want := goCounts(group)
				if by != GroupAll {
					gs, err := st.GroupCounts(ctx, f, by)
					if err != nil {
						t.Fatal(err)
					}
					checkCounts(t, "GroupCounts "+by, want, func(yield func(string, outcome.Counts) bool) {
						for _, g := range gs {
							if !yield(g.Key, g.Counts) {
								return
							}
						}
					})
				}
				ics, err := st.IndicatorCounts(ctx, f, by)
				if err != nil {
					t.Fatal(err)
				}
				checkCounts(t, "IndicatorCounts "+by, want, func(yield func(string, outcome.Counts) bool) {
					for _, c := range ics {
						if !yield(c.Key, c.Counts) {
							return
						}
					}
				})
			}
			for _, prefix := range []string{"2026/11/25/", "2026/", "nope/"} {
				var want outcome.Counts
				for rec, r := range latest {
					if len(rec) >= len(prefix) && rec[:len(prefix)] == prefix {
						want.Add(r.Status, r.Passed, 1)
					}
				}
				got, err := st.CountPrefix(ctx, testsvc.Scorecard, prefix)
				if err != nil || got != want {
					t.Errorf("CountPrefix(%q) = %+v, %v; want %+v", prefix, got, err, want)
				}
			}
		})
	}
}

// checkCounts compares the groups an aggregation returned with want.
func checkCounts(t *testing.T, what string, want map[string]outcome.Counts, got func(yield func(string, outcome.Counts) bool)) {
	t.Helper()
	seen := map[string]bool{}
	for k, c := range got {
		seen[k] = true
		if c != want[k] {
			t.Errorf("%s: group %q = %+v, want %+v", what, k, c, want[k])
		}
	}
	for k := range want {
		if !seen[k] {
			t.Errorf("%s: group %q missing", what, k)
		}
	}
}

package workbench_test

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"testing"

	"github.com/callqa/callqa/internal/scale"
	"github.com/callqa/callqa/internal/testsvc"
	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/scorecards"
	"github.com/callqa/callqa/store"
	"github.com/callqa/callqa/workbench"
	"golang.org/x/crypto/bcrypt"
)

// referenceQueue is the review queue built from Outcomes, every call's
// outcome (the definition Queue must keep).
func referenceQueue(ctx context.Context, t *testing.T, w *workbench.Workbench, sc *models.Scorecard, f workbench.QueueFilter) *workbench.QueuePage {
	t.Helper()
	rate := f.CalibrationRate
	if rate == 0 {
		rate = workbench.DefaultCalibrationRate
	}
	size := f.PageSize
	if size <= 0 {
		size = 50
	}
	page := max(f.Page, 1)
	all, err := w.Outcomes(ctx, sc, f.CallFilter)
	if err != nil {
		t.Fatal(err)
	}
	p := &workbench.QueuePage{Page: page, PageSize: size, Items: []workbench.QueueItem{}, From: f.From, To: f.To}
	var items []workbench.QueueItem
	for _, o := range all {
		reason := workbench.FlagReason(o, rate)
		if reason == "" {
			continue
		}
		c := &p.Counts
		c.Flagged++
		if o.Verdict != nil {
			c.Reviewed++
		} else {
			c.Pending++
		}
		switch reason {
		case workbench.ReasonVeto:
			c.Veto++
		case workbench.ReasonFailed:
			c.Failed++
		case workbench.ReasonReview:
			c.Review++
		case workbench.ReasonCalibration:
			c.Calibration++
		}
		if f.Status == workbench.StatusPending && o.Verdict != nil || f.Status == workbench.StatusReviewed && o.Verdict == nil {
			continue
		}
		if f.Reason != "" && f.Reason != reason {
			continue
		}
		items = append(items, workbench.QueueItem{CallOutcome: o, Reason: reason})
	}
	when := func(o workbench.QueueItem) string { return o.CallDate + " " + o.StartedAt + " " + o.CallID }
	less := map[string]func(a, b workbench.QueueItem) bool{
		"":           func(a, b workbench.QueueItem) bool { return when(a) > when(b) },
		"date":       func(a, b workbench.QueueItem) bool { return when(a) > when(b) },
		"date_asc":   func(a, b workbench.QueueItem) bool { return when(a) < when(b) },
		"score":      func(a, b workbench.QueueItem) bool { return a.Score < b.Score },
		"score_desc": func(a, b workbench.QueueItem) bool { return a.Score > b.Score },
		"agent":      func(a, b workbench.QueueItem) bool { return a.AgentName+a.AgentID < b.AgentName+b.AgentID },
		"team":       func(a, b workbench.QueueItem) bool { return a.Team < b.Team },
	}[f.Sort]
	sort.SliceStable(items, func(i, j int) bool { return less(items[i], items[j]) })
	p.Total = len(items)
	lo := min((page-1)*size, len(items))
	hi := min(lo+size, len(items))
	p.Items = append(p.Items, items[lo:hi]...)
	return p
}

// TestQueueEqualsOutcomes checks that the review queue, which reads the
// details of the page's calls only, gives the page built from every
// call's outcome, for filters, statuses, reasons, sorts and pages, on
// generated calls with reviews (some overturned, so re-scored), verdicts
// and the calibration sample.
func TestQueueEqualsOutcomes(t *testing.T) {
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
			w, err := workbench.New(st, workbench.Config{BcryptCost: bcrypt.MinCost})
			if err != nil {
				t.Fatal(err)
			}
			card, err := scorecards.Default()
			if err != nil {
				t.Fatal(err)
			}
			g, err := scale.NewGenerator(scale.Config{Seed: 11, Results: 2400, Days: 3, End: "2026-11-25"}, card)
			if err != nil {
				t.Fatal(err)
			}
			stats, err := scale.Load(ctx, g, st, w, scale.LoadConfig{Chunk: 400})
			if err != nil {
				t.Fatal(err)
			}
			if stats.Overturned == 0 {
				t.Fatal("no overturned review: nothing to re-score")
			}
			// Final verdicts on every fourth flagged, failed call, both ways.
			all, err := w.Outcomes(ctx, card, workbench.CallFilter{ScorecardID: card.ID, ScorecardVersion: card.Version})
			if err != nil {
				t.Fatal(err)
			}
			n, rescored := 0, 0
			for _, o := range all {
				if !o.Passed && o.ReviewedPassed {
					rescored++
				}
				if o.Passed {
					continue
				}
				if n++; n%4 == 0 {
					err := w.SaveVerdict(ctx, workbench.Verdict{Recording: o.Recording, CallID: o.CallID, Passed: n%8 == 0, Reviewer: "qa_test",
						ScorecardID: o.ScorecardID, ScorecardVersion: o.ScorecardVersion}, "")
					if err != nil {
						t.Fatal(err)
					}
				}
			}
			t.Logf("%d calls, %d reviews (%d overturned), %d failed calls passed after review, %d verdicts",
				len(all), stats.Reviews, stats.Overturned, rescored, n/4)
			day := g.Days()[1].Date
			base := workbench.CallFilter{ScorecardID: card.ID, ScorecardVersion: card.Version}
			oneDay := base
			oneDay.From, oneDay.To = day, day
			var filters []workbench.QueueFilter
			for _, cf := range []workbench.CallFilter{base, oneDay, {From: day, To: day}} {
				for _, status := range []string{"", workbench.StatusPending, workbench.StatusReviewed} {
					for _, sortBy := range append([]string{""}, workbench.QueueSorts...) {
						filters = append(filters, workbench.QueueFilter{CallFilter: cf, Status: status, Sort: sortBy, Page: 1})
					}
				}
				for _, reason := range []string{workbench.ReasonVeto, workbench.ReasonFailed, workbench.ReasonReview, workbench.ReasonCalibration} {
					filters = append(filters, workbench.QueueFilter{CallFilter: cf, Reason: reason, PageSize: 500})
				}
				for page := 1; page <= 4; page++ {
					filters = append(filters, workbench.QueueFilter{CallFilter: cf, Page: page, PageSize: 37, Sort: "score"})
				}
				filters = append(filters, workbench.QueueFilter{CallFilter: cf, Page: 1000})
			}
			a := g.Agents()[3]
			for _, narrow := range []func(*workbench.CallFilter){
				func(f *workbench.CallFilter) { f.Team = a.Team },
				func(f *workbench.CallFilter) { f.Agent = a.ID },
				func(f *workbench.CallFilter) { f.Agent = a.Name },
				func(f *workbench.CallFilter) { f.Queue = scale.Queues[2] },
				func(f *workbench.CallFilter) { f.Rule = "dead_air" },
			} {
				f := workbench.QueueFilter{CallFilter: oneDay, PageSize: 500}
				narrow(&f.CallFilter)
				filters = append(filters, f)
			}
			// A calibration sample of every passed call: more call ids than
			// the queue names in its query (it reads every call instead).
			filters = append(filters, workbench.QueueFilter{CallFilter: oneDay, CalibrationRate: 0.2, PageSize: 500},
				workbench.QueueFilter{CallFilter: oneDay, CalibrationRate: -1, PageSize: 500},
				workbench.QueueFilter{CallFilter: base, CalibrationRate: 1, PageSize: 500, Sort: "agent"})
			checkedRescored := false
			for i, f := range filters {
				t.Run(fmt.Sprint(i), func(t *testing.T) {
					got, err := w.Queue(ctx, card, f)
					if err != nil {
						t.Fatal(err)
					}
					want := referenceQueue(ctx, t, w, card, f)
					if !reflect.DeepEqual(got, want) {
						t.Errorf("filter %+v:\n got total %d counts %+v\nwant total %d counts %+v", f, got.Total, got.Counts, want.Total, want.Counts)
						for j := range min(len(got.Items), len(want.Items)) {
							if !reflect.DeepEqual(got.Items[j], want.Items[j]) {
								t.Errorf("item %d:\n got %+v\nwant %+v", j, got.Items[j], want.Items[j])
								break
							}
						}
					}
					for _, it := range got.Items {
						if !it.Passed && it.ReviewedPassed && it.Verdict == nil {
							checkedRescored = true
						}
					}
				})
			}
			if !checkedRescored {
				t.Error("no page held a call re-scored to passed: the test misses the re-scoring")
			}
		})
	}
}

package workbench

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/callqa/callqa/internal/testsvc"
	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/store"
)

// TestCallIDClash stores three recordings whose metadata carry one call_id,
// two on one day and one on the next: all three are stored, counted and
// listed, each keeps its own reviews and verdict, and the clash is named
// (log, Clashes, CallRecordings).
func TestCallIDClash(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, be := range testsvc.Backends(t) {
		t.Run(be.Name, func(t *testing.T) {
			var logs testsvc.SyncBuffer
			st, err := store.Open(ctx, be.Fresh(t), store.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			wb, err := New(st, Config{BcryptCost: bcrypt.MinCost})
			if err != nil {
				t.Fatal(err)
			}
			mk := func(rec, date string, passed bool, rules ...string) *models.Result {
				r := testsvc.Result("C1", date, "一组", "A1", passed, 90, rules...)
				r.Recording = rec
				return r
			}
			a := mk("2026/11/25/a.wav", "2026-11-25", true)
			b := mk("2026/11/25/b.wav", "2026-11-25", false, "taboo")
			c := mk("2026/11/26/c.wav", "2026-11-26", true, "greeting")
			solo := testsvc.Result("S1", "2026-11-25", "一组", "A1", true, 95)
			for _, r := range []*models.Result{a, b, c, solo} {
				if err := st.SaveResult(ctx, "", r); err != nil {
					t.Fatal(err)
				}
			}
			// A rerun of a recording replaces its own row only.
			b.Findings = append(b.Findings, models.Finding{Rule: "closing", Start: 50, End: 55, Deduct: 5})
			if err := st.SaveResult(ctx, "", b); err != nil {
				t.Fatal(err)
			}

			var n, nf int
			if err := st.DB().QueryRow(`SELECT COUNT(*) FROM results`).Scan(&n); err != nil || n != 4 {
				t.Errorf("results rows = %d, %v; want 4 (three recordings of C1 and S1)", n, err)
			}
			if err := st.DB().QueryRow(`SELECT COUNT(*) FROM findings WHERE recording = '2026/11/25/b.wav'`).Scan(&nf); err != nil || nf != 2 {
				t.Errorf("findings of b = %d, %v; want 2", nf, err)
			}
			gs, err := st.GroupCounts(ctx, store.ReportFilter{Scorecard: testsvc.Scorecard}, store.GroupDay)
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(gs); got != "[{2026-11-25 2026-11-25 {3 0 2} 275} {2026-11-26 2026-11-26 {1 0 1} 90}]" {
				t.Errorf("GroupCounts by day = %s", got)
			}
			for prefix, want := range map[string]int{"2026/11/25/": 3, "2026/11/26/": 1} {
				if c, err := st.CountPrefix(ctx, testsvc.Scorecard, prefix); err != nil || c.Results() != want {
					t.Errorf("CountPrefix(%s) = %+v, %v; want %d done", prefix, c, err, want)
				}
			}
			listed, err := st.ListCalls(ctx, store.ListFilter{ReportFilter: store.ReportFilter{Scorecard: testsvc.Scorecard, From: "2026-11-25", To: "2026-11-25"}, Status: models.StatusInspected})
			if err != nil {
				t.Fatal(err)
			}
			var recs []string
			for _, l := range listed {
				recs = append(recs, l.CallID+"="+l.Recording+fmt.Sprint(l.Rules))
			}
			if got := strings.Join(recs, " "); got != "C1=2026/11/25/a.wav[] C1=2026/11/25/b.wav[taboo closing] S1=2026/11/25/S1.wav[]" {
				t.Errorf("ListCalls = %s", got)
			}

			const want = "[{C1 [{2026/11/25/a.wav 2026-11-25 inspected} {2026/11/25/b.wav 2026-11-25 inspected} {2026/11/26/c.wav 2026-11-26 inspected}]}]"
			for _, f := range []store.ClashFilter{
				{Scorecard: testsvc.Scorecard},
				{Scorecard: testsvc.Scorecard, From: "2026-11-26", To: "2026-11-26"},
				{Scorecard: testsvc.Scorecard, Prefix: "2026/11/25/"},
			} {
				cl, err := st.Clashes(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				if got := fmt.Sprint(cl); got != want {
					t.Errorf("Clashes(%+v) = %s, want %s", f, got, want)
				}
			}
			if cl, err := st.Clashes(ctx, store.ClashFilter{Scorecard: testsvc.Scorecard, From: "2026-11-27"}); err != nil || len(cl) != 0 {
				t.Errorf("Clashes of a day without results = %v, %v", cl, err)
			}
			if cl, err := st.Clashes(ctx, store.ClashFilter{Scorecard: models.ScorecardRef{ID: testsvc.Scorecard.ID, Version: 2}}); err != nil || len(cl) != 0 {
				t.Errorf("Clashes of another version = %v, %v", cl, err)
			}
			if got := logs.String(); strings.Count(got, "call_id clash") < 2 || !strings.Contains(got, "2026/11/25/a.wav") {
				t.Errorf("log does not name the clash: %s", got)
			}

			// Reviews and verdicts belong to one recording each.
			if err := wb.SaveReview(ctx, Review{Recording: b.Recording, CallID: "C1", Rule: "taboo", StartMS: 0, Decision: DecisionOverturn, Reviewer: "ann"}, ""); err != nil {
				t.Fatal(err)
			}
			if err := wb.SaveVerdict(ctx, Verdict{Recording: a.Recording, CallID: "C1", Passed: false, Reviewer: "ann"}, ""); err != nil {
				t.Fatal(err)
			}
			for _, tc := range []struct {
				rec              string
				reviews          int
				verdict, reviewd bool
			}{{a.Recording, 0, true, false}, {b.Recording, 1, false, true}, {c.Recording, 0, false, true}} {
				rs, err := wb.Reviews(ctx, tc.rec)
				if err != nil || len(rs) != tc.reviews {
					t.Errorf("Reviews(%s) = %v, %v; want %d", tc.rec, rs, err, tc.reviews)
				}
				v, err := wb.Verdict(ctx, tc.rec)
				if err != nil || (v != nil) != tc.verdict {
					t.Errorf("Verdict(%s) = %+v, %v", tc.rec, v, err)
				}
			}
			out, err := wb.Outcomes(ctx, reviewScorecard(), CallFilter{ScorecardID: testsvc.Scorecard.ID})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, o := range out {
				got = append(got, fmt.Sprintf("%s:%v/%v", o.Recording, o.Passed, o.ReviewedPassed))
			}
			// a: machine pass, verdict fail; b: its taboo finding overturned,
			// re-scored from closing alone (10 points): 90 passes; the other
			// two recordings of C1 are untouched by either.
			if g := strings.Join(got, " "); g != "2026/11/25/a.wav:true/false 2026/11/25/b.wav:false/true 2026/11/25/S1.wav:true/true 2026/11/26/c.wav:true/true" {
				t.Errorf("Outcomes = %s", g)
			}
			crs, err := wb.CallRecordings(ctx, "C1")
			if err != nil || len(crs) != 3 || crs[0].Recording != a.Recording || crs[2].Date != "2026-11-26" {
				t.Errorf("CallRecordings(C1) = %+v, %v", crs, err)
			}
			if crs, err := wb.CallRecordings(ctx, "nope"); err != nil || len(crs) != 0 {
				t.Errorf("CallRecordings(nope) = %+v, %v", crs, err)
			}
		})
	}
}

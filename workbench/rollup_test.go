package workbench

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/outcome"
	"github.com/callqa/callqa/store"
)

// TestRollupsFollowRows changes results, reviews and verdicts every way
// that moves a figure and checks, after each step, that the rollups kept
// in step by each transaction equal the rollups rebuilt from the rows
// (store.RebuildRollups, the row-level definition), table by table, on
// both backends; and that the figures read from them equal the Go
// definition of an outcome (outcome.Counts over the rows).
func TestRollupsFollowRows(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sc := reviewScorecard()
	eachBackend(t, func(t *testing.T, st *store.Store, wb *Workbench) {
		check := func(step string) {
			t.Helper()
			kept := snapshotRollups(t, st)
			if err := st.RebuildRollups(ctx); err != nil {
				t.Fatal(err)
			}
			rebuilt := snapshotRollups(t, st)
			compareSnapshots(t, step, kept, rebuilt)
			checkAgainstGo(t, step, st)
		}
		seedOutcomes(t, st, wb, sc, 150, 1)
		saveIndicatorFixture(t, st, wb)
		check("inserts, reviews and verdicts")

		// Re-inspections that move a result between every kind of group.
		for i, change := range []func(r *models.Result){
			func(r *models.Result) { r.Meta.Team = "七组" },
			func(r *models.Result) { r.Meta.AgentID, r.Meta.AgentName = "A999", "新坐席" },
			func(r *models.Result) { r.Meta.Queue = "失业" },
			func(r *models.Result) { t := r.Meta.StartedAt.AddDate(0, 0, 3); r.Meta.StartedAt = &t },
			func(r *models.Result) {
				r.Status, r.Error, r.Findings, r.Passed, r.Score = models.StatusUnprocessable, "truncated", nil, false, 0
			},
			func(r *models.Result) { r.Findings, r.Passed, r.Score = nil, true, 100 },
			func(r *models.Result) {
				r.Findings = append(r.Findings, models.Finding{Rule: "complaint", Name: "投诉风险", Start: 33, End: 34,
					Review: true, Indicator: models.IndicatorComplaint})
			},
			func(r *models.Result) { no := false; r.Meta.Answered = &no },
			func(r *models.Result) { r.Meta.Satisfaction = models.SatisfactionBasic },
			func(r *models.Result) { r.Analysis = &models.AnalysisRef{VAD: "energy", Version: 1} },
			func(r *models.Result) { r.Scorecard.Version = 3 }, // a new version: the recording's version set changes
		} {
			key := fmt.Sprintf("2026/11/C%06d.wav", 3+i*7)
			r, err := st.GetResult(ctx, key, models.ScorecardRef{ID: sc.ID, Version: 1})
			if err != nil {
				t.Fatal(err)
			}
			change(r)
			if err := st.SaveResult(ctx, "", r); err != nil {
				t.Fatal(err)
			}
		}
		check("re-inspections")

		// Verdicts changed and reviews turned around.
		for i := range 12 {
			id := fmt.Sprintf("C%06d", i*11)
			if err := wb.SaveVerdict(ctx, Verdict{Recording: "2026/11/" + id + ".wav", CallID: id, Passed: i%2 == 0, Reviewer: "bob"}, ""); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range indicatorFixture {
			rec := strings.ReplaceAll(c.date, "-", "/") + "/" + c.id + ".wav"
			for j, start := range c.complaints {
				d := DecisionOverturn
				if c.reviews[j] != DecisionConfirm {
					d = DecisionConfirm
				}
				if err := wb.SaveReview(ctx, Review{Recording: rec, CallID: c.id, Rule: "complaint_risk", StartMS: models.StartMS(start),
					Decision: d, Reviewer: "bob"}, ""); err != nil {
					t.Fatal(err)
				}
			}
		}
		check("verdicts and reviews changed")
	})
}

// rollupSnapshot is the content of the rollup tables, one line per row.
type rollupSnapshot map[string][]string

// snapshotRollups reads every rollup table, each row as its key columns
// and its values.
func snapshotRollups(t *testing.T, st *store.Store) rollupSnapshot {
	t.Helper()
	out := rollupSnapshot{}
	for table, order := range map[string]string{
		"rollups":         "scorecard_id, scorecard_version, dim, call_date, grp, name, analysis_vad, analysis_version",
		"rule_rollups":    "scorecard_id, scorecard_version, call_date, rule, analysis_vad, analysis_version",
		"version_rollups": "call_date, versions",
		"scorecard_usage": "scorecard_id, scorecard_version, call_date",
	} {
		rows, err := st.DB().Query(`SELECT * FROM ` + table + ` ORDER BY ` + order)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for i, v := range vals {
				if f, ok := v.(float64); ok {
					v = math.Round(f*1e6) / 1e6 // sums kept by additions and subtractions
				}
				if bs, ok := v.([]byte); ok {
					v = string(bs)
				}
				fmt.Fprintf(&b, "%s=%v ", cols[i], v)
			}
			out[table] = append(out[table], b.String())
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	return out
}

func compareSnapshots(t *testing.T, step string, kept, rebuilt rollupSnapshot) {
	t.Helper()
	if len(rebuilt["rollups"]) == 0 || len(rebuilt["rule_rollups"]) == 0 || len(rebuilt["version_rollups"]) == 0 {
		t.Fatalf("%s: empty rollups after a rebuild: the test checks nothing", step)
	}
	for table, want := range rebuilt {
		got := kept[table]
		if strings.Join(got, "\n") == strings.Join(want, "\n") {
			continue
		}
		t.Errorf("%s: %s kept in step (%d rows) differs from the rebuilt (%d rows)", step, table, len(got), len(want))
		for i := 0; i < max(len(got), len(want)); i++ {
			g, w := "", ""
			if i < len(got) {
				g = got[i]
			}
			if i < len(want) {
				w = want[i]
			}
			if g != w {
				t.Errorf(" kept    %s\n rebuilt %s", g, w)
				break
			}
		}
	}
}

// checkAgainstGo compares the pass-rate counts read from the rollups with
// outcome.Counts over the stored results, per day.
func checkAgainstGo(t *testing.T, step string, st *store.Store) {
	t.Helper()
	ctx := context.Background()
	rows, err := st.DB().Query(`SELECT scorecard_id, scorecard_version, call_date, status, passed FROM results`)
	if err != nil {
		t.Fatal(err)
	}
	want := map[models.ScorecardRef]map[string]outcome.Counts{}
	for rows.Next() {
		var ref models.ScorecardRef
		var day, status string
		var passed int
		if err := rows.Scan(&ref.ID, &ref.Version, &day, &status, &passed); err != nil {
			t.Fatal(err)
		}
		if want[ref] == nil {
			want[ref] = map[string]outcome.Counts{}
		}
		c := want[ref][day]
		c.Add(status, passed != 0, 1)
		want[ref][day] = c
	}
	rows.Close()
	for ref, days := range want {
		gs, err := st.GroupCounts(ctx, store.ReportFilter{Scorecard: ref}, store.GroupDay)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]outcome.Counts{}
		for _, g := range gs {
			got[g.Key] = g.Counts
		}
		if fmt.Sprint(got) != fmt.Sprint(days) {
			t.Errorf("%s: %v per day from the rollups %v, from the rows %v", step, ref, got, days)
		}
	}
}

package store

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/callqa/callqa/internal/testsvc"
	"github.com/callqa/callqa/models"
)

// TestMigrateRollups fills a database at the schema before the rollups
// and checks that opening it builds them from the rows: the reports of the
// old results are the same as before the upgrade.
func TestMigrateRollups(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, be := range testsvc.Backends(t) {
		t.Run(be.Name, func(t *testing.T) {
			url := be.Fresh(t)
			old, err := openUpTo(ctx, url, Options{}, 310)
			if err != nil {
				t.Fatal(err)
			}
			ins := func(rec, day, team, status string, passed, version int) string {
				return fmt.Sprintf(`INSERT INTO results (recording, scorecard_id, scorecard_version, call_id, status, passed, score, team, call_date, inspected_at, result_json)
					VALUES ('%s', 'hotline-12333', %d, 'x', '%s', %d, 90, '%s', '%s', '%sT10:00:00.000000000Z', '{}')`, rec, version, status, passed, team, day, day)
			}
			for _, q := range []string{
				ins("a.wav", "2026-11-25", "一组", "inspected", 1, 1),
				ins("b.wav", "2026-11-25", "一组", "inspected", 0, 1),
				ins("c.wav", "2026-11-26", "二组", "unprocessable", 0, 1),
				ins("d.wav", "2026-11-26", "二组", "inspected", 1, 2), // only under v2
				`INSERT INTO findings (recording, scorecard_id, scorecard_version, seq, rule, name, deduct, start_s) VALUES ('b.wav', 'hotline-12333', 1, 0, 'greeting', '开场白', 10, 1.5)`,
				`INSERT INTO reviews (recording, rule, start_ms, call_id, decision, reviewer, reviewed_at) VALUES ('b.wav', 'greeting', 1500, 'x', 'overturn', 'ann', '2026-11-26T10:00:00Z')`,
			} {
				if _, err := old.db.ExecContext(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			old.Close()
			st := openURL(t, url)
			v1 := ReportFilter{Scorecard: models.ScorecardRef{ID: "hotline-12333", Version: 1}}
			gs, err := st.GroupCounts(ctx, v1, GroupTeam)
			if err != nil || fmt.Sprint(gs) != "[{一组 一组 {2 0 1} 180} {二组 二组 {0 1 0} 0}]" {
				t.Errorf("GroupCounts by team = %v, %v", gs, err)
			}
			rs, err := st.RuleCounts(ctx, v1)
			if err != nil || fmt.Sprint(rs) != "[{greeting 开场白 1 1 10 0 1 1}]" {
				t.Errorf("RuleCounts = %+v, %v", rs, err)
			}
			n, other, err := st.OtherScorecards(ctx, v1)
			if err != nil || n != 1 || fmt.Sprint(other) != "[{{hotline-12333 2} 1}]" {
				t.Errorf("OtherScorecards = %d %v, %v", n, other, err)
			}
			us, err := st.Scorecards(ctx)
			if err != nil || len(us) != 2 || us[0].Calls != 1 || us[1].Calls != 3 {
				t.Errorf("Scorecards = %+v, %v", us, err)
			}
		})
	}
}

// TestRecountPlans explains, on a SQLite database without statistics (as
// every SQLite database is unless someone runs ANALYZE), the queries that
// recount a saved or reviewed call: each must reach the call's rows by an
// index on the recording (its primary key). A plan that searches by
// another index or scans a table makes every save cost more as the
// database grows (findings_by_rule did, until 0422 dropped it).
func TestRecountPlans(t *testing.T) {
	t.Parallel()
	st := openURL(t, filepath.Join(t.TempDir(), "plans.db"))
	for i, q := range contributionQueries(3) {
		rows, err := st.db.Query(`EXPLAIN QUERY PLAN `+q, "a", "b", "c")
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		for _, step := range plan {
			table, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(step, "SEARCH "), "SCAN "), " ")
			switch {
			case strings.HasPrefix(step, "SCAN "):
				t.Errorf("query %d scans %s:\n%s", i, table, strings.Join(plan, "\n"))
			case strings.HasPrefix(step, "SEARCH ") && !strings.Contains(step, "recording=?"):
				t.Errorf("query %d searches %s by an index without the recording:\n%s", i, table, strings.Join(plan, "\n"))
			}
		}
	}
}

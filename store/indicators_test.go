package store

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/callqa/callqa/internal/testsvc"
)

// TestMigrateIndicators fills a database at the schema before the
// indicator columns and checks the backfill: the agent's talk time from
// result_json, the complaint findings of the built-in card's
// complaint_risk rule (and of no other card's), answered and not surveyed
// for every old result.
func TestMigrateIndicators(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, be := range testsvc.Backends(t) {
		t.Run(be.Name, func(t *testing.T) {
			url := be.Fresh(t)
			old, err := openUpTo(ctx, url, Options{}, 302)
			if err != nil {
				t.Fatal(err)
			}
			ins := func(rec, card, status, doc string) string {
				return `INSERT INTO results (recording, scorecard_id, scorecard_version, call_id, status, call_date, inspected_at, result_json)
					VALUES ('` + rec + `', '` + card + `', 1, 'x', '` + status + `', '2026-11-25', '2026-11-25T10:00:00.000000000Z', '` + doc + `')`
			}
			stmts := []string{
				ins("a.wav", "hotline-12333", "inspected", `{"metrics": {"agent": {"talk_s": 39.8}, "customer": {"talk_s": 20}}, "meta": {"team": "一组"}}`),
				ins("b.wav", "hotline-12333", "inspected", `{"metrics": {"mixed": {"talk_s": 50}}}`),
				ins("c.wav", "custom", "inspected", `{"metrics": {"agent": {"talk_s": 7}}}`),
				ins("d.wav", "hotline-12333", "unprocessable", `{}`),
				`INSERT INTO findings (recording, scorecard_id, scorecard_version, seq, rule) VALUES ('a.wav', 'hotline-12333', 1, 0, 'greeting')`,
				`INSERT INTO findings (recording, scorecard_id, scorecard_version, seq, rule) VALUES ('a.wav', 'hotline-12333', 1, 1, 'complaint_risk')`,
				`INSERT INTO findings (recording, scorecard_id, scorecard_version, seq, rule) VALUES ('c.wav', 'custom', 1, 0, 'complaint_risk')`,
			}
			for _, q := range stmts {
				if _, err := old.db.ExecContext(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			old.Close()
			st := openURL(t, url)
			rows, err := st.DB().QueryContext(ctx, `SELECT recording, answered, satisfaction, agent_talk_s, complaint FROM results ORDER BY recording`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var got []string
			for rows.Next() {
				var rec, sat string
				var answered, complaint int
				var talk float64
				if err := rows.Scan(&rec, &answered, &sat, &talk, &complaint); err != nil {
					t.Fatal(err)
				}
				got = append(got, fmt.Sprintf("%s %d %q %g %d", rec, answered, sat, talk, complaint))
			}
			want := []string{`a.wav 1 "" 39.8 1`, `b.wav 1 "" 0 0`, `c.wav 1 "" 7 0`, `d.wav 1 "" 0 0`}
			if strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("results\n got %v\nwant %v", got, want)
			}
			var n int
			if err := st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM findings WHERE indicator = 'complaint'`).Scan(&n); err != nil || n != 1 {
				t.Errorf("complaint findings = %d, %v; want 1 (the built-in card's)", n, err)
			}
		})
	}
}

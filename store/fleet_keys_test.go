package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/callqa/callqa/internal/testsvc"
	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/outcome"
	"github.com/callqa/callqa/store"
)

// TestBatchKeys: a batch's total is the number of keys its plans listed
// and enqueue --key added (each once), its progress the results of those
// keys only; a batch planned before keys were recorded is not extended by
// AddBatchKey. On SQLite and PostgreSQL, with more keys than one
// statement takes.
func TestBatchKeys(t *testing.T) {
	t.Parallel()
	for _, be := range []struct {
		name string
		url  func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "results.db") }},
		{"postgres", func(t *testing.T) string { return testsvc.Postgres(t) }},
	} {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			st, err := store.Open(ctx, be.url(t), store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			sc := models.ScorecardRef{ID: "hotline-12333", Version: 1}
			const id, old = "fleet-2026-11-25-hotline-12333-v1", "fleet-2026-11-24-hotline-12333-v1"
			key := func(i int) string { return fmt.Sprintf("2026/11/25/C%04d.wav", i) }
			var keys []string
			for i := range 1200 {
				keys = append(keys, key(i))
			}
			an := models.AnalysisRef{VAD: "silero-v5", Version: 2}
			save := func(k string, status string, passed bool) {
				t.Helper()
				r := &models.Result{CallID: filepath.Base(k), Recording: k, Status: status, Scorecard: sc,
					Passed: passed, Findings: []models.Finding{}, Analysis: &an}
				if status == models.StatusUnprocessable {
					r.Error = "decode: not a RIFF file"
				}
				if err := st.SaveResult(ctx, id, r); err != nil {
					t.Fatal(err)
				}
			}
			progress := func(step string, batch string, wantTotal int, want outcome.Counts) {
				t.Helper()
				total, c, err := st.BatchProgress(ctx, batch, sc)
				if err != nil || total != wantTotal || c != want {
					t.Fatalf("%s: BatchProgress = %d, %+v, %v; want %d, %+v", step, total, c, err, wantTotal, want)
				}
			}
			progress("no keys", id, 0, outcome.Counts{})
			// A listing, then the same listing again (a retried plan).
			for range 2 {
				if err := st.AddPlanKeys(ctx, id, keys[:1000]); err != nil {
					t.Fatal(err)
				}
			}
			progress("listed", id, 1000, outcome.Counts{})
			save(key(0), models.StatusInspected, true)
			save(key(1), models.StatusInspected, false)
			save(key(2), models.StatusUnprocessable, false)
			save("2026/11/25/ELSEWHERE.wav", models.StatusInspected, true) // not a key of the batch
			progress("three results", id, 1000, outcome.Counts{Inspected: 2, Unprocessable: 1, Passed: 1})
			// A replan lists more (late recordings); enqueue --key adds one.
			if err := st.AddPlanKeys(ctx, id, keys); err != nil {
				t.Fatal(err)
			}
			for _, tt := range []struct {
				batch, key string
				want       bool
			}{
				{id, "2026/11/25/LATE.wav", true},
				{id, "2026/11/25/LATE.wav", false}, // twice: once
				{id, key(5), false},                // listed already
				{old, "2026/11/24/C1.wav", false},  // a batch without recorded keys
			} {
				added, err := st.AddBatchKey(ctx, tt.batch, tt.key)
				if err != nil || added != tt.want {
					t.Errorf("AddBatchKey(%s, %s) = %v, %v; want %v", tt.batch, tt.key, added, err, tt.want)
				}
			}
			save("2026/11/25/LATE.wav", models.StatusInspected, true)
			progress("extended", id, 1201, outcome.Counts{Inspected: 3, Unprocessable: 1, Passed: 2})
			progress("old batch", old, 0, outcome.Counts{})

			// An inspected result of an older analysis is no result: the
			// call is planned again.
			older := models.AnalysisRef{VAD: "energy", Version: 1}
			if err := st.SaveResult(ctx, id, &models.Result{CallID: "OLD", Recording: "2026/11/25/OLD.wav", Status: models.StatusInspected,
				Scorecard: sc, Findings: []models.Finding{}, Analysis: &older}); err != nil {
				t.Fatal(err)
			}
			got, err := st.WithResult(ctx, sc, an, append([]string{"2026/11/25/LATE.wav", "2026/11/25/ELSEWHERE.wav", "2026/11/25/OLD.wav"}, keys...))
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]bool{key(0): true, key(1): true, key(2): true, "2026/11/25/LATE.wav": true, "2026/11/25/ELSEWHERE.wav": true}
			if len(got) != len(want) {
				t.Fatalf("WithResult = %v, want %v", got, want)
			}
			for k := range want {
				if !got[k] {
					t.Errorf("WithResult misses %s", k)
				}
			}
			if got, err := st.WithResult(ctx, models.ScorecardRef{ID: sc.ID, Version: 2}, an, keys[:3]); err != nil || len(got) != 0 {
				t.Errorf("WithResult of another version = %v, %v", got, err)
			}
		})
	}
}

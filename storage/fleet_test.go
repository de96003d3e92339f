package storage

import (
	"context"
	"testing"

	"github.com/callqa/callqa/models"
)

func TestFleetQueries(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			s := openStore(t, b)
			ctx := context.Background()
			broken := unprocessable("C9", "2026-11-25")
			broken.Recording = "2026/11/25/C9.wav"
			other := result("D1", "2026-11-26", "一组", "1001", true, 100)
			other.Recording = "2026/11/26/D1.wav"
			underscore := result("E1", "2026-11-25", "一组", "1001", true, 100)
			underscore.Recording = "2026_11_25_E1.wav" // LIKE wildcards must be escaped
			v2 := result("C1", "2026-11-25", "一组", "1001", true, 100)
			v2.Scorecard.Version = 2
			for _, r := range []*models.Result{
				result("C1", "2026-11-25", "一组", "1001", true, 95),
				result("C2", "2026-11-25", "一组", "1002", false, 50, "taboo"),
				result("C3", "2026-11-25", "二组", "1003", true, 90),
				broken, other, underscore, v2,
			} {
				if err := s.SaveResult(ctx, "", r); err != nil {
					t.Fatal(err)
				}
			}
			got, err := s.CountPrefix(ctx, sc1, "2026/11/25/")
			if err != nil {
				t.Fatal(err)
			}
			want := ResultCounts{Inspected: 3, Unprocessable: 1, Passed: 2}
			if got != want || got.Done() != 4 {
				t.Fatalf("CountPrefix = %+v, want %+v", got, want)
			}
			for _, tt := range []struct {
				key  string
				sc   models.ScorecardRef
				want string
			}{
				{"2026/11/25/C1.wav", sc1, models.StatusInspected},
				{"2026/11/25/C9.wav", sc1, models.StatusUnprocessable},
				{"2026/11/25/C4.wav", sc1, ""},
				{"2026/11/25/C3.wav", models.ScorecardRef{ID: sc1.ID, Version: 2}, ""},
			} {
				got, _, err := s.RecordingStatus(ctx, tt.key, tt.sc)
				if err != nil || got != tt.want {
					t.Errorf("RecordingStatus(%s, v%d) = %q, %v; want %q", tt.key, tt.sc.Version, got, err, tt.want)
				}
			}
		})
	}
}

// TestPlannedMark: a batch is planned only after MarkPlanned, which also
// sets its total; ClearPlanned (a plan starting again) undoes it; marking
// an unknown batch is ErrNotFound and marks nothing.
func TestPlannedMark(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			s := openStore(t, b)
			ctx := context.Background()
			batch := &Batch{ID: "fleet-2026-11-25-hotline-12333-v1", Source: "s3://recordings", Prefix: "2026/11/25/",
				Date: "2026-11-25", Scorecard: sc1, Total: 1000}
			if err := s.StartBatch(ctx, batch); err != nil {
				t.Fatal(err)
			}
			planned := func(step string, wantPlanned bool, wantTotal int) {
				t.Helper()
				total, ok, err := s.Planned(ctx, batch.ID)
				if err != nil || ok != wantPlanned || (ok && total != wantTotal) {
					t.Fatalf("%s: Planned = %d, %v, %v; want %d, %v", step, total, ok, err, wantTotal, wantPlanned)
				}
				if !ok {
					return
				}
				row, err := s.GetBatch(ctx, batch.ID)
				if err != nil || row.Total != wantTotal {
					t.Fatalf("%s: batch total %v (%v), want %d", step, row, err, wantTotal)
				}
			}
			planned("started", false, 0)
			if err := s.MarkPlanned(ctx, batch.ID, 1234); err != nil {
				t.Fatal(err)
			}
			planned("marked", true, 1234)
			if err := s.MarkPlanned(ctx, batch.ID, 1240); err != nil {
				t.Fatal(err)
			}
			planned("marked again", true, 1240)
			if err := s.ClearPlanned(ctx, batch.ID); err != nil {
				t.Fatal(err)
			}
			planned("cleared", false, 0)
			if err := s.MarkPlanned(ctx, "fleet-nope", 3); !IsNotFound(err) {
				t.Fatalf("MarkPlanned(unknown batch) = %v, want ErrNotFound", err)
			}
			if _, ok, err := s.Planned(ctx, "fleet-nope"); ok || err != nil {
				t.Fatalf("unknown batch planned: %v, %v", ok, err)
			}
		})
	}
}

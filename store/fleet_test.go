package store

import (
	"context"
	"errors"
	"testing"

	"github.com/callqa/callqa/internal/testsvc"
	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/outcome"
)

func TestFleetQueries(t *testing.T) {
	t.Parallel()
	for _, b := range testsvc.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			s := openStore(t, b)
			ctx := context.Background()
			broken := testsvc.Unprocessable("C9", "2026-11-25")
			broken.Recording = "2026/11/25/C9.wav"
			other := testsvc.Result("D1", "2026-11-26", "一组", "1001", true, 100)
			other.Recording = "2026/11/26/D1.wav"
			underscore := testsvc.Result("E1", "2026-11-25", "一组", "1001", true, 100)
			underscore.Recording = "2026_11_25_E1.wav" // LIKE wildcards must be escaped
			v2 := testsvc.Result("C1", "2026-11-25", "一组", "1001", true, 100)
			v2.Scorecard.Version = 2
			for _, r := range []*models.Result{
				testsvc.Result("C1", "2026-11-25", "一组", "1001", true, 95),
				testsvc.Result("C2", "2026-11-25", "一组", "1002", false, 50, "taboo"),
				testsvc.Result("C3", "2026-11-25", "二组", "1003", true, 90),
				broken, other, underscore, v2,
			} {
				if err := s.SaveResult(ctx, "", r); err != nil {
					t.Fatal(err)
				}
			}
			got, err := s.CountPrefix(ctx, testsvc.Scorecard, "2026/11/25/")
			if err != nil {
				t.Fatal(err)
			}
			want := outcome.Counts{Inspected: 3, Unprocessable: 1, Passed: 2}
			if got != want || got.Results() != 4 {
				t.Fatalf("CountPrefix = %+v, want %+v", got, want)
			}
			for _, tt := range []struct {
				key  string
				sc   models.ScorecardRef
				want string
			}{
				{"2026/11/25/C1.wav", testsvc.Scorecard, models.StatusInspected},
				{"2026/11/25/C9.wav", testsvc.Scorecard, models.StatusUnprocessable},
				{"2026/11/25/C4.wav", testsvc.Scorecard, ""},
				{"2026/11/25/C3.wav", models.ScorecardRef{ID: testsvc.Scorecard.ID, Version: 2}, ""},
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
	for _, b := range testsvc.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			s := openStore(t, b)
			ctx := context.Background()
			batch := &Batch{ID: "fleet-2026-11-25-hotline-12333-v1", Source: "s3://recordings", Prefix: "2026/11/25/",
				Date: "2026-11-25", Scorecard: testsvc.Scorecard, Total: 1000}
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
			if err := s.MarkPlanned(ctx, "fleet-nope", 3); !errors.Is(err, ErrNotFound) {
				t.Fatalf("MarkPlanned(unknown batch) = %v, want ErrNotFound", err)
			}
			if _, ok, err := s.Planned(ctx, "fleet-nope"); ok || err != nil {
				t.Fatalf("unknown batch planned: %v, %v", ok, err)
			}
		})
	}
}

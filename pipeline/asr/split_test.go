package asr

import (
	"fmt"
	"testing"

	"github.com/callqa/callqa/models"
)

func TestPlanPieces(t *testing.T) {
	t.Parallel()
	const rate = 100 // samples per second: times read as hundredths
	tests := []struct {
		name   string
		n, max int64
		speech []models.Span
		want   string
	}{
		{"fits", 500, 500, nil, "[{0 500}]"},
		{"unknown speech: every max", 1000, 400, nil, "[{0 400} {400 800} {800 1000}]"},
		{"silent channel", 1000, 400, []models.Span{}, "[{0 400} {400 800} {800 1000}]"},
		// Pauses 2-3 s and 4.5-6 s: cut 0.25 s before the speech that
		// ends each, as late as the limit allows.
		{"in pauses", 900, 400, []models.Span{{0.5, 2}, {3, 4.5}, {6, 8.5}}, "[{0 275} {275 575} {575 900}]"},
		// A pause too short to prefer, and a long one too early: the
		// long one in the second half wins, the short one when alone.
		{"short pause", 800, 400, []models.Span{{0, 2.5}, {2.6, 7}}, "[{0 255} {255 655} {655 800}]"},
		{"no pause", 1000, 400, []models.Span{{0, 10}}, "[{0 400} {400 800} {800 1000}]"},
		{"pause in the first half only", 1000, 400, []models.Span{{0, 0.5}, {1, 10}}, "[{0 400} {400 800} {800 1000}]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ps := planPieces(tt.n, rate, tt.max, tt.speech)
			if got := fmt.Sprint(ps); got != tt.want {
				t.Errorf("planPieces = %s, want %s", got, tt.want)
			}
			checkPieces(t, ps, tt.n, tt.max)
		})
	}
}

func checkPieces(t *testing.T, ps []piece, n, max int64) {
	t.Helper()
	at := int64(0)
	for _, p := range ps {
		if p.from != at || p.to <= p.from || p.to-p.from > max {
			t.Fatalf("pieces %v: not contiguous pieces of 1 to %d samples over [0, %d)", ps, max, n)
		}
		at = p.to
	}
	if at != n {
		t.Fatalf("pieces %v end at %d, want %d", ps, at, n)
	}
}

// FuzzPlanPieces: whatever the speech, pieces are contiguous, cover the
// channel and stay under the limit.
func FuzzPlanPieces(f *testing.F) {
	f.Add(int64(1000), int64(400), []byte{5, 20, 30, 45, 60, 85})
	f.Add(int64(50), int64(7), []byte{})
	f.Fuzz(func(t *testing.T, n, max int64, cuts []byte) {
		if n <= 0 || n > 1e6 || max <= 0 || max > n+10 {
			return
		}
		var speech []models.Span
		at := 0.0
		for i := 0; i+1 < len(cuts); i += 2 {
			a := at + float64(cuts[i])/10
			b := a + float64(cuts[i+1])/10
			speech = append(speech, models.Span{a, b})
			at = b
		}
		checkPieces(t, planPieces(n, 100, max, speech), n, max)
	})
}

package analyse

import (
	"slices"

	"github.com/callqa/callqa/models"
)

// eps absorbs float error when comparing durations of spans rounded to
// 0.01 s, so that a gap of exactly MinSilence counts.
const eps = 1e-6

// normalize returns spans rounded to 0.01 s, sorted, with empty spans
// dropped and overlapping, nested or touching spans merged. It does not
// modify its argument.
func normalize(spans []models.Span) []models.Span {
	out := make([]models.Span, 0, len(spans))
	for _, s := range spans {
		a, b := round2(s[0]), round2(s[1])
		if b > a {
			out = append(out, models.Span{a, b})
		}
	}
	slices.SortFunc(out, func(x, y models.Span) int {
		switch {
		case x[0] < y[0]:
			return -1
		case x[0] > y[0]:
			return 1
		}
		return 0
	})
	merged := out[:0]
	for _, s := range out {
		if n := len(merged); n > 0 && s[0] <= merged[n-1][1] {
			merged[n-1][1] = max(merged[n-1][1], s[1])
			continue
		}
		merged = append(merged, s)
	}
	return merged
}

// gaps returns the gaps between consecutive normalized spans that last at
// least minLen seconds.
func gaps(spans []models.Span, minLen float64) []models.Span {
	out := []models.Span{}
	for i := 1; i < len(spans); i++ {
		a, b := spans[i-1][1], spans[i][0]
		if b-a >= minLen-eps {
			out = append(out, models.Span{a, b})
		}
	}
	return out
}

// Silences derives the silences of a mono recording from its one channel's
// segments: the gaps of at least cfg.MinSilence (zero: the default)
// between the first and the last speech. Segments may be unsorted,
// overlapping or touching. The result is never nil.
func Silences(cfg Config, segs []models.Span) []models.Span {
	cfg = cfg.WithDefaults()
	return gaps(normalize(segs), cfg.MinSilence)
}

// Conversation derives, from the agent's and the customer's segments:
//   - silences: gaps where neither speaks, between the first and the last
//     speech of the call, of at least cfg.MinSilence;
//   - overtalks: stretches where both speak, of at least cfg.MinOvertalk,
//     each with By set to the speaker who started talking while the other
//     was already talking. When both start at the same instant nobody
//     interrupted; By is then the customer, so that a simultaneous start
//     never counts against the agent.
//
// Zero fields of cfg take their defaults. Segments may be unsorted,
// overlapping or touching; times are rounded to 0.01 s. Neither result is
// nil.
func Conversation(cfg Config, agent, customer []models.Span) (silences []models.Span, overtalks []models.Overtalk) {
	cfg = cfg.WithDefaults()
	ag, cu := normalize(agent), normalize(customer)

	both := normalize(append(slices.Clone(ag), cu...))
	silences = gaps(both, cfg.MinSilence)

	overtalks = []models.Overtalk{}
	for i, j := 0, 0; i < len(ag) && j < len(cu); {
		a, c := ag[i], cu[j]
		start, end := max(a[0], c[0]), min(a[1], c[1])
		if end-start >= cfg.MinOvertalk-eps && end > start {
			by := models.SpeakerCustomer
			if a[0] > c[0] {
				by = models.SpeakerAgent
			}
			overtalks = append(overtalks, models.Overtalk{Start: start, End: end, By: by})
		}
		if a[1] < c[1] {
			i++
		} else {
			j++
		}
	}
	return silences, overtalks
}

// Interruptions counts overtalks by the speaker who started them. Both
// speakers are always present in the map.
func Interruptions(overtalks []models.Overtalk) map[string]int {
	n := map[string]int{models.SpeakerAgent: 0, models.SpeakerCustomer: 0}
	for _, o := range overtalks {
		n[o.By]++
	}
	return n
}

// Total is the summed length of spans in seconds, rounded to 0.01 s (for
// Metrics.SilenceS and a channel's talk time).
func Total(spans []models.Span) float64 { return total(spans) }

// OvertalkTotal is the summed length of overtalks in seconds, rounded to
// 0.01 s (Metrics.OvertalkS).
func OvertalkTotal(overtalks []models.Overtalk) float64 {
	var t float64
	for _, o := range overtalks {
		t += o.End - o.Start
	}
	return round2(t)
}

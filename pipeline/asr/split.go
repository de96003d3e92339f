package asr

import (
	"math"

	"github.com/callqa/callqa/models"
)

// piece is a stretch of a channel sent in one request: samples [from, to).
type piece struct{ from, to int64 }

// minCutPause is the shortest pause a channel is preferably cut in: a
// shorter one may be the gap between two syllables of a word.
const minCutPause = 0.2 // seconds

// cutMargin is how far before the next speech a cut is made, at most, in
// milliseconds.
const cutMargin = 250

// planPieces cuts a channel of n samples at rate Hz into pieces of at most
// max samples, each cut in a pause of the speaker's detected speech (sorted
// spans in seconds; nil: unknown, then the cuts fall every max samples).
// A cut is made in the second half of the longest piece allowed, in the
// latest pause there of at least minCutPause (else the latest pause at
// all), as late as allowed but cutMargin before the speech that ends the
// pause; only a speaker who talks without any pause for more than half a
// piece is cut mid-speech.
func planPieces(n int64, rate int, maxLen int64, speech []models.Span) []piece {
	if n <= maxLen {
		return []piece{{0, n}}
	}
	gaps := pauses(n, rate, speech)
	minGap := int64(minCutPause * float64(rate))
	var ps []piece
	from := int64(0)
	for n-from > maxLen {
		limit := from + maxLen
		lo := from + maxLen/2
		cut, cutShort := int64(-1), int64(-1)
		for _, g := range gaps {
			// The part of the pause where a cut may fall.
			a, b := max(g.from, lo), min(g.to, limit)
			if b <= a {
				continue
			}
			// As late as allowed, but keep clear of the next speech's
			// onset (recognisers' times, and the analysis's, are
			// approximate): a pause is cut no later than a margin before
			// its end, its middle for a short one.
			margin := min(cutMargin*int64(rate)/1000, (g.to-g.from)/2)
			c := max(a, min(b, g.to-margin))
			if g.to-g.from >= minGap {
				cut = c
			} else {
				cutShort = c
			}
		}
		switch {
		case cut > from:
		case cutShort > from:
			cut = cutShort
		default:
			cut = limit
		}
		ps = append(ps, piece{from, cut})
		from = cut
	}
	return append(ps, piece{from, n})
}

// pauses returns the stretches of [0, n) outside the speech spans, in
// samples, in order. Unknown speech (nil) has no pauses.
func pauses(n int64, rate int, speech []models.Span) []piece {
	if speech == nil {
		return nil
	}
	var gaps []piece
	at := int64(0)
	for _, s := range speech {
		a := int64(math.Floor(s[0] * float64(rate)))
		b := int64(math.Ceil(s[1] * float64(rate)))
		if a > at {
			gaps = append(gaps, piece{at, min(a, n)})
		}
		at = max(at, b)
		if at >= n {
			return gaps
		}
	}
	return append(gaps, piece{at, n})
}

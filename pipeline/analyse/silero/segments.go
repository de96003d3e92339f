package silero

import (
	"fmt"
	"math"
	"time"
)

// SegmentParams are the rules by which upstream's get_speech_timestamps
// turns window probabilities into speech segments. The zero value means
// upstream's defaults; a negative duration means zero.
type SegmentParams struct {
	// Threshold starts speech: a window with probability >= Threshold is
	// speech. Default 0.5.
	Threshold float64
	// NegThreshold ends speech: in speech, a window below it starts a
	// silence. Default max(Threshold-0.15, 0.01).
	NegThreshold float64
	// MinSpeech drops segments not longer than it. Default 250 ms.
	MinSpeech time.Duration
	// MinSilence is how long a silence must last to end a segment.
	// Default 100 ms.
	MinSilence time.Duration
	// SpeechPad widens each segment on both sides (by half the gap when
	// two segments are closer than twice the pad). Default 30 ms.
	SpeechPad time.Duration
	// MaxSpeech splits segments longer than it, at the longest silence
	// longer than MinSilenceAtMaxSpeech inside it (the last such silence
	// with LastSilenceAtMaxSpeech), or else just before MaxSpeech.
	// Default 0: no limit.
	MaxSpeech time.Duration
	// MinSilenceAtMaxSpeech is the shortest silence that MaxSpeech may
	// split at. Default 98 ms.
	MinSilenceAtMaxSpeech time.Duration
	// LastSilenceAtMaxSpeech splits at the last eligible silence instead
	// of the longest (upstream's use_max_poss_sil_at_max_speech=False).
	LastSilenceAtMaxSpeech bool
}

// Validate checks the parameters, naming the field at fault.
func (p SegmentParams) Validate() error {
	if p.Threshold < 0 || p.Threshold > 1 || math.IsNaN(p.Threshold) {
		return fmt.Errorf("silero: SegmentParams.Threshold %v is outside [0, 1]", p.Threshold)
	}
	if p.NegThreshold < 0 || p.NegThreshold > 1 || math.IsNaN(p.NegThreshold) {
		return fmt.Errorf("silero: SegmentParams.NegThreshold %v is outside [0, 1]", p.NegThreshold)
	}
	return nil
}

// Span is a speech segment in samples of the stream: [Start, End).
type Span struct {
	Start, End int64
}

// Seconds returns the span's bounds in seconds.
func (s Span) Seconds(sampleRate int) (start, end float64) {
	return float64(s.Start) / float64(sampleRate), float64(s.End) / float64(sampleRate)
}

// segRules are SegmentParams with the defaults applied, in samples, as
// upstream computes them (sampling_rate * ms / 1000, as float64).
type segRules struct {
	window            int64
	threshold, negThr float64
	minSpeech, minSil float64
	pad               float64
	maxSpeech         float64 // +Inf when unlimited
	minSilAtMax       float64
	lastSilenceAtMax  bool
}

func newSegRules(sampleRate int, p SegmentParams) (segRules, error) {
	if _, err := rateIndex(sampleRate); err != nil {
		return segRules{}, err
	}
	if err := p.Validate(); err != nil {
		return segRules{}, err
	}
	samples := func(d, def time.Duration) float64 {
		switch {
		case d == 0:
			d = def
		case d < 0:
			d = 0
		}
		return float64(sampleRate) * float64(d) / float64(time.Second)
	}
	r := segRules{
		window:           int64(sampleRate / 8000 * 256),
		threshold:        p.Threshold,
		negThr:           p.NegThreshold,
		minSpeech:        samples(p.MinSpeech, 250*time.Millisecond),
		minSil:           samples(p.MinSilence, 100*time.Millisecond),
		pad:              samples(p.SpeechPad, 30*time.Millisecond),
		minSilAtMax:      samples(p.MinSilenceAtMaxSpeech, 98*time.Millisecond),
		lastSilenceAtMax: p.LastSilenceAtMaxSpeech,
		maxSpeech:        math.Inf(1),
	}
	if r.threshold == 0 {
		r.threshold = 0.5
	}
	if r.negThr == 0 {
		r.negThr = max(r.threshold-0.15, 0.01)
	}
	if p.MaxSpeech > 0 {
		r.maxSpeech = samples(p.MaxSpeech, 0) - float64(r.window) - 2*r.pad
	}
	return r, nil
}

// Segments returns the speech segments of a stream of samples samples
// whose window probabilities (one per WindowSize samples, the last window
// zero-padded) are probs, by the rules of upstream's get_speech_timestamps,
// with its results in samples. It holds all of probs; Segmenter gives the
// same segments incrementally.
func Segments(probs []float32, sampleRate int, samples int64, p SegmentParams) ([]Span, error) {
	r, err := newSegRules(sampleRate, p)
	if err != nil {
		return nil, err
	}
	// This follows get_speech_timestamps statement by statement; a
	// segment being built has start >= 0, and -1 marks none (upstream's
	// empty dict).
	type end struct{ at, dur int64 }
	W := r.window
	var speeches []Span
	cur := Span{Start: -1}
	triggered := false
	var tempEnd, prevEnd, nextStart int64
	var possibleEnds []end
	for i, prob := range probs {
		pr := float64(prob)
		iW := W * int64(i)
		if pr >= r.threshold && tempEnd != 0 {
			silDur := iW - tempEnd
			if float64(silDur) > r.minSilAtMax {
				possibleEnds = append(possibleEnds, end{tempEnd, silDur})
			}
			tempEnd = 0
			if nextStart < prevEnd {
				nextStart = iW
			}
		}
		if pr >= r.threshold && !triggered {
			triggered = true
			cur.Start = iW
			continue
		}
		if triggered && float64(iW-cur.Start) > r.maxSpeech {
			if len(possibleEnds) > 0 {
				var e end
				if r.lastSilenceAtMax {
					e = possibleEnds[len(possibleEnds)-1]
				} else {
					e = possibleEnds[0]
					for _, q := range possibleEnds[1:] {
						if q.dur > e.dur {
							e = q
						}
					}
				}
				prevEnd = e.at
				cur.End = prevEnd
				speeches = append(speeches, cur)
				cur = Span{Start: -1}
				nextStart = prevEnd + e.dur
				if nextStart < prevEnd+iW {
					cur.Start = nextStart
				} else {
					triggered = false
				}
				kept := possibleEnds[:0]
				for _, q := range possibleEnds {
					if q.at > nextStart {
						kept = append(kept, q)
					}
				}
				possibleEnds = kept
				prevEnd, nextStart, tempEnd = 0, 0, 0
			} else {
				cur.End = iW
				speeches = append(speeches, cur)
				cur = Span{Start: -1}
				prevEnd, nextStart, tempEnd = 0, 0, 0
				triggered = false
				possibleEnds = possibleEnds[:0]
				continue
			}
		}
		if pr < r.negThr && triggered {
			if tempEnd == 0 {
				tempEnd = iW
			}
			if float64(iW-tempEnd) < r.minSil {
				continue
			}
			cur.End = tempEnd
			if float64(cur.End-cur.Start) > r.minSpeech {
				speeches = append(speeches, cur)
			}
			cur = Span{Start: -1}
			prevEnd, nextStart, tempEnd = 0, 0, 0
			triggered = false
			possibleEnds = possibleEnds[:0]
			continue
		}
	}
	if cur.Start >= 0 && float64(samples-cur.Start) > r.minSpeech {
		cur.End = samples
		speeches = append(speeches, cur)
	}
	for i := range speeches {
		s := &speeches[i]
		if i == 0 {
			s.Start = int64(max(0, float64(s.Start)-r.pad))
		}
		if i != len(speeches)-1 {
			next := &speeches[i+1]
			silence := next.Start - s.End
			if float64(silence) < 2*r.pad {
				s.End += silence / 2
				next.Start = max(0, next.Start-silence/2)
			} else {
				s.End = int64(min(float64(samples), float64(s.End)+r.pad))
				next.Start = int64(max(0, float64(next.Start)-r.pad))
			}
		} else {
			s.End = int64(min(float64(samples), float64(s.End)+r.pad))
		}
	}
	return speeches, nil
}

// Segmenter finds the segments of Segments incrementally, one window
// probability at a time, holding O(1) state besides the silences that
// MaxSpeech may split at (none when MaxSpeech is unlimited). A segment is
// returned once it is final: when the next segment starts, or as soon as
// the stream is past its end by twice SpeechPad, or at Finish.
type Segmenter struct {
	r segRules
	i int64 // windows pushed

	// The raw segmentation, as in Segments.
	triggered                   bool
	start                       int64 // of the open segment, -1 for none
	tempEnd, prevEnd, nextStart int64
	possibleEnds                []silence

	// The padding stage: the last raw segment, start already padded,
	// waiting for the next one's start to know its end.
	pending    bool
	pStart     int64
	pEnd       int64 // raw end
	finishedAt int64 // samples given to Finish, -1 before
}

type silence struct{ at, dur int64 }

// NewSegmenter returns a Segmenter for the probabilities of a Detector at
// sampleRate (8000 or 16000).
func NewSegmenter(sampleRate int, p SegmentParams) (*Segmenter, error) {
	r, err := newSegRules(sampleRate, p)
	if err != nil {
		return nil, err
	}
	return &Segmenter{r: r, start: -1, finishedAt: -1}, nil
}

// Push takes the next window's probability and appends to out the
// segments that became final, which it returns. After Finish it does
// nothing.
func (s *Segmenter) Push(prob float32, out []Span) []Span {
	if s.finishedAt >= 0 {
		return out
	}
	out = s.step(float64(prob), out)
	s.i++
	// Every later segment starts at or after the open segment's start,
	// or after this window: once that is twice the pad past the pending
	// segment's end, the gap rule can only pad it by SpeechPad.
	if s.pending {
		lo := s.r.window * (s.i - 1)
		if s.start >= 0 {
			lo = s.start
		}
		if float64(lo-s.pEnd) >= 2*s.r.pad {
			out = append(out, Span{s.pStart, int64(float64(s.pEnd) + s.r.pad)})
			s.pending = false
		}
	}
	return out
}

// Finish ends the stream, which had samples samples, and appends the
// remaining segments to out. The Segmenter is then spent: later calls of
// Push and Finish do nothing.
func (s *Segmenter) Finish(samples int64, out []Span) []Span {
	if s.finishedAt >= 0 {
		return out
	}
	s.finishedAt = samples
	if s.start >= 0 && float64(samples-s.start) > s.r.minSpeech {
		out = s.emit(Span{s.start, samples}, out)
		s.start = -1
	}
	if s.pending {
		out = append(out, Span{s.pStart, int64(min(float64(samples), float64(s.pEnd)+s.r.pad))})
		s.pending = false
	}
	return out
}

// emit passes a raw segment to the padding stage.
func (s *Segmenter) emit(seg Span, out []Span) []Span {
	pad := s.r.pad
	if !s.pending {
		// The first segment, or one after a segment finalised with the
		// full pad: both start SpeechPad early.
		seg.Start = int64(max(0, float64(seg.Start)-pad))
	} else {
		gap := seg.Start - s.pEnd
		pEnd := s.pEnd
		if float64(gap) < 2*pad {
			pEnd += gap / 2
			seg.Start = max(0, seg.Start-gap/2)
		} else {
			pEnd = int64(float64(pEnd) + pad)
			seg.Start = int64(max(0, float64(seg.Start)-pad))
		}
		out = append(out, Span{s.pStart, pEnd})
	}
	s.pending, s.pStart, s.pEnd = true, seg.Start, seg.End
	return out
}

// step is one iteration of get_speech_timestamps's loop.
func (s *Segmenter) step(pr float64, out []Span) []Span {
	r := &s.r
	iW := r.window * s.i
	limited := !math.IsInf(r.maxSpeech, 1)
	if pr >= r.threshold && s.tempEnd != 0 {
		if dur := iW - s.tempEnd; limited && float64(dur) > r.minSilAtMax {
			s.possibleEnds = append(s.possibleEnds, silence{s.tempEnd, dur})
		}
		s.tempEnd = 0
		if s.nextStart < s.prevEnd {
			s.nextStart = iW
		}
	}
	if pr >= r.threshold && !s.triggered {
		s.triggered = true
		s.start = iW
		return out
	}
	if s.triggered && float64(iW-s.start) > r.maxSpeech {
		if len(s.possibleEnds) == 0 {
			out = s.emit(Span{s.start, iW}, out)
			s.start = -1
			s.prevEnd, s.nextStart, s.tempEnd = 0, 0, 0
			s.triggered = false
			return out
		}
		e := s.possibleEnds[len(s.possibleEnds)-1]
		if !r.lastSilenceAtMax {
			e = s.possibleEnds[0]
			for _, q := range s.possibleEnds[1:] {
				if q.dur > e.dur {
					e = q
				}
			}
		}
		s.prevEnd = e.at
		out = s.emit(Span{s.start, s.prevEnd}, out)
		s.start = -1
		s.nextStart = s.prevEnd + e.dur
		if s.nextStart < s.prevEnd+iW {
			s.start = s.nextStart
		} else {
			s.triggered = false
		}
		kept := s.possibleEnds[:0]
		for _, q := range s.possibleEnds {
			if q.at > s.nextStart {
				kept = append(kept, q)
			}
		}
		s.possibleEnds = kept
		s.prevEnd, s.nextStart, s.tempEnd = 0, 0, 0
	}
	if pr < r.negThr && s.triggered {
		if s.tempEnd == 0 {
			s.tempEnd = iW
		}
		if float64(iW-s.tempEnd) < r.minSil {
			return out
		}
		if float64(s.tempEnd-s.start) > r.minSpeech {
			out = s.emit(Span{s.start, s.tempEnd}, out)
		}
		s.start = -1
		s.prevEnd, s.nextStart, s.tempEnd = 0, 0, 0
		s.triggered = false
		s.possibleEnds = s.possibleEnds[:0]
	}
	return out
}

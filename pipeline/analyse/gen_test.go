package analyse

import (
	"math"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/pipeline/decode"
)

// This file is the test signal generator: speech-like sound placed at known
// spans on each channel, with optional line hiss and a G.711 mu-law round
// trip. It streams: fill writes the next block, so hours of audio never
// sit in memory.
//
// Speech model: a span is a run of syllables of 120-280 ms, each a
// harmonic tone (12 harmonics of f0 with 1/k amplitudes, f0 varying +-15%
// per syllable) under a 25 ms attack and 40 ms decay, so that the level
// falls to zero between syllables (a syllabic rate of 4-5 Hz); after a
// syllable, one time in three, a 50-150 ms intra-phrase dip of silence.
// The truth is the whole span, dips included.

const tableLen = 2048

// wavetable is one period of the harmonic tone, scaled to RMS 1.
func wavetable() []float32 {
	t := make([]float64, tableLen)
	var ss float64
	for i := range t {
		ph := 2 * math.Pi * float64(i) / tableLen
		for k := 1; k <= 12; k++ {
			t[i] += math.Sin(float64(k)*ph+float64(k*k)*0.7) / float64(k)
		}
		ss += t[i] * t[i]
	}
	rms := math.Sqrt(ss / tableLen)
	out := make([]float32, tableLen)
	for i := range t {
		out[i] = float32(t[i] / rms)
	}
	return out
}

// rng is a small xorshift generator: deterministic and cheap per sample.
type rng uint64

func (r *rng) next() uint64 {
	x := uint64(*r)
	x ^= x << 13
	x ^= x >> 7
	x ^= x << 17
	*r = rng(x)
	return x
}

// float returns a uniform value in [0, 1).
func (r *rng) float() float64 { return float64(r.next()>>11) / (1 << 53) }

// uniform returns a uniform value in [lo, hi).
func (r *rng) uniform(lo, hi float64) float64 { return lo + (hi-lo)*r.float() }

// voice is one channel's speech process.
type voice struct {
	sr    float64
	table []float32
	rnd   rng
	f0    float64
	amp   float64 // RMS of the tone at full envelope

	next func() (models.Span, bool) // the next true span, in order

	span    [2]int64 // current span in samples; span[1] == 0: none left
	done    bool
	sylEnd  int64 // current syllable or dip [sylBeg, sylEnd)
	sylBeg  int64
	dip     bool
	sylAmp  float64
	phase   float64
	phInc   float64
	attack  float64
	decay   float64
	pending bool
}

func newVoice(sr int, table []float32, seed uint64, f0, levelDBFS float64, next func() (models.Span, bool)) *voice {
	v := &voice{sr: float64(sr), table: table, rnd: rng(seed | 1), f0: f0,
		amp: math.Pow(10, levelDBFS/20), next: next,
		attack: 0.025 * float64(sr), decay: 0.04 * float64(sr)}
	v.advanceSpan(0)
	return v
}

func (v *voice) advanceSpan(pos int64) {
	for {
		s, ok := v.next()
		if !ok {
			v.done = true
			return
		}
		a, b := int64(math.Round(s[0]*v.sr)), int64(math.Round(s[1]*v.sr))
		if b > a && b > pos {
			v.span = [2]int64{max(a, pos), b}
			v.sylEnd = v.span[0]
			v.dip = true // so that the span starts with a syllable
			return
		}
	}
}

// startUnit starts the syllable or dip that begins at pos.
func (v *voice) startUnit(pos int64) {
	left := v.span[1] - pos
	v.sylBeg = pos
	if !v.dip && v.rnd.float() < 1.0/3 && left > int64(0.45*v.sr) {
		v.dip = true
		v.sylEnd = pos + int64(v.rnd.uniform(0.05, 0.15)*v.sr)
		return
	}
	v.dip = false
	l := int64(v.rnd.uniform(0.12, 0.28) * v.sr)
	if left-l < int64(0.15*v.sr) {
		l = left
	}
	v.sylEnd = pos + l
	v.sylAmp = v.amp * v.rnd.uniform(0.6, 1.0) * math.Sqrt2 // envelope mean power ~1/2
	f := v.f0 * v.rnd.uniform(0.85, 1.15)
	v.phInc = f / v.sr * tableLen
}

// sample returns the speech sample at pos; calls must be sequential.
func (v *voice) sample(pos int64) float64 {
	if v.done || pos < v.span[0] {
		return 0
	}
	if pos >= v.span[1] {
		v.advanceSpan(pos)
		return v.sample(pos)
	}
	if pos >= v.sylEnd {
		v.startUnit(pos)
	}
	if v.dip {
		return 0
	}
	t := float64(pos - v.sylBeg)
	env := min(1, t/v.attack, float64(v.sylEnd-pos)/v.decay)
	v.phase += v.phInc
	if v.phase >= tableLen {
		v.phase -= tableLen
	}
	return v.sylAmp * env * float64(v.table[int(v.phase)])
}

// spanList turns a fixed list of spans into a span source.
func spanList(spans []models.Span) func() (models.Span, bool) {
	i := 0
	return func() (models.Span, bool) {
		if i >= len(spans) {
			return models.Span{}, false
		}
		i++
		return spans[i-1], true
	}
}

// generator produces an interleaved call.
type generator struct {
	voices []*voice
	hiss   float64 // peak of the uniform hiss; 0: none
	mulaw  bool
	noise  rng
	pos    int64
}

// channelSpec describes one channel of a synthetic call.
type channelSpec struct {
	Spans     []models.Span
	LevelDBFS float64
	F0        float64
}

// newGenerator builds a generator of the given channels; hissDBFS is the
// RMS of the line hiss (0: none).
func newGenerator(sr int, hissDBFS float64, mulaw bool, seed uint64, chans ...channelSpec) *generator {
	tab := wavetable()
	g := &generator{mulaw: mulaw, noise: rng(seed*7919 + 1)}
	if hissDBFS != 0 {
		g.hiss = math.Pow(10, hissDBFS/20) * math.Sqrt(3) // uniform [-a, a] has RMS a/sqrt(3)
	}
	for i, c := range chans {
		g.voices = append(g.voices, newVoice(sr, tab, seed+uint64(i)*104729, c.F0, c.LevelDBFS, spanList(c.Spans)))
	}
	return g
}

// fill writes the next len(buf)/channels frames.
func (g *generator) fill(buf []float32) {
	n := len(g.voices)
	for i := 0; i < len(buf); i += n {
		for c, v := range g.voices {
			x := v.sample(g.pos)
			if g.hiss != 0 {
				x += g.hiss * (2*g.noise.float() - 1)
			}
			x = max(-1, min(x, 32767.0/32768))
			if g.mulaw {
				x = mulawRoundTrip(x)
			}
			buf[i+c] = float32(x)
		}
		g.pos++
	}
}

// mulawRoundTrip passes a sample through G.711 mu-law, as a telephone
// line would.
func mulawRoundTrip(x float64) float64 {
	s := int16(max(-32768, min(32767, math.Round(x*32768))))
	return float64(decode.MuLawDecode(decode.MuLawEncode(s))) / 32768
}

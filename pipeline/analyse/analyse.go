// Package analyse measures decoded call audio in one streaming pass and
// derives the conversation's silences and overtalk from the result.
//
// An Analyzer takes interleaved float32 samples in [-1, 1) at any sample
// rate and channel count, block by block, and never holds the recording:
// per channel it keeps a few counters, a ring of at most
// LookaheadSeconds/FrameSeconds frame energies and a ring of noise-floor
// minima, plus its outputs (speech segments and a level envelope of one
// int8 per EnvelopeSeconds).
//
// Levels follow ffmpeg's astats on a float decode: RMS dBFS is
// 20*log10(sqrt(mean(x^2))), peak dBFS is 20*log10(max|x|); digital silence,
// whose level is -inf, is reported as the floor FloorDBFS (-100). A sample
// is clipped when |x| >= Config.ClipLevel (default 0.999).
//
// # Voice activity
//
// Each channel is cut into FrameSeconds frames (20 ms) whose energy is
// 10*log10(mean(x^2)) dBFS. The channel's noise floor is the minimum frame
// energy over a FloorWindowSeconds window (minimum statistics, 5 s) that
// reaches LookaheadSeconds (2 s) past the frame being decided, so a call
// that starts with speech finds its floor in the first pause and a change
// of line noise is followed within the window. Frames below -90 dBFS
// (digital silence) do not count towards the floor, so a line that
// alternates between digital zero and hiss is measured on its hiss (G.711
// idle-code jitter, about -72 dBFS, does count). The floor is never taken
// above MaxFloorDBFS (-40 dBFS), so a window without quiet frames is
// speech, not noise. A frame starts speech when its energy exceeds both
// floor+MarginDB (12 dB) and AbsFloorDBFS (-55 dBFS), and keeps it while
// above that threshold minus HysteresisDB (3 dB); speech is held for
// HangoverSeconds (0.1 s) after it falls below. Runs closer than
// MergeGapSeconds (0.3 s) are merged (pauses inside a sentence), then
// segments shorter than MinSpeechSeconds (0.1 s) are dropped. Decisions
// lag the input by LookaheadSeconds; Finish decides the rest.
//
// All output times are rounded to 0.01 s and levels to 0.01 dB, so that
// golden files are stable.
//
// It is one package of about 1,900 lines, above the house's 1,500, on
// purpose: the energy and neural detectors, the level gate, echo and hold
// handling all feed one per-channel decision and one report; the parts
// that stand alone (silero, tone, echo, spectrum) are subpackages.
package analyse

import (
	"fmt"
	"math"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/pipeline/analyse/tone"
)

// FloorDBFS is the level reported for digital silence (and anything
// quieter), instead of -inf.
const FloorDBFS = -100

// digitalSilenceDBFS: frames quieter than this are ignored by the noise
// floor tracker. The quietest non-zero G.711 mu-law code decodes to about
// -72 dBFS, so idle-code jitter stays above it and counts as the floor.
// It is a constant, not a Config knob: it marks digital zero, which no
// line condition moves.
const digitalSilenceDBFS = -90

// ChannelStats are the measurements of one channel.
type ChannelStats struct {
	// Segments are the voice-activity segments, in seconds.
	Segments []models.Span
	// TalkS is the total length of Segments, in seconds.
	TalkS float64
	// RMSDBFS and PeakDBFS are the channel's RMS and peak level in dBFS,
	// floored at FloorDBFS.
	RMSDBFS, PeakDBFS float64
	// ClippingRatio is the fraction of samples with |x| >= ClipLevel.
	ClippingRatio float64
	// SpeechRMSDBFS is the RMS level over the frames whose energy is above
	// the voice-activity threshold (FloorDBFS when there are none): the
	// level of the voice itself, independent of how much of the call the
	// speaker talks. SpeechClippingRatio is the clipped samples over those
	// frames' samples (clipping happens while speaking).
	SpeechRMSDBFS, SpeechClippingRatio float64
	// Envelope is the RMS level of each EnvelopeSeconds step in whole
	// dBFS, floored at FloorDBFS; the last step may be partial.
	Envelope []int8
	// Events are the key presses, tones and hold music heard on the
	// channel (neural VAD only), by start; Speaker is not set.
	Events []models.Event
}

// Report is the result of analysing one recording.
type Report struct {
	SampleRate int
	// Frames is the number of sample frames (samples per channel) analysed.
	Frames int64
	// DurationS is Frames/SampleRate, rounded to 0.01 s.
	DurationS float64
	// Channels holds one entry per channel, in channel order.
	Channels []ChannelStats
}

// Analyzer measures a recording streamed through Write. It is not safe for
// concurrent use.
type Analyzer struct {
	cfg        Config
	sampleRate int
	channels   int
	clip       float32
	clipSq     float32 // clip*clip, a hair low so that float rounding never hides a clipped sample

	frameLen, envLen   int // in sample frames
	frameFill, envFill int // sample frames accumulated in the current VAD frame / envelope step
	frames             int64

	vp vadParams
	ch []chanState
	nn *neural // the neural VAD (Config.VAD = VADSilero), else nil

	finished *Report
}

type chanState struct {
	sumSq    float64 // whole channel
	peakSq   float32 // largest square
	clipped  int64
	frameSum float64
	envSum   float64
	env      []int8
	vad      vad
}

// New returns an Analyzer for interleaved audio of the given sample rate
// and channel count. cfg's zero fields take their defaults.
func New(cfg Config, sampleRate, channels int) (*Analyzer, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("analyse: new: %w", err)
	}
	if sampleRate <= 0 || sampleRate > 1_000_000 {
		return nil, fmt.Errorf("analyse: new: sample rate %d out of range", sampleRate)
	}
	if channels <= 0 || channels > 64 {
		return nil, fmt.Errorf("analyse: new: channel count %d out of range", channels)
	}
	frameLen := max(1, int(math.Round(cfg.FrameSeconds*float64(sampleRate))))
	envLen := max(1, int(math.Round(cfg.EnvelopeSeconds*float64(sampleRate))))
	frameS := float64(frameLen) / float64(sampleRate)
	a := &Analyzer{
		cfg:        cfg,
		sampleRate: sampleRate,
		channels:   channels,
		clip:       float32(cfg.ClipLevel),
		clipSq:     float32(cfg.ClipLevel * cfg.ClipLevel * (1 - 1e-6)),
		frameLen:   frameLen,
		envLen:     envLen,
		vp:         newVADParams(cfg, frameS),
		ch:         make([]chanState, channels),
	}
	for i := range a.ch {
		a.ch[i].vad.init(&a.vp)
	}
	if cfg.VAD == VADSilero {
		nn, err := newNeural(&a.cfg, sampleRate, channels)
		if err != nil {
			return nil, err
		}
		a.nn = nn
	}
	return a, nil
}

// Write consumes whole frames of interleaved samples: len(block) must be a
// multiple of the channel count (Write panics otherwise, as it would on
// any misuse that loses samples). It keeps no reference to block and does
// not allocate, except when an output slice grows. Write after Finish
// panics.
func (a *Analyzer) Write(block []float32) {
	if a.finished != nil {
		panic("analyse: Write after Finish")
	}
	nch := a.channels
	if len(block)%nch != 0 {
		panic(fmt.Sprintf("analyse: Write: block of %d samples is not a whole number of %d-channel frames", len(block), nch))
	}
	if a.nn != nil {
		a.nn.write(block, nch)
	}
	for len(block) > 0 {
		k := min(len(block)/nch, a.frameLen-a.frameFill, a.envLen-a.envFill)
		chunk := block[:k*nch]
		block = block[k*nch:]
		switch nch {
		case 1:
			a.accumulateMono(chunk)
		case 2:
			a.accumulateStereo(chunk)
		default:
			for c := range a.ch {
				a.accumulateStrided(chunk, c)
			}
		}
		a.frames += int64(k)
		a.frameFill += k
		a.envFill += k
		if a.frameFill == a.frameLen {
			a.endFrame()
		}
		if a.envFill == a.envLen {
			a.endEnvelope()
		}
	}
}

// add records the sums of one channel's chunk: sum of squares and largest
// square. Clipped samples are counted in a second pass over the chunk only
// when its largest square shows that some sample reaches the clip level,
// which keeps the per-sample loop to a multiply, an add and a compare.
func (a *Analyzer) add(cs *chanState, chunk []float32, off, stride int, sum, maxSq float32) {
	s := float64(sum)
	cs.frameSum += s
	cs.envSum += s
	cs.sumSq += s
	if maxSq > cs.peakSq {
		cs.peakSq = maxSq
	}
	if maxSq >= a.clipSq {
		cl := a.clip
		for i := off; i < len(chunk); i += stride {
			if x := chunk[i]; x >= cl || x <= -cl {
				cs.clipped++
			}
		}
	}
}

func (a *Analyzer) accumulateMono(x []float32) {
	var s0, s1, m0, m1 float32
	n := len(x) &^ 1
	for i := 0; i < n; i += 2 {
		p := x[i : i+2 : i+2]
		v0, v1 := p[0]*p[0], p[1]*p[1]
		s0 += v0
		s1 += v1
		if v0 > m0 {
			m0 = v0
		}
		if v1 > m1 {
			m1 = v1
		}
	}
	if n < len(x) {
		v := x[n] * x[n]
		s0 += v
		m0 = max(m0, v)
	}
	a.add(&a.ch[0], x, 0, 1, s0+s1, max(m0, m1))
}

func (a *Analyzer) accumulateStereo(x []float32) {
	var s0, s1, m0, m1 float32
	n := len(x) &^ 1
	for i := 0; i < n; i += 2 {
		p := x[i : i+2 : i+2]
		l, r := p[0]*p[0], p[1]*p[1]
		s0 += l
		s1 += r
		if l > m0 {
			m0 = l
		}
		if r > m1 {
			m1 = r
		}
	}
	a.add(&a.ch[0], x, 0, 2, s0, m0)
	a.add(&a.ch[1], x, 1, 2, s1, m1)
}

func (a *Analyzer) accumulateStrided(x []float32, c int) {
	var s, m float32
	for i := c; i < len(x); i += a.channels {
		v := x[i] * x[i]
		s += v
		if v > m {
			m = v
		}
	}
	a.add(&a.ch[c], x, c, a.channels, s, m)
}

// endFrame closes the current VAD frame (possibly partial, at Finish).
func (a *Analyzer) endFrame() {
	if a.frameFill == 0 {
		return
	}
	n := float64(a.frameFill)
	for i := range a.ch {
		cs := &a.ch[i]
		e := 10 * math.Log10(cs.frameSum/n+1e-12)
		cs.frameSum = 0
		if a.nn == nil {
			cs.vad.push(float32(e))
		}
	}
	a.frameFill = 0
}

// endEnvelope closes the current envelope step (possibly partial).
func (a *Analyzer) endEnvelope() {
	if a.envFill == 0 {
		return
	}
	n := float64(a.envFill)
	for i := range a.ch {
		cs := &a.ch[i]
		cs.env = append(cs.env, envelopeDB(cs.envSum/n))
		cs.envSum = 0
	}
	a.envFill = 0
}

// envelopeDB converts a mean square to whole dBFS clamped to int8 and
// floored at FloorDBFS.
func envelopeDB(ms float64) int8 {
	if !(ms > 0) {
		return FloorDBFS
	}
	d := math.Round(10 * math.Log10(ms))
	switch {
	case d < FloorDBFS:
		return FloorDBFS
	case d > math.MaxInt8:
		return math.MaxInt8
	}
	return int8(d)
}

// maxLevelDB bounds reported levels so that they stay finite (JSON has no
// infinity) even when a float decode carries infinite samples.
const maxLevelDB = 1000

// levelDB converts an amplitude ratio to dBFS, floored at FloorDBFS,
// capped at maxLevelDB and rounded to 0.01 dB. NaN gives FloorDBFS.
func levelDB(amp float64) float64 {
	if !(amp > 0) {
		return FloorDBFS
	}
	d := 20 * math.Log10(amp)
	switch {
	case d < FloorDBFS:
		return FloorDBFS
	case d > maxLevelDB:
		return maxLevelDB
	}
	return round2(d)
}

// Finish flushes the partial frame and envelope step, decides the frames
// still waiting for look-ahead and returns the per-channel results.
// Calling it again returns the same report.
func (a *Analyzer) Finish() *Report {
	if a.finished != nil {
		return a.finished
	}
	a.endFrame()
	a.endEnvelope()
	sr := float64(a.sampleRate)
	dur := float64(a.frames) / sr
	if a.nn != nil {
		a.nn.finish(dur)
	}
	rep := &Report{
		SampleRate: a.sampleRate,
		Frames:     a.frames,
		DurationS:  round2(dur),
		Channels:   make([]ChannelStats, a.channels),
	}
	for i := range a.ch {
		cs := &a.ch[i]
		var segs []models.Span
		var events []models.Event
		// The speech level: the mean square over the speech frames
		// (energy gate: 20 ms frames; neural: 32 ms windows), clipping over
		// their samples.
		sumMS, units, unitSamples := cs.vad.speechSumSq, cs.vad.speechFrames, float64(a.frameLen)
		if a.nn != nil {
			nc := &a.nn.chans[i]
			segs, events = a.nn.segments(i, dur), nc.events
			sumMS, units, unitSamples = nc.speechSumSq, nc.speechWindow, tone.WindowSeconds*sr
		} else {
			segs = cs.vad.finish(dur)
		}
		st := ChannelStats{
			Segments: segs,
			TalkS:    total(segs),
			PeakDBFS: levelDB(math.Sqrt(float64(cs.peakSq))),
			Envelope: cs.env,
		}
		if st.Segments == nil {
			st.Segments = []models.Span{}
		}
		if st.Envelope == nil {
			st.Envelope = []int8{}
		}
		if a.frames > 0 {
			st.RMSDBFS = levelDB(math.Sqrt(cs.sumSq / float64(a.frames)))
			st.ClippingRatio = float64(cs.clipped) / float64(a.frames)
		} else {
			st.RMSDBFS = FloorDBFS
		}
		st.Events = events
		st.SpeechRMSDBFS = FloorDBFS
		if units > 0 {
			st.SpeechRMSDBFS = levelDB(math.Sqrt(sumMS / float64(units)))
			st.SpeechClippingRatio = min(1, float64(cs.clipped)/(float64(units)*unitSamples))
		}
		rep.Channels[i] = st
	}
	a.finished = rep
	return rep
}

// round2 rounds seconds (or dB) to 0.01.
func round2(x float64) float64 { return math.Round(x*100) / 100 }

// total is the summed length of spans, rounded to 0.01 s.
func total(spans []models.Span) float64 {
	var t float64
	for _, s := range spans {
		t += s[1] - s[0]
	}
	return round2(t)
}

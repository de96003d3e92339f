package analyse

import (
	"fmt"
	"math"
	"time"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/pipeline/analyse/silero"
	"github.com/callqa/callqa/pipeline/analyse/tone"
)

// The neural path (Config.VAD = VADSilero) decides speech per 32 ms window
// of each channel, all channels in step:
//
//  1. the channel is resampled to the model's rate (8 kHz, or 16 kHz for
//     recordings at 16 kHz and above) when it is at another rate;
//  2. the Silero VAD v5 gives the window's speech probability (digital
//     silence takes the model's cheap path, with the same result);
//  3. package tone looks for key presses (DTMF), call-progress tones and
//     music in the same window;
//  4. on a stereo call, the echo check tells whether the window's sound is
//     the other channel's speech leaking in (line echo, crosstalk);
//  5. a window holding key presses, a tone or leaked speech counts as no
//     speech, and the probabilities are cut into speech segments as
//     Silero's get_speech_timestamps does (Config.Neural*);
//  6. key presses, tones and hold music become events, and at Finish the
//     speech inside a channel's hold music is dropped (a recorded
//     announcement over the music is not the speaker talking).
//
// Everything is streaming: per channel a window, the model's and the
// detectors' state, and the outputs (segments, events).

// modelRate is the rate the neural VAD runs at for a recording at rate.
func modelRate(rate int) int {
	if rate >= 16000 {
		return 16000
	}
	return 8000
}

// neuralChan is one channel's neural state.
type neuralChan struct {
	rs    *resampler // nil at the model's rate
	win   []float32  // the window being filled
	det   *silero.Detector
	tone  *tone.Detector
	seg   *silero.Segmenter
	spans []silero.Span // speech segments, in samples at the model's rate

	dtmf  *tone.DTMFEvents
	tones *tone.Spans
	hold  *tone.Spans
	// events are this channel's events (Speaker set by Report.Metrics).
	events []models.Event

	// ring holds the windows analysed but not yet decided (the
	// look-ahead) and the last few decided ones (the echo path's delay).
	ring []window
	lv   levels

	// Speech level: windows in speech by the segmenter's thresholds
	// (with their hysteresis), a window at a time.
	inSpeech     bool
	speechSumSq  float64
	speechWindow int64
}

// window is what the analysis keeps of one window of a channel until it
// is decided.
type window struct {
	p         float32 // the model's speech probability
	db        float32 // level, dBFS (10 log10 of the mean square)
	ms        float64 // mean square
	notSpeech bool    // key press or call-progress tone
	leak      bool    // leakage of the other channel, by the echo check
}

// Look-ahead and background floor of the decisions (see decide).
const (
	// aheadSeconds is how far past a window the analysis looks before
	// deciding it: the background floor and the echo path use it.
	aheadSeconds = 2.0
	// historyWindows are the decided windows kept for the echo path's
	// delay (up to 300 ms).
	historyWindows = 12
	// startMarginDB and keepMarginDB: how far above the channel's
	// background floor a window must be to start, and to keep, speech.
	// A window is the speaker's only if it is loud enough: no more than
	// fgKeepDB below the foreground level (the speaker's) and bgKeepDB
	// above the background (what fills the pauses), or close to a strong
	// window (speech to the model, within fgStrongDB of the foreground
	// and bgStrongDB above the background): up to tailSeconds before it
	// (the speaker's trailing syllables) or onsetSeconds after it (a
	// quiet start).
	fgStrongDB   = 8
	fgKeepDB     = 12
	bgStrongDB   = 12
	bgKeepDB     = 6
	tailSeconds  = 0.3
	onsetSeconds = 0.2
)

// neural is the state of the neural path of an Analyzer.
type neural struct {
	cfg   *Config
	rate  int // model rate
	win   int // samples per window
	fill  int // samples in the current windows
	chans []neuralChan
	echo  *echoCheck // nil unless stereo and enabled

	// fullPass runs the model's full pass on digital silence too (tests
	// check that the cheap path changes nothing).
	fullPass bool

	ahead   int // windows of look-ahead
	tail    int // tailSeconds in windows
	onset   int // onsetSeconds in windows
	head    int // next ring slot
	pending int // analysed windows not yet decided

	deint [][]float32 // per channel, the block deinterleaved
	rsOut [][]float32 // per channel, the block resampled
	nwin  int64       // windows completed
}

func newNeural(cfg *Config, rate, channels int) (*neural, error) {
	m, err := silero.Load()
	if err != nil {
		return nil, fmt.Errorf("analyse: neural VAD: %w", err)
	}
	mr := modelRate(rate)
	n := &neural{cfg: cfg, rate: mr, chans: make([]neuralChan, channels),
		deint: make([][]float32, channels), rsOut: make([][]float32, channels)}
	seg := silero.SegmentParams{
		Threshold:    cfg.NeuralThreshold,
		NegThreshold: cfg.NeuralNegThreshold,
		MinSpeech:    seconds(cfg.NeuralMinSpeechSeconds),
		MinSilence:   seconds(cfg.NeuralMinSilenceSeconds),
		SpeechPad:    seconds(cfg.NeuralPadSeconds),
	}
	for i := range n.chans {
		c := &n.chans[i]
		if c.det, err = m.NewDetector(mr); err != nil {
			return nil, fmt.Errorf("analyse: neural VAD: %w", err)
		}
		if c.tone, err = tone.New(mr, tone.Config{}); err != nil {
			return nil, fmt.Errorf("analyse: tones: %w", err)
		}
		if c.seg, err = silero.NewSegmenter(mr, seg); err != nil {
			return nil, fmt.Errorf("analyse: neural VAD: %w", err)
		}
		c.win = make([]float32, c.det.WindowSize())
		c.dtmf = tone.NewDTMFEvents(tone.DTMFOptions{})
		c.tones = tone.NewSpans(tone.ToneMinSeconds, tone.ToneMaxGapSeconds)
		c.hold = tone.NewSpans(cfg.HoldMinSeconds, tone.HoldMaxGapSeconds)
		if mr != rate {
			c.rs = newResampler(rate, mr)
		}
	}
	n.win = n.chans[0].det.WindowSize()
	n.ahead = int(math.Round(aheadSeconds / tone.WindowSeconds))
	n.tail = int(math.Round(tailSeconds / tone.WindowSeconds))
	n.onset = int(math.Round(onsetSeconds / tone.WindowSeconds))
	for i := range n.chans {
		n.chans[i].ring = make([]window, n.ahead+1+historyWindows)
		n.chans[i].lv.init(tone.WindowSeconds)
	}
	if channels == 2 && !cfg.NoEchoCheck {
		if n.echo, err = newEchoCheck(mr); err != nil {
			return nil, fmt.Errorf("analyse: echo check: %w", err)
		}
	}
	return n, nil
}

// seconds converts seconds to a time.Duration.
func seconds(s float64) time.Duration { return time.Duration(math.Round(s * 1e9)) }

// write takes a block of interleaved frames.
func (n *neural) write(block []float32, nch int) {
	frames := len(block) / nch
	for c := range n.chans {
		d := n.deint[c][:0]
		if cap(d) < frames {
			d = make([]float32, 0, frames)
		}
		for i := c; i < len(block); i += nch {
			d = append(d, block[i])
		}
		n.deint[c] = d
	}
	n.feed(n.resample(n.deint))
}

// resample returns the channels at the model's rate.
func (n *neural) resample(in [][]float32) [][]float32 {
	if n.chans[0].rs == nil {
		return in
	}
	for c := range n.chans {
		n.rsOut[c] = n.chans[c].rs.write(in[c], n.rsOut[c][:0])
	}
	return n.rsOut
}

// feed cuts the channels' samples (all of one length) into windows.
func (n *neural) feed(src [][]float32) {
	total := len(src[0])
	for off := 0; off < total; {
		k := min(total-off, n.win-n.fill)
		for c := range n.chans {
			copy(n.chans[c].win[n.fill:], src[c][off:off+k])
		}
		n.fill += k
		off += k
		if n.fill == n.win {
			n.window()
			n.fill = 0
		}
	}
}

// window analyses the windows of every channel (model, tones, echo) and
// records them; a window is decided once the look-ahead has passed it.
func (n *neural) window() {
	for c := range n.chans {
		ch := &n.chans[c]
		var ss float32
		zero := true
		for _, v := range ch.win {
			ss += v * v
			zero = zero && v == 0
		}
		ms := float64(ss) / float64(len(ch.win))
		var p float32
		if zero && !n.fullPass {
			p = ch.det.ProcessSilence()
		} else {
			p = ch.det.Process(ch.win)
		}
		fr := ch.tone.Window(ch.win)
		rec := &ch.ring[n.head]
		*rec = window{p: p, ms: ms, db: float32(10 * math.Log10(ms+1e-12)), notSpeech: fr.Digit != 0 || fr.Tone}
		ch.lv.push(rec.db, p)
		if ev, ok := ch.dtmf.Push(fr); ok {
			ch.events = append(ch.events, dtmfEvent(ev))
		}
		if sp, ok := ch.tones.Push(fr.Tone); ok {
			ch.events = append(ch.events, spanEvent(models.EventTone, sp))
		}
		if sp, ok := ch.hold.Push(fr.IsMusic); ok {
			ch.events = append(ch.events, spanEvent(models.EventHoldMusic, sp))
		}
	}
	if n.echo != nil {
		leak := n.echo.window(n.chans[0].win, n.chans[1].win)
		n.chans[0].ring[n.head].leak, n.chans[1].ring[n.head].leak = leak[0], leak[1]
	}
	n.head = (n.head + 1) % len(n.chans[0].ring)
	n.pending++
	n.nwin++
	if n.pending > n.ahead {
		n.decide()
	}
}

// decide decides the oldest undecided window of every channel: its speech
// probability, masked where it is not the speaker's voice, goes to the
// segmenter.
//
//   - Key presses and call-progress tones are not speech.
//   - Leakage of the other channel (echo check) is not speech. The echo
//     check learns a leakage path from the first half second or so of the
//     source talking alone; once it knows the path (within the look-ahead
//     of the window decided), a window whose level the other channel's,
//     delayed and attenuated along the path, accounts for is leakage too,
//     so that the first words of a call are not lost to the learning.
//   - A window must rise startMarginDB above the channel's background
//     floor to start speech and keepMarginDB to keep it: steady
//     background voices (babble) and noise sit at the floor, whatever the
//     model makes of them.
func (n *neural) decide() {
	L := len(n.chans[0].ring)
	i := (n.head - n.pending + L) % L
	n.pending--
	var viaPath [2]bool
	if n.echo != nil {
		viaPath = n.echo.predicted(n, i)
	}
	for c := range n.chans {
		ch := &n.chans[c]
		w := &ch.ring[i]
		p := w.p
		fg, bg := ch.lv.foreground(), ch.lv.background()
		switch {
		case w.notSpeech, w.leak, c < 2 && viaPath[c]:
			p = 0
		case (w.db < fg-fgKeepDB || w.db < bg+bgKeepDB) && !n.strongNear(ch, i, fg, bg):
			p = 0
		}
		ch.spans = ch.seg.Push(p, ch.spans)
		switch {
		case float64(p) >= n.cfg.NeuralThreshold:
			ch.inSpeech = true
		case float64(p) < n.cfg.NeuralNegThreshold:
			ch.inSpeech = false
		}
		if ch.inSpeech {
			ch.speechSumSq += w.ms
			ch.speechWindow++
		}
	}
}

// strongNear reports whether a strong window of ch (speech to the model,
// within fgStrongDB of the foreground level fg) lies within tailSeconds
// before ring window i or onsetSeconds after it.
func (n *neural) strongNear(ch *neuralChan, i int, fg, bg float32) bool {
	L := len(ch.ring)
	thr := float32(n.cfg.NeuralThreshold)
	for k := -n.tail; k <= n.onset; k++ {
		if k > n.pending || -k > historyWindows {
			continue
		}
		w := &ch.ring[(i+k+L)%L]
		if w.p >= thr && w.db >= fg-fgStrongDB && w.db >= bg+bgStrongDB && !w.notSpeech && !w.leak {
			return true
		}
	}
	return false
}

func dtmfEvent(ev tone.DTMFEvent) models.Event {
	return models.Event{Type: models.EventDTMF, Start: round2(ev.Start), End: round2(ev.End), Presses: ev.Presses}
}

func spanEvent(typ string, sp tone.Span) models.Event {
	return models.Event{Type: typ, Start: round2(sp.Start), End: round2(sp.End)}
}

// finish flushes the resamplers and the last, zero-padded, window, and
// returns each channel's speech segments (holds removed), events and
// speech level figures; dur is the recording's duration in seconds.
func (n *neural) finish(dur float64) {
	if n.chans[0].rs != nil {
		for c := range n.chans {
			n.rsOut[c] = n.chans[c].rs.flush(n.rsOut[c][:0])
		}
		n.feed(n.rsOut)
	}
	samples := n.nwin*int64(n.win) + int64(n.fill)
	if n.fill > 0 {
		for c := range n.chans {
			clear(n.chans[c].win[n.fill:])
		}
		n.window()
		n.fill = 0
	}
	for n.pending > 0 {
		n.decide()
	}
	for c := range n.chans {
		ch := &n.chans[c]
		ch.spans = ch.seg.Finish(samples, ch.spans)
		for _, ev := range ch.dtmf.Flush() {
			ch.events = append(ch.events, dtmfEvent(ev))
		}
		if sp, ok := ch.tones.Flush(); ok {
			ch.events = append(ch.events, spanEvent(models.EventTone, sp))
		}
		if sp, ok := ch.hold.Flush(); ok {
			ch.events = append(ch.events, spanEvent(models.EventHoldMusic, sp))
		}
		for i := range ch.events {
			ch.events[i].End = min(ch.events[i].End, round2(dur))
		}
	}
}

// segments returns channel c's speech segments in seconds, without the
// time of its hold music, clipped to dur.
func (n *neural) segments(c int, dur float64) []models.Span {
	ch := &n.chans[c]
	out := make([]models.Span, 0, len(ch.spans))
	for _, sp := range ch.spans {
		a, b := sp.Seconds(n.rate)
		a, b = round2(a), min(round2(b), round2(dur))
		if b > a {
			out = append(out, models.Span{a, b})
		}
	}
	var holds []models.Span
	for _, ev := range ch.events {
		if ev.Type == models.EventHoldMusic {
			holds = append(holds, models.Span{ev.Start, ev.End})
		}
	}
	return subtract(out, holds)
}

// subtract returns the parts of the sorted, disjoint spans a outside the
// spans b.
func subtract(a, b []models.Span) []models.Span {
	if len(b) == 0 {
		return a
	}
	b = normalize(b)
	out := make([]models.Span, 0, len(a))
	for _, s := range a {
		cur := s
		for _, h := range b {
			if h[1] <= cur[0] || h[0] >= cur[1] {
				continue
			}
			if h[0] > cur[0] {
				out = append(out, models.Span{cur[0], h[0]})
			}
			cur[0] = max(cur[0], h[1])
			if cur[0] >= cur[1] {
				break
			}
		}
		if cur[1] > cur[0] {
			out = append(out, cur)
		}
	}
	return out
}

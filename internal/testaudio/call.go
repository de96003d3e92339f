package testaudio

import (
	"fmt"
	"math"
	"slices"

	"github.com/callqa/callqa/models"
)

// Kind is what a sound is, for the truth of a built call.
type Kind int

// Kinds of sound.
const (
	KindSpeech Kind = iota // a person talking
	KindHold               // hold or ring-back music
	KindDTMF               // key presses
	KindTone               // a call-progress tone
)

// String names the kind as callqa's events do.
func (k Kind) String() string {
	switch k {
	case KindHold:
		return "hold_music"
	case KindDTMF:
		return "dtmf"
	case KindTone:
		return "tone"
	}
	return "speech"
}

// Sound is something a Script places on a channel.
type Sound interface {
	// Render returns the sound's samples at rate and its truth: the
	// spans, in seconds from the sound's start, where it is active
	// (speech, tone on, key pressed).
	Render(rate int, seed uint64) ([]float32, []models.Span)
	// Kind says what the sound is.
	Kind() Kind
}

// Speech is (part of) a bundled clip at an active level.
type Speech struct {
	Clip     string  // one of Clips()
	DBFS     float64 // active level (ActiveDBFS)
	From, To float64 // section of the clip, seconds; To 0 is the end
	Reverse  bool    // play backwards (a different-sounding talker)
}

// Render implements Sound; the truth is SpeechSpans of the clean section.
func (s Speech) Render(rate int, _ uint64) ([]float32, []models.Span) {
	x := MustClip(s.Clip, rate)
	a := min(len(x), Samples(rate, s.From))
	b := len(x)
	if s.To > 0 {
		b = max(a, min(b, Samples(rate, s.To)))
	}
	x = x[a:b]
	if s.Reverse {
		slices.Reverse(x)
	}
	ScaleActiveTo(x, rate, s.DBFS)
	return x, SpeechSpans(x, rate)
}

// Kind implements Sound.
func (Speech) Kind() Kind { return KindSpeech }

// Style is a kind of hold music.
type Style int

// Hold music styles.
const (
	StyleMelody Style = iota // Melody: plucked notes
	StylePad                 // Pad: sustained chords
)

// Music is hold music of a style, length and level.
type Music struct {
	Style   Style   // melody or pad
	Seconds float64 // length
	DBFS    float64 // RMS level
}

// Render implements Sound; the truth is the whole sound.
func (m Music) Render(rate int, seed uint64) ([]float32, []models.Span) {
	if m.Style == StylePad {
		return Pad(rate, m.Seconds, m.DBFS, seed), []models.Span{{0, m.Seconds}}
	}
	return Melody(rate, m.Seconds, m.DBFS, seed), []models.Span{{0, m.Seconds}}
}

// Kind implements Sound.
func (Music) Kind() Kind { return KindHold }

// Tone is a call-progress cadence of a given length.
type Tone struct {
	Cadence Cadence // frequencies, on/off times and level
	Seconds float64 // length
}

// Render implements Sound; the truth is the spans where the tone is on.
func (t Tone) Render(rate int, _ uint64) ([]float32, []models.Span) {
	return t.Cadence.Render(rate, t.Seconds)
}

// Kind implements Sound.
func (Tone) Kind() Kind { return KindTone }

// Keys is a DTMF run as a Sound.
type Keys struct {
	Run DTMFRun // the presses
}

// Render implements Sound; the truth is the presses.
func (k Keys) Render(rate int, _ uint64) ([]float32, []models.Span) { return k.Run.Render(rate) }

// Kind implements Sound.
func (Keys) Kind() Kind { return KindDTMF }

// Line places a sound on a channel.
type Line struct {
	Channel int     // 0 (agent) or 1 (customer)
	At      float64 // start, seconds
	Sound   Sound   // what is heard
}

// Noise is a channel's line noise.
type Noise struct {
	DBFS float64 // RMS level; 0 means no noise
	Pink bool    // pink instead of white
}

// Script describes a stereo call: who says what when, how each channel
// leaks into the other, its line noise and codec.
type Script struct {
	Rate    int     // sample rate, e.g. 8000
	Seconds float64 // length; 0: until the last sound ends, plus 0.5 s
	Lines   []Line  // the sounds, in any order
	// Echo[c], when set, is how channel c's own sounds leak into the
	// other channel.
	Echo  [2]*EchoPath
	Noise [2]Noise // each channel's line noise
	Codec Codec    // how both channels are carried
	Seed  uint64   // seeds music, noise and hybrids (each line gets Seed+its index)
}

// Event is the truth of a non-speech sound in a built call.
type Event struct {
	Kind    Kind          // hold music, DTMF or a tone
	Channel int           // where it sounds
	Span    models.Span   // the whole sound
	Active  []models.Span // tone on, key pressed (for music, Span)
}

// Call is a built stereo call and its truth.
type Call struct {
	Rate     int          // sample rate
	Channels [2][]float32 // what a recorder stores: own + leaked + noise, through the codec
	// Speech is each channel's genuine speech, in seconds.
	Speech [2][]models.Span
	// Leak is where the other channel's speech is echoed onto this one:
	// its Speech shifted by the echo delay (nil without echo).
	Leak   [2][]models.Span
	Events []Event // the non-speech sounds, by start time
	// The clean components of each channel, for truth per window.
	Own, Leaked, Noise [2][]float32
}

// Seconds is the call's length.
func (c *Call) Seconds() float64 { return float64(len(c.Channels[0])) / float64(c.Rate) }

// Build renders the script.
func (s Script) Build() (*Call, error) {
	if s.Rate <= 0 {
		return nil, fmt.Errorf("script: rate %d must be positive", s.Rate)
	}
	c := &Call{Rate: s.Rate}
	for i, l := range s.Lines {
		if l.Channel != 0 && l.Channel != 1 {
			return nil, fmt.Errorf("script: line %d: channel %d, want 0 or 1", i, l.Channel)
		}
		x, spans := l.Sound.Render(s.Rate, s.Seed+uint64(i))
		at := Samples(s.Rate, l.At)
		c.Own[l.Channel] = Mix(c.Own[l.Channel], x, at)
		dur := float64(len(x)) / float64(s.Rate)
		shifted := shift(spans, l.At)
		if k := l.Sound.Kind(); k == KindSpeech {
			c.Speech[l.Channel] = append(c.Speech[l.Channel], shifted...)
		} else {
			c.Events = append(c.Events, Event{Kind: k, Channel: l.Channel, Span: models.Span{l.At, l.At + dur}, Active: shifted})
		}
	}
	n := max(len(c.Own[0]), len(c.Own[1])) + Samples(s.Rate, 0.5)
	if s.Seconds > 0 {
		n = Samples(s.Rate, s.Seconds)
	}
	for ch := range 2 {
		c.Own[ch] = fit(c.Own[ch], n)
		c.Speech[ch] = clip(merge(c.Speech[ch]), float64(n)/float64(s.Rate))
	}
	for ch := range 2 {
		other := 1 - ch
		c.Leaked[ch] = make([]float32, n)
		if p := s.Echo[other]; p != nil {
			c.Leaked[ch] = Echo(c.Own[other], s.Rate, *p)
			c.Leak[ch] = clip(shift(c.Speech[other], p.Delay), float64(n)/float64(s.Rate))
		}
		c.Noise[ch] = make([]float32, n)
		if nz := s.Noise[ch]; nz.DBFS != 0 {
			seed := s.Seed ^ uint64(0x9e3779b97f4a7c15*uint64(ch+1))
			if nz.Pink {
				c.Noise[ch] = Pink(n, nz.DBFS, seed)
			} else {
				c.Noise[ch] = White(n, nz.DBFS, seed)
			}
		}
		sum := make([]float32, n)
		for i := range sum {
			sum[i] = c.Own[ch][i] + c.Leaked[ch][i] + c.Noise[ch][i]
		}
		c.Channels[ch] = s.Codec.RoundTrip(sum)
	}
	slices.SortFunc(c.Events, func(a, b Event) int { return cmpFloat(a.Span[0], b.Span[0]) })
	return c, nil
}

// SpeechSpans is the truth of a clean voice: the 10 ms frames above
// ActiveDBFS - 25 dB, with pauses shorter than 0.2 s bridged and bursts
// shorter than 50 ms dropped.
func SpeechSpans(x []float32, rate int) []models.Span {
	thr := math.Pow(10, (ActiveDBFS(x, rate)-25)/10)
	fl := max(1, rate/100)
	var spans []models.Span
	for f := 0; (f+1)*fl <= len(x); f++ {
		var ss float64
		for _, v := range x[f*fl : (f+1)*fl] {
			ss += float64(v) * float64(v)
		}
		if ss/float64(fl) <= thr {
			continue
		}
		t0, t1 := float64(f)/100, float64(f+1)/100
		if k := len(spans); k > 0 && t0-spans[k-1][1] < 0.2 {
			spans[k-1][1] = t1
		} else {
			spans = append(spans, models.Span{t0, t1})
		}
	}
	return slices.DeleteFunc(spans, func(s models.Span) bool { return s[1]-s[0] < 0.05 })
}

// Covered is how many seconds of [t0, t1) the spans cover; spans must
// not overlap each other.
func Covered(spans []models.Span, t0, t1 float64) float64 {
	var s float64
	for _, sp := range spans {
		s += max(0, min(t1, sp[1])-max(t0, sp[0]))
	}
	return s
}

func shift(spans []models.Span, dt float64) []models.Span {
	out := make([]models.Span, len(spans))
	for i, s := range spans {
		out[i] = models.Span{s[0] + dt, s[1] + dt}
	}
	return out
}

// merge sorts spans and joins the overlapping ones.
func merge(spans []models.Span) []models.Span {
	slices.SortFunc(spans, func(a, b models.Span) int { return cmpFloat(a[0], b[0]) })
	var out []models.Span
	for _, s := range spans {
		if k := len(out); k > 0 && s[0] <= out[k-1][1] {
			out[k-1][1] = max(out[k-1][1], s[1])
			continue
		}
		out = append(out, s)
	}
	return out
}

// clip cuts spans at end.
func clip(spans []models.Span, end float64) []models.Span {
	var out []models.Span
	for _, s := range spans {
		if s[0] < end {
			out = append(out, models.Span{s[0], min(s[1], end)})
		}
	}
	return out
}

func fit(x []float32, n int) []float32 {
	if len(x) >= n {
		return x[:n]
	}
	return append(x, make([]float32, n-len(x))...)
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Coverage is, for each of n consecutive frames of hop seconds from 0,
// the fraction of the frame that the (non-overlapping) spans cover: the
// truth of a detector on a window grid.
func Coverage(spans []models.Span, hop float64, n int) []float64 {
	out := make([]float64, n)
	for _, s := range spans {
		for f := max(0, int(s[0]/hop)); f < n && float64(f)*hop < s[1]; f++ {
			t0 := float64(f) * hop
			out[f] += max(0, min(t0+hop, s[1])-max(t0, s[0])) / hop
		}
	}
	return out
}

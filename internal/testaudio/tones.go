package testaudio

import (
	"math"
	"strings"

	"github.com/callqa/callqa/models"
)

// DTMFLow and DTMFHigh are the ITU-T Q.23 row and column frequencies.
var (
	DTMFLow  = [4]float64{697, 770, 852, 941}
	DTMFHigh = [4]float64{1209, 1336, 1477, 1633}
)

// dtmfKeys is the Q.23 keypad: row = low tone, column = high tone.
const dtmfKeys = "123A456B789C*0#D"

// DTMFFreqs returns the low and high frequency of a keypad digit
// (0-9, *, #, A-D); ok is false for anything else.
func DTMFFreqs(digit byte) (low, high float64, ok bool) {
	i := strings.IndexByte(dtmfKeys, digit)
	if i < 0 {
		return 0, 0, false
	}
	return DTMFLow[i/4], DTMFHigh[i%4], true
}

// DTMFRun is a run of key presses.
type DTMFRun struct {
	Digits  string  // keypad digits; others are skipped with their timing
	On, Off float64 // tone and pause durations, seconds
	DBFS    float64 // RMS level of the tone pair
	TwistDB float64 // high-group level minus low-group level, dB
}

// FastDTMF is an automatic dialler's run: 50 ms tones, 50 ms pauses,
// -10 dBFS, high group 2 dB louder (the usual pre-emphasis).
func FastDTMF(digits string) DTMFRun {
	return DTMFRun{Digits: digits, On: 0.05, Off: 0.05, DBFS: -10, TwistDB: 2}
}

// SlowDTMF is a person keying: 150 ms tones, 300 ms pauses, -10 dBFS,
// high group 2 dB louder.
func SlowDTMF(digits string) DTMFRun {
	return DTMFRun{Digits: digits, On: 0.15, Off: 0.3, DBFS: -10, TwistDB: 2}
}

// Seconds is the run's length: every digit's tone and pause.
func (d DTMFRun) Seconds() float64 { return float64(len(d.Digits)) * (d.On + d.Off) }

// Render returns the run's samples at rate, and the span of each press in
// seconds from the start. Tones have 2 ms raised-cosine ramps.
func (d DTMFRun) Render(rate int) ([]float32, []models.Span) {
	out := make([]float32, Samples(rate, d.Seconds()))
	var presses []models.Span
	ms := math.Pow(10, d.DBFS/10)
	g := math.Pow(10, d.TwistDB/20)
	aLow := math.Sqrt(2 * ms / (1 + g*g))
	aHigh := g * aLow
	on := Samples(rate, d.On)
	for i := range len(d.Digits) {
		lo, hi, ok := DTMFFreqs(d.Digits[i])
		if !ok {
			continue
		}
		t0 := float64(i) * (d.On + d.Off)
		at := Samples(rate, t0)
		addSine(out[at:min(len(out), at+on)], rate, lo, aLow, 0)
		addSine(out[at:min(len(out), at+on)], rate, hi, aHigh, 0)
		presses = append(presses, models.Span{t0, t0 + d.On})
	}
	return out, presses
}

// addSine adds amp*sin(2*pi*hz*t+phase) to dst with 2 ms raised-cosine
// ramps at both ends.
func addSine(dst []float32, rate int, hz, amp, phase float64) {
	ramp := max(1, rate/500)
	w := 2 * math.Pi * hz / float64(rate)
	for i := range dst {
		e := 1.0
		if k := min(i, len(dst)-1-i); k < ramp {
			e = 0.5 - 0.5*math.Cos(math.Pi*float64(k)/float64(ramp))
		}
		dst[i] += float32(amp * e * math.Sin(w*float64(i)+phase))
	}
}

// Cadence is a call-progress tone: one or two steady frequencies switched
// on and off.
type Cadence struct {
	Hz      []float64 // one or two frequencies
	On, Off float64   // seconds; Off 0 is a continuous tone
	DBFS    float64   // RMS level while on
}

// RingBack is China's ring-back tone: 450 Hz, 1 s on, 4 s off.
func RingBack(dbfs float64) Cadence {
	return Cadence{Hz: []float64{450}, On: 1, Off: 4, DBFS: dbfs}
}

// Busy is China's busy tone: 450 Hz, 0.35 s on, 0.35 s off.
func Busy(dbfs float64) Cadence {
	return Cadence{Hz: []float64{450}, On: 0.35, Off: 0.35, DBFS: dbfs}
}

// TestTone is a continuous 1 kHz test tone.
func TestTone(dbfs float64) Cadence { return Cadence{Hz: []float64{1000}, On: 1, DBFS: dbfs} }

// Render returns seconds of the cadence at rate, starting with a tone, and
// the spans in which the tone is on.
func (c Cadence) Render(rate int, seconds float64) ([]float32, []models.Span) {
	out := make([]float32, Samples(rate, seconds))
	amp := math.Sqrt(2 * math.Pow(10, c.DBFS/10) / float64(max(1, len(c.Hz))))
	var spans []models.Span
	if c.Off <= 0 {
		for _, hz := range c.Hz {
			addSine(out, rate, hz, amp, 0)
		}
		return out, []models.Span{{0, seconds}}
	}
	for t0 := 0.0; t0 < seconds; t0 += c.On + c.Off {
		t1 := min(seconds, t0+c.On)
		a, b := Samples(rate, t0), Samples(rate, t1)
		for _, hz := range c.Hz {
			addSine(out[a:b], rate, hz, amp, 0)
		}
		spans = append(spans, models.Span{t0, t1})
	}
	return out, spans
}

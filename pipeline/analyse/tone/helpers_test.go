package tone

import (
	"testing"

	"github.com/callqa/callqa/internal/testaudio"
	"github.com/callqa/callqa/models"
)

// result is everything a Detector and the event builders make of a signal.
type result struct {
	frames []Frame
	dtmf   []DTMFEvent
	hold   []Span
	tones  []Span
}

// analyse runs one channel through a Detector and the three builders, the
// way the analyser will: window by window, the last window zero-padded.
func analyse(t testing.TB, rate int, x []float32) result {
	t.Helper()
	d, err := New(rate, Config{})
	if err != nil {
		t.Fatal(err)
	}
	var r result
	keys := NewDTMFEvents(DTMFOptions{KeepDigits: true})
	hold := NewSpans(HoldMinSeconds, HoldMaxGapSeconds)
	tones := NewSpans(ToneMinSeconds, ToneMaxGapSeconds)
	n := d.WindowSize()
	win := make([]float32, n)
	for i := 0; i < len(x); i += n {
		clear(win)
		copy(win, x[i:min(len(x), i+n)])
		f := d.Window(win)
		r.frames = append(r.frames, f)
		if ev, ok := keys.Push(f); ok {
			r.dtmf = append(r.dtmf, ev)
		}
		if s, ok := hold.Push(f.IsMusic); ok {
			r.hold = append(r.hold, s)
		}
		if s, ok := tones.Push(f.Tone); ok {
			r.tones = append(r.tones, s)
		}
	}
	r.dtmf = append(r.dtmf, keys.Flush()...)
	if s, ok := hold.Flush(); ok {
		r.hold = append(r.hold, s)
	}
	if s, ok := tones.Flush(); ok {
		r.tones = append(r.tones, s)
	}
	return r
}

// rate is the share of the selected frames for which flag holds; sel nil
// selects every frame.
func share(frames []Frame, sel []bool, flag func(Frame) bool) (share float64, n int) {
	var hit int
	for i, f := range frames {
		if sel != nil && (i >= len(sel) || !sel[i]) {
			continue
		}
		n++
		if flag(f) {
			hit++
		}
	}
	if n == 0 {
		return 0, 0
	}
	return float64(hit) / float64(n), n
}

// windowsIn selects the windows that spans cover by at least min.
func windowsIn(spans []models.Span, n int, min float64) []bool {
	cov := testaudio.Coverage(spans, WindowSeconds, n)
	sel := make([]bool, n)
	for i, c := range cov {
		sel[i] = c >= min
	}
	return sel
}

func add(a, b []float32) []float32 {
	out := make([]float32, len(a))
	for i := range a {
		out[i] = a[i] + b[i]
	}
	return out
}

func digitCount(frames []Frame) int {
	var n int
	for _, f := range frames {
		if f.Digit != 0 {
			n++
		}
	}
	return n
}

func isMusic(f Frame) bool { return f.IsMusic }
func isTone(f Frame) bool  { return f.Tone }

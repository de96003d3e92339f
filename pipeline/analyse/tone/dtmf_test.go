package tone

import (
	"fmt"
	"math"
	"testing"

	"github.com/callqa/callqa/internal/testaudio"
	"github.com/callqa/callqa/models"
)

// TestDTMF plays runs of key presses, fast (50 ms on, 50 ms off) and
// slow (150/300 ms), loud and quiet, with and without line noise, at every
// alignment to the window grid, through PCM and both G.711 laws, at 8 and
// 16 kHz: each run is one event with every press, timed to 10 ms.
func TestDTMF(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		run     testaudio.DTMFRun
		noise   float64 // white noise dBFS, 0 for none
		offsets []int   // silence before the run, in samples at 8 kHz
	}{
		{"fast", testaudio.FastDTMF("0123456789*#ABCD"), 0, []int{0, 37, 100, 128, 200, 255}},
		{"slow", testaudio.SlowDTMF("1357924680"), 0, []int{0, 100, 200}},
		{"fast quiet noisy", testaudio.DTMFRun{Digits: "95175382", On: 0.05, Off: 0.05, DBFS: -30, TwistDB: -4}, -50, []int{0, 64, 160}},
		{"slow quiet noisy", testaudio.DTMFRun{Digits: "#0*", On: 0.15, Off: 0.3, DBFS: -30, TwistDB: 4}, -50, []int{50, 150}},
		{"40 ms repeated digit", testaudio.DTMFRun{Digits: "55555", On: 0.04, Off: 0.05, DBFS: -15, TwistDB: 2}, 0, []int{0, 32, 96, 160, 224}},
	}
	var windows, right int
	for _, c := range cases {
		for _, rate := range []int{8000, 16000} {
			for _, codec := range testaudio.Codecs() {
				for _, off := range c.offsets {
					x, presses := c.run.Render(rate)
					lead := testaudio.Samples(rate, 0.5) + off*rate/8000
					x = append(append(make([]float32, lead), x...), make([]float32, 2*rate)...)
					if c.noise != 0 {
						x = add(x, testaudio.White(len(x), c.noise, uint64(off)))
					}
					r := analyse(t, rate, codec.RoundTrip(x))
					name := fmt.Sprintf("%s at %d Hz, %v, offset %d", c.name, rate, codec, off)
					t0 := float64(lead) / float64(rate)
					start, end := t0+presses[0][0], t0+presses[len(presses)-1][1]
					if len(r.dtmf) != 1 {
						t.Errorf("%s: %d events %+v, want 1", name, len(r.dtmf), r.dtmf)
						continue
					}
					ev := r.dtmf[0]
					if ev.Presses != len(c.run.Digits) || ev.Digits != c.run.Digits {
						t.Errorf("%s: %d presses %q, want %d %q", name, ev.Presses, ev.Digits, len(c.run.Digits), c.run.Digits)
					}
					if math.Abs(ev.Start-start) > 0.01 || math.Abs(ev.End-end) > 0.01 {
						t.Errorf("%s: event %.3f-%.3f s, want %.3f-%.3f", name, ev.Start, ev.End, start, end)
					}
					// Windows more than half covered by a press name its
					// digit (a half-covered one may go either way).
					cov := testaudio.Coverage(shiftSpans(presses, t0), WindowSeconds, len(r.frames))
					for i, cv := range cov {
						if cv < 0.55 {
							continue
						}
						windows++
						p := int((float64(i)*WindowSeconds + WindowSeconds/2 - t0) / (c.run.On + c.run.Off))
						if r.frames[i].Digit == c.run.Digits[min(p, len(c.run.Digits)-1)] {
							right++
						}
					}
				}
			}
		}
	}
	share := float64(right) / float64(windows)
	t.Logf("windows more than half covered by a press naming its digit: %d of %d (%.1f%%)", right, windows, 100*share)
	if share < 0.98 {
		t.Errorf("only %.1f%% of windows more than half covered by a press name its digit", 100*share)
	}
}

func shiftSpans(s []models.Span, dt float64) []models.Span {
	out := make([]models.Span, len(s))
	for i, v := range s {
		out[i] = models.Span{v[0] + dt, v[1] + dt}
	}
	return out
}

// TestDTMFRejects: what Q.24 says a receiver must not accept.
func TestDTMFRejects(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		run  testaudio.DTMFRun
	}{
		{"30 ms tones", testaudio.DTMFRun{Digits: "123", On: 0.03, Off: 0.1, DBFS: -10, TwistDB: 2}},
		{"twist 10 dB", testaudio.DTMFRun{Digits: "123", On: 0.1, Off: 0.1, DBFS: -10, TwistDB: 10}},
		{"reverse twist 10 dB", testaudio.DTMFRun{Digits: "123", On: 0.1, Off: 0.1, DBFS: -10, TwistDB: -10}},
		{"tones at -50 dBFS", testaudio.DTMFRun{Digits: "123", On: 0.1, Off: 0.1, DBFS: -47, TwistDB: 0}},
	}
	for _, c := range cases {
		x, _ := c.run.Render(8000)
		x = append(append(make([]float32, 1000), x...), make([]float32, 8000)...)
		r := analyse(t, 8000, x)
		if len(r.dtmf) != 0 {
			t.Errorf("%s: events %+v, want none", c.name, r.dtmf)
		}
	}
	// Two runs 1.5 s apart are two events; presses 0.9 s apart are one.
	a, _ := testaudio.SlowDTMF("12").Render(8000)
	gap := make([]float32, 12000)
	x := append(append(append(append([]float32{}, a...), gap...), a...), gap...)
	if r := analyse(t, 8000, x); len(r.dtmf) != 2 {
		t.Errorf("two runs 1.5 s apart: events %+v, want 2", r.dtmf)
	}
	slow := testaudio.DTMFRun{Digits: "1234", On: 0.1, Off: 0.9, DBFS: -10}
	x, _ = slow.Render(8000)
	if r := analyse(t, 8000, x); len(r.dtmf) != 1 || r.dtmf[0].Presses != 4 {
		t.Errorf("presses 0.9 s apart: events %+v, want 1 of 4 presses", r.dtmf)
	}
}

// TestDTMFTalkOff: speech, babble, music and noise press no keys.
func TestDTMFTalkOff(t *testing.T) {
	t.Parallel()
	var sigs []signal
	for _, s := range append(musicSignals(), otherSignals()...) {
		if s.name != "DTMF fast" {
			sigs = append(sigs, s)
		}
	}
	var total, digits, events int
	for _, s := range sigs {
		x, _ := s.gen(8000)
		for _, codec := range testaudio.Codecs() {
			r := analyse(t, 8000, codec.RoundTrip(x))
			total += len(r.frames)
			digits += digitCount(r.frames)
			events += len(r.dtmf)
			if len(r.dtmf) > 0 || digitCount(r.frames) > 0 {
				t.Errorf("%s, %v: %d digit windows, events %+v", s.name, codec, digitCount(r.frames), r.dtmf)
			}
		}
	}
	t.Logf("talk-off: %d digit windows and %d events in %d windows (%.0f s) of speech, babble, music, tones and noise", digits, events, total, float64(total)*WindowSeconds)
}

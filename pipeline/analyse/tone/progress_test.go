package tone

import (
	"fmt"
	"math"
	"testing"

	"github.com/callqa/callqa/internal/testaudio"
)

// TestProgressTones: ring-back, busy, a test tone and a dual dial tone,
// loud and quiet in line noise, through PCM and G.711, at 8 and 16 kHz:
// at least 80% of the windows the tone fills are flagged with the right
// frequency, and each cadence is one tone event.
func TestProgressTones(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		cadence testaudio.Cadence
		seconds float64
		noise   float64
	}{
		{"ring-back -20 dBFS", testaudio.RingBack(-20), 21, 0},
		{"ring-back -35 dBFS, noise -60", testaudio.RingBack(-35), 21, -60},
		{"busy -20 dBFS", testaudio.Busy(-20), 7, 0},
		{"busy -30 dBFS, noise -55", testaudio.Busy(-30), 7, -55},
		{"1 kHz test tone -30 dBFS", testaudio.TestTone(-30), 5, 0},
		{"dial 350+440 Hz -25 dBFS, noise -55", testaudio.Cadence{Hz: []float64{350, 440}, DBFS: -25}, 5, -55},
	}
	for _, c := range cases {
		for _, rate := range []int{8000, 16000} {
			for _, codec := range testaudio.Codecs() {
				x, on := c.cadence.Render(rate, c.seconds)
				if c.noise != 0 {
					x = add(x, testaudio.White(len(x), c.noise, 9))
				}
				r := analyse(t, rate, codec.RoundTrip(x))
				name := fmt.Sprintf("%s at %d Hz, %v", c.name, rate, codec)
				full := windowsIn(on, len(r.frames), 1)
				hit, n := share(r.frames, full, isTone)
				var worst float64
				for i, f := range r.frames {
					if full[i] && f.Tone {
						worst = max(worst, math.Abs(float64(f.ToneHz)-c.cadence.Hz[len(c.cadence.Hz)-1]))
					}
				}
				t.Logf("%s: tone in %.1f%% of %d windows it fills, frequency within %.2f Hz, events %v", name, 100*hit, n, worst, r.tones)
				if hit < 0.8 {
					t.Errorf("%s: tone in only %.1f%% of the %d windows it fills", name, 100*hit, n)
				}
				if worst > 2 {
					t.Errorf("%s: tone frequency off by %.2f Hz", name, worst)
				}
				if len(r.tones) != 1 || r.tones[0].Start > on[0][0]+0.1 || r.tones[0].End < on[len(on)-1][1]-0.05 {
					t.Errorf("%s: tone events %v, want one from %.2f to %.2f s", name, r.tones, on[0][0], on[len(on)-1][1])
				}
			}
		}
	}
}

// TestNoToneInSpeech: voices, babble, music and noise are no
// call-progress tone.
func TestNoToneInSpeech(t *testing.T) {
	t.Parallel()
	for _, s := range append(musicSignals(), otherSignals()...) {
		if s.name == "ring-back -20 dBFS" || s.name == "busy -20 dBFS" {
			continue
		}
		x, _ := s.gen(8000)
		for _, codec := range []testaudio.Codec{testaudio.CodecPCM, testaudio.CodecMuLaw} {
			r := analyse(t, 8000, codec.RoundTrip(x))
			sh, n := share(r.frames, nil, isTone)
			t.Logf("%s, %v: tone in %.1f%% of %d windows, %d events", s.name, codec, 100*sh, n, len(r.tones))
			if sh > 0.01 || len(r.tones) > 0 {
				t.Errorf("%s, %v: tone in %.1f%% of %d windows, events %v", s.name, codec, 100*sh, n, r.tones)
			}
		}
	}
}

package analyse

import (
	"math"
	"testing"
)

// TestResampler converts sines between common rates: the output has the
// expected length, keeps the amplitude and phase of a sine both rates
// carry, removes one above the output's Nyquist frequency (which would
// alias), and does not depend on the block size.
func TestResampler(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ from, to int }{{44100, 16000}, {48000, 16000}, {11025, 8000}, {22050, 16000}, {6000, 8000}, {32000, 16000}, {12000, 8000}, {8000, 16000}} {
		lo := float64(min(c.from, c.to))
		for _, hz := range []float64{440, 0.4 * lo, 0.6 * lo} {
			if hz >= 0.5*float64(c.from) {
				continue // not a signal at the input rate
			}
			const seconds = 1.5
			n := int(seconds * float64(c.from))
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(0.5 * math.Sin(2*math.Pi*hz*float64(i)/float64(c.from)))
			}
			var outs [][]float32
			for _, block := range []int{1, 37, 1000, n} {
				r := newResampler(c.from, c.to)
				var out []float32
				for off := 0; off < n; off += block {
					out = r.write(x[off:min(off+block, n)], out)
				}
				out = r.flush(out)
				outs = append(outs, out)
			}
			want := (int64(n)*int64(c.to) + int64(c.from) - 1) / int64(c.from)
			for i, o := range outs {
				if int64(len(o)) != want {
					t.Fatalf("%d->%d %g Hz block #%d: %d samples, want %d", c.from, c.to, hz, i, len(o), want)
				}
				for k := range o {
					if o[k] != outs[0][k] {
						t.Fatalf("%d->%d: output differs with block size #%d at %d", c.from, c.to, i, k)
					}
				}
			}
			out := outs[0]
			// Amplitude and phase in the middle, away from the edges.
			var errSq, sigSq float64
			passes := hz < 0.5*lo
			for k := len(out) / 4; k < 3*len(out)/4; k++ {
				want := 0.0
				if passes {
					want = 0.5 * math.Sin(2*math.Pi*hz*float64(k)/float64(c.to))
				}
				d := float64(out[k]) - want
				errSq += d * d
				sigSq += 0.125
			}
			snr := 10 * math.Log10(sigSq/errSq)
			if passes && snr < 30 {
				t.Errorf("%d->%d %g Hz: %.1f dB signal-to-error, want >= 30", c.from, c.to, hz, snr)
			}
			if !passes && snr < 30 {
				t.Errorf("%d->%d %g Hz: above the output's band, attenuated only %.1f dB", c.from, c.to, hz, snr)
			}
		}
	}
}

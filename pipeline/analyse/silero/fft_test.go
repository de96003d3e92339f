package silero

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSTFTMatchesBasis checks the FFT path against the ONNX graph's
// convolution with the basis, on random input, for both rates.
func TestSTFTMatchesBasis(t *testing.T) {
	t.Parallel()
	nets := fullNets(t)
	r := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct {
		n    *net
		simd bool
	}{{nets[0], false}, {nets[1], false}, {nets[0], true}, {nets[1], true}} {
		n := c.n
		N, B, T := n.nfft, n.bins, n.frames
		in := make([]float32, n.context+n.window+n.pad)
		for i := range in {
			in[i] = float32(r.NormFloat64() * 0.3)
		}
		got := make([]float32, T*B)
		f := newFFT(N, c.simd)
		f.stftMagnitudes(got, in, n.win, n.hop, T, B, B, make([]float32, N), make([]float32, N))
		worst := 0.0
		for tt := range T {
			seg := in[tt*n.hop : tt*n.hop+N]
			for k := range B {
				var re, im float64
				for j, v := range seg {
					re += float64(n.basis[k*N+j]) * float64(v)
					im += float64(n.basis[(B+k)*N+j]) * float64(v)
				}
				want := math.Hypot(re, im)
				worst = max(worst, math.Abs(float64(got[tt*B+k])-want)/(1+want))
			}
		}
		t.Logf("%d Hz, simd %v: max relative difference %.2e", n.rate, c.simd && hasAVX2(), worst)
		if worst > 1e-5 {
			t.Errorf("%d Hz, simd %v: FFT magnitudes differ from the basis convolution by %.2e", n.rate, c.simd, worst)
		}
	}
}

package silero

import (
	"math"
	"testing"
)

// refDetector is the model computed literally as the ONNX graph says: the
// STFT as a convolution with the basis, loops in graph order. It is the
// first implementation of this package (its parity with ONNX Runtime is
// the same as the detector's) and checks the optimised one on random input.
type refDetector struct {
	n    *net
	in   []float32 // context + window + reflect padding
	h, c []float32
}

// fullNets returns the embedded model's networks with every weight in its
// ONNX layout, which Decode drops.
func fullNets(t testing.TB) [2]*net {
	t.Helper()
	g, err := parseModel([]byte(onnxFile))
	if err != nil {
		t.Fatal(err)
	}
	nets, err := loadNets(g)
	if err != nil {
		t.Fatal(err)
	}
	return nets
}

func newRefDetector(t testing.TB, rate int) *refDetector {
	i, err := rateIndex(rate)
	if err != nil {
		t.Fatal(err)
	}
	n := fullNets(t)[i]
	return &refDetector{
		n:  n,
		in: make([]float32, n.context+n.window+n.pad),
		h:  make([]float32, hidden),
		c:  make([]float32, hidden),
	}
}

func (d *refDetector) process(window []float32) float32 {
	n := d.n
	L := n.context + n.window
	copy(d.in[n.context:L], window)
	for j := range n.pad { // reflect padding on the right
		d.in[L+j] = d.in[L-2-j]
	}
	// STFT: conv of the padded input with the basis, stride hop; then
	// magnitudes, channel-major [bins][frames].
	N, B, T := n.nfft, n.bins, n.frames
	x := make([]float32, B*T)
	for t := range T {
		seg := d.in[t*n.hop : t*n.hop+N]
		for k := range B {
			var re, im float32
			br := n.basis[k*N : (k+1)*N]
			bi := n.basis[(B+k)*N : (B+k+1)*N]
			for j, v := range seg {
				re += br[j] * v
				im += bi[j] * v
			}
			x[k*T+t] = float32(math.Sqrt(float64(re*re + im*im)))
		}
	}
	// Encoder: Conv1d(kernel 3, padding 1) + ReLU.
	for _, c := range n.enc {
		To := (T+2-3)/c.stride + 1
		y := make([]float32, c.out*To)
		for o := range c.out {
			for t := range To {
				s := c.b[o]
				for ci := range c.in {
					w := c.w[(o*c.in+ci)*3 : (o*c.in+ci)*3+3]
					for k := range 3 {
						if p := t*c.stride + k - 1; p >= 0 && p < T {
							s += w[k] * x[ci*T+p]
						}
					}
				}
				y[o*To+t] = max(s, 0)
			}
		}
		x, T = y, To
	}
	// LSTM cell, gates i, f, g, o.
	gates := make([]float32, 4*hidden)
	for r := range gates {
		s := n.bih[r] + n.bhh[r]
		for j := range hidden {
			s += n.wih[r*hidden+j]*x[j] + n.whh[r*hidden+j]*d.h[j]
		}
		gates[r] = s
	}
	out := n.decB
	for j := range hidden {
		ig := refSigmoid(gates[j])
		fg := refSigmoid(gates[hidden+j])
		gg := float32(math.Tanh(float64(gates[2*hidden+j])))
		og := refSigmoid(gates[3*hidden+j])
		d.c[j] = fg*d.c[j] + ig*gg
		d.h[j] = og * float32(math.Tanh(float64(d.c[j])))
		out += n.decW[j] * max(d.h[j], 0)
	}
	copy(d.in[:n.context], d.in[L-n.context:L])
	return refSigmoid(out)
}

func refSigmoid(x float32) float32 { return float32(1 / (1 + math.Exp(-float64(x)))) }

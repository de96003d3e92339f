package silero

import (
	"fmt"
	"math"
)

// Detector runs the model over one stream (one channel) at one sample
// rate: it keeps the context samples of the previous window and the LSTM
// state between calls. It is not safe for concurrent use; make one per
// channel. Process allocates nothing.
type Detector struct {
	n *net

	in   []float32 // context + window + reflect padding
	h, c []float32 // LSTM state

	spec     []float32 // [bins][frames] STFT magnitudes
	specT    []float32 // [frames][bins]
	fre, fim []float32 // FFT scratch
	fft      *fft
	act      [4][]float32
	gates    []float32
}

// NewDetector returns a detector for a stream at sampleRate, which must be
// 8000 or 16000 (resample anything else first).
func (m *Model) NewDetector(sampleRate int) (*Detector, error) {
	i, err := rateIndex(sampleRate)
	if err != nil {
		return nil, err
	}
	n := m.nets[i]
	d := &Detector{
		n:     n,
		in:    make([]float32, n.context+n.window+n.pad),
		h:     make([]float32, hidden),
		c:     make([]float32, hidden),
		spec:  make([]float32, n.frames*n.bins),
		specT: make([]float32, n.frames*n.bins),
		fre:   make([]float32, n.nfft),
		fim:   make([]float32, n.nfft),
		fft:   newFFT(n.nfft),
		gates: make([]float32, 4*hidden),
	}
	t := n.frames
	for i, c := range n.enc {
		t = (t+2-3)/c.stride + 1
		d.act[i] = make([]float32, c.out*t)
	}
	return d, nil
}

// SampleRate returns the detector's sample rate.
func (d *Detector) SampleRate() int { return d.n.rate }

// WindowSize returns the number of new samples that Process takes: 256 at
// 8 kHz, 512 at 16 kHz (32 ms).
func (d *Detector) WindowSize() int { return d.n.window }

// Reset returns the detector to the start of a stream: zero context and
// zero LSTM state.
func (d *Detector) Reset() {
	clear(d.in)
	clear(d.h)
	clear(d.c)
}

// Process takes the next WindowSize() samples of the stream, scaled to
// [-1, 1), and returns the model's speech probability for them. It panics
// if len(window) != WindowSize().
func (d *Detector) Process(window []float32) float32 {
	n := d.n
	if len(window) != n.window {
		panic(fmt.Sprintf("silero: Process got %d samples, want %d", len(window), n.window))
	}
	L := n.context + n.window
	copy(d.in[n.context:L], window)
	for j := range n.pad {
		d.in[L+j] = d.in[L-2-j]
	}
	p := d.forward()
	// Keep the last context samples as the next window's context.
	copy(d.in[:n.context], d.in[L-n.context:L])
	return p
}

func (d *Detector) forward() float32 {
	n := d.n
	// STFT magnitudes by FFT.
	B := n.bins
	d.fft.stftMagnitudes(d.specT, d.in, n.win, n.hop, n.frames, B, d.fre, d.fim)
	for t := range n.frames {
		for k := range B {
			d.spec[k*n.frames+t] = d.specT[t*B+k]
		}
	}
	// Encoder: Conv1d(k=3, pad=1) + ReLU, channel-major [C][T].
	x, T := d.spec, n.frames
	for i, c := range n.enc {
		To := (T+2-3)/c.stride + 1
		y := d.act[i]
		for o := range c.out {
			for t := range To {
				s := c.b[o]
				for ci := range c.in {
					w := c.w[(o*c.in+ci)*3 : (o*c.in+ci)*3+3]
					for k := range 3 {
						p := t*c.stride + k - 1
						if p >= 0 && p < T {
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
	for r := range 4 * hidden {
		s := n.bih[r] + n.bhh[r]
		wi := n.wih[r*hidden : (r+1)*hidden]
		wh := n.whh[r*hidden : (r+1)*hidden]
		for j := range hidden {
			s += wi[j]*x[j] + wh[j]*d.h[j]
		}
		d.gates[r] = s
	}
	var out float32 = n.decB
	for j := range hidden {
		ig := sigmoid(d.gates[j])
		fg := sigmoid(d.gates[hidden+j])
		gg := float32(math.Tanh(float64(d.gates[2*hidden+j])))
		og := sigmoid(d.gates[3*hidden+j])
		d.c[j] = fg*d.c[j] + ig*gg
		d.h[j] = og * float32(math.Tanh(float64(d.c[j])))
		out += n.decW[j] * max(d.h[j], 0)
	}
	return sigmoid(out)
}

func sigmoid(x float32) float32 {
	return float32(1 / (1 + math.Exp(-float64(x))))
}

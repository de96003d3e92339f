package analyse

import (
	"fmt"
	"math"
)

// resampler converts one channel from one sample rate to another by a
// rational factor L/M, streaming: a windowed-sinc low-pass (cut at the
// lower rate's Nyquist frequency) evaluated in L polyphase rows. The
// neural VAD runs at 8 or 16 kHz only; recordings at other rates go
// through it. Output sample n is the signal at input time n*M/L, so times
// do not move; the filter looks taps/2 input samples ahead, which Flush
// supplies as zeros. It allocates only while its buffer grows to the
// largest block written.
type resampler struct {
	l, m int
	taps int
	h    []float32 // l rows of taps coefficients, row p for the phase p/l
	buf  []float32 // input from index b0 on
	b0   int64     // input index of buf[0]; negative at the start (zeros)
	in   int64     // input samples written
	n    int64     // next output index
}

// resampleZeroCrossings is the filter's half-length in zero crossings of
// its sinc: 12 keeps the pass band flat to within 0.1 dB and the stop band
// below -60 dB, far beyond what speech detection needs.
const resampleZeroCrossings = 12

func newResampler(from, to int) *resampler {
	g := gcd(from, to)
	l, m := to/g, from/g
	fc := min(1.0, float64(l)/float64(m)) * 0.95 // of the input's Nyquist
	half := int(math.Ceil(resampleZeroCrossings / fc))
	taps := 2 * half
	r := &resampler{l: l, m: m, taps: taps, h: make([]float32, l*taps)}
	for p := range l {
		row := r.h[p*taps : (p+1)*taps]
		var sum float64
		c := make([]float64, taps)
		for k := range taps {
			// Tap k weighs input j = i - half + 1 + k for output time
			// i + p/l: distance x = p/l + half - 1 - k.
			x := float64(p)/float64(l) + float64(half-1-k)
			s := fc
			if x != 0 {
				s = math.Sin(math.Pi*fc*x) / (math.Pi * x)
			}
			// Blackman window over [-half, half].
			w := 0.42 + 0.5*math.Cos(math.Pi*x/float64(half)) + 0.08*math.Cos(2*math.Pi*x/float64(half))
			if math.Abs(x) >= float64(half) {
				w = 0
			}
			c[k] = s * w
			sum += c[k]
		}
		for k := range taps {
			row[k] = float32(c[k] / sum)
		}
	}
	r.b0 = -int64(half - 1)
	r.buf = make([]float32, half-1, 4096)
	return r
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// write appends the channel's next input samples and appends to out the
// output samples they complete.
func (r *resampler) write(x []float32, out []float32) []float32 {
	r.in += int64(len(x))
	r.buf = append(r.buf, x...)
	return r.produce(out, r.b0+int64(len(r.buf)))
}

// flush appends the outputs that the input's end completes (the last
// taps/2 inputs seen as zeros beyond the end): ceil(in*L/M) in all.
func (r *resampler) flush(out []float32) []float32 {
	half := r.taps / 2
	for range half {
		r.buf = append(r.buf, 0)
	}
	// The last output, ceil(in*L/M)-1, falls at an input time below in, so
	// half zeros complete it; produce must not run past it.
	total := (r.in*int64(r.l) + int64(r.m) - 1) / int64(r.m)
	end := (total-1)*int64(r.m)/int64(r.l) + int64(half) + 1
	return r.produce(out, min(r.b0+int64(len(r.buf)), end))
}

// produce computes outputs while their inputs are below avail, then
// drops the inputs no later output needs.
func (r *resampler) produce(out []float32, avail int64) []float32 {
	half := int64(r.taps / 2)
	l, m := int64(r.l), int64(r.m)
	for {
		num := r.n * m
		i, p := num/l, num%l
		first := i - half + 1
		if i+half >= avail {
			break
		}
		x := r.buf[first-r.b0 : first-r.b0+int64(r.taps)]
		h := r.h[p*int64(r.taps) : (p+1)*int64(r.taps)]
		var a0, a1, a2, a3 float32
		k := 0
		for ; k+4 <= len(x); k += 4 {
			a0 += h[k] * x[k]
			a1 += h[k+1] * x[k+1]
			a2 += h[k+2] * x[k+2]
			a3 += h[k+3] * x[k+3]
		}
		for ; k < len(x); k++ {
			a0 += h[k] * x[k]
		}
		out = append(out, a0+a1+a2+a3)
		r.n++
	}
	// Keep from the first input the next output needs.
	keep := r.n*m/l - half + 1
	if d := keep - r.b0; d > 0 && d <= int64(len(r.buf)) {
		n := copy(r.buf, r.buf[d:])
		r.buf = r.buf[:n]
		r.b0 = keep
	}
	return out
}

// Resampler converts one channel's samples from one rate to another,
// streaming, with the filter the analysis uses before the neural VAD:
// output sample n is the signal at input time n*from/to, so times do not
// move, and flushed, n inputs give ceil(n*to/from) outputs.
type Resampler struct{ r *resampler }

// NewResampler returns a resampler from one positive rate (Hz) to another.
func NewResampler(from, to int) (*Resampler, error) {
	if from <= 0 || to <= 0 {
		return nil, fmt.Errorf("analyse: resampler from %d Hz to %d Hz: rates must be positive", from, to)
	}
	return &Resampler{newResampler(from, to)}, nil
}

// Write appends to out the output samples that the next input samples in
// complete, and returns it.
func (r *Resampler) Write(in, out []float32) []float32 { return r.r.write(in, out) }

// Flush appends the last outputs (the input's end taken as silence) and
// returns out. The Resampler must not be written to after.
func (r *Resampler) Flush(out []float32) []float32 { return r.r.flush(out) }

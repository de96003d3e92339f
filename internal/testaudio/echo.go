package testaudio

import "math"

// EchoPath describes how one channel leaks into the other: a line or
// acoustic echo, or crosstalk.
type EchoPath struct {
	Delay  float64 // seconds, 0 to 0.3
	GainDB float64 // echo level relative to the source, e.g. -25
	// Hybrid adds a short random impulse response (4 ms of exponentially
	// decaying taps, like a telephone hybrid's) after the band limit.
	Hybrid bool
	Seed   uint64 // chooses the hybrid's taps
}

// Echo returns the leaked copy of x through p, as long as x: x band-limited
// to 300-3400 Hz (a 10 ms windowed-sinc band-pass), optionally through the
// hybrid response, delayed by p.Delay and scaled so that its RMS level is
// p.GainDB relative to x's.
func Echo(x []float32, rate int, p EchoPath) []float32 {
	h := bandPass(rate, 300, 3400, Samples(rate, 0.01)|1)
	lag := len(h) / 2 // the band-pass's own delay is compensated
	if p.Hybrid {
		h = convolve(h, hybridResponse(rate, p.Seed))
	}
	d := Samples(rate, p.Delay)
	out := make([]float32, len(x))
	for i := d; i < len(out); i++ {
		var acc float64
		for k, hk := range h {
			if j := i - d - k + lag; j >= 0 && j < len(x) {
				acc += hk * float64(x[j])
			}
		}
		out[i] = float32(acc)
	}
	if l := RMSDBFS(out); l > FloorDBFS {
		Gain(out, RMSDBFS(x)+p.GainDB-l)
	}
	return out
}

// bandPass is a Hamming-windowed sinc band-pass of odd length taps.
func bandPass(rate int, lo, hi float64, taps int) []float64 {
	h := make([]float64, taps)
	fl, fh := lo/float64(rate), hi/float64(rate)
	for i := range h {
		n := float64(i - taps/2)
		w := 0.54 - 0.46*math.Cos(2*math.Pi*float64(i)/float64(taps-1))
		h[i] = (2*fh*sinc(2*fh*n) - 2*fl*sinc(2*fl*n)) * w
	}
	return h
}

// hybridResponse is 4 ms of random taps decaying with a 1 ms time
// constant, with the direct tap 1, normalised to unit energy.
func hybridResponse(rate int, seed uint64) []float64 {
	r := newRand(seed)
	h := make([]float64, max(2, Samples(rate, 0.004)))
	tau := 0.001 * float64(rate)
	var e float64
	for i := range h {
		h[i] = math.Exp(-float64(i)/tau) * r.NormFloat64()
		if i == 0 {
			h[i] = 1
		}
		e += h[i] * h[i]
	}
	for i := range h {
		h[i] /= math.Sqrt(e)
	}
	return h
}

func convolve(a, b []float64) []float64 {
	out := make([]float64, len(a)+len(b)-1)
	for i, x := range a {
		for j, y := range b {
			out[i+j] += x * y
		}
	}
	return out
}

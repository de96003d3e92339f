package testaudio

import "math"

// FloorDBFS is the level reported for digital silence.
const FloorDBFS = -100

// dbfs converts a mean square to RMS dBFS, floored at FloorDBFS.
func dbfs(meanSquare float64) float64 {
	if meanSquare <= 1e-10 {
		return FloorDBFS
	}
	return 10 * math.Log10(meanSquare)
}

// RMSDBFS is the RMS level of x in dBFS (FloorDBFS for silence).
func RMSDBFS(x []float32) float64 {
	if len(x) == 0 {
		return FloorDBFS
	}
	var ss float64
	for _, v := range x {
		ss += float64(v) * float64(v)
	}
	return dbfs(ss / float64(len(x)))
}

// PeakDBFS is the peak level of x in dBFS (FloorDBFS for silence).
func PeakDBFS(x []float32) float64 {
	var p float64
	for _, v := range x {
		p = max(p, math.Abs(float64(v)))
	}
	return dbfs(p * p)
}

// ActiveDBFS is the active speech level of x in the manner of ITU-T P.56,
// simplified: the RMS level of the 10 ms frames whose level is within
// 15.9 dB of that active level (found by iteration), so pauses do not
// lower a talker's level. For stationary signals it equals RMSDBFS.
func ActiveDBFS(x []float32, rate int) float64 {
	fl := max(1, rate/100)
	nf := len(x) / fl
	if nf == 0 {
		return RMSDBFS(x)
	}
	ms := make([]float64, nf)
	var total float64
	for f := range ms {
		var ss float64
		for _, v := range x[f*fl : (f+1)*fl] {
			ss += float64(v) * float64(v)
		}
		ms[f] = ss / float64(fl)
		total += ms[f]
	}
	level := dbfs(total / float64(nf))
	for range 20 {
		thr := math.Pow(10, (level-15.9)/10)
		var sum float64
		var n int
		for _, m := range ms {
			if m > thr {
				sum += m
				n++
			}
		}
		if n == 0 {
			break
		}
		next := dbfs(sum / float64(n))
		if math.Abs(next-level) < 0.01 {
			return next
		}
		level = next
	}
	return level
}

// Gain multiplies x by db decibels, in place, and returns x.
func Gain(x []float32, db float64) []float32 {
	g := float32(math.Pow(10, db/20))
	for i := range x {
		x[i] *= g
	}
	return x
}

// ScaleTo sets the RMS level of x to target dBFS, in place, and returns x.
// Silence is left as it is.
func ScaleTo(x []float32, target float64) []float32 {
	if l := RMSDBFS(x); l > FloorDBFS {
		Gain(x, target-l)
	}
	return x
}

// ScaleActiveTo sets the active level (ActiveDBFS) of x to target dBFS, in
// place, and returns x.
func ScaleActiveTo(x []float32, rate int, target float64) []float32 {
	if l := ActiveDBFS(x, rate); l > FloorDBFS {
		Gain(x, target-l)
	}
	return x
}

// Mix adds src into dst starting at sample at (negative at drops the
// start of src), growing dst with silence when src reaches past its end,
// and returns dst.
func Mix(dst, src []float32, at int) []float32 {
	if at < 0 {
		if -at >= len(src) {
			return dst
		}
		src, at = src[-at:], 0
	}
	if need := at + len(src); need > len(dst) {
		dst = append(dst, make([]float32, need-len(dst))...)
	}
	d := dst[at : at+len(src)]
	for i, v := range src {
		d[i] += v
	}
	return dst
}

// Samples is the number of samples in seconds at rate, rounded.
func Samples(rate int, seconds float64) int {
	return int(math.Round(seconds * float64(rate)))
}

package silero

import "math"

// fft is a radix-2 complex FFT of a fixed size, forward (exp(-2*pi*i*k*t/n)).
type fft struct {
	n        int
	rev      []int32   // bit-reversal permutation
	wre, wim []float32 // twiddles exp(-2*pi*i*j/n), j < n/2
}

func newFFT(n int) *fft {
	f := &fft{n: n, rev: make([]int32, n), wre: make([]float32, n/2), wim: make([]float32, n/2)}
	bits := 0
	for 1<<bits < n {
		bits++
	}
	for i := range n {
		r := 0
		for b := range bits {
			if i&(1<<b) != 0 {
				r |= 1 << (bits - 1 - b)
			}
		}
		f.rev[i] = int32(r)
	}
	for j := range n / 2 {
		a := -2 * math.Pi * float64(j) / float64(n)
		f.wre[j], f.wim[j] = float32(math.Cos(a)), float32(math.Sin(a))
	}
	return f
}

// transform runs the FFT in place on data that is already in bit-reversed
// order (re[rev[t]] = x[t]).
func (f *fft) transform(re, im []float32) {
	n := f.n
	re, im = re[:n], im[:n]
	for size := 2; size <= n; size <<= 1 {
		half, step := size/2, n/size
		for j := range half {
			wr, wi := f.wre[j*step], f.wim[j*step]
			for s := j; s < n; s += size {
				a, b := s, s+half
				tr := wr*re[b] - wi*im[b]
				ti := wr*im[b] + wi*re[b]
				re[b], im[b] = re[a]-tr, im[a]-ti
				re[a], im[a] = re[a]+tr, im[a]+ti
			}
		}
	}
}

// stftMagnitudes computes the magnitudes of the STFT frames of in (frames
// of nfft samples, hop apart, windowed by win) as the ONNX graph's
// convolution with its windowed-DFT basis would, into dst (time-major,
// frame t at dst[t*stride:], bins values). Two real frames go through one complex FFT, one as the
// real part and one as the imaginary part; re and im are scratch of nfft.
func (f *fft) stftMagnitudes(dst, in, win []float32, hop, frames, bins, stride int, re, im []float32) {
	n := f.n
	win = win[:n]
	for t := 0; t < frames; t += 2 {
		a := in[t*hop : t*hop+n]
		b := a // an odd last frame pairs with itself
		if t+1 < frames {
			b = in[(t+1)*hop : (t+1)*hop+n]
		}
		for j, w := range win {
			r := f.rev[j]
			re[r], im[r] = w*a[j], w*b[j]
		}
		f.transform(re, im)
		// A[k] = (Z[k] + conj(Z[n-k]))/2, B[k] = (Z[k] - conj(Z[n-k]))/2i.
		da := dst[t*stride:][:bins]
		db := dst[min(t+1, frames-1)*stride:][:bins]
		for k := range bins {
			nk := (n - k) & (n - 1)
			zr, zi, wr, wi := re[k], im[k], re[nk], im[nk]
			ar, ai := zr+wr, zi-wi
			br, bi := zi+wi, zr-wr
			da[k] = 0.5 * float32(math.Sqrt(float64(ar*ar+ai*ai)))
			db[k] = 0.5 * float32(math.Sqrt(float64(br*br+bi*bi)))
		}
	}
}

package silero

import "math"

// fft is a radix-2 decimation-in-frequency complex FFT of a fixed size
// (a power of two, at least 8), forward (exp(-2*pi*i*k*t/n)): the input in
// natural order, the output in bit-reversed order, so that the STFT reads
// only the bins it needs and nothing is permuted.
type fft struct {
	n        int
	simd     bool      // use the AVX2/FMA stage kernel
	rev      []int32   // bit-reversal permutation
	wre, wim []float32 // twiddles of the stages of size n, n/2, ..., 8, each stage's contiguous
}

func newFFT(n int, simd bool) *fft {
	f := &fft{n: n, simd: simd, rev: make([]int32, n)}
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
	for size := n; size >= 8; size >>= 1 {
		for j := range size / 2 {
			a := -2 * math.Pi * float64(j) / float64(size)
			f.wre = append(f.wre, float32(math.Cos(a)))
			f.wim = append(f.wim, float32(math.Sin(a)))
		}
	}
	return f
}

// transform runs the FFT in place: X[k] ends up at index rev[k].
func (f *fft) transform(re, im []float32) {
	n := f.n
	re, im = re[:n], im[:n]
	tw := 0
	for size := n; size >= 8; size >>= 1 {
		half := size / 2
		wr, wi := f.wre[tw:][:half], f.wim[tw:][:half]
		tw += half
		if f.simd && difStageSIMD(re, im, wr, wi, half) {
			continue
		}
		for s := 0; s+size <= n; s += size {
			ar, ai := re[s:][:half], im[s:][:half]
			br, bi := re[s+half:][:half], im[s+half:][:half]
			for j := range half {
				xr, xi, yr, yi := ar[j], ai[j], br[j], bi[j]
				ar[j], ai[j] = xr+yr, xi+yi
				dr, di := xr-yr, xi-yi
				br[j] = dr*wr[j] - di*wi[j]
				bi[j] = dr*wi[j] + di*wr[j]
			}
		}
	}
	// Stages of size 4 and 2 together: twiddles 1 and -i.
	for s := 0; s+4 <= n; s += 4 {
		r, m := re[s:s+4:s+4], im[s:s+4:s+4]
		a0r, a0i := r[0]+r[2], m[0]+m[2]
		a2r, a2i := r[0]-r[2], m[0]-m[2]
		a1r, a1i := r[1]+r[3], m[1]+m[3]
		a3r, a3i := r[1]-r[3], m[1]-m[3] // times -i below
		r[0], m[0] = a0r+a1r, a0i+a1i
		r[1], m[1] = a0r-a1r, a0i-a1i
		r[2], m[2] = a2r+a3i, a2i-a3r
		r[3], m[3] = a2r-a3i, a2i+a3r
	}
}

// stftMagnitudes computes the magnitudes of the STFT frames of in (frames
// of nfft samples, hop apart, windowed by win) as the ONNX graph's
// convolution with its windowed-DFT basis would, into dst (time-major,
// frame t at dst[t*stride:], bins values). Two real frames go through one
// complex FFT, one as the real part and one as the imaginary part; re and
// im are scratch of nfft.
func (f *fft) stftMagnitudes(dst, in, win []float32, hop, frames, bins, stride int, re, im []float32) {
	n := f.n
	win, re, im = win[:n], re[:n], im[:n]
	rev := f.rev[:n]
	for t := 0; t < frames; t += 2 {
		a := in[t*hop:][:n]
		b := a // an odd last frame pairs with itself
		if t+1 < frames {
			b = in[(t+1)*hop:][:n]
		}
		for j, w := range win {
			re[j], im[j] = w*a[j], w*b[j]
		}
		f.transform(re, im)
		// A[k] = (Z[k] + conj(Z[n-k]))/2, B[k] = (Z[k] - conj(Z[n-k]))/2i.
		da := dst[t*stride:][:bins]
		db := dst[min(t+1, frames-1)*stride:][:bins]
		for k := range bins {
			p, q := rev[k], rev[(n-k)&(n-1)]
			zr, zi, wr, wi := re[p], im[p], re[q], im[q]
			ar, ai := zr+wr, zi-wi
			br, bi := zi+wi, zr-wr
			da[k] = 0.5 * float32(math.Sqrt(float64(ar*ar+ai*ai)))
			db[k] = 0.5 * float32(math.Sqrt(float64(br*br+bi*bi)))
		}
	}
}

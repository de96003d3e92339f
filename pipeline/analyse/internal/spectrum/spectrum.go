// Package spectrum computes power spectra of short frames with a real FFT,
// for the tone and echo detectors: no allocation per frame, float32
// throughout, buffers owned by a Power value that one goroutine reuses.
package spectrum

import (
	"fmt"
	"math"
	"math/bits"
)

// Power computes the power spectrum of frames of a fixed power-of-two
// length N, optionally through a window. It is not safe for concurrent
// use; make one per goroutine.
type Power struct {
	n      int
	win    []float32 // nil: rectangular
	re, im []float32 // the half-length complex FFT's work buffers
	rev    []int32   // bit reversal permutation of N/2
	// FFT twiddles of the stages of size 8 and up, each stage's
	// e^{-2 pi i j/size}, j < size/2, one after the other.
	twRe, twIm []float32
	spRe   []float32 // e^{-2 pi i k/N}, k <= N/2: the real-split twiddles
	spIm   []float32
}

// Window is a frame weighting.
type Window int

// Windows.
const (
	Rectangular Window = iota
	Hann               // periodic Hann, sum of squares N*3/8
)

// New returns a Power for frames of n samples (a power of two, 8 to
// 65536) weighted by w.
func New(n int, w Window) (*Power, error) {
	if n < 8 || n > 1<<16 || n&(n-1) != 0 {
		return nil, fmt.Errorf("spectrum: frame length %d is not a power of two in 8..65536", n)
	}
	m := n / 2
	p := &Power{
		n:    n,
		re:   make([]float32, m),
		im:   make([]float32, m),
		rev:  make([]int32, m),
		spRe: make([]float32, m+1),
		spIm: make([]float32, m+1),
	}
	shift := 32 - bits.Len32(uint32(m-1))
	for i := range m {
		p.rev[i] = int32(bits.Reverse32(uint32(i)) >> shift)
	}
	for size := 8; size <= m; size <<= 1 {
		for j := range size / 2 {
			s, c := math.Sincos(-2 * math.Pi * float64(j) / float64(size))
			p.twRe = append(p.twRe, float32(c))
			p.twIm = append(p.twIm, float32(s))
		}
	}
	for k := range m + 1 {
		s, c := math.Sincos(-2 * math.Pi * float64(k) / float64(n))
		p.spRe[k], p.spIm[k] = float32(c), float32(s)
	}
	if w == Hann {
		p.win = make([]float32, n)
		for i := range p.win {
			p.win[i] = float32(0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(n)))
		}
	}
	return p, nil
}

// N is the frame length.
func (p *Power) N() int { return p.n }

// Bins is the number of power values, N/2+1 (DC to Nyquist).
func (p *Power) Bins() int { return p.n/2 + 1 }

// Compute writes |X[k]|^2 of the windowed frame x (len N) for k = 0..N/2
// into dst (len N/2+1). The scale is that of the plain DFT sum: a sine of
// amplitude A on bin k (0 < k < N/2), rectangular window, gives
// (A*N/2)^2.
func (p *Power) Compute(dst, x []float32) {
	m := p.n / 2
	x = x[:p.n]
	dst = dst[:m+1]
	re, im, rev := p.re[:m], p.im[:m], p.rev[:m]
	if p.win != nil {
		w := p.win[:p.n]
		for i, r := range rev {
			re[r] = x[2*i] * w[2*i]
			im[r] = x[2*i+1] * w[2*i+1]
		}
	} else {
		for i, r := range rev {
			re[r] = x[2*i]
			im[r] = x[2*i+1]
		}
	}
	p.fft()
	// Split the half-length transform Z of z[n] = x[2n] + i x[2n+1]
	// into the real transform X[k] = E[k] + W^k O[k] with
	// E = (Z[k] + conj Z[m-k]) / 2 and O = (Z[k] - conj Z[m-k]) / 2i.
	dst[0] = (re[0] + im[0]) * (re[0] + im[0])
	dst[m] = (re[0] - im[0]) * (re[0] - im[0])
	spRe, spIm := p.spRe[:m+1], p.spIm[:m+1]
	for k := 1; k < m; k++ {
		ar, ai := re[k], im[k]
		br, bi := re[m-k], -im[m-k]
		er, ei := 0.5*(ar+br), 0.5*(ai+bi)
		// (a - b) / 2i = (ai-bi)/2 - i (ar-br)/2
		or, oi := 0.5*(ai-bi), -0.5*(ar-br)
		wr, wi := spRe[k], spIm[k]
		xr := er + wr*or - wi*oi
		xi := ei + wr*oi + wi*or
		dst[k] = xr*xr + xi*xi
	}
}

// fft transforms re+i*im in place; the input is in bit-reversed order.
// The first two stages are one radix-4 pass with trivial twiddles; the
// others read their twiddles from contiguous slices.
func (p *Power) fft() {
	m := len(p.re)
	re, im := p.re[:m], p.im[:m]
	for i := 0; i+3 < m; i += 4 {
		r, q := re[i:i+4:i+4], im[i:i+4:i+4]
		// Size 2: (a+b, a-b), (c+d, c-d).
		s0r, s0i := r[0]+r[1], q[0]+q[1]
		d0r, d0i := r[0]-r[1], q[0]-q[1]
		s1r, s1i := r[2]+r[3], q[2]+q[3]
		d1r, d1i := r[2]-r[3], q[2]-q[3]
		// Size 4: twiddles 1 and -i; -i*(x+iy) = y - ix.
		r[0], q[0] = s0r+s1r, s0i+s1i
		r[2], q[2] = s0r-s1r, s0i-s1i
		r[1], q[1] = d0r+d1i, d0i-d1r
		r[3], q[3] = d0r-d1i, d0i+d1r
	}
	off := 0
	for size := 8; size <= m; size <<= 1 {
		half := size >> 1
		twr, twi := p.twRe[off:off+half:off+half], p.twIm[off:off+half:off+half]
		off += half
		for start := 0; start < m; start += size {
			lo := re[start : start+half : start+half]
			loi := im[start : start+half : start+half]
			hi := re[start+half : start+size : start+size]
			hii := im[start+half : start+size : start+size]
			loi, hi, hii, twr, twi = loi[:len(lo)], hi[:len(lo)], hii[:len(lo)], twr[:len(lo)], twi[:len(lo)]
			for j := range lo {
				wr, wi := twr[j], twi[j]
				hr, hm := hi[j], hii[j]
				tr := wr*hr - wi*hm
				ti := wr*hm + wi*hr
				lr, lm := lo[j], loi[j]
				hi[j], hii[j] = lr-tr, lm-ti
				lo[j], loi[j] = lr+tr, lm+ti
			}
		}
	}
}

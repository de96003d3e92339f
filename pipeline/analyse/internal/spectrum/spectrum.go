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
	ones   []float32 // the rectangular window, for one code path
	re, im []float32 // the half-length complex FFT's work buffers
	rev    []int32   // bit reversal permutation of N/2
	// Twiddles of the radix-4 stages (sizes 16, 64, ...): per stage, for
	// j < size/4, w^j, w^2j and w^3j with w = e^{-2 pi i/size}, as six
	// float32 in a row.
	tw4 []float32
	// Twiddles of the final radix-2 stage when N/2 is not a power of 4:
	// e^{-2 pi i j/(N/2)}, j < N/4.
	tw2Re, tw2Im []float32
	spRe         []float32 // e^{-2 pi i k/N}, k <= N/2: the real-split twiddles
	spIm         []float32
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
	size := 16
	for ; size <= m; size <<= 2 {
		for j := range size / 4 {
			for k := 1; k <= 3; k++ {
				s, c := math.Sincos(-2 * math.Pi * float64(k*j) / float64(size))
				p.tw4 = append(p.tw4, float32(c), float32(s))
			}
		}
	}
	if size/2 == m {
		for j := range m / 2 {
			s, c := math.Sincos(-2 * math.Pi * float64(j) / float64(m))
			p.tw2Re = append(p.tw2Re, float32(c))
			p.tw2Im = append(p.tw2Im, float32(s))
		}
	}
	for k := range m + 1 {
		s, c := math.Sincos(-2 * math.Pi * float64(k) / float64(n))
		p.spRe[k], p.spIm[k] = float32(c), float32(s)
	}
	p.ones = make([]float32, n)
	for i := range p.ones {
		p.ones[i] = 1
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
	// Load z[n] = x[2n] + i x[2n+1], windowed, in bit-reversed order,
	// four at a time, and do the first radix-4 stage (size 4, twiddles 1)
	// on the way: -i*(x+iy) = y - ix.
	w := p.win
	if w == nil {
		w = p.ones
	}
	w = w[:p.n]
	for i := 0; i+3 < m; i += 4 {
		rv := rev[i : i+4 : i+4]
		n0, n1, n2, n3 := 2*rv[0], 2*rv[1], 2*rv[2], 2*rv[3]
		r0, q0 := x[n0]*w[n0], x[n0+1]*w[n0+1]
		r1, q1 := x[n1]*w[n1], x[n1+1]*w[n1+1]
		r2, q2 := x[n2]*w[n2], x[n2+1]*w[n2+1]
		r3, q3 := x[n3]*w[n3], x[n3+1]*w[n3+1]
		s0r, s0i := r0+r1, q0+q1
		d0r, d0i := r0-r1, q0-q1
		s1r, s1i := r2+r3, q2+q3
		d1r, d1i := r2-r3, q2-q3
		r, q := re[i:i+4:i+4], im[i:i+4:i+4]
		r[0], q[0] = s0r+s1r, s0i+s1i
		r[2], q[2] = s0r-s1r, s0i-s1i
		r[1], q[1] = d0r+d1i, d0i-d1r
		r[3], q[3] = d0r-d1i, d0i+d1r
	}
	p.fft()
	// Split the half-length transform Z of z[n] = x[2n] + i x[2n+1]
	// into the real transform X[k] = E[k] + W^k O[k] with
	// E = (Z[k] + conj Z[m-k]) / 2 and O = (Z[k] - conj Z[m-k]) / 2i.
	// Since E[m-k] = conj E[k], O[m-k] = conj O[k] and W^(m-k) =
	// -conj W^k, X[m-k] = conj(E[k] - W^k O[k]): one pass over k <= m/2
	// gives both bins.
	dst[0] = (re[0] + im[0]) * (re[0] + im[0])
	dst[m] = (re[0] - im[0]) * (re[0] - im[0])
	spRe, spIm := p.spRe[:m+1], p.spIm[:m+1]
	for k := 1; k <= m/2; k++ {
		ar, ai := re[k], im[k]
		br, bi := re[m-k], -im[m-k]
		er, ei := 0.5*(ar+br), 0.5*(ai+bi)
		// (a - b) / 2i = (ai-bi)/2 - i (ar-br)/2
		or, oi := 0.5*(ai-bi), -0.5*(ar-br)
		wr, wi := spRe[k], spIm[k]
		tr, ti := wr*or-wi*oi, wr*oi+wi*or
		pr, pi := er+tr, ei+ti
		mr, mi := er-tr, ei-ti
		dst[k] = pr*pr + pi*pi
		dst[m-k] = mr*mr + mi*mi
	}
}

// fft finishes the transform of re+i*im in place, after Compute's first
// stage on bit-reversed input. Decimation in time, radix 4 (the first
// stage, of size 4, has trivial twiddles), and one radix-2 stage last when N/2 is not a power of four. On
// bit-reversed input, the four quarters of a block of size 4L hold the
// DFTs A, B, C, D of the inputs 4n, 4n+2, 4n+1 and 4n+3; with
// a = A[j], b = w^2j B[j], c = w^j C[j], d = w^3j D[j], the block's
// outputs j, j+L, j+2L, j+3L are a+b+c+d, a-b-i(c-d), a+b-c-d and
// a-b+i(c-d).
func (p *Power) fft() {
	m := len(p.re)
	re, im := p.re[:m], p.im[:m]
	size, off := 16, 0
	for ; size <= m; size <<= 2 {
		l := size / 4
		tw := p.tw4[off : off+6*l : off+6*l]
		off += 6 * l
		for start := 0; start < m; start += size {
			ar, ai := re[start:start+l:start+l], im[start:start+l:start+l]
			br, bi := re[start+l:start+2*l:start+2*l], im[start+l:start+2*l:start+2*l]
			cr, ci := re[start+2*l:start+3*l:start+3*l], im[start+2*l:start+3*l:start+3*l]
			dr, di := re[start+3*l:start+size:start+size], im[start+3*l:start+size:start+size]
			ai, br, bi, cr, ci, dr, di = ai[:len(ar)], br[:len(ar)], bi[:len(ar)], cr[:len(ar)], ci[:len(ar)], dr[:len(ar)], di[:len(ar)]
			for j := range ar {
				w := tw[6*j : 6*j+6 : 6*j+6]
				// b is the second quarter: x[4n+2], twiddle w^2j.
				xbr := w[2]*br[j] - w[3]*bi[j]
				xbi := w[2]*bi[j] + w[3]*br[j]
				xcr := w[0]*cr[j] - w[1]*ci[j]
				xci := w[0]*ci[j] + w[1]*cr[j]
				xdr := w[4]*dr[j] - w[5]*di[j]
				xdi := w[4]*di[j] + w[5]*dr[j]
				apr, api := ar[j]+xbr, ai[j]+xbi
				amr, ami := ar[j]-xbr, ai[j]-xbi
				cpr, cpi := xcr+xdr, xci+xdi
				cmr, cmi := xcr-xdr, xci-xdi
				ar[j], ai[j] = apr+cpr, api+cpi
				cr[j], ci[j] = apr-cpr, api-cpi
				// -i(c-d) = cmi - i cmr; +i(c-d) = -cmi + i cmr.
				br[j], bi[j] = amr+cmi, ami-cmr
				dr[j], di[j] = amr-cmi, ami+cmr
			}
		}
	}
	if len(p.tw2Re) == 0 {
		return
	}
	half := m / 2
	lo, loi := re[:half:half], im[:half:half]
	hi, hii := re[half:m:m], im[half:m:m]
	twr, twi := p.tw2Re[:half:half], p.tw2Im[:half:half]
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

//go:build amd64 && !purego

package silero

import "golang.org/x/sys/cpu"

// hasAVX2 reports whether the AVX2/FMA kernels can run (the CPU has them
// and the OS saves the YMM registers).
func hasAVX2() bool { return cpu.X86.HasAVX2 && cpu.X86.HasFMA }

//go:noescape
func gemv8AVX2(y, b, w *float32, stride, k, rows int, x *float32)

// gemvAVX2 is gemvGo with the AVX2/FMA kernel when the shapes allow it.
func gemvAVX2(y, b, w []float32, stride int, x []float32) {
	K, R := len(x), len(y)
	if K == 0 || K%8 != 0 || R == 0 || R%8 != 0 || len(b) < R || stride < K || (R-1)*stride+K > len(w) {
		gemvGo(y, b, w, stride, x)
		return
	}
	gemv8AVX2(&y[0], &b[0], &w[0], stride, K, R, &x[0])
}

//go:noescape
func cellAVX2(gates, c, h, w *float32) float32

// cellSIMD is cellGo with the AVX2/FMA kernel.
func cellSIMD(g, c, h, w []float32) float32 {
	_, _, _, _ = g[4*hidden-1], c[hidden-1], h[hidden-1], w[hidden-1]
	return cellAVX2(&g[0], &c[0], &h[0], &w[0])
}

//go:noescape
func conv2x4AVX2(y, b, w *float32, wstride, k, rows int, x *float32, xstride, ystride int)

//go:noescape
func conv4x2AVX2(y, b, w *float32, wstride, k, rows int, x *float32, xstride, ystride int)

// convSIMD computes cols (4 or 2) output frames of a convolution with
// ReLU, y[t*ystride+r] = max(0, b[r] + dot(w[r*wstride:][:k],
// x[t*xstride:][:k])) for r < rows, with the AVX2/FMA kernels, reading
// each weight once. It reports false, doing nothing, when the shapes do
// not suit them.
func convSIMD(y, b, w []float32, wstride, k, rows int, x []float32, xstride, ystride, cols int) bool {
	if k <= 0 || k%8 != 0 || rows <= 0 || rows%4 != 0 || wstride < k || len(b) < rows ||
		(rows-1)*wstride+k > len(w) || (cols-1)*xstride+k > len(x) || (cols-1)*ystride+rows > len(y) {
		return false
	}
	switch cols {
	case 4:
		conv2x4AVX2(&y[0], &b[0], &w[0], wstride, k, rows, &x[0], xstride, ystride)
	case 2:
		conv4x2AVX2(&y[0], &b[0], &w[0], wstride, k, rows, &x[0], xstride, ystride)
	default:
		return false
	}
	return true
}

//go:noescape
func difStageAVX2(re, im, wr, wi *float32, n, half int)

// difStageSIMD runs one FFT stage with the AVX2/FMA kernel when half is a
// multiple of 8, and reports whether it did.
func difStageSIMD(re, im, wr, wi []float32, half int) bool {
	n := len(re)
	if half <= 0 || half%8 != 0 || n%(2*half) != 0 || len(im) < n || len(wr) < half || len(wi) < half {
		return false
	}
	difStageAVX2(&re[0], &im[0], &wr[0], &wi[0], n, half)
	return true
}

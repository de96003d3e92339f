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

//go:build !amd64 || purego

package silero

// Without amd64 assembly (or with -tags purego) there are no SIMD
// kernels: the detector runs the Go ones.

func hasAVX2() bool { return false }

func gemvAVX2(y, b, w []float32, stride int, x []float32) { gemvGo(y, b, w, stride, x) }

func cellSIMD(g, c, h, w []float32) float32 { return cellGo(g, c, h, w) }

func convSIMD(y, b, w []float32, wstride, k, rows int, x []float32, xstride, ystride, cols int) bool {
	return false
}

func difStageSIMD(re, im, wr, wi []float32, half int) bool { return false }

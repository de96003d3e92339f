package silero

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestGemvAVX2MatchesGo compares the assembly mat-vec with the Go one on
// random shapes and values, including windows of wider matrices and
// shapes the assembly hands back to Go.
func TestGemvAVX2MatchesGo(t *testing.T) {
	t.Parallel()
	if !hasAVX2() {
		t.Log("no AVX2/FMA on this CPU: gemvAVX2 is gemvGo")
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 300 {
		R := 8 * (1 + r.IntN(20))
		if r.IntN(4) == 0 {
			R = 1 + r.IntN(40)
		}
		K := 8 * (1 + r.IntN(40))
		if r.IntN(4) == 0 {
			K = 1 + r.IntN(300)
		}
		stride := K + r.IntN(3)*8
		w := make([]float32, (R-1)*stride+K+r.IntN(3))
		for i := range w {
			w[i] = float32(r.NormFloat64())
		}
		x, b := make([]float32, K), make([]float32, R)
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		for i := range b {
			b[i] = float32(r.NormFloat64())
		}
		want, got := make([]float32, R), make([]float32, R)
		gemvGo(want, b, w, stride, x)
		gemvAVX2(got, b, w, stride, x)
		for i := range want {
			if d := math.Abs(float64(want[i] - got[i])); d > 1e-4*math.Sqrt(float64(K)) {
				t.Fatalf("R=%d K=%d stride=%d: row %d: asm %v, Go %v", R, K, stride, i, got[i], want[i])
			}
		}
	}
}

// TestCellSIMDMatchesGo compares the assembly LSTM cell with the Go one on
// random gates and states, including arguments past the clamps of exp.
func TestCellSIMDMatchesGo(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(5, 6))
	for trial := range 200 {
		scale := []float64{0.1, 1, 5, 30, 200}[trial%5]
		g := make([]float32, 4*hidden)
		c := make([]float32, hidden)
		h := make([]float32, hidden)
		w := make([]float32, hidden)
		for i := range g {
			g[i] = float32(r.NormFloat64() * scale)
		}
		for i := range c {
			c[i] = float32(r.NormFloat64() * scale)
			w[i] = float32(r.NormFloat64())
		}
		c2, h2 := append([]float32(nil), c...), make([]float32, hidden)
		want := cellGo(g, c, h, w)
		got := cellSIMD(g, c2, h2, w)
		for j := range hidden {
			if d := math.Abs(float64(c[j] - c2[j])); d > 1e-6*(1+math.Abs(float64(c[j]))) {
				t.Fatalf("scale %v: c[%d] asm %v, Go %v", scale, j, c2[j], c[j])
			}
			if d := math.Abs(float64(h[j] - h2[j])); d > 1e-6 {
				t.Fatalf("scale %v: h[%d] asm %v, Go %v", scale, j, h2[j], h[j])
			}
		}
		if d := math.Abs(float64(got - want)); d > 1e-5*(1+math.Abs(float64(want))) {
			t.Fatalf("scale %v: decoder sum asm %v, Go %v", scale, got, want)
		}
	}
}

// TestExpf checks expf against math.Exp over its range.
func TestExpf(t *testing.T) {
	t.Parallel()
	worst := 0.0
	for x := -87.0; x <= 88; x += 0.001 {
		want := math.Exp(float64(float32(x)))
		got := float64(expf(float32(x)))
		worst = max(worst, math.Abs(got-want)/want)
	}
	t.Logf("max relative error %.2e", worst)
	if worst > 3e-7 {
		t.Errorf("expf: max relative error %.2e", worst)
	}
	// Clamped, so that sigmoid and tanh stay finite and exact at the ends.
	if lo, hi := expf(-1000), expf(1000); lo <= 0 || math.IsInf(float64(hi), 0) || sigmoidf(1000) != 1 || tanhf(-1000) != -1 {
		t.Errorf("expf(-1000) = %v, expf(1000) = %v, sigmoidf(1000) = %v, tanhf(-1000) = %v", lo, hi, sigmoidf(1000), tanhf(-1000))
	}
}

// TestConvSIMDMatchesGo compares the multi-frame convolution kernels with
// gemvGo and a ReLU per frame, on random shapes.
func TestConvSIMDMatchesGo(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(7, 8))
	ran := 0
	for range 200 {
		cols := []int{2, 4}[r.IntN(2)]
		rows := 4 * (1 + r.IntN(40))
		k := 8 * (1 + r.IntN(60))
		wstride := k + 8*r.IntN(3)
		xstride := 8 * (1 + r.IntN(k/8))
		ystride := rows + r.IntN(5)
		w := make([]float32, (rows-1)*wstride+k)
		x := make([]float32, (cols-1)*xstride+k)
		b := make([]float32, rows)
		for _, v := range [][]float32{w, x, b} {
			for i := range v {
				v[i] = float32(r.NormFloat64())
			}
		}
		got := make([]float32, (cols-1)*ystride+rows)
		want := make([]float32, len(got))
		for tt := range cols {
			yt := want[tt*ystride : tt*ystride+rows]
			gemvGo(yt, b, w, wstride, x[tt*xstride:tt*xstride+k])
			relu(yt)
		}
		if !convSIMD(got, b, w, wstride, k, rows, x, xstride, ystride, cols) {
			if hasAVX2() {
				t.Fatalf("convSIMD refused rows %d k %d cols %d", rows, k, cols)
			}
			continue
		}
		ran++
		for i := range want {
			if d := math.Abs(float64(got[i] - want[i])); d > 1e-4*math.Sqrt(float64(k)) {
				t.Fatalf("rows %d k %d cols %d: y[%d] asm %v, Go %v", rows, k, cols, i, got[i], want[i])
			}
		}
	}
	t.Logf("%d shapes compared", ran)
	// Shapes it must refuse.
	y := make([]float32, 64)
	if convSIMD(y, y, y, 8, 12, 4, y, 8, 4, 4) || convSIMD(y, y, y, 8, 8, 6, y, 8, 4, 2) || convSIMD(y, y, y, 8, 8, 4, y, 8, 4, 3) {
		t.Error("convSIMD accepted k not a multiple of 8, rows not a multiple of 4 or 3 frames")
	}
}

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

package spectrum

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestComputeMatchesDFT(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{8, 16, 64, 256, 512} {
		for _, w := range []Window{Rectangular, Hann} {
			p, err := New(n, w)
			if err != nil {
				t.Fatal(err)
			}
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(r.NormFloat64())
			}
			got := make([]float32, p.Bins())
			p.Compute(got, x)
			for k := range got {
				var sr, si float64
				for i, v := range x {
					wv := 1.0
					if w == Hann {
						wv = 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(n))
					}
					s, c := math.Sincos(-2 * math.Pi * float64(k*i) / float64(n))
					sr += float64(v) * wv * c
					si += float64(v) * wv * s
				}
				want := sr*sr + si*si
				if math.Abs(float64(got[k])-want) > 1e-4*float64(n)*float64(n) {
					t.Errorf("n=%d window %d bin %d: %g, want %g", n, w, k, got[k], want)
				}
			}
		}
	}
}

func TestSineScale(t *testing.T) {
	t.Parallel()
	p, _ := New(256, Rectangular)
	x := make([]float32, 256)
	for i := range x {
		x[i] = float32(0.5 * math.Sin(2*math.Pi*10*float64(i)/256))
	}
	dst := make([]float32, p.Bins())
	p.Compute(dst, x)
	if want := float32(0.5 * 256 / 2 * 0.5 * 256 / 2); math.Abs(float64(dst[10]-want)) > 1e-3*float64(want) {
		t.Errorf("bin 10: %g, want %g", dst[10], want)
	}
}

func TestNewRejects(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 4, 100, 1 << 17} {
		if _, err := New(n, Hann); err == nil {
			t.Errorf("New(%d) accepted", n)
		}
	}
}

func BenchmarkCompute256(b *testing.B) {
	p, _ := New(256, Hann)
	x := make([]float32, 256)
	for i := range x {
		x[i] = float32(math.Sin(float64(i)))
	}
	dst := make([]float32, p.Bins())
	b.ReportAllocs()
	for b.Loop() {
		p.Compute(dst, x)
	}
}

func BenchmarkCompute64(b *testing.B) {
	p, _ := New(64, Hann)
	x := make([]float32, 64)
	dst := make([]float32, p.Bins())
	b.ReportAllocs()
	for b.Loop() {
		p.Compute(dst, x)
	}
}

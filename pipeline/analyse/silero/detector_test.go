package silero

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// randomSignal returns n samples of a mix that exercises the model: noise,
// tones and silences at varying levels, with a few full-scale peaks.
func randomSignal(r *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	level, f := 0.1, 0.05
	for i := range x {
		if i%700 == 0 {
			level = math.Pow(10, -4*r.Float64())
			f = r.Float64() * 0.5
			if r.IntN(5) == 0 {
				level = 0
			}
		}
		v := level * (0.5*math.Sin(2*math.Pi*f*float64(i)) + r.NormFloat64()*0.3)
		if r.IntN(5000) == 0 {
			v = 0.999
		}
		x[i] = float32(max(-1, min(0.999, v)))
	}
	return x
}

// TestDetectorMatchesReference compares the optimised detector with the
// literal implementation of the graph on random input, window by window.
func TestDetectorMatchesReference(t *testing.T) {
	t.Parallel()
	m, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, rate := range []int{8000, 16000} {
		for _, simd := range []bool{false, true} {
			d, err := m.newDetector(rate, simd)
			if err != nil {
				t.Fatal(err)
			}
			ref := newRefDetector(t, rate)
			r := rand.New(rand.NewPCG(uint64(rate), 1))
			W := d.WindowSize()
			x := randomSignal(r, 300*W)
			worst := 0.0
			for i := 0; i+W <= len(x); i += W {
				p, q := d.Process(x[i:i+W]), ref.process(x[i:i+W])
				worst = max(worst, math.Abs(float64(p-q)))
			}
			t.Logf("%d Hz, simd %v: max abs difference %.2e", rate, simd && hasAVX2(), worst)
			if worst > 1e-4 {
				t.Errorf("%d Hz, simd %v: max abs difference from the reference %.2e", rate, simd, worst)
			}
		}
	}
}

// TestConcurrentDetectors runs detectors of one Model on several
// goroutines (run with -race): each must give what it gives alone.
func TestConcurrentDetectors(t *testing.T) {
	t.Parallel()
	m, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	_, x := loadClip(t, clips[0])
	want := probsOf(t, m, 8000, x)
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			d, err := m.NewDetector(8000)
			if err != nil {
				errs <- err
				return
			}
			for i := range want {
				w := make([]float32, 256)
				copy(w, x[i*256:])
				if p := d.Process(w); p != want[i] {
					errs <- fmt.Errorf("window %d: %v, alone %v", i, p, want[i])
					return
				}
			}
			errs <- nil
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

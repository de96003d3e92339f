package echo

import (
	"math"
	"testing"
)

func TestLog2(t *testing.T) {
	t.Parallel()
	var worst float64
	for v := 1e-12; v < 1e6; v *= 1.013 {
		got := float64(log2(float32(v)))
		worst = max(worst, math.Abs(got-math.Log2(v)))
	}
	if worst > 0.002 {
		t.Errorf("log2 off by up to %.4f", worst)
	}
}

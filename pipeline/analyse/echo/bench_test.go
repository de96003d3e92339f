package echo

import (
	"runtime"
	"testing"

	"github.com/callqa/callqa/internal/testaudio"
)

// benchCall runs a Detector over a call window by window, b.N windows in
// all, and reports the time per window (both channels), the real-time
// factor and, on Linux, the thread's CPU time per window (cpu-ns/op),
// which a busy shared machine inflates less than the wall time.
func benchCall(b *testing.B, rate int) {
	s := scenario{echo: testaudio.EchoPath{Delay: 0.04, GainDB: -25, Hybrid: true}, doubleTalk: true, rate: rate, codec: testaudio.CodecMuLaw, seed: 1}
	c := s.build(b)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	d, err := New(rate, Config{})
	if err != nil {
		b.Fatal(err)
	}
	n := d.WindowSize()
	windows := len(c.Channels[0]) / n
	b.ReportAllocs()
	i := 0
	c0, ok := threadCPU()
	for b.Loop() {
		d.Window(c.Channels[0][i*n:(i+1)*n], c.Channels[1][i*n:(i+1)*n])
		if i++; i == windows {
			i = 0
		}
	}
	if c1, ok1 := threadCPU(); ok && ok1 {
		b.ReportMetric(float64(c1-c0)/float64(b.N), "cpu-ns/op")
	}
	b.ReportMetric(WindowSeconds*1e9*float64(b.N)/float64(b.Elapsed().Nanoseconds()), "x_realtime")
}

// go test ./pipeline/analyse/echo/ -run XXX -bench .
func BenchmarkWindow8k(b *testing.B)  { benchCall(b, 8000) }
func BenchmarkWindow16k(b *testing.B) { benchCall(b, 16000) }

package tone

import (
	"runtime"
	"testing"

	"github.com/callqa/callqa/internal/testaudio"
)

// benchWindows runs a Detector over x window by window, b.N windows in
// all, and reports the time per window, the real-time factor and, on
// Linux, the thread's CPU time per window (cpu-ns/op), which a busy
// shared machine inflates less than the wall time.
func benchWindows(b *testing.B, rate int, x []float32) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	d, err := New(rate, Config{})
	if err != nil {
		b.Fatal(err)
	}
	n := d.WindowSize()
	windows := len(x) / n
	b.ReportAllocs()
	i := 0
	c0, ok := threadCPU()
	for b.Loop() {
		d.Window(x[i*n : (i+1)*n])
		if i++; i == windows {
			i = 0
		}
	}
	if c1, ok1 := threadCPU(); ok && ok1 {
		b.ReportMetric(float64(c1-c0)/float64(b.N), "cpu-ns/op")
	}
	b.ReportMetric(WindowSeconds*1e9*float64(b.N)/float64(b.Elapsed().Nanoseconds()), "x_realtime")
}

// go test ./pipeline/analyse/tone/ -run XXX -bench .
func BenchmarkWindow8kSpeech(b *testing.B) {
	benchWindows(b, 8000, testaudio.MuLaw(testaudio.MustClip(testaudio.LibriSpeech, 8000)))
}

func BenchmarkWindow8kMusic(b *testing.B) {
	benchWindows(b, 8000, testaudio.Melody(8000, 10, -20, 1))
}

func BenchmarkWindow8kDTMF(b *testing.B) {
	x, _ := testaudio.FastDTMF("0123456789*#ABCD").Render(8000)
	benchWindows(b, 8000, x)
}

func BenchmarkWindow8kSilence(b *testing.B) {
	benchWindows(b, 8000, make([]float32, 8000))
}

func BenchmarkWindow16kSpeech(b *testing.B) {
	benchWindows(b, 16000, testaudio.MustClip(testaudio.LibriSpeech, 16000))
}

package silero

import (
	"runtime"
	"testing"
)

// benchProcess measures Process on speech (the reference clip, looped) or
// on digital zeros. x_realtime is seconds of audio per second of wall
// time for one channel; cpu-ns/window and x_realtime_cpu count only the
// thread's CPU time (Linux), steadier on a shared machine.
func benchProcess(b *testing.B, rate int, zeros, simd bool) {
	m, err := Load()
	if err != nil {
		b.Fatal(err)
	}
	d, err := m.newDetector(rate, simd && m.simd)
	if err != nil {
		b.Fatal(err)
	}
	W := d.WindowSize()
	var x []float32
	if zeros {
		x = make([]float32, 64*W)
	} else {
		c := clips[0]
		if rate == 16000 {
			c = clips[2]
		}
		_, x = loadClip(b, c)
		x = x[:len(x)/W*W]
	}
	nw := len(x) / W
	b.SetBytes(int64(4 * W))
	b.ReportAllocs()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ResetTimer()
	cpu0 := threadCPU()
	for i := range b.N {
		k := i % nw
		d.Process(x[k*W : (k+1)*W])
	}
	cpu := threadCPU() - cpu0
	b.StopTimer()
	reportRealtime(b, float64(W)/float64(rate), cpu)
}

// reportRealtime reports how many times faster than realtime one window
// of audio seconds is processed, by wall time and by the thread's CPU
// time cpu (ns, for b.N windows; 0 when not measured).
func reportRealtime(b *testing.B, audio float64, cpu int64) {
	perWindow := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(audio/perWindow, "x_realtime")
	if cpu > 0 {
		b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/window")
		b.ReportMetric(audio/(float64(cpu)*1e-9/float64(b.N)), "x_realtime_cpu")
	}
}

func BenchmarkProcess8k(b *testing.B)       { benchProcess(b, 8000, false, true) }
func BenchmarkProcess16k(b *testing.B)      { benchProcess(b, 16000, false, true) }
func BenchmarkProcess8kZeros(b *testing.B)  { benchProcess(b, 8000, true, true) }
func BenchmarkProcess16kZeros(b *testing.B) { benchProcess(b, 16000, true, true) }

// The pure-Go kernels, as on CPUs without AVX2/FMA or with -tags purego.
func BenchmarkProcess8kGo(b *testing.B)  { benchProcess(b, 8000, false, false) }
func BenchmarkProcess16kGo(b *testing.B) { benchProcess(b, 16000, false, false) }

// BenchmarkProcessSilence8k is the cost of a window of digital silence
// through ProcessSilence (what Stream does for all-zero windows).
func BenchmarkProcessSilence8k(b *testing.B) {
	m, err := Load()
	if err != nil {
		b.Fatal(err)
	}
	d, err := m.NewDetector(8000)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cpu0 := threadCPU()
	for b.Loop() {
		d.ProcessSilence()
	}
	reportRealtime(b, 256.0/8000, threadCPU()-cpu0)
}

// BenchmarkSTFT8k is the STFT of one 8 kHz window (4 frames of 128).
func BenchmarkSTFT8k(b *testing.B) {
	m, err := Load()
	if err != nil {
		b.Fatal(err)
	}
	n, err := m.net(0)
	if err != nil {
		b.Fatal(err)
	}
	f := newFFT(n.nfft, m.simd)
	_, x := loadClip(b, clips[0])
	in := x[10000 : 10000+n.context+n.window+n.pad]
	dst := make([]float32, n.frames*n.bins)
	re, im := make([]float32, n.nfft), make([]float32, n.nfft)
	b.ReportAllocs()
	for b.Loop() {
		f.stftMagnitudes(dst, in, n.win, n.hop, n.frames, n.bins, n.bins, re, im)
	}
}

// BenchmarkDecode is Decode of the ONNX file: parsing it and preparing
// both rates' layouts (Load reads the weights files instead).
func BenchmarkDecode(b *testing.B) {
	data := []byte(onnxFile)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(data); err != nil {
			b.Fatal(err)
		}
	}
}

// benchFirstDetector measures what a process's first detector at rate
// costs: the embedded model's first Load and that rate's network, without
// the caching of Load (callqa inspect of an 8 kHz call pays it once).
func benchFirstDetector(b *testing.B, rate int) {
	b.ReportAllocs()
	for b.Loop() {
		m, err := embeddedModel()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := m.NewDetector(rate); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFirstDetector8k(b *testing.B)  { benchFirstDetector(b, 8000) }
func BenchmarkFirstDetector16k(b *testing.B) { benchFirstDetector(b, 16000) }

// BenchmarkGemvLSTM is the LSTM's mat-vec (512x256) with each kernel.
func BenchmarkGemvLSTM(b *testing.B) {
	m, err := Load()
	if err != nil {
		b.Fatal(err)
	}
	n, err := m.net(0)
	if err != nil {
		b.Fatal(err)
	}
	x := make([]float32, 2*hidden)
	for i := range x {
		x[i] = float32(i%7) * 0.1
	}
	y := make([]float32, 4*hidden)
	for _, k := range []struct {
		name string
		f    func(y, b, w []float32, stride int, x []float32)
	}{{"Go", gemvGo}, {"AVX2", gemvAVX2}} {
		b.Run(k.name, func(b *testing.B) {
			b.SetBytes(int64(4 * len(n.lstmW)))
			for b.Loop() {
				k.f(y, n.lstmB, n.lstmW, 2*hidden, x)
			}
		})
	}
}

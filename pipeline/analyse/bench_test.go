package analyse

import (
	"math"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/callqa/callqa/internal/testaudio"
	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/pipeline/analyse/silero"
)

// BenchmarkAnalyseStereo8k10min analyses a 10-minute 8 kHz stereo G.711
// mu-law call with the default analysis (the neural VAD, tones, echo
// check): the 45-second real-voice conversation of the condition tests
// with line noise, fed 14 times in blocks of 4096 frames. It reports
// x_realtime, the seconds of audio analysed per second, and
// x_realtime_cpu, per second of one core's CPU time.
func BenchmarkAnalyseStereo8k10min(b *testing.B) {
	benchmarkAnalyse(b, Config{}, 8000)
}

// BenchmarkAnalyseStereo8k10minEnergy is the same call with the energy
// gate (VAD energy).
func BenchmarkAnalyseStereo8k10minEnergy(b *testing.B) {
	benchmarkAnalyse(b, Config{VAD: VADEnergy}, 8000)
}

// BenchmarkAnalyseStereo16k10min is the call at 16 kHz (the model's other
// rate).
func BenchmarkAnalyseStereo16k10min(b *testing.B) {
	benchmarkAnalyse(b, Config{}, 16000)
}

func benchmarkAnalyse(b *testing.B, cfg Config, sr int) {
	const block = 4096
	audio := benchCall(b, sr)
	repeats := int(math.Ceil(600 / (float64(len(audio)) / 2 / float64(sr))))
	b.SetBytes(int64(len(audio)) * 4 * int64(repeats))
	b.ReportAllocs()
	cpu0 := cpuTime(b)
	for b.Loop() {
		a, err := New(cfg, sr, 2)
		if err != nil {
			b.Fatal(err)
		}
		for range repeats {
			for i := 0; i < len(audio); i += block * 2 {
				a.Write(audio[i:min(len(audio), i+block*2)])
			}
		}
		a.Finish()
	}
	audioS := float64(len(audio)/2) / float64(sr) * float64(repeats) * float64(b.N)
	b.ReportMetric(audioS/b.Elapsed().Seconds(), "x_realtime")
	// The machine may be shared: CPU time is what one core actually spent.
	b.ReportMetric(audioS/(cpuTime(b)-cpu0).Seconds(), "x_realtime_cpu")
}

// benchCall is the condition tests' conversation at rate, stereo, with
// line noise, through G.711 mu-law, interleaved.
func benchCall(tb testing.TB, rate int) []float32 {
	call, err := testaudio.Script{Rate: rate, Lines: conversation(), Seed: 7, Codec: testaudio.CodecMuLaw,
		Noise: [2]testaudio.Noise{{DBFS: -58}, {DBFS: -60}}}.Build()
	if err != nil {
		tb.Fatal(err)
	}
	out := make([]float32, 2*len(call.Channels[0]))
	for i := range call.Channels[0] {
		out[2*i], out[2*i+1] = call.Channels[0][i], call.Channels[1][i]
	}
	return out
}

// cpuTime is the user+system CPU time of the process so far.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkConversation measures the interval arithmetic on a 10-minute
// call's segments.
func BenchmarkConversation(b *testing.B) {
	ag, cu := script(52, 600, false)
	b.ReportAllocs()
	for b.Loop() {
		Conversation(Config{}, ag, cu)
	}
}

// endlessTalk is a span source for one speaker that never runs out:
// phrases of 1.2-4 s separated by 0.6-3 s, independent of the other side.
func endlessTalk(seed uint64) func() (models.Span, bool) {
	r := rng(seed | 1)
	t := r.uniform(0, 2)
	return func() (models.Span, bool) {
		s := models.Span{t, t + r.uniform(1.2, 4)}
		t = s[1] + r.uniform(0.6, 3)
		return s, true
	}
}

// peakHeap streams dur seconds of an 8 kHz stereo call with hiss through
// an Analyzer, generating every block on the fly, and returns the heap in
// use before the analysis and the largest heap in use during it: HeapAlloc
// sampled after a forced GC every 64 blocks of 4096 frames and after
// Finish. Forcing the GC measures what the analysis holds rather than when
// the collector happened to run (below 4 MB it hardly runs at all).
func peakHeap(t testing.TB, dur float64) (base, peak uint64, rep *Report) {
	const sr, block = 8000, 4096
	tab := wavetable()
	g := &generator{hiss: 0.0055, noise: 3, voices: []*voice{
		newVoice(sr, tab, 61, 200, -20, endlessTalk(61)),
		newVoice(sr, tab, 62, 120, -26, endlessTalk(62)),
	}}
	buf := make([]float32, block*2)
	var ms runtime.MemStats
	live := func() uint64 {
		runtime.GC()
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	base = live()
	a, err := New(Config{VAD: VADEnergy}, sr, 2)
	if err != nil {
		t.Fatal(err)
	}
	total := int64(dur * sr)
	for i, done := 0, int64(0); done < total; i++ {
		n := int(min(block, total-done))
		g.fill(buf[:2*n])
		a.Write(buf[:2*n])
		done += int64(n)
		if i%64 == 0 {
			peak = max(peak, live())
		}
	}
	rep = a.Finish()
	peak = max(peak, live())
	runtime.KeepAlive(a)
	return base, peak, rep
}

// outputBytes is the size of a report's O(duration) outputs: envelopes
// (one byte per step) and segments (16 bytes each).
func outputBytes(r *Report) uint64 {
	var n uint64
	for _, c := range r.Channels {
		n += uint64(len(c.Envelope)) + 16*uint64(len(c.Segments))
	}
	return n
}

// TestPeakHeapBounded checks that memory does not grow with the length of
// the recording beyond the compact outputs that the product asks for (a
// 2-hour 8 kHz stereo float32 recording alone would be 460 MB). Whatever
// the length, the live heap the analysis adds stays within 1.3 times its
// outputs (append's spare capacity) plus 64 KiB of state. It logs the
// peaks of a 10-minute and a 2-hour call; their ratio exceeds 2 only
// because the 2-hour outputs (about 190 KiB of envelope and segments) are
// larger than the whole heap of the test process (about 130 KiB). It
// streams 2 h 10 min of generated audio, a few seconds of CPU; -short
// skips it.
func TestPeakHeapBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 2 h of audio")
	}
	var peaks []uint64
	for _, dur := range []float64{600, 7200} {
		base, peak, rep := peakHeap(t, dur)
		peaks = append(peaks, peak)
		out := outputBytes(rep)
		t.Logf("%v min: peak live heap %d KiB, before %d KiB, added %d KiB, outputs %d KiB (%d+%d segments, %d+%d envelope steps)",
			dur/60, peak>>10, base>>10, (int64(peak)-int64(base))/1024, out>>10,
			len(rep.Channels[0].Segments), len(rep.Channels[1].Segments),
			len(rep.Channels[0].Envelope), len(rep.Channels[1].Envelope))
		if rep.Frames != int64(dur*8000) || len(rep.Channels[0].Envelope) != int(dur*10) {
			t.Fatalf("report: %d frames, %d envelope steps", rep.Frames, len(rep.Channels[0].Envelope))
		}
		if want := int(dur / 10); len(rep.Channels[0].Segments) < want {
			t.Fatalf("only %d agent segments, want >= %d: the generator is not talking", len(rep.Channels[0].Segments), want)
		}
		if limit := out*13/10 + 64<<10; peak > base && peak-base > limit {
			t.Errorf("%v min: the analysis added %d B of heap, more than 1.3 x outputs + 64 KiB = %d B", dur/60, peak-base, limit)
		}
	}
	t.Logf("peak live heap 2 h / 10 min = %.2f", float64(peaks[1])/float64(peaks[0]))
}

// TestPeakHeapBoundedNeural is TestPeakHeapBounded for the default
// analysis (neural VAD, tones, echo check) on real voices: the
// conversation of the condition tests looped for 10 minutes and for 2
// hours. The model's weights, shared by every analysis of the process,
// are loaded before the baseline.
func TestPeakHeapBoundedNeural(t *testing.T) {
	if testing.Short() {
		t.Skip("analyses 2 h of audio")
	}
	if _, err := silero.Load(); err != nil {
		t.Fatal(err)
	}
	audio := benchCall(t, 8000)
	var ms runtime.MemStats
	live := func() uint64 {
		runtime.GC()
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	var added []int64
	for _, dur := range []float64{600, 7200} {
		base := live()
		a, err := New(Config{}, 8000, 2)
		if err != nil {
			t.Fatal(err)
		}
		peak := base
		total := int(dur * 8000 * 2)
		for done, i := 0, 0; done < total; i++ {
			off := done % len(audio)
			n := min(4096*2, len(audio)-off, total-done)
			a.Write(audio[off : off+n])
			done += n
			if i%256 == 0 {
				peak = max(peak, live())
			}
		}
		rep := a.Finish()
		peak = max(peak, live())
		runtime.KeepAlive(a)
		out := outputBytes(rep)
		for _, c := range rep.Channels {
			out += 40 * uint64(len(c.Events))
		}
		t.Logf("%v min: the analysis added %d KiB of heap, outputs %d KiB (%d+%d segments)", dur/60,
			(int64(peak)-int64(base))/1024, out>>10, len(rep.Channels[0].Segments), len(rep.Channels[1].Segments))
		if want := int(dur / 10); len(rep.Channels[0].Segments) < want {
			t.Fatalf("only %d agent segments, want >= %d", len(rep.Channels[0].Segments), want)
		}
		// State: per channel the model's buffers, the tone and echo
		// detectors, the look-ahead ring and the level histograms, a few
		// hundred KiB whatever the length; outputs with append's spare
		// capacity on top.
		if limit := out*13/10 + 512<<10; peak > base && peak-base > limit {
			t.Errorf("%v min: the analysis added %d B of heap, more than 1.3 x outputs + 512 KiB = %d B", dur/60, peak-base, limit)
		}
		added = append(added, int64(peak)-int64(base))
	}
}

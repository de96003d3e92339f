package batch

import (
	"context"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/callqa/callqa/store"
)

// cpuTime is the user + system CPU time of this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkRun measures what `callqa run` does on a generated folder of
// 200 one-minute calls (3.3 hours of audio, 8 kHz stereo 16-bit PCM, with
// transcripts): every iteration inspects all of them again (Force) into a
// SQLite store. It reports calls/s (wall clock) and audio hours per CPU
// second (all workers' CPU time), the figure that sizes a night's batch.
func BenchmarkRun(b *testing.B) {
	const calls, seconds = 200, 60
	var gen []genCall
	for i := range calls {
		gen = append(gen, genCall{name: fmt.Sprintf("B%03d", i), seconds: seconds, polite: i%5 != 0,
			agent: fmt.Sprintf("A%d", i%12), team: fmt.Sprintf("T%d", i%3)})
	}
	bd := setup(b, gen)
	st, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	cfg := Config{Force: true}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0, wall0 := cpuTime(), time.Now()
	var audio float64
	for b.Loop() {
		sum, err := Run(context.Background(), cfg, bd.src, "", bd.eng, st)
		if err != nil {
			b.Fatal(err)
		}
		if sum.Batch.Inspected != calls {
			b.Fatalf("inspected %d of %d calls", sum.Batch.Inspected, calls)
		}
		audio += sum.AudioSeconds
	}
	cpu, wall := cpuTime()-cpu0, time.Since(wall0)
	b.ReportMetric(float64(b.N*calls)/wall.Seconds(), "calls/s")
	b.ReportMetric(audio/3600/cpu.Seconds(), "audio-h/cpu-s")
}

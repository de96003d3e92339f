package pipeline

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"runtime"
	"testing"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/scorecards"
)

// readerSource serves one recording from a function, with no sidecars.
type readerSource struct {
	open func() io.Reader
}

func (s readerSource) Open(context.Context, string) (io.ReadCloser, error) {
	return io.NopCloser(s.open()), nil
}

func (s readerSource) OpenSidecar(context.Context, string, string) (io.ReadCloser, error) {
	return nil, fs.ErrNotExist
}

// heapSampler wraps a reader and records the peak heap seen every few reads.
type heapSampler struct {
	r     io.Reader
	n     int
	peak  uint64
	stats runtime.MemStats
}

func (h *heapSampler) Read(p []byte) (int, error) {
	h.n++
	if h.n%32 == 0 {
		runtime.ReadMemStats(&h.stats)
		h.peak = max(h.peak, h.stats.HeapAlloc)
	}
	return h.r.Read(p)
}

func benchEngine(b *testing.B) *Engine {
	b.Helper()
	sc, err := scorecards.Default()
	if err != nil {
		b.Fatal(err)
	}
	eng, err := NewEngine(sc, Config{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	return eng
}

// BenchmarkDecodeAnalyse10min measures decode plus the whole audio analysis
// of a 10-minute 8 kHz stereo G.711 call on one core; x_realtime is audio
// seconds per wall second.
func BenchmarkDecodeAnalyse10min(b *testing.B) {
	const seconds = 600
	// Pre-render the file once so the benchmark measures our code, not the
	// synthesiser.
	raw, err := io.ReadAll(newSynthCall(seconds))
	if err != nil {
		b.Fatal(err)
	}
	eng := benchEngine(b)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		src := &bytesReader{b: raw}
		if _, _, err := eng.analyseRecording(context.Background(), readerSource{open: func() io.Reader { return src }}, "bench.wav", models.DefaultChannels); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(seconds)*float64(b.N)/b.Elapsed().Seconds(), "x_realtime")
}

// BenchmarkInspectPeakHeap reports the peak heap of a whole inspection of a
// 10-minute and a 2-hour stereo call: memory must not grow with length.
func BenchmarkInspectPeakHeap(b *testing.B) {
	for _, seconds := range []int{600, 7200} {
		b.Run(fmt.Sprintf("%dmin", seconds/60), func(b *testing.B) {
			eng := benchEngine(b)
			b.ReportAllocs()
			var peak uint64
			for b.Loop() {
				runtime.GC()
				h := &heapSampler{r: newSynthCall(seconds)}
				res, err := eng.InspectKey(context.Background(), readerSource{open: func() io.Reader { return h }}, "bench.wav")
				if err != nil || res.Status != "inspected" {
					b.Fatalf("inspect: %v %+v", err, res)
				}
				// The result itself (segments, envelope) counts too.
				runtime.ReadMemStats(&h.stats)
				peak = max(peak, h.peak, h.stats.HeapAlloc)
				runtime.KeepAlive(res)
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak_heap_MiB")
		})
	}
}

// bytesReader is a minimal reader over a byte slice (bytes.Reader would
// also offer Seek, which the decoder could use; a stream has none).
type bytesReader struct {
	b   []byte
	off int
}

func (r *bytesReader) Read(p []byte) (int, error) {
	if r.off >= len(r.b) {
		return 0, io.EOF
	}
	n := copy(p, r.b[r.off:])
	r.off += n
	return n, nil
}

package silero

import (
	_ "embed"
	"errors"
	"math"
	"strings"
	"testing"
)

// onnxFile is upstream's silero_vad.onnx (v5), byte for byte; see LICENSE.
// The weights files that Load reads are made from it (weights.go); Decode,
// the reference implementation and the tests read it. A string, so that
// the embedded copy cannot be modified.
//
//go:embed silero_vad.onnx
var onnxFile string

func TestLoadIsCached(t *testing.T) {
	t.Parallel()
	a, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	b, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Error("Load returned two models")
	}
}

func TestNewDetectorRates(t *testing.T) {
	t.Parallel()
	m, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ rate, window int }{{8000, 256}, {16000, 512}, {44100, 0}, {0, 0}, {-8000, 0}} {
		d, err := m.NewDetector(tc.rate)
		if tc.window == 0 {
			if !errors.Is(err, ErrSampleRate) {
				t.Errorf("%d Hz: error %v, want ErrSampleRate", tc.rate, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%d Hz: %v", tc.rate, err)
		}
		if d.WindowSize() != tc.window || d.SampleRate() != tc.rate {
			t.Errorf("%d Hz: window %d, rate %d", tc.rate, d.WindowSize(), d.SampleRate())
		}
	}
}

// TestReset checks that Reset returns a detector to a fresh one's state.
func TestReset(t *testing.T) {
	t.Parallel()
	m, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	_, x := loadClip(t, clips[0])
	a, _ := m.NewDetector(8000)
	b, _ := m.NewDetector(8000)
	for i := 0; i < 60*256; i += 256 {
		a.Process(x[i : i+256])
	}
	a.Reset()
	for i := 0; i < 60*256; i += 256 {
		if p, q := a.Process(x[i:i+256]), b.Process(x[i:i+256]); p != q {
			t.Fatalf("window %d after Reset: %v, fresh detector %v", i/256, p, q)
		}
	}
}

func TestProcessPanicsOnWrongLength(t *testing.T) {
	t.Parallel()
	m, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	d, _ := m.NewDetector(8000)
	defer func() {
		if recover() == nil {
			t.Error("Process of 255 samples did not panic")
		}
	}()
	d.Process(make([]float32, 255))
}

// TestDecodeRejectsTruncated cuts the model at many places: every cut is
// an error that wraps ErrFormat, never a panic.
func TestDecodeRejectsTruncated(t *testing.T) {
	t.Parallel()
	data := []byte(onnxFile)
	for _, n := range []int{0, 1, 2, 10, 100, 1000, 4096, len(data) / 3, len(data) / 2, len(data) - 4, len(data) - 1} {
		if _, err := Decode(data[:n]); !errors.Is(err, ErrFormat) {
			t.Errorf("first %d bytes: error %v, want ErrFormat", n, err)
		}
	}
	if _, err := Decode([]byte("not a model at all")); !errors.Is(err, ErrFormat) {
		t.Errorf("text: error %v, want ErrFormat", err)
	}
}

// FuzzDecode checks that no input makes Decode panic, and that a model it
// accepts runs.
func FuzzDecode(f *testing.F) {
	data := []byte(onnxFile)
	f.Add(data)
	for _, n := range []int{0, 16, 300, 5000, 70000} {
		f.Add(data[:n])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error %v does not wrap ErrFormat", err)
			}
			return
		}
		for _, rate := range []int{8000, 16000} {
			d, err := m.NewDetector(rate)
			if err != nil {
				t.Fatal(err)
			}
			w := make([]float32, d.WindowSize())
			for i := range w {
				w[i] = float32(math.Sin(float64(i)))
			}
			p := d.Process(w)
			if p < 0 || p > 1 {
				t.Fatalf("%d Hz: probability %v", rate, p)
			}
		}
	})
}

// TestDecodeRejectsOtherGraphs edits the real file where the graph differs
// from what the detector computes: Decode must notice.
func TestDecodeRejectsOtherGraphs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		old, new string
		count    int // occurrences of old in the file
	}{
		// sr == 16000 (packed int64 16000) becomes sr == 8000.
		{"rate condition", "\x3a\x02\x80\x7d", "\x3a\x02\xc0\x3e", 1},
		// The STFT's reflect padding, in both branches.
		{"padding mode", "reflect", "edge\x00\x00\x00", 2},
	} {
		if n := strings.Count(onnxFile, tc.old); n != tc.count {
			t.Fatalf("%s: %d occurrences in the file, want %d", tc.name, n, tc.count)
		}
		_, err := Decode([]byte(strings.ReplaceAll(onnxFile, tc.old, tc.new)))
		if !errors.Is(err, ErrFormat) {
			t.Errorf("%s changed: error %v, want ErrFormat", tc.name, err)
		}
		t.Logf("%s: %v", tc.name, err)
	}
}

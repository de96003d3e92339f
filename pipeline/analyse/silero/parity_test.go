package silero

import (
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/callqa/callqa/pipeline/decode"
)

// reference is one reference file of testdata/: the probabilities that
// ONNX Runtime gives for a clip, window by window, and the segments that
// get_speech_timestamps makes of them.
type reference struct {
	SampleRate int          `json:"sample_rate"`
	Duration   float64      `json:"duration_s"`
	Segments   [][2]float64 `json:"segments"`
	Probs      struct {
		Hop float64   `json:"hop_s"`
		P   []float64 `json:"p"`
	} `json:"probs"`
}

// clip pairs a reference file with its audio.
type clip struct {
	name, wav, ref string
}

var clips = []clip{
	{"speech_8k", "speech_8k.wav", "speech_8k.silero.json"},
	{"hold_dtmf_speech_8k", "hold_dtmf_speech_8k.wav", "hold_dtmf_speech_8k.silero.json"},
	{"speech_16k", "funasr_sample_16k.wav", "speech_16k_from_shared.silero.json"},
}

// loadClip reads a clip's reference and its mono samples.
func loadClip(t testing.TB, c clip) (reference, []float32) {
	t.Helper()
	var ref reference
	b, err := os.ReadFile(filepath.Join("testdata", c.ref))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatalf("%s: %v", c.ref, err)
	}
	x, rate := readWAV(t, filepath.Join("testdata", c.wav))
	if rate != ref.SampleRate {
		t.Fatalf("%s: %d Hz, reference says %d", c.wav, rate, ref.SampleRate)
	}
	return ref, x
}

// readWAV decodes a mono WAV file with the project's decoder.
func readWAV(t testing.TB, path string) ([]float32, int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	d, err := decode.NewDecoder(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	if d.Format().Channels != 1 {
		t.Fatalf("%s: %d channels, want mono", path, d.Format().Channels)
	}
	var out []float32
	buf := make([]float32, 4096)
	for {
		n, err := d.Read(buf)
		out = append(out, buf[:n]...)
		if errors.Is(err, io.EOF) {
			return out, d.Format().SampleRate
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// probsOf runs a fresh detector over x window by window, zero-padding the
// last partial window, as upstream's get_speech_timestamps does.
func probsOf(t testing.TB, m *Model, rate int, x []float32) []float32 {
	t.Helper()
	d, err := m.NewDetector(rate)
	if err != nil {
		t.Fatal(err)
	}
	W := d.WindowSize()
	w := make([]float32, W)
	var p []float32
	for off := 0; off < len(x); off += W {
		clear(w)
		copy(w, x[off:])
		p = append(p, d.Process(w))
	}
	return p
}

// parityTolerance is the brief's bound; the errors measured are about
// 5e-6 (the reference has 6 decimals).
const parityTolerance = 1e-3

func TestParityProbabilities(t *testing.T) {
	t.Parallel()
	m, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range clips {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ref, x := loadClip(t, c)
			p := probsOf(t, m, ref.SampleRate, x)
			if len(p) != len(ref.Probs.P) {
				t.Fatalf("%d windows, reference has %d", len(p), len(ref.Probs.P))
			}
			worst, at := 0.0, 0
			for i := range p {
				if e := math.Abs(float64(p[i]) - ref.Probs.P[i]); e > worst {
					worst, at = e, i
				}
			}
			t.Logf("max abs error %.2e (window %d: %.6f vs %.6f)", worst, at, p[at], ref.Probs.P[at])
			if worst > parityTolerance {
				t.Errorf("max abs error %.2e at window %d, want <= %.0e", worst, at, parityTolerance)
			}
		})
	}
}

// TestTestdataMatchesShared checks that the copies in testdata/ are those of
// the shared folder, when a checkout has it beside the repository.
func TestTestdataMatchesShared(t *testing.T) {
	t.Parallel()
	shared := map[string]string{
		"speech_8k.wav":                      "/work/shared/silero-vad/reference/speech_8k.wav",
		"hold_dtmf_speech_8k.wav":            "/work/shared/silero-vad/reference/hold_dtmf_speech_8k.wav",
		"speech_8k.silero.json":              "/work/shared/silero-vad/reference/speech_8k.silero.json",
		"hold_dtmf_speech_8k.silero.json":    "/work/shared/silero-vad/reference/hold_dtmf_speech_8k.silero.json",
		"speech_16k_from_shared.silero.json": "/work/shared/silero-vad/reference/speech_16k_from_shared.silero.json",
		"funasr_sample_16k.wav":              "/work/shared/real-speech/funasr_sample_16k.wav",
	}
	for name, orig := range shared {
		want, err := os.ReadFile(orig)
		if errors.Is(err, os.ErrNotExist) {
			t.Logf("%s absent: only the copy in testdata is used", orig)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("testdata/%s differs from %s", name, orig)
		}
	}
}

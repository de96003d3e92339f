package silero

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
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

// sharedDir returns the project's shared folder, which checkouts and CI
// have beside the repository, or "" when there is none.
func sharedDir() string {
	for _, dir := range []string{filepath.Join("..", "..", "..", "..", "shared"), "/work/shared"} {
		if st, err := os.Stat(filepath.Join(dir, "silero-vad")); err == nil && st.IsDir() {
			return dir
		}
	}
	return ""
}

// TestTestdataMatchesShared checks that the copies in testdata/ and the
// embedded model are those of the shared folder, when a checkout has it.
func TestTestdataMatchesShared(t *testing.T) {
	t.Parallel()
	shared := sharedDir()
	if shared == "" {
		t.Log("no shared folder beside the repository: only the copies in testdata are used")
		return
	}
	copies := map[string]string{
		"testdata/speech_8k.wav":                      "silero-vad/reference/speech_8k.wav",
		"testdata/hold_dtmf_speech_8k.wav":            "silero-vad/reference/hold_dtmf_speech_8k.wav",
		"testdata/speech_8k.silero.json":              "silero-vad/reference/speech_8k.silero.json",
		"testdata/hold_dtmf_speech_8k.silero.json":    "silero-vad/reference/hold_dtmf_speech_8k.silero.json",
		"testdata/speech_16k_from_shared.silero.json": "silero-vad/reference/speech_16k_from_shared.silero.json",
		"testdata/funasr_sample_16k.wav":              "real-speech/funasr_sample_16k.wav",
		"silero_vad.onnx":                             "silero-vad/silero_vad.onnx",
		"LICENSE":                                     "silero-vad/LICENSE",
	}
	for ours, orig := range copies {
		want, err := os.ReadFile(filepath.Join(shared, orig))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(ours)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%s differs from %s", ours, filepath.Join(shared, orig))
		}
	}
}

// TestEmbeddedModelIsUpstream checks the embedded file against the sha256
// of upstream's silero_vad.onnx (v5) given in the shared README.
func TestEmbeddedModelIsUpstream(t *testing.T) {
	t.Parallel()
	const want = "1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3"
	if got := fmt.Sprintf("%x", sha256.Sum256([]byte(onnxFile))); got != want {
		t.Errorf("silero_vad.onnx has sha256 %s, want %s", got, want)
	}
}

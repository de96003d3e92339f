package decode

import (
	"bytes"
	"encoding/binary"
	"flag"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "regenerate testdata/*.wav fixtures and their *.f32 golden decodes with sox and ffmpeg")

// encVariant is a WAV file written by an independent encoder (ffmpeg or
// sox) from the source signal.
type encVariant struct {
	name string
	// cmd builds the command line converting src into dst; "pipe" means
	// ffmpeg writes to a pipe (streaming header with unknown sizes).
	cmd func(src, dst string) []string
	tol float32 // allowed |ours - ffmpeg|; 0 means bit-exact
	// ext: the encoder writes WAVE_FORMAT_EXTENSIBLE (checked, so the
	// test notices if a tool version stops doing so).
	ext bool
	// fixture marks the variants kept (short) in testdata.
	fixture bool
}

func ffmpegTo(args ...string) func(src, dst string) []string {
	return func(src, dst string) []string {
		return append(append([]string{"ffmpeg", "-v", "error", "-y", "-i", src}, args...), dst)
	}
}

func soxTo(args ...string) func(src, dst string) []string {
	return func(src, dst string) []string {
		return append(append([]string{"sox", src}, args...), dst)
	}
}

func soxEffect(fmtArgs []string, effects ...string) func(src, dst string) []string {
	return func(src, dst string) []string {
		return append(append(append([]string{"sox", src}, fmtArgs...), dst), effects...)
	}
}

var encVariants = []encVariant{
	{name: "ffmpeg_u8", cmd: ffmpegTo("-c:a", "pcm_u8")},
	{name: "ffmpeg_s16", cmd: ffmpegTo("-c:a", "pcm_s16le")},
	{name: "ffmpeg_s24", cmd: ffmpegTo("-c:a", "pcm_s24le"), tol: 1e-6, ext: true},
	{name: "ffmpeg_s32", cmd: ffmpegTo("-c:a", "pcm_s32le"), tol: 1e-6, ext: true},
	{name: "ffmpeg_f32", cmd: ffmpegTo("-c:a", "pcm_f32le"), ext: true},
	{name: "ffmpeg_f64", cmd: ffmpegTo("-c:a", "pcm_f64le"), tol: 1e-6, ext: true},
	{name: "ffmpeg_alaw", cmd: ffmpegTo("-c:a", "pcm_alaw"), fixture: true},
	{name: "ffmpeg_mulaw", cmd: ffmpegTo("-c:a", "pcm_mulaw")},
	{name: "ffmpeg_rf64_s16", cmd: ffmpegTo("-c:a", "pcm_s16le", "-rf64", "always"), fixture: true},
	{name: "ffmpeg_pipe_s16", cmd: ffmpegTo("-c:a", "pcm_s16le", "-f", "wav"), fixture: true},
	{name: "ffmpeg_6ch_44k1_s24", cmd: ffmpegTo("-c:a", "pcm_s24le", "-ac", "6", "-ar", "44100"), tol: 1e-6, ext: true},
	{name: "ffmpeg_6ch_44k1_f64", cmd: ffmpegTo("-c:a", "pcm_f64le", "-ac", "6", "-ar", "44100"), tol: 1e-6, ext: true},
	{name: "sox_u8", cmd: soxTo("-e", "unsigned-integer", "-b", "8")},
	{name: "sox_s16", cmd: soxTo("-b", "16")},
	{name: "sox_s24_extensible", cmd: soxTo("-b", "24"), tol: 1e-6, fixture: true, ext: true},
	{name: "sox_s32", cmd: soxTo("-b", "32"), tol: 1e-6},
	{name: "sox_f32", cmd: soxTo("-e", "floating-point", "-b", "32")},
	{name: "sox_f64", cmd: soxTo("-e", "floating-point", "-b", "64"), tol: 1e-6},
	{name: "sox_alaw", cmd: soxTo("-e", "a-law")},
	{name: "sox_mulaw", cmd: soxTo("-e", "u-law"), fixture: true},
	{name: "sox_6ch_44k1_s16", cmd: soxTo("-b", "16", "-c", "6", "-r", "44100"), ext: true},
	{name: "sox_mono_u8_odd", cmd: soxEffect([]string{"-e", "unsigned-integer", "-b", "8", "-c", "1"}, "trim", "0", "151s"), fixture: true},
}

// needTools skips the test when a tool is missing, unless CI is set: CI
// must run these tests.
func needTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is required when CI is set: %v", tool, err)
			}
			t.Skipf("skipping: %s not found (%v); install ffmpeg and sox to run", tool, err)
		}
	}
}

func run(t *testing.T, argv []string) []byte {
	t.Helper()
	var out, stderr bytes.Buffer
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, stderr.String())
	}
	return out.Bytes()
}

// makeSource writes a stereo float 8 kHz source signal: a tone and noise,
// so every bit of 24- and 32-bit samples is exercised.
func makeSource(t *testing.T, dir, seconds string) string {
	src := filepath.Join(dir, "src.wav")
	run(t, []string{"sox", "-R", "-n", "-r", "8000", "-c", "2", "-e", "floating-point", "-b", "32", src,
		"synth", seconds, "sine", "440", "whitenoise", "gain", "-2"})
	return src
}

// encode runs the variant's encoder, returning the WAV bytes.
func encode(t *testing.T, v encVariant, src, dir string) []byte {
	dst := filepath.Join(dir, v.name+".wav")
	argv := v.cmd(src, dst)
	if strings.HasSuffix(v.name, "_pipe_s16") {
		argv[len(argv)-1] = "pipe:1"
		return run(t, argv)
	}
	run(t, argv)
	b, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ffmpegDecode returns ffmpeg's own float decode of a WAV file.
func ffmpegDecode(t *testing.T, path string) []float32 {
	raw := run(t, []string{"ffmpeg", "-v", "error", "-i", path, "-f", "f32le", "-acodec", "pcm_f32le", "-"})
	return f32frombytes(raw)
}

func f32frombytes(raw []byte) []float32 {
	out := make([]float32, len(raw)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return out
}

// compareSamples fails unless got and want agree within tol; it returns
// the largest difference seen.
func compareSamples(t *testing.T, got, want []float32, tol float32) float32 {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("decoded %d samples, ffmpeg %d", len(got), len(want))
	}
	var maxDiff float32
	for i := range got {
		d := float32(math.Abs(float64(got[i] - want[i])))
		if got[i] != want[i] && (tol == 0 || d > tol) {
			t.Fatalf("sample %d: ours %v, ffmpeg %v (diff %g, tolerance %g)", i, got[i], want[i], d, tol)
		}
		maxDiff = max(maxDiff, d)
	}
	return maxDiff
}

// TestIndependentEncoders decodes files written by ffmpeg and sox and
// compares every sample with ffmpeg's own decode of the same file.
func TestIndependentEncoders(t *testing.T) {
	needTools(t, "ffmpeg", "sox")
	t.Parallel()
	dir := t.TempDir()
	src := makeSource(t, dir, "1")
	for _, v := range encVariants {
		t.Run(v.name, func(t *testing.T) {
			file := encode(t, v, src, dir)
			path := filepath.Join(dir, v.name+".wav")
			if err := os.WriteFile(path, file, 0o644); err != nil {
				t.Fatal(err)
			}
			want := ffmpegDecode(t, path)
			// The header features each variant is here to exercise.
			if gotExt := len(file) > 22 && binary.LittleEndian.Uint16(file[20:]) == TagExtensible; gotExt != v.ext {
				t.Fatalf("encoder wrote EXTENSIBLE=%v, variant expects %v", gotExt, v.ext)
			}
			for _, rd := range readers[:2] { // seekable and one byte at a time
				f, got, d := decodeAll(t, rd.wrap(file), int64(len(file)), 1000)
				if d.Truncated() != nil {
					t.Fatalf("%s: Truncated() = %v", rd.name, d.Truncated())
				}
				if f.RF64 != strings.Contains(v.name, "rf64") || (f.DataBytes < 0) != strings.Contains(v.name, "pipe") {
					t.Fatalf("Format %+v: RF64 or streaming size not as the variant %s expects", f, v.name)
				}
				diff := compareSamples(t, got, want, v.tol)
				t.Logf("%s: %s %d ch %d Hz rf64=%v data=%d: %d samples, max |diff| %g",
					rd.name, f.Codec, f.Channels, f.SampleRate, f.RF64, f.DataBytes, len(got), diff)
			}
		})
	}
}

// TestGoldenFixtures decodes the small encoder-written files kept in
// testdata and compares them with ffmpeg's decode stored next to them, so
// the comparison runs even where ffmpeg is not installed. Regenerate with
// go test ./pipeline/decode -run TestGoldenFixtures -update.
func TestGoldenFixtures(t *testing.T) {
	if *update {
		needTools(t, "ffmpeg", "sox")
		dir := t.TempDir()
		src := makeSource(t, dir, "0.02")
		for _, v := range encVariants {
			if !v.fixture {
				continue
			}
			file := encode(t, v, src, dir)
			path := filepath.Join("testdata", v.name+".wav")
			if err := os.WriteFile(path, file, 0o644); err != nil {
				t.Fatal(err)
			}
			want := ffmpegDecode(t, path)
			raw := make([]byte, 0, 4*len(want))
			for _, s := range want {
				raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(s))
			}
			if err := os.WriteFile(filepath.Join("testdata", v.name+".f32"), raw, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	n := 0
	for _, v := range encVariants {
		if !v.fixture {
			continue
		}
		n++
		t.Run(v.name, func(t *testing.T) {
			file, err := os.ReadFile(filepath.Join("testdata", v.name+".wav"))
			if err != nil {
				t.Fatal(err)
			}
			raw, err := os.ReadFile(filepath.Join("testdata", v.name+".f32"))
			if err != nil {
				t.Fatal(err)
			}
			for _, rd := range readers {
				_, got, _ := decodeAll(t, rd.wrap(file), int64(len(file)), 7)
				compareSamples(t, got, f32frombytes(raw), v.tol)
			}
		})
	}
	if n == 0 {
		t.Fatal("no fixture variants")
	}
}

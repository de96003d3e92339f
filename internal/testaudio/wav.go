package testaudio

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/callqa/callqa/pipeline/decode"
)

//go:embed testdata/*.wav
var clipFS embed.FS

// Names of the bundled real-voice clips (16 kHz mono PCM16).
const (
	// FunASR is 6 s of a real human voice (Mandarin, with pauses).
	FunASR = "funasr_sample_16k.wav"
	// AISHELL is 4.3 s of Mandarin read speech.
	AISHELL = "aishell_BAC009S0724W0121_16k.wav"
	// LibriSpeech is 8.7 s of English read speech.
	LibriSpeech = "librispeech_1995-1837-0001_16k.wav"
)

// Clips returns the names of the bundled clips, in a fixed order.
func Clips() []string { return []string{FunASR, AISHELL, LibriSpeech} }

// Clip returns a bundled clip resampled to rate (16000 returns it as
// stored).
func Clip(name string, rate int) ([]float32, error) {
	b, err := clipFS.ReadFile("testdata/" + name)
	if err != nil {
		return nil, fmt.Errorf("clip %q: %w", name, err)
	}
	x, r, err := Decode16(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, fmt.Errorf("clip %q: %w", name, err)
	}
	if r == rate {
		return x, nil
	}
	return Resample(x, r, rate), nil
}

// MustClip is Clip for tests: it panics on an unknown name or rate.
func MustClip(name string, rate int) []float32 {
	x, err := Clip(name, rate)
	if err != nil {
		panic(err)
	}
	return x
}

// Load16 reads a PCM16 WAV file and returns its samples in [-1, 1) and
// its sample rate. Several channels are averaged into one.
func Load16(path string) ([]float32, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("load16: %w", err)
	}
	defer f.Close()
	size := int64(-1)
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}
	x, rate, err := Decode16(f, size)
	if err != nil {
		return nil, 0, fmt.Errorf("load16 %s: %w", path, err)
	}
	return x, rate, nil
}

// Decode16 is Load16 on a reader of size bytes (-1 if unknown).
func Decode16(r io.Reader, size int64) ([]float32, int, error) {
	d, err := decode.NewDecoder(r, size)
	if err != nil {
		return nil, 0, err
	}
	f := d.Format()
	if f.Codec != "pcm_s16le" {
		return nil, 0, fmt.Errorf("codec %s, want pcm_s16le", f.Codec)
	}
	var out []float32
	if n := f.Frames(); n > 0 {
		out = make([]float32, 0, n)
	}
	buf := make([]float32, 4096*f.Channels)
	for {
		n, err := d.Read(buf)
		for i := range n {
			var s float32
			for c := range f.Channels {
				s += buf[i*f.Channels+c]
			}
			out = append(out, s/float32(f.Channels))
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, 0, err
		}
	}
	return out, f.SampleRate, nil
}

// WriteWAV writes one or more equally long channels as a PCM16 WAV file,
// for listening to a failing test's audio. Samples are clipped to the
// 16-bit range.
func WriteWAV(path string, rate int, channels ...[]float32) error {
	if len(channels) == 0 {
		return errors.New("write wav: no channels")
	}
	n := len(channels[0])
	for _, c := range channels[1:] {
		n = min(n, len(c))
	}
	pcm := make([]int16, n*len(channels))
	for i := range n {
		for c, ch := range channels {
			pcm[i*len(channels)+c] = ToInt16(ch[i])
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write wav: %w", err)
	}
	if err := decode.WritePCM16(f, rate, len(channels), pcm); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// ToInt16 converts a sample in [-1, 1) to 16 bits, rounding and clipping.
func ToInt16(v float32) int16 {
	s := math.Round(float64(v) * 32768)
	return int16(max(-32768, min(32767, s)))
}

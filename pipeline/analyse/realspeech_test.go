package analyse

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"testing"

	"github.com/callqa/callqa/models"
)

// readWAV16 is a minimal RIFF reader for mono or interleaved PCM16 files:
// it returns the samples scaled to [-1, 1), the sample rate and channels.
func readWAV16(path string) ([]float64, int, int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, 0, err
	}
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, 0, 0, errors.New("not a RIFF/WAVE file")
	}
	var rate, chans, bits int
	var data []byte
	for p := 12; p+8 <= len(b); {
		id, size := string(b[p:p+4]), int(binary.LittleEndian.Uint32(b[p+4:p+8]))
		body := b[p+8 : min(len(b), p+8+size)]
		switch id {
		case "fmt ":
			if len(body) < 16 || binary.LittleEndian.Uint16(body) != 1 {
				return nil, 0, 0, errors.New("not PCM")
			}
			chans = int(binary.LittleEndian.Uint16(body[2:]))
			rate = int(binary.LittleEndian.Uint32(body[4:]))
			bits = int(binary.LittleEndian.Uint16(body[14:]))
		case "data":
			data = body
		}
		p += 8 + size + size&1
	}
	if bits != 16 || chans == 0 || data == nil {
		return nil, 0, 0, fmt.Errorf("unsupported: %d bits, %d channels, data %v", bits, chans, data != nil)
	}
	out := make([]float64, len(data)/2)
	for i := range out {
		out[i] = float64(int16(binary.LittleEndian.Uint16(data[2*i:]))) / 32768
	}
	return out, rate, chans, nil
}

// decimate2 halves the sample rate: a 63-tap Hamming-windowed sinc
// low-pass at 0.225 of the input rate (3.6 kHz at 16 kHz), then every
// second sample.
func decimate2(x []float64) []float64 {
	const taps = 63
	const fc = 0.45 / 2 // cycles per input sample: 3.6 kHz at 16 kHz
	h := make([]float64, taps)
	var sum float64
	for i := range h {
		n := float64(i - taps/2)
		s := 2 * fc
		if n != 0 {
			s = math.Sin(2*math.Pi*fc*n) / (math.Pi * n)
		}
		h[i] = s * (0.54 - 0.46*math.Cos(2*math.Pi*float64(i)/(taps-1)))
		sum += h[i]
	}
	out := make([]float64, len(x)/2)
	for o := range out {
		var acc float64
		for k, hk := range h {
			if j := 2*o + k - taps/2; j >= 0 && j < len(x) {
				acc += hk * x[j]
			}
		}
		out[o] = acc / sum
	}
	return out
}

// referenceSpeech marks the speech a listener hears in a clean clip: 20 ms
// frames above thrDBFS, with pauses shorter than 0.3 s bridged (a listener
// hears a phrase, not its syllables).
func referenceSpeech(x []float64, sr int, thrDBFS float64) []models.Span {
	fl := sr / 50
	var spans []models.Span
	for i := 0; i+fl <= len(x); i += fl {
		var ss float64
		for _, v := range x[i : i+fl] {
			ss += v * v
		}
		if 10*math.Log10(ss/float64(fl)+1e-12) <= thrDBFS {
			continue
		}
		t0, t1 := float64(i)/float64(sr), float64(i+fl)/float64(sr)
		if n := len(spans); n > 0 && t0-spans[n-1][1] < 0.3 {
			spans[n-1][1] = t1
		} else {
			spans = append(spans, models.Span{t0, t1})
		}
	}
	return spans
}

// TestRealSpeech checks the detector on a real voice. The reference comes
// from the CLEAN 16 kHz clip with a conservative threshold: 20 ms frames
// above -45 dBFS, which is 17 dB above the clip's background (about
// -62 dBFS) and 15-20 dB below its speech (-22 to -30 dBFS), so the
// reference holds only what is plainly audible. The detector then runs on
// degraded copies and must agree on at least 95% of the frames and find
// at least 90% of every reference stretch longer than 0.3 s.
func TestRealSpeech(t *testing.T) {
	t.Parallel()
	clean, sr, ch, err := readWAV16("testdata/funasr_sample_16k.wav")
	if err != nil {
		t.Fatal(err)
	}
	if sr != 16000 || ch != 1 {
		t.Fatalf("clip is %d Hz, %d channels; want 16000 Hz mono", sr, ch)
	}
	cases := []struct {
		name  string
		skip  float64 // seconds cut from the start
		rate  int
		hiss  float64
		mulaw bool
	}{
		{"8k-hiss-50-mulaw", 0, 8000, -50, true},
		{"8k-hiss-55-mulaw", 0, 8000, -55, true},
		{"16k-hiss-50", 0, 16000, -50, false},
		// The clip cut so that speech starts at t=0: no floor yet.
		{"8k-hiss-50-mulaw-speech-at-t0", 1.06, 8000, -50, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x := clean[int(c.skip*16000):]
			ref := referenceSpeech(x, 16000, -45)
			if c.rate == 8000 {
				x = decimate2(x)
			}
			r := rng(5)
			amp := math.Pow(10, c.hiss/20) * math.Sqrt(3)
			buf := make([]float32, len(x))
			for i, v := range x {
				v += amp * (2*r.float() - 1)
				if c.mulaw {
					v = mulawRoundTrip(v)
				}
				buf[i] = float32(v)
			}
			a, err := New(Config{VAD: VADEnergy}, c.rate, 1)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < len(buf); i += 333 {
				a.Write(buf[i:min(len(buf), i+333)])
			}
			rep := a.Finish()
			got := rep.Channels[0].Segments
			agr := frameAgreement(ref, got, rep.DurationS)
			t.Logf("reference %v\ndetected  %v\nframe agreement %.4f", ref, got, agr)
			if agr < 0.95 {
				t.Errorf("frame agreement %.4f < 0.95", agr)
			}
			for _, s := range ref {
				if l := s[1] - s[0]; l > 0.3 {
					if f := covered(got, s[0], s[1]) / l; f < 0.9 {
						t.Errorf("reference speech %v: only %.0f%% detected", s, 100*f)
					}
				}
			}
		})
	}
}

// TestLevelsMatchFFmpeg compares the clip's levels with ffmpeg's astats on
// a float decode, measured once with:
//
//	ffmpeg -i testdata/funasr_sample_16k.wav \
//	  -af aformat=sample_fmts=flt,astats=measure_overall=RMS_level+Peak_level:measure_perchannel=none \
//	  -f null -
//
// which printed RMS level -29.623236 dB and peak level -10.200240 dB.
func TestLevelsMatchFFmpeg(t *testing.T) {
	t.Parallel()
	x, sr, _, err := readWAV16("testdata/funasr_sample_16k.wav")
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(Config{VAD: VADEnergy}, sr, 1)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]float32, len(x))
	for i, v := range x {
		buf[i] = float32(v)
	}
	a.Write(buf)
	ch := a.Finish().Channels[0]
	if math.Abs(ch.RMSDBFS-(-29.623236)) > 0.006 || math.Abs(ch.PeakDBFS-(-10.200240)) > 0.006 {
		t.Errorf("rms %v peak %v dBFS; ffmpeg astats says -29.62 and -10.20", ch.RMSDBFS, ch.PeakDBFS)
	}
}

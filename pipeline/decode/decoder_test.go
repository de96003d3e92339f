package decode

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/go-audio/wav"

	"github.com/callqa/callqa/models"
)

// variant is one encoded test signal: its bytes and the float32 samples an
// ffmpeg-compatible decoder must produce, computed independently of the
// decoder's conversion loops.
type variant struct {
	tag   uint16
	bits  int
	codec string
	data  []byte
	want  []float32
}

// makeVariant encodes frames*channels pseudo-random samples (including the
// extreme codes) in the given sample format.
func makeVariant(tag uint16, bits, channels, frames int, seed uint64) variant {
	rng := rand.New(rand.NewPCG(seed, 1))
	n := frames * channels
	v := variant{tag: tag, bits: bits}
	for i := range n {
		switch {
		case tag == TagPCM && bits == 8:
			b := byte(rng.UintN(256))
			if i < 2 {
				b = byte(255 * i)
			}
			v.codec = "pcm_u8"
			v.data = append(v.data, b)
			v.want = append(v.want, float32(float64(int(b)-128)/128))
		case tag == TagPCM && bits == 16:
			s := int16(rng.Uint32())
			if i < 2 {
				s = []int16{math.MinInt16, math.MaxInt16}[i]
			}
			v.codec = "pcm_s16le"
			v.data = binary.LittleEndian.AppendUint16(v.data, uint16(s))
			v.want = append(v.want, float32(float64(s)/32768))
		case tag == TagPCM && bits == 24:
			s := int32(rng.Uint32()) >> 8
			if i < 2 {
				s = []int32{-1 << 23, 1<<23 - 1}[i]
			}
			v.codec = "pcm_s24le"
			v.data = append(v.data, byte(s), byte(s>>8), byte(s>>16))
			v.want = append(v.want, float32(float64(s)/8388608))
		case tag == TagPCM && bits == 32:
			s := int32(rng.Uint32())
			if i < 2 {
				s = []int32{math.MinInt32, math.MaxInt32}[i]
			}
			v.codec = "pcm_s32le"
			v.data = binary.LittleEndian.AppendUint32(v.data, uint32(s))
			v.want = append(v.want, float32(float64(s)/2147483648))
		case tag == TagIEEEFloat && bits == 32:
			f := float32(rng.Float64()*2 - 1)
			v.codec = "pcm_f32le"
			v.data = binary.LittleEndian.AppendUint32(v.data, math.Float32bits(f))
			v.want = append(v.want, f)
		case tag == TagIEEEFloat && bits == 64:
			f := rng.Float64()*2 - 1
			v.codec = "pcm_f64le"
			v.data = binary.LittleEndian.AppendUint64(v.data, math.Float64bits(f))
			v.want = append(v.want, float32(f))
		case tag == TagALaw:
			c := byte(i)
			v.codec = "pcm_alaw"
			v.data = append(v.data, c)
			v.want = append(v.want, float32(g191ALawExpand(c))/32768)
		case tag == TagMuLaw:
			c := byte(i)
			v.codec = "pcm_mulaw"
			v.data = append(v.data, c)
			v.want = append(v.want, float32(g191ULawExpand(c))/32768)
		default:
			panic(fmt.Sprintf("no variant for tag %d bits %d", tag, bits))
		}
	}
	return v
}

// readers wraps the same bytes in every kind of reader the decoder meets.
var readers = []struct {
	name string
	wrap func([]byte) io.Reader
}{
	{"bytes", func(b []byte) io.Reader { return bytes.NewReader(b) }},
	{"onebyte", func(b []byte) io.Reader { return iotest.OneByteReader(bytes.NewReader(b)) }},
	{"half", func(b []byte) io.Reader { return iotest.HalfReader(bytes.NewReader(b)) }},
	{"dataerr", func(b []byte) io.Reader { return iotest.DataErrReader(bytes.NewReader(b)) }},
	{"chunky1to7", func(b []byte) io.Reader { return newChunkyReader(b, uint64(len(b))) }},
}

type variantCase struct {
	name     string
	spec     wavSpec
	v        variant
	rf64     bool
	declared int64 // expected Format.DataBytes
}

func variantCases() []variantCase {
	var cases []variantCase
	add := func(name string, tag uint16, bits, ch, rate int, mutate func(*wavSpec, *variant) int64) {
		v := makeVariant(tag, bits, ch, 301, uint64(len(cases)))
		s := wavSpec{tag: tag, channels: ch, rate: rate, bits: bits, data: v.data}
		declared := int64(len(v.data))
		if mutate != nil {
			declared = mutate(&s, &v)
		}
		cases = append(cases, variantCase{name: name, spec: s, v: v, rf64: s.id == "RF64", declared: declared})
	}
	formats := []struct {
		name string
		tag  uint16
		bits int
	}{
		{"u8", TagPCM, 8}, {"s16", TagPCM, 16}, {"s24", TagPCM, 24}, {"s32", TagPCM, 32},
		{"f32", TagIEEEFloat, 32}, {"f64", TagIEEEFloat, 64},
		{"alaw", TagALaw, 8}, {"mulaw", TagMuLaw, 8},
	}
	for _, f := range formats {
		add(f.name+"/mono/8k", f.tag, f.bits, 1, 8000, nil)
		add(f.name+"/stereo/8k", f.tag, f.bits, 2, 8000, nil)
	}
	for _, f := range formats {
		if f.tag == TagPCM && f.bits == 8 {
			continue // sub-formats of EXTENSIBLE: PCM, float, A-law, mu-law
		}
		add("extensible/"+f.name+"/6ch/44k1", f.tag, f.bits, 6, 44100, func(s *wavSpec, _ *variant) int64 {
			s.extensible = true
			return int64(len(s.data))
		})
	}
	add("s16/stereo/16k", TagPCM, 16, 2, 16000, nil)
	add("mulaw/6ch/16k", TagMuLaw, 8, 6, 16000, nil)
	add("rf64/s16/stereo", TagPCM, 16, 2, 8000, func(s *wavSpec, _ *variant) int64 {
		s.id = "RF64"
		return int64(len(s.data))
	})
	add("rf64/mulaw/ds64-unknown", TagMuLaw, 8, 2, 8000, func(s *wavSpec, _ *variant) int64 {
		s.id, s.ds64Data = "RF64", u64p(0)
		return -1
	})
	add("extra-chunks/alaw", TagALaw, 8, 1, 8000, func(s *wavSpec, _ *variant) int64 {
		s.before = [][]byte{
			chunk("LIST", append([]byte("INFOISFT"), 3, 0, 0, 0, 'a', 'b', 0, 0)),
			chunk("junk", make([]byte, 27)), // odd size: pad byte follows
			chunk("fact", []byte{1, 2, 3, 4}),
			chunk("JUNK", make([]byte, 3000)),
		}
		s.fmtExtra = []byte{0, 0} // cbSize = 0, fmt chunk of 18 bytes
		s.after = [][]byte{chunk("LIST", []byte("INFO"))}
		return int64(len(s.data))
	})
	add("odd-data-with-pad/mulaw", TagMuLaw, 8, 1, 8000, func(s *wavSpec, v *variant) int64 {
		// 301 mono bytes: an odd data chunk, its pad byte, then a chunk
		// that must not leak into the samples.
		s.after = [][]byte{chunk("LIST", []byte("INFOzzzz"))}
		return int64(len(s.data))
	})
	add("partial-last-frame/s16", TagPCM, 16, 2, 8000, func(s *wavSpec, v *variant) int64 {
		// data chunk declares 3 bytes beyond the last whole frame.
		s.data = append(append([]byte{}, s.data...), 1, 2, 3)
		return int64(len(s.data))
	})
	for _, sz := range []uint32{0, 0xFFFFFFFF} {
		add(fmt.Sprintf("streaming/riff+data=%#x/s16", sz), TagPCM, 16, 2, 8000, func(s *wavSpec, _ *variant) int64 {
			s.riffSize, s.dataSize = u32p(sz), u32p(sz)
			return -1
		})
		add(fmt.Sprintf("streaming/data=%#x/s16-partial-frame", sz), TagPCM, 16, 2, 8000, func(s *wavSpec, _ *variant) int64 {
			// Read to the end: one extra byte plus the pad byte make a
			// partial 4-byte frame, which is dropped.
			s.dataSize = u32p(sz)
			s.data = append(append([]byte{}, s.data...), 0x7F)
			return -1
		})
	}
	return cases
}

func TestDecodeVariants(t *testing.T) {
	t.Parallel()
	for _, c := range variantCases() {
		file := buildWAV(c.spec)
		for _, rd := range readers {
			t.Run(c.name+"/"+rd.name, func(t *testing.T) {
				t.Parallel()
				for _, size := range []int64{int64(len(file)), -1} {
					f, got, d := decodeAll(t, rd.wrap(file), size, 13)
					if f.Codec != c.v.codec || f.Channels != c.spec.channels || f.SampleRate != c.spec.rate ||
						f.BitsPerSample != c.spec.bits || f.Tag != c.v.tag || f.RF64 != c.rf64 || f.DataBytes != c.declared {
						t.Fatalf("size %d: Format = %+v, want codec %s tag %d %d ch %d Hz %d bits rf64 %v data %d",
							size, f, c.v.codec, c.v.tag, c.spec.channels, c.spec.rate, c.spec.bits, c.rf64, c.declared)
					}
					if tr := d.Truncated(); tr != nil {
						t.Fatalf("size %d: Truncated() = %v", size, tr)
					}
					if len(got) != len(c.v.want) {
						t.Fatalf("size %d: decoded %d samples, want %d", size, len(got), len(c.v.want))
					}
					for i := range got {
						if got[i] != c.v.want[i] {
							t.Fatalf("size %d: sample %d = %v, want %v", size, i, got[i], c.v.want[i])
						}
					}
				}
			})
		}
	}
}

func TestFormatFramesDuration(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		f      Format
		frames int64
		dur    float64
	}{
		{Format{SampleRate: 8000, BlockAlign: 4, DataBytes: 640000}, 160000, 20},
		{Format{SampleRate: 8000, BlockAlign: 4, DataBytes: 640003}, 160000, 20},
		{Format{SampleRate: 8000, BlockAlign: 2, DataBytes: -1}, -1, 0},
		{Format{SampleRate: 16000, BlockAlign: 1, DataBytes: 8000}, 8000, 0.5},
	} {
		if got := c.f.Frames(); got != c.frames {
			t.Errorf("%+v Frames() = %d, want %d", c.f, got, c.frames)
		}
		if got := c.f.Duration(); got != c.dur {
			t.Errorf("%+v Duration() = %v, want %v", c.f, got, c.dur)
		}
	}
}

// TestCrossCheckGoAudio decodes PCM16/24 with go-audio/wav too: it is
// correct for those, so both must agree sample for sample.
func TestCrossCheckGoAudio(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		bits  int
		scale float64
	}{{16, 32768}, {24, 8388608}} {
		t.Run(fmt.Sprint(c.bits), func(t *testing.T) {
			t.Parallel()
			v := makeVariant(TagPCM, c.bits, 2, 4000, 99)
			file := buildWAV(wavSpec{tag: TagPCM, channels: 2, rate: 8000, bits: c.bits, data: v.data})
			_, got, _ := decodeAll(t, bytes.NewReader(file), int64(len(file)), 512)
			buf, err := wav.NewDecoder(bytes.NewReader(file)).FullPCMBuffer()
			if err != nil {
				t.Fatalf("go-audio/wav: %v", err)
			}
			if len(buf.Data) != len(got) {
				t.Fatalf("go-audio/wav decoded %d samples, we decoded %d", len(buf.Data), len(got))
			}
			for i, s := range buf.Data {
				if want := float32(float64(s) / c.scale); got[i] != want {
					t.Fatalf("sample %d: ours %v, go-audio/wav %d (%v)", i, got[i], s, want)
				}
			}
		})
	}
}

func TestWritePCM16RoundTrip(t *testing.T) {
	t.Parallel()
	for _, ch := range []int{1, 2, 6} {
		samples := make([]int16, 10007*ch)
		rng := rand.New(rand.NewPCG(uint64(ch), 2))
		for i := range samples {
			samples[i] = int16(rng.Uint32())
		}
		path := t.TempDir() + "/x.wav"
		w, err := createFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := WritePCM16(w, 8000, ch, samples); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		r, size := openFile(t, path)
		f, got, _ := decodeAll(t, r, size, 1000)
		if f.Codec != "pcm_s16le" || f.Channels != ch || f.SampleRate != 8000 || f.Frames() != 10007 {
			t.Fatalf("Format = %+v", f)
		}
		for i, s := range samples {
			if got[i] != float32(s)/32768 {
				t.Fatalf("%d ch sample %d = %v, want %v", ch, i, got[i], float32(s)/32768)
			}
		}
	}
	if err := WritePCM16(nil, 8000, 2, make([]int16, 3)); err == nil {
		t.Error("WritePCM16 with 3 samples on 2 channels: no error")
	}
}

func TestTruncatedDataChunk(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name    string
		present int // data bytes actually in the file
		frames  int64
	}{
		{"whole-frames", 200000, 50000},
		{"partial-frame-dropped", 200003, 50000},
		{"header-only", 0, 0},
	} {
		for _, rd := range readers {
			t.Run(c.name+"/"+rd.name, func(t *testing.T) {
				t.Parallel()
				file := buildWAV(wavSpec{tag: TagPCM, channels: 2, rate: 8000, bits: 16,
					data: make([]byte, c.present), dataSize: u32p(640000)})
				file = file[:44+c.present] // drop the pad byte buildWAV added
				for _, size := range []int64{int64(len(file)), -1} {
					f, got, d := decodeAll(t, rd.wrap(file), size, 4096)
					if f.DataBytes != 640000 || f.Frames() != 160000 {
						t.Fatalf("Format = %+v", f)
					}
					if n := int64(len(got) / 2); n != c.frames {
						t.Fatalf("decoded %d frames, want %d", n, c.frames)
					}
					tr := d.Truncated()
					if tr == nil {
						t.Fatal("Truncated() = nil")
					}
					want := fmt.Sprintf("truncated data chunk: %d of 640000 bytes", c.present)
					if tr.Error() != want || tr.Got != int64(c.present) || tr.Want != 640000 {
						t.Fatalf("Truncated() = %q %+v, want %q", tr.Error(), *tr, want)
					}
					var err error = tr
					if errors.Is(err, models.ErrBadInput) {
						t.Fatal("a truncated data chunk is not bad input")
					}
				}
			})
		}
	}
}

// header returns a canonical 16-bit stereo 8 kHz fmt chunk payload with
// one field changed by edit.
func fmtWith(edit func(p []byte)) []byte {
	p := fmtPayload(wavSpec{tag: TagPCM, channels: 2, rate: 8000, bits: 16})
	edit(p)
	return p
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	riff := func(chunks ...[]byte) []byte {
		b := []byte("RIFF\x00\x00\x00\x00WAVE")
		for _, c := range chunks {
			b = append(b, c...)
		}
		binary.LittleEndian.PutUint32(b[4:], uint32(len(b)-8))
		return b
	}
	data := chunk("data", make([]byte, 64))
	goodFmt := chunk("fmt ", fmtPayload(wavSpec{tag: TagPCM, channels: 2, rate: 8000, bits: 16}))
	withFmt := func(edit func(p []byte)) []byte { return riff(chunk("fmt ", fmtWith(edit)), data) }
	unsupported := func(tag uint16, bits, ba int) []byte {
		return riff(chunk("fmt ", fmtPayload(wavSpec{tag: tag, channels: 1, rate: 8000, bits: bits, blockAlign: ba})), data)
	}
	good := riff(goodFmt, data)
	// Messages that differ when NewDecoder knows the stream size.
	sizedMsg := map[string]string{
		"truncated-fmt": `invalid WAV: chunk "fmt " at byte 12 claims 16 bytes but the stream has only 10 left`,
	}
	const (
		format = iota
		unsupp
	)
	for _, c := range []struct {
		name string
		in   []byte
		kind int
		msg  string
	}{
		{"empty", nil, format, "invalid WAV: empty input"},
		{"not-riff", []byte("ID3\x04\x00\x00\x00\x00\x00\x00 mp3 data here"), format, `invalid WAV: not a RIFF file (starts with "ID3\x04")`},
		{"short", []byte("RIFF"), format, "invalid WAV: truncated RIFF header at byte 4"},
		{"not-wave", []byte("RIFF\x04\x00\x00\x00AVI LIST"), format, `invalid WAV: RIFF form type "AVI " is not WAVE`},
		{"rifx", []byte("RIFX\x00\x00\x00\x24WAVE"), unsupp, "unsupported big-endian RIFX file"},
		{"truncated-fmt", good[:30], format, "invalid WAV: truncated fmt chunk at byte 30"},
		{"truncated-chunk-header", good[:40], format, "invalid WAV: no data chunk (stream ended at byte 40 after chunk \"fmt \")"},
		{"no-fmt", riff(data), format, "invalid WAV: no fmt chunk before the data chunk"},
		{"no-fmt-no-data", riff(chunk("LIST", []byte("INFO"))), format, `invalid WAV: no fmt chunk (stream ended at byte 24 after chunk "LIST")`},
		{"no-data", riff(goodFmt, chunk("LIST", []byte("INFO"))), format, `invalid WAV: no data chunk (stream ended at byte 48 after chunk "LIST")`},
		{"fmt-too-small", riff(chunk("fmt ", make([]byte, 14)), data), format, "invalid WAV: fmt chunk too small (14 bytes, want at least 16)"},
		{"zero-channels", withFmt(func(p []byte) { p[2] = 0 }), format, "invalid WAV: zero channels"},
		{"zero-rate", withFmt(func(p []byte) { clear(p[4:8]) }), format, "invalid WAV: zero sample rate"},
		{"absurd-channels", withFmt(func(p []byte) { p[2], p[3] = 0xFF, 0xFF }), format, "invalid WAV: absurd channel count 65535 (max 32)"},
		{"33-channels", withFmt(func(p []byte) { p[2] = 33 }), format, "invalid WAV: absurd channel count 33 (max 32)"},
		{"block-align", withFmt(func(p []byte) { p[12] = 3 }), format, "invalid WAV: block align 3 inconsistent with 2 channels of 16 bits (want 4)"},
		{"zero-bits", withFmt(func(p []byte) { p[14] = 0 }), format, "invalid WAV: PCM with 0 bits per sample"},
		{"chunk-overruns-file", riff(goodFmt, rawChunk("LIST", 5000, make([]byte, 10), false), data), format,
			`invalid WAV: chunk "LIST" at byte 36 claims 5000 bytes but the stream has only 82 left`},
		{"ima-adpcm", unsupported(0x0011, 4, 256), unsupp, "unsupported codec 0x0011 (IMA ADPCM)"},
		{"gsm610", unsupported(0x0031, 0, 65), unsupp, "unsupported codec 0x0031 (GSM 6.10)"},
		{"mp3", unsupported(0x0055, 0, 1), unsupp, "unsupported codec 0x0055 (MP3)"},
		{"unknown-codec", unsupported(0x1234, 16, 2), unsupp, "unsupported codec 0x1234 (unknown)"},
		{"float16", unsupported(TagIEEEFloat, 16, 2), unsupp, "unsupported IEEE float with 16 bits per sample"},
		{"pcm48", unsupported(TagPCM, 48, 6), unsupp, "unsupported PCM with 48 bits per sample"},
		{"mulaw16", unsupported(TagMuLaw, 16, 2), unsupp, "unsupported G.711 with 16 bits per sample"},
		{"extensible-guid", riff(chunk("fmt ", fmtPayload(wavSpec{tag: TagPCM, channels: 2, rate: 8000, bits: 16,
			extensible: true, guid: []byte("0123456789abcdef")})), data), unsupp,
			"unsupported WAVE_FORMAT_EXTENSIBLE sub-format GUID 30313233343536373839616263646566"},
		{"extensible-short", riff(chunk("fmt ", fmtWith(func(p []byte) { p[0], p[1] = 0xFE, 0xFF })), data), format,
			"invalid WAV: WAVE_FORMAT_EXTENSIBLE fmt chunk too small (16 bytes, want 40)"},
	} {
		for _, rd := range readers {
			t.Run(c.name+"/"+rd.name, func(t *testing.T) {
				t.Parallel()
				for _, size := range []int64{int64(len(c.in)), -1} {
					d, err := NewDecoder(rd.wrap(c.in), size)
					if c.name == "chunk-overruns-file" && size < 0 {
						// Without the size the overrun shows up as a
						// missing data chunk or a truncated LIST chunk.
						if err == nil || !errors.Is(err, models.ErrBadInput) {
							t.Fatalf("size -1: err = %v, want bad input", err)
						}
						continue
					}
					if err == nil {
						t.Fatalf("size %d: NewDecoder succeeded: %+v", size, d.Format())
					}
					msg := c.msg
					if m, ok := sizedMsg[c.name]; ok && size >= 0 {
						msg = m
					}
					if err.Error() != msg {
						t.Fatalf("size %d: err = %q, want %q", size, err, msg)
					}
					var fe *FormatError
					var ue *UnsupportedError
					if isF, isU := errors.As(err, &fe), errors.As(err, &ue); isF != (c.kind == format) || isU != (c.kind == unsupp) {
						t.Fatalf("size %d: err %T: FormatError %v UnsupportedError %v, want kind %d", size, err, isF, isU, c.kind)
					}
					if !errors.Is(fmt.Errorf("wrapped: %w", err), models.ErrBadInput) {
						t.Fatalf("errors.Is(wrapped %v, models.ErrBadInput) = false", err)
					}
				}
			})
		}
	}
}

// TestHugeChunkClaim is the 3 KB file whose LIST chunk claims 4 GB, which
// go-audio/wav answers by allocating 4 GiB. It must be refused with less
// than 1 MB allocated, whether the size is known or not, seekable or not.
func TestHugeChunkClaim(t *testing.T) {
	fmtC := chunk("fmt ", fmtPayload(wavSpec{tag: TagPCM, channels: 1, rate: 8000, bits: 16}))
	list := rawChunk("LIST", 0xFFFFFFF0, make([]byte, 3000), false)
	for _, order := range []struct {
		name   string
		chunks [][]byte
	}{{"list-first", [][]byte{list, fmtC}}, {"fmt-first", [][]byte{fmtC, list}}} {
		file := []byte("RIFF\x00\x00\x00\x00WAVE")
		for _, c := range order.chunks {
			file = append(file, c...)
		}
		for _, rd := range readers {
			for _, size := range []int64{int64(len(file)), -1} {
				name := fmt.Sprintf("%s/%s/size=%d", order.name, rd.name, size)
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				_, err := NewDecoder(rd.wrap(file), size)
				runtime.ReadMemStats(&after)
				if !errors.Is(err, models.ErrBadInput) {
					t.Errorf("%s: err = %v, want bad input", name, err)
				}
				if size >= 0 && !strings.Contains(err.Error(), `chunk "LIST" at byte`) {
					t.Errorf("%s: err = %v, want the LIST chunk named", name, err)
				}
				if d := after.TotalAlloc - before.TotalAlloc; d > 1<<20 {
					t.Errorf("%s: allocated %d bytes", name, d)
				}
			}
		}
	}
}

// TestHeaderReadError: an I/O error while reading the header is not bad
// input (it may be transient) and is passed through wrapped.
func TestHeaderReadError(t *testing.T) {
	t.Parallel()
	boom := errors.New("connection reset")
	file := buildWAV(wavSpec{tag: TagPCM, channels: 1, rate: 8000, bits: 16, data: make([]byte, 10)})
	for _, cut := range []int{0, 5, 20, 40} {
		r := io.MultiReader(bytes.NewReader(file[:cut]), iotest.ErrReader(boom))
		_, err := NewDecoder(r, -1)
		if !errors.Is(err, boom) || errors.Is(err, models.ErrBadInput) {
			t.Errorf("cut %d: err = %v, want wrapped %v and not bad input", cut, err, boom)
		}
	}
}

// TestDataReadError: an I/O error in the data is returned with the whole
// frames read before it, then repeated.
func TestDataReadError(t *testing.T) {
	t.Parallel()
	boom := errors.New("connection reset")
	file := buildWAV(wavSpec{tag: TagPCM, channels: 2, rate: 8000, bits: 16, data: make([]byte, 400)})
	r := io.MultiReader(bytes.NewReader(file[:44+42]), iotest.ErrReader(boom))
	d, err := NewDecoder(r, -1)
	if err != nil {
		t.Fatal(err)
	}
	dst := make([]float32, 200)
	n, err := d.Read(dst)
	if n != 10 || !errors.Is(err, boom) || errors.Is(err, models.ErrBadInput) {
		t.Fatalf("Read = %d, %v; want 10 frames and wrapped %v", n, err, boom)
	}
	if n, err := d.Read(dst); n != 0 || !errors.Is(err, boom) {
		t.Fatalf("second Read = %d, %v; want 0 and the same error", n, err)
	}
	if d.Truncated() != nil {
		t.Fatal("Truncated() set on an I/O error")
	}
}

func TestReadShortBuffer(t *testing.T) {
	t.Parallel()
	file := buildWAV(wavSpec{tag: TagPCM, channels: 6, rate: 8000, bits: 16, data: make([]byte, 120)})
	d, err := NewDecoder(bytes.NewReader(file), int64(len(file)))
	if err != nil {
		t.Fatal(err)
	}
	if n, err := d.Read(make([]float32, 5)); n != 0 || err != io.ErrShortBuffer {
		t.Fatalf("Read(5 samples of 6 channels) = %d, %v", n, err)
	}
	if n, err := d.Read(nil); n != 0 || err != nil {
		t.Fatalf("Read(nil) = %d, %v", n, err)
	}
	if n, err := d.Read(make([]float32, 1000)); n != 10 || err != nil {
		t.Fatalf("Read = %d, %v; want all 10 frames", n, err)
	}
	if n, err := d.Read(make([]float32, 1000)); n != 0 || err != io.EOF {
		t.Fatalf("Read at end = %d, %v", n, err)
	}
}

// TestReadBufferBounded: a huge dst does not make the decoder allocate a
// buffer of the same size.
func TestReadBufferBounded(t *testing.T) {
	t.Parallel()
	file := buildWAV(wavSpec{tag: TagIEEEFloat, channels: 2, rate: 8000, bits: 64, data: make([]byte, 1<<20)})
	d, err := NewDecoder(bytes.NewReader(file), int64(len(file)))
	if err != nil {
		t.Fatal(err)
	}
	dst := make([]float32, 1<<20)
	n, err := d.Read(dst)
	if err != nil || n != maxBufBytes/16 {
		t.Fatalf("Read = %d, %v; want %d frames (buffer bound)", n, err, maxBufBytes/16)
	}
	if cap(d.buf) > maxBufBytes {
		t.Fatalf("buffer grew to %d bytes", cap(d.buf))
	}
}

func TestDecodeAllocations(t *testing.T) {
	file := buildWAV(wavSpec{tag: TagMuLaw, channels: 2, rate: 8000, bits: 8, data: make([]byte, 80000)})
	dst := make([]float32, 2048)
	allocs := testing.AllocsPerRun(20, func() {
		d, err := NewDecoder(bytes.NewReader(file), int64(len(file)))
		if err != nil {
			t.Fatal(err)
		}
		for {
			if _, err := d.Read(dst); err != nil {
				break
			}
		}
	})
	// the reader, the decoder and its byte buffer; not one per block
	if allocs > 3 {
		t.Fatalf("%v allocations per decode, want <= 3", allocs)
	}
}

// TestPipe: an *os.File on a pipe is an io.Seeker whose Seek fails; the
// decoder must fall back to discarding unknown chunks.
func TestPipe(t *testing.T) {
	t.Parallel()
	v := makeVariant(TagMuLaw, 8, 2, 500, 5)
	file := buildWAV(wavSpec{tag: TagMuLaw, channels: 2, rate: 8000, bits: 8, data: v.data,
		before: [][]byte{chunk("LIST", make([]byte, 5001))}})
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	go func() {
		pw.Write(file)
		pw.Close()
	}()
	_, got, _ := decodeAll(t, pr, -1, 100)
	if !slices.Equal(got, v.want) {
		t.Fatal("samples differ when decoding from a pipe")
	}
}

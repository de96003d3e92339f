package decode

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// Why this package has its own decoder instead of github.com/go-audio/wav
// (v1.1.0), which we still use to write PCM and to cross-check PCM16/24:
//
//   - it never checks the format tag: mu-law and A-law come back as raw code
//     bytes and IEEE float as integer bit patterns, without an error;
//   - it reads sample by sample through binary.Read (2.4 million read calls
//     for a 5-minute call, 8-10x slower than one bulk read per block);
//   - a reader that returns short reads, as an HTTP object stream does,
//     silently corrupts the samples;
//   - an odd-length data chunk turns its pad byte into a sample;
//   - it allocates whatever a chunk header claims (4 GiB and 76 s for a 3 KB
//     file whose LIST chunk says 4 GB).
//
// This decoder reads whole blocks with io.ReadFull into one reused buffer,
// converts them in tight per-codec loops (G.711 by 256-entry table lookup
// straight to float32), never sizes an allocation from a header field, and
// reports invalid input (*FormatError) apart from valid-but-unsupported
// input (*UnsupportedError), like image/png.

// Format tags this package decodes (after resolving WAVE_FORMAT_EXTENSIBLE).
const (
	TagPCM        uint16 = 0x0001
	TagIEEEFloat  uint16 = 0x0003
	TagALaw       uint16 = 0x0006
	TagMuLaw      uint16 = 0x0007
	TagExtensible uint16 = 0xFFFE
)

// MaxChannels is the largest channel count accepted; more is treated as a
// corrupt header.
const MaxChannels = 32

const (
	// maxFmtBytes is how much of a fmt chunk is parsed; the rest is skipped.
	maxFmtBytes = 64
	// maxBufBytes bounds the data read buffer whatever len(dst) is.
	maxBufBytes = 64 << 10
	// scratchBytes is the fixed buffer used to read small chunks and to
	// discard unknown chunks from readers that cannot seek.
	scratchBytes = 1024
)

// guidSuffix is the common tail of the KSDATAFORMAT_SUBTYPE_* GUIDs whose
// first two bytes carry a plain WAVE format tag.
var guidSuffix = [14]byte{0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71}

// codecNames names common tags in UnsupportedError messages.
var codecNames = map[uint16]string{
	0x0000: "unknown",
	0x0002: "MS ADPCM",
	0x0010: "OKI ADPCM",
	0x0011: "IMA ADPCM",
	0x0014: "Yamaha G.723 ADPCM",
	0x0017: "Dialogic OKI ADPCM",
	0x0022: "DSP Group TrueSpeech",
	0x0031: "GSM 6.10",
	0x0040: "G.721 ADPCM",
	0x0042: "G.723.1",
	0x0045: "G.726 ADPCM",
	0x0050: "MPEG audio",
	0x0055: "MP3",
	0x0064: "Dialogic G.726 ADPCM",
	0x0065: "G.722 ADPCM",
	0x00FF: "AAC",
	0x0161: "WMA",
	0x1610: "HE-AAC",
	0x6C75: "mu-law (ulaw tag)",
}

// sampleKind selects the conversion loop; chosen once per stream.
type sampleKind uint8

const (
	kindU8 sampleKind = iota + 1
	kindS16
	kindS24
	kindS32
	kindF32
	kindF64
	kindALaw
	kindMuLaw
)

// Format describes a decoded WAV stream.
type Format struct {
	Tag           uint16 // resolved format tag: 1 PCM, 3 IEEE float, 6 A-law, 7 mu-law (EXTENSIBLE resolved)
	Codec         string // ffmpeg-style name: pcm_u8, pcm_s16le, pcm_s24le, pcm_s32le, pcm_f32le, pcm_f64le, pcm_alaw, pcm_mulaw
	SampleRate    int
	Channels      int
	BitsPerSample int
	BlockAlign    int   // bytes per frame
	DataBytes     int64 // declared data size; -1 when the header says "read to end" (0 / 0xFFFFFFFF / RF64 unknown)
	RF64          bool
}

// Frames returns the number of whole frames the header declares, or -1 if
// the data size is unknown.
func (f Format) Frames() int64 {
	if f.DataBytes < 0 || f.BlockAlign <= 0 {
		return -1
	}
	return f.DataBytes / int64(f.BlockAlign)
}

// Duration returns the declared length in seconds, or 0 if unknown.
func (f Format) Duration() float64 {
	n := f.Frames()
	if n < 0 || f.SampleRate <= 0 {
		return 0
	}
	return float64(n) / float64(f.SampleRate)
}

// Decoder streams the samples of one WAV recording. It is not safe for
// concurrent use.
type Decoder struct {
	r    io.Reader
	size int64 // total stream size, -1 if unknown
	pos  int64 // bytes consumed from r (header parsing only)

	f    Format
	kind sampleKind

	remaining  int64 // data bytes still expected; -1 when reading to EOF
	got        int64 // data bytes read so far
	framesRead int64
	buf        []byte // reused data buffer, at most maxBufBytes
	err        error  // sticky: io.EOF or a read error
	trunc      *TruncatedError

	noSeek  bool // r is not an io.Seeker, or its Seek failed (a pipe)
	seeked  bool // the last chunk was skipped by Seek, maybe past the end
	scratch [scratchBytes]byte
}

// NewDecoder reads the header up to the start of the data chunk. size is the
// total byte size of the stream when known (file size, object size), or -1;
// when known, chunks before the data chunk that claim more bytes than the
// stream holds are rejected at once. Unknown chunks are skipped with Seek
// when r is an io.Seeker, else read into a small fixed buffer and dropped.
//
// Errors for unusable input are models.ErrBadInput (errors.Is); other
// errors come from r.
func NewDecoder(r io.Reader, size int64) (*Decoder, error) {
	if size < 0 {
		size = -1
	}
	d := &Decoder{r: r, size: size}
	if err := d.readHeader(); err != nil {
		return nil, err
	}
	return d, nil
}

// Format returns the stream's format.
func (d *Decoder) Format() Format { return d.f }

// FramesRead returns the number of frames returned by Read so far.
func (d *Decoder) FramesRead() int64 { return d.framesRead }

// Truncated returns nil unless the data chunk ended before its declared
// size. It is meaningful once Read has returned io.EOF.
func (d *Decoder) Truncated() *TruncatedError { return d.trunc }

// Read decodes up to len(dst)/Channels whole frames of interleaved float32
// samples into dst and returns the number of frames. Integer and G.711
// samples are scaled to [-1, 1) exactly as ffmpeg converts them to float;
// float samples are passed through. Read returns 0, io.EOF at the end of the
// data, including after a truncated data chunk (see Truncated). A read error
// from the underlying reader is returned wrapped, together with the whole
// frames decoded before it, and is repeated by later calls.
//
// The internal byte buffer is reused between calls; its size follows
// len(dst) up to a fixed bound, never a header field.
func (d *Decoder) Read(dst []float32) (frames int, err error) {
	if d.err != nil {
		return 0, d.err
	}
	if len(dst) == 0 {
		return 0, nil
	}
	ba := d.f.BlockAlign
	n := len(dst) / d.f.Channels
	if n == 0 {
		return 0, io.ErrShortBuffer
	}
	n = min(n, maxBufBytes/ba)
	if cap(d.buf) < n*ba {
		d.buf = make([]byte, n*ba)
	}
	for {
		if d.remaining == 0 {
			d.err = io.EOF
			return 0, io.EOF
		}
		want := int64(n * ba)
		if d.remaining > 0 && d.remaining < want {
			want = d.remaining
		}
		got, rerr := io.ReadFull(d.r, d.buf[:want])
		d.got += int64(got)
		if d.remaining > 0 {
			d.remaining -= int64(got)
		}
		whole := got / ba
		d.convert(dst[:whole*d.f.Channels], d.buf[:whole*ba])
		d.framesRead += int64(whole)
		if rerr != nil {
			if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
				if d.remaining > 0 {
					d.trunc = &TruncatedError{Got: d.got, Want: d.f.DataBytes}
				}
				d.err = io.EOF
				if whole == 0 {
					return 0, io.EOF
				}
				return whole, nil
			}
			d.err = fmt.Errorf("decode: read data: %w", rerr)
			return whole, d.err
		}
		if whole > 0 {
			return whole, nil
		}
		// Only the partial frame at the declared end of the data was
		// read: it is dropped and the next loop reports io.EOF.
	}
}

// convert decodes whole frames from src into dst (len(dst) samples). The
// codec switch runs once per block; each loop is a plain pass over bytes.
func (d *Decoder) convert(dst []float32, src []byte) {
	switch d.kind {
	case kindMuLaw:
		dst = dst[:len(src)]
		for i, b := range src {
			dst[i] = muLawToFloat[b]
		}
	case kindALaw:
		dst = dst[:len(src)]
		for i, b := range src {
			dst[i] = aLawToFloat[b]
		}
	case kindU8:
		dst = dst[:len(src)]
		for i, b := range src {
			dst[i] = u8ToFloat[b]
		}
	case kindS16:
		for i := range dst {
			s := src[2*i : 2*i+2 : 2*i+2]
			dst[i] = float32(int16(binary.LittleEndian.Uint16(s))) * (1.0 / 32768)
		}
	case kindS24:
		for i := range dst {
			s := src[3*i : 3*i+3 : 3*i+3]
			v := int32(uint32(s[0])<<8|uint32(s[1])<<16|uint32(s[2])<<24) >> 8
			dst[i] = float32(v) * (1.0 / 8388608)
		}
	case kindS32:
		for i := range dst {
			s := src[4*i : 4*i+4 : 4*i+4]
			dst[i] = float32(int32(binary.LittleEndian.Uint32(s))) * (1.0 / 2147483648)
		}
	case kindF32:
		for i := range dst {
			s := src[4*i : 4*i+4 : 4*i+4]
			dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(s))
		}
	case kindF64:
		for i := range dst {
			s := src[8*i : 8*i+8 : 8*i+8]
			dst[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(s)))
		}
	}
}

// readHeader parses the RIFF/RF64 header and chunks up to the data chunk.
func (d *Decoder) readHeader() error {
	h := d.scratch[:12]
	if err := d.readFull(h, "RIFF header"); err != nil {
		return err
	}
	rf64 := false
	switch string(h[0:4]) {
	case "RIFF":
	case "RF64", "BW64":
		rf64 = true
	case "RIFX", "FFIR":
		return unsupportedf("big-endian RIFX file")
	default:
		return formatErrorf("not a RIFF file (starts with %q)", h[0:4])
	}
	if string(h[8:12]) != "WAVE" {
		return formatErrorf("RIFF form type %q is not WAVE", h[8:12])
	}

	var (
		haveFmt   bool
		ds64Data  int64 = -1
		fmtFields fmtChunk
		id        [4]byte // current chunk ID; formatted only for errors
		haveID    bool
	)
	after := func() string {
		if !haveID {
			return "the RIFF header"
		}
		return chunkName(id)
	}
	for {
		h = d.scratch[:8]
		if err := d.readFull(h, "chunk header"); err != nil {
			var fe *FormatError
			if errors.As(err, &fe) {
				if d.seeked {
					// Seek does not notice the end of the stream:
					// report a chunk that overran it as the
					// discarding path does.
					if s, ok := d.r.(io.Seeker); ok {
						if end, serr := s.Seek(0, io.SeekEnd); serr == nil && end < d.pos {
							return formatErrorf("truncated %s at byte %d", after(), end)
						}
					}
				}
				if !haveFmt {
					return formatErrorf("no fmt chunk (stream ended at byte %d after %s)", d.pos, after())
				}
				return formatErrorf("no data chunk (stream ended at byte %d after %s)", d.pos, after())
			}
			return err
		}
		copy(id[:], h[0:4])
		haveID = true
		csize := int64(binary.LittleEndian.Uint32(h[4:8]))
		if id == [4]byte{'d', 'a', 't', 'a'} {
			if !haveFmt {
				return formatErrorf("no fmt chunk before the data chunk")
			}
			return d.startData(fmtFields, csize, rf64, ds64Data)
		}
		if d.size >= 0 && csize > d.size-d.pos {
			return formatErrorf("%s at byte %d claims %d bytes but the stream has only %d left", chunkName(id), d.pos-8, csize, d.size-d.pos)
		}
		pad := csize & 1
		switch id {
		case [4]byte{'f', 'm', 't', ' '}:
			if csize < 16 {
				return formatErrorf("fmt chunk too small (%d bytes, want at least 16)", csize)
			}
			n := min(csize, maxFmtBytes)
			b := d.scratch[:n]
			if err := d.readFull(b, "fmt chunk"); err != nil {
				return err
			}
			f, err := parseFmt(b, csize)
			if err != nil {
				return err
			}
			fmtFields, haveFmt = f, true
			if err := d.skip(csize-n+pad, id); err != nil {
				return err
			}
		case [4]byte{'d', 's', '6', '4'}:
			if csize < 16 {
				return formatErrorf("ds64 chunk too small (%d bytes, want at least 16)", csize)
			}
			b := d.scratch[:16]
			if err := d.readFull(b, "ds64 chunk"); err != nil {
				return err
			}
			ds64Data = int64(binary.LittleEndian.Uint64(b[8:16]))
			if err := d.skip(csize-16+pad, id); err != nil {
				return err
			}
		default:
			if err := d.skip(csize+pad, id); err != nil {
				return err
			}
		}
	}
}

// chunkName formats a chunk ID for messages: chunk "LIST".
func chunkName(id [4]byte) string { return fmt.Sprintf("chunk %q", id[:]) }

// fmtChunk holds the fields of a fmt chunk that matter for decoding.
type fmtChunk struct {
	tag        uint16 // resolved through the EXTENSIBLE sub-format
	channels   int
	rate       int
	blockAlign int
	bits       int
}

// parseFmt parses and validates the first min(size, maxFmtBytes) bytes of
// a fmt chunk.
func parseFmt(b []byte, size int64) (fmtChunk, error) {
	f := fmtChunk{
		tag:        binary.LittleEndian.Uint16(b[0:2]),
		channels:   int(binary.LittleEndian.Uint16(b[2:4])),
		rate:       int(binary.LittleEndian.Uint32(b[4:8])),
		blockAlign: int(binary.LittleEndian.Uint16(b[12:14])),
		bits:       int(binary.LittleEndian.Uint16(b[14:16])),
	}
	if f.tag == TagExtensible {
		if size < 40 {
			return f, formatErrorf("WAVE_FORMAT_EXTENSIBLE fmt chunk too small (%d bytes, want 40)", size)
		}
		guid := b[24:40]
		if !bytes.Equal(guid[2:], guidSuffix[:]) {
			return f, unsupportedf("WAVE_FORMAT_EXTENSIBLE sub-format GUID %x", guid)
		}
		f.tag = binary.LittleEndian.Uint16(guid[0:2])
		if f.tag == TagExtensible {
			return f, formatErrorf("WAVE_FORMAT_EXTENSIBLE sub-format is itself EXTENSIBLE")
		}
	}
	switch {
	case f.channels == 0:
		return f, formatErrorf("zero channels")
	case f.channels > MaxChannels:
		return f, formatErrorf("absurd channel count %d (max %d)", f.channels, MaxChannels)
	case f.rate == 0:
		return f, formatErrorf("zero sample rate")
	}
	return f, nil
}

// codecFor resolves the sample conversion of a validated fmt chunk.
func codecFor(f fmtChunk) (sampleKind, string, int, error) {
	switch f.tag {
	case TagPCM:
		switch (f.bits + 7) / 8 {
		case 0:
			return 0, "", 0, formatErrorf("PCM with 0 bits per sample")
		case 1:
			return kindU8, "pcm_u8", 1, nil
		case 2:
			return kindS16, "pcm_s16le", 2, nil
		case 3:
			return kindS24, "pcm_s24le", 3, nil
		case 4:
			return kindS32, "pcm_s32le", 4, nil
		}
		return 0, "", 0, unsupportedf("PCM with %d bits per sample", f.bits)
	case TagIEEEFloat:
		switch f.bits {
		case 32:
			return kindF32, "pcm_f32le", 4, nil
		case 64:
			return kindF64, "pcm_f64le", 8, nil
		}
		return 0, "", 0, unsupportedf("IEEE float with %d bits per sample", f.bits)
	case TagALaw, TagMuLaw:
		if f.bits != 8 {
			return 0, "", 0, unsupportedf("G.711 with %d bits per sample", f.bits)
		}
		if f.tag == TagALaw {
			return kindALaw, "pcm_alaw", 1, nil
		}
		return kindMuLaw, "pcm_mulaw", 1, nil
	}
	name, ok := codecNames[f.tag]
	if !ok {
		name = "unknown"
	}
	return 0, "", 0, unsupportedf("codec 0x%04X (%s)", f.tag, name)
}

// startData fills in the Format once the data chunk header has been read.
func (d *Decoder) startData(f fmtChunk, csize int64, rf64 bool, ds64Data int64) error {
	kind, codec, bytesPerSample, err := codecFor(f)
	if err != nil {
		return err
	}
	if want := f.channels * bytesPerSample; f.blockAlign != want {
		return formatErrorf("block align %d inconsistent with %d channels of %d bits (want %d)",
			f.blockAlign, f.channels, f.bits, want)
	}
	declared := csize
	switch {
	case rf64 && csize == 0xFFFFFFFF:
		declared = ds64Data
		if declared <= 0 || uint64(declared) == 0xFFFFFFFFFFFFFFFF {
			declared = -1
		}
	case csize == 0 || csize == 0xFFFFFFFF:
		declared = -1
	}
	d.kind = kind
	d.f = Format{
		Tag:           f.tag,
		Codec:         codec,
		SampleRate:    f.rate,
		Channels:      f.channels,
		BitsPerSample: f.bits,
		BlockAlign:    f.blockAlign,
		DataBytes:     declared,
		RF64:          rf64,
	}
	d.remaining = declared
	return nil
}

// readFull reads len(b) header bytes.
func (d *Decoder) readFull(b []byte, what string) error {
	n, err := io.ReadFull(d.r, b)
	d.pos += int64(n)
	if err != nil {
		return d.headerErr(err, what)
	}
	d.seeked = false
	return nil
}

// headerErr classifies a read error inside the header: running out of
// input is a *FormatError naming what was being read; other errors, which
// may be transient, are wrapped.
func (d *Decoder) headerErr(err error, what string) error {
	switch {
	case err == io.EOF && d.pos == 0:
		return formatErrorf("empty input")
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		return formatErrorf("truncated %s at byte %d", what, d.pos)
	}
	return fmt.Errorf("decode: read %s: %w", what, err)
}

// skip drops n bytes of chunk id, by Seek when r supports it, otherwise by
// reading them into the fixed scratch buffer.
func (d *Decoder) skip(n int64, id [4]byte) error {
	if n <= 0 {
		return nil
	}
	if s, ok := d.r.(io.Seeker); ok && !d.noSeek {
		if _, err := s.Seek(n, io.SeekCurrent); err == nil {
			d.pos += n
			d.seeked = true
			return nil
		}
		// An *os.File on a pipe is an io.Seeker whose Seek fails
		// without moving: discard instead, from now on.
		d.noSeek = true
	}
	d.seeked = false
	for n > 0 {
		k := min(n, int64(len(d.scratch)))
		got, err := io.ReadFull(d.r, d.scratch[:k])
		d.pos += int64(got)
		if err != nil {
			return d.headerErr(err, chunkName(id))
		}
		n -= k
	}
	return nil
}

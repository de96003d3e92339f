package decode

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
)

// wavSpec describes a WAV file built byte by byte by buildWAV, so tests can
// produce every header variant, including broken ones.
type wavSpec struct {
	id         string // "RIFF" (default), "RF64"
	riffSize   *uint32
	tag        uint16
	channels   int
	rate       int
	bits       int
	blockAlign int    // 0: channels*ceil(bits/8)
	extensible bool   // write WAVE_FORMAT_EXTENSIBLE with tag as sub-format
	guid       []byte // override the sub-format GUID
	fmtExtra   []byte // bytes appended to a plain fmt chunk (cbSize...)
	before     [][]byte
	after      [][]byte // chunks after the data chunk
	dataSize   *uint32  // override the data chunk size field
	ds64Data   *uint64  // RF64: ds64 data size (default len(data))
	noFmt      bool
	data       []byte
}

func u32p(v uint32) *uint32 { return &v }
func u64p(v uint64) *uint64 { return &v }

// chunk returns a RIFF chunk with its pad byte when the payload is odd.
func chunk(id string, payload []byte) []byte {
	return rawChunk(id, uint32(len(payload)), payload, len(payload)%2 == 1)
}

// rawChunk returns a chunk whose size field may lie about the payload.
func rawChunk(id string, size uint32, payload []byte, pad bool) []byte {
	b := append([]byte(id), 0, 0, 0, 0)
	binary.LittleEndian.PutUint32(b[4:], size)
	b = append(b, payload...)
	if pad {
		b = append(b, 0)
	}
	return b
}

func le16(b []byte, v int) []byte { return binary.LittleEndian.AppendUint16(b, uint16(v)) }
func le32(b []byte, v int) []byte { return binary.LittleEndian.AppendUint32(b, uint32(v)) }

func fmtPayload(s wavSpec) []byte {
	ba := s.blockAlign
	if ba == 0 {
		ba = s.channels * ((s.bits + 7) / 8)
	}
	tag := int(s.tag)
	if s.extensible {
		tag = int(TagExtensible)
	}
	var p []byte
	p = le16(p, tag)
	p = le16(p, s.channels)
	p = le32(p, s.rate)
	p = le32(p, s.rate*ba)
	p = le16(p, ba)
	p = le16(p, s.bits)
	if s.extensible {
		p = le16(p, 22)
		p = le16(p, s.bits)          // valid bits
		p = le32(p, 1<<s.channels-1) // channel mask
		if s.guid != nil {
			p = append(p, s.guid...)
		} else {
			p = le16(p, int(s.tag))
			p = append(p, guidSuffix[:]...)
		}
	}
	return append(p, s.fmtExtra...)
}

func buildWAV(s wavSpec) []byte {
	id := s.id
	if id == "" {
		id = "RIFF"
	}
	var body []byte
	body = append(body, "WAVE"...)
	if id == "RF64" {
		var p []byte
		p = binary.LittleEndian.AppendUint64(p, 0) // RIFF size, patched below
		dl := uint64(len(s.data))
		if s.ds64Data != nil {
			dl = *s.ds64Data
		}
		p = binary.LittleEndian.AppendUint64(p, dl)
		p = binary.LittleEndian.AppendUint64(p, 0) // sample count
		p = le32(p, 0)                             // table length
		body = append(body, chunk("ds64", p)...)
	}
	for _, c := range s.before {
		body = append(body, c...)
	}
	if !s.noFmt {
		body = append(body, chunk("fmt ", fmtPayload(s))...)
	}
	size := uint32(len(s.data))
	if id == "RF64" {
		size = 0xFFFFFFFF
	}
	if s.dataSize != nil {
		size = *s.dataSize
	}
	body = append(body, rawChunk("data", size, s.data, len(s.data)%2 == 1)...)
	for _, c := range s.after {
		body = append(body, c...)
	}
	out := append([]byte(id), 0, 0, 0, 0)
	rs := uint32(len(body))
	if id == "RF64" {
		rs = 0xFFFFFFFF
		binary.LittleEndian.PutUint64(body[12:], uint64(len(body)))
	}
	if s.riffSize != nil {
		rs = *s.riffSize
	}
	binary.LittleEndian.PutUint32(out[4:], rs)
	return append(out, body...)
}

// chunkyReader returns 1 to 7 bytes per Read, like a slow network stream.
type chunkyReader struct {
	r   io.Reader
	rng *rand.Rand
}

func newChunkyReader(b []byte, seed uint64) io.Reader {
	return &chunkyReader{r: bytes.NewReader(b), rng: rand.New(rand.NewPCG(seed, 7))}
}

func (c *chunkyReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n := 1 + c.rng.IntN(7)
	return c.r.Read(p[:min(n, len(p))])
}

// decodeAll decodes r completely, reading dstFrames frames per call (plus
// one spare sample, so dst is never an exact multiple of the channels).
func decodeAll(t testing.TB, r io.Reader, size int64, dstFrames int) (Format, []float32, *Decoder) {
	t.Helper()
	d, err := NewDecoder(r, size)
	if err != nil {
		t.Fatalf("NewDecoder: %v", err)
	}
	f := d.Format()
	dst := make([]float32, dstFrames*f.Channels+1)
	var out []float32
	for {
		n, err := d.Read(dst)
		if n*f.Channels > len(dst) {
			t.Fatalf("Read returned %d frames for %d samples", n, len(dst))
		}
		out = append(out, dst[:n*f.Channels]...)
		if errors.Is(err, io.EOF) {
			if n != 0 {
				t.Fatalf("Read returned %d frames with io.EOF", n)
			}
			break
		}
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		if n == 0 {
			t.Fatal("Read returned 0 frames without error")
		}
	}
	if got := d.FramesRead(); got != int64(len(out)/f.Channels) {
		t.Fatalf("FramesRead = %d, decoded %d", got, len(out)/f.Channels)
	}
	return f, out, d
}

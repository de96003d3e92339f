package asr

import (
	"bufio"
	"encoding/binary"
	"errors"
	"math"
	"os"

	"github.com/callqa/callqa/pipeline/analyse"
	"github.com/callqa/callqa/pipeline/decode"
)

// wavHeaderBytes is the size of the canonical PCM WAV header written here.
const wavHeaderBytes = 44

// wavHeader is the header of a mono 16-bit PCM WAV file of dataBytes bytes
// of samples at rate Hz.
func wavHeader(rate int, dataBytes int64) [wavHeaderBytes]byte {
	var h [wavHeaderBytes]byte
	copy(h[0:], "RIFF")
	binary.LittleEndian.PutUint32(h[4:], uint32(36+dataBytes))
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], decode.TagPCM)
	binary.LittleEndian.PutUint16(h[22:], 1)
	binary.LittleEndian.PutUint32(h[24:], uint32(rate))
	binary.LittleEndian.PutUint32(h[28:], uint32(rate*2))
	binary.LittleEndian.PutUint16(h[32:], 2)
	binary.LittleEndian.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], uint32(dataBytes))
	return h
}

// wavWriter streams mono 16-bit PCM into a WAV file, resampling on the way
// when asked, and patches the sizes in the header when closed.
// (decode.WritePCM16 wants every sample in memory at once; a long call is
// better streamed.)
type wavWriter struct {
	f     *os.File
	bw    *bufio.Writer
	rs    *analyse.Resampler // nil: samples written as they come
	rate  int                // of the file
	bytes int64
	buf   []byte
	out   []float32
}

// newWAVWriter writes samples at rate into f, resampled from inRate.
func newWAVWriter(f *os.File, inRate, rate int) (*wavWriter, error) {
	w := &wavWriter{f: f, bw: bufio.NewWriterSize(f, 64<<10), rate: rate}
	if inRate != rate {
		rs, err := analyse.NewResampler(inRate, rate)
		if err != nil {
			return nil, err
		}
		w.rs = rs
	}
	h := wavHeader(rate, 0)
	_, err := w.bw.Write(h[:])
	return w, err
}

// write appends samples in [-1, 1].
func (w *wavWriter) write(samples []float32) error {
	if w.rs != nil {
		w.out = w.rs.Write(samples, w.out[:0])
		samples = w.out
	}
	return w.put(samples)
}

// put scales samples to int16 (clamped) and writes them.
func (w *wavWriter) put(samples []float32) error {
	if cap(w.buf) < 2*len(samples) {
		w.buf = make([]byte, 2*len(samples))
	}
	b := w.buf[:2*len(samples)]
	for i, s := range samples {
		v := math.Round(float64(s) * 32768)
		v = max(-32768, min(32767, v))
		binary.LittleEndian.PutUint16(b[2*i:], uint16(int16(v)))
	}
	n, err := w.bw.Write(b)
	w.bytes += int64(n)
	return err
}

// samples is the number of samples written to the file.
func (w *wavWriter) samples() int64 { return w.bytes / 2 }

// close flushes, patches the RIFF and data sizes and closes the file.
func (w *wavWriter) close() error {
	if w.rs != nil {
		if err := w.put(w.rs.Flush(w.out[:0])); err != nil {
			return err
		}
	}
	if err := w.bw.Flush(); err != nil {
		return err
	}
	if w.bytes > math.MaxUint32-36 {
		return errors.New("channel longer than a WAV file can hold")
	}
	h := wavHeader(w.rate, w.bytes)
	if _, err := w.f.WriteAt(h[:], 0); err != nil {
		return err
	}
	return w.f.Close()
}

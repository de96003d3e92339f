package decode

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// Writer streams a WAV file from interleaved samples: 16-bit PCM (a
// canonical 44-byte header, as sox and ffmpeg write it) or G.711 mu-law
// or A-law (an 18-byte fmt chunk and a fact chunk, as sox writes them).
// It holds one block of bytes, whatever the length; Close patches the
// sizes in the header, so the destination must seek. It is callqa's one
// WAV writer: the workbench's playback, the transcription uploads, the
// sample generator and the tests write through it (go-audio/wav stays in
// the tests only, as an independent reader of what it writes).
type Writer struct {
	w        io.WriteSeeker
	bw       *bufio.Writer
	codec    string
	rate     int
	channels int
	samples  int64 // samples written (all channels)
	buf      []byte
	err      error
}

// NewWriter writes the header of a WAV stream of codec (CodecPCM16,
// CodecMuLaw or CodecALaw) at sampleRate with channels channels to w.
func NewWriter(w io.WriteSeeker, codec string, sampleRate, channels int) (*Writer, error) {
	switch {
	case codec != CodecPCM16 && codec != CodecMuLaw && codec != CodecALaw:
		return nil, fmt.Errorf("wav writer: codec %q: want %s, %s or %s", codec, CodecPCM16, CodecMuLaw, CodecALaw)
	case sampleRate <= 0:
		return nil, fmt.Errorf("wav writer: sample rate %d must be positive", sampleRate)
	case channels <= 0 || channels > MaxChannels:
		return nil, fmt.Errorf("wav writer: channels %d out of range 1..%d", channels, MaxChannels)
	}
	wr := &Writer{w: w, bw: bufio.NewWriterSize(w, 64<<10), codec: codec, rate: sampleRate, channels: channels}
	if _, err := wr.bw.Write(wr.header(0)); err != nil {
		return nil, fmt.Errorf("wav writer: %w", err)
	}
	return wr, nil
}

// Codecs the Writer writes (Format.Codec names).
const (
	CodecPCM16 = "pcm_s16le"
	CodecMuLaw = "pcm_mulaw"
	CodecALaw  = "pcm_alaw"
)

// PCM16HeaderBytes is the size of PCM16Header.
const PCM16HeaderBytes = 44

// PCM16Header is the 44-byte header of a canonical 16-bit PCM WAV file of
// dataBytes bytes of samples (a Writer's, or one cut from it: a piece of a
// file served or uploaded with its own header).
func PCM16Header(sampleRate, channels int, dataBytes int64) []byte {
	le := binary.LittleEndian
	data := uint32(dataBytes)
	h := make([]byte, 0, PCM16HeaderBytes)
	h = append(h, "RIFF"...)
	h = le.AppendUint32(h, 36+data)
	h = append(h, "WAVEfmt "...)
	h = le.AppendUint32(h, 16)
	h = le.AppendUint16(h, TagPCM)
	h = le.AppendUint16(h, uint16(channels))
	h = le.AppendUint32(h, uint32(sampleRate))
	h = le.AppendUint32(h, uint32(sampleRate*channels*2))
	h = le.AppendUint16(h, uint16(channels*2))
	h = le.AppendUint16(h, 16)
	h = append(h, "data"...)
	return le.AppendUint32(h, data)
}

// header is the file's header for samples samples.
func (w *Writer) header(samples int64) []byte {
	le := binary.LittleEndian
	if w.codec == CodecPCM16 {
		return PCM16Header(w.rate, w.channels, 2*samples)
	}
	tag := uint16(TagMuLaw)
	if w.codec == CodecALaw {
		tag = TagALaw
	}
	data := uint32(samples)
	h := make([]byte, 0, 58)
	h = append(h, "RIFF"...)
	h = le.AppendUint32(h, 4+(8+18)+(8+4)+(8+data+data%2))
	h = append(h, "WAVEfmt "...)
	h = le.AppendUint32(h, 18)
	h = le.AppendUint16(h, tag)
	h = le.AppendUint16(h, uint16(w.channels))
	h = le.AppendUint32(h, uint32(w.rate))
	h = le.AppendUint32(h, uint32(w.rate*w.channels)) // byte rate
	h = le.AppendUint16(h, uint16(w.channels))        // block align
	h = le.AppendUint16(h, 8)                         // bits per sample
	h = le.AppendUint16(h, 0)                         // cbSize
	h = append(h, "fact"...)
	h = le.AppendUint32(h, 4)
	h = le.AppendUint32(h, uint32(samples/int64(w.channels)))
	h = append(h, "data"...)
	return le.AppendUint32(h, data)
}

// FloatToInt16 converts a sample in [-1, 1) to 16-bit linear, the inverse
// of the decoder's scaling (x/32768): rounded, saturating.
func FloatToInt16(v float32) int16 {
	x := math.Round(float64(v) * 32768)
	switch {
	case x > math.MaxInt16:
		return math.MaxInt16
	case x < math.MinInt16 || math.IsNaN(x):
		if math.IsNaN(x) {
			return 0
		}
		return math.MinInt16
	}
	return int16(x)
}

// WriteFloat32 appends interleaved samples in [-1, 1) (FloatToInt16).
// len(samples) must be a multiple of the channel count.
func (w *Writer) WriteFloat32(samples []float32) error {
	return w.write(len(samples), func(i int) int16 { return FloatToInt16(samples[i]) })
}

// WriteInt16 appends interleaved 16-bit samples. len(samples) must be a
// multiple of the channel count.
func (w *Writer) WriteInt16(samples []int16) error {
	return w.write(len(samples), func(i int) int16 { return samples[i] })
}

func (w *Writer) write(n int, at func(int) int16) error {
	if w.err != nil {
		return w.err
	}
	if n%w.channels != 0 {
		return fmt.Errorf("wav writer: %d samples is not a whole number of %d-channel frames", n, w.channels)
	}
	const block = 8192
	for off := 0; off < n; off += block {
		k := min(block, n-off)
		var b []byte
		switch w.codec {
		case CodecPCM16:
			b = w.buffer(2 * k)
			for i := range k {
				binary.LittleEndian.PutUint16(b[2*i:], uint16(at(off+i)))
			}
		case CodecMuLaw:
			b = w.buffer(k)
			for i := range k {
				b[i] = MuLawEncode(at(off + i))
			}
		default:
			b = w.buffer(k)
			for i := range k {
				b[i] = ALawEncode(at(off + i))
			}
		}
		if _, err := w.bw.Write(b); err != nil {
			w.err = fmt.Errorf("wav writer: %w", err)
			return w.err
		}
		w.samples += int64(k)
	}
	return nil
}

func (w *Writer) buffer(n int) []byte {
	if cap(w.buf) < n {
		w.buf = make([]byte, n)
	}
	return w.buf[:n]
}

// Frames is the number of sample frames written so far.
func (w *Writer) Frames() int64 { return w.samples / int64(w.channels) }

// Close flushes the samples, pads an odd G.711 data chunk and writes the
// final sizes into the header. It does not close the destination.
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	bytes := w.samples
	if w.codec == CodecPCM16 {
		bytes *= 2
	} else if bytes%2 == 1 {
		if err := w.bw.WriteByte(0); err != nil {
			return fmt.Errorf("wav writer: %w", err)
		}
	}
	if bytes > math.MaxUint32-64 {
		return errors.New("wav writer: longer than a WAV file can hold")
	}
	if err := w.bw.Flush(); err != nil {
		return fmt.Errorf("wav writer: %w", err)
	}
	end, err := w.w.Seek(0, io.SeekCurrent)
	if err != nil {
		return fmt.Errorf("wav writer: %w", err)
	}
	if _, err := w.w.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("wav writer: %w", err)
	}
	if _, err := w.w.Write(w.header(w.samples)); err != nil {
		return fmt.Errorf("wav writer: %w", err)
	}
	if _, err := w.w.Seek(end, io.SeekStart); err != nil {
		return fmt.Errorf("wav writer: %w", err)
	}
	return nil
}

// WritePCM16 writes interleaved 16-bit samples held in memory as a
// canonical PCM WAV file (a Writer, for tests and small files).
func WritePCM16(w io.WriteSeeker, sampleRate, channels int, interleaved []int16) error {
	wr, err := NewWriter(w, CodecPCM16, sampleRate, channels)
	if err != nil {
		return fmt.Errorf("write pcm16: %w", err)
	}
	if err := wr.WriteInt16(interleaved); err != nil {
		return fmt.Errorf("write pcm16: %w", err)
	}
	return wr.Close()
}

// Each reads the rest of the stream in blocks of up to blockFrames
// frames of interleaved samples and calls fn with each (the same buffer,
// reused: fn must not keep it), checking ctx between blocks. It returns
// nil at the end of the data, ctx's error, fn's error, or the decoder's.
func (d *Decoder) Each(ctx context.Context, blockFrames int, fn func(block []float32) error) error {
	buf := make([]float32, max(1, blockFrames)*d.Format().Channels)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := d.Read(buf)
		if n > 0 {
			if ferr := fn(buf[:n*d.Format().Channels]); ferr != nil {
				return ferr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

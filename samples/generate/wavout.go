package main

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"math"
	"os"

	"github.com/go-audio/audio"
	"github.com/go-audio/wav"
)

// Output encodings of a sample call.
const (
	formatPCM16 = "pcm16"
	formatMuLaw = "mulaw"
	formatALaw  = "alaw"
)

// WAVE format tags (RFC 2361).
const (
	wavTagALaw  = 6
	wavTagMuLaw = 7
)

// toInt16 converts a float sample in [-1, 1] to 16-bit linear, saturating.
func toInt16(x float64) int16 {
	v := math.Round(x * 32767)
	if v > 32767 {
		v = 32767
	}
	if v < -32768 {
		v = -32768
	}
	return int16(v)
}

// writeWAV writes the channels (all the same length) interleaved to path in
// the given format at sampleRate.
func writeWAV(path, format string, sampleRate int, chans [][]float64) error {
	switch format {
	case formatPCM16:
		return writePCM16(path, sampleRate, chans)
	case formatMuLaw:
		return writeG711(path, wavTagMuLaw, linearToMuLaw, sampleRate, chans)
	case formatALaw:
		return writeG711(path, wavTagALaw, linearToALaw, sampleRate, chans)
	}
	return fmt.Errorf("write %s: unknown format %q", path, format)
}

// writePCM16 writes a 16-bit PCM WAVE file with go-audio/wav's encoder.
func writePCM16(path string, sampleRate int, chans [][]float64) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("write %s: %w", path, cerr)
		}
	}()
	n := len(chans[0])
	data := make([]int, 0, n*len(chans))
	for i := range n {
		for _, c := range chans {
			data = append(data, int(toInt16(c[i])))
		}
	}
	enc := wav.NewEncoder(f, sampleRate, 16, len(chans), 1)
	buf := &audio.IntBuffer{
		Format:         &audio.Format{NumChannels: len(chans), SampleRate: sampleRate},
		Data:           data,
		SourceBitDepth: 16,
	}
	if err := enc.Write(buf); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// writeG711 writes an 8-bit G.711 WAVE file: a plain (non-extensible) fmt
// chunk of 18 bytes with the given format tag, a fact chunk with the number
// of sample frames, and the data chunk, as sox writes them.
func writeG711(path string, tag uint16, encode func(int16) byte, sampleRate int, chans [][]float64) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("write %s: %w", path, cerr)
		}
	}()
	nch := len(chans)
	frames := len(chans[0])
	dataLen := frames * nch
	pad := dataLen % 2
	w := bufio.NewWriter(f)
	le := binary.LittleEndian
	hdr := make([]byte, 0, 58)
	hdr = append(hdr, "RIFF"...)
	hdr = le.AppendUint32(hdr, uint32(4+(8+18)+(8+4)+(8+dataLen+pad)))
	hdr = append(hdr, "WAVE"...)
	hdr = append(hdr, "fmt "...)
	hdr = le.AppendUint32(hdr, 18)
	hdr = le.AppendUint16(hdr, tag)
	hdr = le.AppendUint16(hdr, uint16(nch))
	hdr = le.AppendUint32(hdr, uint32(sampleRate))
	hdr = le.AppendUint32(hdr, uint32(sampleRate*nch)) // byte rate
	hdr = le.AppendUint16(hdr, uint16(nch))            // block align
	hdr = le.AppendUint16(hdr, 8)                      // bits per sample
	hdr = le.AppendUint16(hdr, 0)                      // cbSize
	hdr = append(hdr, "fact"...)
	hdr = le.AppendUint32(hdr, 4)
	hdr = le.AppendUint32(hdr, uint32(frames))
	hdr = append(hdr, "data"...)
	hdr = le.AppendUint32(hdr, uint32(dataLen))
	if _, err := w.Write(hdr); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	for i := range frames {
		for _, c := range chans {
			if err := w.WriteByte(encode(toInt16(c[i]))); err != nil {
				return fmt.Errorf("write %s: %w", path, err)
			}
		}
	}
	if pad == 1 {
		if err := w.WriteByte(0); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

package main

import (
	"fmt"
	"math"
	"os"

	"github.com/callqa/callqa/pipeline/decode"
)

// Output encodings of a sample call.
const (
	formatPCM16 = "pcm16"
	formatMuLaw = "mulaw"
	formatALaw  = "alaw"
)

// WAVE format tags (RFC 2361), as the tests read them back.
const (
	wavTagALaw  = int(decode.TagALaw)
	wavTagMuLaw = int(decode.TagMuLaw)
)

// codecs maps an output encoding to the decode.Writer codec.
var codecs = map[string]string{
	formatPCM16: decode.CodecPCM16,
	formatMuLaw: decode.CodecMuLaw,
	formatALaw:  decode.CodecALaw,
}

// toInt16 converts a float sample in [-1, 1] to 16-bit linear, saturating.
// It scales by 32767, not the decoder's 32768, as the committed calls were
// made: changing it would rewrite every sample by one least bit.
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
// the given format at sampleRate, through callqa's one WAV writer.
func writeWAV(path, format string, sampleRate int, chans [][]float64) (err error) {
	codec, ok := codecs[format]
	if !ok {
		return fmt.Errorf("write %s: unknown format %q", path, format)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("write %s: %w", path, cerr)
		}
	}()
	w, err := decode.NewWriter(f, codec, sampleRate, len(chans))
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	const block = 4096
	buf := make([]int16, 0, block*len(chans))
	n := len(chans[0])
	for i := 0; i < n; i += block {
		buf = buf[:0]
		for j := i; j < min(i+block, n); j++ {
			for _, c := range chans {
				buf = append(buf, toInt16(c[j]))
			}
		}
		if err := w.WriteInt16(buf); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

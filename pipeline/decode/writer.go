package decode

import (
	"fmt"
	"io"

	"github.com/go-audio/audio"
	"github.com/go-audio/wav"
)

// WritePCM16 writes interleaved 16-bit samples as a canonical PCM WAV file
// (go-audio/wav is correct for writing PCM). len(interleaved) must be a
// multiple of channels. Samples are handed to the encoder in blocks so the
// int conversion buffer stays small.
func WritePCM16(w io.WriteSeeker, sampleRate, channels int, interleaved []int16) error {
	if sampleRate <= 0 {
		return fmt.Errorf("write pcm16: sample rate %d must be positive", sampleRate)
	}
	if channels <= 0 || channels > MaxChannels {
		return fmt.Errorf("write pcm16: channels %d out of range 1..%d", channels, MaxChannels)
	}
	if len(interleaved)%channels != 0 {
		return fmt.Errorf("write pcm16: %d samples is not a multiple of %d channels", len(interleaved), channels)
	}
	enc := wav.NewEncoder(w, sampleRate, 16, channels, int(TagPCM))
	format := &audio.Format{NumChannels: channels, SampleRate: sampleRate}
	block := make([]int, 0, 4096*channels)
	if len(interleaved) == 0 {
		// Write the header and an empty data chunk.
		if err := enc.Write(&audio.IntBuffer{Format: format, SourceBitDepth: 16}); err != nil {
			return fmt.Errorf("write pcm16: %w", err)
		}
	}
	for len(interleaved) > 0 {
		n := min(len(interleaved), cap(block))
		block = block[:n]
		for i, s := range interleaved[:n] {
			block[i] = int(s)
		}
		buf := &audio.IntBuffer{Format: format, Data: block, SourceBitDepth: 16}
		if err := enc.Write(buf); err != nil {
			return fmt.Errorf("write pcm16: %w", err)
		}
		interleaved = interleaved[n:]
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("write pcm16: close: %w", err)
	}
	return nil
}

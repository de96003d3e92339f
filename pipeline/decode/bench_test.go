package decode

import (
	"bytes"
	"io"
	"testing"
)

// BenchmarkDecodeMuLawStereo10min decodes a 10-minute 8 kHz stereo mu-law
// call from memory, 4096 frames per Read. x_realtime is audio seconds
// decoded per wall-clock second.
func BenchmarkDecodeMuLawStereo10min(b *testing.B) {
	benchDecode(b, TagMuLaw, 8)
}

// BenchmarkDecodePCM16Stereo10min is the same call as 16-bit PCM.
func BenchmarkDecodePCM16Stereo10min(b *testing.B) {
	benchDecode(b, TagPCM, 16)
}

// benchDecode decodes a 10-minute 8 kHz stereo call of the given format,
// checking every run decodes every frame.
func benchDecode(b *testing.B, tag uint16, bits int) {
	const seconds = 600
	data := make([]byte, seconds*8000*2*bits/8)
	for i := range data {
		data[i] = byte(i*7 + i>>9)
	}
	file := buildWAV(wavSpec{tag: tag, channels: 2, rate: 8000, bits: bits, data: data})
	dst := make([]float32, 4096*2)
	b.SetBytes(int64(len(file)))
	b.ReportAllocs()
	b.ResetTimer()
	runs := 0
	for b.Loop() {
		runs++
		d, err := NewDecoder(bytes.NewReader(file), int64(len(file)))
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, err := d.Read(dst); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
		if d.FramesRead() != seconds*8000 {
			b.Fatalf("decoded %d frames", d.FramesRead())
		}
	}
	b.ReportMetric(float64(seconds*runs)/b.Elapsed().Seconds(), "x_realtime")
}

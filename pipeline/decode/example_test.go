package decode_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/pipeline/decode"
)

// Decode a recording block by block: memory stays bounded by dst whatever
// the length of the call.
func ExampleNewDecoder() {
	dir, err := os.MkdirTemp("", "decode-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "call.wav")

	// A short stereo call: agent on channel 0, customer on channel 1.
	w, err := os.Create(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	samples := make([]int16, 2*8000)
	for i := range 8000 {
		samples[2*i] = 16384 // agent at half scale
	}
	if err := decode.WritePCM16(w, 8000, 2, samples); err != nil {
		fmt.Println(err)
		return
	}
	w.Close()

	f, err := os.Open(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	st, _ := f.Stat()
	d, err := decode.NewDecoder(f, st.Size())
	if errors.Is(err, models.ErrBadInput) {
		fmt.Println("bad recording:", err)
		return
	} else if err != nil {
		fmt.Println(err)
		return
	}
	format := d.Format()
	fmt.Printf("%s, %d Hz, %d channels, %.1f s\n", format.Codec, format.SampleRate, format.Channels, format.Duration())

	dst := make([]float32, 1024*format.Channels)
	var agentSum float64
	for {
		n, err := d.Read(dst)
		for i := range n {
			agentSum += float64(dst[i*format.Channels])
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fmt.Println(err)
			return
		}
	}
	if tr := d.Truncated(); tr != nil {
		fmt.Println(tr)
	}
	fmt.Printf("%d frames, agent mean %.2f\n", d.FramesRead(), agentSum/float64(d.FramesRead()))
	// Output:
	// pcm_s16le, 8000 Hz, 2 channels, 1.0 s
	// 8000 frames, agent mean 0.50
}

func ExampleUnsupportedError() {
	_, err := decode.NewDecoder(strings.NewReader("RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x11\x00\x01\x00\x40\x1f\x00\x00\x00\x10\x00\x00\x00\x01\x04\x00data\x00\x01\x00\x00"), -1)
	fmt.Println(err)
	fmt.Println(errors.Is(err, models.ErrBadInput))
	// Output:
	// unsupported codec 0x0011 (IMA ADPCM)
	// true
}

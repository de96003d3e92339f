package decode

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"testing/iotest"

	"github.com/callqa/callqa/models"
)

// fuzzResult is everything observable about one decode, for comparing the
// seekable and the non-seekable paths.
type fuzzResult struct {
	err     string
	format  Format
	samples []uint32 // float bits, so NaNs compare
	trunc   *TruncatedError
}

func fuzzDecode(t *testing.T, data []byte, r io.Reader, size int64) fuzzResult {
	d, err := NewDecoder(r, size)
	if err != nil {
		if !errors.Is(err, models.ErrBadInput) {
			t.Fatalf("NewDecoder error is not bad input: %T %v", err, err)
		}
		return fuzzResult{err: err.Error()}
	}
	f := d.Format()
	if f.Channels < 1 || f.Channels > MaxChannels || f.SampleRate <= 0 || f.BlockAlign <= 0 || f.Codec == "" ||
		f.BlockAlign%f.Channels != 0 || f.DataBytes < -1 {
		t.Fatalf("accepted an impossible format %+v", f)
	}
	res := fuzzResult{format: f}
	dst := make([]float32, 7*f.Channels+3)
	var frames int64
	for {
		n, err := d.Read(dst)
		if n < 0 || n*f.Channels > len(dst) {
			t.Fatalf("Read returned %d frames for a %d-sample buffer", n, len(dst))
		}
		frames += int64(n)
		for _, s := range dst[:n*f.Channels] {
			res.samples = append(res.samples, math.Float32bits(s))
		}
		if err == io.EOF {
			if n != 0 {
				t.Fatalf("io.EOF with %d frames", n)
			}
			break
		}
		if err != nil {
			t.Fatalf("Read error from an in-memory reader: %v", err)
		}
		if n == 0 {
			t.Fatal("Read returned 0 frames and no error")
		}
	}
	if d.FramesRead() != frames {
		t.Fatalf("FramesRead %d, returned %d", d.FramesRead(), frames)
	}
	if frames*int64(f.BlockAlign) > int64(len(data)) {
		t.Fatalf("decoded %d frames of %d bytes from %d bytes of input", frames, f.BlockAlign, len(data))
	}
	res.trunc = d.Truncated()
	switch tr := res.trunc; {
	case tr != nil:
		if f.DataBytes < 0 || tr.Want != f.DataBytes || tr.Got >= tr.Want || tr.Got < 0 {
			t.Fatalf("Truncated %+v with format %+v", *tr, f)
		}
		if frames != tr.Got/int64(f.BlockAlign) {
			t.Fatalf("truncated: %d frames from %d bytes of %d-byte frames", frames, tr.Got, f.BlockAlign)
		}
		var err error = tr
		if errors.Is(err, models.ErrBadInput) {
			t.Fatal("TruncatedError counted as bad input")
		}
	case f.DataBytes >= 0:
		if frames != f.Frames() {
			t.Fatalf("decoded %d frames, header declares %d and no truncation", frames, f.Frames())
		}
	}
	return res
}

func FuzzDecoder(f *testing.F) {
	for _, c := range variantCases() {
		f.Add(buildWAV(c.spec))
	}
	paths, _ := filepath.Glob(filepath.Join("testdata", "*.wav"))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte("RIFF\xff\xff\xff\xffWAVEfmt \x10\x00\x00\x00\x07\x00\x02\x00\x40\x1f\x00\x00\x80\x3e\x00\x00\x02\x00\x08\x00data\x00\x00\x00\x00\x01\x02\x03"))
	f.Fuzz(func(t *testing.T, data []byte) {
		seek := fuzzDecode(t, data, bytes.NewReader(data), -1)
		stream := fuzzDecode(t, data, iotest.HalfReader(bytes.NewReader(data)), -1)
		sized := fuzzDecode(t, data, bytes.NewReader(data), int64(len(data)))
		if seek.err != stream.err || seek.format != stream.format || !equalTrunc(seek.trunc, stream.trunc) ||
			!slices.Equal(seek.samples, stream.samples) {
			t.Fatalf("Seek and stream paths disagree:\nseek   %q %+v %v %d samples\nstream %q %+v %v %d samples",
				seek.err, seek.format, seek.trunc, len(seek.samples), stream.err, stream.format, stream.trunc, len(stream.samples))
		}
		// Knowing the size may only add a rejection (a chunk overrunning
		// the stream); an accepted stream must decode identically.
		if sized.err == "" && (seek.err != "" || sized.format != seek.format || !slices.Equal(sized.samples, seek.samples)) {
			t.Fatalf("sized decode accepted what the unsized one did not, or differs: %q vs %q", sized.err, seek.err)
		}
	})
}

func equalTrunc(a, b *TruncatedError) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

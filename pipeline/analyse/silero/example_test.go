package silero_test

import (
	"errors"
	"fmt"
	"io"
	"log"
	"os"

	"github.com/callqa/callqa/pipeline/analyse/silero"
	"github.com/callqa/callqa/pipeline/decode"
)

// One channel of 8 kHz audio, block by block: a Stream cuts it into
// windows, a Segmenter turns the probabilities into speech segments as
// they become final.
func Example() {
	f, err := os.Open("testdata/speech_8k.wav")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		log.Fatal(err)
	}
	dec, err := decode.NewDecoder(f, st.Size())
	if err != nil {
		log.Fatal(err)
	}

	m, err := silero.Load()
	if err != nil {
		log.Fatal(err)
	}
	d, err := m.NewDetector(dec.Format().SampleRate)
	if err != nil {
		log.Fatal(err)
	}
	stream := silero.NewStream(d)
	seg, err := silero.NewSegmenter(d.SampleRate(), silero.SegmentParams{})
	if err != nil {
		log.Fatal(err)
	}

	block := make([]float32, 1000) // any size
	var probs []float32
	var spans []silero.Span
	for {
		n, err := dec.Read(block)
		probs = stream.Write(block[:n], probs[:0])
		for _, p := range probs {
			spans = seg.Push(p, spans)
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
	}
	for _, p := range stream.Flush(probs[:0]) {
		spans = seg.Push(p, spans)
	}
	spans = seg.Finish(stream.Samples(), spans)

	for _, s := range spans {
		a, b := s.Seconds(d.SampleRate())
		fmt.Printf("speech %.3f-%.3f s\n", a, b)
	}
	// Output:
	// speech 1.026-2.302 s
	// speech 3.650-6.000 s
}

// The probability of each 32 ms window, one window at a time.
func ExampleDetector_Process() {
	m, err := silero.Load()
	if err != nil {
		log.Fatal(err)
	}
	d, err := m.NewDetector(16000)
	if err != nil {
		log.Fatal(err)
	}
	window := make([]float32, d.WindowSize()) // 512 samples: digital silence
	fmt.Printf("%d samples, p = %.3f\n", len(window), d.Process(window))
	// Output:
	// 512 samples, p = 0.002
}

// Segments of probabilities computed earlier: 0.5 s of speech in 2 s.
func ExampleSegments() {
	probs := make([]float32, 63) // 63 windows of 256 samples at 8 kHz
	for i := 10; i < 26; i++ {
		probs[i] = 0.9
	}
	spans, err := silero.Segments(probs, 8000, 16000, silero.SegmentParams{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(spans)
	// Output:
	// [{2320 6896}]
}

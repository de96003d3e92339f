package analyse_test

import (
	"fmt"
	"math"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/pipeline/analyse"
)

// A mono 8 kHz recording: a tone from 0.5 s to 1.5 s and from 3 s to 4 s
// over faint hiss-free silence, streamed in blocks of 1000 samples, with
// the energy gate (the neural VAD, the default, would call the tone what it
// is: not speech).
func Example() {
	const sr = 8000
	a, err := analyse.New(analyse.Config{VAD: analyse.VADEnergy}, sr, 1)
	if err != nil {
		panic(err)
	}
	block := make([]float32, 1000)
	for i := 0; i < 4*sr; i += len(block) {
		for j := range block {
			t := float64(i+j) / sr
			if (t >= 0.5 && t < 1.5) || t >= 3 {
				block[j] = float32(0.1 * math.Sin(2*math.Pi*300*t))
			} else {
				block[j] = 0
			}
		}
		a.Write(block)
	}
	rep := a.Finish()
	ch := rep.Channels[0]
	fmt.Println("duration", rep.DurationS, "segments", ch.Segments, "talk", ch.TalkS)
	fmt.Printf("rms %.2f dBFS, peak %.2f dBFS, clipping %v\n", ch.RMSDBFS, ch.PeakDBFS, ch.ClippingRatio)
	fmt.Println("envelope", ch.Envelope[3:7], "...", len(ch.Envelope), "steps")
	m := rep.Metrics(analyse.Config{}, models.DefaultChannels)
	fmt.Println("silences", m.Silences, m.SilenceS)
	// Output:
	// duration 4 segments [[0.5 1.6] [3 4]] talk 2.1
	// rms -26.02 dBFS, peak -20.00 dBFS, clipping 0
	// envelope [-100 -100 -23 -23] ... 40 steps
	// silences [[1.6 3]] 1.4
}

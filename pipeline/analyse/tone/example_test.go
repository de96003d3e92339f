package tone_test

import (
	"fmt"

	"github.com/callqa/callqa/internal/testaudio"
	"github.com/callqa/callqa/pipeline/analyse/tone"
)

// A channel with key presses and then hold music (from 2.3 s): one
// Detector per channel, fed 32 ms windows; the builders turn frames into
// events. The musicality score averages the last second, so the hold
// starts about half a second late.
func Example() {
	keys, _ := testaudio.SlowDTMF("4321").Render(8000)
	x := append(make([]float32, 4000), keys...)
	x = append(x, testaudio.Melody(8000, 10, -20, 1)...)

	d, err := tone.New(8000, tone.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	presses := tone.NewDTMFEvents(tone.DTMFOptions{})
	hold := tone.NewSpans(tone.HoldMinSeconds, tone.HoldMaxGapSeconds)
	n := d.WindowSize()
	for i := 0; i+n <= len(x); i += n {
		f := d.Window(x[i : i+n])
		if ev, ok := presses.Push(f); ok {
			fmt.Printf("dtmf %.2f-%.2f s, %d presses\n", ev.Start, ev.End, ev.Presses)
		}
		if s, ok := hold.Push(f.IsMusic); ok {
			fmt.Printf("hold music %.1f-%.1f s\n", s.Start, s.End)
		}
	}
	if s, ok := hold.Flush(); ok {
		fmt.Printf("hold music %.1f-%.1f s\n", s.Start, s.End)
	}
	// Output:
	// dtmf 0.50-2.00 s, 4 presses
	// hold music 2.9-12.3 s
}

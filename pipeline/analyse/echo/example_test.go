package echo_test

import (
	"fmt"

	"github.com/callqa/callqa/internal/testaudio"
	"github.com/callqa/callqa/pipeline/analyse/echo"
)

// The agent's voice leaks into the customer's channel 25 dB down, 40 ms
// late: one Detector per call, fed both channels' 32 ms windows. The
// windows of the customer's channel not called leakage are the first half
// second, before the path is found.
func Example() {
	call, err := testaudio.Script{
		Rate: 8000,
		Lines: []testaudio.Line{
			{Channel: 0, At: 0.5, Sound: testaudio.Speech{Clip: testaudio.LibriSpeech, DBFS: -20}},
			{Channel: 0, At: 9.5, Sound: testaudio.Speech{Clip: testaudio.FunASR, DBFS: -20}},
		},
		Echo:  [2]*testaudio.EchoPath{{Delay: 0.04, GainDB: -25}},
		Noise: [2]testaudio.Noise{{DBFS: -62}, {DBFS: -62}},
		Codec: testaudio.CodecMuLaw,
		Seed:  1,
	}.Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	d, err := echo.New(8000, echo.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	n := d.WindowSize()
	var active, leak [2]int
	for i := 0; i+n <= len(call.Channels[0]); i += n {
		f := d.Window(call.Channels[0][i:i+n], call.Channels[1][i:i+n])
		for c := range 2 {
			if f.Active[c] {
				active[c]++
			}
			if f.Leak[c] {
				leak[c]++
			}
		}
	}
	p := d.Path(1)
	fmt.Printf("path into the customer: %.0f ms, %.0f dB\n", 1000*p.DelaySec, p.LossDB)
	fmt.Printf("agent: %d active windows, %d leak\n", active[0], leak[0])
	fmt.Printf("customer: %d of %d active windows are the agent's leak\n", leak[1], active[1])
	// Output:
	// path into the customer: 40 ms, 22 dB
	// agent: 335 active windows, 0 leak
	// customer: 228 of 241 active windows are the agent's leak
}

package testaudio_test

import (
	"fmt"

	"github.com/callqa/callqa/internal/testaudio"
)

// A call in which the agent speaks, then puts the customer on hold; the
// agent's voice leaks into the customer's channel 25 dB down, 40 ms late,
// and both channels go through G.711 mu-law.
func ExampleScript() {
	call, err := testaudio.Script{
		Rate: 8000,
		Lines: []testaudio.Line{
			{Channel: 0, At: 0.5, Sound: testaudio.Speech{Clip: testaudio.AISHELL, DBFS: -20}},
			{Channel: 0, At: 5, Sound: testaudio.Music{Style: testaudio.StyleMelody, Seconds: 10, DBFS: -20}},
		},
		Echo:  [2]*testaudio.EchoPath{{Delay: 0.04, GainDB: -25}},
		Noise: [2]testaudio.Noise{{DBFS: -60}, {DBFS: -60}},
		Codec: testaudio.CodecMuLaw,
		Seed:  1,
	}.Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%.1f s, agent speech %v\n", call.Seconds(), call.Speech[0])
	fmt.Printf("leaked onto the customer %v\n", call.Leak[1])
	fmt.Printf("%v from %.1f to %.1f s\n", call.Events[0].Kind, call.Events[0].Span[0], call.Events[0].Span[1])
	// Output:
	// 15.5 s, agent speech [[0.5 4.78]]
	// leaked onto the customer [[0.54 4.82]]
	// hold_music from 5.0 to 15.0 s
}

package transcript_test

import (
	"fmt"
	"strings"

	"github.com/callqa/callqa/pipeline/transcript"
)

func ExampleParse() {
	t, err := transcript.Parse("C1.agent.verbose.json", strings.NewReader(
		`{"task":"transcribe","language":"chinese","duration":9.0,"text":"您好 工号1086",
		  "segments":[{"id":0,"start":4.0,"end":8.5,"text":" 工号1086"},{"id":1,"start":1.0,"end":3.2,"text":" 您好"}]}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, u := range t.Utterances {
		fmt.Println(u.Speaker, u.Start, u.End, u.Text)
	}
	// Output:
	// agent 1 3.2 您好
	// agent 4 8.5 工号1086
}

package transcript

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/callqa/callqa/models"
)

// FuzzParse checks that Parse never panics and that whatever it accepts is
// valid and survives a round trip through the sidecar schema unchanged.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob("testdata/calls/*.json")
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(filepath.Base(name), data)
	}
	f.Add("x.agent.verbose.json", []byte(`{"segments":[{"start":0,"end":1,"text":"a"}]}`))
	f.Add("x.transcript.json", []byte(`{"utterances":[],"dropped":[{"speaker":"agent","start":0,"end":1,"text":"谢谢观看","reason":"no_speech"}]}`))

	f.Fuzz(func(t *testing.T, name string, data []byte) {
		tr, err := Parse(name, bytes.NewReader(data))
		if err != nil {
			return
		}
		for i, u := range tr.Utterances {
			if u.Speaker != models.SpeakerAgent && u.Speaker != models.SpeakerCustomer {
				t.Fatalf("utterances[%d]: speaker %q accepted", i, u.Speaker)
			}
			if math.IsNaN(u.Start) || math.IsInf(u.End, 0) || u.Start < 0 || u.End < u.Start {
				t.Fatalf("utterances[%d]: bad times %v..%v accepted", i, u.Start, u.End)
			}
			if i > 0 && tr.Utterances[i-1].Start > u.Start {
				t.Fatalf("utterances[%d]: not sorted by start", i)
			}
		}
		out, err := json.Marshal(tr)
		if err != nil {
			t.Fatal(err)
		}
		again, err := Parse("roundtrip.transcript.json", bytes.NewReader(out))
		if err != nil {
			t.Fatalf("round trip rejected: %v\n%s", err, out)
		}
		// json.Unmarshal already replaced invalid UTF-8, and the utterances
		// are sorted, so the round trip must be exact.
		if !reflect.DeepEqual(again, tr) {
			t.Fatalf("round trip changed the transcript:\n%+v\n%+v", tr, again)
		}
	})
}

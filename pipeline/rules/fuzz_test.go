package rules

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"gopkg.in/yaml.v3"
)

// FuzzParseScorecard checks that ParseScorecard never panics, and that a
// scorecard it accepts still validates after a marshal round trip and
// marshals to the same YAML again (a fixed point), and compiles.
func FuzzParseScorecard(f *testing.F) {
	seeds, err := filepath.Glob("testdata/*.yaml")
	if err != nil {
		f.Fatal(err)
	}
	seeds = append(seeds, defaultScorecard)
	for _, name := range seeds {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := ParseScorecard("fuzz.yaml", data)
		if err != nil {
			return
		}
		if _, err := NewChecker(sc); err != nil {
			t.Fatalf("valid scorecard does not compile: %v", err)
		}
		out, err := yaml.Marshal(sc)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseScorecard("roundtrip.yaml", out)
		if err != nil {
			t.Fatalf("round trip rejected: %v\n%s", err, out)
		}
		out2, err := yaml.Marshal(again)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, out2) {
			t.Fatalf("round trip changed the scorecard:\n%s\n---\n%s", out, out2)
		}
	})
}

package rules

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/callqa/callqa/models"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/calls")

// callFixture is a test call: what the decoder and the transcriber would
// hand the checker.
type callFixture struct {
	DurationS  float64            `json:"duration_s"`
	Transcript *models.Transcript `json:"transcript"`
	Metrics    *models.Metrics    `json:"metrics"`
}

type checkOutput struct {
	Findings     []models.Finding      `json:"findings"`
	NotEvaluated []models.NotEvaluated `json:"not_evaluated"`
}

// TestCheckGolden checks the default scorecard on the fixture calls in
// testdata/calls/*.call.json against *.golden.json (go test -update to
// rewrite them after a deliberate change).
func TestCheckGolden(t *testing.T) {
	t.Parallel()
	sc, err := LoadScorecard(defaultScorecard)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewChecker(sc)
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("testdata/calls/*.call.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var fx callFixture
			dec := json.NewDecoder(bytes.NewReader(data))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&fx); err != nil {
				t.Fatal(err)
			}
			fs, ne := c.Check(Call{DurationS: fx.DurationS, Transcript: fx.Transcript, Metrics: fx.Metrics})
			got, err := json.MarshalIndent(checkOutput{Findings: fs, NotEvaluated: ne}, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := strings.TrimSuffix(file, ".call.json") + ".golden.json"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Check output differs from %s:\n%s", golden, got)
			}
		})
	}
}

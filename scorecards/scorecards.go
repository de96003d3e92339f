// Package scorecards embeds the scorecards that ship with callqa, so that the
// binary inspects calls out of the box, wherever it runs.
package scorecards

import (
	_ "embed"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/pipeline/rules"
)

// DefaultName is the file name of the default scorecard.
const DefaultName = "scorecards/hotline-12333.yaml"

//go:embed hotline-12333.yaml
var hotline12333 []byte

// Default returns the 12333 hotline scorecard that ships with callqa.
func Default() (*models.Scorecard, error) {
	return rules.ParseScorecard(DefaultName, hotline12333)
}

// Load returns the scorecard in the file at path, or the default scorecard
// when path is empty.
func Load(path string) (*models.Scorecard, error) {
	if path == "" {
		return Default()
	}
	return rules.LoadScorecard(path)
}

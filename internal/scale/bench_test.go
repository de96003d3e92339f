package scale

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/callqa/callqa/scorecards"
)

// BenchmarkGenerate measures the generator and the JSON encoding of its
// results (what SaveResults does first), per result.
func BenchmarkGenerate(b *testing.B) {
	card, err := scorecards.Default()
	if err != nil {
		b.Fatal(err)
	}
	g, err := NewGenerator(Config{Seed: 1, Results: 365 * 1000}, card)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	size := 0
	for b.Loop() {
		err := g.Generate(context.Background(), g.Days()[0], 100, func(cs []Call) error {
			for _, c := range cs {
				doc, err := json.Marshal(c.Result)
				if err != nil {
					return err
				}
				size += len(doc)
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(size)/float64(b.N)/float64(g.Days()[0].Results), "bytes/result")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(g.Days()[0].Results), "ns/result")
}

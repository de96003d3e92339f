package worker_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/callqa/callqa/internal/testsvc"
	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/pipeline"
	"github.com/callqa/callqa/scorecards"
	"github.com/callqa/callqa/source"
	"github.com/callqa/callqa/store"
)

// BenchmarkSaveResult measures the "save" phase of a fleet call: storing
// the results of the sample calls with SaveResult on PostgreSQL, each
// under a new call id, as workers do, in the compact stored form.
//
//	go test -run '^$' -bench SaveResult -benchtime 2000x ./worker/
func BenchmarkSaveResult(b *testing.B) {
	ctx := context.Background()
	sc, err := scorecards.Default()
	if err != nil {
		b.Fatal(err)
	}
	eng, err := pipeline.NewEngine(sc, pipeline.Config{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	src, err := source.NewLocal(samples)
	if err != nil {
		b.Fatal(err)
	}
	keys, err := filepath.Glob(filepath.Join(samples, "2026", "11", "25", "*.wav"))
	if err != nil || len(keys) == 0 {
		b.Fatalf("samples: %v", err)
	}
	var full []*models.Result
	for _, k := range keys {
		rel, _ := filepath.Rel(samples, k)
		r, err := eng.InspectKey(ctx, src, filepath.ToSlash(rel))
		if err != nil {
			b.Fatal(err)
		}
		full = append(full, r)
	}
	// A fresh schema: tables of a known size.
	st, err := store.Open(ctx, testsvc.Postgres(b), store.Options{Pool: store.PoolFor(1)})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := *full[i%len(full)]
		r.CallID = fmt.Sprintf("%s-%d", r.CallID, i)
		r.Recording = "bench/" + r.CallID + ".wav"
		if err := st.SaveResult(ctx, "", &r); err != nil {
			b.Fatal(err)
		}
	}
}

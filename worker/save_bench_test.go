package worker_test

import (
	"context"
	"encoding/json"
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
// under a new call id, as workers do. "full" stores them as the engine
// makes them; "no envelope or segments" without the level envelope and
// the speech, silence and overtalk spans (the bulk of result_json, which
// the result storage redesign is to move), to tell what they cost. It
// reports the mean size of result_json.
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
	strip := func(r *models.Result) *models.Result {
		c := *r
		c.Envelope = nil
		if r.Metrics != nil {
			m := *r.Metrics
			m.Silences, m.Overtalks = []models.Span{}, []models.Overtalk{}
			for _, sp := range []**models.SpeakerMetrics{&m.Agent, &m.Customer, &m.Mixed} {
				if *sp != nil {
					s := **sp
					s.Segments = []models.Span{}
					*sp = &s
				}
			}
			c.Metrics = &m
		}
		return &c
	}
	for _, v := range []struct {
		name string
		make func(*models.Result) *models.Result
	}{
		{"full", func(r *models.Result) *models.Result { c := *r; return &c }},
		{"no envelope or segments", strip},
	} {
		b.Run(v.name, func(b *testing.B) {
			// A fresh schema each run: both variants write to tables of
			// the same size.
			st, err := store.Open(ctx, testsvc.Postgres(b), store.Options{Pool: store.PoolFor(1)})
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			rs := make([]*models.Result, len(full))
			size := 0
			for i, r := range full {
				rs[i] = v.make(r)
				doc, err := json.Marshal(rs[i])
				if err != nil {
					b.Fatal(err)
				}
				size += len(doc)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				r := *rs[i%len(rs)]
				r.CallID = fmt.Sprintf("%s-%s-%d", r.CallID, v.name, i)
				r.Recording = "bench/" + r.CallID + ".wav"
				if err := st.SaveResult(ctx, "", &r); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(size)/float64(len(rs)), "json-bytes")
		})
	}
}

package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/callqa/callqa/batch"
	"github.com/callqa/callqa/internal/testsvc"
	"github.com/callqa/callqa/pipeline"
	"github.com/callqa/callqa/scorecards"
	"github.com/callqa/callqa/source"
	"github.com/callqa/callqa/store"
	"github.com/callqa/callqa/worker"
)

// BenchmarkFleet measures end-to-end throughput: enqueue a day of 105
// calls (10 copies of each sample call and 5 broken ones) in S3, plan it,
// inspect every call in worker processes and store the results in
// PostgreSQL; it reports calls/s and the PostgreSQL connections the
// workers opened per batch (conns/batch, from their
// callqa_db_connections_opened_total). Each iteration starts from empty
// queues and tables. The embedded sub-benchmark runs `callqa run`'s batch
// (2 workers, SQLite, the files on local disk) on the same calls, for
// comparison on the same machine in the same run. The workers serve
// /debug/pprof (their --metrics-addr is on their command line) and report
// the time of each phase of a call (ms-lookup/call, ms-inspect/call,
// ms-save/call).
//
//	go test -run '^$' -bench Fleet -benchtime 3x ./worker/e2e/
func BenchmarkFleet(b *testing.B) {
	for _, bc := range []struct{ workers, concurrency int }{{1, 2}, {2, 2}, {2, 8}} {
		b.Run(fmt.Sprintf("workers=%d/concurrency=%d", bc.workers, bc.concurrency), func(b *testing.B) {
			f := newFleet(b, 10, 10)
			var procs []*proc
			for i := range bc.workers {
				procs = append(procs, f.startWorker(fmt.Sprintf("bench%d", i), "--concurrency", fmt.Sprint(bc.concurrency), "--pprof"))
			}
			rdb := redis.NewClient(&redis.Options{Addr: testsvc.RedisAddr(), DB: f.redisDB})
			defer rdb.Close()
			client := asynq.NewClient(asynq.RedisClientOpt{Addr: testsvc.RedisAddr(), DB: f.redisDB})
			defer client.Close()
			ctx := context.Background()
			plan, err := worker.NewPlanTask(worker.PlanPayload{Source: "s3://" + bucket + "/" + prefix, Date: date, Scorecard: f.ref})
			if err != nil {
				b.Fatal(err)
			}
			opened := func() float64 { return f.metric(procs, "callqa_db_connections_opened_total") }
			conns := 0.0
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				if err := rdb.FlushDB(ctx).Err(); err != nil {
					b.Fatal(err)
				}
				if _, err := f.store.DB().ExecContext(ctx, `DELETE FROM findings; DELETE FROM results; DELETE FROM batches; DELETE FROM fleet_plans`); err != nil {
					b.Fatal(err)
				}
				before := opened()
				b.StartTimer()
				if _, err := worker.Enqueue(ctx, client, plan); err != nil {
					b.Fatal(err)
				}
				deadline := time.Now().Add(5 * time.Minute)
				for {
					c, err := f.store.CountPrefix(ctx, f.ref, dayDir+"/")
					if err != nil {
						b.Fatal(err)
					}
					if c.Results() == len(f.ids) {
						break
					}
					if time.Now().After(deadline) {
						b.Fatalf("%d of %d calls done after 5 minutes", c.Results(), len(f.ids))
					}
					time.Sleep(20 * time.Millisecond)
				}
				b.StopTimer()
				conns += opened() - before
				b.StartTimer()
			}
			b.ReportMetric(float64(len(f.ids)*b.N)/b.Elapsed().Seconds(), "calls/s")
			b.ReportMetric(conns/float64(b.N), "conns/batch")
			// Where a call's time goes, from the workers' phase histograms.
			for _, phase := range []string{"lookup", "inspect", "save"} {
				sum := f.metric(procs, `callqa_call_phase_seconds_sum{phase="`+phase+`"}`)
				n := f.metric(procs, `callqa_call_phase_seconds_count{phase="`+phase+`"}`)
				if n > 0 {
					b.ReportMetric(1000*sum/n, "ms-"+phase+"/call")
				}
			}
			// Each worker's pool (store.PoolFor) opens its connections
			// once and reuses them from batch to batch.
			if bound := bc.workers * store.PoolFor(bc.concurrency).MaxOpen; conns > float64(bound) {
				b.Errorf("the workers opened %v PostgreSQL connections in %d batches, want at most %d in all", conns, b.N, bound)
			}
		})
	}
	b.Run("embedded", func(b *testing.B) {
		local := b.TempDir()
		ids := makeCalls(b, local, 10)
		src, err := source.NewLocal(local)
		if err != nil {
			b.Fatal(err)
		}
		sc, err := scorecards.Default()
		if err != nil {
			b.Fatal(err)
		}
		eng, err := pipeline.NewEngine(sc, pipeline.Config{}, nil)
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			st, err := store.Open(ctx, filepath.Join(b.TempDir(), "results.db"), store.Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			sum, err := batch.Run(ctx, batch.Config{Workers: 2}, src, dayDir+"/", eng, st)
			if err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			st.Close()
			if done := sum.Batch.Inspected + sum.Batch.Unprocessable; done != len(ids) {
				b.Fatalf("embedded run stored %d of %d calls", done, len(ids))
			}
			b.StartTimer()
		}
		b.ReportMetric(float64(len(ids)*b.N)/b.Elapsed().Seconds(), "calls/s")
	})
}

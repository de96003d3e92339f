package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/callqa/callqa/internal/testsvc"
	"github.com/callqa/callqa/worker"
)

// BenchmarkFleet measures end-to-end throughput: enqueue a day of 105
// calls (10 copies of each sample call and 5 broken ones) in S3, plan it,
// inspect every call in worker processes (concurrency 2 each) and store
// the results in PostgreSQL; it reports calls/s. Each iteration starts from
// empty queues and tables.
//
//	go test -run '^$' -bench Fleet -benchtime 3x ./worker/e2e/
func BenchmarkFleet(b *testing.B) {
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			f := newFleet(b, 10, 10)
			for i := range workers {
				f.startWorker(fmt.Sprintf("bench%d", i), "--concurrency", "2")
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
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				if err := rdb.FlushDB(ctx).Err(); err != nil {
					b.Fatal(err)
				}
				if _, err := f.store.DB().ExecContext(ctx, `DELETE FROM findings; DELETE FROM results; DELETE FROM batches`); err != nil {
					b.Fatal(err)
				}
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
					if c.Done() == len(f.ids) {
						break
					}
					if time.Now().After(deadline) {
						b.Fatalf("%d of %d calls done after 5 minutes", c.Done(), len(f.ids))
					}
					time.Sleep(20 * time.Millisecond)
				}
			}
			b.ReportMetric(float64(len(f.ids)*b.N)/b.Elapsed().Seconds(), "calls/s")
		})
	}
}

package store_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callqa/callqa/internal/testsvc"
	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/store"
)

func TestPoolConfig(t *testing.T) {
	t.Parallel()
	if got := store.PoolFor(8); got.MaxOpen != 12 || got.MaxIdle != 12 {
		t.Errorf("PoolFor(8) = %+v, want 12 open and 12 idle", got)
	}
	d := store.PoolConfig{MaxOpen: 4, MaxIdle: 10}.WithDefaults()
	if d.MaxIdle != 4 || d.MaxLifetime != 30*time.Minute || d.MaxIdleTime != 5*time.Minute {
		t.Errorf("WithDefaults() = %+v", d)
	}
	for _, c := range []store.PoolConfig{{MaxOpen: -1}, {MaxIdle: -1}, {MaxLifetime: -1}, {MaxIdleTime: -1}} {
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), "PoolConfig.Max") {
			t.Errorf("Validate(%+v) = %v, want an error naming the field", c, err)
		}
	}
	if _, err := store.Open(context.Background(), testsvc.PostgresBaseURL(), store.Options{Pool: store.PoolConfig{MaxOpen: -1}}); err == nil || !strings.Contains(err.Error(), "MaxOpen") {
		t.Errorf("OpenStore with a negative pool = %v", err)
	}
}

// TestPoolConnectionsBounded runs what 8 concurrent call:inspect tasks do
// to the database (RecordingStatus, then SaveResult, with the inspection's
// pause between calls) for 320 calls on PostgreSQL, and counts the
// connections the store opened (its counting connector, the number of new
// backends PostgreSQL started for it): with PoolFor(8) at most its 12;
// with database/sql's default of 2 idle connections, more, as the calls
// finish together and their connections are closed and opened again.
//
// The calls are spread over eight days: the results of one day share
// their rollup rows, whose row locks let one save of the day commit at a
// time, so on a single day the saves finish one by one and hardly churn
// (TestRollupsFollowRows covers that path); calls of different days save
// in parallel, as the inspections of a night's backlog and re-runs do.
func TestPoolConnectionsBounded(t *testing.T) {
	t.Parallel()
	const concurrency, calls = 8, 320
	sc := models.ScorecardRef{ID: "hotline-12333", Version: 1}
	run := func(t *testing.T, pool store.PoolConfig) int64 {
		ctx := context.Background()
		st, err := store.Open(ctx, testsvc.Postgres(t), store.Options{Pool: pool})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		before := st.ConnectionsOpened()
		keys := make(chan int)
		var wg sync.WaitGroup
		errs := make(chan error, concurrency)
		for range concurrency {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range keys {
					id := fmt.Sprintf("C%04d", i)
					key := fmt.Sprintf("2026/11/%02d/%s.wav", 20+i%concurrency, id)
					if _, _, err := st.RecordingStatus(ctx, key, sc); err != nil {
						errs <- err
						return
					}
					time.Sleep(time.Duration(i%3) * time.Millisecond) // the inspection
					r := &models.Result{CallID: id, Recording: key, Status: models.StatusInspected, Scorecard: sc,
						Meta: models.CallMeta{CallID: id}, Score: 90, Passed: true,
						Findings: []models.Finding{{Rule: "dead_air", Name: "长时间静音", Start: 1, End: 9, Deduct: 5}}}
					if err := st.SaveResult(ctx, "", r); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		for i := range calls {
			keys <- i
		}
		close(keys)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		return st.ConnectionsOpened() - before
	}
	sized := store.PoolFor(concurrency)
	var opened, churned int64
	t.Run("PoolFor", func(t *testing.T) { opened = run(t, sized) })
	t.Run("two idle", func(t *testing.T) { churned = run(t, store.PoolConfig{MaxOpen: 100, MaxIdle: 2}) })
	t.Logf("%d calls at concurrency %d: %d connections opened with PoolFor(%d), %d with 2 idle connections",
		calls, concurrency, opened, concurrency, churned)
	if opened > int64(sized.MaxOpen) {
		t.Errorf("PoolFor(%d) opened %d connections for %d calls, want at most %d", concurrency, opened, calls, sized.MaxOpen)
	}
	if churned <= opened {
		t.Errorf("2 idle connections opened %d, no more than the sized pool's %d: the test does not measure churn", churned, opened)
	}
}

// TestPlanCacheMode: the store's PostgreSQL connections plan every
// statement for its arguments (a year's range is not a day's), unless the
// database URL says otherwise.
func TestPlanCacheMode(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testsvc.Postgres(t)
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	for _, tc := range []struct{ url, want string }{
		{url, "force_custom_plan"},
		{url + sep + "plan_cache_mode=auto", "auto"},
		{url + sep + "options=-c%20plan_cache_mode%3Dforce_generic_plan", "force_generic_plan"},
	} {
		st, err := store.Open(ctx, tc.url, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var got string
		err = st.DB().QueryRowContext(ctx, `SHOW plan_cache_mode`).Scan(&got)
		st.Close()
		if err != nil || got != tc.want {
			t.Errorf("plan_cache_mode with %s = %q, %v; want %s", tc.url, got, err, tc.want)
		}
	}
}

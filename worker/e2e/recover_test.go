package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/callqa/callqa/internal/testsvc"
	"github.com/callqa/callqa/store"
	"github.com/callqa/callqa/worker"
)

// addRecording writes a copy of a sample call under the day as call id,
// on disk (for the embedded run of checkResults) and in S3, and counts it
// in f.ids.
func (f *fleet) addRecording(id string) string {
	f.t.Helper()
	ctx := context.Background()
	base := "C20261125-0001"
	for _, suffix := range []string{".wav", ".meta.json", ".transcript.json"} {
		data, err := os.ReadFile(filepath.Join(samples, base+suffix))
		if err != nil {
			f.t.Fatal(err)
		}
		if suffix == ".meta.json" {
			var meta map[string]any
			if err := json.Unmarshal(data, &meta); err != nil {
				f.t.Fatal(err)
			}
			meta["call_id"] = id
			data, _ = json.Marshal(meta)
		}
		if err := os.WriteFile(filepath.Join(f.local, filepath.FromSlash(dayDir), id+suffix), data, 0o644); err != nil {
			f.t.Fatal(err)
		}
		if err := f.src.Put(ctx, dayDir+"/"+id+suffix, data); err != nil {
			f.t.Fatal(err)
		}
	}
	f.ids = append(f.ids, id)
	return dayDir + "/" + id + ".wav"
}

// stop stops a worker with SIGTERM (a drain) and waits for it.
func (f *fleet) stop(p *proc) {
	f.t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		f.t.Fatalf("worker %s did not stop", p.name)
	}
}

// logged counts the records of the call:inspect handler (those with a
// task id: the engine logs an unprocessable call too) with message msg in
// every worker's log.
func (f *fleet) logged(msg string) int {
	n := 0
	logs, _ := filepath.Glob(filepath.Join(f.logs, "*.log"))
	for _, l := range logs {
		b, _ := os.ReadFile(l)
		n += strings.Count(string(b), `msg="`+msg+`" task_id=`)
	}
	return n
}

// waitStatus polls the batch status until ok says so.
func (f *fleet) waitStatus(what string, timeout time.Duration, ok func(*worker.Status) bool) *worker.Status {
	f.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		st := f.status()
		if st != nil && ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("%s: not after %v: %+v", what, timeout, st)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestFleetRedisRestart restarts Redis, without persistence, in the middle
// of a batch: its queued tasks are lost. The worker warned at start that
// Redis keeps nothing, and says when it registers its queues again; status
// says stalled with the number missing and the command that recovers it;
// that command (enqueue --date --replan) plans only the calls without a
// result, and the batch completes with every call stored once, equal to
// the embedded run, and no call inspected twice.
func TestFleetRedisRestart(t *testing.T) {
	r := testsvc.StartRedis(t)
	f := newFleetOn(t, r.Addr, 0, 5)
	slow := throttlingProxy(t, f.s3.Endpoint, 256<<10) // about 3 s a call
	w1 := f.startWorker("slow", "--concurrency", "1", "--s3-endpoint", slow)
	if !strings.Contains(f.log("slow"), "neither AOF nor RDB persistence") {
		t.Errorf("the worker did not warn that Redis keeps nothing:\n%s", f.log("slow"))
	}
	f.callqa("enqueue", "--date", date)
	f.waitStatus("5 calls done", time.Minute, func(st *worker.Status) bool { return st.Done >= 5 })

	r.Restart(t)
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(f.log("slow"), "Redis had lost the queue registry") {
		if time.Now().After(deadline) {
			t.Fatalf("the worker did not register its queues again:\n%s", tail(f.log("slow"), 30))
		}
		time.Sleep(200 * time.Millisecond)
	}
	// Let the call in flight end (stored, or handed back and lost).
	f.stop(w1)

	st := f.status()
	if !st.Stalled || st.Complete || st.Missing != st.Total-st.Done || st.Missing == 0 ||
		st.Recover != "callqa enqueue --date "+date+" --replan" {
		t.Fatalf("status after the restart: stalled %v complete %v total %d done %d missing %d recover %q",
			st.Stalled, st.Complete, st.Total, st.Done, st.Missing, st.Recover)
	}
	out := f.callqa("status", "--date", date)
	if !regexp.MustCompile(`: stalled\n[\s\S]*stalled: \d+ of ` + strconv.Itoa(len(f.ids)) + ` recordings have no result[\s\S]*callqa enqueue --date ` + date + ` --replan`).MatchString(out) {
		t.Errorf("status text after the restart:\n%s", out)
	}
	t.Logf("after the restart: %d of %d calls missing", st.Missing, st.Total)

	if out := f.callqa("enqueue", "--date", date, "--replan"); !strings.Contains(out, "enqueued") {
		t.Fatalf("enqueue --replan: %s", out)
	}
	f.startWorker("fast", "--concurrency", "2")
	st = f.waitComplete(3 * time.Minute)
	if st.Total != len(f.ids) || st.Done != len(f.ids) || st.Stalled || st.Missing != 0 {
		t.Fatalf("status: total %d done %d stalled %v, want %d done", st.Total, st.Done, st.Stalled, len(f.ids))
	}
	f.checkResults(st)
	if n := f.logged("call inspected") + f.logged("call unprocessable"); n != len(f.ids) {
		t.Errorf("%d calls inspected, want %d: the re-plan enqueued calls that had a result", n, len(f.ids))
	}
}

// TestFleetLateRecordings: recordings uploaded after their day's batch
// completed. enqueue --date says the plan ran and names --replan; with
// it, the new keys are planned, status shows the new total and the batch
// running until they are done, then complete again. enqueue --key of a
// late recording counts it in the batch's total.
func TestFleetLateRecordings(t *testing.T) {
	f := newFleet(t, 13, 1)
	w := f.startWorker("worker1", "--concurrency", "2")
	f.callqa("enqueue", "--date", date)
	n := len(f.ids) // the samples and the broken recordings
	st := f.waitComplete(2 * time.Minute)
	if st.Total != n {
		t.Fatalf("total %d, want %d", st.Total, n)
	}
	f.stop(w)
	f.addRecording("LATE-1")
	f.addRecording("LATE-2")

	out := f.callqa("enqueue", "--date", date)
	if !strings.Contains(out, "already ran") || !strings.Contains(out, "callqa enqueue --date "+date+" --replan") {
		t.Fatalf("enqueue --date of a complete day: %s", out)
	}
	if out := f.callqa("enqueue", "--date", date, "--replan"); !strings.Contains(out, "enqueued again") {
		t.Fatalf("enqueue --replan: %s", out)
	}
	if st := f.status(); !st.Planning || st.Complete {
		t.Fatalf("status after the re-plan, no worker: planning %v complete %v", st.Planning, st.Complete)
	}
	// A worker that runs plans only: the two calls wait in bulk.
	planner := f.startWorker("planner", "--queues", "default=1")
	st = f.waitStatus("re-planned", time.Minute, func(st *worker.Status) bool { return st.Planned && !st.Planning })
	if st.Total != n+2 || st.Done != n || st.Missing != 2 || st.Complete || st.Stalled {
		t.Fatalf("after the re-plan: total %d done %d missing %d complete %v stalled %v; want %d, %d, 2, running",
			st.Total, st.Done, st.Missing, st.Complete, st.Stalled, n+2, n)
	}
	if out := f.callqa("status", "--date", date); !strings.Contains(out, ": running") || !strings.Contains(out, fmt.Sprintf("total %d  done %d  missing 2", n+2, n)) {
		t.Errorf("status text after the re-plan:\n%s", out)
	}
	if b, err := f.store.GetBatch(context.Background(), worker.BatchID(date, f.ref)); err != nil || b.Status != store.BatchRunning || b.Total != n+2 {
		t.Errorf("batch row after the re-plan: %+v, %v; want running, total %d", b, err, n+2)
	}
	f.stop(planner)
	f.startWorker("worker2", "--concurrency", "2")
	st = f.waitComplete(2 * time.Minute)
	if st.Total != n+2 || st.Done != n+2 {
		t.Fatalf("after the late recordings: total %d done %d, want %d", st.Total, st.Done, n+2)
	}

	// One more, enqueued on its own.
	key := f.addRecording("LATE-3")
	if out := f.callqa("enqueue", "--key", key); !strings.Contains(out, "enqueued") {
		t.Fatalf("enqueue --key: %s", out)
	}
	st = f.waitStatus("late key done", time.Minute, func(st *worker.Status) bool { return st.Done == n+3 })
	if st.Total != n+3 || !st.Complete {
		t.Fatalf("after enqueue --key: total %d done %d complete %v, want %d of %[4]d", st.Total, st.Done, st.Complete, n+3)
	}
	if out := f.callqa("status", "--date", date); !strings.Contains(out, ": complete") || !strings.Contains(out, fmt.Sprintf("total %d  done %[1]d  missing 0", n+3)) {
		t.Errorf("status text:\n%s", out)
	}
	f.checkResults(st)
}

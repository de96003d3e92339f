package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/callqa/callqa/internal/testsvc"
	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/scorecards"
	"github.com/callqa/callqa/store"
	"github.com/callqa/callqa/worker"
)

func TestParseQueues(t *testing.T) {
	tests := []struct {
		in   string
		want map[string]int
		err  bool
	}{
		{"", nil, false},
		{"critical=6,default=3,bulk=1", map[string]int{"critical": 6, "default": 3, "bulk": 1}, false},
		{"bulk", map[string]int{"bulk": 1}, false},
		{" critical=2 , bulk=1", map[string]int{"critical": 2, "bulk": 1}, false},
		{"bulk=0", nil, true},
		{"bulk=x", nil, true},
		{"=3", nil, true},
	}
	for _, tt := range tests {
		got, err := parseQueues(tt.in)
		if (err != nil) != tt.err || (!tt.err && !reflect.DeepEqual(got, tt.want)) {
			t.Errorf("parseQueues(%q) = %v, %v; want %v (error %v)", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestParseS3URL(t *testing.T) {
	tests := []struct {
		in             string
		bucket, prefix string
		err            bool
	}{
		{"s3://recordings", "recordings", "", false},
		{"s3://recordings/", "recordings", "", false},
		{"s3://recordings/calls/sh", "recordings", "calls/sh", false},
		{"s3:///calls", "", "", true},
		{"http://recordings/calls", "", "", true},
		{"recordings", "", "", true},
	}
	for _, tt := range tests {
		b, p, err := parseS3URL(tt.in)
		if (err != nil) != tt.err || b != tt.bucket || p != tt.prefix {
			t.Errorf("parseS3URL(%q) = %q, %q, %v", tt.in, b, p, err)
		}
	}
}

func FuzzFleetFlags(f *testing.F) {
	for _, s := range []string{"critical=6,default=3,bulk=1", "s3://recordings/calls", "a=1,,b", "s3://x/%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if qs, err := parseQueues(s); err == nil {
			for name, w := range qs {
				if name == "" || w <= 0 || strings.Contains(name, ",") {
					t.Fatalf("parseQueues(%q) accepted %q=%d", s, name, w)
				}
			}
		}
		if b, _, err := parseS3URL(s); err == nil && b == "" {
			t.Fatalf("parseS3URL(%q) accepted an empty bucket", s)
		}
	})
}

// TestFleetCommands drives enqueue, status and requeue against a real
// Redis (database 7) and a SQLite results store: enqueue --key sizes the
// task from the recording and refuses a missing one; a plan that failed
// shows as "plan failed" in status, text and JSON, never complete; requeue
// lists archived tasks (by batch) and re-queues them by task id and by
// batch, the plan included.
func TestFleetCommands(t *testing.T) {
	t.Parallel()
	addr := testsvc.Redis(t, 7)
	redisURL := fmt.Sprintf("redis://%s/7", addr)
	insp := asynq.NewInspector(asynq.RedisClientOpt{Addr: addr, DB: 7})
	defer insp.Close()
	samples := filepath.Join("..", "..", "samples")
	sc, err := scorecards.Default()
	if err != nil {
		t.Fatal(err)
	}
	ref := models.ScorecardRef{ID: sc.ID, Version: sc.Version}
	const date, key = "2026-11-25", "2026/11/25/C20261125-0001.wav"
	batchID := worker.BatchID(date, ref)
	mustRun := func(want int, args ...string) string {
		t.Helper()
		code, out, errOut := runCmd(t, args...)
		if code != want {
			t.Fatalf("callqa %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, want, out, errOut)
		}
		return out
	}

	// enqueue --key: one task on the critical queue, its timeout sized
	// from the recording (asynq keeps whole seconds).
	mustRun(exitOK, "enqueue", "--key", key, "--source", samples, "--redis", redisURL)
	pending, err := insp.ListPendingTasks(worker.QueueCritical)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(samples, filepath.FromSlash(key)))
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 1 {
		t.Fatalf("%d pending critical tasks, want 1", len(pending))
	}
	var p worker.InspectPayload
	if err := json.Unmarshal(pending[0].Payload, &p); err != nil {
		t.Fatal(err)
	}
	if p.Key != key || p.Size != fi.Size() || pending[0].Timeout != (worker.TimeoutConfig{}).For(fi.Size()).Truncate(time.Second) ||
		p.BatchID != batchID || !p.AddToBatch {
		t.Fatalf("enqueued %+v with timeout %v; want key %s, size %d", p, pending[0].Timeout, key, fi.Size())
	}
	mustRun(exitBadInput, "enqueue", "--key", "2026/11/25/GONE.wav", "--source", samples, "--redis", redisURL)

	// enqueue --date, then the plan fails for good after listing part of
	// the day.
	db := filepath.Join(t.TempDir(), "results.db")
	if out := mustRun(exitOK, "enqueue", "--date", date, "--source", samples, "--redis", redisURL); !strings.Contains(out, "enqueued") {
		t.Errorf("enqueue --date: %s", out)
	}
	// No worker has taken the plan: the batch has no row yet, and status
	// says planning (exit 0), text and JSON.
	if out := mustRun(exitOK, "status", "--date", date, "--db", db, "--redis", redisURL); !strings.Contains(out, batchID+" ("+date+", scorecard hotline-12333 v2): planning") {
		t.Errorf("status right after enqueue --date:\n%s", out)
	}
	var planning worker.Status
	if err := json.Unmarshal([]byte(mustRun(exitOK, "status", "--batch", batchID, "--json", "--db", db, "--redis", redisURL)), &planning); err != nil {
		t.Fatal(err)
	}
	if !planning.Planning || planning.Complete || planning.Stalled || planning.Batch.ID != batchID {
		t.Errorf("status --json right after enqueue --date: %+v", planning)
	}
	mustRun(exitBadInput, "status", "--date", "2026-11-24", "--db", db, "--redis", redisURL) // never enqueued
	// Enqueued again, with or without --replan, while it waits: nothing.
	for _, args := range [][]string{{}, {"--replan"}} {
		out := mustRun(exitOK, append([]string{"enqueue", "--date", date, "--source", samples, "--redis", redisURL}, args...)...)
		if !strings.Contains(out, "already enqueued and not finished (pending): nothing to do") {
			t.Errorf("enqueue --date %v of a pending plan: %s", args, out)
		}
	}
	results, err := store.Open(context.Background(), db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = results.StartBatch(context.Background(), &store.Batch{ID: batchID, Source: samples, Prefix: "2026/11/25/",
		Date: date, Scorecard: ref, Total: 0})
	results.Close()
	if err != nil {
		t.Fatal(err)
	}
	planID := worker.PlanTaskID(date, ref)
	if err := insp.ArchiveTask(worker.QueueDefault, planID); err != nil {
		t.Fatal(err)
	}
	if err := insp.ArchiveTask(worker.QueueCritical, pending[0].ID); err != nil {
		t.Fatal(err)
	}
	out := mustRun(exitOK, "status", "--date", date, "--db", db, "--redis", redisURL)
	if !strings.Contains(out, ": plan failed") || !strings.Contains(out, "requeue --batch "+batchID) || strings.Contains(out, ": complete") {
		t.Errorf("status of a failed plan:\n%s", out)
	}
	// QA failures (不合格) and processing errors have different names.
	if !strings.Contains(out, "not passed (不合格) ") || !strings.Contains(out, "tasks: retrying after an error 0  archived 1 ") || strings.Contains(out, " failed ") {
		t.Errorf("status counts:\n%s", out)
	}
	var st struct {
		PlanFailed bool `json:"plan_failed"`
		Planned    bool `json:"planned"`
		Complete   bool `json:"complete"`
	}
	if err := json.Unmarshal([]byte(mustRun(exitOK, "status", "--batch", batchID, "--json", "--db", db, "--redis", redisURL)), &st); err != nil {
		t.Fatal(err)
	}
	if !st.PlanFailed || st.Planned || st.Complete {
		t.Errorf("status --json of a failed plan: %+v", st)
	}

	// enqueue --date of a failed plan names --replan.
	if out := mustRun(exitOK, "enqueue", "--date", date, "--source", samples, "--redis", redisURL); !strings.Contains(out, "already failed") ||
		!strings.Contains(out, "callqa enqueue --date "+date+" --replan") {
		t.Errorf("enqueue --date of a failed plan: %s", out)
	}

	// requeue --list: by batch the plan and the --key task (a recording
	// of the day belongs to its batch), the same without a batch.
	out = mustRun(exitOK, "requeue", "--list", "--batch", batchID, "--redis", redisURL)
	if !strings.Contains(out, planID) || !strings.Contains(out, pending[0].ID) {
		t.Errorf("requeue --list --batch:\n%s", out)
	}
	if out := mustRun(exitOK, "requeue", "--list", "--batch", worker.BatchID("2026-11-24", ref), "--redis", redisURL); strings.Contains(out, planID) || strings.Contains(out, pending[0].ID) {
		t.Errorf("requeue --list --batch of another day:\n%s", out)
	}
	out = mustRun(exitOK, "requeue", "--list", "--redis", redisURL)
	if !strings.Contains(out, planID) || !strings.Contains(out, pending[0].ID) || !strings.Contains(out, key) {
		t.Errorf("requeue --list:\n%s", out)
	}
	// By task id, then by batch; an unknown id is bad input.
	mustRun(exitBadInput, "requeue", "--redis", redisURL, "inspect:nope")
	if out := mustRun(exitOK, "requeue", "--redis", redisURL, pending[0].ID); !strings.Contains(out, "re-queued 1 ") {
		t.Errorf("requeue ID: %s", out)
	}
	if out := mustRun(exitOK, "requeue", "--batch", batchID, "--redis", redisURL); !strings.Contains(out, "re-queued 1 ") {
		t.Errorf("requeue --batch: %s", out)
	}
	for _, tt := range []struct{ queue, id string }{{worker.QueueCritical, pending[0].ID}, {worker.QueueDefault, planID}} {
		info, err := insp.GetTaskInfo(tt.queue, tt.id)
		if err != nil || info.State != asynq.TaskStatePending {
			t.Errorf("task %s after requeue: %v, %v; want pending", tt.id, info, err)
		}
	}
	out = mustRun(exitOK, "status", "--batch", batchID, "--db", db, "--redis", redisURL)
	if !strings.Contains(out, ": planning") {
		t.Errorf("status after re-queuing the plan:\n%s", out)
	}
}

// TestInspectTaskError: when the call:inspect task cannot be made, the
// error reaches the caller with no task (enqueue's --key branch used to
// assign that error to a shadowed variable, and went on to enqueue a nil
// task).
func TestInspectTaskError(t *testing.T) {
	t.Parallel()
	samples, err := filepath.Abs(filepath.Join("..", "..", "samples"))
	if err != nil {
		t.Fatal(err)
	}
	var ff fleetFlags
	task, err := inspectTask(context.Background(), &ff, samples, "2026/11/25/C20261125-0001.wav",
		models.ScorecardRef{}, worker.QueueCritical, false) // no scorecard: NewInspectTask refuses
	if err == nil || task != nil || !errors.Is(err, models.ErrBadInput) {
		t.Fatalf("inspectTask without a scorecard = %v, %v; want no task and a bad-input error", task, err)
	}
}

func TestKeyDate(t *testing.T) {
	t.Parallel()
	for key, want := range map[string]string{
		"2026/11/25/C1.wav":       "2026-11-25",
		"2026/11/25/sub/C1.wav":   "2026-11-25",
		"2026/13/25/C1.wav":       "",
		"calls/2026/11/25/C1.wav": "",
		"2026/11/25":              "",
		"2026-11-25/C1.wav":       "",
		"C1.wav":                  "",
	} {
		got, ok := keyDate(key)
		if got != want || ok != (want != "") {
			t.Errorf("keyDate(%q) = %q, %v; want %q", key, got, ok, want)
		}
	}
}

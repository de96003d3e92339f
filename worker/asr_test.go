package worker_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/pipeline"
	"github.com/callqa/callqa/pipeline/asr"
	"github.com/callqa/callqa/scorecards"
	"github.com/callqa/callqa/worker"
)

// TestInspectASRServiceFault: a call without a transcript, inspected with
// a transcription service that refuses the key or answers without
// segments, is retried and nothing is stored (never unprocessable); once
// the service answers, the retry stores the call with its transcript.
func TestInspectASRServiceFault(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const key = "2026/11/25/C20261125-0001.wav"
	if err := os.Remove(filepath.Join(b.dir, "2026", "11", "25", "C20261125-0001.transcript.json")); err != nil {
		t.Fatal(err)
	}
	var mode atomic.Value // "401", "text" or "ok"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch mode.Load() {
		case "401":
			http.Error(w, "invalid key", http.StatusUnauthorized)
		case "text":
			json.NewEncoder(w).Encode(map[string]string{"text": "您好"})
		default:
			json.NewEncoder(w).Encode(map[string]any{"text": "", "segments": []map[string]any{
				{"start": 1.0, "end": 3.0, "text": "您好，上海12333，工号1086"}}})
		}
	}))
	t.Cleanup(srv.Close)
	client, err := asr.New(asr.Config{URL: srv.URL, Model: "whisper-1", TempDir: t.TempDir()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := scorecards.Default()
	if err != nil {
		t.Fatal(err)
	}
	eng, err := pipeline.NewEngine(sc, pipeline.Config{Transcriber: client}, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := worker.NewInspectHandler(eng, b.store, b.sourceFunc, b.metrics, nil)
	for _, m := range []string{"401", "text"} {
		mode.Store(m)
		err := h.ProcessTask(context.Background(), b.task(t, worker.InspectPayload{Key: key}))
		if worker.Outcome(err) != "retry" {
			t.Fatalf("service %s: ProcessTask() = %v, want a retryable error", m, err)
		}
		if n := b.countRows(t); n != 0 {
			t.Fatalf("service %s: %d rows stored", m, n)
		}
	}
	mode.Store("ok")
	if err := h.ProcessTask(context.Background(), b.task(t, worker.InspectPayload{Key: key})); err != nil {
		t.Fatalf("service fixed: ProcessTask() = %v", err)
	}
	stored, err := b.store.StoredCall(context.Background(), key, b.ref)
	if err != nil || stored == nil || stored.Status != models.StatusInspected {
		t.Fatalf("stored %+v, %v; want the call inspected", stored, err)
	}
	if _, err := os.Stat(filepath.Join(b.dir, "2026", "11", "25", "C20261125-0001.transcript.json")); err != nil {
		t.Errorf("transcript sidecar not written: %v", err)
	}
}

package source_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/callqa/callqa/source"
)

// TestS3SourceReusesConnections: a body that its reader leaves before its
// end (a JSON decoder stops after the value, the WAV decoder after the
// data chunk) is read out on Close, so that the next GET reuses the
// connection instead of opening a new one (TCP, and TLS in production).
// versitygw closes every connection itself, so this runs on a minimal S3
// GET server that keeps them alive, as MinIO does.
func TestS3SourceReusesConnections(t *testing.T) {
	t.Parallel()
	objects := map[string]string{
		"/recordings/C1.meta.json": `{"call_id": "C1"}` + "\n",
		"/recordings/C1.wav":       "RIFF....WAVEdata" + strings.Repeat("x", 64<<10) + "LIST" + strings.Repeat("i", 200),
		"/recordings/big.wav":      strings.Repeat("y", 4<<20),
	}
	var opened atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := objects[r.URL.Path]
		if !ok {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>`)
			return
		}
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		w.Header().Set("Last-Modified", time.Now().UTC().Format(http.TimeFormat))
		w.Header().Set("ETag", `"0123"`)
		io.WriteString(w, body)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			opened.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	src, err := source.NewS3(context.Background(), source.S3Config{Endpoint: strings.TrimPrefix(srv.URL, "http://"),
		Bucket: "recordings", AccessKey: "a", SecretKey: "s"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range 3 {
		// The meta sidecar, as the engine decodes it.
		rc, err := src.OpenSidecar(ctx, "C1.wav", ".meta.json")
		if err != nil {
			t.Fatal(err)
		}
		var meta map[string]any
		if err := json.NewDecoder(rc).Decode(&meta); err != nil || meta["call_id"] != "C1" {
			t.Fatalf("meta %v, %v", meta, err)
		}
		rc.Close()
		// The recording, up to the end of its data chunk.
		rc, err = src.Open(ctx, "C1.wav")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.CopyN(io.Discard, rc, 16+64<<10); err != nil {
			t.Fatal(err)
		}
		rc.Close()
		// A missing transcript.
		if _, err := src.OpenSidecar(ctx, "C1.wav", ".transcript.json"); !source.IsNotFound(err) {
			t.Fatalf("missing sidecar: %v", err)
		}
		if got := opened.Load(); got != 1 {
			t.Fatalf("round %d: %d connections opened, want 1 reused", i, got)
		}
	}
	// A big body left early is not read out: dropping its connection is
	// cheaper.
	rc, err := src.Open(ctx, "big.wav")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	rc.Close()
	if d := time.Since(start); d > time.Second {
		t.Errorf("closing a 4 MiB body read out %v", d)
	}
}

package worker_test

import (
	"context"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/callqa/callqa/worker"
)

// FuzzInspectPayload feeds arbitrary payloads to the call:inspect handler:
// it must never panic, and a payload it cannot use must never be retried.
func FuzzInspectPayload(f *testing.F) {
	for _, seed := range []string{
		`{"v":1,"source":"local","key":"2026/11/25/C20261125-0001.wav","scorecard":{"id":"hotline-12333","version":1}}`,
		`{"v":1,"source":"local","key":"2026/11/25/BROKEN.wav","scorecard":{"id":"hotline-12333","version":1}}`,
		`{"v":1,"source":"local","key":"../../etc/passwd","scorecard":{"id":"hotline-12333","version":1}}`,
		`{"v":1,"source":"local","key":"","scorecard":{"id":"hotline-12333","version":1}}`,
		`{"v":2}`, `{}`, `null`, `[]`, ``, `{"v":1,"source":"ftp://x","key":"a.wav"}`,
	} {
		f.Add([]byte(seed))
	}
	b := setup(f)
	f.Fuzz(func(t *testing.T, payload []byte) {
		err := b.handler.ProcessTask(context.Background(), asynq.NewTask(worker.TypeInspect, payload))
		switch worker.Outcome(err) {
		case "ok", "skip_retry", "retry":
		default:
			t.Fatalf("payload %q: %v", payload, err)
		}
	})
}

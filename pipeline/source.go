package pipeline

import (
	"context"
	"io"

	"github.com/callqa/callqa/pipeline/transcript"
)

// Sidecar suffixes, appended to the recording's key without its extension:
// recordings/2026/11/25/C1.wav has C1.transcript.json and C1.meta.json.
const (
	SuffixTranscript = transcript.SuffixTranscript
	SuffixMeta       = ".meta.json"
	// Per-channel OpenAI verbose_json transcripts.
	SuffixAgentVerbose    = transcript.SuffixAgentVerbose
	SuffixCustomerVerbose = transcript.SuffixCustomerVerbose
)

// RecordingSource opens a recording and its sidecars. Both the local folder
// and the S3 bucket implement it. A missing recording or sidecar is reported
// with an error matching fs.ErrNotExist (storage.ErrNotFound does).
type RecordingSource interface {
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	OpenSidecar(ctx context.Context, key, suffix string) (io.ReadCloser, error)
}

package pipeline

import (
	"context"
	"io"
)

// RecordingSource opens a recording and its sidecars. Both the local folder
// and the S3 bucket implement it. A missing recording or sidecar is reported
// with an error matching fs.ErrNotExist (source.ErrNotFound does).
type RecordingSource interface {
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	OpenSidecar(ctx context.Context, key, suffix string) (io.ReadCloser, error)
}

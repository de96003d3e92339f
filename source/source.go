// Package source is where recordings come from: a local folder (Local,
// which follows symbolic links to NAS mounts) or an S3 bucket (S3, any
// S3-compatible server through minio-go). Both list the recordings under a
// prefix, open a recording and its sidecars (models.SuffixMeta,
// models.SuffixTranscript...) and write sidecars back (a transcript made
// by the ASR adapter). A missing recording or sidecar matches ErrNotFound
// and fs.ErrNotExist; the S3 source tells an unreachable server
// (ErrUnreachable) and a missing bucket (ErrNoBucket) from bad input.
package source

import (
	"errors"
	"io/fs"
	"time"
)

// ErrNotFound is returned (wrapped) when a recording or sidecar does not
// exist. It matches fs.ErrNotExist too, so callers may test either.
var ErrNotFound = notFound{}

type notFound struct{}

func (notFound) Error() string        { return "not found" }
func (notFound) Is(target error) bool { return target == fs.ErrNotExist }

var _ error = ErrNotFound

// Object is one recording found by a source listing.
type Object struct {
	Key     string    // path relative to the source root, or the object key
	Size    int64     // bytes
	ModTime time.Time // last modification
}

// IsNotFound reports whether err says a recording or sidecar is missing.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) || errors.Is(err, fs.ErrNotExist) }

// Package storage holds where recordings come from (a local folder or an S3
// bucket) and where inspection results go (SQLite or PostgreSQL).
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

package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/callqa/callqa/models"
)

// Local is a folder of recordings, laid out by day as
// ROOT/2026/11/25/<call>.wav with the sidecars (<call>.transcript.json,
// <call>.meta.json) next to each recording. Keys are slash-separated paths
// relative to the root. Symbolic links inside the root are followed: the
// operator controls the folder; keys from elsewhere (queue payloads) are
// checked so that they cannot name a file outside it.
type Local struct {
	root string
}

// NewLocal returns the source rooted at the folder root, which must
// exist.
func NewLocal(root string) (*Local, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("local source %s: %w", root, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("local source %s: %w", root, ErrNotFound)
		}
		return nil, fmt.Errorf("local source %s: %w", root, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("local source %s: not a folder", root)
	}
	return &Local{root: abs}, nil
}

// Root returns the absolute path of the folder.
func (s *Local) Root() string { return s.root }

// path maps a key to a file path, rejecting keys that escape the root.
func (s *Local) path(key string) (string, error) {
	if !fs.ValidPath(key) || key == "." || strings.Contains(key, `\`) {
		return "", fmt.Errorf("invalid key %q: must be a slash-separated path inside the source", key)
	}
	return filepath.Join(s.root, filepath.FromSlash(key)), nil
}

// Open opens the recording key for reading. A missing file yields an error
// wrapping ErrNotFound.
func (s *Local) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("open %s: %w", key, err)
	}
	p, err := s.path(key)
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	f, err := os.Open(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("open %s: %w", key, ErrNotFound)
		}
		return nil, fmt.Errorf("open %s: %w", key, err)
	}
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		f.Close()
		return nil, fmt.Errorf("open %s: is a folder: %w", key, ErrNotFound)
	}
	return f, nil
}

// OpenSidecar opens the sidecar of recording key with the given suffix
// (models.SuffixMeta, models.SuffixTranscript...). A missing sidecar
// yields an error wrapping ErrNotFound.
func (s *Local) OpenSidecar(ctx context.Context, key, suffix string) (io.ReadCloser, error) {
	return s.Open(ctx, models.SidecarKey(key, suffix))
}

// WriteSidecar writes the sidecar of recording key atomically: the data
// goes to a temporary file in the same folder, which is then renamed over
// the sidecar, so readers see either the old or the new content.
func (s *Local) WriteSidecar(ctx context.Context, key, suffix string, data []byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("write sidecar %s: %w", key, err)
	}
	sk := models.SidecarKey(key, suffix)
	p, err := s.path(sk)
	if err != nil {
		return fmt.Errorf("write sidecar: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(p), "."+filepath.Base(p)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write sidecar %s: %w", sk, err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, p)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write sidecar %s: %w", sk, err)
	}
	return nil
}

// List calls fn for every recording (.wav or .WAV file) under prefix, a
// folder path relative to the root such as "2026/11/25" ("" for the whole
// tree). The walk is recursive and streams: recordings are reported folder
// by folder, in name order, without building the whole list. Hidden files
// and folders (starting with ".") are skipped. A prefix that does not exist
// lists nothing. An error from fn stops the walk and is returned as is.
//
// Symbolic links are followed, to folders as well as to recordings: a day
// folder is often a link to a NAS mount, and the root or the prefix may be
// links themselves. Keys are the paths under the root as the operator sees
// them (through the links). A folder reached a second time (a link loop, or
// two links to the same folder) is not walked again, so that a recording is
// listed once; a dangling link to a recording is listed (size 0), so that
// it is reported as unprocessable rather than lost.
func (s *Local) List(ctx context.Context, prefix string, fn func(Object) error) error {
	prefix = strings.Trim(prefix, "/")
	dir := s.root
	if prefix != "" {
		p, err := s.path(prefix)
		if err != nil {
			return fmt.Errorf("list: %w", err)
		}
		dir = p
	}
	fi, err := os.Stat(dir) // follows links
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("list %s: %w", prefix, err)
	}
	if !fi.IsDir() {
		return nil
	}
	w := &walker{ctx: ctx, root: s.root, fn: fn, visited: map[string]bool{}}
	err = w.dir(dir)
	if errors.Is(err, errStopWalk) {
		return w.fnErr
	}
	if err != nil {
		return fmt.Errorf("list %s: %w", prefix, err)
	}
	return nil
}

// errStopWalk ends a walk when fn fails.
var errStopWalk = errors.New("stop")

// walker is one List in progress.
type walker struct {
	ctx  context.Context
	root string // logical root: keys are relative to it
	fn   func(Object) error
	// visited holds the resolved (symlink-free) path of every folder walked.
	visited map[string]bool
	fnErr   error
}

// dir walks the folder at the logical path p.
func (w *walker) dir(p string) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) { // removed while walking
			return nil
		}
		return err
	}
	if w.visited[real] {
		return nil // a loop, or a folder already listed through another link
	}
	w.visited[real] = true
	entries, err := os.ReadDir(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	for _, d := range entries {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		name := d.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		full := filepath.Join(p, name)
		var info fs.FileInfo
		if d.Type()&fs.ModeSymlink != 0 {
			if info, err = os.Stat(full); err != nil {
				if isWAV(name) && errors.Is(err, fs.ErrNotExist) {
					// A recording whose link points nowhere (an unmounted
					// share, say) is still a call of the day: list it, so
					// that it is reported as unprocessable, not lost.
					if err := w.emit(full, 0, time.Time{}); err != nil {
						return err
					}
				}
				continue
			}
		} else if d.IsDir() {
			if err := w.dir(full); err != nil {
				return err
			}
			continue
		} else if !isWAV(name) {
			continue
		} else if info, err = d.Info(); err != nil {
			if errors.Is(err, fs.ErrNotExist) { // removed while walking
				continue
			}
			return err
		}
		switch {
		case info.IsDir():
			if err := w.dir(full); err != nil {
				return err
			}
		case info.Mode().IsRegular() && isWAV(name):
			if err := w.emit(full, info.Size(), info.ModTime()); err != nil {
				return err
			}
		}
	}
	return nil
}

// emit hands one recording to fn.
func (w *walker) emit(full string, size int64, mod time.Time) error {
	rel, err := filepath.Rel(w.root, full)
	if err != nil {
		return err
	}
	if w.fnErr = w.fn(Object{Key: filepath.ToSlash(rel), Size: size, ModTime: mod}); w.fnErr != nil {
		return errStopWalk
	}
	return nil
}

func isWAV(name string) bool {
	return strings.HasSuffix(name, ".wav") || strings.HasSuffix(name, ".WAV")
}

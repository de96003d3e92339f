package source

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/pipeline"
)

var _ pipeline.RecordingSource = (*Local)(nil)

// tree writes files (slash paths relative to root, with their content).
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, data := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func listKeys(t *testing.T, s *Local, prefix string) []string {
	t.Helper()
	var keys []string
	if err := s.List(context.Background(), prefix, func(o Object) error {
		keys = append(keys, o.Key)
		return nil
	}); err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	return keys
}

func TestLocalList(t *testing.T) {
	t.Parallel()
	root := tree(t, map[string]string{
		"2026/11/25/B.wav":             "b",
		"2026/11/25/A.WAV":             "aa",
		"2026/11/25/A.meta.json":       "{}",
		"2026/11/25/A.transcript.json": "{}",
		"2026/11/25/sub/C.wav":         "c",
		"2026/11/25/.hidden.wav":       "h",
		"2026/11/25/.trash/D.wav":      "d",
		"2026/11/24/E.wav":             "e",
		"2026/11/250/F.wav":            "f",
		"notes.txt":                    "x",
		"G.wav":                        "g",
	})
	s, err := NewLocal(root)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		prefix string
		want   string
	}{
		{"", "2026/11/24/E.wav 2026/11/25/A.WAV 2026/11/25/B.wav 2026/11/25/sub/C.wav 2026/11/250/F.wav G.wav"},
		{"2026/11/25", "2026/11/25/A.WAV 2026/11/25/B.wav 2026/11/25/sub/C.wav"},
		{"/2026/11/25/", "2026/11/25/A.WAV 2026/11/25/B.wav 2026/11/25/sub/C.wav"},
		{"2026/11/26", ""},
	}
	for _, tt := range tests {
		if got := strings.Join(listKeys(t, s, tt.prefix), " "); got != tt.want {
			t.Errorf("List(%q) = %s, want %s", tt.prefix, got, tt.want)
		}
	}
	var sizes []int64
	s.List(context.Background(), "2026/11/25", func(o Object) error {
		sizes = append(sizes, o.Size)
		if o.ModTime.IsZero() {
			t.Errorf("%s: zero ModTime", o.Key)
		}
		return nil
	})
	if len(sizes) != 3 || sizes[0] != 2 {
		t.Errorf("sizes = %v", sizes)
	}

	// fn's error stops the walk and comes back as is.
	stop := errors.New("enough")
	n := 0
	err = s.List(context.Background(), "", func(Object) error {
		n++
		return stop
	})
	if err != stop || n != 1 {
		t.Errorf("List with a failing fn = %v after %d calls", err, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.List(ctx, "", func(Object) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("List(cancelled) = %v", err)
	}
	if err := s.List(context.Background(), "../x", func(Object) error { return nil }); err == nil {
		t.Error("List(../x) = nil error")
	}
}

func TestLocalOpen(t *testing.T) {
	t.Parallel()
	root := tree(t, map[string]string{
		"2026/11/25/A.wav":       "RIFF",
		"2026/11/25/A.meta.json": `{"agent_id":"1"}`,
	})
	s, err := NewLocal(root)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	read := func(rc io.ReadCloser, err error) (string, error) {
		if err != nil {
			return "", err
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		return string(b), err
	}
	if got, err := read(s.Open(ctx, "2026/11/25/A.wav")); err != nil || got != "RIFF" {
		t.Errorf("Open = %q, %v", got, err)
	}
	if got, err := read(s.OpenSidecar(ctx, "2026/11/25/A.wav", models.SuffixMeta)); err != nil || got != `{"agent_id":"1"}` {
		t.Errorf("OpenSidecar(meta) = %q, %v", got, err)
	}
	for _, key := range []string{"2026/11/25/missing.wav", "2026/11/25"} {
		_, err := s.Open(ctx, key)
		if !errors.Is(err, ErrNotFound) || !errors.Is(err, fs.ErrNotExist) || !IsNotFound(err) {
			t.Errorf("Open(%s) = %v, want ErrNotFound", key, err)
		}
	}
	if _, err := s.OpenSidecar(ctx, "2026/11/25/A.wav", models.SuffixTranscript); !IsNotFound(err) {
		t.Errorf("OpenSidecar(transcript) = %v, want ErrNotFound", err)
	}
	for _, key := range []string{"../etc/passwd", "/etc/passwd", "2026/../../x.wav", "", ".", `a\..\..\x`, "a//b.wav"} {
		if _, err := s.Open(ctx, key); err == nil || IsNotFound(err) {
			t.Errorf("Open(%q) = %v, want an invalid-key error", key, err)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Open(cctx, "2026/11/25/A.wav"); !errors.Is(err, context.Canceled) {
		t.Errorf("Open(cancelled) = %v", err)
	}
	if _, err := NewLocal(filepath.Join(root, "nope")); !IsNotFound(err) {
		t.Errorf("NewLocal(missing) = %v", err)
	}
	if _, err := NewLocal(filepath.Join(root, "2026/11/25/A.wav")); err == nil {
		t.Error("NewLocal(file) = nil error")
	}
}

func TestLocalWriteSidecar(t *testing.T) {
	t.Parallel()
	root := tree(t, map[string]string{"2026/11/25/A.wav": "RIFF"})
	s, err := NewLocal(root)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, data := range []string{`{"utterances":[]}`, `{"utterances":[{"text":"您好"}]}`} {
		if err := s.WriteSidecar(ctx, "2026/11/25/A.wav", models.SuffixTranscript, []byte(data)); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(root, "2026/11/25/A.transcript.json"))
		if err != nil || string(got) != data {
			t.Errorf("sidecar = %q, %v; want %q", got, err, data)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(root, "2026/11/25"))
	if len(entries) != 2 {
		t.Errorf("folder holds %d files, want 2 (no temporary file left)", len(entries))
	}
	if err := s.WriteSidecar(ctx, "../A.wav", models.SuffixTranscript, nil); err == nil {
		t.Error("WriteSidecar(../A.wav) = nil error")
	}
	if err := s.WriteSidecar(ctx, "2026/11/26/A.wav", models.SuffixTranscript, nil); err == nil {
		t.Error("WriteSidecar into a missing folder = nil error")
	}
}

// FuzzLocalKey checks that no key reaches a file outside the root.
func FuzzLocalKey(f *testing.F) {
	for _, k := range []string{"2026/11/25/A.wav", "../x", "a/../../x", "/etc/passwd", "", ".", "a/./b", `..\x`} {
		f.Add(k)
	}
	root := f.TempDir()
	s, err := NewLocal(root)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, key string) {
		p, err := s.path(key)
		if err != nil {
			return
		}
		rel, err := filepath.Rel(s.root, p)
		if err != nil || rel == ".." || strings.HasPrefix(rel, "../") || filepath.IsAbs(rel) || rel == "." {
			t.Fatalf("key %q maps to %q, outside the root", key, p)
		}
	})
}

// TestLocalListSymlinks lists recordings reached through symbolic
// links: a day folder on a NAS mount, a root that is itself a link, a
// linked recording, a link loop, two links to one folder and a dangling
// link. Keys stay relative to the root as given.
func TestLocalListSymlinks(t *testing.T) {
	t.Parallel()
	nas := tree(t, map[string]string{
		"day25/A.wav":       "a",
		"day25/A.meta.json": "{}",
		"day25/sub/B.wav":   "bb",
		"single/E.wav":      "eeee",
	})
	root := tree(t, map[string]string{
		"2026/11/24/C.wav": "c",
		"loop/D.wav":       "d",
	})
	link := func(target, name string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, name); err != nil {
			t.Fatal(err)
		}
	}
	link(filepath.Join(nas, "day25"), filepath.Join(root, "2026/11/25"))              // a day folder on the NAS
	link(filepath.Join(nas, "single/E.wav"), filepath.Join(root, "2026/11/24/E.wav")) // one linked recording
	link(filepath.Join(root, "loop"), filepath.Join(root, "loop/again"))              // loop/again/again/... -> loop
	link("../2026/11/24", filepath.Join(root, "loop/day24"))                          // a second link to a folder
	link(filepath.Join(nas, "missing.wav"), filepath.Join(root, "2026/11/24/F.wav"))  // dangling
	link(filepath.Join(root, "self.wav"), filepath.Join(root, "self.wav"))            // a link to itself

	// The root given through a link, as when /data/recordings is a mount point link.
	linkedRoot := filepath.Join(t.TempDir(), "recordings")
	link(root, linkedRoot)

	for _, r := range []string{root, linkedRoot} {
		s, err := NewLocal(r)
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			prefix string
			want   string
		}{
			// The dangling F.wav is listed, to be reported unprocessable.
			{"", "2026/11/24/C.wav 2026/11/24/E.wav 2026/11/24/F.wav 2026/11/25/A.wav 2026/11/25/sub/B.wav loop/D.wav"},
			{"2026/11/25", "2026/11/25/A.wav 2026/11/25/sub/B.wav"},
			{"2026/11/24", "2026/11/24/C.wav 2026/11/24/E.wav 2026/11/24/F.wav"},
			// Through loop/day24 only when 2026/11/24 was not listed already.
			{"loop", "loop/D.wav loop/day24/C.wav loop/day24/E.wav loop/day24/F.wav"},
		}
		for _, tt := range tests {
			if got := strings.Join(listKeys(t, s, tt.prefix), " "); got != tt.want {
				t.Errorf("root %s: List(%q) = %s, want %s", r, tt.prefix, got, tt.want)
			}
		}
		// Listed keys open, sidecars included, and sizes are the targets'.
		sizes := map[string]int64{}
		if err := s.List(context.Background(), "", func(o Object) error {
			sizes[o.Key] = o.Size
			rc, err := s.Open(context.Background(), o.Key)
			if strings.HasSuffix(o.Key, "F.wav") {
				if !IsNotFound(err) {
					t.Errorf("Open(%s) of a dangling link: %v, want not found", o.Key, err)
				}
				return nil
			}
			if err != nil {
				return err
			}
			return rc.Close()
		}); err != nil {
			t.Fatal(err)
		}
		if sizes["2026/11/24/E.wav"] != 4 || sizes["2026/11/25/sub/B.wav"] != 2 {
			t.Errorf("sizes = %v", sizes)
		}
		if rc, err := s.OpenSidecar(context.Background(), "2026/11/25/A.wav", models.SuffixMeta); err != nil {
			t.Errorf("OpenSidecar through the day link: %v", err)
		} else {
			rc.Close()
		}
	}
}

package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDockerignore checks that the repository's .dockerignore keeps in the
// build context every file the Dockerfile's build reads: go.mod, go.sum and
// the Go and embedded files of every package of this module that
// ./cmd/callqa links (listed by go list with the Dockerfile's build
// settings), and that it keeps out what must not ship.
func TestDockerignore(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(root, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ign, err := parseDockerignore(f)
	if err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command("go", "list", "-deps", "-tags", "timetzdata", "-json=Dir,GoFiles,EmbedFiles,Module", "./cmd/callqa")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	need := []string{"go.mod", "go.sum", "Dockerfile"}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p struct {
			Dir                 string
			GoFiles, EmbedFiles []string
			Module              *struct{ Main bool }
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if p.Module == nil || !p.Module.Main {
			continue // the standard library and dependencies: downloaded
		}
		rel, err := filepath.Rel(root, p.Dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range append(p.GoFiles, p.EmbedFiles...) {
			need = append(need, filepath.ToSlash(filepath.Join(rel, name)))
		}
	}
	if len(need) < 50 {
		t.Fatalf("go list found only %d files: %v", len(need), need)
	}
	for _, name := range need {
		if ign.excludes(name) {
			t.Errorf(".dockerignore excludes %s, which the image's build needs", name)
		}
	}

	for _, name := range []string{".git", ".git/HEAD", "callqa.db", "callqa.db-wal", "data/x.db-shm",
		"artifacts/bench.txt", "callqa", "report/report.test", "cpu.prof",
		"pipeline/decode/testdata/sox_mulaw.wav", "samples/2026/11/25/C20261125-0001.wav"} {
		if !ign.excludes(name) {
			t.Errorf(".dockerignore lets %s into the build context", name)
		}
	}
	for _, name := range []string{"cmd/callqa/main.go", "samples/generate/main.go"} {
		if ign.excludes(name) {
			t.Errorf(".dockerignore excludes %s", name)
		}
	}
}

// dockerignore is a parsed .dockerignore: Docker's rules, enough of them for
// ours (patterns relative to the context root, * and ? within one path
// element, ** across elements, ! to include again, the last matching line
// wins, a pattern that matches a directory matches everything under it).
type dockerignore []dockerPattern

type dockerPattern struct {
	re     *regexp.Regexp
	negate bool
}

func parseDockerignore(r io.Reader) (dockerignore, error) {
	var out dockerignore
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		var p dockerPattern
		if line[0] == '!' {
			p.negate, line = true, strings.TrimSpace(line[1:])
		}
		line = strings.TrimPrefix(path.Clean(line), "/")
		var re strings.Builder
		re.WriteString("^")
		for i := 0; i < len(line); i++ {
			switch c := line[i]; {
			case strings.HasPrefix(line[i:], "**/"):
				re.WriteString("(.*/)?")
				i += 2
			case strings.HasPrefix(line[i:], "**"):
				re.WriteString(".*")
				i++
			case c == '*':
				re.WriteString("[^/]*")
			case c == '?':
				re.WriteString("[^/]")
			default:
				re.WriteString(regexp.QuoteMeta(string(c)))
			}
		}
		re.WriteString("$")
		var err error
		if p.re, err = regexp.Compile(re.String()); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, sc.Err()
}

// excludes reports whether name (slash-separated, relative to the context
// root) is left out of the build context.
func (d dockerignore) excludes(name string) bool {
	excluded := false
	for _, p := range d {
		for dir := name; dir != "." && dir != "/"; dir = path.Dir(dir) {
			if p.re.MatchString(dir) {
				excluded = !p.negate
				break
			}
		}
	}
	return excluded
}

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestShowRebuildsInspect runs the samples into a database and checks that
// `callqa show` prints, for every call, byte for byte what `callqa inspect
// --json` prints: the compact stored form loses nothing. A recording gone
// from the source still shows, without its waveform, saying why.
func TestShowRebuildsInspect(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "results.db")
	samples := filepath.Join("..", "..", "samples")
	if code, out, errOut := runCmd(t, "run", samples, "--date", "2026-11-25", "--db", db, "--workers", "2"); code != exitOK {
		t.Fatalf("run exit %d\n%s\n%s", code, out, errOut)
	}
	wavs, _ := filepath.Glob(filepath.Join(samples, "2026", "11", "25", "*.wav"))
	if len(wavs) < 7 {
		t.Fatalf("%d samples", len(wavs))
	}
	for _, w := range wavs {
		key := "2026/11/25/" + filepath.Base(w)
		code, shown, errOut := runCmd(t, "show", "--db", db, "--source", samples, key)
		if code != exitOK || errOut != "" {
			t.Fatalf("show %s: exit %d: %s", key, code, errOut)
		}
		code, inspected, errOut := runCmd(t, "inspect", "--json", w)
		if code != exitOK {
			t.Fatalf("inspect %s: exit %d: %s", key, code, errOut)
		}
		// inspect names the recording as given on its command line.
		inspected = strings.ReplaceAll(inspected, `"recording": "`+w+`"`, `"recording": "`+key+`"`)
		if shown != inspected {
			t.Errorf("show %s differs from inspect --json:\n%s", key, firstLineDiff(inspected, shown))
		}
	}

	// A copy of one call's transcript but not its recording.
	other := filepath.Join(dir, "src", "2026", "11", "25")
	if err := os.MkdirAll(other, 0o755); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(samples, "2026", "11", "25", "C20261125-0004.transcript.json"))
	os.WriteFile(filepath.Join(other, "C20261125-0004.transcript.json"), b, 0o644)
	code, shown, errOut := runCmd(t, "show", "--db", db, "--source", filepath.Join(dir, "src"), "2026/11/25/C20261125-0004.wav")
	if code != exitOK || !strings.Contains(errOut, "波形不可用") || strings.Contains(shown, `"envelope"`) || !strings.Contains(shown, `"utterances"`) {
		t.Errorf("show without the recording: exit %d, stderr %q, envelope shown %v", code, errOut, strings.Contains(shown, `"envelope"`))
	}
	if code, _, errOut := runCmd(t, "show", "--db", db, "--source", samples, "2026/11/25/nope.wav"); code != exitBadInput || !strings.Contains(errOut, "no result of 2026/11/25/nope.wav") {
		t.Errorf("show of an unknown recording: exit %d, %s", code, errOut)
	}
}

// firstLineDiff returns the first differing line of a and b.
func firstLineDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return "line " + al[i] + "\n  vs " + bl[i]
		}
	}
	return "lengths differ"
}

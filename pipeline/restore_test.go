package pipeline

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/source"
)

// leaveOut does to res what a results store does: the envelope and a
// transcript kept beside the recording are left out, Omitted says so.
func leaveOut(t *testing.T, res *models.Result) *models.Result {
	t.Helper()
	js, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var out models.Result
	if err := json.Unmarshal(js, &out); err != nil {
		t.Fatal(err)
	}
	out.Omitted = &models.Omitted{Envelope: res.Envelope != nil}
	out.Envelope = nil
	if res.Transcript != nil && res.Transcript.Sidecar {
		if out.Omitted.TranscriptSHA256, err = models.TranscriptSHA256(res.Transcript); err != nil {
			t.Fatal(err)
		}
		out.Transcript = nil
	}
	return &out
}

// TestRestoreSamples leaves out of every sample call's result what a store
// leaves out and restores it: the JSON equals the inspection's.
func TestRestoreSamples(t *testing.T) {
	src, err := source.NewLocal(samplesRoot)
	if err != nil {
		t.Fatal(err)
	}
	eng := defaultEngine(t)
	ctx := context.Background()
	for _, key := range sampleKeys(t) {
		res, err := eng.InspectKey(ctx, src, key)
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != models.StatusInspected || res.Envelope == nil || res.Transcript == nil || !res.Transcript.Sidecar {
			t.Fatalf("%s: want an inspected call with an envelope and a sidecar transcript, got %+v", key, res)
		}
		stored := leaveOut(t, res)
		notes, err := Restore(ctx, src, stored)
		if err != nil || len(notes) > 0 {
			t.Fatalf("%s: Restore = %v, %v", key, notes, err)
		}
		want, _ := json.Marshal(res)
		got, _ := json.Marshal(stored)
		if string(got) != string(want) || stored.Omitted != nil {
			t.Errorf("%s: restored result differs from the inspection's (omitted %+v):\n%s", key, stored.Omitted, firstDiff(string(want), string(got)))
		}
	}
}

// TestRestoreChanged: a transcript sidecar changed or removed since the
// inspection is not shown, a recording gone gives no waveform; each says
// why, and nothing else of the result changes.
func TestRestoreChanged(t *testing.T) {
	dir := t.TempDir()
	const key = "2026/11/25/C20261125-0004"
	for _, ext := range []string{".wav", ".meta.json", ".transcript.json"} {
		b, err := os.ReadFile(filepath.Join(samplesRoot, key+ext))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(key)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, key+ext), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	src, err := source.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	res, err := defaultEngine(t).InspectKey(ctx, src, key+".wav")
	if err != nil {
		t.Fatal(err)
	}
	trPath := filepath.Join(dir, key+".transcript.json")
	b, _ := os.ReadFile(trPath)
	first := res.Transcript.Utterances[0].Text
	if err := os.WriteFile(trPath, []byte(strings.Replace(string(b), first, first+"改", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	stored := leaveOut(t, res)
	notes, err := Restore(ctx, src, stored)
	if err != nil || len(notes) != 1 || !strings.Contains(notes[0], "已被修改") || stored.Transcript != nil || stored.Envelope == nil {
		t.Errorf("changed sidecar: notes %q, err %v, transcript %v, envelope %v", notes, err, stored.Transcript != nil, stored.Envelope != nil)
	}
	if stored.Omitted == nil || stored.Omitted.TranscriptSHA256 == "" || stored.Omitted.Envelope {
		t.Errorf("changed sidecar: Omitted = %+v, want the transcript only", stored.Omitted)
	}

	for _, ext := range []string{".wav", ".transcript.json"} {
		if err := os.Remove(filepath.Join(dir, key+ext)); err != nil {
			t.Fatal(err)
		}
	}
	stored = leaveOut(t, res)
	notes, err = Restore(ctx, src, stored)
	if err != nil || len(notes) != 2 || !strings.Contains(notes[0], "不存在") || !strings.Contains(notes[1], "波形不可用") {
		t.Errorf("files gone: notes %q, err %v", notes, err)
	}
	if stored.Score != res.Score || len(stored.Findings) != len(res.Findings) || stored.Metrics == nil {
		t.Errorf("files gone: the rest of the result changed")
	}
}

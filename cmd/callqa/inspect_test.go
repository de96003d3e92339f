package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/callqa/callqa/models"
)

const sampleDir = "../../samples/2026/11/25/"

func TestInspectCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	notWav := filepath.Join(dir, "C1.wav")
	if err := os.WriteFile(notWav, []byte("not a recording"), 0o644); err != nil {
		t.Fatal(err)
	}

	t.Run("json result of a sample", func(t *testing.T) {
		code, out, errOut := runCmd(t, "inspect", sampleDir+"C20261125-0004.wav", "--json")
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		var res models.Result
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatal(err)
		}
		if res.CallID != "C20261125-0004" || res.Status != models.StatusInspected || len(res.Findings) != 1 || res.Findings[0].Rule != "dead_air" {
			t.Fatalf("unexpected result: %+v", res)
		}
	})
	t.Run("readable summary with mm:ss times", func(t *testing.T) {
		code, out, _ := runCmd(t, "inspect", sampleDir+"C20261125-0004.wav")
		if code != exitOK || !strings.Contains(out, "00:30.1-00:42.0") || !strings.Contains(out, "dead_air") {
			t.Fatalf("exit %d, output:\n%s", code, out)
		}
	})
	t.Run("explicit sidecars replace those found by name", func(t *testing.T) {
		tr := filepath.Join(dir, "taboo.transcript.json")
		if err := os.WriteFile(tr, []byte(`{"utterances":[{"speaker":"agent","start":1,"end":3,"text":"您好，工号1086，这个不归我们管"}]}`), 0o644); err != nil {
			t.Fatal(err)
		}
		code, out, _ := runCmd(t, "inspect", sampleDir+"C20261125-0001.wav", "--transcript", tr, "--json")
		var res models.Result
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatal(err)
		}
		if code != exitOK || res.Passed || !hasRule(res.Findings, "taboo") {
			t.Fatalf("exit %d, want the taboo veto from the given transcript: %+v", code, res.Findings)
		}
	})
	t.Run("unprocessable exits 2 with the reason", func(t *testing.T) {
		code, out, _ := runCmd(t, "inspect", notWav, "--json")
		var res models.Result
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatal(err)
		}
		if code != exitBadInput || res.Status != models.StatusUnprocessable || !strings.Contains(res.Error, "RIFF") {
			t.Fatalf("exit %d, result %+v", code, res)
		}
		code, _, errOut := runCmd(t, "inspect", notWav)
		if code != exitBadInput || !strings.Contains(errOut, "C1.wav") {
			t.Fatalf("exit %d, stderr %q", code, errOut)
		}
	})
	t.Run("usage", func(t *testing.T) {
		if code, _, errOut := runCmd(t, "inspect"); code != exitBadInput || !strings.Contains(errOut, "expected one RECORDING") {
			t.Fatalf("exit %d, stderr %q", code, errOut)
		}
	})
}

func hasRule(fs []models.Finding, rule string) bool {
	for _, f := range fs {
		if f.Rule == rule {
			return true
		}
	}
	return false
}

func TestProbeCommand(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCmd(t, "probe", sampleDir+"C20261125-0005.wav", "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var p probeResult
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	if p.Format != "pcm_alaw" || p.SampleRate != 8000 || p.Channels != 2 || p.BitsPerSample != 8 || len(p.Levels) != 2 || p.Truncated {
		t.Fatalf("unexpected probe: %+v", p)
	}
	if want := float64(p.Frames) / 8000; p.DurationS < want-0.001 || p.DurationS > want+0.001 {
		t.Errorf("duration %v for %d frames", p.DurationS, p.Frames)
	}

	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.wav")
	if err := os.WriteFile(bad, []byte("RIFF\x04\x00\x00\x00WAVE"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runCmd(t, "probe", bad)
	if code != exitBadInput || out != "" || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "bad.wav") {
		t.Fatalf("exit %d, stdout %q, stderr %q; want exit 2 and a one-line reason", code, out, errOut)
	}
}

// TestProbeLevelsMatchFFmpeg compares probe's levels with ffmpeg's astats
// on the same files: both measure samples scaled to [-1, 1).
func TestProbeLevelsMatchFFmpeg(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("ffmpeg not found; CI must install it (scripts/test.sh does)")
		}
		t.Skip("ffmpeg not found: install the Debian package ffmpeg to compare levels with it")
	}
	rms := regexp.MustCompile(`RMS level dB: (-?[0-9.]+|-inf)`)
	peak := regexp.MustCompile(`Peak level dB: (-?[0-9.]+|-inf)`)
	for _, name := range []string{"C20261125-0001.wav", "C20261125-0003.wav", "C20261125-0005.wav"} {
		path := sampleDir + name
		code, out, errOut := runCmd(t, "probe", path, "--json")
		if code != exitOK {
			t.Fatalf("%s: exit %d: %s", name, code, errOut)
		}
		var p probeResult
		if err := json.Unmarshal([]byte(out), &p); err != nil {
			t.Fatal(err)
		}
		for ch := range p.Channels {
			cmd := exec.Command("ffmpeg", "-hide_banner", "-nostats", "-i", path, "-af",
				"pan=mono|c0=c"+strconv.Itoa(ch)+",astats=measure_overall=RMS_level+Peak_level:measure_perchannel=none", "-f", "null", "-")
			stderr, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("ffmpeg: %v\n%s", err, stderr)
			}
			r, pk := rms.FindSubmatch(stderr), peak.FindSubmatch(stderr)
			if r == nil || pk == nil {
				t.Fatalf("no astats in ffmpeg output:\n%s", stderr)
			}
			wantRMS, _ := strconv.ParseFloat(string(r[1]), 64)
			wantPeak, _ := strconv.ParseFloat(string(pk[1]), 64)
			got := p.Levels[ch]
			if d := got.RMSDBFS - wantRMS; d > 0.05 || d < -0.05 {
				t.Errorf("%s channel %d: RMS %.3f dBFS, ffmpeg %.3f", name, ch, got.RMSDBFS, wantRMS)
			}
			if d := got.PeakDBFS - wantPeak; d > 0.05 || d < -0.05 {
				t.Errorf("%s channel %d: peak %.3f dBFS, ffmpeg %.3f", name, ch, got.PeakDBFS, wantPeak)
			}
		}
	}
}

func TestScorecardCommand(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCmd(t, "scorecard", "check")
	if code != exitOK || !strings.Contains(out, "dead_air") || !strings.Contains(out, "hotline-12333") || !strings.Contains(out, "0 review indicator:complaint") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("id: x\nversion: 1\nname: x\nbase_score: 100\npass_score: 85\nrules:\n  - {id: a, name: a, type: nosuch, deduct: 1}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = runCmd(t, "scorecard", "check", bad)
	if code != exitBadInput || !strings.Contains(errOut, "bad.yaml") || !strings.Contains(errOut, "rule 1 (a)") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

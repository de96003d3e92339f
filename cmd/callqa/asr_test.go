package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/pipeline/decode"
)

// sampleASR is a transcription service for the sample calls, in the test:
// it answers each uploaded channel (or piece of one) with the sample's
// transcript utterances of that speaker as verbose_json segments, and
// invents text where Whisper does, on the channel's silence while the
// other side talks. Pieces of a channel arrive in order, so it knows each
// piece's place in the call from the ones before.
type sampleASR struct {
	t      *testing.T
	status int           // answer this status instead, if not 0
	plain  bool          // answer {"text": ...} only
	delay  time.Duration // before answering

	mu     sync.Mutex
	offset map[string]float64 // seconds of each channel received so far
	sizes  []int64            // of every upload
}

func (s *sampleASR) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/audio/transcriptions" {
		http.NotFound(w, r)
		return
	}
	if r.Header.Get("Authorization") != "Bearer secret-asr-key" {
		http.Error(w, `{"error":"invalid api key"}`, http.StatusUnauthorized)
		return
	}
	if s.delay > 0 {
		select {
		case <-time.After(s.delay):
		case <-r.Context().Done():
			return
		}
	}
	if s.status != 0 {
		http.Error(w, "upstream failed", s.status)
		return
	}
	if r.FormValue("response_format") != "verbose_json" || r.FormValue("model") != "whisper-large-v3" || r.FormValue("language") != "zh" {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	file, hdr, err := r.FormFile("file")
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	defer file.Close()
	dec, err := decode.NewDecoder(file, -1)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f := dec.Format()
	if f.SampleRate != 16000 || f.Channels != 1 {
		http.Error(w, "want 16 kHz mono", http.StatusBadRequest)
		return
	}
	buf := make([]float32, 4096)
	var frames int64
	for {
		n, err := dec.Read(buf)
		frames += int64(n)
		if err != nil {
			break
		}
	}
	dur := float64(frames) / 16000
	// C20261125-0004.agent.wav or C20261125-0004.agent.part2.wav
	parts := strings.Split(hdr.Filename, ".")
	call, speaker := parts[0], parts[1]
	s.mu.Lock()
	if s.offset == nil {
		s.offset = map[string]float64{}
	}
	from := s.offset[call+speaker]
	s.offset[call+speaker] = from + dur
	s.sizes = append(s.sizes, hdr.Size)
	s.mu.Unlock()
	if s.plain {
		json.NewEncoder(w).Encode(map[string]string{"text": "您好"})
		return
	}
	data, err := os.ReadFile(filepath.Join("..", "..", "samples", "2026", "11", "25", call+".transcript.json"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var tr models.Transcript
	if err := json.Unmarshal(data, &tr); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	segs := []map[string]any{}
	add := func(start, end float64, text string) {
		if mid := (start + end) / 2; mid >= from && mid < from+dur {
			segs = append(segs, map[string]any{"start": max(0, start-from), "end": min(dur, end-from), "text": " " + text,
				"no_speech_prob": 0.02, "avg_logprob": -0.25, "compression_ratio": 1.2})
		}
	}
	invented := false
	for _, u := range tr.Utterances {
		if u.Speaker == speaker {
			add(u.Start, u.End, u.Text)
		} else if !invented {
			// This channel is silent while the other side talks.
			text := map[string]string{models.SpeakerAgent: "谢谢观看", models.SpeakerCustomer: "请不吝点赞订阅转发打赏支持明镜与点点栏目"}[speaker]
			add(u.Start+0.5, u.End-0.5, text)
			invented = true
		}
	}
	json.NewEncoder(w).Encode(map[string]any{"task": "transcribe", "duration": dur, "text": "", "segments": segs})
}

// asrServer starts srv and returns its URL.
func asrServer(t *testing.T, srv *sampleASR) string {
	t.Helper()
	srv.t = t
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts.URL
}

// copyRecording copies sample call C20261125-<n>'s recording and meta
// sidecar, without its transcript, to dir/2026/11/25.
func copyRecording(t *testing.T, dir, n string) string {
	t.Helper()
	src := filepath.Join("..", "..", "samples", "2026", "11", "25", "C20261125-"+n)
	dst := filepath.Join(dir, "2026", "11", "25", "C20261125-"+n)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, ext := range []string{".wav", ".meta.json"} {
		b, err := os.ReadFile(src + ext)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst+ext, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst + ".wav"
}

func inspectJSON(t *testing.T, args ...string) (int, *models.Result, string) {
	t.Helper()
	code, out, errOut := runCmd(t, append([]string{"inspect", "--json"}, args...)...)
	if out == "" {
		return code, nil, errOut
	}
	var res models.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return code, &res, errOut
}

func ruleIDs(fs []models.Finding) string {
	var ids []string
	for _, f := range fs {
		ids = append(ids, f.Rule)
	}
	sort.Strings(ids)
	return strings.Join(ids, ",")
}

// TestInspectASR: `inspect --asr-url` on recordings without a transcript
// gets the same keyword findings as with the sample's transcript sidecar,
// with the text the service invented on silence dropped and counted; also
// when the channels go up in pieces under a small upload limit.
func TestInspectASR(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, n   string
		maxUpload string
	}{
		{"taboo veto", "0003", ""},
		{"dead air, in pieces", "0004", "256KiB"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := &sampleASR{}
			url := asrServer(t, srv)
			rec := copyRecording(t, t.TempDir(), tt.n)
			args := []string{rec, "--asr-url", url, "--asr-model", "whisper-large-v3", "--asr-key", "secret-asr-key"}
			if tt.maxUpload != "" {
				args = append(args, "--asr-max-upload", tt.maxUpload)
			}
			code, got, errOut := inspectJSON(t, args...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			_, want, _ := inspectJSON(t, sampleDir+"C20261125-"+tt.n+".wav")
			if ruleIDs(got.Findings) != ruleIDs(want.Findings) || got.Score != want.Score || got.Passed != want.Passed {
				t.Errorf("with ASR: findings %s score %v; with the sidecar: %s score %v", ruleIDs(got.Findings), got.Score, ruleIDs(want.Findings), want.Score)
			}
			if len(got.NotEvaluated) != 0 || len(got.Transcript.Utterances) != len(want.Transcript.Utterances) {
				t.Errorf("not evaluated %+v; %d utterances, want %d", got.NotEvaluated, len(got.Transcript.Utterances), len(want.Transcript.Utterances))
			}
			reasons := map[string]int{}
			for _, d := range got.Transcript.Dropped {
				reasons[d.Speaker+" "+d.Reason]++
			}
			if len(got.Transcript.Dropped) != 2 || reasons["agent outside_speech"] != 1 || reasons["customer outside_speech"] != 1 {
				t.Errorf("dropped %+v, want the two invented segments", got.Transcript.Dropped)
			}
			if _, err := os.Stat(strings.TrimSuffix(rec, ".wav") + ".transcript.json"); err != nil {
				t.Errorf("transcript sidecar not written: %v", err)
			}
			if tt.maxUpload != "" {
				srv.mu.Lock()
				sizes := srv.sizes
				srv.mu.Unlock()
				for _, s := range sizes {
					if s > 256<<10 {
						t.Errorf("an upload of %d bytes, over 256KiB", s)
					}
				}
				if len(sizes) < 6 {
					t.Errorf("%d uploads, want each 58 s channel in pieces", len(sizes))
				}
			}
			// The readable summary says what was dropped.
			_, out, _ := runCmd(t, "inspect", rec)
			if !strings.Contains(out, "2 segments dropped as invented text (outside_speech 2)") {
				t.Errorf("summary:\n%s", out)
			}
		})
	}
}

// TestInspectASRFaults: a service that is misconfigured or failing makes
// `inspect` exit 1 (a fault, try again) with what is wrong, never 2 (the
// recording's fault); no result and no sidecar. Configuration mistakes are
// usage errors.
func TestInspectASRFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		srv      *sampleASR
		args     []string
		wantCode int
		want     string
	}{
		{"refused key", &sampleASR{}, []string{"--asr-key", "wrong"}, exitFailure, "the service refused the credentials"},
		{"answers text only", &sampleASR{plain: true}, nil, exitFailure, "ignored response_format=verbose_json"},
		{"server error", &sampleASR{status: http.StatusBadGateway}, nil, exitFailure, "HTTP 502: the service failed"},
		{"slow", &sampleASR{delay: 3 * time.Second}, []string{"--asr-timeout", "200ms"}, exitFailure, "no answer within 200ms"},
		{"no model", &sampleASR{}, []string{"--asr-model", ""}, exitBadInput, "--asr-model: asr Config.Model is required"},
		{"bad upload size", &sampleASR{}, []string{"--asr-max-upload", "lots"}, exitBadInput, `--asr-max-upload: "lots"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			url := asrServer(t, tt.srv)
			rec := copyRecording(t, t.TempDir(), "0001")
			args := append([]string{"inspect", rec, "--asr-url", url, "--asr-model", "whisper-large-v3", "--asr-key", "secret-asr-key"}, tt.args...)
			code, out, errOut := runCmd(t, args...)
			if code != tt.wantCode || !strings.Contains(errOut, tt.want) {
				t.Fatalf("exit %d (want %d), stderr %q (want %q), stdout %s", code, tt.wantCode, errOut, tt.want, out)
			}
			if _, err := os.Stat(strings.TrimSuffix(rec, ".wav") + ".transcript.json"); !os.IsNotExist(err) {
				t.Errorf("a sidecar was written: %v", err)
			}
		})
	}
}

// TestRunASR: `callqa run --asr-url` (here from the environment, as a
// deployment sets it) transcribes the calls without a transcript and
// scores them as with their transcripts; with a failing service the calls
// are named as failed, with the service's problem, exit 1, and nothing is
// stored as unprocessable.
func TestRunASR(t *testing.T) {
	t.Parallel()
	calls := []string{"0001", "0003", "0008"}
	withTr, without := t.TempDir(), t.TempDir()
	for _, n := range calls {
		copySample(t, withTr, "2026/11/25/C20261125-"+n, n, `{"agent_id": "1086"}`)
		copyRecording(t, without, n)
		os.WriteFile(filepath.Join(without, "2026", "11", "25", "C20261125-"+n+".meta.json"), []byte(`{"agent_id": "1086"}`), 0o644)
	}
	summary := func(out string) string {
		return strings.Join(regexp.MustCompile(`(?m)^(calls|passed|pass rate):.*$`).FindAllString(out, -1), "\n")
	}
	code, want, errOut := runCmd(t, "run", withTr, "--db", filepath.Join(t.TempDir(), "a.db"), "--workers", "2")
	if code != exitOK {
		t.Fatalf("run with transcripts: exit %d\n%s\n%s", code, want, errOut)
	}
	env := map[string]string{"CALLQA_ASR_URL": asrServer(t, &sampleASR{}), "CALLQA_ASR_MODEL": "whisper-large-v3", "CALLQA_ASR_KEY": "secret-asr-key"}
	asrDB := filepath.Join(t.TempDir(), "b.db")
	code, got, errOut, _ := runCmdEnv(t, env, "run", without, "--db", asrDB, "--workers", "2")
	if code != exitOK || summary(got) != summary(want) {
		t.Fatalf("run with ASR: exit %d\n%s\nwant as with transcripts:\n%s\n%s", code, got, want, errOut)
	}
	for _, n := range calls {
		if _, err := os.Stat(filepath.Join(without, "2026", "11", "25", "C20261125-"+n+".transcript.json")); err != nil {
			t.Errorf("call %s: transcript sidecar not written: %v", n, err)
		}
		// The store keeps the digest of the transcript written beside the
		// recording; show reads it back and finds it unchanged.
		code, shown, errOut := runCmd(t, "show", "--db", asrDB, "--source", without, "2026/11/25/C20261125-"+n+".wav")
		if code != exitOK || errOut != "" || !strings.Contains(shown, `"utterances"`) {
			t.Errorf("show %s after ASR: exit %d, stderr %q, transcript shown %v", n, code, errOut, strings.Contains(shown, `"utterances"`))
		}
	}

	// A service that does not answer in time.
	failing := t.TempDir()
	copyRecording(t, failing, "0001")
	db := filepath.Join(t.TempDir(), "c.db")
	code, out, errOut := runCmd(t, "run", failing, "--db", db, "--asr-url", asrServer(t, &sampleASR{delay: 3 * time.Second}),
		"--asr-model", "whisper-large-v3", "--asr-key", "secret-asr-key", "--asr-timeout", "100ms")
	if code != exitFailure || !strings.Contains(out, "0 unprocessable, 1 error") || !strings.Contains(out, "no answer within 100ms") {
		t.Fatalf("run with a slow service: exit %d\n%s\n%s", code, out, errOut)
	}
	// Nothing was stored: a rerun once the service is fixed inspects it.
	if _, err := os.Stat(filepath.Join(failing, "2026", "11", "25", "C20261125-0001.transcript.json")); !os.IsNotExist(err) {
		t.Errorf("a sidecar was written: %v", err)
	}
	code, out, _ = runCmd(t, "run", failing, "--db", db, "--asr-url", asrServer(t, &sampleASR{}),
		"--asr-model", "whisper-large-v3", "--asr-key", "secret-asr-key")
	if code != exitOK || !strings.Contains(out, "1 inspected, 0 unprocessable, 0 errors") {
		t.Fatalf("rerun with the service fixed: exit %d\n%s", code, out)
	}
}

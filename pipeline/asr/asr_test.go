package asr_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/pipeline/asr"
	"github.com/callqa/callqa/pipeline/decode"
	"github.com/callqa/callqa/storage"
)

// fakeASR is an in-test server implementing POST /v1/audio/transcriptions
// with response_format=verbose_json. It "recognises" speech as the spans
// of the uploaded mono file where the level is high, one segment per span,
// whose text says how many channels and what sample rate it was sent.
type fakeASR struct {
	t        *testing.T
	calls    atomic.Int32
	inFlight atomic.Int32
	maxSeen  atomic.Int32
	delay    time.Duration
	status   int    // answer with this status instead, if not 0
	say      string // the text of every segment, if not ""
}

func (s *fakeASR) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.calls.Add(1)
	n := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	for {
		m := s.maxSeen.Load()
		if n <= m || s.maxSeen.CompareAndSwap(m, n) {
			break
		}
	}
	if r.Method != http.MethodPost || r.URL.Path != "/v1/audio/transcriptions" {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	if r.Header.Get("Authorization") != "Bearer k" {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	for field, want := range map[string]string{"model": "large-v3", "response_format": "verbose_json", "language": "zh"} {
		if got := r.FormValue(field); got != want {
			http.Error(w, fmt.Sprintf("%s=%q, want %q", field, got, want), http.StatusBadRequest)
			return
		}
	}
	file, _, err := r.FormFile("file")
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
	if s.delay > 0 {
		select {
		case <-time.After(s.delay):
		case <-r.Context().Done():
			return
		}
	}
	if s.status != 0 {
		http.Error(w, "overloaded", s.status)
		return
	}
	type segment struct {
		ID    int     `json:"id"`
		Start float64 `json:"start"`
		End   float64 `json:"end"`
		Text  string  `json:"text"`
	}
	var segs []segment
	buf := make([]float32, 80) // 10 ms
	var frame int64
	start := -1.0
	for {
		n, err := dec.Read(buf)
		if n > 0 {
			loud := false
			for _, v := range buf[:n] {
				loud = loud || math.Abs(float64(v)) > 0.1
			}
			t := float64(frame) / float64(f.SampleRate)
			switch {
			case loud && start < 0:
				start = t
			case !loud && start >= 0:
				text := fmt.Sprintf(" %dch %dHz %s ", f.Channels, f.SampleRate, f.Codec)
				if s.say != "" {
					text = s.say
				}
				segs = append(segs, segment{ID: len(segs), Start: start, End: t, Text: text})
				start = -1
			}
			frame += int64(n)
		}
		if err != nil {
			break
		}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"task": "transcribe", "language": "chinese", "duration": float64(frame) / float64(f.SampleRate),
		"text": "", "segments": segs,
	})
}

// writeCall writes a stereo 8 kHz PCM call of 3 s: a tone on channel 0
// from 0.5 to 1 s, and on channel 1 from 2 to 2.5 s.
func writeCall(t *testing.T, dir, key string) {
	t.Helper()
	const rate = 8000
	samples := make([]int16, 2*3*rate)
	for i := range 3 * rate {
		ts := float64(i) / rate
		v := int16(16000 * math.Sin(2*math.Pi*440*ts))
		if ts >= 0.5 && ts < 1 {
			samples[2*i] = v
		}
		if ts >= 2 && ts < 2.5 {
			samples[2*i+1] = v
		}
	}
	p := filepath.Join(dir, filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := decode.WritePCM16(f, rate, 2, samples); err != nil {
		t.Fatal(err)
	}
}

func setup(t *testing.T, srv *fakeASR, cfg asr.Config) (*asr.Client, *storage.LocalSource, string) {
	t.Helper()
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	dir := t.TempDir()
	writeCall(t, dir, "2026/11/25/C1.wav")
	src, err := storage.NewLocalSource(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg.URL, cfg.APIKey, cfg.Model = ts.URL, "k", "large-v3"
	cfg.TempDir = t.TempDir()
	c, err := asr.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c, src, dir
}

func TestTranscribe(t *testing.T) {
	t.Parallel()
	srv := &fakeASR{t: t}
	c, src, dir := setup(t, srv, asr.Config{})
	tr, err := c.Transcribe(context.Background(), src, "2026/11/25/C1.wav")
	if err != nil {
		t.Fatal(err)
	}
	want := []models.Utterance{
		{Speaker: models.SpeakerAgent, Start: 0.5, End: 1, Text: "1ch 8000Hz pcm_s16le"},
		{Speaker: models.SpeakerCustomer, Start: 2, End: 2.5, Text: "1ch 8000Hz pcm_s16le"},
	}
	if len(tr.Utterances) != len(want) {
		t.Fatalf("utterances %+v, want %+v", tr.Utterances, want)
	}
	for i, u := range tr.Utterances {
		w := want[i]
		if u.Speaker != w.Speaker || math.Abs(u.Start-w.Start) > 0.02 || math.Abs(u.End-w.End) > 0.02 || u.Text != w.Text {
			t.Errorf("utterance %d = %+v, want %+v", i, u, w)
		}
	}
	if n := srv.calls.Load(); n != 2 {
		t.Fatalf("%d requests, want 2 (one per channel)", n)
	}
	// The transcript is stored next to the recording...
	data, err := os.ReadFile(filepath.Join(dir, "2026", "11", "25", "C1.transcript.json"))
	if err != nil {
		t.Fatalf("sidecar not written: %v", err)
	}
	var stored models.Transcript
	if err := json.Unmarshal(data, &stored); err != nil || len(stored.Utterances) != 2 {
		t.Fatalf("sidecar %s: %v", data, err)
	}
	// ... so that the next inspection does not call the service.
	tr2, err := c.Transcribe(context.Background(), src, "2026/11/25/C1.wav")
	if err != nil || len(tr2.Utterances) != 2 {
		t.Fatalf("second transcription: %+v, %v", tr2, err)
	}
	if n := srv.calls.Load(); n != 2 {
		t.Fatalf("%d requests after a re-inspection, want still 2", n)
	}
	// No temporary channel file is left behind.
	if left, _ := filepath.Glob(filepath.Join(c.TempDirForTest(), "*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// TestTranscribeSwappedChannels follows the meta sidecar's channel map.
func TestTranscribeSwappedChannels(t *testing.T) {
	t.Parallel()
	srv := &fakeASR{t: t}
	c, src, dir := setup(t, srv, asr.Config{})
	if err := os.WriteFile(filepath.Join(dir, "2026", "11", "25", "C1.meta.json"), []byte(`{"channels":{"agent":1,"customer":0}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tr, err := c.Transcribe(context.Background(), src, "2026/11/25/C1.wav")
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Utterances) != 2 || tr.Utterances[0].Speaker != models.SpeakerCustomer || tr.Utterances[1].Speaker != models.SpeakerAgent {
		t.Fatalf("utterances %+v: want the customer first", tr.Utterances)
	}
}

func TestTranscribeConcurrencyBound(t *testing.T) {
	t.Parallel()
	srv := &fakeASR{t: t, delay: 50 * time.Millisecond}
	c, src, dir := setup(t, srv, asr.Config{Concurrency: 1})
	for i := range 3 {
		writeCall(t, dir, fmt.Sprintf("2026/11/25/D%d.wav", i))
	}
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.Transcribe(context.Background(), src, fmt.Sprintf("2026/11/25/D%d.wav", i))
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if m := srv.maxSeen.Load(); m != 1 {
		t.Fatalf("%d requests in flight at once, want at most 1", m)
	}
	if n := srv.calls.Load(); n != 6 {
		t.Fatalf("%d requests, want 6", n)
	}
}

func TestTranscribeFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		srv     *fakeASR
		cfg     asr.Config
		wantErr func(error) bool
	}{
		{"service overloaded", &fakeASR{status: http.StatusServiceUnavailable}, asr.Config{}, func(err error) bool {
			var se *asr.StatusError
			return errors.As(err, &se) && se.Code == 503
		}},
		{"request timeout", &fakeASR{delay: 2 * time.Second}, asr.Config{Timeout: 100 * time.Millisecond}, func(err error) bool {
			return errors.Is(err, context.DeadlineExceeded)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.srv.t = t
			c, src, dir := setup(t, tt.srv, tt.cfg)
			tr, err := c.Transcribe(context.Background(), src, "2026/11/25/C1.wav")
			if tr != nil || !tt.wantErr(err) {
				t.Fatalf("Transcribe() = %v, %v", tr, err)
			}
			if _, err := os.Stat(filepath.Join(dir, "2026", "11", "25", "C1.transcript.json")); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("a failed transcription left a sidecar: %v", err)
			}
		})
	}
}

func TestTranscribeMissingRecording(t *testing.T) {
	t.Parallel()
	srv := &fakeASR{t: t}
	c, src, _ := setup(t, srv, asr.Config{})
	_, err := c.Transcribe(context.Background(), src, "2026/11/25/NOPE.wav")
	if !storage.IsNotFound(err) {
		t.Fatalf("Transcribe(missing) = %v, want not found", err)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cfg  asr.Config
		want string
	}{
		{asr.Config{URL: "http://whisper:8080"}, ""},
		{asr.Config{}, "URL"},
		{asr.Config{URL: "whisper:8080"}, "URL"},
		{asr.Config{URL: "http://w", Concurrency: -1}, "Concurrency"},
		{asr.Config{URL: "http://w", Timeout: -1}, "Timeout"},
	}
	for _, tt := range tests {
		err := tt.cfg.Validate()
		if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("Validate(%+v) = %v, want %q", tt.cfg, err, tt.want)
		}
	}
}

// TestSidecarMasked checks that the transcript sidecar the adapter writes
// holds no personal number unless KeepRawSidecar says so, while the
// transcript returned for the inspection is the words as said.
func TestSidecarMasked(t *testing.T) {
	t.Parallel()
	const said = "我的手机号是13912345670"
	for _, keep := range []bool{false, true} {
		t.Run(fmt.Sprint("keep raw ", keep), func(t *testing.T) {
			t.Parallel()
			c, src, dir := setup(t, &fakeASR{t: t, say: said}, asr.Config{KeepRawSidecar: keep})
			tr, err := c.Transcribe(context.Background(), src, "2026/11/25/C1.wav")
			if err != nil {
				t.Fatal(err)
			}
			if len(tr.Utterances) != 2 || tr.Utterances[0].Text != said {
				t.Fatalf("transcript = %+v, want the words as said", tr.Utterances)
			}
			data, err := os.ReadFile(filepath.Join(dir, "2026", "11", "25", "C1.transcript.json"))
			if err != nil {
				t.Fatal(err)
			}
			if raw := strings.Contains(string(data), "13912345670"); raw != keep || !keep && !strings.Contains(string(data), "[手机号]") {
				t.Errorf("sidecar (keep raw %v):\n%s", keep, data)
			}
		})
	}
}

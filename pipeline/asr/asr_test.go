package asr_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
	"github.com/callqa/callqa/pipeline"
	"github.com/callqa/callqa/pipeline/analyse"
	"github.com/callqa/callqa/pipeline/asr"
	"github.com/callqa/callqa/pipeline/decode"
	"github.com/callqa/callqa/pipeline/transcript"
	"github.com/callqa/callqa/scorecards"
	"github.com/callqa/callqa/source"
)

// fakeASR is an in-test server implementing POST /v1/audio/transcriptions
// with response_format=verbose_json. It "recognises" speech as the spans
// of the uploaded mono file where the level is high, one segment per span,
// whose text says how many channels and what sample rate it was sent.
// Its fields make it misbehave as real servers do.
type fakeASR struct {
	t        *testing.T
	calls    atomic.Int32
	inFlight atomic.Int32
	maxSeen  atomic.Int32
	delay    time.Duration
	status   int    // answer with this status (and body) instead, if not 0
	body     string // the body of that status answer
	say      string // the text of every segment, if not ""
	// plain answers {"text": ...} without segments, as a server that
	// ignores response_format=verbose_json does.
	plain bool
	// raw answers this body with 200 instead of a transcription.
	raw string
	// only16k refuses other rates with 400, as whisper.cpp's server
	// without --convert does.
	only16k bool
	// invent returns segments to add to the answer for an uploaded file,
	// as Whisper invents text on silence.
	invent func(file string) []map[string]any

	mu      sync.Mutex
	uploads []seen
}

// seen is one upload the server received.
type seen struct {
	name     string
	rate     int
	seconds  float64
	bytes    int64
	language string
}

func (s *fakeASR) uploaded() []seen {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]seen(nil), s.uploads...)
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
	for field, want := range map[string]string{"model": "large-v3", "response_format": "verbose_json"} {
		if got := r.FormValue(field); got != want {
			http.Error(w, fmt.Sprintf("%s=%q, want %q", field, got, want), http.StatusBadRequest)
			return
		}
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
	if s.only16k && f.SampleRate != 16000 {
		http.Error(w, `{"error":"failed to read WAV file: WAV file must be 16 kHz"}`, http.StatusBadRequest)
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
		body := s.body
		if body == "" {
			body = "overloaded"
		}
		http.Error(w, body, s.status)
		return
	}
	if s.raw != "" {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, s.raw)
		return
	}
	segs := []map[string]any{}
	buf := make([]float32, f.SampleRate/100) // 10 ms
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
				segs = append(segs, map[string]any{"id": len(segs), "start": start, "end": t, "text": text,
					"no_speech_prob": 0.01, "avg_logprob": -0.2, "compression_ratio": 1.1})
				start = -1
			}
			frame += int64(n)
		}
		if err != nil {
			break
		}
	}
	seconds := float64(frame) / float64(f.SampleRate)
	if s.invent != nil {
		segs = append(segs, s.invent(hdr.Filename)...)
	}
	s.mu.Lock()
	s.uploads = append(s.uploads, seen{name: hdr.Filename, rate: f.SampleRate, seconds: seconds, bytes: hdr.Size, language: r.FormValue("language")})
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if s.plain {
		json.NewEncoder(w).Encode(map[string]any{"text": "您好"})
		return
	}
	json.NewEncoder(w).Encode(map[string]any{
		"task": "transcribe", "language": "chinese", "duration": seconds,
		"text": "", "segments": segs,
	})
}

// writeCall writes a stereo 8 kHz PCM call of 3 s: a tone on channel 0
// from 0.5 to 1 s, and on channel 1 from 2 to 2.5 s.
func writeCall(t *testing.T, dir, key string) {
	t.Helper()
	writeTones(t, dir, key, 3, []models.Span{{0.5, 1}}, []models.Span{{2, 2.5}})
}

// writeTones writes a stereo 8 kHz PCM call of the given length with a
// tone on each channel during its spans.
func writeTones(t *testing.T, dir, key string, seconds float64, ch0, ch1 []models.Span) {
	t.Helper()
	const rate = 8000
	n := int(seconds * rate)
	samples := make([]int16, 2*n)
	in := func(ts float64, spans []models.Span) bool {
		for _, s := range spans {
			if ts >= s[0] && ts < s[1] {
				return true
			}
		}
		return false
	}
	for i := range n {
		ts := float64(i) / rate
		v := int16(16000 * math.Sin(2*math.Pi*440*ts))
		if in(ts, ch0) {
			samples[2*i] = v
		}
		if in(ts, ch1) {
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

func setup(t *testing.T, srv *fakeASR, cfg asr.Config) (*asr.Client, *source.Local, string) {
	t.Helper()
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	dir := t.TempDir()
	writeCall(t, dir, "2026/11/25/C1.wav")
	src, err := source.NewLocal(dir)
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

// speechOfCall is what the analysis finds in writeCall's recording.
var speechOfCall = transcript.Call{
	Channels: models.DefaultChannels,
	Speech: map[string][]models.Span{
		models.SpeakerAgent:    {{0.5, 1}},
		models.SpeakerCustomer: {{2, 2.5}},
	},
}

func checkUtterances(t *testing.T, got, want []models.Utterance) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("utterances %+v, want %+v", got, want)
	}
	for i, u := range got {
		w := want[i]
		if u.Speaker != w.Speaker || math.Abs(u.Start-w.Start) > 0.02 || math.Abs(u.End-w.End) > 0.02 || u.Text != w.Text {
			t.Errorf("utterance %d = %+v, want %+v", i, u, w)
		}
	}
}

func TestTranscribe(t *testing.T) {
	t.Parallel()
	srv := &fakeASR{t: t}
	c, src, dir := setup(t, srv, asr.Config{})
	tr, err := c.Transcribe(context.Background(), src, "2026/11/25/C1.wav", speechOfCall)
	if err != nil {
		t.Fatal(err)
	}
	// Channels are sent at 16 kHz.
	checkUtterances(t, tr.Utterances, []models.Utterance{
		{Speaker: models.SpeakerAgent, Start: 0.5, End: 1, Text: "1ch 16000Hz pcm_s16le"},
		{Speaker: models.SpeakerCustomer, Start: 2, End: 2.5, Text: "1ch 16000Hz pcm_s16le"},
	})
	if len(tr.Dropped) != 0 {
		t.Errorf("dropped %+v", tr.Dropped)
	}
	if n := srv.calls.Load(); n != 2 {
		t.Fatalf("%d requests, want 2 (one per channel)", n)
	}
	for _, u := range srv.uploaded() {
		if u.language != "zh" || math.Abs(u.seconds-3) > 0.01 {
			t.Errorf("upload %+v: want language zh, 3 s", u)
		}
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
	tr2, err := c.Transcribe(context.Background(), src, "2026/11/25/C1.wav", speechOfCall)
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

// TestTranscribeSwappedChannels follows the meta sidecar's channel map
// when the engine gives none, and the engine's map when it does.
func TestTranscribeSwappedChannels(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		meta string
		call transcript.Call
	}{
		{"meta sidecar", `{"channels":{"agent":1,"customer":0}}`, transcript.Call{}},
		{"engine's map", "", transcript.Call{Channels: models.ChannelMap{Agent: 1, Customer: 0}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := &fakeASR{t: t}
			c, src, dir := setup(t, srv, asr.Config{})
			if tt.meta != "" {
				if err := os.WriteFile(filepath.Join(dir, "2026", "11", "25", "C1.meta.json"), []byte(tt.meta), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			tr, err := c.Transcribe(context.Background(), src, "2026/11/25/C1.wav", tt.call)
			if err != nil {
				t.Fatal(err)
			}
			if len(tr.Utterances) != 2 || tr.Utterances[0].Speaker != models.SpeakerCustomer || tr.Utterances[1].Speaker != models.SpeakerAgent {
				t.Fatalf("utterances %+v: want the customer first", tr.Utterances)
			}
		})
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
			_, err := c.Transcribe(context.Background(), src, fmt.Sprintf("2026/11/25/D%d.wav", i), speechOfCall)
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

// TestTranscribeServiceFaults: whatever is wrong with the service is a
// *ServiceError saying what to fix, never an invalid transcript (which
// would make the call unprocessable), and leaves no sidecar behind.
func TestTranscribeServiceFaults(t *testing.T) {
	t.Parallel()
	serviceErr := func(want string) func(error) bool {
		return func(err error) bool {
			var se *asr.ServiceError
			return errors.As(err, &se) && strings.Contains(err.Error(), want)
		}
	}
	tests := []struct {
		name    string
		srv     *fakeASR
		cfg     asr.Config
		url     string // appended to the server's URL
		key     string // instead of "k"
		wantErr func(error) bool
	}{
		{"service overloaded", &fakeASR{status: http.StatusServiceUnavailable}, asr.Config{}, "", "", func(err error) bool {
			var se *asr.StatusError
			return errors.As(err, &se) && se.Code == 503 && serviceErr("HTTP 503: the service failed")(err)
		}},
		{"request timeout", &fakeASR{delay: 2 * time.Second}, asr.Config{Timeout: 100 * time.Millisecond}, "", "", func(err error) bool {
			return errors.Is(err, context.DeadlineExceeded) && serviceErr("no answer within 100ms")(err)
		}},
		{"plain json", &fakeASR{plain: true}, asr.Config{}, "", "",
			serviceErr(`answered {"text": ...} without segments: it ignored response_format=verbose_json`)},
		{"bad key", &fakeASR{}, asr.Config{}, "", "wrong",
			serviceErr("HTTP 401: the service refused the credentials: check the API key (--asr-key, CALLQA_ASR_KEY)")},
		{"wrong path", &fakeASR{}, asr.Config{}, "/inference", "",
			serviceErr("HTTP 404: no transcription endpoint at")},
		{"unknown model", &fakeASR{status: http.StatusNotFound, body: `{"error":{"message":"The model whisper-1 does not exist."}}`}, asr.Config{}, "", "",
			serviceErr(`HTTP 404: the service has no model "large-v3": set --asr-model`)},
		{"not json", &fakeASR{raw: "<html>proxy login</html>"}, asr.Config{}, "", "",
			serviceErr(`the answer is not JSON (Content-Type "text/html": <html>proxy login</html>)`)},
		{"16 kHz only", &fakeASR{only16k: true}, asr.Config{UploadRate: asr.AsRecorded}, "", "",
			serviceErr("HTTP 400: the service cannot read the 8000 Hz mono PCM16 WAV it was sent (whisper.cpp's server without --convert reads 16 kHz only: set --asr-rate 16000)")},
		{"verbose_json refused", &fakeASR{status: http.StatusBadRequest, body: `{"error":{"message":"response_format 'verbose_json' is not compatible with model 'gpt-4o-transcribe'"}}`}, asr.Config{}, "", "",
			serviceErr("HTTP 400: the service does not answer response_format=verbose_json")},
		{"model refused", &fakeASR{status: http.StatusBadRequest, body: `{"detail":"Model large-v3 is not installed"}`}, asr.Config{}, "", "",
			serviceErr(`HTTP 400: the service refused model "large-v3"`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.srv.t = t
			ts := httptest.NewServer(tt.srv)
			t.Cleanup(ts.Close)
			dir := t.TempDir()
			writeCall(t, dir, "2026/11/25/C1.wav")
			src, err := source.NewLocal(dir)
			if err != nil {
				t.Fatal(err)
			}
			cfg := tt.cfg
			cfg.URL, cfg.APIKey, cfg.Model, cfg.TempDir = ts.URL+tt.url, "k", "large-v3", t.TempDir()
			if tt.key != "" {
				cfg.APIKey = tt.key
			}
			c, err := asr.New(cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			tr, err := c.Transcribe(context.Background(), src, "2026/11/25/C1.wav", speechOfCall)
			if tr != nil || !tt.wantErr(err) {
				t.Fatalf("Transcribe() = %v, %v", tr, err)
			}
			if errors.Is(err, models.ErrBadInput) {
				t.Fatalf("a service fault is reported as an invalid transcript: %v", err)
			}
			if _, err := os.Stat(filepath.Join(dir, "2026", "11", "25", "C1.transcript.json")); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("a failed transcription left a sidecar: %v", err)
			}
		})
	}
}

// TestTranscribeCancelled: the caller's cancellation is returned as it is,
// not as a service fault.
func TestTranscribeCancelled(t *testing.T) {
	t.Parallel()
	c, src, _ := setup(t, &fakeASR{t: t, delay: 5 * time.Second}, asr.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := c.Transcribe(ctx, src, "2026/11/25/C1.wav", speechOfCall)
	var se *asr.ServiceError
	if !errors.Is(err, context.DeadlineExceeded) || errors.As(err, &se) {
		t.Fatalf("Transcribe(cancelled) = %v, want the context's error", err)
	}
}

func TestTranscribeMissingRecording(t *testing.T) {
	t.Parallel()
	srv := &fakeASR{t: t}
	c, src, _ := setup(t, srv, asr.Config{})
	_, err := c.Transcribe(context.Background(), src, "2026/11/25/NOPE.wav", transcript.Call{})
	if !source.IsNotFound(err) {
		t.Fatalf("Transcribe(missing) = %v, want not found", err)
	}
}

// TestTranscribeHallucinations: the text Whisper invents on silence (its
// Chinese favourites) is dropped, counted with its reason, and stored in
// the sidecar's dropped list; real speech stays.
func TestTranscribeHallucinations(t *testing.T) {
	t.Parallel()
	seg := func(start, end float64, text string, noSpeech, logprob float64) map[string]any {
		return map[string]any{"start": start, "end": end, "text": text, "no_speech_prob": noSpeech, "avg_logprob": logprob}
	}
	srv := &fakeASR{say: "您好，请问有什么可以帮您", invent: func(file string) []map[string]any {
		if strings.Contains(file, ".agent.") {
			return []map[string]any{
				// On the agent's silence, confidently: only the analysis knows.
				seg(1.6, 2.9, "谢谢观看", 0.05, -0.3),
				// While the customer talks (the agent's channel is silent).
				seg(2.0, 2.5, "请不吝点赞订阅转发打赏支持明镜与点点栏目", 0.2, -0.5),
				// Over the agent's speech, but the recogniser took it for silence.
				seg(0.6, 0.9, "字幕由Amara.org社区提供", 0.9, -1.3),
				// Over the agent's speech, a loop.
				seg(0.5, 1.0, strings.Repeat("明镜与点点栏目", 8), 0.1, -0.4),
			}
		}
		// The customer's channel: vLLM sends null scores; the silence
		// check alone catches this one.
		return []map[string]any{{"start": 0.0, "end": 1.5, "text": "谢谢观看", "no_speech_prob": nil, "avg_logprob": nil, "compression_ratio": nil}}
	}}
	c, src, dir := setup(t, srv, asr.Config{})
	tr, err := c.Transcribe(context.Background(), src, "2026/11/25/C1.wav", speechOfCall)
	if err != nil {
		t.Fatal(err)
	}
	checkUtterances(t, tr.Utterances, []models.Utterance{
		{Speaker: models.SpeakerAgent, Start: 0.5, End: 1, Text: "您好，请问有什么可以帮您"},
		{Speaker: models.SpeakerCustomer, Start: 2, End: 2.5, Text: "您好，请问有什么可以帮您"},
	})
	want := []models.DroppedSegment{
		{Speaker: "customer", Start: 0, End: 1.5, Text: "谢谢观看", Reason: models.DropOutsideSpeech},
		{Speaker: "agent", Start: 0.5, End: 1, Text: strings.Repeat("明镜与点点栏目", 8), Reason: models.DropRepetitive},
		{Speaker: "agent", Start: 0.6, End: 0.9, Text: "字幕由Amara.org社区提供", Reason: models.DropNoSpeech},
		{Speaker: "agent", Start: 1.6, End: 2.9, Text: "谢谢观看", Reason: models.DropOutsideSpeech},
		{Speaker: "agent", Start: 2.0, End: 2.5, Text: "请不吝点赞订阅转发打赏支持明镜与点点栏目", Reason: models.DropOutsideSpeech},
	}
	if fmt.Sprint(tr.Dropped) != fmt.Sprint(want) {
		t.Errorf("dropped\n%+v\nwant\n%+v", tr.Dropped, want)
	}
	// The sidecar keeps them, so a re-inspection counts them again.
	again, err := transcript.Sidecar{}.Transcribe(context.Background(), src, "2026/11/25/C1.wav", transcript.Call{})
	if err != nil || len(again.Dropped) != len(want) {
		t.Fatalf("sidecar re-read: %+v, %v", again, err)
	}
	// Without the analysis (Call unknown), only the recogniser's scores
	// judge: the text invented on silence with a confident score stays.
	os.Remove(filepath.Join(dir, "2026", "11", "25", "C1.transcript.json"))
	tr, err = c.Transcribe(context.Background(), src, "2026/11/25/C1.wav", transcript.Call{})
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]int{}
	for _, d := range tr.Dropped {
		reasons[d.Reason]++
	}
	if reasons[models.DropNoSpeech] != 1 || reasons[models.DropRepetitive] != 1 || reasons[models.DropOutsideSpeech] != 0 || len(tr.Utterances) != 5 {
		t.Errorf("without speech: dropped %v, %d utterances", reasons, len(tr.Utterances))
	}
}

// TestTranscribeSplit: a channel longer than the upload limit is cut in
// its pauses into pieces under the limit, and the segments' times are
// re-based to the call.
func TestTranscribeSplit(t *testing.T) {
	t.Parallel()
	srv := &fakeASR{}
	// 12 s; the agent speaks in four bursts, the customer in two.
	agent := []models.Span{{0.5, 2}, {3, 4.5}, {6, 8.5}, {9.5, 11}}
	customer := []models.Span{{2.2, 2.8}, {5, 7.5}}
	const limit = 130_000 // bytes: 4.06 s of 16 kHz PCM16
	c, src, dir := setup(t, srv, asr.Config{MaxUploadBytes: limit})
	writeTones(t, dir, "2026/11/25/L1.wav", 12, agent, customer)
	call := transcript.Call{Channels: models.DefaultChannels, Speech: map[string][]models.Span{
		models.SpeakerAgent: agent, models.SpeakerCustomer: customer}}
	tr, err := c.Transcribe(context.Background(), src, "2026/11/25/L1.wav", call)
	if err != nil {
		t.Fatal(err)
	}
	var want []models.Utterance
	for _, s := range agent {
		want = append(want, models.Utterance{Speaker: models.SpeakerAgent, Start: s[0], End: s[1], Text: "1ch 16000Hz pcm_s16le"})
	}
	for _, s := range customer {
		want = append(want, models.Utterance{Speaker: models.SpeakerCustomer, Start: s[0], End: s[1], Text: "1ch 16000Hz pcm_s16le"})
	}
	byStart(want)
	checkUtterances(t, tr.Utterances, want)
	ups := srv.uploaded()
	total := map[string]float64{}
	for _, u := range ups {
		if u.bytes > limit {
			t.Errorf("upload %s of %d bytes, over the limit of %d", u.name, u.bytes, limit)
		}
		total[strings.SplitN(u.name, ".", 3)[1]] += u.seconds
	}
	if len(ups) < 6 {
		t.Errorf("%d uploads, want the two 12 s channels in pieces of at most 4.06 s", len(ups))
	}
	for sp, s := range total {
		if math.Abs(s-12) > 0.01 {
			t.Errorf("%s: %.3f s uploaded in all, want 12", sp, s)
		}
	}
}

func byStart(us []models.Utterance) {
	for i := range us {
		for j := i + 1; j < len(us); j++ {
			if us[j].Start < us[i].Start {
				us[i], us[j] = us[j], us[i]
			}
		}
	}
}

// TestUploadRate: channels go at 16 kHz by default (whisper.cpp's server
// without --convert reads nothing else), at the recording's rate with
// AsRecorded; the language is sent unless auto.
func TestUploadRate(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		cfg      asr.Config
		rate     int
		language string
	}{
		{asr.Config{}, 16000, "zh"},
		{asr.Config{UploadRate: asr.AsRecorded, Language: "yue"}, 8000, "yue"},
		{asr.Config{UploadRate: 22050, Language: asr.LanguageAuto}, 22050, ""},
	} {
		srv := &fakeASR{t: t}
		c, src, _ := setup(t, srv, tt.cfg)
		tr, err := c.Transcribe(context.Background(), src, "2026/11/25/C1.wav", speechOfCall)
		if err != nil {
			t.Fatalf("%+v: %v", tt.cfg, err)
		}
		if len(tr.Utterances) != 2 {
			t.Errorf("%+v: utterances %+v", tt.cfg, tr.Utterances)
		}
		for _, u := range srv.uploaded() {
			if u.rate != tt.rate || u.language != tt.language || math.Abs(u.seconds-3) > 0.01 {
				t.Errorf("%+v: upload %+v, want %d Hz, language %q, 3 s", tt.cfg, u, tt.rate, tt.language)
			}
		}
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cfg  asr.Config
		want string
	}{
		{asr.Config{URL: "http://whisper:8080", Model: "whisper-1"}, ""},
		{asr.Config{Model: "m"}, "URL"},
		{asr.Config{URL: "whisper:8080", Model: "m"}, "URL"},
		{asr.Config{URL: "http://w:8080/v1/audio/transcriptions", Model: "m"}, "base URL"},
		{asr.Config{URL: "http://w"}, "Model is required"},
		{asr.Config{URL: "http://w", Model: "m", Concurrency: -1}, "Concurrency"},
		{asr.Config{URL: "http://w", Model: "m", Timeout: -1}, "Timeout"},
		{asr.Config{URL: "http://w", Model: "m", UploadRate: 100}, "UploadRate"},
		{asr.Config{URL: "http://w", Model: "m", UploadRate: asr.AsRecorded}, ""},
		{asr.Config{URL: "http://w", Model: "m", MaxUploadBytes: 1000}, "MaxUploadBytes"},
		{asr.Config{URL: "http://w", Model: "m", Language: "zh cn"}, "Language"},
		{asr.Config{URL: "http://w", Model: "m", Guard: asr.Guard{NoSpeechProb: 2}}, "Guard.NoSpeechProb"},
		{asr.Config{URL: "http://w", Model: "m", Guard: asr.Guard{MaxAvgLogprob: 1}}, "Guard.MaxAvgLogprob"},
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
			tr, err := c.Transcribe(context.Background(), src, "2026/11/25/C1.wav", speechOfCall)
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

// countingSource counts how often each recording is opened.
type countingSource struct {
	*source.Local
	opens atomic.Int32
}

func (s *countingSource) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	s.opens.Add(1)
	return s.Local.Open(ctx, key)
}

// TestEngineDecodesOnce: inspected by the engine, a call without a
// transcript is read and decoded once: the channels the service is sent
// are the engine's own decoded audio, not a second pass over the file.
func TestEngineDecodesOnce(t *testing.T) {
	t.Parallel()
	srv := &fakeASR{t: t}
	c, local, dir := setup(t, srv, asr.Config{})
	src := &countingSource{Local: local}
	sc, err := scorecards.Default()
	if err != nil {
		t.Fatal(err)
	}
	// The energy detector hears writeCall's tones as speech; the neural
	// one rightly does not.
	eng, err := pipeline.NewEngine(sc, pipeline.Config{Analysis: analyse.Config{VAD: analyse.VADEnergy}, Transcriber: c}, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := eng.InspectKey(context.Background(), src, "2026/11/25/C1.wav")
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != models.StatusInspected || res.Transcript == nil {
		t.Fatalf("result %s (%s), transcript %v; want inspected with a transcript", res.Status, res.Error, res.Transcript)
	}
	if n := src.opens.Load(); n != 1 {
		t.Errorf("recording opened %d times, want once", n)
	}
	checkUtterances(t, res.Transcript.Utterances, []models.Utterance{
		{Speaker: models.SpeakerAgent, Start: 0.5, End: 1, Text: "1ch 16000Hz pcm_s16le"},
		{Speaker: models.SpeakerCustomer, Start: 2, End: 2.5, Text: "1ch 16000Hz pcm_s16le"},
	})
	for _, u := range srv.uploaded() {
		if math.Abs(u.seconds-3) > 0.01 {
			t.Errorf("upload of %.3f s, want the whole 3 s channel", u.seconds)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "2026", "11", "25", "C1.transcript.json")); err != nil {
		t.Errorf("sidecar not written: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(c.TempDirForTest(), "*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

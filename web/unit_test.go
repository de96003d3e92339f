package web

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/pipeline/decode"
	"github.com/callqa/callqa/workbench"
)

// memFile is an in-memory io.WriteSeeker.
type memFile struct {
	b   []byte
	off int
}

func (m *memFile) Write(p []byte) (int, error) {
	if need := m.off + len(p); need > len(m.b) {
		m.b = append(m.b, make([]byte, need-len(m.b))...)
	}
	copy(m.b[m.off:], p)
	m.off += len(p)
	return len(p), nil
}

func (m *memFile) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		off += int64(m.off)
	case io.SeekEnd:
		off += int64(len(m.b))
	}
	if off < 0 {
		return 0, errors.New("memFile: negative offset")
	}
	m.off = int(off)
	return off, nil
}

// TestTranscodePCM16 transcodes each sample format and checks the output
// decodes to the same samples (within 16-bit rounding) and frame count.
func TestTranscodePCM16(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"C20261125-0001.wav", "C20261125-0002.wav", "C20261125-0005.wav"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(samplesDir, "2026/11/25", name))
			if err != nil {
				t.Fatal(err)
			}
			var out memFile
			frames, err := transcodePCM16(context.Background(), bytes.NewReader(data), int64(len(data)), &out)
			if err != nil {
				t.Fatal(err)
			}
			orig, err := decode.NewDecoder(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			got, err := decode.NewDecoder(bytes.NewReader(out.b), int64(len(out.b)))
			if err != nil {
				t.Fatalf("output does not decode: %v", err)
			}
			if f := got.Format(); f.Codec != "pcm_s16le" || f.Channels != orig.Format().Channels || f.SampleRate != orig.Format().SampleRate {
				t.Fatalf("output format %+v, input %+v", f, orig.Format())
			}
			if n := int64(binary.LittleEndian.Uint32(out.b[40:])); n != frames*int64(orig.Format().Channels)*2 {
				t.Fatalf("data size %d for %d frames", n, frames)
			}
			a := make([]float32, 4096*2)
			bb := make([]float32, 4096*2)
			var total int64
			for {
				na, ea := orig.Read(a)
				nb, _ := got.Read(bb)
				if na != nb {
					t.Fatalf("block of %d frames against %d", na, nb)
				}
				for i := range na * orig.Format().Channels {
					if d := a[i] - bb[i]; d > 1.0/32768+1e-6 || d < -1.0/32768-1e-6 {
						t.Fatalf("sample %d: %v became %v", total*2+int64(i), a[i], bb[i])
					}
				}
				total += int64(na)
				if ea == io.EOF || na == 0 {
					break
				}
			}
			if total != frames {
				t.Fatalf("%d frames decoded, %d written", total, frames)
			}
		})
	}
	// Not a WAV file.
	if _, err := transcodePCM16(context.Background(), strings.NewReader("hello"), 5, &memFile{}); err == nil {
		t.Error("transcoded garbage")
	}
}

func TestWaveformSVG(t *testing.T) {
	t.Parallel()
	r := &models.Result{
		Audio:    &models.AudioInfo{DurationS: 10},
		Envelope: &models.Envelope{Step: 0.1, Agent: make([]int8, 100), Customer: make([]int8, 100)},
		Metrics: &models.Metrics{
			Agent:     &models.SpeakerMetrics{Segments: []models.Span{{0.5, 3}}},
			Customer:  &models.SpeakerMetrics{Segments: []models.Span{{3.5, 6}}},
			Silences:  []models.Span{{6, 9}},
			Overtalks: []models.Overtalk{{Start: 2.8, End: 3.2, By: "customer"}},
			Events: []models.Event{{Type: models.EventHoldMusic, Start: 6.5, End: 8.5, Speaker: "agent"},
				{Type: models.EventDTMF, Start: 9, End: 9.6, Speaker: "customer", Presses: 3}},
		},
		Findings: []models.Finding{
			{Rule: "dead_air", Name: "长时间<静音>", Start: 6, End: 9},
			{Rule: "taboo", Name: "禁语", Start: 1, End: 2, Veto: true},
		},
	}
	svg := string(waveformSVG(r))
	for _, want := range []string{`data-duration="10.000"`, `class="silence" x="600.00"`, `class="overtalk"`,
		`class="finding" data-seek="6.00" data-finding="0"`, `class="finding veto" data-seek="1.00"`,
		`长时间&lt;静音&gt;`, `class="seg agent" x="50.00"`, `class="lvl agent"`,
		`<text x="0.00" y="178" text-anchor="start">0:00</text>`, `<text x="500.00" y="178" text-anchor="middle">0:05</text>`,
		`<text x="1000.00" y="178" text-anchor="end">0:10</text>`, // the last label inside the picture
		`class="event hold" x="650.00" y="22" width="200.00" height="71" data-seek="6.50"><title>坐席侧 保持音乐 0:06–0:08</title>`,
		`class="event dtmf" x="900.00" y="93" width="60.00" height="71" data-seek="9.00"><title>客户侧 按键音（3 次） 0:09–0:09</title>`} {
		if !strings.Contains(svg, want) {
			t.Errorf("waveform lacks %s", want)
		}
	}
	if waveformSVG(&models.Result{}) != "" {
		t.Error("a waveform for a call without audio")
	}
}

func TestHighlight(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text  string
		spans [][2]int
		want  template.HTML
	}{
		{"这个不归我们管，你去找劳动监察吧。", [][2]int{{2, 7}}, "这个<mark>不归我们管</mark>，你去找劳动监察吧。"},
		{"不知道不知道", [][2]int{{0, 3}, {3, 6}}, "<mark>不知道不知道</mark>"},
		{"<b>投诉</b> & 12345", [][2]int{{3, 5}, {12, 17}}, "&lt;b&gt;<mark>投诉</mark>&lt;/b&gt; &amp; <mark>12345</mark>"},
		{"没有命中", nil, "没有命中"},
		{"重叠的短语", [][2]int{{0, 2}, {1, 4}}, "<mark>重叠的短</mark>语"},
		{"越界", [][2]int{{-3, 1}, {1, 99}, {5, 9}}, "<mark>越界</mark>"},
		{"a\xffb", [][2]int{{1, 2}}, "a<mark>\xff</mark>b"},
	}
	for _, tc := range tests {
		if got := highlight(tc.text, tc.spans); got != tc.want {
			t.Errorf("highlight(%q, %v) = %q, want %q", tc.text, tc.spans, got, tc.want)
		}
	}
}

// FuzzHighlight checks that highlighting never lets markup through and
// keeps the text.
func FuzzHighlight(f *testing.F) {
	f.Add("这个不归我们管", 2, 7)
	f.Add("<script>alert(1)</script>", 1, 7)
	f.Add("\xff\xfe半个字", -1, 3)
	f.Fuzz(func(t *testing.T, text string, start, end int) {
		out := string(highlight(text, [][2]int{{start, end}}))
		plain := strings.NewReplacer("<mark>", "", "</mark>", "").Replace(out)
		if strings.ContainsAny(plain, "<>") {
			t.Fatalf("markup leaked: %q", out)
		}
		if strings.Count(out, "<mark>") != strings.Count(out, "</mark>") || strings.Count(out, "<mark>") > 1 {
			t.Fatalf("unbalanced or split marks: %q", out)
		}
		if want := template.HTMLEscapeString(text); plain != want && !strings.Contains(text, "\ufffd") && strings.ToValidUTF8(text, "") == text {
			t.Fatalf("text changed: %q, want %q", plain, want)
		}
	})
}

// TestTranscriptLines: the highlight comes from the findings' structured
// evidence, in the utterance each finding names; findings without it
// highlight nothing.
func TestTranscriptLines(t *testing.T) {
	t.Parallel()
	at := func(i int) *int { return &i }
	res := &models.Result{
		Transcript: &models.Transcript{Utterances: []models.Utterance{
			{Speaker: "agent", Start: 1, End: 4, Text: "您好，上海12333，公号1086"},
			{Speaker: "customer", Start: 5, End: 9, Text: "我手机号[手机号]，不知道"},
			{Speaker: "agent", Start: 10, End: 12, Text: "这个不归我们管，我不知道"},
		}},
		Findings: []models.Finding{
			{Rule: "taboo", Start: 10, End: 12, Speaker: "agent", Evidence: "不归我们管 / 不知道", Utterance: at(2),
				Matches: []models.Match{{Phrase: "不归我们管", How: models.MatchExact, Start: 2, End: 7}, {Phrase: "不知道", How: models.MatchExact, Start: 9, End: 12}}},
			{Rule: "old", Start: 5, End: 9, Speaker: "customer", Evidence: "不知道"}, // stored before structured evidence
			{Rule: "greeting", Start: 0, End: 10, Speaker: "agent", Evidence: "未找到: 您好", Missing: []string{"您好"}},
		},
	}
	lines := transcriptLines(res)
	want := []string{"您好，上海12333，公号1086", "我手机号[手机号]，不知道", "这个<mark>不归我们管</mark>，我<mark>不知道</mark>"}
	for i, l := range lines {
		if string(l.Text) != want[i] || l.Hit != (i == 2) {
			t.Errorf("line %d: %q hit %v, want %q", i, l.Text, l.Hit, want[i])
		}
	}
	if transcriptLines(&models.Result{}) != nil {
		t.Error("lines without a transcript")
	}
}

func TestExplain(t *testing.T) {
	t.Parallel()
	at := func(i int) *int { return &i }
	f := func(v float64) *float64 { return &v }
	res := &models.Result{Transcript: &models.Transcript{Utterances: []models.Utterance{
		{Speaker: "agent", Text: "您好，上海一二三三三，公号1086"},
	}}}
	greeting := &models.Rule{ID: "greeting", Type: models.RuleKeyword, Within: &models.Within{FirstSeconds: 10}}
	closing := &models.Rule{ID: "closing", Type: models.RuleKeyword, Within: &models.Within{LastSeconds: 20}}
	tests := []struct {
		name string
		f    models.Finding
		rule *models.Rule
		want string
	}{
		{"matches", models.Finding{Utterance: at(0), Matches: []models.Match{
			{Phrase: "12333", How: models.MatchDigits, Start: 5, End: 10},
			{Phrase: "工号", How: models.MatchPinyin, Start: 11, End: 13},
			{Phrase: `\d{4}`, How: models.MatchPattern, Start: 13, End: 17},
			{Phrase: "公号", How: models.MatchExact, Start: 11, End: 13},
		}}, nil, "命中「一二三三三」（数字归一匹配「12333」）、「公号」（拼音同音匹配「工号」）、「1086」（正则 \\d{4}）、「公号」"},
		{"missing in the first seconds", models.Finding{Missing: []string{"您好", "你好"}}, greeting, "前 10 秒内未找到：您好 / 你好"},
		{"missing in the last seconds", models.Finding{Missing: []string{"再见"}}, closing, "最后 20 秒内未找到：再见"},
		{"missing, rule unknown", models.Finding{Missing: []string{"再见"}}, nil, "未找到：再见"},
		{"silence", models.Finding{Value: f(11.04), Unit: models.UnitSeconds, Limit: f(8)}, nil, "11.0 秒，达到阈值 8.0 秒"},
		{"level", models.Finding{Value: f(-42.3), Unit: models.UnitDBFS, Limit: f(-40)}, nil, "-42.3 dBFS，低于阈值 -40.0 dBFS"},
		{"clipping", models.Finding{Value: f(0.0123), Unit: models.UnitRatio, Limit: f(0.01)}, nil, "1.23%，超过阈值 1.00%"},
		{"speech rate", models.Finding{Value: f(312), Unit: models.UnitCPM, Limit: f(280)}, nil, "312 字/分，超过阈值 280 字/分"},
		{"short call", models.Finding{Value: f(7.4), Unit: models.UnitSeconds, Limit: f(10)}, nil, "7.4 秒，低于阈值 10.0 秒"},
		{"stored before structured evidence", models.Finding{Evidence: "不知道 / 没办法"}, nil, "不知道 / 没办法"},
		{"utterance out of range", models.Finding{Evidence: "x", Utterance: at(7), Matches: []models.Match{{Start: 0, End: 1}}}, nil, "x"},
	}
	for _, tc := range tests {
		if got := explain(tc.f, res, tc.rule); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestCoverageWarnings(t *testing.T) {
	t.Parallel()
	got := coverageWarnings(&models.Result{TranscriptCoverage: map[string]float64{"agent": 0.12, "customer": 0.97}})
	if len(got) != 1 || !strings.Contains(got[0], "坐席 12%") {
		t.Errorf("warnings = %q", got)
	}
	if got := coverageWarnings(&models.Result{TranscriptCoverage: map[string]float64{"agent": 0.5, "customer": 1}}); got != nil {
		t.Errorf("warnings at 50%%: %q", got)
	}
	if got := coverageWarnings(&models.Result{}); got != nil {
		t.Errorf("warnings without coverage: %q", got)
	}
}

// FuzzQueueFilter checks the queue's parameter parsing never panics and
// only accepts values the store understands.
func FuzzQueueFilter(f *testing.F) {
	f.Add("from=2026-11-01&to=2026-11-30&sort=score&page=2&status=pending&reason=veto")
	f.Add("page=-1&size=0")
	f.Add("from=2026-02-30")
	s := &Server{sc: &models.Scorecard{ID: "x", Version: 1}, cfg: Config{}.withDefaults(), now: time.Now}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		fl, err := s.queueFilter(q, &served{Scorecard: s.sc, Ref: models.ScorecardRef{ID: "x", Version: 1}},
			func() (string, error) { return "2026-11-25", nil })
		if err != nil {
			return
		}
		if fl.Page < 1 || fl.PageSize < 1 || fl.PageSize > 500 {
			t.Fatalf("accepted page %d size %d", fl.Page, fl.PageSize)
		}
		for _, d := range []string{fl.From, fl.To} {
			if d != "" {
				if _, err := time.Parse(time.DateOnly, d); err != nil {
					t.Fatalf("accepted date %q", d)
				}
			}
		}
		if fl.Status != "" && fl.Status != workbench.StatusPending && fl.Status != workbench.StatusReviewed {
			t.Fatalf("accepted status %q", fl.Status)
		}
	})
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cfg   Config
		field string
	}{
		{Config{}, ""},
		{Config{SessionTTL: time.Second}, "SessionTTL"},
		{Config{PageSize: 501}, "PageSize"},
		{Config{CalibrationRate: 1.5}, "CalibrationRate"},
		{Config{LoginMaxFailures: -1}, "LoginMaxFailures"},
		{Config{LoginMaxUserFailures: -1}, "LoginMaxUserFailures"},
		{Config{LoginWindow: time.Millisecond}, "LoginWindow"},
		{Config{AudioCacheDir: "/nonexistent/dir"}, "AudioCacheDir"},
		{Config{AudioCacheFiles: -2}, "AudioCacheFiles"},
		{Config{Indicator: Indicator{Target: 2}}, "Indicator.Target"},
	}
	for _, tc := range tests {
		err := tc.cfg.Validate()
		if tc.field == "" && err != nil || tc.field != "" && (err == nil || !strings.Contains(err.Error(), tc.field)) {
			t.Errorf("Validate(%+v) = %v, want an error naming %q", tc.cfg, err, tc.field)
		}
	}
}

// streamOnly hides everything but Read and Close of the recordings, as an
// S3 object stream does (no Seek).
type streamOnly struct{ src Recordings }

func (s streamOnly) OpenSidecar(ctx context.Context, key, suffix string) (io.ReadCloser, error) {
	return s.src.OpenSidecar(ctx, key, suffix)
}

func (s streamOnly) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	rc, err := s.src.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{rc, rc}, nil
}

// TestAudioFromStream serves a PCM16 recording from a source without Seek
// (through the cache) with Range support, and the cache keeps one file per
// recording.
func TestAudioFromStream(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{InsecureCookies: true, AudioCacheFiles: 1})
	b.srv.src = streamOnly{b.srv.src}
	c := b.login(t, reviewer)
	orig, err := os.ReadFile(filepath.Join(b.src, "2026/11/25", callGood+".wav"))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		resp := c.get("/calls/"+callGood+"/audio", "Range", "bytes=44-1043")
		if resp.StatusCode != 206 || bodyOf(resp) != string(orig[44:1044]) {
			t.Fatalf("range from a stream: %d", resp.StatusCode)
		}
	}
	if resp := c.get("/calls/" + callGreeting + "/audio"); resp.StatusCode != 200 {
		t.Fatalf("second recording: %d", resp.StatusCode)
	}
	files, _ := filepath.Glob(filepath.Join(b.srv.audio.dir, audioFilePattern))
	if len(files) != 1 {
		t.Errorf("%d cached files, want 1 (AudioCacheFiles)", len(files))
	}
	b.srv.Close()
	if files, _ := filepath.Glob(filepath.Join(b.srv.audio.dir, audioFilePattern)); len(files) != 0 {
		t.Errorf("Close left %v", files)
	}
}

// BenchmarkTranscodePCM16 measures transcoding a 40 s mu-law stereo call.
func BenchmarkTranscodePCM16(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(samplesDir, "2026/11/25", callGreeting+".wav"))
	if err != nil {
		b.Fatal(err)
	}
	out := &memFile{}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		out.off = 0
		if _, err := transcodePCM16(context.Background(), bytes.NewReader(data), int64(len(data)), out); err != nil {
			b.Fatal(err)
		}
	}
}

// TestAudioConcurrent requests one transcoded recording from many clients at
// once: all get the same bytes from one transcoding.
func TestAudioConcurrent(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{InsecureCookies: true})
	c := b.login(t, reviewer)
	const n = 8
	bodies := make(chan string, n)
	for range n {
		go func() {
			resp, err := c.hc.Get(c.base + "/calls/" + callGreeting + "/audio")
			if err != nil {
				bodies <- err.Error()
				return
			}
			defer resp.Body.Close()
			data, _ := io.ReadAll(resp.Body)
			bodies <- fmt.Sprintf("%d:%d:%x", resp.StatusCode, len(data), data[len(data)-64:])
		}()
	}
	first := <-bodies
	if !strings.HasPrefix(first, "200:") {
		t.Fatalf("first response %.80s", first)
	}
	for range n - 1 {
		if got := <-bodies; got != first {
			t.Fatalf("responses differ: %.80s vs %.80s", got, first)
		}
	}
	files, _ := filepath.Glob(filepath.Join(b.srv.audio.dir, audioFilePattern))
	if len(files) != 1 {
		t.Errorf("%d transcoded files, want 1", len(files))
	}
}

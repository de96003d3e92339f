package web

import (
	"bytes"
	"context"
	"encoding/binary"
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
	"github.com/callqa/callqa/storage"
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
	if whence != io.SeekStart {
		panic("memFile: only SeekStart")
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
		},
		Findings: []models.Finding{
			{Rule: "dead_air", Name: "长时间<静音>", Start: 6, End: 9},
			{Rule: "taboo", Name: "禁语", Start: 1, End: 2, Veto: true},
		},
	}
	svg := string(waveformSVG(r))
	for _, want := range []string{`data-duration="10.000"`, `class="silence" x="600.00"`, `class="overtalk"`,
		`class="finding" data-seek="6.00" data-finding="0"`, `class="finding veto" data-seek="1.00"`,
		`长时间&lt;静音&gt;`, `class="seg agent" x="50.00"`, `class="lvl agent"`, `>0:10</text>`} {
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
		text    string
		phrases []string
		want    template.HTML
	}{
		{"这个不归我们管，你去找劳动监察吧。", []string{"不归我们管"}, "这个<mark>不归我们管</mark>，你去找劳动监察吧。"},
		{"不知道不知道", []string{"不知道"}, "<mark>不知道不知道</mark>"},
		{"<b>投诉</b> & 12345", []string{"投诉", "12345"}, "&lt;b&gt;<mark>投诉</mark>&lt;/b&gt; &amp; <mark>12345</mark>"},
		{"没有命中", nil, "没有命中"},
		{"重叠的短语", []string{"重叠", "叠的短"}, "<mark>重叠的短</mark>语"},
	}
	for _, tc := range tests {
		if got := highlight(tc.text, tc.phrases); got != tc.want {
			t.Errorf("highlight(%q, %q) = %q, want %q", tc.text, tc.phrases, got, tc.want)
		}
	}
}

// FuzzHighlight checks that highlighting never lets markup through and
// keeps the text.
func FuzzHighlight(f *testing.F) {
	f.Add("这个不归我们管", "不归我们管")
	f.Add("<script>alert(1)</script>", "script")
	f.Add("\xff\xfe半个字", "\xfe")
	f.Fuzz(func(t *testing.T, text, phrase string) {
		out := string(highlight(text, []string{phrase}))
		plain := strings.NewReplacer("<mark>", "", "</mark>", "").Replace(out)
		if strings.ContainsAny(plain, "<>") {
			t.Fatalf("markup leaked: %q", out)
		}
		if strings.Count(out, "<mark>") != strings.Count(out, "</mark>") {
			t.Fatalf("unbalanced marks: %q", out)
		}
		if want := template.HTMLEscapeString(text); plain != want && !strings.Contains(text, "\ufffd") && strings.ToValidUTF8(text, "") == text {
			t.Fatalf("text changed: %q, want %q", plain, want)
		}
	})
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
		fl, err := s.queueFilter(q)
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
		if fl.Status != "" && fl.Status != storage.StatusPending && fl.Status != storage.StatusReviewed {
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

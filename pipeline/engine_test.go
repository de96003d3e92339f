package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/scorecards"
	"github.com/callqa/callqa/source"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

const samplesRoot = "../samples"

// sampleKeys lists the committed sample recordings, relative to samples/.
func sampleKeys(t *testing.T) []string {
	t.Helper()
	var keys []string
	err := filepath.WalkDir(samplesRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.EqualFold(filepath.Ext(p), ".wav") {
			rel, _ := filepath.Rel(samplesRoot, p)
			keys = append(keys, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) < 7 {
		t.Fatalf("found %d sample calls under %s, want at least 7", len(keys), samplesRoot)
	}
	sort.Strings(keys)
	return keys
}

func defaultEngine(t testing.TB) *Engine {
	t.Helper()
	sc, err := scorecards.Default()
	if err != nil {
		t.Fatal(err)
	}
	eng, err := NewEngine(sc, Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

// TestSamplesGolden pins the full inspection result of every sample call.
// Refresh with: go test ./pipeline -run TestSamplesGolden -update
func TestSamplesGolden(t *testing.T) {
	src, err := source.NewLocal(samplesRoot)
	if err != nil {
		t.Fatal(err)
	}
	eng := defaultEngine(t)
	for _, key := range sampleKeys(t) {
		t.Run(CallID(key), func(t *testing.T) {
			res, err := eng.InspectKey(context.Background(), src, key)
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.MarshalIndent(res, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := filepath.Join("testdata", "golden", CallID(key)+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("result differs from %s (run with -update after checking the change):\n%s", golden, firstDiff(string(want), string(got)))
			}
		})
	}
}

// TestSampleScenarios checks that each sample call shows the scenario it
// was made for, independently of the golden files.
func TestSampleScenarios(t *testing.T) {
	src, err := source.NewLocal(samplesRoot)
	if err != nil {
		t.Fatal(err)
	}
	eng := defaultEngine(t)
	seen := map[string]bool{}
	passed := 0
	for _, key := range sampleKeys(t) {
		res, err := eng.InspectKey(context.Background(), src, key)
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != models.StatusInspected {
			t.Errorf("%s: %s %s", key, res.Status, res.Error)
			continue
		}
		if res.Passed {
			passed++
		}
		for _, f := range res.Findings {
			seen[f.Rule] = true
		}
	}
	for _, rule := range []string{"greeting", "taboo", "dead_air", "agent_interrupts", "fast_speech", "complaint_risk", "hold"} {
		if !seen[rule] {
			t.Errorf("no sample call triggers rule %s", rule)
		}
	}
	if passed == 0 {
		t.Error("no sample call passes")
	}
}

// truth is the ground truth the sample generator wrote for a call.
type truth struct {
	Agent     []models.Span     `json:"agent"`
	Customer  []models.Span     `json:"customer"`
	Silences  []models.Span     `json:"silences"`
	Overtalks []models.Overtalk `json:"overtalks"`
	Events    []models.Event    `json:"events"`
}

// TestVoiceActivityAgainstTruth checks voice activity on the sample calls
// against the speech spans they were made from: at least 95% of 20 ms frames
// agree per channel, every silence and overtalk of 1 s or more is found
// within 0.2 s of its true edges, and every hold and run of key presses is
// an event on its channel near its true edges (key presses within 0.2 s
// and with their count; hold music within 2 s, as the music score averages
// about a second and a hold's first note may sound like a steady tone).
func TestVoiceActivityAgainstTruth(t *testing.T) {
	src, err := source.NewLocal(samplesRoot)
	if err != nil {
		t.Fatal(err)
	}
	eng := defaultEngine(t)
	n := 0
	for _, key := range sampleKeys(t) {
		data, err := os.ReadFile(filepath.Join(samplesRoot, strings.TrimSuffix(key, filepath.Ext(key))+".truth.json"))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
		var tr truth
		if err := json.Unmarshal(data, &tr); err != nil {
			t.Fatal(err)
		}
		t.Run(CallID(key), func(t *testing.T) {
			res, err := eng.InspectKey(context.Background(), src, key)
			if err != nil || res.Metrics == nil {
				t.Fatalf("inspect: %v %+v", err, res)
			}
			dur := res.Audio.DurationS
			m := res.Metrics
			if m.Mixed != nil {
				all := append(append([]models.Span{}, tr.Agent...), tr.Customer...)
				checkFrames(t, "mixed", all, m.Mixed.Segments, dur)
			} else {
				checkFrames(t, "agent", tr.Agent, m.Agent.Segments, dur)
				checkFrames(t, "customer", tr.Customer, m.Customer.Segments, dur)
				for _, want := range tr.Overtalks {
					if want.End-want.Start < 1 {
						continue
					}
					if !anyOvertalkNear(m.Overtalks, want) {
						t.Errorf("overtalk %.2f-%.2f by %s not found within 0.2 s; found %v", want.Start, want.End, want.By, m.Overtalks)
					}
				}
			}
			for _, want := range tr.Silences {
				if want[1]-want[0] < 1 {
					continue
				}
				if !anySpanNear(m.Silences, want) {
					t.Errorf("silence %.2f-%.2f not found within 0.2 s; found %v", want[0], want[1], m.Silences)
				}
			}
			for _, want := range tr.Events {
				if !anyEventNear(m.Events, want) {
					t.Errorf("%s event %.2f-%.2f on the %s channel not found; found %+v", want.Type, want.Start, want.End, want.Speaker, m.Events)
				}
			}
		})
	}
	if n == 0 {
		t.Fatal("no .truth.json files next to the samples")
	}
}

func frameMask(spans []models.Span, frames int) []bool {
	m := make([]bool, frames)
	for _, s := range spans {
		for i := int(math.Round(s[0] / 0.02)); i < int(math.Round(s[1]/0.02)) && i < frames; i++ {
			if i >= 0 {
				m[i] = true
			}
		}
	}
	return m
}

func checkFrames(t *testing.T, name string, want, got []models.Span, dur float64) {
	t.Helper()
	frames := int(dur / 0.02)
	w, g := frameMask(want, frames), frameMask(got, frames)
	agree := 0
	for i := range w {
		if w[i] == g[i] {
			agree++
		}
	}
	ratio := float64(agree) / float64(frames)
	t.Logf("%s: %.1f%% of %d frames agree", name, 100*ratio, frames)
	if ratio < 0.95 {
		t.Errorf("%s: voice activity agrees on %.1f%% of 20 ms frames, want >= 95%%\ntruth: %v\ngot:   %v", name, 100*ratio, want, got)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 0.2+1e-9 }

func anySpanNear(got []models.Span, want models.Span) bool {
	for _, g := range got {
		if near(g[0], want[0]) && near(g[1], want[1]) {
			return true
		}
	}
	return false
}

func anyEventNear(got []models.Event, want models.Event) bool {
	tol := 0.2
	if want.Type == models.EventHoldMusic {
		tol = 2
	}
	for _, g := range got {
		if g.Type == want.Type && g.Speaker == want.Speaker && g.Presses == want.Presses &&
			math.Abs(g.Start-want.Start) <= tol && math.Abs(g.End-want.End) <= tol {
			return true
		}
	}
	return false
}

func anyOvertalkNear(got []models.Overtalk, want models.Overtalk) bool {
	for _, g := range got {
		if near(g.Start, want.Start) && near(g.End, want.End) && g.By == want.By {
			return true
		}
	}
	return false
}

// firstDiff shows the first differing line of two texts, with context.
func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return "line " + strconv.Itoa(i+1) + ":\n  want: " + w + "\n  got:  " + g
		}
	}
	return ""
}

// faultySource fails mid-body the way a cut S3 connection does.
type faultySource struct {
	data []byte
	cut  int
}

func (f faultySource) Open(context.Context, string) (io.ReadCloser, error) {
	return io.NopCloser(io.MultiReader(bytes.NewReader(f.data[:f.cut]), errReader{io.ErrUnexpectedEOF})), nil
}

func (f faultySource) OpenSidecar(context.Context, string, string) (io.ReadCloser, error) {
	return nil, fs.ErrNotExist
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// TestInspectClassifiesErrors: bad input gives an unprocessable result and
// no error; a storage fault gives an error and no result; so does
// cancellation.
func TestInspectClassifiesErrors(t *testing.T) {
	eng := defaultEngine(t)
	call, err := io.ReadAll(newSynthCall(20))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, data []byte) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("empty.wav", nil)
	write("text.wav", []byte("this is not a recording"))
	write("short.wav", call[:30])
	truncated := call[:len(call)/2+1] // half the data, and half a frame
	write("truncated.wav", truncated)
	write("good.wav", call)
	write("badmeta.wav", call)
	write("badmeta.meta.json", []byte("{not json"))
	write("badchan.wav", call)
	write("badchan.meta.json", []byte(`{"channels": {"agent": 0, "customer": 5}}`))
	write("badtr.wav", call)
	write("badtr.transcript.json", []byte(`{"utterances": [{"speaker": "robot", "start": 1, "end": 2, "text": "x"}]}`))
	adpcm := append([]byte{}, call[:60]...)
	adpcm[20] = 0x11 // IMA ADPCM format tag
	write("adpcm.wav", adpcm)
	src, err := source.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		key, wantStatus, wantErr string
	}{
		{"good.wav", models.StatusInspected, ""},
		{"truncated.wav", models.StatusInspected, "truncated data chunk"},
		{"empty.wav", models.StatusUnprocessable, "empty.wav"},
		{"text.wav", models.StatusUnprocessable, "RIFF"},
		{"short.wav", models.StatusUnprocessable, "short.wav"},
		{"adpcm.wav", models.StatusUnprocessable, "unsupported codec 0x0011 (IMA ADPCM)"},
		{"missing.wav", models.StatusUnprocessable, "not found"},
		{"badmeta.wav", models.StatusUnprocessable, "meta sidecar"},
		{"badchan.wav", models.StatusUnprocessable, "customer channel 5"},
		{"badtr.wav", models.StatusUnprocessable, "transcript"},
	}
	for _, tc := range tests {
		t.Run(tc.key, func(t *testing.T) {
			res, err := eng.InspectKey(context.Background(), src, tc.key)
			if err != nil {
				t.Fatalf("InspectKey error %v, want a result", err)
			}
			if res.Status != tc.wantStatus || !strings.Contains(res.Error, tc.wantErr) {
				t.Fatalf("status %q error %q, want %q containing %q", res.Status, res.Error, tc.wantStatus, tc.wantErr)
			}
			if tc.wantStatus == models.StatusUnprocessable && (res.Passed || res.Metrics != nil || len(res.Findings) != 0) {
				t.Errorf("unprocessable result carries a verdict: %+v", res)
			}
		})
	}

	t.Run("truncated call analysed to the last whole frame", func(t *testing.T) {
		res, err := eng.InspectKey(context.Background(), src, "truncated.wav")
		if err != nil {
			t.Fatal(err)
		}
		if !res.Truncated || math.Abs(res.Audio.DurationS-10) > 0.01 {
			t.Errorf("truncated=%v duration=%v, want true and about 10 s", res.Truncated, res.Audio.DurationS)
		}
	})

	t.Run("connection cut mid-body is transient", func(t *testing.T) {
		res, err := eng.InspectKey(context.Background(), faultySource{data: call, cut: len(call) / 3}, "cut.wav")
		if err == nil || !errors.Is(err, io.ErrUnexpectedEOF) || res != nil {
			t.Fatalf("got %v, %+v; want io.ErrUnexpectedEOF and no result", err, res)
		}
	})

	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		res, err := eng.InspectKey(ctx, src, "good.wav")
		if !errors.Is(err, context.Canceled) || res != nil {
			t.Fatalf("got %v, %+v; want context.Canceled and no result", err, res)
		}
	})
}

// cancelAfter cancels a context once the recording has been read n times,
// and counts the reads that follow.
type cancelAfter struct {
	r      io.Reader
	n      int
	cancel context.CancelFunc
	reads  int
	after  int
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	c.reads++
	if c.reads == c.n {
		c.cancel()
	} else if c.reads > c.n {
		c.after++
	}
	return c.r.Read(p)
}

// TestInspectStopsMidRecording: cancellation while a long recording is
// being decoded stops the engine within a block, with no result (a queue
// marks a task failed at its deadline but leaves the handler running).
func TestInspectStopsMidRecording(t *testing.T) {
	eng := defaultEngine(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec := &cancelAfter{r: newSynthCall(2 * 3600), n: 50, cancel: cancel}
	res, err := eng.InspectKey(ctx, readerSource{open: func() io.Reader { return rec }}, "long.wav")
	if !errors.Is(err, context.Canceled) || res != nil {
		t.Fatalf("got %v, %+v; want context.Canceled and no result", err, res)
	}
	// One block of 4096 stereo frames is 8 KiB of G.711: a few reads at most.
	if rec.after > 4 {
		t.Errorf("%d reads after cancellation, want the engine to stop within a block", rec.after)
	}
}

// TestAnalysisFollowsScorecard: a silence or overtalk rule shorter than the
// analyser's defaults still finds what it asks for.
func TestAnalysisFollowsScorecard(t *testing.T) {
	sc, err := scorecards.Default()
	if err != nil {
		t.Fatal(err)
	}
	sc.Rules = append(sc.Rules,
		models.Rule{ID: "short_gap", Name: "短静音", Type: models.RuleSilence, MinSeconds: 0.8, Deduct: 1},
		models.Rule{ID: "any_overlap", Name: "重叠", Type: models.RuleOvertalk, MinSeconds: 0.1, Deduct: 1})
	eng, err := NewEngine(sc, Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if eng.analysis.MinSilence != 0.8 || eng.analysis.MinOvertalk != 0.1 {
		t.Fatalf("analysis minimums %v / %v, want 0.8 / 0.1", eng.analysis.MinSilence, eng.analysis.MinOvertalk)
	}
	// The synthetic call pauses 1 s between turns; with the default 1 s
	// minimum those pauses are borderline, with 0.8 s they are all listed.
	res, err := eng.InspectKey(context.Background(), readerSource{open: func() io.Reader { return newSynthCall(30) }}, "gaps.wav")
	if err != nil {
		t.Fatal(err)
	}
	hits := 0
	for _, f := range res.Findings {
		if f.Rule == "short_gap" {
			hits++
		}
	}
	if hits == 0 {
		t.Errorf("no short_gap finding; silences: %v", res.Metrics.Silences)
	}
}

// TestInspectSurveyMeta: the survey answer and the answered flag are read
// from the meta sidecar; a value that is not one is ignored with a warning
// (kept in the result and logged), and the call is inspected as usual.
func TestInspectSurveyMeta(t *testing.T) {
	call, err := io.ReadAll(newSynthCall(10))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	metas := map[string]string{
		"ivr":       `{"call_id": "IVR", "satisfaction": 3}`,
		"words":     `{"satisfaction": "基本满意", "answered": true}`,
		"abandoned": `{"answered": false}`,
		"typo":      `{"team": "一组", "satisfaction": "5"}`,
		"none":      `{"team": "一组"}`,
	}
	for name, meta := range metas {
		for file, data := range map[string][]byte{name + ".wav": call, name + ".meta.json": []byte(meta)} {
			if err := os.WriteFile(filepath.Join(dir, file), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	src, err := source.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	eng, err := NewEngine(defaultEngine(t).Scorecard(), Config{}, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, satisfaction string
		answered           bool
		warning            string
	}{
		{"ivr", models.SatisfactionDissatisfied, true, ""},
		{"words", models.SatisfactionBasic, true, ""},
		{"abandoned", "", false, ""},
		{"typo", "", true, `meta sidecar typo.meta.json: satisfaction "5" is not a survey answer`},
		{"none", "", true, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := eng.InspectKey(context.Background(), src, tc.name+".wav")
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != models.StatusInspected {
				t.Fatalf("status %s: %s", res.Status, res.Error)
			}
			if res.Meta.Satisfaction != tc.satisfaction || res.Meta.IsAnswered() != tc.answered {
				t.Errorf("meta %+v, want satisfaction %q answered %v", res.Meta, tc.satisfaction, tc.answered)
			}
			switch {
			case tc.warning == "" && len(res.Warnings) != 0:
				t.Errorf("warnings %q, want none", res.Warnings)
			case tc.warning != "" && (len(res.Warnings) != 1 || !strings.HasPrefix(res.Warnings[0], tc.warning)):
				t.Errorf("warnings %q, want one starting %q", res.Warnings, tc.warning)
			}
		})
	}
	if !strings.Contains(logs.String(), "meta sidecar value ignored") || !strings.Contains(logs.String(), "typo.meta.json") {
		t.Errorf("the ignored value is not logged:\n%s", logs.String())
	}
}

package asr

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/callqa/callqa/models"
)

func ptr(v float64) *float64 { return &v }

// TestGuard: Whisper's usual inventions in Chinese are dropped by the
// speech overlap or by its own scores; speech stays, also when the
// recogniser's times run into the pauses around it.
func TestGuard(t *testing.T) {
	t.Parallel()
	// The speaker talks from 1 to 3 s and from 13 to 14 s.
	speech := []models.Span{{1, 3}, {13, 14}}
	g := Guard{}.withDefaults()
	tests := []struct {
		name string
		seg  segment
		want string
	}{
		{"speech", segment{start: 1, end: 3, text: "您好，上海12333"}, ""},
		{"times a little early", segment{start: 0.6, end: 1.3, text: "喂"}, ""},
		{"segment taking in the pause before", segment{start: 3, end: 14, text: "好的"}, ""},
		{"a word of no length in speech", segment{start: 2, end: 2, text: "嗯"}, ""},
		{"a word of no length in silence", segment{start: 8, end: 8, text: "嗯"}, models.DropOutsideSpeech},
		{"谢谢观看 on silence", segment{start: 5, end: 7, text: "谢谢观看", noSpeechProb: ptr(0.05), avgLogprob: ptr(-0.3)}, models.DropOutsideSpeech},
		{"点赞订阅 touching speech", segment{start: 3.1, end: 9, text: "请不吝点赞订阅转发打赏支持明镜与点点栏目"}, models.DropOutsideSpeech},
		{"Amara subtitles the recogniser took for silence", segment{start: 1, end: 3, text: "字幕由Amara.org社区提供", noSpeechProb: ptr(0.8), avgLogprob: ptr(-1.2)}, models.DropNoSpeech},
		{"no_speech high but confident text", segment{start: 1, end: 3, text: "好的", noSpeechProb: ptr(0.8), avgLogprob: ptr(-0.5)}, ""},
		{"no_speech high, no logprob", segment{start: 1, end: 3, text: "好的", noSpeechProb: ptr(0.8)}, models.DropNoSpeech},
		{"a loop, ratio computed", segment{start: 1, end: 3, text: strings.Repeat("明镜与点点栏目", 8)}, models.DropRepetitive},
		{"a loop, ratio sent", segment{start: 1, end: 3, text: "好的好的", compressionRatio: ptr(2.6)}, models.DropRepetitive},
		{"vLLM's -1 ratio: computed", segment{start: 1, end: 3, text: "您好，请问有什么可以帮您？", compressionRatio: ptr(-1)}, ""},
	}
	for _, tt := range tests {
		if got := g.reason(tt.seg, speech, true); got != tt.want {
			t.Errorf("%s: reason %q, want %q", tt.name, got, tt.want)
		}
	}
	// Speech unknown: only the scores judge.
	if got := g.reason(segment{start: 5, end: 7, text: "谢谢观看", noSpeechProb: ptr(0.05)}, nil, false); got != "" {
		t.Errorf("unknown speech: reason %q", got)
	}
	// A silent channel: everything is invented.
	if got := g.reason(segment{start: 1, end: 3, text: "您好"}, []models.Span{}, true); got != models.DropOutsideSpeech {
		t.Errorf("silent channel: reason %q", got)
	}
	if got := (Guard{Off: true}).reason(segment{start: 5, end: 7, text: "谢谢观看"}, speech, true); got != "" {
		t.Errorf("guard off: reason %q", got)
	}
}

func TestCompressionRatio(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		text   string
		lo, hi float64
	}{
		{"", 0, 0},
		{"您好，上海12333，工号1086，请问有什么可以帮您？", 0.5, 1.5},
		{strings.Repeat("谢谢", 30), 5, math.Inf(1)},
	} {
		if r := compressionRatio(tt.text); r < tt.lo || r > tt.hi {
			t.Errorf("compressionRatio(%q) = %.2f, want %v..%v", tt.text, r, tt.lo, tt.hi)
		}
	}
}

// FuzzParseAnswer: whatever a service answers, parsing never panics, an
// error is always a *ServiceError, and segments have finite ordered times
// and text.
func FuzzParseAnswer(f *testing.F) {
	for _, s := range []string{
		`{"text":"您好","segments":[{"id":0,"start":0.5,"end":1.5,"text":" 您好 ","no_speech_prob":0.1,"avg_logprob":-0.2,"compression_ratio":1.1}]}`,
		`{"text":"您好"}`,
		`{"text":""}`,
		`{"error":{"message":"bad"}}`,
		`{"segments":[{"start":2,"end":1,"text":"x"}]}`,
		`{"segments":[{"start":0,"end":1,"text":"x","avg_logprob":null}]}`,
		`<html></html>`,
		`{"segments":null,"text":"x"}`,
	} {
		f.Add([]byte(s))
	}
	c := &Client{cfg: Config{Model: "m"}.withDefaults()}
	f.Fuzz(func(t *testing.T, body []byte) {
		segs, err := c.parseAnswer(body, "application/json")
		if err != nil {
			var se *ServiceError
			if !errors.As(err, &se) || segs != nil {
				t.Fatalf("parseAnswer error %T %v with %d segments", err, err, len(segs))
			}
			return
		}
		for i, s := range segs {
			if !finite(s.start) || !finite(s.end) || s.start < 0 || s.end < s.start || strings.TrimSpace(s.text) == "" {
				t.Fatalf("segments[%d] = %+v accepted", i, s)
			}
		}
	})
}

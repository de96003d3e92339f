package asr_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/pipeline/asr"
	"github.com/callqa/callqa/pipeline/decode"
	"github.com/callqa/callqa/pipeline/transcript"
	"github.com/callqa/callqa/source"
)

// Example transcribes a stereo call with a service that, like Whisper,
// adds "谢谢观看" on the silence of each channel: the engine tells the
// transcriber where each speaker spoke, and the invented text is dropped.
func Example() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, h, _ := r.FormFile("file")
		said := map[bool]map[string]any{
			true:  {"start": 0.5, "end": 1.0, "text": " 您好，工号1086"},
			false: {"start": 2.0, "end": 2.5, "text": " 我要投诉"},
		}[strings.Contains(h.Filename, ".agent.")]
		json.NewEncoder(w).Encode(map[string]any{"text": "", "segments": []any{said,
			map[string]any{"start": 1.5, "end": 1.9, "text": "谢谢观看", "no_speech_prob": 0.1}}})
	}))
	defer srv.Close()

	// A 3 s stereo call: the agent speaks from 0.5 to 1 s, the customer
	// from 2 to 2.5 s (silence stands in for the voices here).
	dir, _ := os.MkdirTemp("", "asr-example")
	defer os.RemoveAll(dir)
	f, _ := os.Create(filepath.Join(dir, "C1.wav"))
	decode.WritePCM16(f, 8000, 2, make([]int16, 2*3*8000))
	f.Close()
	src, _ := source.NewLocal(dir)

	c, err := asr.New(asr.Config{URL: srv.URL, Model: "whisper-1", TempDir: dir}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	tr, err := c.Transcribe(context.Background(), src, "C1.wav", transcript.Call{
		Channels: models.DefaultChannels,
		Speech: map[string][]models.Span{
			models.SpeakerAgent:    {{0.5, 1}},
			models.SpeakerCustomer: {{2, 2.5}},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, u := range tr.Utterances {
		fmt.Println(u.Speaker, u.Start, u.End, u.Text)
	}
	for _, d := range tr.Dropped {
		fmt.Println("dropped:", d.Speaker, d.Text, d.Reason)
	}
	// Output:
	// agent 0.5 1 您好，工号1086
	// customer 2 2.5 我要投诉
	// dropped: agent 谢谢观看 outside_speech
	// dropped: customer 谢谢观看 outside_speech
}

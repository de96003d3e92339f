package pipeline

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/pipeline/transcript"
	"github.com/callqa/callqa/scorecards"
	"github.com/callqa/callqa/source"
)

// callRecorder is a Transcriber that keeps the Call it was given and
// answers tr or err.
type callRecorder struct {
	got transcript.Call
	tr  *models.Transcript
	err error
}

func (c *callRecorder) Transcribe(_ context.Context, _ transcript.Source, _ string, call transcript.Call) (*models.Transcript, error) {
	c.got = call
	return c.tr, c.err
}

// TestTranscriberGetsTheAnalysis: a transcriber is told the call's channel
// map and each speaker's detected speech (what the result's metrics say),
// the segments it dropped reach the result (masked like the utterances),
// and its faults are transient, never an unprocessable call.
func TestTranscriberGetsTheAnalysis(t *testing.T) {
	t.Parallel()
	sc, err := scorecards.Default()
	if err != nil {
		t.Fatal(err)
	}
	src, err := source.NewLocal(samplesRoot)
	if err != nil {
		t.Fatal(err)
	}
	const key = "2026/11/25/C20261125-0004.wav"
	rec := &callRecorder{tr: &models.Transcript{
		Utterances: []models.Utterance{{Speaker: "agent", Start: 0.9, End: 8, Text: "您好，上海12333，工号1086"}},
		Dropped:    []models.DroppedSegment{{Speaker: "customer", Start: 1, End: 3, Text: "谢谢观看13912345670", Reason: models.DropOutsideSpeech}},
	}}
	eng, err := NewEngine(sc, Config{Transcriber: rec}, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := eng.InspectKey(context.Background(), src, key)
	if err != nil || res.Status != models.StatusInspected {
		t.Fatalf("InspectKey = %+v, %v", res, err)
	}
	if rec.got.Channels != models.DefaultChannels {
		t.Errorf("channels %+v, want the default map", rec.got.Channels)
	}
	if len(res.Metrics.Agent.Segments) == 0 ||
		!reflect.DeepEqual(rec.got.Speech[models.SpeakerAgent], res.Metrics.Agent.Segments) ||
		!reflect.DeepEqual(rec.got.Speech[models.SpeakerCustomer], res.Metrics.Customer.Segments) {
		t.Errorf("speech given %+v, want the metrics' segments", rec.got.Speech)
	}
	want := []models.DroppedSegment{{Speaker: "customer", Start: 1, End: 3, Text: "谢谢观看[手机号]", Reason: models.DropOutsideSpeech}}
	if !reflect.DeepEqual(res.Transcript.Dropped, want) {
		t.Errorf("dropped %+v, want %+v", res.Transcript.Dropped, want)
	}

	rec.err = errors.New("asr service: HTTP 401")
	res, err = eng.InspectKey(context.Background(), src, key)
	if err == nil || res != nil {
		t.Fatalf("a transcriber fault: InspectKey = %+v, %v; want a transient error", res, err)
	}
}

package asr_test

import (
	"context"
	"testing"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/pipeline"
	"github.com/callqa/callqa/pipeline/asr"
	"github.com/callqa/callqa/pipeline/pii"
	"github.com/callqa/callqa/pipeline/transcript"
)

// TestSidecarReadsBack: a transcript the adapter made and wrote beside the
// recording is what the sidecar reads back, utterance order included, so
// that a stored result that keeps only its digest shows it again. Two
// speakers who start together, the customer ending first, were returned
// agent first and read back customer first: the digest no longer matched
// and the call page said the sidecar had been edited (found by a review).
func TestSidecarReadsBack(t *testing.T) {
	srv := &fakeASR{t: t}
	c, src, dir := setup(t, srv, asr.Config{})
	const key = "2026/11/25/T1.wav"
	writeTones(t, dir, key, 3, []models.Span{{0.5, 1.5}}, []models.Span{{0.5, 1.0}})
	call := transcript.Call{Channels: models.DefaultChannels, Speech: map[string][]models.Span{
		models.SpeakerAgent: {{0.5, 1.5}}, models.SpeakerCustomer: {{0.5, 1.0}}}}
	ctx := context.Background()
	tr, err := c.Transcribe(ctx, src, key, call)
	if err != nil {
		t.Fatal(err)
	}
	if !tr.Sidecar || len(tr.Utterances) != 2 || tr.Utterances[0].Start != tr.Utterances[1].Start {
		t.Fatalf("want two utterances starting together, kept beside the recording: %+v", tr)
	}
	res := &models.Result{Recording: key, Transcript: tr, Findings: []models.Finding{}}
	pii.MaskResult(res) // as the engine does
	sum, err := models.TranscriptSHA256(res.Transcript)
	if err != nil {
		t.Fatal(err)
	}
	stored := &models.Result{Recording: key, Findings: []models.Finding{}, Omitted: &models.Omitted{TranscriptSHA256: sum}}
	notes, err := pipeline.Restore(ctx, src, stored)
	if err != nil || len(notes) > 0 || stored.Transcript == nil {
		t.Errorf("Restore of the adapter's transcript: notes %q, err %v, transcript restored %v", notes, err, stored.Transcript != nil)
	}
}

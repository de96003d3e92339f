package pipeline

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/pipeline/analyse"
	"github.com/callqa/callqa/pipeline/decode"
	"github.com/callqa/callqa/pipeline/pii"
	"github.com/callqa/callqa/pipeline/transcript"
)

// Restore puts back into res, a result read from a results store, what
// the store left out because it is kept beside the recording
// (res.Omitted): the level envelope, recomputed from the recording in src
// (decoded and measured for levels only, the same figures as the
// inspection's), and the transcript, read again from the recording's
// sidecars and masked as the inspection masked it. res.Omitted is cleared
// of what was put back.
//
// What cannot be put back is said in notes, for a reviewer: a recording
// no longer there or unreadable (no waveform), a transcript sidecar gone
// or changed since the inspection (not shown: its findings' offsets would
// point at other words; their evidence still quotes the words the rules
// read). The error is a fault reading src (a transient one: try again) or
// the context's.
func Restore(ctx context.Context, src RecordingSource, res *models.Result) (notes []string, err error) {
	o := res.Omitted
	if o == nil {
		return nil, nil
	}
	if o.TranscriptSHA256 != "" {
		note, err := restoreTranscript(ctx, src, res)
		if err != nil {
			return notes, err
		}
		if note != "" {
			notes = append(notes, note)
		}
	}
	if o.Envelope {
		env, err := Envelope(ctx, src, res.Recording, res.Meta.ChannelsOrDefault())
		switch {
		case err == nil:
			res.Envelope, o.Envelope = env, false
		case errors.Is(err, models.ErrBadInput):
			notes = append(notes, "录音无法读取，波形不可用："+err.Error())
		default:
			return notes, err
		}
	}
	if !o.Envelope && o.TranscriptSHA256 == "" {
		res.Omitted = nil
	}
	return notes, nil
}

// restoreTranscript reads res's transcript again beside its recording.
func restoreTranscript(ctx context.Context, src RecordingSource, res *models.Result) (note string, err error) {
	tr, err := transcript.Sidecar{}.Transcribe(ctx, src, res.Recording, transcript.Call{})
	switch {
	case errors.Is(err, models.ErrBadInput):
		return "转写文件已无法解析，不显示转写：" + err.Error(), nil
	case err != nil:
		return "", fmt.Errorf("restore transcript of %s: %w", res.Recording, err)
	case tr == nil:
		return "录音旁的转写文件已不存在，不显示转写；各项发现的证据仍引用检测时的原文。", nil
	}
	// Masked as the engine masked it: MaskResult with the findings, on
	// copies (it moves their match offsets).
	findings := slices.Clone(res.Findings)
	for i := range findings {
		findings[i].Matches = slices.Clone(findings[i].Matches)
	}
	m := &models.Result{Transcript: tr, Findings: findings}
	pii.MaskResult(m)
	sum, err := models.TranscriptSHA256(m.Transcript)
	if err != nil {
		return "", err
	}
	if sum != res.Omitted.TranscriptSHA256 {
		return "录音旁的转写文件在检测后已被修改，不显示转写；各项发现的证据仍引用检测时的原文。", nil
	}
	res.Transcript, res.Omitted.TranscriptSHA256 = m.Transcript, ""
	return "", nil
}

// Envelope recomputes the level envelope of the recording at key: the
// per-step RMS levels an inspection measures (the energy analysis, which
// skips the neural speech detector: the levels do not depend on it).
// Problems with the recording itself are models.ErrBadInput.
func Envelope(ctx context.Context, src RecordingSource, key string, chans models.ChannelMap) (*models.Envelope, error) {
	cfg := analyse.Config{VAD: analyse.VADEnergy}
	a, err := analyseKey(ctx, src, key, cfg, func(f decode.Format) (func([]float32) error, error) {
		return nil, checkChannels(chans, f.Channels)
	})
	if err != nil {
		return nil, fmt.Errorf("envelope: %w", err)
	}
	return a.Report.Envelope(cfg, chans), nil
}

// Package pipeline inspects one call: it decodes the recording as a stream
// (pipeline/decode), analyses the audio per channel (pipeline/analyse), reads
// the transcript (pipeline/transcript), checks the scorecard's rules
// (pipeline/rules), scores the call (pipeline/score) and masks the personal
// data in the transcript it keeps (pipeline/pii).
//
// The Engine is the single code path for every way callqa runs: the CLI's
// inspect command, the embedded batch pool and the fleet's queue workers all
// call Engine.InspectKey, so a call gets the same result wherever it is
// inspected.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"path"
	"strings"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/pipeline/analyse"
	"github.com/callqa/callqa/pipeline/decode"
	"github.com/callqa/callqa/pipeline/pii"
	"github.com/callqa/callqa/pipeline/rules"
	"github.com/callqa/callqa/pipeline/score"
	"github.com/callqa/callqa/pipeline/transcript"
)

// blockFrames is how many frames are decoded and analysed at a time: large
// enough to amortise per-block work, small enough to stay in cache and to
// notice cancellation within a fraction of a second of audio.
const blockFrames = 4096

// Config tunes the engine. The zero value is the documented default.
type Config struct {
	// Analysis tunes voice activity, silence and overtalk detection; zero
	// fields take analyse's defaults.
	Analysis analyse.Config
	// Transcriber finds a call's transcript. Nil reads the sidecars next to
	// the recording (<name>.transcript.json, or the per-channel OpenAI
	// verbose_json files).
	// A call without a transcript is not an error: its keyword rules are
	// reported as not evaluated.
	Transcriber transcript.Transcriber
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	if err := c.Analysis.WithDefaults().Validate(); err != nil {
		return fmt.Errorf("pipeline config: Analysis: %w", err)
	}
	return nil
}

// Engine inspects calls against one scorecard. It is safe for concurrent use.
type Engine struct {
	sc          *models.Scorecard
	checker     *rules.Checker
	analysis    analyse.Config
	transcriber transcript.Transcriber
	logger      *slog.Logger
}

// NewEngine compiles the scorecard's rules and returns an engine.
func NewEngine(sc *models.Scorecard, cfg Config, logger *slog.Logger) (*Engine, error) {
	if sc == nil {
		return nil, errors.New("new engine: nil scorecard")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("new engine: %w", err)
	}
	checker, err := rules.NewChecker(sc)
	if err != nil {
		return nil, fmt.Errorf("new engine: %w", err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	tr := cfg.Transcriber
	if tr == nil {
		tr = transcript.Sidecar{}
	}
	acfg, err := cfg.Analysis.WithSettings(sc.Analysis)
	if err != nil {
		return nil, fmt.Errorf("new engine: scorecard %s: %w", sc.ID, err)
	}
	return &Engine{sc: sc, checker: checker, analysis: analysisFor(sc, acfg.WithDefaults()), transcriber: tr, logger: logger}, nil
}

// analysisFor lowers the analyser's shortest reported silence and overtalk
// to what the scorecard's rules ask for: a silence rule of 0.5 s could
// never fire on metrics that list silences from 1 s only.
func analysisFor(sc *models.Scorecard, cfg analyse.Config) analyse.Config {
	for _, r := range sc.Rules {
		switch {
		case r.Type == models.RuleSilence && r.MinSeconds > 0:
			cfg.MinSilence = min(cfg.MinSilence, r.MinSeconds)
		case r.Type == models.RuleOvertalk && r.MinSeconds > 0:
			cfg.MinOvertalk = min(cfg.MinOvertalk, r.MinSeconds)
		}
	}
	return cfg
}

// Scorecard returns the scorecard the engine scores with.
func (e *Engine) Scorecard() *models.Scorecard { return e.sc }

// Analysis names the audio analysis the engine performs, as its results
// record it.
func (e *Engine) Analysis() models.AnalysisRef { return e.analysis.Ref() }

// bad is a problem with the call's own files (models.ErrBadInput): it
// makes the result unprocessable and is never retried.
func bad(format string, args ...any) error {
	return models.BadInput(fmt.Errorf(format, args...))
}

// CallID returns the default call id of a recording key: its file name
// without the extension.
func CallID(key string) string {
	base := path.Base(strings.ReplaceAll(key, "\\", "/"))
	return strings.TrimSuffix(base, path.Ext(base))
}

// InspectKey inspects one recording read from src, with the sidecars found
// next to it.
//
// Bad input (an invalid or unsupported WAV, a missing recording, an
// unreadable sidecar) yields a Result with Status models.StatusUnprocessable,
// Error set, and a nil error. A non-nil error means a transient fault
// (storage I/O, network) or cancellation: there is nothing to store and the
// caller should retry later.
func (e *Engine) InspectKey(ctx context.Context, src RecordingSource, key string) (*models.Result, error) {
	res := &models.Result{
		CallID:    CallID(key),
		Recording: key,
		Status:    models.StatusInspected,
		Scorecard: models.ScorecardRef{ID: e.sc.ID, Version: e.sc.Version},
		Findings:  []models.Finding{},
	}
	an := e.Analysis()
	res.Analysis = &an
	err := e.inspect(ctx, src, key, res)
	switch {
	case err == nil:
		return res, nil
	case errors.Is(err, models.ErrBadInput):
		res.Status = models.StatusUnprocessable
		res.Error = err.Error()
		res.Audio, res.Metrics, res.Envelope, res.Transcript = nil, nil, nil, nil
		res.Findings, res.NotEvaluated = []models.Finding{}, nil
		res.Score, res.Passed, res.Review, res.Truncated = 0, false, false, false
		e.logger.InfoContext(ctx, "call unprocessable", "call_id", res.CallID, "key", key, "reason", res.Error)
		return res, nil
	default:
		return nil, fmt.Errorf("inspect %s: %w", key, err)
	}
}

func (e *Engine) inspect(ctx context.Context, src RecordingSource, key string, res *models.Result) error {
	meta, warnings, err := readMeta(ctx, src, key)
	if err != nil {
		return err
	}
	if meta.CallID != "" {
		res.CallID = meta.CallID
	}
	res.Meta = meta
	res.Meta.CallID = res.CallID
	// A survey value that is not one (a typo, an IVR code we do not know)
	// is dropped, kept as a warning and logged; the call is inspected as
	// usual, so that it cannot hide the agent's QA.
	res.Warnings = warnings
	for _, w := range warnings {
		e.logger.WarnContext(ctx, "meta sidecar value ignored", "call_id", res.CallID, "key", key, "warning", w)
	}

	chans := meta.ChannelsOrDefault()
	a, sink, err := e.analyseRecording(ctx, src, key, chans)
	if err != nil {
		return err
	}
	if sink != nil {
		defer sink.Remove()
	}
	rep, format := a.Report, a.Format
	if a.Truncated != nil {
		res.Truncated = true
		res.Error = a.Truncated.Error()
	}
	res.Audio = &models.AudioInfo{
		Format:        format.Codec,
		SampleRate:    format.SampleRate,
		Channels:      format.Channels,
		BitsPerSample: format.BitsPerSample,
		DurationS:     round2(rep.DurationS),
	}

	// The audio is measured before the transcript is asked for: a speech
	// recogniser splits long channels at the pauses found and drops the
	// text it invents where no speech was found.
	metrics, env := e.metrics(rep, chans)
	call := transcriptCall(chans, format.Channels, metrics)
	if sink != nil {
		if call.Audio, err = sink.Close(); err != nil {
			return fmt.Errorf("transcript: %w", err)
		}
	}
	tr, err := e.transcriber.Transcribe(ctx, src, key, call)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, models.ErrBadInput) {
			return bad("transcript: %w", err)
		}
		return fmt.Errorf("transcript: %w", err)
	}
	res.Transcript = tr
	addSpeechRates(metrics, tr)
	res.Metrics, res.Envelope = metrics, env
	res.TranscriptCoverage = rules.TranscriptCoverage(tr, metrics)

	// The rules read the words as said; everything kept is masked below.
	hits, notEval := e.checker.Check(rules.Call{DurationS: rep.DurationS, Transcript: tr, Metrics: metrics})
	res.NotEvaluated = notEval
	res.Findings, res.Score, res.Passed, res.Review = score.Score(e.sc, hits)
	if res.Findings == nil {
		res.Findings = []models.Finding{}
	}
	pii.MaskResult(res)
	return nil
}

// readMeta reads the optional metadata sidecar (models.ReadMeta):
// malformed JSON is bad input; an answered flag or survey answer that is
// not one is ignored and returned as a warning naming the sidecar.
func readMeta(ctx context.Context, src RecordingSource, key string) (models.CallMeta, []string, error) {
	rc, err := src.OpenSidecar(ctx, key, models.SuffixMeta)
	if errors.Is(err, fs.ErrNotExist) {
		return models.CallMeta{}, nil, nil
	}
	if err != nil {
		return models.CallMeta{}, nil, fmt.Errorf("open meta sidecar: %w", err)
	}
	defer rc.Close()
	return models.ReadMeta(rc, key)
}

// sizer is implemented by readers that know their total size (S3 objects).
type sizer interface{ Size() int64 }

// statter is implemented by *os.File.
type statter interface{ Stat() (fs.FileInfo, error) }

// StreamSize returns the total size of a recording stream when it knows it
// (an S3 object's Size, a regular file's Stat), or -1.
func StreamSize(r io.Reader) int64 {
	switch s := r.(type) {
	case sizer:
		return s.Size()
	case statter:
		if fi, err := s.Stat(); err == nil && fi.Mode().IsRegular() {
			return fi.Size()
		}
	}
	return -1
}

// sourceReader remembers the first error the storage reader returned other
// than io.EOF. The decoder treats a stream that ends early as a truncated
// recording; this tells a recording that really ends there (io.EOF from a
// file) from a connection cut mid-body (io.ErrUnexpectedEOF from an object
// stream), which is a transient fault to retry, not a truncated call.
type sourceReader struct {
	r   io.Reader
	err error
}

func (s *sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF && s.err == nil {
		s.err = err
	}
	return n, err
}

// seekingSourceReader is a sourceReader over a seekable stream (a local
// file), so that the decoder can seek past large unknown chunks instead of
// reading them.
type seekingSourceReader struct {
	sourceReader
	seeker io.Seeker
}

func (s *seekingSourceReader) Seek(offset int64, whence int) (int64, error) {
	return s.seeker.Seek(offset, whence)
}

// Analysis is what AnalyseStream measured of a recording.
type Analysis struct {
	Report *analyse.Report
	Format decode.Format
	// Frames is the number of whole sample frames decoded.
	Frames int64
	// Truncated is set when the data chunk ended before its declared size.
	Truncated *decode.TruncatedError
}

// AnalyseStream decodes a WAV stream block by block into the analyser,
// holding only one block of samples at a time. size is the stream's total
// size or -1. prepare, when not nil, vets the format before any audio is
// decoded (a channel map that does not fit, say) and may return a tap that
// receives every decoded block too (a transcriber's audio sink: the
// recording is decoded once). Decoding errors are returned as they are:
// errors.Is(err, models.ErrBadInput) tells invalid or unsupported
// recordings from faults of the reader. It stops with ctx's error between
// blocks once ctx is done.
func AnalyseStream(ctx context.Context, r io.Reader, size int64, cfg analyse.Config, prepare func(decode.Format) (tap func([]float32) error, err error)) (*Analysis, error) {
	dec, err := decode.NewDecoder(r, size)
	if err != nil {
		return nil, err
	}
	format := dec.Format()
	var tap func([]float32) error
	if prepare != nil {
		if tap, err = prepare(format); err != nil {
			return nil, err
		}
	}
	an, err := analyse.New(cfg, format.SampleRate, format.Channels)
	if err != nil {
		// The decoder accepted a rate or channel count the analyser cannot
		// take (a sample rate above 1 MHz, say): valid, but not for us.
		return nil, &decode.UnsupportedError{Feature: strings.TrimPrefix(err.Error(), "analyse: new: ")}
	}
	err = dec.Each(ctx, blockFrames, func(block []float32) error {
		an.Write(block)
		if tap != nil {
			return tap(block)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Analysis{Report: an.Finish(), Format: format, Frames: dec.FramesRead(), Truncated: dec.Truncated()}, nil
}

// analyseRecording opens the recording and analyses it, classifying what
// goes wrong: bad input (the recording's fault) or a transient fault. When
// the transcriber transcribes audio and wants this call's, the decoded
// samples go to its sink too (returned, to be closed and removed by the
// caller; nil otherwise).
func (e *Engine) analyseRecording(ctx context.Context, src RecordingSource, key string, chans models.ChannelMap) (*Analysis, transcript.AudioSink, error) {
	var sink transcript.AudioSink
	a, err := analyseKey(ctx, src, key, e.analysis, func(f decode.Format) (func([]float32) error, error) {
		if err := checkChannels(chans, f.Channels); err != nil {
			return nil, err
		}
		at, ok := e.transcriber.(transcript.AudioTranscriber)
		if !ok {
			return nil, nil
		}
		s, err := at.AudioSink(ctx, src, key, f)
		if err != nil || s == nil {
			return nil, err
		}
		sink = s
		return s.Write, nil
	})
	if err != nil {
		if sink != nil {
			sink.Remove()
		}
		return nil, nil, err
	}
	return a, sink, nil
}

// analyseKey opens the recording at key in src and analyses it with cfg
// (AnalyseStream, prepare as there), sorting what goes wrong: bad input
// (the recording missing, unreadable as audio, empty; prepare's own bad
// input) or a transient fault (the storage, the context).
func analyseKey(ctx context.Context, src RecordingSource, key string, cfg analyse.Config, prepare func(decode.Format) (func([]float32) error, error)) (*Analysis, error) {
	rc, err := src.Open(ctx, key)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, bad("recording %s not found", key)
	}
	if err != nil {
		return nil, fmt.Errorf("open recording: %w", err)
	}
	defer rc.Close()
	sr := &sourceReader{r: rc}
	var r io.Reader = sr
	if sk, ok := rc.(io.Seeker); ok {
		ssr := &seekingSourceReader{sourceReader: sourceReader{r: rc}, seeker: sk}
		r, sr = ssr, &ssr.sourceReader
	}
	a, err := AnalyseStream(ctx, r, StreamSize(rc), cfg, prepare)
	var fe *decode.FormatError
	var ue *decode.UnsupportedError
	switch {
	case sr.err != nil:
		// Whatever the decoder made of it, the stream itself failed.
		return nil, fmt.Errorf("read recording: %w", sr.err)
	case err == nil:
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case errors.As(err, &fe), errors.As(err, &ue):
		// The recording itself: its key goes in front of the reason.
		return nil, bad("recording %s: %w", key, err)
	case errors.Is(err, models.ErrBadInput):
		return nil, err // the metadata's channel map, already said
	default:
		return nil, fmt.Errorf("read recording: %w", err)
	}
	if a.Frames == 0 {
		return nil, bad("recording %s: no audio in the data chunk", key)
	}
	return a, nil
}

// checkChannels checks the metadata's channel map against a recording of
// n channels (mono recordings have no map to check).
func checkChannels(chans models.ChannelMap, n int) error {
	if n < 2 {
		return nil
	}
	for _, c := range []struct {
		name string
		idx  int
	}{{"agent", chans.Agent}, {"customer", chans.Customer}} {
		if c.idx < 0 || c.idx >= n {
			return bad("meta sidecar: %s channel %d, but the recording has %d channels", c.name, c.idx, n)
		}
	}
	if chans.Agent == chans.Customer {
		return bad("meta sidecar: agent and customer both on channel %d", chans.Agent)
	}
	return nil
}

// transcriptCall is what a transcriber is told of the call: its channel
// map (stereo only) and each speaker's detected speech.
func transcriptCall(chans models.ChannelMap, channels int, m *models.Metrics) transcript.Call {
	var c transcript.Call
	if channels >= 2 {
		c.Channels = chans
	}
	c.Speech = map[string][]models.Span{}
	for speaker, sm := range map[string]*models.SpeakerMetrics{
		models.SpeakerAgent: m.Agent, models.SpeakerCustomer: m.Customer, models.SpeakerMixed: m.Mixed,
	} {
		if sm != nil {
			c.Speech[speaker] = sm.Segments
		}
	}
	return c
}

// metrics maps the analysed channels to speakers (analyse derives silences,
// overtalk and interruptions).
func (e *Engine) metrics(rep *analyse.Report, chans models.ChannelMap) (*models.Metrics, *models.Envelope) {
	m := rep.Metrics(e.analysis, chans)
	m.Silences, m.Overtalks = nonNil(m.Silences), nonNil(m.Overtalks)
	for _, sm := range []*models.SpeakerMetrics{m.Agent, m.Customer, m.Mixed} {
		if sm == nil {
			continue
		}
		// Levels to 0.1 dB: finer steps mean nothing to a reviewer and make
		// golden files brittle.
		sm.RMSDBFS, sm.PeakDBFS, sm.SpeechRMSDBFS = round1(sm.RMSDBFS), round1(sm.PeakDBFS), round1(sm.SpeechRMSDBFS)
		sm.ClippingRatio = math.Round(sm.ClippingRatio*1e6) / 1e6
		sm.SpeechClippingRatio = math.Round(sm.SpeechClippingRatio*1e6) / 1e6
		sm.Segments = nonNil(sm.Segments)
	}
	return m, rep.Envelope(e.analysis, chans)
}

// addSpeechRates adds the transcript's speech rates to a stereo call's
// metrics.
func addSpeechRates(m *models.Metrics, tr *models.Transcript) {
	if tr != nil && m.Agent != nil {
		for speaker, sm := range map[string]*models.SpeakerMetrics{models.SpeakerAgent: m.Agent, models.SpeakerCustomer: m.Customer} {
			if cpm, ok := rules.SpeechRateCPM(tr, speaker, m.Events); ok {
				v := math.Round(cpm)
				sm.SpeechRateCPM = &v
			}
		}
	}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }
func round1(v float64) float64 { return math.Round(v*10) / 10 }

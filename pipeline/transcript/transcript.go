// Package transcript reads call transcripts: our own sidecar schema
// (<name>.transcript.json, models.Transcript) and OpenAI verbose_json files,
// one per channel (<name>.agent.verbose.json, <name>.customer.verbose.json).
//
// Every parser validates what it reads: speakers are agent or customer,
// times are finite with 0 <= start <= end, and a file may not exceed
// MaxBytes. Errors name the file and, where there is one, the utterance or
// segment index (utterances[3], segments[3]). Parsed utterances are sorted by
// start time.
//
// A Transcriber produces the transcript of a recording. Sidecar reads the
// sidecar files next to the recording; package asr asks a speech-recognition
// service. The engine tells a transcriber what it measured of the call
// (Call: the channel map and each speaker's detected speech), which a
// recogniser needs to split long channels at pauses and to tell invented
// text from speech. A call without any transcript is not an error:
// Transcribe returns (nil, nil) and the keyword rules are reported as not
// evaluated.
package transcript

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"sort"
	"strings"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/pipeline/decode"
)

// MaxBytes is the largest transcript file accepted (16 MiB). A ten-hour
// call transcribed with word timestamps stays well below it.
const MaxBytes = 16 << 20

// Source opens a recording's sidecar files. It has the method set of
// pipeline.RecordingSource, so any recording source satisfies it. A missing
// sidecar must be reported with an error matching fs.ErrNotExist.
type Source interface {
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	OpenSidecar(ctx context.Context, key, suffix string) (io.ReadCloser, error)
}

// Transcriber produces the transcript of the recording at key. It returns
// (nil, nil) when no transcript can be had for the call. call is what the
// engine measured of the recording; its zero value means nothing is known.
type Transcriber interface {
	Transcribe(ctx context.Context, src Source, key string, call Call) (*models.Transcript, error)
}

// AudioTranscriber is a Transcriber that transcribes the recording's audio
// itself (package asr). So that a recording is downloaded and decoded once
// per inspection, the engine asks it for a sink before its one decoding
// pass, writes every decoded block to the sink, and passes the sink's
// finished audio in Call.Audio; the engine removes the sink's files once
// Transcribe returns.
type AudioTranscriber interface {
	Transcriber
	// AudioSink returns the sink for the recording at key, decoded as
	// format, or nil when the call needs no audio (a transcript sidecar
	// exists, a mono recording).
	AudioSink(ctx context.Context, src Source, key string, format decode.Format) (AudioSink, error)
}

// AudioSink takes a recording's decoded samples.
type AudioSink interface {
	// Write takes the next block of interleaved samples, at the
	// recording's rate and channel count.
	Write(block []float32) error
	// Close finishes the audio after the last block.
	Close() (*Audio, error)
	// Remove deletes what the sink stored; it may be called at any time.
	Remove()
}

// Audio is a recording's audio, one file per channel: mono 16-bit PCM WAV
// files at Rate, with their sample counts, and the recording's format.
type Audio struct {
	Files   []string
	Samples []int64
	Rate    int
	Format  decode.Format
}

// Call is what the engine knows of a recording when it asks for its
// transcript, from the metadata and the audio analysis. Zero fields mean
// unknown.
type Call struct {
	// Channels maps the speakers to the recording's channels (the meta
	// sidecar's map, or the default), checked against the recording. The
	// zero map (both on channel 0) means unknown.
	Channels models.ChannelMap
	// Speech is the speech detected on each speaker's channel
	// (models.SpeakerAgent and SpeakerCustomer; SpeakerMixed for a mono
	// recording), as sorted [start, end] spans in seconds: the Segments
	// of the call's metrics. A speaker without an entry is unknown; an
	// empty entry means the channel holds no speech at all.
	Speech map[string][]models.Span
	// Audio is the recording's audio written by the engine's decoding
	// pass to the transcriber's AudioSink, or nil.
	Audio *Audio
}

// Known reports whether the channel map is set.
func (c Call) Known() bool { return c.Channels != (models.ChannelMap{}) }

// Sidecar is the Transcriber that reads transcripts stored next to the
// recording: <name>.transcript.json if it exists, otherwise the two
// per-channel verbose_json files (either may be missing), marked Sidecar.
// Its zero value is ready to use. Stored transcripts are taken as they are:
// it does not use the Call.
type Sidecar struct{}

var _ Transcriber = Sidecar{}

// Transcribe implements Transcriber.
func (Sidecar) Transcribe(ctx context.Context, src Source, key string, _ Call) (*models.Transcript, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("transcript %s: %w", key, err)
	}
	data, found, err := readSidecar(ctx, src, key, models.SuffixTranscript)
	if err != nil {
		return nil, err
	}
	if found {
		t, err := Parse(models.SidecarKey(key, models.SuffixTranscript), bytes.NewReader(data))
		if t != nil {
			t.Sidecar = true
		}
		return t, err
	}

	var t *models.Transcript
	for _, ch := range []struct{ suffix, speaker string }{
		{models.SuffixAgentVerbose, models.SpeakerAgent},
		{models.SuffixCustomerVerbose, models.SpeakerCustomer},
	} {
		data, found, err := readSidecar(ctx, src, key, ch.suffix)
		if err != nil {
			return nil, err
		}
		if !found {
			continue
		}
		us, err := ParseVerbose(models.SidecarKey(key, ch.suffix), bytes.NewReader(data), ch.speaker)
		if err != nil {
			return nil, err
		}
		if t == nil {
			t = &models.Transcript{Utterances: []models.Utterance{}}
		}
		t.Utterances = append(t.Utterances, us...)
	}
	if t != nil {
		sortUtterances(t.Utterances)
		t.Sidecar = true
	}
	return t, nil
}

// readSidecar reads one sidecar whole (bounded by MaxBytes); found is false
// when it does not exist.
func readSidecar(ctx context.Context, src Source, key, suffix string) (data []byte, found bool, err error) {
	rc, err := src.OpenSidecar(ctx, key, suffix)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("transcript: open %s sidecar of %s: %w", suffix, key, err)
	}
	defer rc.Close()
	data, err = readLimited(rc)
	if err != nil {
		return nil, false, fmt.Errorf("transcript: read %s sidecar of %s: %w", suffix, key, err)
	}
	return data, true, nil
}

// InvalidError is a transcript file that cannot be used as it is: bad JSON,
// a bad speaker, impossible times, too large. It is the caller's bad input,
// never worth retrying, unlike an error reading the file.
type InvalidError struct{ Err error }

func (e *InvalidError) Error() string { return e.Err.Error() }
func (e *InvalidError) Unwrap() error { return e.Err }

// Is makes an invalid transcript bad input: errors.Is(err,
// models.ErrBadInput) (as opposed to a fault reading it).
func (e *InvalidError) Is(target error) bool { return target == models.ErrBadInput }

// invalid marks a parse error as InvalidError; errors reading the input,
// other than it being too large, stay as they are.
func invalid(err error) error {
	if err == nil {
		return nil
	}
	var re *readError
	if errors.As(err, &re) && !errors.Is(err, ErrTooLarge) {
		return err
	}
	return &InvalidError{err}
}

// readError is a fault of the reader a transcript is parsed from.
type readError struct{ err error }

func (e *readError) Error() string { return e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

// ErrTooLarge is returned (wrapped) for a transcript file over MaxBytes;
// it is bad input (models.ErrBadInput).
var ErrTooLarge = models.BadInput(errors.New("transcript larger than 16 MiB"))

func readLimited(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	if err != nil {
		return nil, &readError{err}
	}
	if len(data) > MaxBytes {
		return nil, ErrTooLarge
	}
	return data, nil
}

// rawTranscript accepts both schemas; pointers tell which keys were present.
type rawTranscript struct {
	Utterances *[]rawUtterance `json:"utterances"`
	Segments   *[]rawSegment   `json:"segments"`
	Dropped    []rawDropped    `json:"dropped"`
}

type rawDropped struct {
	Speaker string   `json:"speaker"`
	Start   *float64 `json:"start"`
	End     *float64 `json:"end"`
	Text    string   `json:"text"`
	Reason  string   `json:"reason"`
}

type rawUtterance struct {
	Speaker string   `json:"speaker"`
	Start   *float64 `json:"start"`
	End     *float64 `json:"end"`
	Text    string   `json:"text"`
}

type rawSegment struct {
	Start *float64 `json:"start"`
	End   *float64 `json:"end"`
	Text  string   `json:"text"`
}

type rawVerbose struct {
	Segments *[]rawSegment `json:"segments"`
}

// Parse reads a transcript file named name (used in errors), detecting its
// schema: our sidecar schema has "utterances", OpenAI verbose_json has
// "segments". A verbose_json file carries one channel, whose speaker is taken
// from the name's suffix (models.SuffixAgentVerbose or models.SuffixCustomerVerbose).
func Parse(name string, r io.Reader) (*models.Transcript, error) {
	t, err := parse(name, r)
	return t, invalid(err)
}

func parse(name string, r io.Reader) (*models.Transcript, error) {
	data, err := readLimited(r)
	if err != nil {
		return nil, fmt.Errorf("transcript %s: %w", name, err)
	}
	var raw rawTranscript
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("transcript %s: %w", name, err)
	}
	switch {
	case raw.Utterances != nil && raw.Segments != nil:
		return nil, fmt.Errorf("transcript %s: has both utterances and segments", name)
	case raw.Utterances != nil:
		us, err := checkUtterances(name, *raw.Utterances)
		if err != nil {
			return nil, err
		}
		dropped, err := checkDropped(name, raw.Dropped)
		if err != nil {
			return nil, err
		}
		return &models.Transcript{Utterances: us, Dropped: dropped}, nil
	case raw.Segments != nil:
		var speaker string
		switch {
		case strings.HasSuffix(name, models.SuffixAgentVerbose):
			speaker = models.SpeakerAgent
		case strings.HasSuffix(name, models.SuffixCustomerVerbose):
			speaker = models.SpeakerCustomer
		default:
			return nil, fmt.Errorf("transcript %s: verbose_json segments, but the name ends in neither %s nor %s, so the speaker is unknown",
				name, models.SuffixAgentVerbose, models.SuffixCustomerVerbose)
		}
		us, err := checkSegments(name, *raw.Segments, speaker)
		if err != nil {
			return nil, err
		}
		return &models.Transcript{Utterances: us}, nil
	default:
		return nil, fmt.Errorf("transcript %s: neither utterances nor segments found", name)
	}
}

// ParseVerbose reads an OpenAI verbose_json transcription of one channel;
// every segment is attributed to speaker (agent or customer). Segment text is
// trimmed of surrounding spaces and segments left empty are dropped.
func ParseVerbose(name string, r io.Reader, speaker string) ([]models.Utterance, error) {
	us, err := parseVerbose(name, r, speaker)
	return us, invalid(err)
}

func parseVerbose(name string, r io.Reader, speaker string) ([]models.Utterance, error) {
	if speaker != models.SpeakerAgent && speaker != models.SpeakerCustomer {
		return nil, fmt.Errorf("transcript %s: speaker %q must be %s or %s", name, speaker, models.SpeakerAgent, models.SpeakerCustomer)
	}
	data, err := readLimited(r)
	if err != nil {
		return nil, fmt.Errorf("transcript %s: %w", name, err)
	}
	var raw rawVerbose
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("transcript %s: %w", name, err)
	}
	if raw.Segments == nil {
		return nil, fmt.Errorf("transcript %s: not verbose_json: no segments", name)
	}
	return checkSegments(name, *raw.Segments, speaker)
}

func checkUtterances(name string, raw []rawUtterance) ([]models.Utterance, error) {
	us := make([]models.Utterance, 0, len(raw))
	for i, u := range raw {
		if u.Speaker != models.SpeakerAgent && u.Speaker != models.SpeakerCustomer {
			return nil, fmt.Errorf("transcript %s: utterances[%d]: speaker %q must be %s or %s",
				name, i, u.Speaker, models.SpeakerAgent, models.SpeakerCustomer)
		}
		start, end, err := checkTimes(u.Start, u.End)
		if err != nil {
			return nil, fmt.Errorf("transcript %s: utterances[%d]: %w", name, i, err)
		}
		us = append(us, models.Utterance{Speaker: u.Speaker, Start: start, End: end, Text: u.Text})
	}
	sortUtterances(us)
	return us, nil
}

// checkDropped validates the dropped segments of our sidecar schema; an
// empty list is nil, as it is written (omitted).
func checkDropped(name string, raw []rawDropped) ([]models.DroppedSegment, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	ds := make([]models.DroppedSegment, 0, len(raw))
	for i, d := range raw {
		if d.Speaker != models.SpeakerAgent && d.Speaker != models.SpeakerCustomer {
			return nil, fmt.Errorf("transcript %s: dropped[%d]: speaker %q must be %s or %s",
				name, i, d.Speaker, models.SpeakerAgent, models.SpeakerCustomer)
		}
		start, end, err := checkTimes(d.Start, d.End)
		if err != nil {
			return nil, fmt.Errorf("transcript %s: dropped[%d]: %w", name, i, err)
		}
		ds = append(ds, models.DroppedSegment{Speaker: d.Speaker, Start: start, End: end, Text: d.Text, Reason: d.Reason})
	}
	return ds, nil
}

func checkSegments(name string, raw []rawSegment, speaker string) ([]models.Utterance, error) {
	us := make([]models.Utterance, 0, len(raw))
	for i, s := range raw {
		start, end, err := checkTimes(s.Start, s.End)
		if err != nil {
			return nil, fmt.Errorf("transcript %s: segments[%d]: %w", name, i, err)
		}
		text := strings.TrimSpace(s.Text)
		if text == "" {
			continue
		}
		us = append(us, models.Utterance{Speaker: speaker, Start: start, End: end, Text: text})
	}
	sortUtterances(us)
	return us, nil
}

func checkTimes(start, end *float64) (float64, float64, error) {
	switch {
	case start == nil:
		return 0, 0, errors.New("start is missing")
	case end == nil:
		return 0, 0, errors.New("end is missing")
	case math.IsNaN(*start) || math.IsInf(*start, 0):
		return 0, 0, fmt.Errorf("start %v is not a finite number", *start)
	case math.IsNaN(*end) || math.IsInf(*end, 0):
		return 0, 0, fmt.Errorf("end %v is not a finite number", *end)
	case *start < 0:
		return 0, 0, fmt.Errorf("start %v must be >= 0", *start)
	case *end < *start:
		return 0, 0, fmt.Errorf("end %v must be >= start %v", *end, *start)
	}
	return *start, *end, nil
}

// sortUtterances orders utterances by start time, then end time; ties keep
// their order (agent before customer when merged from verbose files).
func sortUtterances(us []models.Utterance) { SortUtterances(us) }

// SortUtterances puts utterances in the one order transcripts have: by
// start, then end, the agent first when both are equal. The ASR adapter
// writes its sidecars in it, so that a transcript read back from one is
// the transcript it returned (a stored result checks that by digest).
func SortUtterances(us []models.Utterance) {
	sort.SliceStable(us, func(i, j int) bool {
		a, b := us[i], us[j]
		switch {
		case a.Start != b.Start:
			return a.Start < b.Start
		case a.End != b.End:
			return a.End < b.End
		}
		return a.Speaker == models.SpeakerAgent && b.Speaker != models.SpeakerAgent
	})
}

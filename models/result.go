package models

import (
	"fmt"
	"math"
)

// Inspection statuses of a Result.
const (
	StatusInspected     = "inspected"
	StatusUnprocessable = "unprocessable"
)

// Result is the outcome of inspecting one call with one scorecard version.
// Its identity is (CallID, Scorecard.ID, Scorecard.Version): inspecting the
// same call again with the same scorecard version replaces it.
type Result struct {
	CallID    string       `json:"call_id"`
	Recording string       `json:"recording"` // path or object key
	Status    string       `json:"status"`    // StatusInspected or StatusUnprocessable
	Error     string       `json:"error"`     // why the call is unprocessable
	Truncated bool         `json:"truncated"` // the data chunk ended early; analysed up to the last whole frame
	Scorecard ScorecardRef `json:"scorecard"`
	// Analysis names the audio analysis that measured the call: a rerun
	// inspects again a call stored with another one, and reports note a
	// range whose calls were measured by different analyses.
	Analysis *AnalysisRef `json:"analysis,omitempty"`
	Meta     CallMeta     `json:"meta"`
	Audio    *AudioInfo   `json:"audio,omitempty"`
	Metrics  *Metrics     `json:"metrics,omitempty"`
	Findings []Finding    `json:"findings"`
	// NotEvaluated lists the rules that could not be checked (keyword rules
	// without a transcript, overtalk on a mono recording), with the reason.
	NotEvaluated []NotEvaluated `json:"not_evaluated,omitempty"`
	Score        float64        `json:"score"`
	Passed       bool           `json:"passed"`
	// Review is true when a finding asks for human review (complaint risk).
	Review bool `json:"review,omitempty"`
	// Transcript is the transcript the rules were checked against, kept so
	// that reviewers see the words next to the findings.
	Transcript *Transcript `json:"transcript,omitempty"`
	// Envelope is the per-100 ms level envelope of each speaker's channel.
	Envelope *Envelope `json:"envelope,omitempty"`
	// TranscriptCoverage is, per speaker with detected speech (agent and
	// customer, or mixed for a mono recording), the fraction of that
	// speech (Metrics segments) that the transcript's utterances cover,
	// from 0 to 1. Absent without a transcript or metrics; a speaker with
	// no detected speech is not listed.
	TranscriptCoverage map[string]float64 `json:"transcript_coverage,omitempty"`
	// Warnings are problems with the call's inputs that did not stop its
	// inspection: a survey answer or answered flag in the metadata that
	// is not one of theirs and was ignored.
	Warnings []string `json:"warnings,omitempty"`
	// Omitted is set on a result read from a results store that left out
	// what can be read again beside the recording; pipeline.Restore puts
	// it back. Nil for a result as inspected. Not part of the JSON.
	Omitted *Omitted `json:"-"`
}

// Omitted says what a results store left out of a stored result.
type Omitted struct {
	// Envelope: the level envelope, recomputed from the recording.
	Envelope bool
	// TranscriptSHA256 is the hex SHA-256 of the JSON of the transcript
	// the rules read (masked), left out because it is kept beside the
	// recording; "" when the transcript was stored or there was none.
	TranscriptSHA256 string
}

// ScorecardRef names the scorecard version a result was scored with.
type ScorecardRef struct {
	ID      string `json:"id"`
	Version int    `json:"version"`
}

// AnalysisRef names an audio analysis: its voice-activity detector
// ("silero-v5", "energy") and the version of the whole analysis (speech
// segmenting, events, echo), which changes whenever results may differ.
type AnalysisRef struct {
	VAD     string `json:"vad"`
	Version int    `json:"version"`
}

// String is "silero-v5 v2".
func (a AnalysisRef) String() string { return fmt.Sprintf("%s v%d", a.VAD, a.Version) }

// AudioInfo describes the decoded recording.
type AudioInfo struct {
	Format        string  `json:"format"` // e.g. pcm_s16le, pcm_mulaw, pcm_alaw, pcm_f32le
	SampleRate    int     `json:"sample_rate"`
	Channels      int     `json:"channels"`
	BitsPerSample int     `json:"bits_per_sample,omitempty"`
	DurationS     float64 `json:"duration_s"`
}

// Span is a [start, end] interval in seconds, encoded as a two-element array.
type Span [2]float64

// Overtalk is an interval where both speakers talk at once; By is the
// speaker who started talking while the other was already speaking.
type Overtalk struct {
	Start float64 `json:"start"`
	End   float64 `json:"end"`
	By    string  `json:"by"`
}

// SpeakerMetrics are the audio measurements of one speaker's channel.
type SpeakerMetrics struct {
	TalkS         float64 `json:"talk_s"`
	Segments      []Span  `json:"segments"`
	RMSDBFS       float64 `json:"rms_dbfs"`
	PeakDBFS      float64 `json:"peak_dbfs"`
	ClippingRatio float64 `json:"clipping_ratio"`
	// SpeechRMSDBFS is the RMS level of the speaker's speech alone (the
	// frames voice activity marks), so that a quiet voice is not confused
	// with a speaker who talks little; the level rule judges it.
	SpeechRMSDBFS float64 `json:"speech_rms_dbfs"`
	// SpeechClippingRatio is the fraction of the speech samples that clip.
	SpeechClippingRatio float64  `json:"speech_clipping_ratio"`
	SpeechRateCPM       *float64 `json:"speech_rate_cpm,omitempty"` // from the transcript, when there is one
}

// Metrics are the audio measurements of a call. Stereo recordings fill Agent
// and Customer; mono recordings fill Mixed only, and have no overtalk.
type Metrics struct {
	Agent         *SpeakerMetrics `json:"agent,omitempty"`
	Customer      *SpeakerMetrics `json:"customer,omitempty"`
	Mixed         *SpeakerMetrics `json:"mixed,omitempty"`
	SilenceS      float64         `json:"silence_s"`
	Silences      []Span          `json:"silences"`
	OvertalkS     float64         `json:"overtalk_s"`
	Overtalks     []Overtalk      `json:"overtalks"`
	Interruptions map[string]int  `json:"interruptions"`
	// Events are the sounds that are not speech but have energy: key
	// presses, hold music, call-progress tones. They are not talk time,
	// overtalk or speech, and a hold is not a silence.
	Events []Event `json:"events,omitempty"`
	// HoldS is the total time of the holds (hold music), in seconds.
	HoldS float64 `json:"hold_s,omitempty"`
}

// Event types.
const (
	// EventDTMF is a run of key presses (DTMF tones). The digits are not
	// kept: they may be a PIN or an ID number.
	EventDTMF = "dtmf"
	// EventHoldMusic is hold or ring-back music: the caller is on hold.
	EventHoldMusic = "hold_music"
	// EventTone is a call-progress tone (ring-back, busy, a test tone).
	EventTone = "tone"
)

// Event is a stretch of a channel holding a sound that is not speech.
type Event struct {
	Type  string  `json:"type"`
	Start float64 `json:"start"`
	End   float64 `json:"end"`
	// Speaker is the channel it was heard on (agent, customer, mixed).
	Speaker string `json:"speaker,omitempty"`
	// Presses counts the key presses of a DTMF event.
	Presses int `json:"presses,omitempty"`
}

// Envelope is a level envelope: one value per Step seconds, in dBFS rounded
// to whole decibels (floored at -100), per speaker channel.
type Envelope struct {
	Step     float64 `json:"step"`
	Agent    []int8  `json:"agent,omitempty"`
	Customer []int8  `json:"customer,omitempty"`
	Mixed    []int8  `json:"mixed,omitempty"`
}

// StartMS is a finding's start in whole milliseconds (half away from
// zero): the key a review of the finding is stored under.
func StartMS(start float64) int64 { return int64(math.Round(start * 1000)) }

// Finding is one rule hit, pointing at a moment of the call with the
// evidence a reviewer needs to check it.
type Finding struct {
	Rule     string  `json:"rule"`
	Name     string  `json:"name"`
	Start    float64 `json:"start"`
	End      float64 `json:"end"`
	Speaker  string  `json:"speaker"`
	Evidence string  `json:"evidence"`
	Deduct   float64 `json:"deduct"` // the points this hit actually cost, after max_deduct
	Veto     bool    `json:"veto"`
	Review   bool    `json:"review,omitempty"`
	// Indicator is the evaluation indicator the rule feeds (its
	// scorecard's indicator:, e.g. IndicatorComplaint), "" for none.
	Indicator string `json:"indicator,omitempty"`

	// Structured evidence. Evidence above stays the readable summary that
	// reports print; these fields say the same for programs (the
	// workbench highlights and explains from them).

	// Utterance is the index, in Result.Transcript.Utterances, of the
	// utterance a keyword or regex hit was found in.
	Utterance *int `json:"utterance,omitempty"`
	// Matches are the matched spans of that utterance, in text order.
	Matches []Match `json:"matches,omitempty"`
	// Missing lists the phrases a rule expected and did not find.
	Missing []string `json:"missing,omitempty"`
	// Value is what an audio or timing rule measured, in Unit, and Limit
	// the threshold of the rule it crossed (same unit).
	Value *float64 `json:"value,omitempty"`
	Unit  string   `json:"unit,omitempty"`
	Limit *float64 `json:"limit,omitempty"`
}

// How a Match was found.
const (
	// MatchExact: the text equals the phrase after normalisation (width,
	// case, punctuation and spaces), digits written the same way.
	MatchExact = "exact"
	// MatchDigits: equal once digits are normalised (一二三三三 for 12333,
	// full-width digits).
	MatchDigits = "digits"
	// MatchPinyin: a homophone of the phrase (fuzzy: pinyin).
	MatchPinyin = "pinyin"
	// MatchAccent: a homophone only under the southern-accent folding
	// (scorecard accent: true).
	MatchAccent = "accent"
	// MatchPattern: a regex rule's pattern matched.
	MatchPattern = "pattern"
)

// Units of Finding.Value and Finding.Limit.
const (
	UnitSeconds = "s"
	UnitCPM     = "cpm"   // Han characters per minute
	UnitDBFS    = "dBFS"  // speech RMS level
	UnitRatio   = "ratio" // clipped samples / speech samples
)

// Match is one matched span of an utterance. Offsets count characters
// (Unicode code points, not bytes), end exclusive: Start/End in the
// utterance text as stored and shown (Result.Transcript), NormStart/NormEnd
// in its normalised form (rules.Normalize of that text), where the rules
// matched.
type Match struct {
	// Phrase is the scorecard phrase that matched, or the regex rule's
	// pattern.
	Phrase    string `json:"phrase"`
	How       string `json:"how"` // MatchExact, MatchDigits, MatchPinyin, MatchAccent or MatchPattern
	Start     int    `json:"start"`
	End       int    `json:"end"`
	NormStart int    `json:"norm_start"`
	NormEnd   int    `json:"norm_end"`
}

// NotEvaluated records a rule that could not be checked on a call.
type NotEvaluated struct {
	Rule   string `json:"rule"`
	Reason string `json:"reason"`
}

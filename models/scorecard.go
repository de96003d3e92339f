package models

// Rule types a scorecard may use.
const (
	RuleKeyword    = "keyword"
	RuleRegex      = "regex"
	RuleSilence    = "silence"
	RuleOvertalk   = "overtalk"
	RuleSpeechRate = "speech_rate"
	RuleDuration   = "duration"
	RuleLevel      = "level"
	RuleHold       = "hold"
)

// Scorecard is a versioned set of rules and the scoring that turns their hits
// into a score and a pass/fail verdict. It is loaded from YAML.
type Scorecard struct {
	ID        string  `yaml:"id" json:"id"`
	Version   int     `yaml:"version" json:"version"`
	Name      string  `yaml:"name" json:"name"`
	BaseScore float64 `yaml:"base_score" json:"base_score"`
	PassScore float64 `yaml:"pass_score" json:"pass_score"`
	// Accent enables the southern-accent pinyin confusions (zh/z, ch/c,
	// sh/s, n/l, in/ing, en/eng) for every rule with fuzzy: pinyin.
	Accent bool `yaml:"accent,omitempty" json:"accent,omitempty"`
	// NumberMatch says how a keyword phrase that begins or ends with a
	// digit matches: NumberWhole (the default, empty) only as a whole
	// number, never inside a longer one (12345 does not match the phone
	// number 13912345670); NumberSubstring anywhere, as before.
	NumberMatch string `yaml:"number_match,omitempty" json:"number_match,omitempty"`
	Rules       []Rule `yaml:"rules" json:"rules"`
	// Analysis tunes the audio analysis for the calls of this scorecard;
	// nil keeps every default.
	Analysis *AnalysisSettings `yaml:"analysis,omitempty" json:"analysis,omitempty"`
}

// AnalysisSettings is a scorecard's analysis: block: how speech is told
// from the rest. Zero fields keep the defaults (see pipeline/analyse).
type AnalysisSettings struct {
	// VAD is "silero-v5" (the default, the neural detector) or "energy"
	// (the energy gate: fast, right on clean lines only).
	VAD string `yaml:"vad,omitempty" json:"vad,omitempty"`
	// Threshold is the speech probability from which a 32 ms window is
	// speech (default 0.5); NegThreshold the one under which speech
	// pauses (default threshold - 0.15).
	Threshold    float64 `yaml:"threshold,omitempty" json:"threshold,omitempty"`
	NegThreshold float64 `yaml:"neg_threshold,omitempty" json:"neg_threshold,omitempty"`
	// MinSpeechSeconds drops shorter speech (default 0.25);
	// MinSilenceSeconds is the shortest pause that ends speech (default
	// 0.1); SpeechPadSeconds widens speech on both sides (default 0.03).
	MinSpeechSeconds  float64 `yaml:"min_speech_seconds,omitempty" json:"min_speech_seconds,omitempty"`
	MinSilenceSeconds float64 `yaml:"min_silence_seconds,omitempty" json:"min_silence_seconds,omitempty"`
	SpeechPadSeconds  float64 `yaml:"speech_pad_seconds,omitempty" json:"speech_pad_seconds,omitempty"`
	// HoldMinSeconds is the shortest hold music that counts as a hold
	// (default 2).
	HoldMinSeconds float64 `yaml:"hold_min_seconds,omitempty" json:"hold_min_seconds,omitempty"`
	// EchoCheck false counts the other side's voice leaking into a
	// channel as that channel's speech (default true: it is not).
	EchoCheck *bool `yaml:"echo_check,omitempty" json:"echo_check,omitempty"`
}

// Values of Scorecard.NumberMatch.
const (
	NumberWhole     = "whole"
	NumberSubstring = "substring"
)

// Rule is one check of a scorecard. Which fields apply depends on Type.
type Rule struct {
	ID      string `yaml:"id" json:"id"`
	Name    string `yaml:"name" json:"name"`
	Type    string `yaml:"type" json:"type"`
	Speaker string `yaml:"speaker,omitempty" json:"speaker,omitempty"` // agent, customer or empty (both)

	// keyword
	Any    []string `yaml:"any,omitempty" json:"any,omitempty"`
	All    []string `yaml:"all,omitempty" json:"all,omitempty"`
	Fuzzy  string   `yaml:"fuzzy,omitempty" json:"fuzzy,omitempty"`   // "" or "pinyin"
	Expect string   `yaml:"expect,omitempty" json:"expect,omitempty"` // present (default) or absent
	Within *Within  `yaml:"within,omitempty" json:"within,omitempty"`
	// Except lists phrases (or /patterns/) that cancel a hit when they
	// occur in the same clause as the hit, or within ExceptWithinChars
	// characters of it when that is set (0: touching or overlapping it).
	Except            []string `yaml:"except,omitempty" json:"except,omitempty"`
	ExceptWithinChars *int     `yaml:"except_within_chars,omitempty" json:"except_within_chars,omitempty"`
	// NotAfter lists phrases (or /patterns/) that cancel a hit when they
	// come before it in the same clause: negations (不是 没办法) and
	// conditions (如果您 不知道). With NotAfterWithinChars, at most that
	// many characters may lie between the phrase and the hit.
	NotAfter            []string `yaml:"not_after,omitempty" json:"not_after,omitempty"`
	NotAfterWithinChars *int     `yaml:"not_after_within_chars,omitempty" json:"not_after_within_chars,omitempty"`
	// Near makes a hit count only with one of its phrases close by.
	Near *Near `yaml:"near,omitempty" json:"near,omitempty"`

	// regex
	Pattern string `yaml:"pattern,omitempty" json:"pattern,omitempty"`

	// silence, overtalk
	MinSeconds float64 `yaml:"min_seconds,omitempty" json:"min_seconds,omitempty"`

	// speech_rate (Han characters per minute of the speaker's talk)
	MinCPM float64 `yaml:"min_cpm,omitempty" json:"min_cpm,omitempty"`
	MaxCPM float64 `yaml:"max_cpm,omitempty" json:"max_cpm,omitempty"`

	// duration (seconds of recording)
	ShorterThan float64 `yaml:"shorter_than,omitempty" json:"shorter_than,omitempty"`
	LongerThan  float64 `yaml:"longer_than,omitempty" json:"longer_than,omitempty"`

	// hold (the caller on hold: hold music heard, seconds): one finding
	// per hold longer than MaxSeconds, one when the holds of the call add
	// up to more than MaxTotalSeconds, one per hold the agent did not
	// announce with one of Announce in the AnnounceWithinSeconds before it.
	MaxSeconds            float64  `yaml:"max_seconds,omitempty" json:"max_seconds,omitempty"`
	MaxTotalSeconds       float64  `yaml:"max_total_seconds,omitempty" json:"max_total_seconds,omitempty"`
	Announce              []string `yaml:"announce,omitempty" json:"announce,omitempty"`
	AnnounceWithinSeconds float64  `yaml:"announce_within_seconds,omitempty" json:"announce_within_seconds,omitempty"`

	// level (dBFS of the speaker's channel; clipping as a ratio of samples)
	MinRMSDBFS  *float64 `yaml:"min_rms_dbfs,omitempty" json:"min_rms_dbfs,omitempty"`
	MaxRMSDBFS  *float64 `yaml:"max_rms_dbfs,omitempty" json:"max_rms_dbfs,omitempty"`
	MaxClipping *float64 `yaml:"max_clipping,omitempty" json:"max_clipping,omitempty"`

	// scoring
	Deduct    float64 `yaml:"deduct,omitempty" json:"deduct,omitempty"`
	MaxDeduct float64 `yaml:"max_deduct,omitempty" json:"max_deduct,omitempty"` // default: one deduction
	Veto      bool    `yaml:"veto,omitempty" json:"veto,omitempty"`
	// Review marks hits for human review (complaint risk) without
	// necessarily deducting anything.
	Review bool `yaml:"review,omitempty" json:"review,omitempty"`
	// Indicator names the evaluation indicator the rule's findings feed:
	// IndicatorComplaint makes them the complaint findings of 投诉率 (a
	// call is flagged when one of them fires, substantiated when a
	// reviewer confirms one). "" for none.
	Indicator string `yaml:"indicator,omitempty" json:"indicator,omitempty"`
}

// Indicators a rule may feed (Rule.Indicator).
const (
	// IndicatorComplaint: the rule finds complaints (投诉率).
	IndicatorComplaint = "complaint"
)

// RuleIndicators lists the known values of Rule.Indicator.
var RuleIndicators = []string{IndicatorComplaint}

// Near is a proximity condition of a keyword rule: a hit counts only when
// one of Phrases occurs within WithinChars characters of it (before or
// after, in the same utterance; 0: adjacent or overlapping).
type Near struct {
	Phrases     []string `yaml:"phrases" json:"phrases"`
	WithinChars *int     `yaml:"within_chars" json:"within_chars"`
	// For limits the condition to these of the rule's phrases (default:
	// all of them).
	For []string `yaml:"for,omitempty" json:"for,omitempty"`
}

// Within restricts a keyword rule to the start or the end of the recording.
type Within struct {
	// FirstSeconds: the utterance starts within the first N seconds.
	FirstSeconds float64 `yaml:"first_seconds,omitempty" json:"first_seconds,omitempty"`
	// LastSeconds: the utterance ends within the last N seconds.
	LastSeconds float64 `yaml:"last_seconds,omitempty" json:"last_seconds,omitempty"`
}

package analyse

import (
	"errors"
	"fmt"
	"math"

	"github.com/callqa/callqa/models"
)

// Config tunes the analysis. A zero field selects its documented default
// (WithDefaults); New applies the defaults and then Validate.
type Config struct {
	// VAD selects the voice-activity detector: VADSilero (the default),
	// the Silero VAD v5 neural network, which tells speech from music,
	// tones, babble and noise; or VADEnergy, the energy gate of callqa's
	// first versions (MarginDB and the fields after it), much faster but
	// right on clean lines only: it takes hold music, key tones and
	// background voices for speech.
	VAD string

	// NeuralThreshold: with the neural VAD, a 32 ms window whose speech
	// probability reaches it starts speech. Default 0.5 (Silero's).
	NeuralThreshold float64
	// NeuralNegThreshold: in speech, a window below it starts a pause.
	// Default NeuralThreshold - 0.15.
	NeuralNegThreshold float64
	// NeuralMinSpeechSeconds drops speech segments shorter than this.
	// Default 0.25.
	NeuralMinSpeechSeconds float64
	// NeuralMinSilenceSeconds is how long a pause must last to end a
	// speech segment. Default 0.1.
	NeuralMinSilenceSeconds float64
	// NeuralPadSeconds widens every speech segment on both sides.
	// Default 0.03.
	NeuralPadSeconds float64
	// HoldMinSeconds is the shortest hold music reported as a hold.
	// Default 2.
	HoldMinSeconds float64
	// NoEchoCheck keeps the speech that one channel of a stereo call
	// carries as a delayed, attenuated copy of the other's (line echo,
	// crosstalk): by default it is not counted as that channel's speech.
	NoEchoCheck bool

	// FrameSeconds is the length of a voice-activity frame. Default 0.02.
	FrameSeconds float64
	// EnvelopeSeconds is the step of the level envelope. Default 0.1.
	EnvelopeSeconds float64
	// MinSilence is the shortest gap where neither side speaks that counts
	// as a silence, in seconds. Default 1.0.
	MinSilence float64
	// MinOvertalk is the shortest stretch where both sides speak that counts
	// as overtalk, in seconds. Default 0.3.
	MinOvertalk float64
	// ClipLevel is the magnitude at or above which a sample counts as
	// clipped (|x| >= ClipLevel, samples scaled to [-1, 1)). Default 0.999.
	ClipLevel float64

	// MarginDB is how far above the channel's noise floor a frame's energy
	// must rise to start speech, in dB. Default 12.
	MarginDB float64
	// HysteresisDB lowers the threshold by this much while speech is
	// active, so that speech ends later than it starts. Default 3.
	HysteresisDB float64
	// AbsFloorDBFS is the absolute frame energy (dBFS, 20 ms RMS) that
	// speech must also exceed, whatever the noise floor. It keeps quiet
	// channels (digital silence, G.711 idle codes) free of false speech.
	// Must be negative. Default -55.
	AbsFloorDBFS float64
	// MaxFloorDBFS caps the noise floor estimate, in dBFS. A floor window
	// without any quiet frame (continuous speech, or speech between
	// stretches of digital silence, which the floor ignores) would
	// otherwise put the floor at the speech level and hide the speech.
	// Must be negative. Default -40.
	MaxFloorDBFS float64
	// HangoverSeconds keeps speech active after the energy falls below the
	// threshold, to cover trailing weak consonants. Default 0.1.
	HangoverSeconds float64
	// MinSpeechSeconds drops speech segments shorter than this (clicks,
	// line bursts), after merging. Default 0.1.
	MinSpeechSeconds float64
	// MergeGapSeconds joins two speech segments whose gap is shorter than
	// this (pauses inside a sentence). Default 0.3.
	MergeGapSeconds float64
	// FloorWindowSeconds is the window over which the noise floor is the
	// minimum frame energy (minimum statistics). It is centred on the
	// frame being decided as far as LookaheadSeconds allows. Default 5.
	FloorWindowSeconds float64
	// LookaheadSeconds is how far ahead of the frame being decided the
	// noise floor looks; it bounds the decision lag and the per-channel
	// buffer. It lets a call that starts with speech find its floor in the
	// first pause. Must be smaller than FloorWindowSeconds. Default 2.
	LookaheadSeconds float64
}

// The voice-activity detectors of Config.VAD, and the version of the
// analysis each performs, as results record it (models.Result.Analysis).
// A version changes whenever the results of the same recording may
// differ, so that reruns inspect such calls again.
const (
	VADSilero = "silero-v5"
	VADEnergy = "energy"

	// SileroVersion 2: the first analysis with the neural VAD, events
	// (key presses, hold music, tones) and the echo check.
	SileroVersion = 2
	// EnergyVersion 1: the energy gate, unchanged since callqa's first
	// version.
	EnergyVersion = 1
)

// Ref names the analysis c performs.
func (c Config) Ref() models.AnalysisRef {
	if c.WithDefaults().VAD == VADEnergy {
		return models.AnalysisRef{VAD: VADEnergy, Version: EnergyVersion}
	}
	return models.AnalysisRef{VAD: VADSilero, Version: SileroVersion}
}

// Defaults of Config's fields.
const (
	DefaultNeuralThreshold         = 0.5
	DefaultNeuralNegGap            = 0.15 // NeuralNegThreshold = NeuralThreshold - this
	DefaultNeuralMinSpeechSeconds  = 0.25
	DefaultNeuralMinSilenceSeconds = 0.1
	DefaultNeuralPadSeconds        = 0.03
	DefaultHoldMinSeconds          = 2

	DefaultFrameSeconds       = 0.02
	DefaultEnvelopeSeconds    = 0.1
	DefaultMinSilence         = 1.0
	DefaultMinOvertalk        = 0.3
	DefaultClipLevel          = 0.999
	DefaultMarginDB           = 12
	DefaultHysteresisDB       = 3
	DefaultAbsFloorDBFS       = -55
	DefaultMaxFloorDBFS       = -40
	DefaultHangoverSeconds    = 0.1
	DefaultMinSpeechSeconds   = 0.1
	DefaultMergeGapSeconds    = 0.3
	DefaultFloorWindowSeconds = 5
	DefaultLookaheadSeconds   = 2
)

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	def := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	if c.VAD == "" {
		c.VAD = VADSilero
	}
	def(&c.NeuralThreshold, DefaultNeuralThreshold)
	def(&c.NeuralNegThreshold, max(c.NeuralThreshold-DefaultNeuralNegGap, 0.01))
	def(&c.NeuralMinSpeechSeconds, DefaultNeuralMinSpeechSeconds)
	def(&c.NeuralMinSilenceSeconds, DefaultNeuralMinSilenceSeconds)
	def(&c.NeuralPadSeconds, DefaultNeuralPadSeconds)
	def(&c.HoldMinSeconds, DefaultHoldMinSeconds)
	def(&c.FrameSeconds, DefaultFrameSeconds)
	def(&c.EnvelopeSeconds, DefaultEnvelopeSeconds)
	def(&c.MinSilence, DefaultMinSilence)
	def(&c.MinOvertalk, DefaultMinOvertalk)
	def(&c.ClipLevel, DefaultClipLevel)
	def(&c.MarginDB, DefaultMarginDB)
	def(&c.HysteresisDB, DefaultHysteresisDB)
	def(&c.AbsFloorDBFS, DefaultAbsFloorDBFS)
	def(&c.MaxFloorDBFS, DefaultMaxFloorDBFS)
	def(&c.HangoverSeconds, DefaultHangoverSeconds)
	def(&c.MinSpeechSeconds, DefaultMinSpeechSeconds)
	def(&c.MergeGapSeconds, DefaultMergeGapSeconds)
	def(&c.FloorWindowSeconds, DefaultFloorWindowSeconds)
	def(&c.LookaheadSeconds, DefaultLookaheadSeconds)
	return c
}

// Validate reports every field out of range, naming it. Call it on a
// config that has been through WithDefaults: zero is invalid for most
// fields.
func (c Config) Validate() error {
	var errs []error
	check := func(ok bool, field, rule string, v float64) {
		if !ok {
			errs = append(errs, fmt.Errorf("analyse: Config.%s = %v: must be %s", field, v, rule))
		}
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	if c.VAD != VADSilero && c.VAD != VADEnergy {
		errs = append(errs, fmt.Errorf("analyse: Config.VAD = %q: must be %q or %q", c.VAD, VADSilero, VADEnergy))
	}
	check(c.NeuralThreshold > 0 && c.NeuralThreshold < 1, "NeuralThreshold", "in (0, 1)", c.NeuralThreshold)
	check(c.NeuralNegThreshold > 0 && c.NeuralNegThreshold <= c.NeuralThreshold, "NeuralNegThreshold", "in (0, NeuralThreshold]", c.NeuralNegThreshold)
	check(c.NeuralMinSpeechSeconds >= 0 && c.NeuralMinSpeechSeconds <= 10, "NeuralMinSpeechSeconds", "in [0, 10]", c.NeuralMinSpeechSeconds)
	check(c.NeuralMinSilenceSeconds >= 0 && c.NeuralMinSilenceSeconds <= 10, "NeuralMinSilenceSeconds", "in [0, 10]", c.NeuralMinSilenceSeconds)
	check(c.NeuralPadSeconds >= 0 && c.NeuralPadSeconds <= 1, "NeuralPadSeconds", "in [0, 1]", c.NeuralPadSeconds)
	check(c.HoldMinSeconds > 0 && c.HoldMinSeconds <= 600, "HoldMinSeconds", "in (0, 600]", c.HoldMinSeconds)
	check(c.FrameSeconds > 0 && c.FrameSeconds <= 1, "FrameSeconds", "in (0, 1]", c.FrameSeconds)
	check(c.EnvelopeSeconds > 0 && c.EnvelopeSeconds <= 10, "EnvelopeSeconds", "in (0, 10]", c.EnvelopeSeconds)
	check(c.MinSilence >= 0 && finite(c.MinSilence), "MinSilence", ">= 0", c.MinSilence)
	check(c.MinOvertalk >= 0 && finite(c.MinOvertalk), "MinOvertalk", ">= 0", c.MinOvertalk)
	check(c.ClipLevel > 0 && c.ClipLevel <= 1, "ClipLevel", "in (0, 1]", c.ClipLevel)
	check(c.MarginDB > 0 && c.MarginDB <= 60, "MarginDB", "in (0, 60]", c.MarginDB)
	check(c.HysteresisDB >= 0 && c.HysteresisDB < c.MarginDB, "HysteresisDB", ">= 0 and < MarginDB", c.HysteresisDB)
	check(c.AbsFloorDBFS >= -120 && c.AbsFloorDBFS < 0, "AbsFloorDBFS", "in [-120, 0)", c.AbsFloorDBFS)
	check(c.MaxFloorDBFS >= -120 && c.MaxFloorDBFS < 0, "MaxFloorDBFS", "in [-120, 0)", c.MaxFloorDBFS)
	check(c.HangoverSeconds >= 0 && c.HangoverSeconds <= 5, "HangoverSeconds", "in [0, 5]", c.HangoverSeconds)
	check(c.MinSpeechSeconds >= 0 && c.MinSpeechSeconds <= 10, "MinSpeechSeconds", "in [0, 10]", c.MinSpeechSeconds)
	check(c.MergeGapSeconds >= 0 && c.MergeGapSeconds <= 10, "MergeGapSeconds", "in [0, 10]", c.MergeGapSeconds)
	check(c.LookaheadSeconds >= 0 && c.LookaheadSeconds <= 30, "LookaheadSeconds", "in [0, 30]", c.LookaheadSeconds)
	check(c.FloorWindowSeconds > c.LookaheadSeconds && c.FloorWindowSeconds <= 60, "FloorWindowSeconds", "> LookaheadSeconds and <= 60", c.FloorWindowSeconds)
	return errors.Join(errs...)
}

// WithSettings returns c with a scorecard's analysis: block applied over
// it (nil applies nothing), and an error naming the block's field that is
// out of range.
func (c Config) WithSettings(s *models.AnalysisSettings) (Config, error) {
	if s == nil {
		return c, nil
	}
	if s.VAD != "" {
		c.VAD = s.VAD
	}
	set := func(dst *float64, v float64) {
		if v != 0 {
			*dst = v
		}
	}
	set(&c.NeuralThreshold, s.Threshold)
	set(&c.NeuralNegThreshold, s.NegThreshold)
	set(&c.NeuralMinSpeechSeconds, s.MinSpeechSeconds)
	set(&c.NeuralMinSilenceSeconds, s.MinSilenceSeconds)
	set(&c.NeuralPadSeconds, s.SpeechPadSeconds)
	set(&c.HoldMinSeconds, s.HoldMinSeconds)
	if s.EchoCheck != nil {
		c.NoEchoCheck = !*s.EchoCheck
	}
	d := c.WithDefaults()
	var errs []error
	check := func(ok bool, field string, v any, rule string) {
		if !ok {
			errs = append(errs, fmt.Errorf("analysis.%s %v: must be %s", field, v, rule))
		}
	}
	check(d.VAD == VADSilero || d.VAD == VADEnergy, "vad", fmt.Sprintf("%q", d.VAD), fmt.Sprintf("%q or %q", VADSilero, VADEnergy))
	check(d.NeuralThreshold > 0 && d.NeuralThreshold < 1, "threshold", d.NeuralThreshold, "in (0, 1)")
	check(d.NeuralNegThreshold > 0 && d.NeuralNegThreshold <= d.NeuralThreshold, "neg_threshold", d.NeuralNegThreshold, "in (0, threshold]")
	check(d.NeuralMinSpeechSeconds >= 0 && d.NeuralMinSpeechSeconds <= 10, "min_speech_seconds", d.NeuralMinSpeechSeconds, "in [0, 10]")
	check(d.NeuralMinSilenceSeconds >= 0 && d.NeuralMinSilenceSeconds <= 10, "min_silence_seconds", d.NeuralMinSilenceSeconds, "in [0, 10]")
	check(d.NeuralPadSeconds >= 0 && d.NeuralPadSeconds <= 1, "speech_pad_seconds", d.NeuralPadSeconds, "in [0, 1]")
	check(d.HoldMinSeconds > 0 && d.HoldMinSeconds <= 600, "hold_min_seconds", d.HoldMinSeconds, "in (0, 600]")
	return c, errors.Join(errs...)
}

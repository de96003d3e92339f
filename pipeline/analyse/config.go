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

// The analysis this package performs, as results record it
// (models.Result.Analysis). AnalysisVersion changes whenever the results of
// the same recording may differ, so that reruns inspect such calls again.
const (
	VADEnergy       = "energy"
	AnalysisVersion = 1
)

// Ref names the analysis c performs.
func (c Config) Ref() models.AnalysisRef {
	return models.AnalysisRef{VAD: VADEnergy, Version: AnalysisVersion}
}

// Defaults of Config's fields.
const (
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

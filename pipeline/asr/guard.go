package asr

import (
	"bytes"
	"compress/zlib"
	"fmt"

	"github.com/callqa/callqa/models"
)

// Guard keeps invented text out of transcripts. Whisper-family models write
// text on silence ("谢谢观看", "请不吝点赞订阅转发打赏", "字幕由Amara.org社区提供"
// are their Chinese favourites: subtitles of the videos they learnt from),
// and each channel of a stereo call is silent while the other side talks.
// A segment is dropped, and listed with its reason in the transcript's
// Dropped, when the first of these applies:
//
//   - models.DropOutsideSpeech: it does not lie over the speech the audio
//     analysis detected on the speaker's channel: it covers less than
//     MinSpeechOverlap seconds of that speech (widened by SpeechPad on
//     both sides), nor half of its own length;
//   - models.DropNoSpeech: the recogniser's no_speech_prob is above
//     NoSpeechProb and its avg_logprob below MaxAvgLogprob (Whisper's own
//     rule for skipping a silent window; a missing avg_logprob counts as
//     low);
//   - models.DropRepetitive: its compression ratio (the UTF-8 text's size
//     over its zlib-compressed size, as Whisper computes it; computed here
//     when the service does not send it) is above MaxCompressionRatio: a
//     loop repeating itself.
//
// The zero Guard is the documented defaults: Whisper's thresholds, 0.3 s
// of overlap and 0.25 s of padding.
type Guard struct {
	// Off keeps every segment.
	Off bool
	// NoSpeechProb: default 0.6.
	NoSpeechProb float64
	// MaxAvgLogprob: default -1.
	MaxAvgLogprob float64
	// MaxCompressionRatio: default 2.4.
	MaxCompressionRatio float64
	// MinSpeechOverlap is in seconds: default 0.3.
	MinSpeechOverlap float64
	// SpeechPad widens the detected speech for the overlap, in seconds
	// (recognisers' times are approximate): default 0.25.
	SpeechPad float64
}

// Validate reports the first invalid field.
func (g Guard) Validate() error {
	switch {
	case g.NoSpeechProb < 0 || g.NoSpeechProb > 1:
		return fmt.Errorf("asr Config.Guard.NoSpeechProb %v must be between 0 and 1", g.NoSpeechProb)
	case g.MaxAvgLogprob > 0:
		return fmt.Errorf("asr Config.Guard.MaxAvgLogprob %v must not be positive", g.MaxAvgLogprob)
	case g.MaxCompressionRatio < 0:
		return fmt.Errorf("asr Config.Guard.MaxCompressionRatio %v must not be negative", g.MaxCompressionRatio)
	case g.MinSpeechOverlap < 0:
		return fmt.Errorf("asr Config.Guard.MinSpeechOverlap %v must not be negative", g.MinSpeechOverlap)
	case g.SpeechPad < 0:
		return fmt.Errorf("asr Config.Guard.SpeechPad %v must not be negative", g.SpeechPad)
	}
	return nil
}

func (g Guard) withDefaults() Guard {
	if g.NoSpeechProb == 0 {
		g.NoSpeechProb = 0.6
	}
	if g.MaxAvgLogprob == 0 {
		g.MaxAvgLogprob = -1
	}
	if g.MaxCompressionRatio == 0 {
		g.MaxCompressionRatio = 2.4
	}
	if g.MinSpeechOverlap == 0 {
		g.MinSpeechOverlap = 0.3
	}
	if g.SpeechPad == 0 {
		g.SpeechPad = 0.25
	}
	return g
}

// segment is one segment of a verbose_json answer, its times re-based to
// the whole channel. The scores are nil when the service does not send
// them (vLLM sends null; whisper.cpp no compression ratio).
type segment struct {
	start, end       float64
	text             string
	noSpeechProb     *float64
	avgLogprob       *float64
	compressionRatio *float64
}

// reason returns why s is to be dropped, or "" to keep it. speech is the
// speaker's detected speech, known says whether there is any information
// about it (an empty known list: the channel holds no speech).
func (g Guard) reason(s segment, speech []models.Span, known bool) string {
	if g.Off {
		return ""
	}
	if known && !g.overSpeech(s, speech) {
		return models.DropOutsideSpeech
	}
	if s.noSpeechProb != nil && *s.noSpeechProb > g.NoSpeechProb && (s.avgLogprob == nil || *s.avgLogprob < g.MaxAvgLogprob) {
		return models.DropNoSpeech
	}
	ratio := 0.0
	if s.compressionRatio != nil && *s.compressionRatio > 0 {
		ratio = *s.compressionRatio
	} else {
		// vLLM sends -1 or null: no ratio.
		ratio = compressionRatio(s.text)
	}
	if ratio > g.MaxCompressionRatio {
		return models.DropRepetitive
	}
	return ""
}

// overSpeech reports whether s lies over the detected speech: it covers at
// least MinSpeechOverlap seconds of it, or half of its own length; a
// segment of no length must fall inside it.
func (g Guard) overSpeech(s segment, speech []models.Span) bool {
	covered, done := 0.0, s.start // done: the time counted up to
	for _, sp := range speech {
		a, b := sp[0]-g.SpeechPad, sp[1]+g.SpeechPad
		if s.end <= s.start {
			if s.start >= a && s.start <= b {
				return true
			}
			continue
		}
		// Widened spans may overlap each other: count each instant once.
		a = max(a, done)
		if e := min(b, s.end); e > a {
			covered += e - a
			done = e
		}
	}
	if s.end <= s.start {
		return false
	}
	return covered >= min(g.MinSpeechOverlap, 0.5*(s.end-s.start))
}

// compressionRatio is Whisper's: the UTF-8 text's length over its zlib
// compressed length. Text that repeats itself compresses well.
func compressionRatio(text string) float64 {
	if text == "" {
		return 0
	}
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	w.Write([]byte(text))
	w.Close()
	return float64(len(text)) / float64(b.Len())
}

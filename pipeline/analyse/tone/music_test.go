package tone

import (
	"fmt"
	"testing"

	"github.com/callqa/callqa/internal/testaudio"
	"github.com/callqa/callqa/models"
)

// signal is a test condition: samples and, for speech, the truth.
type signal struct {
	name   string
	rates  []int // rates to test at; nil: 8000 only
	gen    func(rate int) ([]float32, []models.Span)
	speech bool // the truth holds speech spans to measure separately
}

var (
	only8k   = []int{8000}
	both     = []int{8000, 16000}
	seconds  = 20.0
	noMusic  = 0.05 // at most 5% of non-music windows called music
	yesMusic = 0.80 // at least 80% of music windows called music
)

func musicSignals() []signal {
	sig := []signal{
		{"melody -20 dBFS", both, func(r int) ([]float32, []models.Span) { return testaudio.Melody(r, seconds, -20, 1), nil }, false},
		{"pad -20 dBFS", both, func(r int) ([]float32, []models.Span) { return testaudio.Pad(r, seconds, -20, 1), nil }, false},
		{"melody -35 dBFS, white line noise -60 dBFS", only8k, func(r int) ([]float32, []models.Span) {
			x := testaudio.Melody(r, seconds, -35, 2)
			return add(x, testaudio.White(len(x), -60, 3)), nil
		}, false},
		{"pad -35 dBFS, pink line noise -58 dBFS", only8k, func(r int) ([]float32, []models.Span) {
			x := testaudio.Pad(r, seconds, -35, 2)
			return add(x, testaudio.Pink(len(x), -58, 3)), nil
		}, false},
	}
	return sig
}

func otherSignals() []signal {
	var sig []signal
	for _, c := range testaudio.Clips() {
		sig = append(sig,
			signal{c, both, func(r int) ([]float32, []models.Span) {
				x := testaudio.MustClip(c, r)
				return x, testaudio.SpeechSpans(x, r)
			}, true},
			signal{c + ", white noise 20 dB under", only8k, func(r int) ([]float32, []models.Span) {
				x := testaudio.MustClip(c, r)
				truth := testaudio.SpeechSpans(x, r)
				return add(x, testaudio.White(len(x), testaudio.ActiveDBFS(x, r)-20, 4)), truth
			}, true},
			signal{c + ", 8-talker babble 15 dB under", only8k, func(r int) ([]float32, []models.Span) {
				x := testaudio.MustClip(c, r)
				truth := testaudio.SpeechSpans(x, r)
				return add(x, testaudio.BabbleUnder(x, r, 8, 15, 5)), truth
			}, true},
		)
	}
	sig = append(sig,
		signal{"babble, 3 talkers", both, func(r int) ([]float32, []models.Span) { return testaudio.Babble(r, 20, 3, -25, 1), nil }, false},
		signal{"babble, 8 talkers", only8k, func(r int) ([]float32, []models.Span) { return testaudio.Babble(r, 20, 8, -25, 2), nil }, false},
		signal{"white noise -30 dBFS", only8k, func(r int) ([]float32, []models.Span) { return testaudio.White(r*10, -30, 1), nil }, false},
		signal{"pink noise -30 dBFS", only8k, func(r int) ([]float32, []models.Span) { return testaudio.Pink(r*10, -30, 1), nil }, false},
		signal{"ring-back -20 dBFS", only8k, func(r int) ([]float32, []models.Span) { x, _ := testaudio.RingBack(-20).Render(r, 20); return x, nil }, false},
		signal{"busy -20 dBFS", only8k, func(r int) ([]float32, []models.Span) { x, _ := testaudio.Busy(-20).Render(r, 10); return x, nil }, false},
		signal{"DTMF fast", only8k, func(r int) ([]float32, []models.Span) {
			x, _ := testaudio.FastDTMF("0123456789*#ABCD0123456789").Render(r)
			return x, nil
		}, false},
	)
	return sig
}

// TestMusic checks the musicality decision alone: hold music is called
// music in at least 80% of its windows, while real speech (three voices,
// clean and noisy), babble, noise, tones and DTMF are in at most 5%; each
// through linear PCM, G.711 mu-law and A-law.
func TestMusic(t *testing.T) {
	t.Parallel()
	check := func(t *testing.T, s signal, rate int, music bool) {
		x, truth := s.gen(rate)
		for _, codec := range testaudio.Codecs() {
			r := analyse(t, rate, codec.RoundTrip(x))
			all, n := rate2(r.frames, nil)
			msg := fmt.Sprintf("%s at %d Hz, %v: music in %.1f%% of %d windows", s.name, rate, codec, 100*all, n)
			if s.speech {
				sp, ns := rate2(r.frames, windowsIn(truth, len(r.frames), 0.5))
				msg += fmt.Sprintf(", %.1f%% of %d speech windows", 100*sp, ns)
				all = max(all, sp)
			}
			t.Log(msg)
			if music && all < yesMusic {
				t.Errorf("%s; want >= %.0f%%", msg, 100*yesMusic)
			}
			if !music && all > noMusic {
				t.Errorf("%s; want <= %.0f%%", msg, 100*noMusic)
			}
		}
	}
	for _, group := range []struct {
		music bool
		sigs  []signal
	}{{true, musicSignals()}, {false, otherSignals()}} {
		for _, s := range group.sigs {
			for _, rate := range s.rates {
				t.Run(fmt.Sprintf("%s/%d", s.name, rate), func(t *testing.T) {
					t.Parallel()
					check(t, s, rate, group.music)
				})
			}
		}
	}
}

func rate2(frames []Frame, sel []bool) (float64, int) { return share(frames, sel, isMusic) }

// TestHoldEvent puts 30 s of hold music between two turns of speech: one
// hold event covers it, within the score's lag.
func TestHoldEvent(t *testing.T) {
	t.Parallel()
	for _, style := range []testaudio.Style{testaudio.StyleMelody, testaudio.StylePad} {
		call, err := testaudio.Script{
			Rate: 8000,
			Lines: []testaudio.Line{
				{Channel: 0, At: 0.5, Sound: testaudio.Speech{Clip: testaudio.FunASR, DBFS: -20}},
				{Channel: 0, At: 7, Sound: testaudio.Music{Style: style, Seconds: 30, DBFS: -25}},
				{Channel: 0, At: 37.5, Sound: testaudio.Speech{Clip: testaudio.LibriSpeech, DBFS: -20}},
			},
			Noise: [2]testaudio.Noise{{DBFS: -60}, {DBFS: -60}},
			Codec: testaudio.CodecALaw,
			Seed:  uint64(style) + 1,
		}.Build()
		if err != nil {
			t.Fatal(err)
		}
		r := analyse(t, 8000, call.Channels[0])
		t.Logf("style %d: hold events %v (truth %v)", style, r.hold, call.Events[0].Span)
		if len(r.hold) != 1 {
			t.Fatalf("style %d: %d hold events %v, want 1 at %v", style, len(r.hold), r.hold, call.Events[0].Span)
		}
		h, want := r.hold[0], call.Events[0].Span
		if h.Start < want[0] || h.Start > want[0]+MusicContextSeconds || h.End < want[1] || h.End > want[1]+MusicContextSeconds {
			t.Errorf("style %d: hold event %v, want within %.1f s after %v", style, h, MusicContextSeconds, want)
		}
	}
}

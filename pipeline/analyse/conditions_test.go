package analyse

import (
	"fmt"
	"math"
	"testing"

	"github.com/callqa/callqa/internal/testaudio"
	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/pipeline/analyse/silero"
)

// The speech detector on real telephone conditions. Each test builds a
// stereo call from the real voices of internal/testaudio (FunASR and
// AISHELL Mandarin, LibriSpeech English): agent on channel 0, customer on
// channel 1, taking turns; then adds one condition (hold music, key
// presses, babble, line noise, echo), carried as PCM, G.711 mu-law or
// A-law, and analyses it with the default configuration.
//
// The reference is what Silero VAD v5 (get_speech_timestamps, its default
// parameters) finds on each channel of the same conversation WITHOUT the
// condition: the genuine speech. Agreement is the share of 10 ms frames
// where the analysis and the reference agree (speech or not).

// conversation is the base script: eight turns, about 45 s.
func conversation() []testaudio.Line {
	sp := func(ch int, at float64, clip string, from, to float64, rev bool, dbfs float64) testaudio.Line {
		return testaudio.Line{Channel: ch, At: at, Sound: testaudio.Speech{Clip: clip, DBFS: dbfs, From: from, To: to, Reverse: rev}}
	}
	return []testaudio.Line{
		sp(0, 0.5, testaudio.FunASR, 0, 0, false, -22),
		sp(1, 7.2, testaudio.AISHELL, 0, 0, false, -26),
		sp(0, 12.0, testaudio.LibriSpeech, 0, 4.6, false, -22),
		sp(1, 17.3, testaudio.LibriSpeech, 4.6, 0, false, -25),
		sp(0, 22.4, testaudio.AISHELL, 0, 0, false, -21),
		sp(1, 27.5, testaudio.FunASR, 0, 0, false, -27),
		sp(0, 34.2, testaudio.FunASR, 0, 3.5, false, -22),
		sp(1, 38.3, testaudio.AISHELL, 0, 0, false, -26),
	}
}

// condition is one test call: the base conversation plus what the
// condition adds, and how it is carried.
type condition struct {
	name  string
	lines []testaudio.Line // added to the conversation (may replace its times)
	noise [2]testaudio.Noise
	echo  [2]*testaudio.EchoPath
	// babbleDB, when set, puts 8-talker babble that many dB under the
	// speech of both channels (an open-plan contact centre).
	babbleDB float64
	codec    testaudio.Codec
	seconds  float64
}

// built is a built condition with its reference and the analysis.
type built struct {
	call *testaudio.Call
	ref  [2][]models.Span // Silero on the genuine speech
	got  [2][]models.Span // the analysis of the call
	m    *models.Metrics
	rep  *Report
	// refOvertalk is the overtalk of the reference segments.
	refOvertalk float64
}

// build renders c, computes the reference and analyses the call.
func (c condition) build(t testing.TB, rate int) *built {
	t.Helper()
	base := conversation()
	s := testaudio.Script{Rate: rate, Lines: append(base, c.lines...), Noise: c.noise, Echo: c.echo, Codec: c.codec, Seed: 7, Seconds: c.seconds}
	if c.babbleDB != 0 {
		s.Codec = testaudio.CodecPCM
	}
	call, err := s.Build()
	if err != nil {
		t.Fatal(err)
	}
	if c.babbleDB != 0 {
		for ch := range 2 {
			own := call.Own[ch]
			b := testaudio.BabbleUnder(own, rate, 8, c.babbleDB, uint64(31+ch))
			mixed := make([]float32, len(own))
			for i := range mixed {
				mixed[i] = call.Channels[ch][i] + b[i]
			}
			call.Channels[ch] = c.codec.RoundTrip(mixed)
		}
	}
	speech := base
	for _, l := range c.lines {
		if l.Sound.Kind() == testaudio.KindSpeech {
			speech = append(speech, l)
		}
	}
	clean, err := testaudio.Script{Rate: rate, Lines: speech, Codec: testaudio.CodecPCM, Seed: 7, Seconds: call.Seconds()}.Build()
	if err != nil {
		t.Fatal(err)
	}
	b := &built{call: call}
	for ch := range 2 {
		b.ref[ch] = sileroReference(t, clean.Own[ch], rate)
	}
	b.rep = analyseChannels(t, Config{}, rate, call.Channels[0], call.Channels[1])
	b.m = b.rep.Metrics(Config{}, models.DefaultChannels)
	b.got = [2][]models.Span{b.m.Agent.Segments, b.m.Customer.Segments}
	_, ots := Conversation(Config{}, b.ref[0], b.ref[1])
	b.refOvertalk = OvertalkTotal(ots)
	return b
}

// sileroReference is Silero VAD's speech in x, as get_speech_timestamps
// gives it with its default parameters.
func sileroReference(t testing.TB, x []float32, rate int) []models.Span {
	t.Helper()
	m, err := silero.Load()
	if err != nil {
		t.Fatal(err)
	}
	mr := modelRate(rate)
	if mr != rate {
		t.Fatalf("reference at %d Hz", rate)
	}
	d, err := m.NewDetector(mr)
	if err != nil {
		t.Fatal(err)
	}
	s := silero.NewStream(d)
	probs := s.Flush(s.Write(x, nil))
	spans, err := silero.Segments(probs, mr, s.Samples(), silero.SegmentParams{})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]models.Span, len(spans))
	for i, sp := range spans {
		a, b := sp.Seconds(mr)
		out[i] = models.Span{a, b}
	}
	return out
}

// analyseChannels analyses a stereo recording given as two channels.
func analyseChannels(t testing.TB, cfg Config, rate int, a, b []float32) *Report {
	t.Helper()
	an, err := New(cfg, rate, 2)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]float32, 2*4096)
	for off := 0; off < len(a); off += 4096 {
		n := min(4096, len(a)-off)
		for i := range n {
			buf[2*i], buf[2*i+1] = a[off+i], b[off+i]
		}
		an.Write(buf[:2*n])
	}
	return an.Finish()
}

// frames marks, per 10 ms frame of n, whether spans cover its middle.
func frames(spans []models.Span, n int) []bool {
	out := make([]bool, n)
	for _, s := range spans {
		for f := max(0, int(s[0]*100)); f < n && (float64(f)+0.5)/100 < s[1]; f++ {
			if (float64(f)+0.5)/100 >= s[0] {
				out[f] = true
			}
		}
	}
	return out
}

// agreement is the share of 10 ms frames of a call of dur seconds where
// got and ref agree.
func agreement(got, ref []models.Span, dur float64) float64 {
	n := int(dur * 100)
	g, r := frames(got, n), frames(ref, n)
	same := 0
	for i := range n {
		if g[i] == r[i] {
			same++
		}
	}
	return float64(same) / float64(n)
}

// speechIn is the share of the spans' time that got labels speech.
func speechIn(got, spans []models.Span) float64 {
	var total, in float64
	for _, s := range spans {
		total += s[1] - s[0]
		in += testaudio.Covered(got, s[0], s[1])
	}
	if total == 0 {
		return 0
	}
	return in / total
}

// codecs returns each of the three carriers of a condition.
func codecs(c condition) []condition {
	var out []condition
	for _, k := range testaudio.Codecs() {
		c2 := c
		c2.codec = k
		c2.name = c.name + "/" + k.String()
		out = append(out, c2)
	}
	return out
}

// TestConditionsSpeech checks, on every condition and carrier, that the
// speech found agrees with Silero's on the genuine speech: >= 95% of the
// 10 ms frames of each channel (babble 10 dB under: >= 90%).
func TestConditionsSpeech(t *testing.T) {
	t.Parallel()
	var conds []condition
	for _, c := range []condition{
		{name: "clean"},
		{name: "white noise 20 dB under", noise: [2]testaudio.Noise{{DBFS: -44}, {DBFS: -48}}},
		{name: "white noise 10 dB under", noise: [2]testaudio.Noise{{DBFS: -34}, {DBFS: -38}}},
		{name: "pink noise 20 dB under", noise: [2]testaudio.Noise{{DBFS: -44, Pink: true}, {DBFS: -48, Pink: true}}},
		{name: "pink noise 10 dB under", noise: [2]testaudio.Noise{{DBFS: -34, Pink: true}, {DBFS: -38, Pink: true}}},
		{name: "babble 20 dB under", babbleDB: 20},
		{name: "babble 10 dB under", babbleDB: 10},
	} {
		conds = append(conds, codecs(c)...)
	}
	for _, c := range conds {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			b := c.build(t, 8000)
			dur := b.call.Seconds()
			want := 0.95
			if c.babbleDB == 10 {
				want = 0.90
			}
			for ch, name := range []string{"agent", "customer"} {
				a := agreement(b.got[ch], b.ref[ch], dur)
				t.Logf("%s: agreement %.3f (talk %.1f s, reference %.1f s)", name, a, Total(b.got[ch]), Total(b.ref[ch]))
				if a < want {
					t.Errorf("%s: %.3f of frames agree with Silero on the genuine speech, want >= %.2f", name, a, want)
				}
			}
			// Background voices must not invent overtalk (interruptions).
			if b.m.OvertalkS > b.refOvertalk+1 {
				t.Errorf("overtalk %.1f s, the genuine speech has %.1f s", b.m.OvertalkS, b.refOvertalk)
			}
		})
	}
}

// TestConditionsHoldAndKeys puts the customer on hold (20 s of plucked
// melody or chord pad on the agent's channel, at -20 dBFS and at -35 dBFS
// over line noise) and has the customer press keys (fast and slow DTMF):
// music and tones are under 10% speech, become events, the hold is not a
// silence, and the speech around them is still found.
func TestConditionsHoldAndKeys(t *testing.T) {
	t.Parallel()
	hold := func(style testaudio.Style, dbfs float64) testaudio.Line {
		return testaudio.Line{Channel: 0, At: 44, Sound: testaudio.Music{Style: style, Seconds: 20, DBFS: dbfs}}
	}
	keys := func(run testaudio.DTMFRun) testaudio.Line {
		return testaudio.Line{Channel: 1, At: 66, Sound: testaudio.Keys{Run: run}}
	}
	after := testaudio.Line{Channel: 0, At: 70, Sound: testaudio.Speech{Clip: testaudio.AISHELL, DBFS: -22}}
	var conds []condition
	for _, c := range []condition{
		{name: "melody -20 dBFS, fast keys", lines: []testaudio.Line{hold(testaudio.StyleMelody, -20), keys(testaudio.FastDTMF("12333")), after}},
		{name: "pad -20 dBFS, slow keys", lines: []testaudio.Line{hold(testaudio.StylePad, -20), keys(testaudio.SlowDTMF("5201314")), after}},
		{name: "melody -35 dBFS in line noise", lines: []testaudio.Line{hold(testaudio.StyleMelody, -35), keys(testaudio.FastDTMF("0")), after},
			noise: [2]testaudio.Noise{{DBFS: -60}, {DBFS: -58, Pink: true}}},
	} {
		conds = append(conds, codecs(c)...)
	}
	for _, c := range conds {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			b := c.build(t, 8000)
			var holdSpan, keySpan models.Span
			var presses int
			for _, ev := range b.call.Events {
				switch ev.Kind {
				case testaudio.KindHold:
					holdSpan = ev.Span
				case testaudio.KindDTMF:
					keySpan = ev.Span
					presses = len(ev.Active)
				}
			}
			if f := speechIn(b.got[0], []models.Span{holdSpan}); f > 0.10 {
				t.Errorf("%.0f%% of the hold music labelled agent speech, want < 10%%", 100*f)
			}
			if f := speechIn(b.got[1], []models.Span{keySpan}); f > 0.10 {
				t.Errorf("%.0f%% of the key presses labelled customer speech, want < 10%%", 100*f)
			}
			var gotHold, gotKeys *models.Event
			for i, ev := range b.m.Events {
				switch {
				case ev.Type == models.EventHoldMusic && ev.Speaker == models.SpeakerAgent:
					gotHold = &b.m.Events[i]
				case ev.Type == models.EventDTMF && ev.Speaker == models.SpeakerCustomer:
					gotKeys = &b.m.Events[i]
				}
			}
			if gotHold == nil || gotHold.Start > holdSpan[0]+1.5 || gotHold.End < holdSpan[1]-1.5 {
				t.Errorf("hold event %+v, want about %v (events %+v)", gotHold, holdSpan, b.m.Events)
			}
			if gotKeys == nil || gotKeys.Presses != presses || math.Abs(gotKeys.Start-keySpan[0]) > 0.1 {
				t.Errorf("key event %+v, want %d presses from %.2f s", gotKeys, presses, keySpan[0])
			}
			if b.m.HoldS < 17 {
				t.Errorf("hold time %.1f s, want about 20", b.m.HoldS)
			}
			for _, s := range b.m.Silences {
				if s[1] > holdSpan[0]+1.5 && s[0] < holdSpan[1]-1.5 {
					t.Errorf("silence %v inside the hold %v: a hold is not dead air", s, holdSpan)
				}
			}
			dur := b.call.Seconds()
			for ch, name := range []string{"agent", "customer"} {
				// The reference has no music and no keys: the speech found
				// must still agree with the genuine speech.
				a := agreement(b.got[ch], b.ref[ch], dur)
				t.Logf("%s: agreement %.3f; events %+v", name, a, b.m.Events)
				if a < 0.95 {
					t.Errorf("%s: %.3f of frames agree with Silero on the genuine speech, want >= 0.95", name, a)
				}
			}
		})
	}
}

// TestConditionsEcho leaks the agent's voice into the customer's channel
// (-20 to -30 dB, 20 to 200 ms late, with and without a hybrid's
// response): the leaked speech is not the customer's, and the overtalk it
// would make is not invented; the customer's own speech is still found.
func TestConditionsEcho(t *testing.T) {
	t.Parallel()
	var conds []condition
	for _, p := range []testaudio.EchoPath{
		{Delay: 0.02, GainDB: -20}, {Delay: 0.04, GainDB: -25, Hybrid: true}, {Delay: 0.1, GainDB: -25},
		{Delay: 0.2, GainDB: -30, Hybrid: true}, {Delay: 0.04, GainDB: -20, Hybrid: true},
	} {
		p.Seed = 3
		c := condition{name: fmt.Sprintf("echo %g dB %g ms hybrid %v", p.GainDB, 1000*p.Delay, p.Hybrid), echo: [2]*testaudio.EchoPath{&p, nil},
			noise: [2]testaudio.Noise{{DBFS: -62}, {DBFS: -62}}}
		conds = append(conds, codecs(c)...)
	}
	for _, c := range conds {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			b := c.build(t, 8000)
			// Leaked speech: the agent's, shifted, where the customer says
			// nothing.
			var leakOnly []models.Span
			for _, s := range b.call.Leak[1] {
				leakOnly = append(leakOnly, subtract([]models.Span{s}, b.ref[1])...)
			}
			f := speechIn(b.got[1], leakOnly)
			t.Logf("leaked speech labelled customer speech: %.1f%%; overtalk %.1f s (genuine %.1f s)", 100*f, b.m.OvertalkS, b.refOvertalk)
			if f > 0.10 {
				t.Errorf("%.0f%% of the agent's leaked speech counted as the customer's, want < 10%%", 100*f)
			}
			if b.m.OvertalkS > b.refOvertalk+1 {
				t.Errorf("overtalk %.1f s, the genuine speech has %.1f s", b.m.OvertalkS, b.refOvertalk)
			}
			dur := b.call.Seconds()
			for ch, name := range []string{"agent", "customer"} {
				a := agreement(b.got[ch], b.ref[ch], dur)
				t.Logf("%s: agreement %.3f", name, a)
				if a < 0.95 {
					t.Errorf("%s: %.3f of frames agree with Silero on the genuine speech, want >= 0.95", name, a)
				}
			}
		})
	}
}

// TestConditionsOvertalk has the customer break in twice while the agent
// talks, with the agent's voice also leaking into the customer's channel
// and babble behind both: genuine double-talk stays overtalk.
func TestConditionsOvertalk(t *testing.T) {
	t.Parallel()
	interrupt := []testaudio.Line{
		{Channel: 1, At: 2.5, Sound: testaudio.Speech{Clip: testaudio.LibriSpeech, DBFS: -24, From: 0, To: 2.2}},
		{Channel: 1, At: 14.0, Sound: testaudio.Speech{Clip: testaudio.AISHELL, DBFS: -25, From: 0, To: 2}},
	}
	p := testaudio.EchoPath{Delay: 0.04, GainDB: -25, Hybrid: true, Seed: 5}
	for _, c := range []condition{
		{name: "double-talk", lines: interrupt},
		{name: "double-talk with echo", lines: interrupt, echo: [2]*testaudio.EchoPath{&p, nil}, noise: [2]testaudio.Noise{{DBFS: -62}, {DBFS: -62}}},
		{name: "double-talk in babble 15 dB under", lines: interrupt, babbleDB: 15, codec: testaudio.CodecMuLaw},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			b := c.build(t, 8000)
			_, refOts := Conversation(Config{}, b.ref[0], b.ref[1])
			var got, want []models.Span
			for _, o := range b.m.Overtalks {
				got = append(got, models.Span{o.Start, o.End})
			}
			for _, o := range refOts {
				want = append(want, models.Span{o.Start, o.End})
			}
			found := speechIn(got, want)
			t.Logf("overtalk %.2f s, genuine %.2f s, %.0f%% of it found; %+v", b.m.OvertalkS, b.refOvertalk, 100*found, b.m.Overtalks)
			if b.refOvertalk < 1 {
				t.Fatalf("the script has %.2f s of double-talk", b.refOvertalk)
			}
			if found < 0.7 || b.m.OvertalkS > b.refOvertalk+1 {
				t.Errorf("overtalk %.2f s covering %.0f%% of the genuine double-talk (%.2f s)", b.m.OvertalkS, 100*found, b.refOvertalk)
			}
			for ch, name := range []string{"agent", "customer"} {
				if a := agreement(b.got[ch], b.ref[ch], b.call.Seconds()); a < 0.95 {
					t.Errorf("%s: agreement %.3f, want >= 0.95", name, a)
				}
			}
		})
	}
}

// TestConditionsRates analyses the conversation recorded at 16 kHz (the
// model's other native rate) and at 11025, 22050 and 44100 Hz (through
// the resampler, to 8 or 16 kHz): the speech found agrees with Silero's on
// the genuine speech at the model's rate.
func TestConditionsRates(t *testing.T) {
	t.Parallel()
	for _, rate := range []int{16000, 11025, 22050, 44100} {
		t.Run(fmt.Sprint(rate), func(t *testing.T) {
			t.Parallel()
			call, err := testaudio.Script{Rate: rate, Lines: conversation(), Seed: 7, Noise: [2]testaudio.Noise{{DBFS: -55}, {DBFS: -55}}}.Build()
			if err != nil {
				t.Fatal(err)
			}
			rep := analyseChannels(t, Config{}, rate, call.Channels[0], call.Channels[1])
			m := rep.Metrics(Config{}, models.DefaultChannels)
			mr := modelRate(rate)
			ref, err := testaudio.Script{Rate: mr, Lines: conversation(), Seed: 7}.Build()
			if err != nil {
				t.Fatal(err)
			}
			for ch, got := range [][]models.Span{m.Agent.Segments, m.Customer.Segments} {
				a := agreement(got, sileroReference(t, ref.Own[ch], mr), call.Seconds())
				t.Logf("channel %d: agreement %.3f", ch, a)
				if a < 0.95 {
					t.Errorf("channel %d at %d Hz: agreement %.3f, want >= 0.95", ch, rate, a)
				}
			}
		})
	}
}

// TestDigitalSilenceSkip checks that skipping the model's full pass on
// windows of digital silence (the cheap path) changes nothing: a call
// with long stretches of digital zeros gives the same report either way.
func TestDigitalSilenceSkip(t *testing.T) {
	t.Parallel()
	call, err := testaudio.Script{Rate: 8000, Lines: conversation(), Seed: 7}.Build()
	if err != nil {
		t.Fatal(err)
	}
	run := func(full bool) *Report {
		an, err := New(Config{}, 8000, 2)
		if err != nil {
			t.Fatal(err)
		}
		an.nn.fullPass = full
		buf := make([]float32, 2*len(call.Channels[0]))
		for i := range call.Channels[0] {
			buf[2*i], buf[2*i+1] = call.Channels[0][i], call.Channels[1][i]
		}
		an.Write(buf)
		return an.Finish()
	}
	skip, full := run(false), run(true)
	zero := 0
	for _, v := range call.Channels[1] {
		if v == 0 {
			zero++
		}
	}
	if zero < len(call.Channels[1])/3 {
		t.Fatalf("only %d of %d customer samples are digital silence", zero, len(call.Channels[1]))
	}
	for c := range 2 {
		if fmt.Sprint(skip.Channels[c].Segments) != fmt.Sprint(full.Channels[c].Segments) || skip.Channels[c].SpeechRMSDBFS != full.Channels[c].SpeechRMSDBFS {
			t.Errorf("channel %d: with the skip %v, without %v", c, skip.Channels[c].Segments, full.Channels[c].Segments)
		}
	}
}

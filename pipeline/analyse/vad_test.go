package analyse

import (
	"fmt"
	"math"
	"testing"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/pipeline/decode"
)

// analyseGen runs a generator of dur seconds through a fresh Analyzer in
// blocks of block frames.
func analyseGen(t testing.TB, cfg Config, sr int, dur float64, block int, g *generator) *Report {
	t.Helper()
	a, err := New(cfg, sr, len(g.voices))
	if err != nil {
		t.Fatal(err)
	}
	total := int64(math.Round(dur * float64(sr)))
	buf := make([]float32, block*len(g.voices))
	for done := int64(0); done < total; {
		n := int(min(int64(block), total-done))
		b := buf[:n*len(g.voices)]
		g.fill(b)
		a.Write(b)
		done += int64(n)
	}
	return a.Finish()
}

// covered is how much of [t0, t1) the spans cover.
func covered(spans []models.Span, t0, t1 float64) float64 {
	var c float64
	for _, s := range spans {
		c += max(0, min(s[1], t1)-max(s[0], t0))
	}
	return c
}

// frameAgreement is the fraction of 20 ms frames of [0, dur) on which two
// span sets agree; a frame is speech when more than half of it is covered.
func frameAgreement(truth, got []models.Span, dur float64) float64 {
	const fs = 0.02
	n := int(dur / fs)
	agree := 0
	for i := range n {
		t0 := float64(i) * fs
		a := covered(truth, t0, t0+fs) > fs/2
		b := covered(got, t0, t0+fs) > fs/2
		if a == b {
			agree++
		}
	}
	return float64(agree) / float64(n)
}

// script makes a random two-party conversation of about dur seconds with
// known spans: turns of one to three phrases (1.2-4 s, 0.6-0.9 s apart),
// separated by gaps of 0.5-3 s or overlapping by 0.4-1.5 s (the next
// speaker interrupts). When startAtZero, the agent speaks from t=0.
func script(seed uint64, dur float64, startAtZero bool) (agent, customer []models.Span) {
	r := rng(seed | 1)
	gapChoices := []float64{-1.5, -1.2, -0.4, 0.5, 0.8, 1.5, 2.2, 3.0}
	t := 0.0
	if !startAtZero {
		t = r.uniform(0.5, 2)
	}
	spk := 0
	lastEnd := [2]float64{-10, -10}
	lastStart := [2]float64{-10, -10}
	sides := [2]*[]models.Span{&agent, &customer}
	for t < dur-6 {
		// Never closer than 0.6 s to this speaker's own previous phrase.
		t = max(t, lastEnd[spk]+0.6)
		phrases := 1 + int(r.float()*3)
		for range phrases {
			l := r.uniform(1.2, 4)
			*sides[spk] = append(*sides[spk], models.Span{round2(t), round2(t + l)})
			lastStart[spk], lastEnd[spk] = t, t+l
			t += l + r.uniform(0.6, 0.9)
		}
		t = lastEnd[spk]
		g := gapChoices[int(r.float()*float64(len(gapChoices)))]
		if g < 0 {
			// Interrupt the last phrase, but not before its start.
			g = max(g, lastStart[spk]+0.3-t)
		}
		t += g
		spk = 1 - spk
	}
	return agent, customer
}

type vadScenario struct {
	name            string
	hiss            float64 // dBFS RMS, 0: none
	mulaw           bool
	agentDB, custDB float64
	startAtZero     bool
	sampleRate      int
	seed            uint64
}

var vadScenarios = []vadScenario{
	{name: "clean", agentDB: -20, custDB: -25, sampleRate: 8000, seed: 1},
	{name: "hiss-55", hiss: -55, agentDB: -20, custDB: -26, sampleRate: 8000, seed: 2},
	{name: "hiss-50-mulaw", hiss: -50, mulaw: true, agentDB: -18, custDB: -28, sampleRate: 8000, seed: 3},
	{name: "quiet-customer-mulaw", hiss: -58, mulaw: true, agentDB: -20, custDB: -33, sampleRate: 8000, seed: 4},
	{name: "loud-mulaw", hiss: -60, mulaw: true, agentDB: -10, custDB: -12, sampleRate: 8000, seed: 5},
	{name: "speech-at-t0-hiss-50-mulaw", hiss: -50, mulaw: true, agentDB: -22, custDB: -24, startAtZero: true, sampleRate: 8000, seed: 6},
	{name: "16k-hiss-55", hiss: -55, agentDB: -20, custDB: -25, sampleRate: 16000, seed: 7},
}

// TestVADSynthetic checks the product's accuracy targets on synthetic
// calls: at least 95% frame agreement per channel, and every silence and
// overtalk of at least 1 s found with both edges within 0.2 s (and no
// detected one of 1.2 s or more that is not true).
func TestVADSynthetic(t *testing.T) {
	t.Parallel()
	const dur = 120.0
	for _, sc := range vadScenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			ag, cu := script(sc.seed, dur, sc.startAtZero)
			g := newGenerator(sc.sampleRate, sc.hiss, sc.mulaw, sc.seed,
				channelSpec{Spans: ag, LevelDBFS: sc.agentDB, F0: 210},
				channelSpec{Spans: cu, LevelDBFS: sc.custDB, F0: 120})
			rep := analyseGen(t, Config{VAD: VADEnergy}, sc.sampleRate, dur, 4096, g)
			for i, truth := range [][]models.Span{ag, cu} {
				got := rep.Channels[i].Segments
				agr := frameAgreement(truth, got, dur)
				t.Logf("channel %d: frame agreement %.4f, %d true spans, %d segments", i, agr, len(truth), len(got))
				if agr < 0.95 {
					t.Errorf("channel %d: frame agreement %.4f < 0.95\ntruth %v\ngot   %v", i, agr, truth, got)
				}
			}
			checkConversation(t, ag, cu, rep.Channels[0].Segments, rep.Channels[1].Segments)
		})
	}
}

// checkConversation matches true and detected silences and overtalks.
func checkConversation(t *testing.T, ag, cu, gotAg, gotCu []models.Span) {
	t.Helper()
	const tol = 0.2
	strict := Config{VAD: VADEnergy, MinSilence: 1, MinOvertalk: 1}
	loose := Config{VAD: VADEnergy, MinSilence: 0.5, MinOvertalk: 0.3}
	firm := Config{VAD: VADEnergy, MinSilence: 1.2, MinOvertalk: 1.2}

	trueSil, trueOT := Conversation(strict, ag, cu)
	looseSil, looseOT := Conversation(loose, gotAg, gotCu)
	firmSil, firmOT := Conversation(firm, gotAg, gotCu)
	trueLooseSil, trueLooseOT := Conversation(loose, ag, cu)
	if len(trueSil) == 0 || len(trueOT) == 0 {
		t.Fatalf("script has %d silences and %d overtalks >= 1 s; want some of each", len(trueSil), len(trueOT))
	}
	near := func(a, b models.Span) bool {
		return math.Abs(a[0]-b[0]) <= tol && math.Abs(a[1]-b[1]) <= tol
	}
	matchSpan := func(s models.Span, in []models.Span) bool {
		for _, x := range in {
			if near(s, x) {
				return true
			}
		}
		return false
	}
	matchOT := func(o models.Overtalk, in []models.Overtalk) bool {
		for _, x := range in {
			if near(models.Span{o.Start, o.End}, models.Span{x.Start, x.End}) && x.By == o.By {
				return true
			}
		}
		return false
	}
	for _, s := range trueSil {
		if !matchSpan(s, looseSil) {
			t.Errorf("true silence %v not found within %.1f s; detected %v", s, tol, looseSil)
		}
	}
	for _, s := range firmSil {
		if !matchSpan(s, trueLooseSil) {
			t.Errorf("detected silence %v is not a true one; true %v", s, trueLooseSil)
		}
	}
	for _, o := range trueOT {
		if !matchOT(o, looseOT) {
			t.Errorf("true overtalk %+v not found within %.1f s; detected %+v", o, tol, looseOT)
		}
	}
	for _, o := range firmOT {
		if !matchOT(o, trueLooseOT) {
			t.Errorf("detected overtalk %+v is not a true one; true %+v", o, trueLooseOT)
		}
	}
	t.Logf("%d silences and %d overtalks >= 1 s checked", len(trueSil), len(trueOT))
}

// TestVADMono checks silences of a mono recording against the truth.
func TestVADMono(t *testing.T) {
	t.Parallel()
	const dur = 90.0
	ag, _ := script(11, dur, false)
	g := newGenerator(8000, -52, true, 11, channelSpec{Spans: ag, LevelDBFS: -22, F0: 180})
	rep := analyseGen(t, Config{VAD: VADEnergy}, 8000, dur, 1000, g)
	got := rep.Channels[0].Segments
	if agr := frameAgreement(ag, got, dur); agr < 0.95 {
		t.Errorf("frame agreement %.4f < 0.95", agr)
	}
	trueSil := Silences(Config{VAD: VADEnergy}, ag)
	gotSil := Silences(Config{VAD: VADEnergy, MinSilence: 0.5}, got)
	if len(trueSil) == 0 {
		t.Fatal("script has no silence")
	}
	for _, s := range trueSil {
		found := false
		for _, x := range gotSil {
			found = found || (math.Abs(s[0]-x[0]) <= 0.2 && math.Abs(s[1]-x[1]) <= 0.2)
		}
		if !found {
			t.Errorf("true silence %v not found; detected %v", s, gotSil)
		}
	}
}

// TestVADNoSpeech checks channels without speech: digital zero, G.711 idle
// codes and line hiss must give no segments.
func TestVADNoSpeech(t *testing.T) {
	t.Parallel()
	const dur, sr = 30.0, 8000
	idle := func(jitter bool) func(i int64) float64 {
		return func(i int64) float64 {
			if !jitter {
				return float64(decode.MuLawDecode(0xFF)) / 32768
			}
			// +-1 step of mu-law around zero: codes 0xFF, 0xFE, 0x7E.
			return float64(decode.MuLawDecode([]uint8{0xFF, 0xFE, 0x7E, 0xFE}[i%4])) / 32768
		}
	}
	r := rng(99)
	cases := []struct {
		name string
		fn   func(i int64) float64
	}{
		{"digital-zero", func(int64) float64 { return 0 }},
		{"mulaw-idle-0xFF", idle(false)},
		{"mulaw-idle-jitter", idle(true)},
		{"hiss-50", func(int64) float64 { return 0.00316 * math.Sqrt(3) * (2*r.float() - 1) }},
		{"hiss-45-mulaw", func(int64) float64 { return mulawRoundTrip(0.0056 * math.Sqrt(3) * (2*r.float() - 1)) }},
		{"zero-then-hiss-50", func(i int64) float64 {
			if (i/sr)%4 < 2 {
				return 0
			}
			return 0.00316 * math.Sqrt(3) * (2*r.float() - 1)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, err := New(Config{VAD: VADEnergy}, sr, 1)
			if err != nil {
				t.Fatal(err)
			}
			buf := make([]float32, 800)
			for i := int64(0); i < dur*sr; {
				for j := range buf {
					buf[j] = float32(c.fn(i))
					i++
				}
				a.Write(buf)
			}
			rep := a.Finish()
			if s := rep.Channels[0].Segments; len(s) != 0 {
				t.Errorf("segments %v, want none", s)
			}
			if rep.Channels[0].TalkS != 0 {
				t.Errorf("TalkS %v, want 0", rep.Channels[0].TalkS)
			}
		})
	}
}

// TestVADLevelsTable sweeps speech level against hiss level, the range the
// product must handle (speech -30..-10 dBFS, hiss -60..-50 dBFS).
func TestVADLevelsTable(t *testing.T) {
	t.Parallel()
	const dur = 60.0
	ag, _ := script(21, dur, false)
	for _, speech := range []float64{-30, -20, -10} {
		for _, hiss := range []float64{-60, -50} {
			t.Run(fmt.Sprintf("speech%v-hiss%v", speech, hiss), func(t *testing.T) {
				t.Parallel()
				g := newGenerator(8000, hiss, true, 21, channelSpec{Spans: ag, LevelDBFS: speech, F0: 150})
				rep := analyseGen(t, Config{VAD: VADEnergy}, 8000, dur, 2048, g)
				if agr := frameAgreement(ag, rep.Channels[0].Segments, dur); agr < 0.95 {
					t.Errorf("frame agreement %.4f < 0.95", agr)
				}
			})
		}
	}
}

// TestSpeechLevel: the speech level measures the voice, not how much of
// the call the speaker talks. Two voices at the same level, one talking
// half the call and one a twentieth of it, differ by about 10 dB over the
// whole channel but not in their speech level.
func TestSpeechLevel(t *testing.T) {
	t.Parallel()
	const dur = 60.0
	var half, little []models.Span
	for s := 1.0; s < dur-4; s += 4 {
		half = append(half, models.Span{s, s + 2})
	}
	little = []models.Span{{10, 13}}
	g := newGenerator(8000, -55, true, 11,
		channelSpec{Spans: half, LevelDBFS: -22, F0: 140},
		channelSpec{Spans: little, LevelDBFS: -22, F0: 220})
	rep := analyseGen(t, Config{VAD: VADEnergy}, 8000, dur, 4096, g)
	a, b := rep.Channels[0], rep.Channels[1]
	if d := a.RMSDBFS - b.RMSDBFS; d < 8 {
		t.Fatalf("whole-channel RMS %.1f vs %.1f dBFS: the test needs them far apart", a.RMSDBFS, b.RMSDBFS)
	}
	for i, c := range []ChannelStats{a, b} {
		if math.Abs(c.SpeechRMSDBFS-(-22)) > 2 {
			t.Errorf("channel %d: speech level %.1f dBFS, want about -22 (whole channel %.1f)", i, c.SpeechRMSDBFS, c.RMSDBFS)
		}
	}
	if math.Abs(a.SpeechRMSDBFS-b.SpeechRMSDBFS) > 1.5 {
		t.Errorf("speech levels %.1f and %.1f dBFS differ for the same voice level", a.SpeechRMSDBFS, b.SpeechRMSDBFS)
	}

	silent := analyseGen(t, Config{VAD: VADEnergy}, 8000, 5, 4096, newGenerator(8000, 0, false, 1, channelSpec{LevelDBFS: -20, F0: 150}))
	if got := silent.Channels[0].SpeechRMSDBFS; got != FloorDBFS {
		t.Errorf("no speech: speech level %v, want %v", got, FloorDBFS)
	}
}

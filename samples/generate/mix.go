package main

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/callqa/callqa/internal/testaudio"
	"github.com/callqa/callqa/models"
)

// Truth is the ground truth of a generated call for the VAD accuracy test:
// the <call_id>.truth.json file.
type Truth struct {
	// Agent and Customer are the speech spans of each side: the trimmed
	// utterance placements, split where espeak-ng paused for longer than
	// 0.35 s.
	Agent    []models.Span `json:"agent"`
	Customer []models.Span `json:"customer"`
	// Silences are the gaps of at least 1 s where neither side speaks,
	// between the first and the last speech.
	Silences []models.Span `json:"silences"`
	// Overtalks are the overlaps of at least 1 s; By is who started second.
	Overtalks []models.Overtalk `json:"overtalks"`
	// Events are the sounds that are not speech, as the analysis reports
	// them: hold music on the agent's channel (the whole melody) and key
	// presses on the customer's (first tone's start to last tone's end,
	// with the number of presses, never the digits). Calls without any
	// leave it out, so their truth files keep their old bytes.
	Events []models.Event `json:"events,omitempty"`
}

// minTruthGap is the shortest silence or overtalk listed in a Truth.
const minTruthGap = 1.0

// holds returns the spans of the hold-music events, in order.
func holds(events []models.Event) []models.Span {
	var out []models.Span
	for _, e := range events {
		if e.Type == models.EventHoldMusic {
			out = append(out, models.Span{e.Start, e.End})
		}
	}
	return out
}

// builtCall is a call rendered to audio, with its sidecars and measurements.
type builtCall struct {
	spec       callSpec
	chans      [][]float64 // channel 0 agent, 1 customer
	transcript models.Transcript
	truth      Truth
	durS       float64
	// agentCPM is Han characters of agent text per minute of agent
	// utterance time.
	agentCPM float64
	// agentSpeechDB is the RMS of the agent channel over the agent's truth
	// spans; agentChanDB over the whole channel (hiss included).
	agentSpeechDB, agentChanDB float64
	agentPeakDB                float64
}

// seconds converts a sample index to seconds rounded to the millisecond.
func seconds(n int) float64 {
	return math.Round(float64(n)*1000/sampleRate) / 1000
}

// build synthesises and places every line of spec, adds line hiss from a
// generator seeded with seed and derives the transcript and the truth.
func build(ctx context.Context, syn synthesizer, spec callSpec, seed uint64) (*builtCall, error) {
	agentDB, custDB := spec.agentDB, spec.custDB
	if agentDB == 0 {
		agentDB = normalDB
	}
	if custDB == 0 {
		custDB = normalDB
	}
	agentHiss := spec.agentHissDB
	if agentHiss == 0 {
		agentHiss = hissDB
	}
	speed := func(who string) int {
		if who == models.SpeakerAgent && spec.agentSpeed != 0 {
			return spec.agentSpeed
		}
		if who == models.SpeakerCustomer && spec.custSpeed != 0 {
			return spec.custSpeed
		}
		return normalSpeed
	}

	type placed struct {
		l     line
		c     *clip
		start int
	}
	var ps []placed
	end := int(math.Round(spec.lead * sampleRate))
	lastEnd := map[string]int{}
	for i, l := range spec.lines {
		var c *clip
		var err error
		if l.sound != "" {
			c, err = sound(l, seed)
		} else {
			say := l.say
			if say == "" {
				say = l.text
			}
			voice, db := spec.custVoice, custDB
			if l.who == models.SpeakerAgent {
				voice, db = spec.agentVoice, agentDB
			}
			c, err = syn.synth(ctx, voice, speed(l.who), say, db)
		}
		if err != nil {
			return nil, fmt.Errorf("build %s line %d: %w", spec.meta.CallID, i, err)
		}
		start := end
		if i > 0 {
			gap := l.gap
			if gap == 0 {
				gap = turnGap
			}
			start = end + int(math.Round(gap*sampleRate))
		}
		if start < lastEnd[l.who] {
			return nil, fmt.Errorf("build %s line %d: %s overlaps their own previous line", spec.meta.CallID, i, l.who)
		}
		ps = append(ps, placed{l: l, c: c, start: start})
		end = start + len(c.samples)
		lastEnd[l.who] = end
	}
	total := 0
	for _, p := range ps {
		total = max(total, p.start+len(p.c.samples))
	}
	total += int(math.Round(spec.tail * sampleRate))

	// Line hiss first (channel by channel, so the stream of random numbers
	// is fixed), then the speech on top.
	rng := rand.New(rand.NewPCG(20261125, seed))
	chans := [][]float64{make([]float64, total), make([]float64, total)}
	for ch, db := range []float64{agentHiss, hissDB} {
		amp := math.Pow(10, db/20)
		for i := range chans[ch] {
			chans[ch][i] = rng.NormFloat64() * amp
		}
	}

	b := &builtCall{spec: spec, chans: chans, durS: float64(total) / sampleRate, agentPeakDB: math.Inf(-1)}
	b.transcript.Utterances = []models.Utterance{}
	var agentChars int
	var agentTalk float64
	for _, p := range ps {
		ch := models.DefaultChannels.Customer
		if p.l.who == models.SpeakerAgent {
			ch = models.DefaultChannels.Agent
		}
		for i, v := range p.c.samples {
			chans[ch][p.start+i] += v
		}
		if p.l.sound != "" {
			if ch == models.DefaultChannels.Agent {
				b.agentPeakDB = max(b.agentPeakDB, p.c.peakDB)
			}
			runs := p.c.runs
			e := models.Event{
				Type:    p.l.sound,
				Start:   seconds(p.start + runs[0][0]),
				End:     seconds(p.start + runs[len(runs)-1][1]),
				Speaker: p.l.who,
			}
			if p.l.sound == models.EventDTMF {
				e.Presses = len(runs)
			}
			b.truth.Events = append(b.truth.Events, e)
			continue
		}
		u := models.Utterance{
			Speaker: p.l.who,
			Start:   seconds(p.start),
			End:     seconds(p.start + len(p.c.samples)),
			Text:    p.l.text,
		}
		b.transcript.Utterances = append(b.transcript.Utterances, u)
		spans := &b.truth.Customer
		if p.l.who == models.SpeakerAgent {
			spans = &b.truth.Agent
			agentChars += hanCount(p.l.text)
			agentTalk += u.End - u.Start
			b.agentPeakDB = max(b.agentPeakDB, p.c.peakDB)
		}
		for _, r := range p.c.runs {
			*spans = append(*spans, models.Span{seconds(p.start + r[0]), seconds(p.start + r[1])})
		}
	}
	b.agentCPM = float64(agentChars) / agentTalk * 60
	b.truth.Silences, b.truth.Overtalks = derive(b.truth.Agent, b.truth.Customer, holds(b.truth.Events))
	b.agentSpeechDB = spanRMS(chans[models.DefaultChannels.Agent], b.truth.Agent)
	b.agentChanDB = spanRMS(chans[models.DefaultChannels.Agent], []models.Span{{0, b.durS}})
	return b, nil
}

// derive finds the silences and overtalks of at least minTruthGap from the
// speech spans of both sides. A hold is not a silence: the time of the holds
// is cut out of the gaps, and what is left must still be minTruthGap long
// (as the analysis does it). Key presses are: nobody speaks.
func derive(agent, cust, holds []models.Span) (silences []models.Span, overtalks []models.Overtalk) {
	silences, overtalks = []models.Span{}, []models.Overtalk{}
	for _, g := range subtract(gaps(agent, cust), holds) {
		if g[1]-g[0] >= minTruthGap {
			silences = append(silences, g)
		}
	}
	for _, a := range agent {
		for _, c := range cust {
			s, e := max(a[0], c[0]), min(a[1], c[1])
			if e-s < minTruthGap {
				continue
			}
			by := models.SpeakerCustomer
			if a[0] > c[0] {
				by = models.SpeakerAgent
			}
			overtalks = append(overtalks, models.Overtalk{Start: s, End: e, By: by})
		}
	}
	slices.SortFunc(overtalks, func(a, b models.Overtalk) int {
		if a.Start < b.Start {
			return -1
		}
		if a.Start > b.Start {
			return 1
		}
		return 0
	})
	return silences, overtalks
}

// gaps returns the gaps between the speech spans of both sides where
// neither speaks, between the first and the last speech, in order.
func gaps(agent, cust []models.Span) []models.Span {
	all := append(slices.Clone(agent), cust...)
	slices.SortFunc(all, func(a, b models.Span) int { return cmp.Compare(a[0], b[0]) })
	var out []models.Span
	if len(all) > 0 {
		reach := all[0][1]
		for _, s := range all[1:] {
			if s[0] > reach {
				out = append(out, models.Span{reach, s[0]})
			}
			reach = max(reach, s[1])
		}
	}
	return out
}

// subtract returns the parts of spans outside cut; both must be sorted and
// cut disjoint.
func subtract(spans, cut []models.Span) []models.Span {
	var out []models.Span
	for _, s := range spans {
		a := s[0]
		for _, c := range cut {
			if c[1] <= a || c[0] >= s[1] {
				continue
			}
			if c[0] > a {
				out = append(out, models.Span{a, c[0]})
			}
			a = max(a, c[1])
		}
		if a < s[1] {
			out = append(out, models.Span{a, s[1]})
		}
	}
	return out
}

// sound renders a line that is not speech as a clip whose runs are where
// it sounds: the whole hold music, or each key press. seed is the call's,
// so that every call has its own melody. The sounds are the analysis
// tests' own (internal/testaudio, meant for test binaries: the generator
// is a development tool, never part of the callqa binary).
func sound(l line, seed uint64) (*clip, error) {
	var x []float32
	var runs [][2]int
	switch l.sound {
	case models.EventHoldMusic:
		if l.holdS <= 0 {
			return nil, fmt.Errorf("sound: hold of %v s", l.holdS)
		}
		x = testaudio.Melody(sampleRate, l.holdS, holdDB, seed)
		runs = [][2]int{{0, len(x)}}
	case models.EventDTMF:
		var presses []models.Span
		x, presses = testaudio.SlowDTMF(l.digits).Render(sampleRate)
		if len(presses) == 0 {
			return nil, fmt.Errorf("sound: no keypad digit in %q", l.digits)
		}
		for _, p := range presses {
			runs = append(runs, [2]int{testaudio.Samples(sampleRate, p[0]), testaudio.Samples(sampleRate, p[1])})
		}
		// The run ends with a pause after the last tone: the next line's
		// gap counts from the last tone.
		x = x[:runs[len(runs)-1][1]]
	default:
		return nil, fmt.Errorf("sound: unknown sound %q", l.sound)
	}
	c := &clip{samples: make([]float64, len(x)), runs: runs, peakDB: testaudio.PeakDBFS(x)}
	for i, v := range x {
		c.samples[i] = float64(v)
	}
	c.levelDB = spanRMS(c.samples, []models.Span{{0, float64(len(x)) / sampleRate}})
	return c, nil
}

// spanRMS is the RMS of x over the spans, in dBFS.
func spanRMS(x []float64, spans []models.Span) float64 {
	sum, n := 0.0, 0
	for _, s := range spans {
		a := int(math.Round(s[0] * sampleRate))
		e := min(int(math.Round(s[1]*sampleRate)), len(x))
		for _, v := range x[a:e] {
			sum += v * v
		}
		n += e - a
	}
	if n == 0 || sum == 0 {
		return -100
	}
	return 10 * math.Log10(sum/float64(n))
}

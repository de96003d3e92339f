package scale

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/callqa/callqa/models"
)

// Thresholds of the generated metrics, as the analysis reports them.
const (
	// listedSilence is the shortest gap listed in Metrics.Silences.
	listedSilence = 3.0
	// longSilence is the shortest gap the generator places for a hit of a
	// silence rule (the built-in card's dead_air is 8 s).
	longSilence = 8.5
	// longOvertalk is the overlap the generator places for a hit of an
	// overtalk rule (the card's agent_interrupts is 1 s).
	longOvertalk = 1.1
	// holdMin is the shortest hold the generator places for a hit of a
	// hold rule (the card's max_seconds is 60).
	holdMin = 65.0
)

// track is a call's generated speech: who spoke when, and the spans the
// findings point at.
type track struct {
	agent, customer []models.Span
	// long are the silences placed for silence hits, overtalk the agent's
	// interruptions placed for overtalk hits, holds the holds.
	long, overtalk, holds []models.Span
}

type event struct {
	at   float64
	kind int
}

const (
	evSilence = iota
	evOvertalk
	evHold
)

func round2(x float64) float64 { return math.Round(x*100) / 100 }

// timeline draws speech segments alternating every few seconds between
// agent and customer over dur seconds, with the long silences, agent
// interruptions and holds that p's hits need placed along the call.
func timeline(r *rand.Rand, dur float64, p plan) *track {
	var evs []event
	for kind, n := range []int{evSilence: p.longSilences, evOvertalk: p.overtalks, evHold: p.hold} {
		for range n {
			evs = append(evs, event{at: dur * (0.1 + 0.8*r.Float64()), kind: kind})
		}
	}
	sort.Slice(evs, func(i, j int) bool {
		if evs[i].at != evs[j].at {
			return evs[i].at < evs[j].at
		}
		return evs[i].kind < evs[j].kind
	})
	tr := &track{}
	t := round2(0.3 + 0.7*r.Float64())
	agent := true
	var prevStart float64
	for t < dur-0.5 {
		end := round2(math.Min(t+1.2+math.Min(r.ExpFloat64()*3.5, 14), dur))
		seg := models.Span{t, end}
		if agent {
			tr.agent = append(tr.agent, seg)
		} else {
			tr.customer = append(tr.customer, seg)
		}
		prevStart = t
		next := !agent
		if r.Float64() < 0.12 {
			next = agent // the same side goes on after a pause
		}
		gap := 0.2 + r.Float64()
		switch x := r.Float64(); {
		case len(evs) > 0 && evs[0].at <= end:
			switch evs[0].kind {
			case evSilence:
				gap = longSilence + 10*r.Float64()
				tr.long = append(tr.long, models.Span{end, round2(math.Min(end+gap, dur))})
				evs = evs[1:]
			case evHold:
				gap = holdMin + 40*r.Float64()
				tr.holds = append(tr.holds, models.Span{end, round2(math.Min(end+gap, dur))})
				next = true // the agent comes back
				evs = evs[1:]
			case evOvertalk:
				if agent || end-prevStart < longOvertalk+0.3 {
					break // the agent interrupts the customer: wait for a customer turn
				}
				ovl := longOvertalk + math.Min(r.Float64()*1.5, end-prevStart-longOvertalk-0.2)
				gap, next = -ovl, true
				tr.overtalk = append(tr.overtalk, models.Span{round2(end - ovl), end})
				evs = evs[1:]
			}
		case x < 0.05:
			gap = listedSilence + 4*r.Float64() // a pause, shorter than a hit
		case x < 0.09 && end-prevStart > 1.2:
			gap = -(0.2 + 0.6*r.Float64()) // a brief overlap
			next = !agent
		}
		t = round2(end + gap)
		agent = next
	}
	return tr
}

// metrics computes the call's metrics from its speech.
func (tr *track) metrics(r *rand.Rand, p plan) *models.Metrics {
	speaker := func(segs []models.Span, rms float64) *models.SpeakerMetrics {
		talk := 0.0
		for _, s := range segs {
			talk += s[1] - s[0]
		}
		cpm := math.Round(180 + 70*r.Float64())
		m := &models.SpeakerMetrics{TalkS: round2(talk), Segments: segs, RMSDBFS: math.Round((rms-4-2*r.Float64())*10) / 10,
			PeakDBFS: math.Round(-(0.5+5*r.Float64())*10) / 10, SpeechRMSDBFS: math.Round(rms*10) / 10, SpeechRateCPM: &cpm}
		if segs == nil {
			m.Segments = []models.Span{}
		}
		return m
	}
	agentRMS := -18 - 8*r.Float64()
	if p.slowLevel {
		agentRMS = -41 - 5*r.Float64()
	}
	m := &models.Metrics{
		Agent:         speaker(tr.agent, agentRMS),
		Customer:      speaker(tr.customer, -18-10*r.Float64()),
		Silences:      []models.Span{},
		Overtalks:     []models.Overtalk{},
		Interruptions: map[string]int{models.SpeakerAgent: 0, models.SpeakerCustomer: 0},
	}
	if p.fast {
		v := math.Round(285 + 40*r.Float64())
		m.Agent.SpeechRateCPM = &v
	}
	// Silences: the gaps in the union of both sides' speech.
	all := append(append([]models.Span{}, tr.agent...), tr.customer...)
	sort.Slice(all, func(i, j int) bool { return all[i][0] < all[j][0] })
	reach := 0.0
	for _, s := range all {
		if s[0]-reach >= listedSilence && !tr.inHold(reach) {
			m.Silences = append(m.Silences, models.Span{reach, s[0]})
			m.SilenceS += s[0] - reach
		}
		reach = math.Max(reach, s[1])
	}
	m.SilenceS = round2(m.SilenceS)
	// Overtalks: where both speak; by whoever started last.
	for _, a := range tr.agent {
		for _, c := range tr.customer {
			lo, hi := math.Max(a[0], c[0]), math.Min(a[1], c[1])
			if hi-lo < 0.2 {
				continue
			}
			by := models.SpeakerAgent
			if c[0] > a[0] {
				by = models.SpeakerCustomer
			}
			m.Overtalks = append(m.Overtalks, models.Overtalk{Start: round2(lo), End: round2(hi), By: by})
			m.OvertalkS += hi - lo
			m.Interruptions[by]++
		}
	}
	m.OvertalkS = round2(m.OvertalkS)
	for _, h := range tr.holds {
		m.Events = append(m.Events, models.Event{Type: models.EventHoldMusic, Start: h[0], End: h[1]})
		m.HoldS += h[1] - h[0]
	}
	m.HoldS = round2(m.HoldS)
	return m
}

func (tr *track) inHold(t float64) bool {
	for _, h := range tr.holds {
		if t >= h[0]-0.01 && t < h[1] {
			return true
		}
	}
	return false
}

// envelope is the level of each side in 100 ms steps, in dBFS as int8:
// speech around -20, the line's noise around -55, hold music on the
// agent's side.
func (tr *track) envelope(r *rand.Rand, dur float64) *models.Envelope {
	n := int(math.Ceil(dur * 10))
	level := func(segs []models.Span, music []models.Span) []int8 {
		out := make([]int8, n)
		var bits uint64
		k, h := 0, 0
		for i := range out {
			if i%16 == 0 {
				bits = r.Uint64()
			}
			noise := int8(bits & 15)
			bits >>= 4
			t := float64(i)/10 + 0.05
			for k < len(segs) && segs[k][1] < t {
				k++
			}
			for h < len(music) && music[h][1] < t {
				h++
			}
			switch {
			case k < len(segs) && segs[k][0] <= t:
				out[i] = -28 + noise
			case h < len(music) && music[h][0] <= t:
				out[i] = -34 + noise/2
			default:
				out[i] = -56 + noise/4
			}
		}
		return out
	}
	return &models.Envelope{Step: 0.1, Agent: level(tr.agent, tr.holds), Customer: level(tr.customer, nil)}
}

// findings are the findings of p's hits, pointing at the spans the
// timeline placed for them, in time order.
func (g *Generator) findings(r *rand.Rand, p plan, tr *track, dur float64) []models.Finding {
	var out []models.Finding
	spent := map[string]float64{}
	for i := range g.card.Rules {
		rule := &g.card.Rules[i]
		n := p.hits[rule]
		for k := range n {
			f := models.Finding{Rule: rule.ID, Name: rule.Name, Speaker: rule.Speaker, Veto: rule.Veto, Review: rule.Review, Indicator: rule.Indicator}
			cost := rule.Deduct
			if limit := math.Max(rule.MaxDeduct, rule.Deduct); spent[rule.ID]+cost > limit {
				cost = math.Max(limit-spent[rule.ID], 0)
			}
			spent[rule.ID] += cost
			f.Deduct = cost
			span := func(list []models.Span, minLen float64) models.Span {
				if k < len(list) {
					return list[k]
				}
				// Not placed (a short call): half way, as long as a hit.
				at := round2(dur*0.5 + float64(k))
				return models.Span{at, round2(at + minLen)}
			}
			switch rule.Type {
			case models.RuleSilence:
				s := span(tr.long, longSilence)
				v := round2(s[1] - s[0])
				f.Start, f.End, f.Value, f.Unit, f.Limit = s[0], s[1], &v, models.UnitSeconds, ptr(rule.MinSeconds)
				f.Evidence = fmt.Sprintf("%.1f s", v)
			case models.RuleOvertalk:
				s := span(tr.overtalk, longOvertalk)
				v := round2(s[1] - s[0])
				f.Start, f.End, f.Value, f.Unit, f.Limit = s[0], s[1], &v, models.UnitSeconds, ptr(rule.MinSeconds)
				f.Evidence = fmt.Sprintf("抢话 %.1f s", v)
			case models.RuleHold:
				s := span(tr.holds, holdMin)
				v := round2(s[1] - s[0])
				f.Start, f.End, f.Value, f.Unit, f.Limit = s[0], s[1], &v, models.UnitSeconds, ptr(rule.MaxSeconds)
				f.Evidence = fmt.Sprintf("保持 %.0f s，超过 %.0f s", v, rule.MaxSeconds)
			case models.RuleSpeechRate:
				v := round2(285 + 40*r.Float64())
				f.Start, f.End, f.Value, f.Unit, f.Limit = 0, dur, &v, models.UnitCPM, ptr(rule.MaxCPM)
				f.Evidence = fmt.Sprintf("%.0f 字/分钟", v)
			case models.RuleLevel:
				v := round2(-41 - 5*r.Float64())
				lim := -40.0
				if rule.MinRMSDBFS != nil {
					lim = *rule.MinRMSDBFS
				}
				f.Start, f.End, f.Value, f.Unit, f.Limit = 0, dur, &v, models.UnitDBFS, &lim
				f.Evidence = fmt.Sprintf("%.1f dBFS", v)
			default: // keyword and regex rules
				if rule.Expect == "absent" {
					segs := tr.agent
					if rule.Speaker == models.SpeakerCustomer {
						segs = tr.customer
					}
					s := span(nil, 2.5)
					if len(segs) > 0 {
						s = segs[r.IntN(len(segs))]
					}
					phrase := "…"
					if len(rule.Any) > 0 {
						phrase = rule.Any[r.IntN(len(rule.Any))]
					}
					f.Start, f.End = s[0], s[1]
					f.Evidence = phrase
					f.Matches = []models.Match{{Phrase: phrase, How: models.MatchExact, Start: 4, End: 4 + len([]rune(phrase)), NormStart: 4, NormEnd: 4 + len([]rune(phrase))}}
				} else {
					f.Start, f.End = 0, math.Min(dur, 15)
					if rule.Within != nil && rule.Within.LastSeconds > 0 {
						f.Start, f.End = round2(math.Max(dur-rule.Within.LastSeconds, 0)), dur
					}
					f.Missing = append([]string(nil), rule.Any...)
					f.Evidence = "未说：" + strings.Join(rule.Any, "/")
				}
			}
			out = append(out, f)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Start < out[j].Start })
	return out
}

func ptr(v float64) *float64 { return &v }

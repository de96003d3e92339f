package main

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode"

	"github.com/mozillazg/go-pinyin"

	"github.com/callqa/callqa/models"
)

// ruleWords are the keywords of the default scorecard
// (scorecards/hotline-12333.yaml, version 2). The checks in evaluate are a
// deliberately simple mirror of its rules, with safety margins, so that no
// sample sits on a rule's threshold. They are stricter than the scorecard
// where it matters for a clean sample: taboo and complaint words are
// matched by pinyin too, although the scorecard matches them exactly.
type ruleWords struct {
	greeting, job, closing, taboo, complaint, announce []string
}

// defaultWords returns the keywords of the default scorecard.
func defaultWords() ruleWords {
	return ruleWords{
		greeting:  []string{"您好", "你好"},
		job:       []string{"工号"},
		closing:   []string{"感谢您的来电", "再见", "祝您生活愉快", "还有其他可以帮您"},
		taboo:     []string{"不知道", "不归我们管", "你自己去查", "听不懂吗", "我说过了", "没办法", "找别人去"},
		complaint: []string{"投诉", "12345", "媒体", "记者", "曝光", "市长热线"},
		announce:  []string{"请您稍等", "请稍等", "请稍候", "请您稍候", "稍等一下", "稍等片刻", "请不要挂机"},
	}
}

// hanCount counts the Han characters of s.
func hanCount(s string) int {
	n := 0
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			n++
		}
	}
	return n
}

// syllables is the toneless pinyin of the Han characters of s.
func syllables(s string) []string {
	return pinyin.LazyPinyin(s, pinyin.NewArgs())
}

// containsExact reports whether text contains one of words.
func containsExact(text string, words []string) bool {
	for _, w := range words {
		if strings.Contains(text, w) {
			return true
		}
	}
	return false
}

// containsPinyin reports whether the pinyin of text contains the pinyin of
// one of the Han words as consecutive syllables.
func containsPinyin(text string, words []string) bool {
	t := syllables(text)
	for _, w := range words {
		k := syllables(w)
		if len(k) == 0 || len(k) > len(t) {
			continue
		}
		for i := 0; i+len(k) <= len(t); i++ {
			if slices.Equal(t[i:i+len(k)], k) {
				return true
			}
		}
	}
	return false
}

// mentions reports whether text contains one of words, exactly or by pinyin.
func mentions(text string, words []string) bool {
	return containsExact(text, words) || containsPinyin(text, words)
}

// utterancesOf returns the utterances of one speaker.
func utterancesOf(t models.Transcript, who string) []models.Utterance {
	var out []models.Utterance
	for _, u := range t.Utterances {
		if u.Speaker == who {
			out = append(out, u)
		}
	}
	return out
}

// Limits of the default scorecard's hold rule.
const (
	holdMaxS      = 60.0  // max_seconds: one hold
	holdMaxTotalS = 180.0 // max_total_seconds: all holds of a call
	announceS     = 20.0  // announce_within_seconds before the hold starts
	announceLateS = 2.0   // an announcement may start this far into the hold
)

// measures are the figures the checks are made on, printed by the generator.
type measures struct {
	maxSilence, agentOvertalk, anyOverlap float64
	// holdS is the total time of the holds; presses the number of keys.
	holdS   float64
	presses int
}

// evaluate returns the ids of the default-scorecard rules the built call
// trips, or an error when a figure is too close to a rule's threshold to be
// a clean sample.
func evaluate(b *builtCall) ([]string, measures, error) {
	kw := defaultWords()
	var fired, problems []string
	fail := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	agent := utterancesOf(b.transcript, models.SpeakerAgent)
	cust := utterancesOf(b.transcript, models.SpeakerCustomer)

	// greeting: 您好/你好 in an agent utterance starting in the first 10 s.
	first := func(words []string, within float64, match func(string, []string) bool) (models.Utterance, bool) {
		for _, u := range agent {
			if u.Start < within && match(u.Text, words) {
				return u, true
			}
		}
		return models.Utterance{}, false
	}
	if u, ok := first(kw.greeting, 10, mentions); ok {
		if u.Start > 5 {
			fail("greeting starts at %.2f s, too close to 10 s", u.Start)
		}
	} else {
		fired = append(fired, "greeting")
		if _, ok := first(kw.greeting, 20, mentions); ok {
			fail("missing greeting, but one starts before 20 s")
		}
	}
	// job_number: 工号 in the first 15 s.
	if u, ok := first(kw.job, 15, mentions); ok {
		if u.Start > 8 || u.End > 13 {
			fail("job number at %.2f-%.2f s, too close to 15 s", u.Start, u.End)
		}
	} else {
		fired = append(fired, "job_number")
	}
	if b.spec.asr {
		if _, ok := first(kw.greeting, 10, containsExact); ok {
			fail("ASR call: the greeting matches without pinyin")
		}
		if _, ok := first(kw.job, 15, containsExact); ok {
			fail("ASR call: the job number matches without pinyin")
		}
	}
	// closing: an agent utterance ending in the last 20 s.
	closing := false
	for _, u := range agent {
		if u.End > b.durS-20 && mentions(u.Text, kw.closing) {
			closing = true
			if u.End < b.durS-10 {
				fail("closing ends %.2f s before the end, too close to 20 s", b.durS-u.End)
			}
		}
	}
	if !closing {
		fired = append(fired, "closing")
	}
	// taboo (agent) and complaint_risk (customer).
	for _, u := range agent {
		if mentions(u.Text, kw.taboo) {
			fired = append(fired, "taboo")
			break
		}
	}
	for _, u := range cust {
		if mentions(u.Text, kw.complaint) {
			fired = append(fired, "complaint_risk")
			break
		}
	}

	var m measures
	// dead_air: the longest gap where neither side speaks, outside the
	// holds (a hold is not a silence; key presses are not speech, so
	// they are part of a gap).
	hs := holds(b.truth.Events)
	for _, g := range subtract(gaps(b.truth.Agent, b.truth.Customer), hs) {
		m.maxSilence = max(m.maxSilence, g[1]-g[0])
	}
	switch {
	case m.maxSilence >= 8:
		fired = append(fired, "dead_air")
		if m.maxSilence < 10 {
			fail("dead air of %.2f s is too close to 8 s", m.maxSilence)
		}
	case m.maxSilence > 5:
		fail("a silence of %.2f s is too close to 8 s", m.maxSilence)
	}
	// agent_interrupts: the agent starts while the customer talks, >= 1 s.
	for _, a := range b.truth.Agent {
		for _, c := range b.truth.Customer {
			o := min(a[1], c[1]) - max(a[0], c[0])
			if o <= 0 {
				continue
			}
			m.anyOverlap = max(m.anyOverlap, o)
			if a[0] > c[0] {
				m.agentOvertalk = max(m.agentOvertalk, o)
			}
		}
	}
	if m.agentOvertalk >= 1.0 {
		fired = append(fired, "agent_interrupts")
		if m.agentOvertalk < 1.5 {
			fail("agent overtalk of %.2f s is too close to 1 s", m.agentOvertalk)
		}
	} else if m.anyOverlap > 0 {
		fail("an overlap of %.2f s in a call without interruption", m.anyOverlap)
	}
	// fast_speech: more than 280 Han characters a minute of agent talk.
	switch {
	case b.agentCPM > 280:
		fired = append(fired, "fast_speech")
		if b.agentCPM < 320 {
			fail("agent rate %.0f cpm is too close to 280", b.agentCPM)
		}
	case b.agentCPM < 150 || b.agentCPM > 230:
		fail("agent rate %.0f cpm is outside the normal 150-230", b.agentCPM)
	}
	// agent_level: RMS below -40 dBFS or clipping.
	if b.agentChanDB < -40 {
		fired = append(fired, "agent_level")
		if b.agentSpeechDB > -44 {
			fail("agent speech at %.1f dBFS is too close to -40", b.agentSpeechDB)
		}
		// A VAD may not hear so quiet an agent: even then the customer's
		// turns alone must not leave a gap that looks like dead air.
		if g := maxGap(b.truth.Customer); g > 6 {
			fail("quiet agent: %.2f s between customer turns could read as dead air", g)
		}
	} else if b.agentChanDB < -32 || b.agentPeakDB > -0.9 {
		fail("agent level %.1f dBFS (peak %.1f) is not a clean pass", b.agentChanDB, b.agentPeakDB)
	}
	// hold: one hold over 60 s, all holds over 180 s, or a hold the agent
	// did not announce in the 20 s before it.
	if h := checkHolds(b, hs, kw.announce, fail); h {
		fired = append(fired, "hold")
	}
	for _, h := range hs {
		m.holdS += h[1] - h[0]
	}
	for _, e := range b.truth.Events {
		m.presses += e.Presses
	}
	// short_call is below 10 s; the samples keep to minDur-maxDur, or to
	// the call's own maxDurS where its scenario needs more time.
	longest := maxDur
	if b.spec.maxDurS > 0 {
		longest = b.spec.maxDurS
	}
	if b.durS < minDur || b.durS > longest {
		fail("duration %.1f s is outside %.0f-%.0f s", b.durS, minDur, longest)
	}

	want := slices.Sorted(slices.Values(b.spec.expect))
	// A rule fires once for the checks, however many findings it makes.
	got := slices.Compact(slices.Sorted(slices.Values(fired)))
	if !slices.Equal(want, got) {
		fail("trips %v, want %v", got, want)
	}
	if len(problems) > 0 {
		return got, m, fmt.Errorf("%s: %s", b.spec.meta.CallID, strings.Join(problems, "; "))
	}
	return got, m, nil
}

// checkHolds reports whether the holds trip the hold rule, and calls fail
// for a hold whose length or announcement is too close to a limit: the
// analysis finds the music's edges to within about a second, and a
// "请您稍等" said 19 s before the hold is not a clean sample either way.
func checkHolds(b *builtCall, hs []models.Span, announce []string, fail func(string, ...any)) bool {
	trips := false
	total := 0.0
	for _, h := range hs {
		d := h[1] - h[0]
		total += d
		switch {
		case d > holdMaxS:
			trips = true
			if d < holdMaxS+4 {
				fail("hold of %.2f s is too close to %.0f s", d, holdMaxS)
			}
		case d > holdMaxS-4:
			fail("hold of %.2f s is too close to %.0f s", d, holdMaxS)
		}
		// The latest end of an announcing agent utterance before the
		// hold starts (or a little into it).
		last := math.Inf(-1)
		for _, u := range utterancesOf(b.transcript, models.SpeakerAgent) {
			if u.Start <= h[0]+announceLateS && mentions(u.Text, announce) {
				last = max(last, u.End)
			}
		}
		switch before := h[0] - last; {
		case before <= announceS-5:
			// announced, well inside the window
		case before > announceS+5:
			trips = true // not announced
		default:
			fail("hold at %.2f s announced %.2f s before, too close to %.0f s", h[0], before, announceS)
		}
	}
	switch {
	case total > holdMaxTotalS:
		trips = true
		if total < holdMaxTotalS+10 {
			fail("holds of %.2f s in all are too close to %.0f s", total, holdMaxTotalS)
		}
	case total > holdMaxTotalS-10:
		fail("holds of %.2f s in all are too close to %.0f s", total, holdMaxTotalS)
	}
	return trips
}

// maxGap is the longest gap between the spans, which must be sorted by start.
func maxGap(spans []models.Span) float64 {
	if len(spans) == 0 {
		return 0
	}
	g, reach := 0.0, spans[0][1]
	for _, s := range spans[1:] {
		g = max(g, s[0]-reach)
		reach = max(reach, s[1])
	}
	return g
}

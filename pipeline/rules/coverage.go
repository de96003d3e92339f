package rules

import (
	"math"
	"slices"
	"sort"

	"github.com/callqa/callqa/models"
)

// coverPad widens every utterance on both sides when it is laid over the
// detected speech: voice activity and ASR timestamps commonly disagree by a
// few tenths of a second at each end of a stretch of speech.
const coverPad = 0.3

// Thresholds of a window's coverage: a window is not covered when at least
// minUncoveredS seconds, and more than half, of the speech detected in it
// has no utterance over it.
const (
	minUncoveredS  = 1.0
	minWindowShare = 0.5
)

// TranscriptCoverage returns, per speaker with detected speech, the share
// of its speech (m's segments) that t's utterances cover: agent and
// customer for a stereo recording (each against its own utterances),
// mixed for a mono one (against every utterance). Utterances are widened by
// 0.3 s on each side. Shares are rounded to 0.01. It returns nil when t or
// m is nil or no speaker has detected speech.
func TranscriptCoverage(t *models.Transcript, m *models.Metrics) map[string]float64 {
	if t == nil || m == nil {
		return nil
	}
	var out map[string]float64
	add := func(speaker string, sm *models.SpeakerMetrics, uttSpeaker string) {
		if sm == nil {
			return
		}
		total, covered := covered(sm.Segments, utteranceSpans(t, uttSpeaker), math.Inf(-1), math.Inf(1))
		if total <= 0 {
			return
		}
		if out == nil {
			out = make(map[string]float64, 2)
		}
		out[speaker] = math.Round(covered/total*100) / 100
	}
	if isMono(m) {
		add(models.SpeakerMixed, m.Mixed, "")
	} else {
		add(models.SpeakerAgent, m.Agent, models.SpeakerAgent)
		add(models.SpeakerCustomer, m.Customer, models.SpeakerCustomer)
	}
	return out
}

// utteranceSpans returns the utterances of speaker (empty: everyone),
// widened by coverPad, sorted and merged.
func utteranceSpans(t *models.Transcript, speaker string) []models.Span {
	var spans []models.Span
	for _, u := range t.Utterances {
		if speaker == "" || u.Speaker == speaker {
			spans = append(spans, models.Span{u.Start - coverPad, u.End + coverPad})
		}
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i][0] < spans[j][0] })
	merged := spans[:0]
	for _, s := range spans {
		if n := len(merged); n > 0 && s[0] <= merged[n-1][1] {
			merged[n-1][1] = math.Max(merged[n-1][1], s[1])
			continue
		}
		merged = append(merged, s)
	}
	return merged
}

// covered returns the length of segs within [from, to], and how much of it
// the sorted, disjoint spans cover.
func covered(segs []models.Span, spans []models.Span, from, to float64) (total, cov float64) {
	for _, s := range segs {
		a, b := math.Max(s[0], from), math.Min(s[1], to)
		if b <= a {
			continue
		}
		total += b - a
		k := sort.Search(len(spans), func(i int) bool { return spans[i][1] > a })
		for ; k < len(spans) && spans[k][0] < b; k++ {
			cov += math.Min(b, spans[k][1]) - math.Max(a, spans[k][0])
		}
	}
	return total, cov
}

// coverage is what the transcript covers of one call, computed once.
type coverage struct {
	has   map[string]bool // speakers with at least one utterance
	first float64         // start of the first utterance
	last  float64         // end of the last one
	spans map[string][]models.Span
}

func (st *callState) coverage() *coverage {
	if st.cover != nil {
		return st.cover
	}
	cv := &coverage{has: map[string]bool{}, first: math.Inf(1), last: math.Inf(-1), spans: map[string][]models.Span{}}
	if t := st.call.Transcript; t != nil {
		for _, u := range t.Utterances {
			cv.has[u.Speaker] = true
			cv.first, cv.last = math.Min(cv.first, u.Start), math.Max(cv.last, u.End)
		}
	}
	st.cover = cv
	return cv
}

func (cv *coverage) spansOf(t *models.Transcript, speaker string) []models.Span {
	s, ok := cv.spans[speaker]
	if !ok {
		s = utteranceSpans(t, speaker)
		cv.spans[speaker] = s
	}
	return s
}

// speakerCovered reports whether the transcript covers speaker (agent or
// customer).
func (st *callState) speakerCovered(speaker string) bool {
	if st.call.Speakers != nil {
		return slices.Contains(st.call.Speakers, speaker)
	}
	if st.coverage().has[speaker] {
		return true
	}
	// No utterance: covered only if the audio shows the speaker silent.
	m := st.call.Metrics
	if m == nil || isMono(m) {
		return false
	}
	sm := m.Agent
	if speaker == models.SpeakerCustomer {
		sm = m.Customer
	}
	return sm == nil || (sm.TalkS <= 0 && len(sm.Segments) == 0)
}

// speakerReason is the not-evaluated reason of a rule about speaker (empty:
// anyone) when the transcript does not cover it, else "".
func (st *callState) speakerReason(speaker string) string {
	switch speaker {
	case models.SpeakerAgent:
		if !st.speakerCovered(speaker) {
			return ReasonAgentNotTranscribed
		}
	case models.SpeakerCustomer:
		if !st.speakerCovered(speaker) {
			return ReasonCustomerNotTranscribed
		}
	default:
		if !st.speakerCovered(models.SpeakerAgent) && !st.speakerCovered(models.SpeakerCustomer) {
			return ReasonNotTranscribed
		}
	}
	return ""
}

// uncovered is the not-evaluated reason of a keyword or regex rule that
// found nothing, when the transcript does not cover its speaker or its
// window; "" when it does.
func (st *callState) uncovered(r *compiledRule) string {
	if reason := st.speakerReason(r.Speaker); reason != "" {
		return reason
	}
	if r.Within == nil {
		return ""
	}
	from, to := st.window(r)
	cv := st.coverage()
	m := st.call.Metrics
	if m == nil {
		if cv.first <= to && cv.last >= from {
			return ""
		}
		return ReasonWindowNotTranscribed
	}
	var segs []models.Span
	speaker := r.Speaker
	switch {
	case isMono(m):
		if m.Mixed != nil {
			segs = m.Mixed.Segments
		}
		speaker = ""
	case r.Speaker == models.SpeakerAgent && m.Agent != nil:
		segs = m.Agent.Segments
	case r.Speaker == models.SpeakerCustomer && m.Customer != nil:
		segs = m.Customer.Segments
	case r.Speaker == "":
		for _, sm := range []*models.SpeakerMetrics{m.Agent, m.Customer} {
			if sm != nil {
				segs = append(segs, sm.Segments...)
			}
		}
	}
	total, cov := covered(segs, cv.spansOf(st.call.Transcript, speaker), from, to)
	if un := total - cov; un >= minUncoveredS-tolerance && cov < total*minWindowShare {
		return ReasonWindowNotTranscribed
	}
	return ""
}

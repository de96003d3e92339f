package rules

import (
	"fmt"
	"math"
	"sort"
	"unicode"

	"github.com/callqa/callqa/models"
)

func (st *callState) silence(r *compiledRule) ([]models.Finding, string) {
	m := st.call.Metrics
	if m == nil {
		return nil, ReasonNoMetrics
	}
	var out []models.Finding
	for _, s := range m.Silences {
		if d := s[1] - s[0]; d+tolerance >= r.MinSeconds {
			out = append(out, r.measured(s[0], s[1], "", seconds(d), round2(d), models.UnitSeconds, r.MinSeconds))
		}
	}
	return out, ""
}

func seconds(d float64) string { return fmt.Sprintf("%.1f s", d) }

func isMono(m *models.Metrics) bool {
	return m.Mixed != nil || (m.Agent == nil && m.Customer == nil)
}

func (st *callState) overtalk(r *compiledRule) ([]models.Finding, string) {
	m := st.call.Metrics
	if m == nil {
		return nil, ReasonNoMetrics
	}
	if isMono(m) {
		return nil, ReasonMono
	}
	var out []models.Finding
	for _, o := range m.Overtalks {
		if r.Speaker != "" && o.By != r.Speaker {
			continue
		}
		if d := o.End - o.Start; d+tolerance >= r.MinSeconds {
			out = append(out, r.measured(o.Start, o.End, o.By, seconds(d), round2(d), models.UnitSeconds, r.MinSeconds))
		}
	}
	return out, ""
}

// SpeechRateCPM is the speech rate of speaker (empty: everyone) in t: the
// Han characters of their utterances per minute of those utterances' total
// duration, less the time of the events (hold music, key presses, tones)
// on the speaker's channel within them, which is not speech. ok is false
// when t is nil or the speaker has no utterance of positive duration.
func SpeechRateCPM(t *models.Transcript, speaker string, events []models.Event) (cpm float64, ok bool) {
	if t == nil {
		return 0, false
	}
	var chars int
	var secs float64
	for _, u := range t.Utterances {
		if speaker != "" && u.Speaker != speaker {
			continue
		}
		d := u.End - u.Start
		for _, e := range events {
			if speaker == "" || e.Speaker == u.Speaker {
				d -= max(0, min(u.End, e.End)-max(u.Start, e.Start))
			}
		}
		secs += max(0, d)
		for _, r := range u.Text {
			if unicode.Is(unicode.Han, r) {
				chars++
			}
		}
	}
	if secs <= 0 {
		return 0, false
	}
	return float64(chars) / secs * 60, true
}

func (st *callState) speechRate(r *compiledRule) ([]models.Finding, string) {
	t := st.call.Transcript
	if t == nil {
		return nil, ReasonNoTranscript
	}
	if reason := st.speakerReason(r.Speaker); reason != "" {
		return nil, reason
	}
	var events []models.Event
	if m := st.call.Metrics; m != nil {
		events = m.Events
	}
	cpm, ok := SpeechRateCPM(t, r.Speaker, events)
	if !ok {
		who := r.Speaker
		if who == "" {
			who = "anyone"
		}
		return nil, "no speech by " + who + " in the transcript"
	}
	limit := 0.0
	switch {
	case r.MaxCPM > 0 && cpm > r.MaxCPM:
		limit = r.MaxCPM
	case r.MinCPM > 0 && cpm < r.MinCPM:
		limit = r.MinCPM
	default:
		return nil, ""
	}
	first, last := math.Inf(1), 0.0
	for _, u := range t.Utterances {
		if r.Speaker == "" || u.Speaker == r.Speaker {
			first, last = math.Min(first, u.Start), math.Max(last, u.End)
		}
	}
	return []models.Finding{r.measured(first, last, r.Speaker, fmt.Sprintf("%.0f 字/分", cpm), math.Round(cpm), models.UnitCPM, limit)}, ""
}

func (st *callState) duration(r *compiledRule) ([]models.Finding, string) {
	d := st.call.DurationS
	if d <= 0 {
		return nil, ReasonUnknownDuration
	}
	limit := 0.0
	switch {
	case r.ShorterThan > 0 && d < r.ShorterThan:
		limit = r.ShorterThan
	case r.LongerThan > 0 && d > r.LongerThan:
		limit = r.LongerThan
	default:
		return nil, ""
	}
	return []models.Finding{r.measured(0, d, "", seconds(d), round2(d), models.UnitSeconds, limit)}, ""
}

func (st *callState) level(r *compiledRule) ([]models.Finding, []string) {
	m := st.call.Metrics
	if m == nil {
		return nil, []string{ReasonNoMetrics}
	}
	type channel struct {
		speaker string
		sm      *models.SpeakerMetrics
	}
	var chans []channel
	suffix := ""
	switch {
	case isMono(m):
		chans = []channel{{models.SpeakerMixed, m.Mixed}}
		suffix = " (单声道混合)"
	case r.Speaker == models.SpeakerAgent:
		chans = []channel{{models.SpeakerAgent, m.Agent}}
	case r.Speaker == models.SpeakerCustomer:
		chans = []channel{{models.SpeakerCustomer, m.Customer}}
	default:
		chans = []channel{{models.SpeakerAgent, m.Agent}, {models.SpeakerCustomer, m.Customer}}
	}
	var out []models.Finding
	var reasons []string
	end := math.Max(st.call.DurationS, 0)
	for _, ch := range chans {
		if ch.sm == nil {
			reasons = append(reasons, "no "+ch.speaker+" channel")
			continue
		}
		if ch.sm.TalkS <= 0 {
			reasons = append(reasons, "no speech on the "+ch.speaker+" channel")
			continue
		}
		// Judge the voice, not the channel: the whole-channel RMS falls with
		// every second the speaker listens, which is not a level fault.
		lvl, clip := ch.sm.SpeechRMSDBFS, ch.sm.SpeechClippingRatio
		level := func(limit float64) models.Finding {
			return r.measured(0, end, ch.speaker, fmt.Sprintf("语音电平 %.1f dBFS%s", lvl, suffix),
				math.Round(lvl*10)/10, models.UnitDBFS, limit)
		}
		if r.MinRMSDBFS != nil && lvl < *r.MinRMSDBFS {
			out = append(out, level(*r.MinRMSDBFS))
		}
		if r.MaxRMSDBFS != nil && lvl > *r.MaxRMSDBFS {
			out = append(out, level(*r.MaxRMSDBFS))
		}
		if r.MaxClipping != nil && clip > *r.MaxClipping {
			out = append(out, r.measured(0, end, ch.speaker, fmt.Sprintf("削波 %.2f%%%s", clip*100, suffix),
				math.Round(clip*1e6)/1e6, models.UnitRatio, *r.MaxClipping))
		}
	}
	return out, reasons
}

// Not-evaluated reason of a hold rule's announcement check.
const ReasonHoldNotTranscribed = "holds found, but the agent's speech before them is not transcribed: announcement not checked"

// hold checks the holds of the call (the hold-music events, merged across
// channels): each longer than max_seconds, all of them longer than
// max_total_seconds, and, with announce, each not announced by the agent
// in the announce_within_seconds (default 30) before it starts or the
// first 2 s of it.
func (st *callState) hold(r *compiledRule) ([]models.Finding, string) {
	m := st.call.Metrics
	if m == nil {
		return nil, ReasonNoMetrics
	}
	var holds []models.Span
	for _, e := range m.Events {
		if e.Type == models.EventHoldMusic {
			holds = append(holds, models.Span{e.Start, e.End})
		}
	}
	holds = mergeSpans(holds)
	var out []models.Finding
	var total float64
	for _, h := range holds {
		d := h[1] - h[0]
		total += d
		if r.MaxSeconds > 0 && d > r.MaxSeconds+tolerance {
			out = append(out, r.measured(h[0], h[1], "", fmt.Sprintf("保持 %.1f s", d), round2(d), models.UnitSeconds, r.MaxSeconds))
		}
	}
	if r.MaxTotalSeconds > 0 && total > r.MaxTotalSeconds+tolerance {
		out = append(out, r.measured(holds[0][0], holds[len(holds)-1][1], "", fmt.Sprintf("保持共 %.1f s", total), round2(total), models.UnitSeconds, r.MaxTotalSeconds))
	}
	if len(r.phrases) == 0 || len(holds) == 0 {
		return out, ""
	}
	if st.call.Transcript == nil {
		return out, ReasonNoTranscript
	}
	if !st.speakerCovered(models.SpeakerAgent) {
		return out, ReasonHoldNotTranscribed
	}
	within := r.AnnounceWithinSeconds
	if within == 0 {
		within = 30
	}
	for _, h := range holds {
		announced := false
		for i, u := range st.call.Transcript.Utterances {
			if u.Speaker != models.SpeakerAgent || u.End < h[0]-within || u.Start > h[0]+2 {
				continue
			}
			for p := range r.phrases {
				if len(st.findAll(i, &r.phrases[p])) > 0 {
					announced = true
				}
			}
		}
		if !announced {
			f := r.finding(h[0], min(h[1], h[0]+2), models.SpeakerAgent, "保持前未告知来电人")
			f.Missing = phraseTexts(r.phrases)
			out = append(out, f)
		}
	}
	return out, ""
}

// mergeSpans sorts spans and joins those that overlap or touch.
func mergeSpans(spans []models.Span) []models.Span {
	sort.Slice(spans, func(i, j int) bool { return spans[i][0] < spans[j][0] })
	var out []models.Span
	for _, s := range spans {
		if n := len(out); n > 0 && s[0] <= out[n-1][1] {
			out[n-1][1] = max(out[n-1][1], s[1])
			continue
		}
		out = append(out, s)
	}
	return out
}

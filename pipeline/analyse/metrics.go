package analyse

import (
	"cmp"
	"slices"

	"github.com/callqa/callqa/models"
)

// stereo reports whether cm names two distinct channels of r.
func (r *Report) stereo(cm models.ChannelMap) bool {
	n := len(r.Channels)
	return n >= 2 && cm.Agent != cm.Customer &&
		cm.Agent >= 0 && cm.Agent < n && cm.Customer >= 0 && cm.Customer < n
}

func speakerMetrics(c ChannelStats) *models.SpeakerMetrics {
	return &models.SpeakerMetrics{
		TalkS:         c.TalkS,
		Segments:      c.Segments,
		RMSDBFS:       c.RMSDBFS,
		PeakDBFS:      c.PeakDBFS,
		ClippingRatio: c.ClippingRatio,

		SpeechRMSDBFS:       c.SpeechRMSDBFS,
		SpeechClippingRatio: c.SpeechClippingRatio,
	}
}

// Metrics turns the report into the call's audio metrics. A recording with
// two or more channels, of which cm names two distinct ones, fills Agent
// and Customer with silences, overtalk and interruptions; otherwise
// channel 0 fills Mixed, with silences only. cfg supplies MinSilence and
// MinOvertalk (zero fields: defaults). It returns nil for a report
// without channels.
func (r *Report) Metrics(cfg Config, cm models.ChannelMap) *models.Metrics {
	if len(r.Channels) == 0 {
		return nil
	}
	m := &models.Metrics{Overtalks: []models.Overtalk{}}
	if r.stereo(cm) {
		ag, cu := r.Channels[cm.Agent], r.Channels[cm.Customer]
		m.Agent, m.Customer = speakerMetrics(ag), speakerMetrics(cu)
		m.Silences, m.Overtalks = Conversation(cfg, ag.Segments, cu.Segments)
		m.OvertalkS = OvertalkTotal(m.Overtalks)
		m.Interruptions = Interruptions(m.Overtalks)
		m.Events = append(withSpeaker(ag.Events, models.SpeakerAgent), withSpeaker(cu.Events, models.SpeakerCustomer)...)
	} else {
		mono := r.Channels[0]
		m.Mixed = speakerMetrics(mono)
		m.Silences = Silences(cfg, mono.Segments)
		m.Interruptions = map[string]int{}
		m.Events = withSpeaker(mono.Events, models.SpeakerMixed)
	}
	slices.SortStableFunc(m.Events, func(a, b models.Event) int { return cmp.Compare(a.Start, b.Start) })
	// A hold is not dead air: what of a silence the hold music fills is
	// cut out, and the parts left must still be long enough to count.
	holds := Holds(m.Events)
	m.HoldS = Total(holds)
	if len(holds) > 0 {
		var kept []models.Span
		for _, s := range subtract(m.Silences, holds) {
			if s[1]-s[0] >= cfg.WithDefaults().MinSilence-eps {
				kept = append(kept, s)
			}
		}
		m.Silences = kept
		if m.Silences == nil {
			m.Silences = []models.Span{}
		}
	}
	m.SilenceS = Total(m.Silences)
	return m
}

// withSpeaker returns copies of events with Speaker set.
func withSpeaker(events []models.Event, speaker string) []models.Event {
	out := make([]models.Event, len(events))
	for i, e := range events {
		e.Speaker = speaker
		out[i] = e
	}
	return out
}

// Holds returns the spans of the hold-music events, merged across
// channels, sorted.
func Holds(events []models.Event) []models.Span {
	var holds []models.Span
	for _, e := range events {
		if e.Type == models.EventHoldMusic {
			holds = append(holds, models.Span{e.Start, e.End})
		}
	}
	return normalize(holds)
}

// Envelope returns the level envelopes of the speakers' channels, laid out
// as Metrics lays out the speakers, with cfg.EnvelopeSeconds as the step
// (zero: the default). It returns nil for a report without channels.
func (r *Report) Envelope(cfg Config, cm models.ChannelMap) *models.Envelope {
	if len(r.Channels) == 0 {
		return nil
	}
	e := &models.Envelope{Step: cfg.WithDefaults().EnvelopeSeconds}
	if r.stereo(cm) {
		e.Agent, e.Customer = r.Channels[cm.Agent].Envelope, r.Channels[cm.Customer].Envelope
	} else {
		e.Mixed = r.Channels[0].Envelope
	}
	return e
}

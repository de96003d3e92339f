package web

import (
	"fmt"
	"html/template"
	"math"
	"strings"

	"github.com/callqa/callqa/models"
)

// Waveform geometry, in SVG user units (the SVG scales to its container).
const (
	waveW      = 1000.0
	waveH      = 180.0
	waveTop    = 22.0 // findings lane above the levels
	waveAxis   = 16.0 // time axis below
	waveFloorD = -60.0
	edgeLabel  = 24.0 // half the width of a time label ("12:30")
)

// waveformSVG draws the call's level envelope: the agent above the centre
// line, the customer (or the mixed channel) below, speech segments as bands,
// silences shaded, overtalk in red and every finding as a clickable marker
// (data-seek, handled by the embedded script). The output is built from
// numbers and escaped text only.
func waveformSVG(r *models.Result) template.HTML {
	dur := resultDuration(r)
	if dur <= 0 {
		return ""
	}
	x := func(t float64) float64 { return math.Max(0, math.Min(waveW, t/dur*waveW)) }
	levelsH := waveH - waveTop - waveAxis
	mid := waveTop + levelsH/2
	half := levelsH/2 - 6

	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="wave" viewBox="0 0 %g %g" preserveAspectRatio="none" role="img" aria-label="波形" data-duration="%.3f" xmlns="http://www.w3.org/2000/svg">`, waveW, waveH, dur)
	b.WriteString(`<rect class="bg" x="0" y="0" width="1000" height="180"/>`)

	m := r.Metrics
	if m != nil {
		for _, s := range m.Silences {
			fmt.Fprintf(&b, `<rect class="silence" x="%.2f" y="%g" width="%.2f" height="%g"><title>静音 %s–%s</title></rect>`,
				x(s[0]), waveTop, x(s[1])-x(s[0]), levelsH, clock(s[0]), clock(s[1]))
		}
		for _, o := range m.Overtalks {
			fmt.Fprintf(&b, `<rect class="overtalk" x="%.2f" y="%g" width="%.2f" height="%g"><title>抢话 %s–%s</title></rect>`,
				x(o.Start), waveTop, math.Max(1, x(o.End)-x(o.Start)), levelsH, clock(o.Start), clock(o.End))
		}
		// Events (hold music, key presses, tones) in the half of their
		// channel: not speech, drawn in a colour of their own.
		for _, ev := range m.Events {
			y, h := waveTop, levelsH/2
			if ev.Speaker == models.SpeakerCustomer || ev.Speaker == models.SpeakerMixed {
				y = waveTop + levelsH/2
			}
			fmt.Fprintf(&b, `<rect class="event %s" x="%.2f" y="%g" width="%.2f" height="%g" data-seek="%.2f"><title>%s %s–%s</title></rect>`,
				eventClass(ev.Type), x(ev.Start), y, math.Max(1, x(ev.End)-x(ev.Start)), h, ev.Start,
				template.HTMLEscapeString(eventLabel(ev)), clock(ev.Start), clock(ev.End))
		}
	}

	if e := r.Envelope; e != nil && e.Step > 0 {
		upper, lower := e.Agent, e.Customer
		if len(upper) == 0 && len(lower) == 0 {
			lower = e.Mixed
		}
		envPath(&b, "lvl agent", upper, e.Step, x, mid, -half)
		envPath(&b, "lvl customer", lower, e.Step, x, mid, half)
	}
	fmt.Fprintf(&b, `<line class="mid" x1="0" y1="%g" x2="1000" y2="%g"/>`, mid, mid)

	if m != nil {
		segs := func(sm *models.SpeakerMetrics, cls string, y float64) {
			if sm == nil {
				return
			}
			for _, s := range sm.Segments {
				fmt.Fprintf(&b, `<rect class="seg %s" x="%.2f" y="%g" width="%.2f" height="4" data-seek="%.2f"/>`,
					cls, x(s[0]), y, math.Max(0.5, x(s[1])-x(s[0])), s[0])
			}
		}
		segs(m.Agent, "agent", waveTop)
		segs(m.Customer, "customer", waveTop+levelsH-4)
		segs(m.Mixed, "customer", waveTop+levelsH-4)
	}

	for i, f := range r.Findings {
		cls := "finding"
		if f.Veto {
			cls += " veto"
		}
		fx := x(f.Start)
		fmt.Fprintf(&b, `<g class="%s" data-seek="%.2f" data-finding="%d"><title>%s %s</title>`,
			cls, f.Start, i, template.HTMLEscapeString(f.Name), clock(f.Start))
		if f.End > f.Start {
			fmt.Fprintf(&b, `<rect class="span" x="%.2f" y="%g" width="%.2f" height="%g"/>`, fx, waveTop, math.Max(1, x(f.End)-fx), levelsH)
		}
		fmt.Fprintf(&b, `<line x1="%.2f" y1="4" x2="%.2f" y2="%g"/><path d="M%.2f 2 l6 0 l-6 12 l-6 -12 z"/></g>`,
			fx, fx, waveTop+levelsH, fx)
	}

	// Time axis: about ten ticks at a round step.
	axisY := waveH - waveAxis
	step := niceStep(dur / 10)
	for t := 0.0; t <= dur+1e-9; t += step {
		fmt.Fprintf(&b, `<line class="tick" x1="%.2f" y1="%g" x2="%.2f" y2="%g"/>`, x(t), axisY, x(t), axisY+4)
		// Labels at the edges are aligned inwards, or half of them would
		// fall outside the picture.
		anchor := "middle"
		switch {
		case t == 0:
			anchor = "start"
		case x(t) > waveW-edgeLabel:
			anchor = "end"
		}
		fmt.Fprintf(&b, `<text x="%.2f" y="%g" text-anchor="%s">%s</text>`, x(t), waveH-2, anchor, clock(t))
	}
	b.WriteString(`<line class="cursor" x1="0" y1="0" x2="0" y2="164"/>`)
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // #nosec: built from numbers and escaped text
}

// eventClass is the CSS class of an event type.
func eventClass(typ string) string {
	switch typ {
	case models.EventHoldMusic:
		return "hold"
	case models.EventDTMF:
		return "dtmf"
	}
	return "tone"
}

// eventLabel names an event in Chinese, with its speaker's side.
func eventLabel(ev models.Event) string {
	var s string
	switch ev.Type {
	case models.EventHoldMusic:
		s = "保持音乐"
	case models.EventDTMF:
		s = fmt.Sprintf("按键音（%d 次）", ev.Presses)
	default:
		s = "提示音"
	}
	switch ev.Speaker {
	case models.SpeakerAgent:
		s = "坐席侧 " + s
	case models.SpeakerCustomer:
		s = "客户侧 " + s
	}
	return s
}

// envPath writes one closed path of envelope values around the centre line;
// sign < 0 draws upwards.
func envPath(b *strings.Builder, cls string, v []int8, step float64, x func(float64) float64, mid, scale float64) {
	if len(v) == 0 {
		return
	}
	fmt.Fprintf(b, `<path class="%s" d="M0 %g`, cls, mid)
	// Thin out to at most ~1000 points, keeping the loudest of each bucket.
	per := (len(v) + 999) / 1000
	for i := 0; i < len(v); i += per {
		peak := int8(-128)
		for j := i; j < i+per && j < len(v); j++ {
			peak = max(peak, v[j])
		}
		lv := (float64(peak) - waveFloorD) / -waveFloorD
		lv = math.Max(0, math.Min(1, lv))
		fmt.Fprintf(b, " L%.2f %.2f", x(float64(i)*step), mid+lv*scale)
	}
	fmt.Fprintf(b, ` L%.2f %g Z"/>`, x(float64(len(v))*step), mid)
}

// resultDuration is the recording's length in seconds, from the audio info
// or, failing that, the envelope.
func resultDuration(r *models.Result) float64 {
	if r.Audio != nil && r.Audio.DurationS > 0 {
		return r.Audio.DurationS
	}
	if e := r.Envelope; e != nil {
		n := max(len(e.Agent), len(e.Customer), len(e.Mixed))
		return float64(n) * e.Step
	}
	return 0
}

// niceStep rounds a tick interval up to 1, 2, 5, 10, 15, 30 s or whole minutes.
func niceStep(s float64) float64 {
	for _, v := range []float64{1, 2, 5, 10, 15, 30, 60, 120, 300, 600} {
		if s <= v {
			return v
		}
	}
	return math.Ceil(s/600) * 600
}

// clock formats seconds as m:ss.
func clock(s float64) string {
	if s < 0 {
		s = 0
	}
	n := int(s)
	return fmt.Sprintf("%d:%02d", n/60, n%60)
}

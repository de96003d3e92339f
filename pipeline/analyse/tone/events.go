package tone

// Event builder defaults.
const (
	// HoldMinSeconds is the least music in a hold-music span: 2 s.
	HoldMinSeconds = 2.0
	// HoldMaxGapSeconds bridges gaps in hold music (a quiet bar, a
	// voice-over word): 1 s.
	HoldMaxGapSeconds = 1.0
	// ToneMinSeconds is the least tone in a call-progress tone span:
	// 0.2 s.
	ToneMinSeconds = 0.2
	// ToneMaxGapSeconds bridges a cadence's silences (China's ring-back
	// is 1 s on, 4 s off): 4.5 s.
	ToneMaxGapSeconds = 4.5
)

// Span is an event's extent in seconds from the start of the channel.
type Span struct {
	Start, End float64 // seconds
}

// Spans turns per-window flags into spans: runs of flagged windows
// closer than a maximum gap are joined, and joined spans with less than a
// minimum of flagged time in them are dropped. It holds O(1) state.
type Spans struct {
	minLen, maxGap float64
	i              int // windows pushed
	open           bool
	cur            Span
	on             float64 // flagged seconds in cur
}

// NewSpans returns a Spans for the given minimum flagged time per span
// and maximum gap, in seconds; for hold music use HoldMinSeconds and HoldMaxGapSeconds, for
// call-progress tones ToneMinSeconds and ToneMaxGapSeconds.
func NewSpans(minSeconds, maxGapSeconds float64) *Spans {
	return &Spans{minLen: minSeconds, maxGap: maxGapSeconds}
}

// Push adds the next window's flag. It returns a finished span when this
// window ends one (a gap longer than the maximum has passed), so spans
// arrive up to the maximum gap late.
func (s *Spans) Push(on bool) (Span, bool) {
	t0 := float64(s.i) * WindowSeconds
	s.i++
	t1 := float64(s.i) * WindowSeconds
	if on {
		if s.open && t0-s.cur.End <= s.maxGap {
			s.cur.End = t1
			s.on += WindowSeconds
			return Span{}, false
		}
		done, ok := s.close()
		s.open, s.cur, s.on = true, Span{t0, t1}, WindowSeconds
		return done, ok
	}
	if s.open && t1-s.cur.End > s.maxGap {
		return s.close()
	}
	return Span{}, false
}

// Flush ends the channel and returns the span in progress, if any.
func (s *Spans) Flush() (Span, bool) { return s.close() }

func (s *Spans) close() (Span, bool) {
	if !s.open {
		return Span{}, false
	}
	s.open = false
	if s.on < s.minLen-1e-9 {
		return Span{}, false
	}
	return s.cur, true
}

// DTMFOptions tune DTMFEvents; the zero value means the defaults.
type DTMFOptions struct {
	// MinPress is the shortest tone that counts as a key press, in
	// seconds. Default 0.04 (Q.24 accepts 40 ms tones).
	MinPress float64
	// MaxGap is the longest pause between presses of one event, in
	// seconds. Default 1.
	MaxGap float64
	// KeepDigits keeps the pressed digits in DTMFEvent.Digits. Off by
	// default: the digits may be a PIN or an ID number. Meant for tests.
	KeepDigits bool
}

// DTMFEvent is a run of key presses.
type DTMFEvent struct {
	Start, End float64 // seconds, first press start to last press end
	Presses    int     // key presses in the run
	Digits     string  // only with DTMFOptions.KeepDigits
}

// DTMFEvents turns per-window digits into key-press events: a press is a
// run of windows with the same digit whose tone lasts at least MinPress
// (timed to 8 ms by the frames' quarter masks); presses less than MaxGap
// apart make one event. It holds O(1) state (apart from the digits, with
// KeepDigits).
type DTMFEvents struct {
	opt     DTMFOptions
	i       int
	inPress bool
	press   Span
	digit   byte
	last    uint8 // previous frame's mask
	open    bool
	ev      DTMFEvent
	digits  []byte
}

// NewDTMFEvents returns a DTMFEvents.
func NewDTMFEvents(opt DTMFOptions) *DTMFEvents {
	if opt.MinPress == 0 {
		opt.MinPress = 0.04
	}
	if opt.MaxGap == 0 {
		opt.MaxGap = 1
	}
	return &DTMFEvents{opt: opt}
}

// Push adds the next window's frame. It returns an event when one ends,
// up to MaxGap after its last press.
func (b *DTMFEvents) Push(f Frame) (DTMFEvent, bool) {
	t0 := float64(b.i) * WindowSeconds
	b.i++
	var out DTMFEvent
	var ok bool
	if f.Digit != 0 && f.DigitMask != 0 {
		first, last := 0, 3
		for f.DigitMask&(1<<first) == 0 {
			first++
		}
		for f.DigitMask&(1<<last) == 0 {
			last--
		}
		start := t0 + float64(first-int(f.DigitLead))*quarterSeconds
		end := t0 + float64(last+1)*quarterSeconds
		if b.inPress && b.digit == f.Digit && b.last&0b1000 != 0 && first == 0 {
			b.press.End = end
		} else {
			out, ok = b.endPress()
			b.inPress, b.digit, b.press = true, f.Digit, Span{start, end}
		}
		b.last = f.DigitMask
		return out, ok
	}
	b.last = 0
	if b.inPress {
		out, ok = b.endPress()
	}
	if !ok && b.open && !b.inPress && t0+WindowSeconds-b.ev.End > b.opt.MaxGap {
		return b.closeEvent()
	}
	return out, ok
}

// Flush ends the channel and returns the events still in progress: none,
// one, or two when the last press began a new event.
func (b *DTMFEvents) Flush() []DTMFEvent {
	var out []DTMFEvent
	if ev, ok := b.endPress(); ok {
		out = append(out, ev)
	}
	if ev, ok := b.closeEvent(); ok {
		out = append(out, ev)
	}
	return out
}

// endPress ends the press in progress. A press long enough joins the open
// event, or opens a new one; the previous event is then returned.
func (b *DTMFEvents) endPress() (DTMFEvent, bool) {
	if !b.inPress {
		return DTMFEvent{}, false
	}
	b.inPress = false
	if b.press.End-b.press.Start < b.opt.MinPress-1e-9 {
		return DTMFEvent{}, false
	}
	if b.open && b.press.Start-b.ev.End <= b.opt.MaxGap {
		b.ev.End = b.press.End
		b.ev.Presses++
		b.keep()
		return DTMFEvent{}, false
	}
	out, ok := b.closeEvent()
	b.open = true
	b.ev = DTMFEvent{Start: b.press.Start, End: b.press.End, Presses: 1}
	b.keep()
	return out, ok
}

func (b *DTMFEvents) keep() {
	if b.opt.KeepDigits {
		b.digits = append(b.digits, b.digit)
	}
}

func (b *DTMFEvents) closeEvent() (DTMFEvent, bool) {
	if !b.open {
		return DTMFEvent{}, false
	}
	b.open = false
	ev := b.ev
	if b.opt.KeepDigits {
		ev.Digits = string(b.digits)
		b.digits = b.digits[:0]
	}
	return ev, true
}

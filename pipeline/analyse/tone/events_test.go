package tone

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func TestSpans(t *testing.T) {
	t.Parallel()
	// One character per window: '#' flagged, '.' not.
	cases := []struct {
		name        string
		min, maxGap float64
		flags       string
		want        []Span // in windows
	}{
		{"empty", 0.1, 0.1, "", nil},
		{"one run", 0.1, 0.1, "..####..", []Span{{2, 6}}},
		{"too short", 0.2, 0.1, "..####..", nil},
		{"gap bridged", 0.1, 0.1, "###..###", []Span{{0, 8}}},
		{"flagged time counts, not the span", 0.15, 0.2, "##....##", nil},
		{"gap too long", 0.05, 0.05, "###..###", []Span{{0, 3}, {5, 8}}},
		{"running at the end", 0.1, 0.1, "....####", []Span{{4, 8}}},
	}
	for _, c := range cases {
		s := NewSpans(c.min, c.maxGap)
		var got []Span
		for _, ch := range c.flags {
			if sp, ok := s.Push(ch == '#'); ok {
				got = append(got, sp)
			}
		}
		if sp, ok := s.Flush(); ok {
			got = append(got, sp)
		}
		var want []Span
		for _, w := range c.want {
			want = append(want, Span{w.Start * WindowSeconds, w.End * WindowSeconds})
		}
		if !spansEqual(got, want) {
			t.Errorf("%s: %v, want %v", c.name, got, want)
		}
	}
}

func spansEqual(a, b []Span) bool {
	return slices.EqualFunc(a, b, func(x, y Span) bool {
		return math.Abs(x.Start-y.Start) < 1e-9 && math.Abs(x.End-y.End) < 1e-9
	})
}

func TestDTMFEvents(t *testing.T) {
	t.Parallel()
	// Frames as "digit mask lead" words; "-" is a window without a digit.
	cases := []struct {
		name   string
		frames string
		keep   bool
		want   []DTMFEvent
	}{
		{"one press in one window", "- 1:15:0 -", true, nil}, // 32 ms < 40 ms
		{"one press over two windows", "- 1:15:0 1:1:0 -", true, []DTMFEvent{{Start: 0.032, End: 0.072, Presses: 1, Digits: "1"}}},
		{"lead-in makes it long enough", "- 1:15:2 -", true, []DTMFEvent{{Start: 0.016, End: 0.064, Presses: 1, Digits: "1"}}},
		{"same digit twice", "1:15:0 1:3:0 - 1:15:0 1:15:0", true, []DTMFEvent{{Start: 0, End: 0.16, Presses: 2, Digits: "11"}}},
		{"digit change inside a run", "1:15:0 1:15:0 2:15:0 2:15:0", true, []DTMFEvent{{Start: 0, End: 0.128, Presses: 2, Digits: "12"}}},
		{"a short first digit is dropped", "1:15:0 2:15:0 2:15:0", true, []DTMFEvent{{Start: 0.032, End: 0.096, Presses: 1, Digits: "2"}}},
		{"a gap at a window's start splits a press", "1:15:0 1:15:0 1:14:0 1:15:0", true, []DTMFEvent{{Start: 0, End: 0.128, Presses: 2, Digits: "11"}}},
		{"digits not kept", "- 9:15:0 9:15:0", false, []DTMFEvent{{Start: 0.032, End: 0.096, Presses: 1}}},
	}
	for _, c := range cases {
		b := NewDTMFEvents(DTMFOptions{KeepDigits: c.keep})
		var got []DTMFEvent
		for _, w := range strings.Fields(c.frames) {
			var f Frame
			if w != "-" {
				p := strings.Split(w, ":")
				f.Digit = p[0][0]
				f.DigitMask = uint8(atoi(p[1]))
				f.DigitLead = uint8(atoi(p[2]))
			}
			if ev, ok := b.Push(f); ok {
				got = append(got, ev)
			}
		}
		got = append(got, b.Flush()...)
		if !slices.EqualFunc(got, c.want, func(a, b DTMFEvent) bool {
			return math.Abs(a.Start-b.Start) < 1e-9 && math.Abs(a.End-b.End) < 1e-9 && a.Presses == b.Presses && a.Digits == b.Digits
		}) {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = 10*n + int(c-'0')
	}
	return n
}

// TestDTMFEventsGap: presses more than MaxGap apart are separate events,
// each returned as soon as the gap after it has passed.
func TestDTMFEventsGap(t *testing.T) {
	t.Parallel()
	b := NewDTMFEvents(DTMFOptions{MaxGap: 0.2})
	press := Frame{Digit: '5', DigitMask: 15}
	var at []int
	for i := range 40 {
		f := Frame{}
		if i == 0 || i == 1 || i == 20 || i == 21 {
			f = press
		}
		if _, ok := b.Push(f); ok {
			at = append(at, i)
		}
	}
	// Press end at 64 ms + gap 200 ms: returned by window 8 (256-288 ms).
	if want := []int{8, 28}; !slices.Equal(at, want) {
		t.Errorf("events returned at windows %v, want %v", at, want)
	}
	if rest := b.Flush(); len(rest) != 0 {
		t.Errorf("flush: %+v, want nothing left", rest)
	}
}

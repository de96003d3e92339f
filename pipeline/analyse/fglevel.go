package analyse

import "math"

// levelHist is a sliding-window histogram of window levels in 1 dB bins
// (-100..0 dBFS): a percentile of the last n windows counted, in O(1)
// memory.
type levelHist struct {
	hist  [101]int32
	ring  []int8 // the bin of each window (-1: not counted)
	next  int
	count int32
}

func (h *levelHist) init(windows int) {
	h.ring = make([]int8, windows)
	for i := range h.ring {
		h.ring[i] = -1
	}
}

// push adds the next window: its level if counted, and drops the oldest.
func (h *levelHist) push(db float32, counted bool) {
	if old := h.ring[h.next]; old >= 0 {
		h.hist[old]--
		h.count--
	}
	bin := int8(-1)
	if counted && db > -100 {
		bin = int8(min(100, max(0, int(math.Round(float64(db)))+100)))
		h.hist[bin]++
		h.count++
	}
	h.ring[h.next] = bin
	h.next = (h.next + 1) % len(h.ring)
}

// percentile is the level below which a share q of the counted windows
// lie, or ok false with fewer than min windows counted.
func (h *levelHist) percentile(q float64, min int32) (float32, bool) {
	if h.count < min {
		return 0, false
	}
	below := int32(math.Ceil(float64(h.count) * q))
	for b := 0; b <= 100; b++ {
		below -= h.hist[b]
		if below <= 0 {
			return float32(b - 100), true
		}
	}
	return 0, true
}

// levels follows a channel's two reference levels:
//
//   - foreground, the level of its own speaker: a high percentile
//     (fgPercentile) of the windows the model calls speech over the last
//     fgSeconds. Background voices (the next agent, an open-plan office)
//     are speech to the model too, but quieter than the speaker into the
//     headset.
//   - background, what fills the pauses (line noise, babble): a low
//     percentile (bgPercentile) of every window over the last bgSeconds
//     (digital silence left out), which is the babble's typical level
//     where a minimum would be its deepest dip.
type levels struct {
	fg, bg levelHist
}

const (
	fgSeconds    = 30.0
	fgPercentile = 0.9
	bgSeconds    = 10.0
	bgPercentile = 0.25
	// levelMinWindows: fewer windows than this (about a second) and a
	// level is unknown.
	levelMinWindows = 30
)

func (l *levels) init(windowSeconds float64) {
	l.fg.init(int(fgSeconds / windowSeconds))
	l.bg.init(int(bgSeconds / windowSeconds))
}

// push adds the next window: its level and speech probability.
func (l *levels) push(db, p float32) {
	l.fg.push(db, p >= 0.5)
	l.bg.push(db, db >= digitalSilenceDBFS)
}

// foreground is the speaker's level, -Inf when unknown.
func (l *levels) foreground() float32 {
	v := 1 - fgPercentile
	if x, ok := l.fg.percentile(1-v, levelMinWindows); ok {
		return x
	}
	return float32(math.Inf(-1))
}

// background is the level of the pauses, -Inf when unknown.
func (l *levels) background() float32 {
	if x, ok := l.bg.percentile(bgPercentile, levelMinWindows); ok {
		return x
	}
	return float32(math.Inf(-1))
}

package tone

import "math"

// toneState follows the pure peaks of the previous window.
type toneState struct {
	pure   bool // this window is pure
	run    int  // consecutive pure windows with the same peaks
	k1, k2 int  // peak bins; k2 < 0 for a single tone
	hz     float64
	// The last confirmed tone's frequency and the windows since: a
	// cadence's next burst is a tone from its first pure window.
	lastHz  float64
	lastAge int
}

// reset forgets the current run, not the last confirmed tone.
func (s *toneState) reset() {
	s.pure, s.run, s.k1, s.k2, s.hz = false, 0, 0, -1, 0
}

const (
	// toneMaxSecond: a second peak weaker than this share of the first
	// makes a single tone, not a dual one.
	toneMaxSecond = 0.1
	// toneLoBin is the lowest tone frequency searched: 281 Hz, under the
	// lowest call-progress tone (350 Hz) and above most voices' pitch.
	toneLoBin = 9
	// toneSkirt: the bins two away from a tone's peak are at least 12 dB
	// under it on both sides (a Hann-windowed sine's are 15 dB or more).
	toneSkirt = 0.063
	// toneRun is how many consecutive windows must be pure with the same
	// peaks: 96 ms.
	toneRun = 3
	// toneCadence is how long a confirmed tone is remembered, in windows:
	// 5.1 s, more than a ring-back's 4 s off.
	toneCadence = 160
	// toneDriftHz is how far a tone's frequency may move between windows:
	// a generator's does not move at all (the estimate does, by a few
	// tenths of a hertz in noise), a voice's keeps moving.
	toneDriftHz = 1.5
)

// toneWindow sets f.Tone and f.ToneHz from the window's spectrum.
func (d *Detector) toneWindow(f *Frame) {
	s := &d.tone
	s.lastAge++
	sp := d.spec
	if float64(f.DBFS) < d.cfg.ToneMinDBFS {
		s.reset()
		return
	}
	all := float64(d.all)
	share := d.cfg.ToneMinShare
	k1 := peakBin(sp, toneLoBin, maxBin-2, -1)
	e1 := float64(around(sp, k1))
	if e1 < share*all/2 {
		// Not even half the required share: no second peak can help.
		s.reset()
		return
	}
	k2 := -1
	if e1 < share*all {
		k2 = peakBin(sp, toneLoBin, maxBin-2, k1)
		e2 := float64(around(sp, k2))
		if e1+e2 < share*all || e2 < toneMaxSecond*e1 || !narrow(sp, k2, k1) {
			s.reset()
			return
		}
	}
	if !narrow(sp, k1, k2) {
		s.reset()
		return
	}
	hz := interpolate(sp, k1)
	if s.pure && near(k1, s.k1) && (k2 < 0) == (s.k2 < 0) && (k2 < 0 || near(k2, s.k2)) && math.Abs(hz-s.hz) <= toneDriftHz {
		s.run++
	} else {
		s.run = 1
	}
	s.pure, s.k1, s.k2, s.hz = true, k1, k2, hz
	again := s.lastAge <= toneCadence && math.Abs(hz-s.lastHz) <= toneDriftHz
	// A steady pure sound inside music is a note, not a tone.
	if (s.run >= toneRun || again) && !d.music.isMusic {
		f.Tone, f.ToneHz = true, float32(hz)
		s.lastHz, s.lastAge = hz, 0
	}
}

// interpolate is the frequency of the Hann-windowed sine peaking at bin
// k, by Grandke's interpolation (exact for a sine alone).
func interpolate(sp []float32, k int) float64 {
	a := math.Sqrt(float64(sp[k-1]))
	b := math.Sqrt(float64(sp[k]))
	c := math.Sqrt(float64(sp[k+1]))
	delta := 0.0
	if c > a {
		delta = (2*c - b) / (b + c)
	} else if a > c {
		delta = -(2*a - b) / (a + b)
	}
	return (float64(k) + delta) * binHz
}

func peakBin(sp []float32, from, to, skip int) int {
	best := from
	var bv float32 = -1
	for k := from; k <= to; k++ {
		if skip >= 0 && k >= skip-2 && k <= skip+2 {
			continue
		}
		if sp[k] > bv {
			best, bv = k, sp[k]
		}
	}
	return best
}

// around is the energy of the five bins centred on k: a Hann-windowed
// sine's main lobe.
func around(sp []float32, k int) float32 {
	v := sp[k-2 : k+3]
	return v[0] + v[1] + v[2] + v[3] + v[4]
}

// narrow says whether the peak at k is as narrow as a sine's. With a
// second tone at other (>= 0) close by, only the side away from it is
// checked.
func narrow(sp []float32, k, other int) bool {
	left := sp[k-2] <= toneSkirt*sp[k]
	right := sp[k+2] <= toneSkirt*sp[k]
	switch {
	case other >= 0 && other < k && k-other <= 4:
		return right
	case other > k && other-k <= 4:
		return left
	}
	return left && right
}

func near(a, b int) bool { return a-b <= 1 && b-a <= 1 }

package tone

import (
	"math"
	"strings"
)

// Q.23 frequencies: rows (low group) then columns (high group).
var dtmfHz = [8]float64{697, 770, 852, 941, 1209, 1336, 1477, 1633}

// dtmfKeys is the keypad: row*4 + column.
const dtmfKeys = "123A456B789C*0#D"

// Acceptance constants that are not worth a Config knob.
const (
	dtmfGroupMargin = 0.1               // other frequencies of a group: 10 dB under the strongest
	dtmfHarmonicMax = 0.0316            // second harmonic: 15 dB under its fundamental
	dtmfHarmonicGap = 150               // Hz between a row's harmonic and the column tone for the check
	dtmfQuarterMin  = 0.4               // share of a quarter's energy for the pair to hold it
	dtmfQuarterDB   = 6                 // a quarter's tones may be this much under DTMFMinDBFS
	dtmfGateShare   = 0.4               // spectral pre-check: share of energy near the pair
	quarterSeconds  = WindowSeconds / 4 // 8 ms
)

type dtmfState struct {
	gate     [8]int     // first of the four FFT bins around each frequency
	coef     [8]float64 // Goertzel 2cos(w) at each frequency
	coef2    [8]float64 // and at its second harmonic
	last     byte       // the previous window's digit
	lastMask uint8
	minP     float64 // |X|^2 of a tone at DTMFMinDBFS over a window
	minQ     float64 // and over a quarter, dtmfQuarterDB lower
	maxTwist float64 // DTMFMaxTwistDB as a power ratio
	// gateTwist is the spectral pre-check's bound on the power ratio of
	// the two groups: 10 dB looser than maxTwist.
	gateTwist float32
}

func (s *dtmfState) init(rate, n int, minDBFS, maxTwistDB float64) {
	// A sine of amplitude A over L samples has |X|^2 = (A*L/2)^2, and an
	// RMS level of A^2/2.
	s.minP = math.Pow(10, minDBFS/10) * float64(n*n) / 2
	s.minQ = math.Pow(10, (minDBFS-dtmfQuarterDB)/10) * float64(n*n) / 32
	s.maxTwist = math.Pow(10, maxTwistDB/10)
	s.gateTwist = float32(math.Pow(10, -(maxTwistDB+10)/10))
	for i, hz := range dtmfHz {
		s.gate[i] = int(hz/binHz) - 1
		s.coef[i] = 2 * math.Cos(2*math.Pi*hz/float64(rate))
		s.coef2[i] = 2 * math.Cos(2*math.Pi*2*hz/float64(rate))
	}
}

// goertzel8 returns |X(w)|^2 of x at the eight frequencies whose filter
// coefficients 2cos(w) are c: eight independent recurrences in one pass,
// so that they overlap in the processor.
func goertzel8(x []float32, c *[8]float64) (p [8]float64) {
	var a1, a2, b1, b2, c1, c2, d1, d2, e1, e2, f1, f2, g1, g2, h1, h2 float64
	for _, v := range x {
		s := float64(v)
		a1, a2 = s+c[0]*a1-a2, a1
		b1, b2 = s+c[1]*b1-b2, b1
		c1, c2 = s+c[2]*c1-c2, c1
		d1, d2 = s+c[3]*d1-d2, d1
		e1, e2 = s+c[4]*e1-e2, e1
		f1, f2 = s+c[5]*f1-f2, f1
		g1, g2 = s+c[6]*g1-g2, g1
		h1, h2 = s+c[7]*h1-h2, h1
	}
	p[0] = a1*a1 + a2*a2 - c[0]*a1*a2
	p[1] = b1*b1 + b2*b2 - c[1]*b1*b2
	p[2] = c1*c1 + c2*c2 - c[2]*c1*c2
	p[3] = d1*d1 + d2*d2 - c[3]*d1*d2
	p[4] = e1*e1 + e2*e2 - c[4]*e1*e2
	p[5] = f1*f1 + f2*f2 - c[5]*f1*f2
	p[6] = g1*g1 + g2*g2 - c[6]*g1*g2
	p[7] = h1*h1 + h2*h2 - c[7]*h1*h2
	return p
}

// goertzel returns |X(w)|^2 of x for the filter coefficient 2cos(w).
func goertzel(x []float32, coef float64) float64 {
	var s1, s2 float64
	for _, v := range x {
		s1, s2 = float64(v)+coef*s1-s2, s1
	}
	return s1*s1 + s2*s2 - coef*s1*s2
}

// dtmfWindow sets f's digit fields. total is the window's energy and
// quarters its quarters' energies.
func (d *Detector) dtmfWindow(f *Frame, x []float32, total float32, quarters *[4]float32) {
	s := &d.dtmf
	lo, hi, ok := d.dtmfAccept(x, float64(total))
	switch {
	case ok:
		key := dtmfKeys[lo*4+hi-4]
		f.Digit = key
		f.DigitMask = d.quarterMask(x, lo, hi, quarters)
		if f.DigitMask == 0 {
			f.DigitMask = 0b1111 // accepted as a whole, too weak in every quarter
		}
		if s.last != key || s.lastMask&0b1000 == 0 || f.DigitMask&1 == 0 {
			// A new press: did it begin in the previous window?
			var pq [4]float32
			for i := range pq {
				pq[i] = sumSquares(d.prev[i*d.q : (i+1)*d.q])
			}
			m := d.quarterMask(d.prev, lo, hi, &pq)
			if f.DigitMask&1 != 0 {
				for b := 3; b >= 0 && m&(1<<b) != 0; b-- {
					f.DigitLead++
				}
			}
		}
	case s.last != 0 && s.lastMask&0b1000 != 0:
		// The previous window's tone ran to its end: does it go on into
		// this window's first quarters?
		i := strings.IndexByte(dtmfKeys, s.last)
		m := d.quarterMask(x, i/4, 4+i%4, quarters)
		var cont uint8
		for b := 0; b < 4 && m&(1<<b) != 0; b++ {
			cont |= 1 << b
		}
		if cont != 0 {
			f.Digit, f.DigitMask = s.last, cont
		}
	}
	s.last, s.lastMask = f.Digit, f.DigitMask
}

// dtmfAccept applies the Q.24-like checks to the whole window and returns
// the row (0-3) and column (4-7) of an accepted pair.
func (d *Detector) dtmfAccept(x []float32, total float64) (lo, hi int, ok bool) {
	cfg := &d.cfg
	n := float64(d.n)
	minP := d.dtmf.minP
	if total*n/2 < 2*minP {
		return 0, 0, false // too quiet to hold two tones at the minimum level
	}
	// Spectral pre-check: most of the energy near one row and one column.
	s := &d.dtmf
	var g [8]float32
	for i, b := range s.gate {
		sp := d.spec[b : b+4]
		g[i] = sp[0] + sp[1] + sp[2] + sp[3]
	}
	gl := max(g[0], g[1], g[2], g[3])
	gh := max(g[4], g[5], g[6], g[7])
	// Both groups present within 10 dB more than the largest twist, and
	// together most of the energy.
	if gl+gh < dtmfGateShare*d.all || gl < s.gateTwist*gh || gh < s.gateTwist*gl {
		return 0, 0, false
	}
	p := goertzel8(x, &s.coef)
	lo, hi = argmax4(p[0:4]), 4+argmax4(p[4:8])
	pl, ph := p[lo], p[hi]
	if pl < minP || ph < minP || ph > s.maxTwist*pl || pl > s.maxTwist*ph {
		return 0, 0, false
	}
	for i := range 8 {
		if ref := pl; i != lo && i != hi {
			if i >= 4 {
				ref = ph
			}
			if p[i] > dtmfGroupMargin*ref {
				return 0, 0, false
			}
		}
	}
	if share := 2 * (pl + ph) / (n * total); share < cfg.DTMFMinShare {
		return 0, 0, false
	}
	// A row's second harmonic can lie within 60 Hz of the column tone
	// (2*697 = 1394 next to 1336), where the column's own energy would
	// fail the check; it is only made away from it.
	if math.Abs(2*dtmfHz[lo]-dtmfHz[hi]) > dtmfHarmonicGap && goertzel(x, s.coef2[lo]) > dtmfHarmonicMax*pl {
		return 0, 0, false
	}
	if goertzel(x, s.coef2[hi]) > dtmfHarmonicMax*ph {
		return 0, 0, false
	}
	return lo, hi, true
}

// quarterMask says which quarters of x the pair (lo, hi) holds.
func (d *Detector) quarterMask(x []float32, lo, hi int, quarters *[4]float32) uint8 {
	q := float64(d.q)
	minP := d.dtmf.minQ
	var m uint8
	for j := range 4 {
		e := float64(quarters[j])
		if e == 0 {
			continue
		}
		seg := x[j*d.q : (j+1)*d.q]
		p1, p2 := goertzel(seg, d.dtmf.coef[lo]), goertzel(seg, d.dtmf.coef[hi])
		if p1 >= minP && p2 >= minP && 2*(p1+p2)/(q*e) >= dtmfQuarterMin {
			m |= 1 << j
		}
	}
	return m
}

func argmax4(p []float64) int {
	best := 0
	for i := 1; i < 4; i++ {
		if p[i] > p[best] {
			best = i
		}
	}
	return best
}

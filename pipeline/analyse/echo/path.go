package echo

import "math"

// Path estimation constants; see the package comment.
const (
	corrAlpha    = 1.0 / 64 // running correlation: about 0.5 s of source activity
	minUpdates   = 48       // hops of source activity before a path can be trusted: 0.4 s
	acquireCorr  = 0.6      // correlation at which a path is found
	switchMargin = 0.1      // a new lag must beat the path's by this much
	peakMargin   = 0.2      // and the mean correlation over all lags
	gainQuantile = 0.5      // the band loss tracks this quantile of receiver minus source, dB
	gainOutlier  = 10       // once known, hops this much louder than the loss predicts (double-talk) are left out, dB
	gainStepFast = 2.0      // quantile step for a band's first gainWarmup updates, dB
	gainStepSlow = 0.5      // and after
	gainWarmup   = 30
	toleranceDB  = 6    // the predicted echo may be this much under the receiver's level
	unexplained  = 0.25 // share of a hop's active energy the prediction may leave unexplained
	sourceActive = 10.0 // a source band is active 10 dB above its floor
)

// path follows the leakage from one channel (the source) into the other
// (the receiver).
type path struct {
	// Running means per lag of x_s(t-d)*x_r(t), x_s(t-d)^2 (summed over
	// the bands) and of the band mean of x_s(t-d); and of the receiver's
	// x_r^2 and band mean. The correlation is centred on the running
	// means, so that a channel whose level has just changed (its slow
	// mean lagging behind) does not bias it.
	sxy, sxx, sx []float32
	syy, sy      float32
	updates      int

	valid bool
	lag   int // hops
	corr  float32
	gain  [numBands]float32 // dB, receiver minus source
	gainN [numBands]int     // updates of each band's gain
}

func newPath(lags int) *path {
	p := &path{sxy: make([]float32, lags), sxx: make([]float32, lags), sx: make([]float32, lags)}
	p.reset()
	return p
}

func (p *path) reset() {
	clear(p.sxy)
	clear(p.sxx)
	clear(p.sx)
	p.syy, p.sy, p.updates, p.valid, p.lag, p.corr = 0, 0, 0, false, 0, 0
	p.resetGains()
}

func (p *path) resetGains() {
	p.gain, p.gainN = [numBands]float32{}, [numBands]int{}
}

// correlate adds the receiver's hop r to the running correlations with
// the source's history (hist(d) is the source hop d hops ago).
func (p *path) correlate(r *hop, hist func(d int) *hop) {
	const a = corrAlpha
	p.syy += a * (r.xx - p.syy)
	p.sy += a * (r.xm - p.sy)
	sxy, sxx, sx := p.sxy, p.sxx[:len(p.sxy)], p.sx[:len(p.sxy)]
	for d := range sxy {
		s := hist(d)
		var xy float32
		for b := range numBands {
			xy += s.x[b] * r.x[b]
		}
		sxy[d] += a * (xy - sxy[d])
		sxx[d] += a * (s.xx - sxx[d])
		sx[d] += a * (s.xm - sx[d])
	}
	p.updates++
}

// choose updates the path from the correlations, once per window.
func (p *path) choose() {
	if p.updates < minUpdates {
		return
	}
	best, bestCorr := 0, float32(-1)
	var mean float32
	for d := range p.sxy {
		c := p.corrAt(d)
		mean += c
		if c > bestCorr {
			best, bestCorr = d, c
		}
	}
	mean /= float32(len(p.sxy))
	// An echo's correlation peaks at its delay; the common rise and fall
	// of two channels' levels (both silent, then both loud) does not.
	if bestCorr < mean+peakMargin {
		p.corr = p.corrAt(p.lag)
		return
	}
	switch {
	case !p.valid && bestCorr >= acquireCorr:
		p.valid, p.lag = true, best
		p.resetGains()
	case p.valid && best != p.lag && bestCorr >= acquireCorr && bestCorr > p.corrAt(p.lag)+switchMargin:
		p.lag = best
		p.resetGains()
	}
	p.corr = p.corrAt(p.lag)
}

func (p *path) corrAt(d int) float32 {
	const n = numBands
	vx := p.sxx[d] - n*p.sx[d]*p.sx[d]
	vy := p.syy - n*p.sy*p.sy
	if vx <= 0 || vy <= 0 {
		return 0
	}
	return (p.sxy[d] - n*p.sx[d]*p.sy) / float32(math.Sqrt(float64(vx*vy)))
}

// source is the source's band energies the path delivers at a receiver
// hop: at the path's lag, give or take a hop (the echo smears and the
// lag is rounded to a hop).
func (p *path) source(hist func(d int) *hop, maxLag int) (e [numBands]float32, floor [numBands]float32) {
	for d := max(0, p.lag-1); d <= min(maxLag, p.lag+1); d++ {
		s := hist(d)
		for b := range numBands {
			e[b] = max(e[b], s.e[b])
		}
		if d == p.lag {
			floor = s.floor
		}
	}
	return e, floor
}

// learn updates the band losses from a receiver hop r and the delivered
// source energies s (with the source's floor sf). Once a band's loss is
// known, hops far louder than it predicts (double-talk) are left out.
func (p *path) learn(r *hop, s, sf *[numBands]float32) {
	for b := range numBands {
		if s[b] < sourceActive*sf[b] || r.e[b] < 2*r.floor[b] {
			continue // the source is quiet here, or the receiver is at its floor
		}
		diff := 3.0103 * (log2(r.e[b]) - log2(s[b]))
		if p.gainN[b] >= gainWarmup && diff > p.gain[b]+gainOutlier {
			continue
		}
		if p.gainN[b] == 0 {
			p.gain[b] = diff
		} else {
			step := float32(gainStepSlow)
			if p.gainN[b] < gainWarmup {
				step = gainStepFast
			}
			if diff < p.gain[b] {
				p.gain[b] -= step * (1 - gainQuantile)
			} else {
				p.gain[b] += step * gainQuantile
			}
		}
		p.gainN[b]++
	}
}

// explain returns the receiver hop's energy above its floor, and the part
// of it that the predicted echo leaves unexplained.
func (p *path) explain(r *hop, s *[numBands]float32) (above, unexpl float32) {
	for b := range numBands {
		a := max(0, r.e[b]-r.floor[b])
		above += a
		pred := float32(0)
		if p.gainN[b] >= gainWarmup/3 {
			pred = s[b] * dbToPower(p.gain[b]+toleranceDB)
		}
		unexpl += max(0, a-pred)
	}
	return above, unexpl
}

// lossDB is the path's loss for a source spectrum s: the source's energy
// over the echo's the band gains predict, in dB.
func (p *path) lossDB(s *[numBands]float32) float32 {
	var src, echo float32
	for b := range numBands {
		if p.gainN[b] == 0 {
			continue
		}
		src += s[b]
		echo += s[b] * dbToPower(p.gain[b])
	}
	if echo <= 0 {
		return 0
	}
	return 3.0103 * (log2(src) - log2(echo))
}

func dbToPower(db float32) float32 { return float32(math.Exp(float64(db) * (math.Ln10 / 10))) }

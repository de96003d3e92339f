package echo

import (
	"fmt"
	"math"
)

// WindowSeconds is the length of one analysis window: 32 ms.
const WindowSeconds = 0.032

// hopSeconds is the analysis hop: a quarter window.
const hopSeconds = WindowSeconds / hopsPerWindow

// Config tunes a Detector. The zero value means the documented defaults.
type Config struct {
	// MaxDelay is the longest echo delay looked for, in seconds.
	// Default 0.3.
	MaxDelay float64
	// MinLossDB is how much weaker than its source leakage must be.
	// Default 10.
	MinLossDB float64
}

func (c *Config) defaults() {
	if c.MaxDelay == 0 {
		c.MaxDelay = 0.3
	}
	if c.MinLossDB == 0 {
		c.MinLossDB = 10
	}
}

// Validate reports a setting out of its range, naming the field.
func (c Config) Validate() error {
	c.defaults()
	switch {
	case c.MaxDelay < 0 || c.MaxDelay > 1:
		return fmt.Errorf("echo: MaxDelay %g s must be in 0..1", c.MaxDelay)
	case c.MinLossDB < 0:
		return fmt.Errorf("echo: MinLossDB %g must not be negative", c.MinLossDB)
	}
	return nil
}

// Frame is what a Detector finds in one window, per channel.
type Frame struct {
	// Active is set when the channel has energy above its noise floor
	// in the window.
	Active [2]bool
	// Leak is set when the channel's activity is leakage of the other
	// channel (never without Active).
	Leak [2]bool
	// Explained is the share of the channel's energy above its floor
	// that the other channel's predicted echo accounts for (0 without an
	// echo path).
	Explained [2]float32
}

// localMinCorr is the local correlation a window needs to be leakage.
const localMinCorr = 0.3

// Path describes the leakage path found into one channel. A path is
// found by correlation alone; only one whose loss is at least MinLossDB
// can flag leakage (a smooth speech envelope also correlates a little with
// its own echo on the other channel, which gives weak paths of low loss).
type Path struct {
	Valid       bool    // a path has been found
	DelaySec    float64 // its delay, to 8 ms
	LossDB      float64 // source level minus echo level, for speech-like sources
	Correlation float64 // running correlation of the band envelopes at that delay
}

// Detector finds leakage between the two channels of one call. It is not
// safe for concurrent use.
type Detector struct {
	cfg   Config
	rate  int
	n     int // samples per window
	h     int // samples per hop
	lags  int // lags searched, 0..lags-1 hops
	minLo float32

	ch    [2]*channel
	paths [2]*path // paths[c]: leakage into channel c from the other
	// hist[c] is channel c's hops, newest at pos; lags+1 of them.
	hist [2][]hop
	pos  int
	hops int // hops analysed

	// per-window sums, per receiving channel
	srcE, above, unexpl, noise [2]float32
	lastSrc                    [2][numBands]float32
	// the window's receiver and delivered-source log envelopes, for the
	// local correlation
	rx, sx [2][hopsPerWindow * numBands]float32
	hop    int
	last   Frame // the previous window's result
}

// New returns a Detector for a stereo call at rate (8000 or 16000 Hz).
func New(rate int, cfg Config) (*Detector, error) {
	if rate != 8000 && rate != 16000 {
		return nil, fmt.Errorf("echo: rate %d Hz, want 8000 or 16000", rate)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.defaults()
	n := rate * 32 / 1000
	lags := int(math.Ceil(cfg.MaxDelay/hopSeconds)) + 1
	d := &Detector{
		cfg:   cfg,
		rate:  rate,
		n:     n,
		h:     n / hopsPerWindow,
		lags:  lags,
		minLo: float32(math.Pow(10, cfg.MinLossDB/10)),
	}
	for c := range 2 {
		d.ch[c] = newChannel(d.h)
		d.paths[c] = newPath(lags)
		d.hist[c] = make([]hop, lags+2)
	}
	return d, nil
}

// WindowSize is the number of samples per channel Window expects: 256 at
// 8 kHz, 512 at 16 kHz.
func (d *Detector) WindowSize() int { return d.n }

// Reset forgets the call, for the next one.
func (d *Detector) Reset() {
	for c := range 2 {
		d.ch[c].reset()
		d.paths[c].reset()
		clear(d.hist[c])
	}
	d.pos, d.hops = 0, 0
	d.last = Frame{}
}

// Path returns the leakage path into channel c (0 or 1) as estimated so
// far.
func (d *Detector) Path(c int) Path {
	p := d.paths[c]
	return Path{
		Valid:       p.valid,
		DelaySec:    float64(p.lag) * hopSeconds,
		LossDB:      float64(p.lossDB(&speechWeights)),
		Correlation: float64(p.corr),
	}
}

// speechWeights is a speech-like long-term spectrum by band, for
// Path.LossDB: flat to 1 kHz, then falling 6 dB an octave.
var speechWeights = [numBands]float32{1, 1, 1, 0.7, 0.45, 0.3, 0.2, 0.12}

// Window analyses the next window of both channels; a and b must hold
// WindowSize samples each.
func (d *Detector) Window(a, b []float32) Frame {
	x := [2][]float32{a[:d.n], b[:d.n]}
	d.srcE, d.above, d.unexpl, d.noise = [2]float32{}, [2]float32{}, [2]float32{}, [2]float32{}
	for k := range hopsPerWindow {
		d.hop = k
		d.pos = (d.pos + 1) % len(d.hist[0])
		for c := range 2 {
			d.ch[c].analyse(x[c][k*d.h:(k+1)*d.h], &d.hist[c][d.pos])
		}
		d.hops++
		for c := range 2 {
			d.hopInto(c)
		}
	}
	var f Frame
	for c := range 2 {
		p := d.paths[c]
		p.choose()
		f.Active[c] = d.above[c] >= 2*d.noise[c]
		if !f.Active[c] || !p.valid {
			continue
		}
		f.Explained[c] = max(0, 1-d.unexpl[c]/d.above[c])
		f.Leak[c] = d.unexpl[c] <= unexplained*d.above[c] &&
			d.srcE[c] >= d.minLo*d.above[c] &&
			float64(p.lossDB(&d.lastSrc[c])) >= d.cfg.MinLossDB &&
			localCorr(&d.rx[c], &d.sx[c]) >= localMinCorr
	}
	d.last = f
	return f
}

// localCorr is the correlation of the window's receiver and delivered
// source log envelopes (bands by hops), each centred on its own mean:
// echo copies the source's pattern, a voice of its own does not.
func localCorr(r, s *[hopsPerWindow * numBands]float32) float32 {
	var mr, ms float32
	for i := range r {
		mr += r[i]
		ms += s[i]
	}
	mr /= float32(len(r))
	ms /= float32(len(s))
	var xy, xx, yy float32
	for i := range r {
		a, b := r[i]-mr, s[i]-ms
		xy += a * b
		xx += a * a
		yy += b * b
	}
	if xx <= 0 || yy <= 0 {
		return 0
	}
	return xy / float32(math.Sqrt(float64(xx*yy)))
}

// hopInto handles the newest hop of channel c as the receiver of the
// other channel's leakage.
func (d *Detector) hopInto(c int) {
	p := d.paths[c]
	src := 1 - c
	r := &d.hist[c][d.pos]
	hist := func(k int) *hop {
		return &d.hist[src][(d.pos-k+len(d.hist[src]))%len(d.hist[src])]
	}
	// Correlate while the source has been active within the lags, and
	// its own last window was not leakage from this channel.
	if d.hops > d.lags && !d.last.Leak[src] {
		for k := range d.lags {
			if hist(k).active {
				p.correlate(r, hist)
				break
			}
		}
	}
	d.above[c] += r.above
	d.noise[c] += r.noise
	if !p.valid {
		return
	}
	s, sf := p.source(hist, d.lags-1)
	if !d.last.Leak[src] {
		p.learn(r, &s, &sf)
	}
	_, unexpl := p.explain(r, &s)
	d.unexpl[c] += unexpl
	base := d.hop * numBands
	for b := range numBands {
		d.srcE[c] += s[b]
		d.lastSrc[c][b] = s[b]
		d.rx[c][base+b] = 3.0103 * log2(r.e[b])
		d.sx[c][base+b] = 3.0103 * log2(s[b])
	}
}

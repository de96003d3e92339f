package echo

import (
	"math"

	"github.com/callqa/callqa/pipeline/analyse/internal/spectrum"
)

const (
	numBands      = 8
	hopsPerWindow = 4   // 8 ms hops
	floorBlock    = 64  // hops per noise-floor block: 0.5 s
	floorBlocks   = 4   // blocks remembered: the floor is the minimum over 2 to 2.5 s
	floorBias     = 1.5 // the minimum of a band's smoothed energy underestimates its noise by about 2 dB
	floorSmooth   = 0.3 // the floor tracks band energies smoothed over about three hops
	meanAlpha     = 1.0 / 256
)

// bandHz are the band edges: 250 Hz to 3.5 kHz, narrower where speech
// has most of its energy.
var bandHz = [numBands + 1]float64{250, 500, 750, 1000, 1300, 1700, 2200, 2800, 3500}

// hop is one channel's analysis of one 8 ms hop.
type hop struct {
	e      [numBands]float32 // band energies
	x      [numBands]float32 // band log energies (dB) minus their slow means
	xx     float32           // sum of x^2
	xm     float32           // mean of x
	above  float32           // energy above the noise floor, all bands
	noise  float32           // the noise floor, all bands
	active bool              // 6 dB above the noise floor
	floor  [numBands]float32 // the noise floor at the time
}

// channel analyses one channel hop by hop.
type channel struct {
	pow   *spectrum.Power
	buf   []float32 // the last two hops: the 16 ms analysis window
	spec  []float32
	edges [numBands + 1]int // FFT bin edges of the bands
	eps   [numBands]float32 // band energy of white noise at -90 dBFS

	mean  [numBands]float32 // slow mean of the log energies, dB
	seen  bool
	count int // hops seen, up to 1/meanAlpha: the mean is a plain average until then

	smooth [numBands]float32 // band energies smoothed for the floor
	cur    [numBands]float32 // minimum in the current block
	blocks [floorBlocks][numBands]float32
	nb     int // blocks filled
	bi     int // next block to overwrite
	n      int // hops in the current block
	floor  [numBands]float32
}

func newChannel(h int) *channel {
	n := 2 * h
	pow, err := spectrum.New(n, spectrum.Hann)
	if err != nil {
		panic(err) // h comes from New, always 64 or 128
	}
	c := &channel{pow: pow, buf: make([]float32, n), spec: make([]float32, pow.Bins())}
	binHz := 8000.0 / 128 // 62.5 Hz at both rates (128 points at 8 kHz, 256 at 16 kHz)
	for i, hz := range bandHz {
		c.edges[i] = int(math.Round(hz / binHz))
	}
	// White noise of variance s2 has E|X_k|^2 = s2 * sum(w^2) = s2*3n/8.
	for b := range c.eps {
		c.eps[b] = float32(1e-9 * 3 * float64(n) / 8 * float64(c.edges[b+1]-c.edges[b]))
	}
	c.reset()
	return c
}

func (c *channel) reset() {
	clear(c.buf)
	c.mean, c.seen, c.count = [numBands]float32{}, false, 0
	for b := range c.cur {
		c.cur[b] = float32(math.Inf(1))
		c.floor[b] = c.eps[b]
	}
	c.nb, c.bi, c.n = 0, 0, 0
}

// analyse shifts the hop x into the analysis window and fills h.
func (c *channel) analyse(x []float32, h *hop) {
	half := len(c.buf) / 2
	copy(c.buf[:half], c.buf[half:])
	copy(c.buf[half:], x)
	c.pow.Compute(c.spec, c.buf)
	var above, noise float32
	for b := range numBands {
		var e float32
		for _, v := range c.spec[c.edges[b]:c.edges[b+1]] {
			e += v
		}
		e = max(e, c.eps[b])
		h.e[b] = e
		l := 3.0103 * log2(e)
		if !c.seen {
			c.mean[b], c.smooth[b] = l, e
		}
		c.mean[b] += (l - c.mean[b]) / float32(c.count+1)
		h.x[b] = l - c.mean[b]
		c.smooth[b] += floorSmooth * (e - c.smooth[b])
		c.cur[b] = min(c.cur[b], c.smooth[b])
		h.floor[b] = c.floor[b]
		above += max(0, e-c.floor[b])
		noise += c.floor[b]
	}
	c.seen = true
	c.count = min(c.count+1, int(1/meanAlpha)-1)
	var xx, xs float32
	for _, v := range h.x {
		xx += v * v
		xs += v
	}
	h.xx, h.xm = xx, xs/numBands
	h.above, h.noise = above, noise
	// Active: 6 dB above the floor over the bands together.
	h.active = above >= 3*noise
	if c.n++; c.n == floorBlock {
		c.blocks[c.bi] = c.cur
		c.bi = (c.bi + 1) % floorBlocks
		c.nb = min(c.nb+1, floorBlocks)
		for b := range c.cur {
			m := c.cur[b]
			for _, blk := range c.blocks[:c.nb] {
				m = min(m, blk[b])
			}
			c.floor[b] = max(c.eps[b], floorBias*m)
			c.cur[b] = float32(math.Inf(1))
		}
		c.n = 0
	} else if c.nb == 0 {
		// Before the first block ends, the floor is the running minimum.
		for b := range c.cur {
			c.floor[b] = max(c.eps[b], floorBias*c.cur[b])
		}
	}
}

// log2 is a fast base-2 logarithm of a positive float32, within 0.002
// (0.006 dB), from the exponent bits and a least-squares cubic in the
// mantissa.
func log2(v float32) float32 {
	b := math.Float32bits(v)
	e := float32(int32(b>>23&0xff) - 127)
	m := math.Float32frombits(b&0x7fffff | 0x3f800000) // in [1, 2)
	return e + ((0.15399338*m-1.02985294)*m+3.01126331)*m - 2.13407509
}

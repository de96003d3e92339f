package tone

import (
	"fmt"
	"math"

	"github.com/callqa/callqa/pipeline/analyse/internal/spectrum"
)

// WindowSeconds is the length of one analysis window: 32 ms.
const WindowSeconds = 0.032

// binHz is the spectral resolution at both rates: 8000/256 = 16000/512.
const binHz = 31.25

// maxBin is the last bin analysed: 4 kHz, so 8 and 16 kHz audio give the
// same features.
const maxBin = 128

// Config tunes a Detector. The zero value means the documented defaults.
type Config struct {
	// DTMFMinDBFS is the weakest accepted DTMF tone, RMS dBFS of each of
	// the two tones. Default -45.
	DTMFMinDBFS float64
	// DTMFMaxTwistDB is the largest accepted level difference between the
	// two tones, either way round. Default 8 (Q.24 accepts 4 to 8).
	DTMFMaxTwistDB float64
	// DTMFMinShare is the share of the window's energy the two tones must
	// hold. Default 0.5: a tone covering half the window, or one at 0 dB
	// signal-to-noise ratio.
	DTMFMinShare float64

	// ToneMinDBFS is the weakest call-progress tone. Default -50.
	ToneMinDBFS float64
	// ToneMinShare is the share of the window's energy (above 62 Hz) that
	// one or two narrow peaks must hold to be a tone. Default 0.9.
	ToneMinShare float64

	// MusicMinDBFS: windows quieter than this score 0 for music.
	// Default -60.
	MusicMinDBFS float64
	// MusicThreshold is the musicality score from which a window is
	// music. Default 0.25.
	MusicThreshold float64
}

func (c *Config) defaults() {
	def := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.DTMFMinDBFS, -45)
	def(&c.DTMFMaxTwistDB, 8)
	def(&c.DTMFMinShare, 0.5)
	def(&c.ToneMinDBFS, -50)
	def(&c.ToneMinShare, 0.9)
	def(&c.MusicMinDBFS, -60)
	def(&c.MusicThreshold, 0.25)
}

// Validate reports a setting out of its range, naming the field.
func (c Config) Validate() error {
	c.defaults()
	switch {
	case c.DTMFMinDBFS >= 0:
		return fmt.Errorf("tone: DTMFMinDBFS %g must be below 0", c.DTMFMinDBFS)
	case c.DTMFMaxTwistDB < 0:
		return fmt.Errorf("tone: DTMFMaxTwistDB %g must not be negative", c.DTMFMaxTwistDB)
	case c.DTMFMinShare < 0 || c.DTMFMinShare > 1:
		return fmt.Errorf("tone: DTMFMinShare %g must be in 0..1", c.DTMFMinShare)
	case c.ToneMinDBFS >= 0:
		return fmt.Errorf("tone: ToneMinDBFS %g must be below 0", c.ToneMinDBFS)
	case c.ToneMinShare < 0 || c.ToneMinShare > 1:
		return fmt.Errorf("tone: ToneMinShare %g must be in 0..1", c.ToneMinShare)
	case c.MusicMinDBFS >= 0:
		return fmt.Errorf("tone: MusicMinDBFS %g must be below 0", c.MusicMinDBFS)
	case c.MusicThreshold <= 0 || c.MusicThreshold > 1:
		return fmt.Errorf("tone: MusicThreshold %g must be in (0, 1]", c.MusicThreshold)
	}
	return nil
}

// Frame is what a Detector finds in one window.
type Frame struct {
	// Digit is the DTMF key sounding in the window ('0'-'9', '*', '#',
	// 'A'-'D'), or 0.
	Digit byte
	// DigitMask says which 8 ms quarters of the window hold the digit's
	// tones: bit 0 is the first quarter.
	DigitMask uint8
	// DigitLead is how many 8 ms quarters at the end of the previous
	// window already held this digit, when the press began there.
	DigitLead uint8

	// Tone is set when a steady call-progress tone sounds (one or two
	// pure frequencies, unchanged since the previous window).
	Tone bool
	// ToneHz is the strongest frequency of the tone, to a quarter bin.
	ToneHz float32

	// Music is the musicality score in [0, 1]: the share of the energy
	// in long-held spectral peaks, averaged over the last 0.5 s.
	Music float32
	// IsMusic is Music >= Config.MusicThreshold.
	IsMusic bool

	// DBFS is the window's RMS level.
	DBFS float32
}

// Detector analyses one channel, window by window.
type Detector struct {
	cfg  Config
	rate int
	n    int // samples per window
	q    int // samples per quarter

	pow  *spectrum.Power
	spec []float32 // Hann power spectrum, n/2+1 bins
	all  float32   // its sum from bin 2 (62.5 Hz) up
	prev []float32 // the previous window, for DTMF lead-in
	// quiet: windows below this mean square hold nothing any part
	// looks for, and skip the spectrum.
	quiet float64

	dtmf  dtmfState
	tone  toneState
	music musicState
}

// New returns a Detector for audio at rate (8000 or 16000 Hz).
func New(rate int, cfg Config) (*Detector, error) {
	if rate != 8000 && rate != 16000 {
		return nil, fmt.Errorf("tone: rate %d Hz, want 8000 or 16000", rate)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.defaults()
	n := rate * 32 / 1000
	pow, err := spectrum.New(n, spectrum.Hann)
	if err != nil {
		return nil, err
	}
	d := &Detector{
		cfg:  cfg,
		rate: rate,
		n:    n,
		q:    n / 4,
		pow:  pow,
		spec: make([]float32, pow.Bins()),
		prev: make([]float32, n),
	}
	d.dtmf.init(rate, n, cfg.DTMFMinDBFS, cfg.DTMFMaxTwistDB)
	d.music.init()
	d.quiet = math.Pow(10, min(cfg.DTMFMinDBFS, cfg.ToneMinDBFS, cfg.MusicMinDBFS)/10)
	return d, nil
}

// WindowSize is the number of samples Window expects: 256 at 8 kHz, 512
// at 16 kHz.
func (d *Detector) WindowSize() int { return d.n }

// Window analyses the next window of the channel. x must hold exactly
// WindowSize samples; a shorter final window should be padded with zeros.
func (d *Detector) Window(x []float32) Frame {
	x = x[:d.n]
	var f Frame
	var quarters [4]float32
	var total float32
	for i := range quarters {
		quarters[i] = sumSquares(x[i*d.q : (i+1)*d.q])
		total += quarters[i]
	}
	ms := float64(total) / float64(d.n)
	f.DBFS = float32(-100)
	if ms > 1e-10 {
		f.DBFS = float32(10 * math.Log10(ms))
	}
	if ms >= d.quiet {
		d.pow.Compute(d.spec, x)
		d.all = sumBins(d.spec[2:])
	} else {
		clear(d.spec)
		d.all = 0
	}
	d.dtmfWindow(&f, x, total, &quarters)
	if f.Digit == 0 {
		d.toneWindow(&f)
	} else {
		d.tone.reset()
	}
	d.musicWindow(&f)
	copy(d.prev, x)
	return f
}

// Reset forgets the channel's history, for a new recording.
func (d *Detector) Reset() {
	clear(d.prev)
	d.dtmf.last, d.dtmf.lastMask = 0, 0
	d.tone = toneState{k2: -1}
	d.music.reset()
}

// sumBins is the sum of x, with four accumulators.
func sumBins(x []float32) float32 {
	var a, b, c, e float32
	for len(x) >= 4 {
		a += x[0]
		b += x[1]
		c += x[2]
		e += x[3]
		x = x[4:]
	}
	for _, v := range x {
		a += v
	}
	return a + b + c + e
}

// sumSquares is the energy of x, with four accumulators.
func sumSquares(x []float32) float32 {
	var a, b, c, e float32
	for len(x) >= 4 {
		a += x[0] * x[0]
		b += x[1] * x[1]
		c += x[2] * x[2]
		e += x[3] * x[3]
		x = x[4:]
	}
	for _, v := range x {
		a += v * v
	}
	return a + b + c + e
}

package testaudio

import (
	"math"
	"math/rand/v2"
)

// newRand returns the package's deterministic generator for seed.
func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x7e57a0d10)) }

// noteHz is the equal-tempered frequency of a MIDI note number.
func noteHz(midi int) float64 { return 440 * math.Pow(2, float64(midi-69)/12) }

// pentatonic are the MIDI notes of C major pentatonic from C4 to C6, the
// scale of much Chinese hold music.
var pentatonic = []int{60, 62, 64, 67, 69, 72, 74, 76, 79, 81, 84}

// Melody is plucked hold music: a seeded random walk over the C major
// pentatonic scale (C4 to C6), one Karplus-Strong string pluck per note,
// notes of 0.25, 0.375 or 0.5 s ringing on under the next ones (a string
// decays by about 10 dB a second), scaled to dbfs RMS. It is synthesised
// at four times rate and resampled, as music recorded at a studio rate
// and sent down a telephone line is: at 8 kHz itself, the string's loop
// filter would damp every note within a tenth of a second.
func Melody(rate int, seconds, dbfs float64, seed uint64) []float32 {
	r := newRand(seed)
	hi := 4 * rate
	n := Samples(hi, seconds)
	out := make([]float32, n)
	durs := []float64{0.25, 0.375, 0.5}
	idx := 4
	for at := 0; at < n; {
		idx = max(0, min(len(pentatonic)-1, idx+r.IntN(5)-2))
		d := durs[r.IntN(len(durs))]
		ring := out[at:min(n, at+Samples(hi, d+1.2))]
		pluck(ring, hi, noteHz(pentatonic[idx]), r)
		at += Samples(hi, d)
	}
	out = fit(resample(out, hi, rate, 16), Samples(rate, seconds))
	return ScaleTo(out, dbfs)
}

// pluck adds one Karplus-Strong note to dst: a delay line filled with
// noise, fed back through a two-point average (half a sample of delay) and
// a first-order all-pass that tunes the fractional part of the period.
func pluck(dst []float32, rate int, hz float64, r *rand.Rand) {
	period := float64(rate) / hz
	n := int(period - 0.6)
	frac := period - 0.5 - float64(n) // in [0.1, 1.1): a stable all-pass
	if n < 2 {
		return
	}
	c := (1 - frac) / (1 + frac) // all-pass delay of about frac samples
	line := make([]float64, n)
	for i := range line {
		line[i] = 2*r.Float64() - 1
	}
	const loss = 0.9995
	fade := len(dst) / 5 // the last fifth fades out: no click at the cut
	var prev, apIn, apOut float64
	for i := range dst {
		j := i % n
		cur := line[j] // y[i-n]
		avg := loss * 0.5 * (cur + prev)
		prev = cur
		y := c*avg + apIn - c*apOut // y[k] = c*x[k] + x[k-1] - c*y[k-1]
		apIn, apOut = avg, y
		line[j] = y
		g := 0.5
		if k := len(dst) - i; k < fade {
			g *= float64(k) / float64(fade)
		}
		dst[i] += float32(g * cur)
	}
}

// chords of the pad: C, Am, F and G major triads, MIDI notes.
var chords = [][3]int{{60, 64, 67}, {57, 60, 64}, {53, 57, 60}, {55, 59, 62}}

// Pad is a sustained chord pad: the triads C, Am, F, G in turn, 3 s each
// (the first chosen by seed), every note six harmonics at 1/h amplitude
// played by two oscillators detuned by 0.1%, with a 0.4 s attack and
// release crossfading the chords, scaled to dbfs RMS.
func Pad(rate int, seconds, dbfs float64, seed uint64) []float32 {
	r := newRand(seed)
	n := Samples(rate, seconds)
	out := make([]float32, n)
	chordLen := Samples(rate, 3)
	fade := Samples(rate, 0.4)
	first := r.IntN(len(chords))
	for c := 0; c*chordLen < n; c++ {
		start := c*chordLen - fade/2
		end := min(n, (c+1)*chordLen+fade/2)
		chord := chords[(first+c)%len(chords)]
		for _, m := range chord {
			f0 := noteHz(m)
			for h := 1; h <= 6; h++ {
				f := f0 * float64(h)
				if f >= 0.45*float64(rate) {
					break
				}
				amp := 1 / float64(h)
				for _, detune := range []float64{0.999, 1.001} {
					w := 2 * math.Pi * f * detune / float64(rate)
					i0 := max(0, start)
					// A rotating phasor: sin(w*i + ph) without a Sin call
					// per sample.
					sy, cy := math.Sincos(w*float64(i0) + 2*math.Pi*r.Float64())
					sw, cw := math.Sincos(w)
					for i := i0; i < end; i++ {
						env := min(1, float64(i-start)/float64(fade), float64(end-i)/float64(fade))
						out[i] += float32(amp * env * sy)
						sy, cy = sy*cw+cy*sw, cy*cw-sy*sw
					}
				}
			}
		}
	}
	return ScaleTo(out, dbfs)
}

package testaudio

// White returns n samples of Gaussian white noise at dbfs RMS.
func White(n int, dbfs float64, seed uint64) []float32 {
	r := newRand(seed)
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(r.NormFloat64())
	}
	return ScaleTo(out, dbfs)
}

// Pink returns n samples of pink (1/f) noise at dbfs RMS: white noise
// through Paul Kellet's economy filter (within 0.5 dB of -3 dB/octave
// from 10 Hz up to near the Nyquist frequency at 8 and 16 kHz).
func Pink(n int, dbfs float64, seed uint64) []float32 {
	r := newRand(seed)
	out := make([]float32, n)
	var b0, b1, b2 float64
	for i := range out {
		w := r.NormFloat64()
		b0 = 0.99765*b0 + w*0.0990460
		b1 = 0.96300*b1 + w*0.2965164
		b2 = 0.57000*b2 + w*1.0526913
		out[i] = float32(b0 + b1 + b2 + w*0.1848)
	}
	return ScaleTo(out, dbfs)
}

// babbleShifts are the pitch (and tempo) factors of babble voices,
// num/den: a voice is played as if recorded at num/den of its rate.
var babbleShifts = [][2]int{{1, 1}, {9, 8}, {8, 9}, {16, 15}, {15, 16}, {6, 5}, {5, 6}, {1, 1}}

// Babble returns seconds of talkers voices talking at once (an open-plan
// contact centre), at dbfs RMS. Voice i is clip i mod 3 of Clips(),
// pitch- and tempo-shifted by one of 1, 9/8, 8/9, 16/15, 15/16, 6/5,
// 5/6, every other voice time-reversed, each looped from a seeded random
// start and brought to the same active level before summing. With more
// than three talkers segments of the same clips are reused, shifted in
// time and pitch.
func Babble(rate int, seconds float64, talkers int, dbfs float64, seed uint64) []float32 {
	r := newRand(seed)
	n := Samples(rate, seconds)
	out := make([]float32, n)
	clips := Clips()
	for v := range talkers {
		sh := babbleShifts[v%len(babbleShifts)]
		x := MustClip(clips[v%len(clips)], 16000)
		x = resample(x, 16000*sh[0], rate*sh[1], 16)
		if v%2 == 1 {
			for i, j := 0, len(x)-1; i < j; i, j = i+1, j-1 {
				x[i], x[j] = x[j], x[i]
			}
		}
		ScaleActiveTo(x, rate, -20)
		for i, k := 0, r.IntN(len(x)); i < n; i++ {
			out[i] += x[k]
			if k++; k == len(x) {
				k = 0
			}
		}
	}
	return ScaleTo(out, dbfs)
}

// BabbleUnder is babble as long as the speech x, belowDB under its active
// level (ActiveDBFS): an open-plan office behind a talker.
func BabbleUnder(x []float32, rate, talkers int, belowDB float64, seed uint64) []float32 {
	b := Babble(rate, float64(len(x))/float64(rate), talkers, ActiveDBFS(x, rate)-belowDB, seed)
	return fit(b, len(x))
}

package testaudio

import "math"

// resampleZeroCrossings is the filter's half length, in zero crossings of
// the sinc at the lower of the two rates.
const resampleZeroCrossings = 64

// Resample converts x from rate from to rate to with a polyphase
// windowed-sinc filter (Kaiser window, beta 8.6, 64 zero crossings each
// side): an anti-alias/anti-image low-pass with its -6 dB point at 0.9 of
// the lower rate's Nyquist frequency (3.6 kHz for 16 kHz to 8 kHz) and
// more than 80 dB of stop-band attenuation. Any ratio of integer rates
// works; the output has round(len(x)*to/from) samples. Each polyphase
// branch is normalised to unit DC gain.
func Resample(x []float32, from, to int) []float32 {
	return resample(x, from, to, resampleZeroCrossings)
}

// resample is Resample with a filter of zc zero crossings each side: 16
// is plenty for sounds whose top octave does not matter (the melody's
// four-times oversampling, babble) and four times cheaper.
func resample(x []float32, from, to, zc int) []float32 {
	if from <= 0 || to <= 0 {
		panic("testaudio: resample rates must be positive")
	}
	if from == to {
		return append([]float32(nil), x...)
	}
	g := gcd(from, to)
	up, down := to/g, from/g // upsample by up, keep every down-th
	span := max(up, down)
	half := float64(zc * span)      // in upsampled samples
	fc := 0.9 * 0.5 / float64(span) // cycles per upsampled sample
	k := int(math.Ceil(half/float64(up))) + 1
	width := 2*k + 1
	// Row p holds the taps of phase p in input order: tap i multiplies
	// x[q-k+i] for the output at u = q*up + p.
	tab := make([]float64, up*width)
	for p := range up {
		row := tab[p*width : (p+1)*width]
		var sum float64
		for i := range row {
			t := float64((k-i)*up + p)
			if math.Abs(t) >= half {
				continue
			}
			row[i] = sinc(2*fc*t) * kaiser(t/half, 8.6)
			sum += row[i]
		}
		for i := range row {
			row[i] /= sum
		}
	}
	n := int(math.Round(float64(len(x)) * float64(to) / float64(from)))
	out := make([]float32, n)
	for o := range out {
		u := o * down
		q, p := u/up, u%up
		row := tab[p*width : (p+1)*width]
		lo := q - k
		var acc float64
		if lo >= 0 && lo+width <= len(x) {
			for i, v := range x[lo : lo+width] {
				acc += row[i] * float64(v)
			}
		} else {
			for i, h := range row {
				if j := lo + i; j >= 0 && j < len(x) {
					acc += h * float64(x[j])
				}
			}
		}
		out[o] = float32(acc)
	}
	return out
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	return math.Sin(math.Pi*x) / (math.Pi * x)
}

// kaiser is the Kaiser window at r in [-1, 1].
func kaiser(r, beta float64) float64 {
	return bessel0(beta*math.Sqrt(max(0, 1-r*r))) / bessel0(beta)
}

// bessel0 is the modified Bessel function of the first kind, order 0.
func bessel0(x float64) float64 {
	sum, term := 1.0, 1.0
	for k := 1; k < 50; k++ {
		term *= (x / (2 * float64(k))) * (x / (2 * float64(k)))
		sum += term
		if term < 1e-12*sum {
			break
		}
	}
	return sum
}

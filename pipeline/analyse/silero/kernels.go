package silero

import "math"

// gemvGo sets y[r] = b[r] + dot(w[r*stride:r*stride+len(x)], x) for every
// r < len(y): a matrix-vector product over rows that may be a window of a
// wider matrix. Four rows share each load of x, and each row has its own
// accumulator, so the four sums are independent.
func gemvGo(y, b, w []float32, stride int, x []float32) {
	K := len(x)
	b = b[:len(y)]
	r := 0
	for ; r+4 <= len(y); r += 4 {
		w0 := w[r*stride:][:K]
		w1 := w[(r+1)*stride:][:K]
		w2 := w[(r+2)*stride:][:K]
		w3 := w[(r+3)*stride:][:K]
		var s0, s1, s2, s3 float32
		for j, v := range x {
			s0 += w0[j] * v
			s1 += w1[j] * v
			s2 += w2[j] * v
			s3 += w3[j] * v
		}
		y[r], y[r+1], y[r+2], y[r+3] = b[r]+s0, b[r+1]+s1, b[r+2]+s2, b[r+3]+s3
	}
	for ; r < len(y); r++ {
		w0 := w[r*stride:][:K]
		var s float32
		for j, v := range x {
			s += w0[j] * v
		}
		y[r] = b[r] + s
	}
}

// relu clamps x at zero in place.
func relu(x []float32) {
	for i, v := range x {
		x[i] = max(v, 0)
	}
}

// expf returns e**x in float32 within about 2 ulp: x = n*ln2 + r with
// |r| <= ln2/2, e**r by a degree-6 polynomial, 2**n by the exponent bits.
// Arguments are clamped to [-87, 88], where the result is still normal.
func expf(x float32) float32 {
	x = max(min(x, 88), -87)
	n := float32(math.Floor(float64(x*1.44269504088896341 + 0.5)))
	r := x - n*0.693359375 - n*-2.12194440e-4
	p := float32(1.9875691500e-4)
	p = p*r + 1.3981999507e-3
	p = p*r + 8.3334519073e-3
	p = p*r + 4.1665795894e-2
	p = p*r + 1.6666665459e-1
	p = p*r + 5.0000001201e-1
	p = p*r*r + r + 1
	return p * math.Float32frombits(uint32(int32(n)+127)<<23)
}

// sigmoidf is the logistic function in float32.
func sigmoidf(x float32) float32 { return 1 / (1 + expf(-x)) }

// tanhf is tanh in float32, with an absolute error of a few 1e-8.
func tanhf(x float32) float32 { return 1 - 2/(expf(2*x)+1) }

// cellGo is the LSTM cell on hidden units: with the gates g (i, f, g, o,
// hidden each, PyTorch's order), c = sigmoid(f)*c + sigmoid(i)*tanh(g) and
// h = sigmoid(o)*tanh(c), updated in place; it returns sum(w*max(h, 0)),
// the decoder's dot product.
func cellGo(g, c, h, w []float32) float32 {
	g, c, h, w = g[:4*hidden], c[:hidden], h[:hidden], w[:hidden]
	var out float32
	for j := range hidden {
		ig := sigmoidf(g[j])
		fg := sigmoidf(g[hidden+j])
		gg := tanhf(g[2*hidden+j])
		og := sigmoidf(g[3*hidden+j])
		cj := fg*c[j] + ig*gg
		c[j] = cj
		hj := og * tanhf(cj)
		h[j] = hj
		out += w[j] * max(hj, 0)
	}
	return out
}

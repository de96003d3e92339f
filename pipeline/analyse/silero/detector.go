package silero

import "fmt"

// Detector runs the model over one stream (one channel) at one sample
// rate: it keeps the context samples of the previous window and the LSTM
// state between calls. It is not safe for concurrent use; make one per
// channel. Process allocates nothing.
type Detector struct {
	n *net

	in []float32 // context + window + reflect padding

	// Encoder activations, time-major ([frame][channel]) with a zero frame
	// before and after the frames, which are the convolutions' padding.
	act [4][]float32
	// xh is the LSTM's input (the encoder's output) followed by h.
	xh    []float32
	c     []float32 // LSTM cell state
	gates []float32

	fft      *fft
	fre, fim []float32 // FFT scratch

	// The kernels: Go, or AVX2/FMA assembly.
	simd   bool
	gemv   func(y, b, w []float32, stride int, x []float32)
	cellFn func(g, c, h, w []float32) float32
}

// NewDetector returns a detector for a stream at sampleRate, which must be
// 8000 or 16000 (resample anything else first).
func (m *Model) NewDetector(sampleRate int) (*Detector, error) {
	return m.newDetector(sampleRate, m.simd)
}

// newDetector makes a detector with the SIMD kernels or without them.
func (m *Model) newDetector(sampleRate int, simd bool) (*Detector, error) {
	i, err := rateIndex(sampleRate)
	if err != nil {
		return nil, err
	}
	n, err := m.net(i)
	if err != nil {
		return nil, err
	}
	return newNetDetector(n, simd), nil
}

func newNetDetector(n *net, simd bool) *Detector {
	d := &Detector{
		n:      n,
		in:     make([]float32, n.context+n.window+n.pad),
		xh:     make([]float32, 2*hidden),
		c:      make([]float32, hidden),
		gates:  make([]float32, 4*hidden),
		fft:    newFFT(n.nfft, simd),
		fre:    make([]float32, n.nfft),
		fim:    make([]float32, n.nfft),
		gemv:   gemvGo,
		cellFn: cellGo,
	}
	if simd {
		d.simd, d.gemv, d.cellFn = true, gemvAVX2, cellSIMD
	}
	T := n.frames
	for i, c := range n.enc {
		d.act[i] = make([]float32, (T+2)*c.inP)
		T = (T+2-3)/c.stride + 1
	}
	return d
}

// SampleRate returns the detector's sample rate.
func (d *Detector) SampleRate() int { return d.n.rate }

// WindowSize returns the number of new samples that Process takes: 256 at
// 8 kHz, 512 at 16 kHz (32 ms).
func (d *Detector) WindowSize() int { return d.n.window }

// Reset returns the detector to the start of a stream: zero context and
// zero LSTM state.
func (d *Detector) Reset() {
	clear(d.in)
	clear(d.xh)
	clear(d.c)
}

// Process takes the next WindowSize() samples of the stream, scaled to
// [-1, 1), and returns the model's speech probability for them. It panics
// if len(window) != WindowSize(). The samples must be finite: a NaN or an
// infinity makes the probability NaN and stays in the LSTM state until
// Reset.
func (d *Detector) Process(window []float32) float32 {
	n := d.n
	if len(window) != n.window {
		panic(fmt.Sprintf("silero: Process got %d samples, want %d", len(window), n.window))
	}
	copy(d.in[n.context:n.context+n.window], window)
	return d.run()
}

// ProcessSilence is Process of a window of digital silence (zeros), made
// cheaper: when the context (the previous window's last samples) is zero
// too, the STFT and the encoder's output are constants of the model,
// computed by Decode, so only the LSTM's recurrent half runs, about a
// fifth of a window's work. The state afterwards is what Process of zeros
// leaves, within float32 rounding (the sums are taken in another order;
// the probabilities differ by less than 1e-5). Stream uses it for every
// all-zero window.
//
// The model does not settle on silence: some LSTM cells keep integrating,
// so its state still drifts after minutes of zeros, and a skipped stretch
// of any length must be replayed window by window for the state to be the
// model's. Skipping windows that are quiet but not silent is not free:
// the model's state carries the line noise. On the reference clips,
// ProcessSilence for every window below -55 dBFS RMS (line noise and the
// pauses between words) changes the probabilities of the windows still
// computed by up to 0.3-0.7 and moves segment ends by up to 0.11 s; below
// -70 dBFS, on the clip with hold music and DTMF, it makes the model find
// a speech span that it misses when it hears the noise. Reset instead of
// ProcessSilence is worse (changes up to 0.8-1.0). TestSkipQuietWindows
// records these figures.
func (d *Detector) ProcessSilence() float32 {
	n := d.n
	L := n.context + n.window
	for _, v := range d.in[:n.context] {
		if v != 0 {
			clear(d.in[n.context:L])
			return d.run()
		}
	}
	d.gemv(d.gates, n.zeroGates, n.lstmW[hidden:], 2*hidden, d.xh[hidden:])
	return d.cell()
}

// run computes the window in d.in[context:context+window].
func (d *Detector) run() float32 {
	n := d.n
	L := n.context + n.window
	for j := range n.pad { // reflect padding on the right
		d.in[L+j] = d.in[L-2-j]
	}
	d.encode()
	// Keep the last context samples as the next window's context.
	copy(d.in[:n.context], d.in[L-n.context:L])
	// LSTM gates, i, f, g, o (PyTorch order), from the input and h.
	d.gemv(d.gates, n.lstmB, n.lstmW, 2*hidden, d.xh)
	return d.cell()
}

// encode computes the STFT and the encoder, into d.xh[:hidden].
func (d *Detector) encode() {
	n := d.n
	// STFT magnitudes into frames 1..T of the first activation buffer.
	B, T := n.bins, n.frames
	d.fft.stftMagnitudes(d.act[0][n.enc[0].inP:], d.in, n.win, n.hop, T, B, n.enc[0].inP, d.fre, d.fim)
	d.encodeSpectrum()
}

// encodeSpectrum runs the encoder on the magnitudes in d.act[0]. Output
// frame t of a layer with stride s reads the padded input frames t*s ..
// t*s+2. With the SIMD kernels, the layers with several output frames
// compute them together, so that their weights are read once, taps on
// the padding frames (zeros) included; otherwise those taps are skipped.
func (d *Detector) encodeSpectrum() {
	n := d.n
	T := n.frames
	for i := range n.enc {
		c := &n.enc[i]
		x := d.act[i]
		To := (T+2-3)/c.stride + 1
		var y []float32
		if i+1 < len(n.enc) {
			y = d.act[i+1][c.out : c.out*(To+1)]
		} else {
			y = d.xh[:c.out] // To == 1
		}
		C := c.inP
		if To > 1 && d.simd && convSIMD(y, c.b, c.wt, 3*C, 3*C, c.out, x, c.stride*C, c.out, To) {
			T = To
			continue
		}
		for t := range To {
			k0 := max(0, 1-t*c.stride)
			k1 := min(3, T+1-t*c.stride)
			yt := y[t*c.out : (t+1)*c.out]
			d.gemv(yt, c.b, c.wt[k0*C:], 3*C, x[(t*c.stride+k0)*C:(t*c.stride+k1)*C])
			relu(yt)
		}
		T = To
	}
}

// cell applies the LSTM's gates in d.gates to its state and returns the
// decoder's probability.
func (d *Detector) cell() float32 {
	n := d.n
	return sigmoidf(n.decB + d.cellFn(d.gates, d.c, d.xh[hidden:], n.decW))
}

package silero

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
)

// loadEmbedded makes the embedded model on the first call to Load, not at
// package initialisation, and caches it (the only package-level state
// besides the embedded weights files). Each rate's network is built on
// its first detector: a call at 8 kHz never touches the 16 kHz weights.
var loadEmbedded = sync.OnceValues(embeddedModel)

// embeddedModel makes the embedded model, uncached (Load caches it; the
// benchmarks measure what a process's first Load costs).
func embeddedModel() (*Model, error) {
	return &Model{weights: [2]string{weights8k, weights16k}, simd: hasAVX2()}, nil
}

// Load returns the embedded Silero VAD v5 model: upstream's
// silero_vad.onnx, as the weights files made from it (see weights.go).
// It is cheap; each rate's network is read on its first detector (well
// under a millisecond), and the same immutable *Model is returned by every
// later call.
func Load() (*Model, error) { return loadEmbedded() }

// Model holds the immutable weights of both of the model's sample rates. It
// is safe for concurrent use; all mutable state lives in a Detector.
type Model struct {
	// Each rate's network is loaded on first use: from its If branch of an
	// ONNX file (Decode, which loads both at once) or else from its
	// weights file (Load).
	branches [2]*onnxGraph // 8 kHz, 16 kHz
	weights  [2]string     // 8 kHz, 16 kHz
	once     [2]sync.Once
	nets     [2]*net // 8 kHz, 16 kHz
	errs     [2]error
	simd     bool // use the AVX2/FMA kernels
}

// net returns the network of rate index i (0: 8 kHz, 1: 16 kHz), loading
// it on first use.
func (m *Model) net(i int) (*net, error) {
	m.once[i].Do(func() {
		rate := []int{8000, 16000}[i]
		if m.branches[i] == nil {
			m.nets[i], m.errs[i] = netFromWeights(rate, m.weights[i])
			return
		}
		n, err := loadNet(m.branches[i], rate)
		if err != nil {
			m.errs[i] = fmt.Errorf("silero: %d Hz branch: %w", rate, err)
			return
		}
		n.compact()
		m.nets[i] = n
	})
	return m.nets[i], m.errs[i]
}

// hidden is the LSTM's state size, the same for both rates.
const hidden = 128

// net is the weights of one sample rate's network: STFT (as an FFT of the
// windowed frame), four conv+ReLU encoder layers, one LSTM cell and the
// decoder, with the layouts the kernels read.
type net struct {
	rate    int
	window  int // new samples per call: 256 or 512
	context int // samples kept from the previous call: 32 or 64
	nfft    int // STFT frame length: 128 or 256
	hop     int // STFT hop: nfft/2
	pad     int // reflect padding on the right: nfft/4
	bins    int // nfft/2+1
	frames  int // STFT frames per call: 4

	// basis is the ONNX STFT basis, [2*bins][nfft]: rows 0..bins-1 the
	// real parts, then the imaginary parts. The detector uses the FFT and
	// win instead. Like the other weights in ONNX layouts (conv.w, wih,
	// whh, bih, bhh), it is dropped by compact once the detector's
	// layouts are made.
	basis []float32
	win   []float32 // analysis window, basis row 0 (the DC row)

	enc [4]conv

	// LSTM, PyTorch gate order i, f, g, o.
	wih, whh []float32 // [4*hidden][hidden]
	bih, bhh []float32 // [4*hidden]

	decW []float32 // [hidden]
	decB float32

	// Layouts for the detector, made by prepare.
	lstmW []float32 // [4*hidden][2*hidden]: row r is wih[r] then whh[r]
	lstmB []float32 // bih + bhh

	// zeroGates is lstmB plus wih times the encoder's output for a window
	// of zeros with a zero context, for ProcessSilence.
	zeroGates []float32
}

// conv is one Conv1d layer (kernel 3, padding 1) of the encoder.
type conv struct {
	in, out, stride int
	w               []float32 // ONNX layout [out][in][3]
	b               []float32 // [out]
	inP             int       // in rounded up to a multiple of 8
	wt              []float32 // tap-major [out][3][inP], zero-padded, made by prepare
}

// rateIndex maps a sample rate to the index in Model.nets.
func rateIndex(sampleRate int) (int, error) {
	switch sampleRate {
	case 8000:
		return 0, nil
	case 16000:
		return 1, nil
	}
	return 0, fmt.Errorf("silero: sample rate %d: %w", sampleRate, ErrSampleRate)
}

// ErrSampleRate is returned for sample rates other than 8000 and 16000.
var ErrSampleRate = errors.New("unsupported sample rate (want 8000 or 16000)")

// Decode reads a Silero VAD v5 model from the bytes of its ONNX file (the
// graph that upstream exports with both sample rates in If branches). It
// checks every weight's shape and the graph's convolution, padding and
// LSTM attributes, and that the STFT basis is a windowed DFT, so a
// different model is rejected rather than computed wrongly. Malformed input
// gives an error wrapping ErrFormat, never a panic.
func Decode(onnx []byte) (*Model, error) {
	g, err := parseModel(onnx)
	if err != nil {
		return nil, fmt.Errorf("silero: %w", err)
	}
	branches, err := findBranches(g)
	if err != nil {
		return nil, fmt.Errorf("silero: %w", err)
	}
	m := &Model{branches: branches, simd: hasAVX2()}
	for i := range m.nets {
		if _, err := m.net(i); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// loadNets loads both rates' networks of g (the tests' reference reads the
// weights in their ONNX layouts).
func loadNets(g *onnxGraph) ([2]*net, error) {
	var nets [2]*net
	branches, err := findBranches(g)
	if err != nil {
		return nets, err
	}
	for i, rate := range []int{8000, 16000} {
		if nets[i], err = loadNet(branches[i], rate); err != nil {
			return nets, fmt.Errorf("%d Hz branch: %w", rate, err)
		}
	}
	return nets, nil
}

// findBranches finds the If node that selects the sample rate and returns
// its branches: 8 kHz, 16 kHz.
func findBranches(g *onnxGraph) ([2]*onnxGraph, error) {
	var nets [2]*onnxGraph
	consts := map[string]*onnxTensor{}
	var top, cond *onnxNode
	for i := range g.nodes {
		nd := &g.nodes[i]
		switch nd.op {
		case "Constant":
			for _, a := range nd.attrs {
				if a.name == "value" && a.t != nil && len(nd.outputs) == 1 {
					consts[nd.outputs[0]] = a.t
				}
			}
		case "Equal":
			cond = nd
		case "If":
			if top != nil {
				return nets, fmt.Errorf("%w: more than one If at the top of the graph", ErrFormat)
			}
			top = nd
		}
	}
	// The If's condition must be sr == 16000: then_branch is 16 kHz.
	if top == nil || cond == nil || len(top.inputs) != 1 || len(cond.outputs) != 1 || top.inputs[0] != cond.outputs[0] ||
		len(cond.inputs) != 2 || cond.inputs[0] != "sr" || consts[cond.inputs[1]] == nil {
		return nets, fmt.Errorf("%w: no If on sr == 16000 selecting the sample rate", ErrFormat)
	}
	if v, err := consts[cond.inputs[1]].int64Data(); err != nil || len(v) != 1 || v[0] != 16000 {
		return nets, fmt.Errorf("%w: the If on the sample rate does not test sr == 16000", ErrFormat)
	}
	for _, a := range top.attrs {
		var idx int
		switch a.name {
		case "then_branch":
			idx = 1 // 16 kHz
		case "else_branch":
			idx = 0 // 8 kHz
		default:
			continue
		}
		if a.g == nil {
			return nets, fmt.Errorf("%w: %s is not a graph", ErrFormat, a.name)
		}
		nets[idx] = a.g
	}
	if nets[0] == nil || nets[1] == nil {
		return nets, fmt.Errorf("%w: missing a sample rate's branch", ErrFormat)
	}
	return nets, nil
}

// newNet returns the shapes of rate's network (8000 or 16000), without
// weights.
func newNet(rate int) *net {
	n := &net{rate: rate, frames: 4}
	n.window = rate / 8000 * 256
	n.context = n.window / 8
	n.nfft = n.window / 2
	n.hop = n.nfft / 2
	n.pad = n.nfft / 4
	n.bins = n.nfft/2 + 1
	ins := [4]int{n.bins, 128, 64, 64}
	outs := [4]int{128, 64, 64, 128}
	strides := [4]int{1, 2, 2, 1}
	for i := range n.enc {
		c := &n.enc[i]
		c.in, c.out, c.stride = ins[i], outs[i], strides[i]
		c.inP = (c.in + 7) &^ 7
	}
	return n
}

// loadNet extracts and checks one rate's weights from its If branch.
func loadNet(g *onnxGraph, rate int) (*net, error) {
	n := newNet(rate)
	consts := map[string]*onnxTensor{}
	var convs []*onnxNode
	var pads, lstms []*onnxNode
	for i := range g.nodes {
		nd := &g.nodes[i]
		switch nd.op {
		case "Constant":
			for _, a := range nd.attrs {
				if a.name == "value" && a.t != nil && len(nd.outputs) == 1 {
					consts[nd.outputs[0]] = a.t
				}
			}
		case "Conv":
			convs = append(convs, nd)
		case "Pad":
			pads = append(pads, nd)
		}
		for _, a := range nd.attrs {
			if a.g == nil {
				continue
			}
			// The LSTM sits in nested If branches (with and without a
			// given state); both copies must agree.
			walk(a.g, func(sub *onnxNode) {
				if sub.op == "LSTM" {
					lstms = append(lstms, sub)
				}
			})
		}
	}
	// get finds a constant by the suffix of its output name.
	get := func(suffix string, dims ...int64) ([]float32, error) {
		var t *onnxTensor
		for name, c := range consts {
			if strings.HasSuffix(name, "__"+suffix) {
				if t != nil {
					return nil, fmt.Errorf("%w: two constants named %s", ErrFormat, suffix)
				}
				t = c
			}
		}
		if t == nil {
			return nil, fmt.Errorf("%w: no constant %s", ErrFormat, suffix)
		}
		if !equalDims(t.dims, dims) {
			return nil, fmt.Errorf("%w: %s has dims %v, want %v", ErrFormat, suffix, t.dims, dims)
		}
		return t.float32Data()
	}
	var err error
	if n.basis, err = get("stft.forward_basis_buffer", int64(2*n.bins), 1, int64(n.nfft)); err != nil {
		return nil, err
	}
	for i := range n.enc {
		c := &n.enc[i]
		if c.w, err = get(fmt.Sprintf("encoder.%d.reparam_conv.weight", i), int64(c.out), int64(c.in), 3); err != nil {
			return nil, err
		}
		if c.b, err = get(fmt.Sprintf("encoder.%d.reparam_conv.bias", i), int64(c.out)); err != nil {
			return nil, err
		}
	}
	if n.wih, err = get("decoder.rnn.weight_ih", 4*hidden, hidden); err != nil {
		return nil, err
	}
	if n.whh, err = get("decoder.rnn.weight_hh", 4*hidden, hidden); err != nil {
		return nil, err
	}
	if n.bih, err = get("decoder.rnn.bias_ih", 4*hidden); err != nil {
		return nil, err
	}
	if n.bhh, err = get("decoder.rnn.bias_hh", 4*hidden); err != nil {
		return nil, err
	}
	if n.decW, err = get("decoder.decoder.2.weight", 1, hidden, 1); err != nil {
		return nil, err
	}
	db, err := get("decoder.decoder.2.bias", 1)
	if err != nil {
		return nil, err
	}
	n.decB = db[0]

	if err := n.checkGraph(convs, pads, lstms); err != nil {
		return nil, err
	}
	if err := n.checkBasis(); err != nil {
		return nil, err
	}
	n.prepare()
	for _, w := range [][]float32{n.wih, n.whh, n.bih, n.bhh, n.decW, db, n.enc[0].w, n.enc[1].w, n.enc[2].w, n.enc[3].w,
		n.enc[0].b, n.enc[1].b, n.enc[2].b, n.enc[3].b} {
		for _, v := range w {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return nil, fmt.Errorf("%w: a weight is not finite", ErrFormat)
			}
		}
	}
	return n, nil
}

// walk calls f on every node of g and of its subgraphs.
func walk(g *onnxGraph, f func(*onnxNode)) {
	for i := range g.nodes {
		f(&g.nodes[i])
		for _, a := range g.nodes[i].attrs {
			if a.g != nil {
				walk(a.g, f)
			}
		}
	}
}

func equalDims(a []int64, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func attrInts(nd *onnxNode, name string) []int64 {
	for _, a := range nd.attrs {
		if a.name == name {
			if len(a.ints) == 0 {
				return []int64{a.i}
			}
			return a.ints
		}
	}
	return nil
}

func attr(nd *onnxNode, name string) (onnxAttr, bool) {
	for _, a := range nd.attrs {
		if a.name == name {
			return a, true
		}
	}
	return onnxAttr{}, false
}

// checkGraph checks the attributes that the code hard-wires: the STFT conv
// (kernel nfft, stride hop), the encoder convs (kernel 3, padding 1, the
// strides), the reflect Pad and the LSTM size. The decoder's 1x1 conv is
// the sixth Conv.
func (n *net) checkGraph(convs, pads, lstms []*onnxNode) error {
	if len(convs) != 6 {
		return fmt.Errorf("%w: %d Conv nodes, want 6", ErrFormat, len(convs))
	}
	type want struct{ kernel, stride, pad int64 }
	wants := []want{{int64(n.nfft), int64(n.hop), 0}}
	for _, c := range n.enc {
		wants = append(wants, want{3, int64(c.stride), 1})
	}
	wants = append(wants, want{1, 1, 0})
	for i, c := range convs {
		w := wants[i]
		k, s, p := attrInts(c, "kernel_shape"), attrInts(c, "strides"), attrInts(c, "pads")
		if !equalDims(k, []int64{w.kernel}) || !equalDims(s, []int64{w.stride}) || !equalDims(p, []int64{w.pad, w.pad}) {
			return fmt.Errorf("%w: Conv %d has kernel %v strides %v pads %v, want %d, %d, %d",
				ErrFormat, i, k, s, p, w.kernel, w.stride, w.pad)
		}
		if d := attrInts(c, "dilations"); d != nil && !equalDims(d, []int64{1}) {
			return fmt.Errorf("%w: Conv %d has dilations %v", ErrFormat, i, d)
		}
		if gr := attrInts(c, "group"); gr != nil && !equalDims(gr, []int64{1}) {
			return fmt.Errorf("%w: Conv %d has group %v", ErrFormat, i, gr)
		}
	}
	if len(pads) != 1 {
		return fmt.Errorf("%w: %d Pad nodes, want 1", ErrFormat, len(pads))
	}
	if a, ok := attr(pads[0], "mode"); !ok || string(a.s) != "reflect" {
		return fmt.Errorf("%w: the STFT padding is not reflect", ErrFormat)
	}
	if len(lstms) == 0 {
		return fmt.Errorf("%w: no LSTM", ErrFormat)
	}
	for _, l := range lstms {
		if h := attrInts(l, "hidden_size"); !equalDims(h, []int64{hidden}) {
			return fmt.Errorf("%w: LSTM hidden_size %v, want %d", ErrFormat, h, hidden)
		}
		for _, a := range l.attrs {
			switch a.name {
			case "hidden_size":
			case "direction":
				if string(a.s) != "forward" {
					return fmt.Errorf("%w: LSTM direction %q", ErrFormat, a.s)
				}
			default:
				return fmt.Errorf("%w: LSTM attribute %s not supported", ErrFormat, a.name)
			}
		}
	}
	return nil
}

// basisTolerance bounds how far the ONNX STFT basis may be from
// win[t]*cos(2*pi*k*t/nfft) and -win[t]*sin(...), computed in float64: the
// file stores float32 products, so the differences are rounding (about
// 6e-8 for the real model).
const basisTolerance = 1e-6

// checkBasis checks that the STFT basis is a windowed DFT, which is what
// lets the detector use an FFT, and takes the window from its DC row.
func (n *net) checkBasis() error {
	N := n.nfft
	n.win = make([]float32, N)
	copy(n.win, n.basis[:N])
	cos, sin := make([]float64, N), make([]float64, N)
	for i := range N {
		cos[i], sin[i] = math.Cos(2*math.Pi*float64(i)/float64(N)), math.Sin(2*math.Pi*float64(i)/float64(N))
	}
	for k := range n.bins {
		re := n.basis[k*N : (k+1)*N]
		im := n.basis[(n.bins+k)*N : (n.bins+k+1)*N]
		for t := range N {
			a := (k * t) % N // the angle 2*pi*k*t/N, reduced exactly
			w := float64(n.win[t])
			if math.Abs(float64(re[t])-w*cos[a]) > basisTolerance ||
				math.Abs(float64(im[t])+w*sin[a]) > basisTolerance {
				return fmt.Errorf("%w: STFT basis row %d is not a windowed DFT", ErrFormat, k)
			}
		}
	}
	return nil
}

// prepare makes the layouts that the detector's kernels read contiguously:
// tap-major conv weights, so that the three taps of an output frame are
// one dot product with three consecutive time-major input frames (the
// channels padded with zeros to a multiple of 8 for the SIMD kernel), and the
// LSTM's two matrices side by side, so that the gates are one
// matrix-vector product with the input and h concatenated.
func (n *net) prepare() {
	for i := range n.enc {
		c := &n.enc[i]
		c.wt = make([]float32, c.out*3*c.inP)
		for o := range c.out {
			for ci := range c.in {
				for k := range 3 {
					c.wt[(o*3+k)*c.inP+ci] = c.w[(o*c.in+ci)*3+k]
				}
			}
		}
	}
	n.lstmW = make([]float32, 4*hidden*2*hidden)
	n.lstmB = make([]float32, 4*hidden)
	for r := range 4 * hidden {
		copy(n.lstmW[r*2*hidden:], n.wih[r*hidden:(r+1)*hidden])
		copy(n.lstmW[r*2*hidden+hidden:], n.whh[r*hidden:(r+1)*hidden])
		n.lstmB[r] = n.bih[r] + n.bhh[r]
	}
	// The encoder's output for silence: all magnitudes zero.
	d := newNetDetector(n, false)
	d.encodeSpectrum()
	n.zeroGates = make([]float32, 4*hidden)
	gemvGo(n.zeroGates, n.lstmB, n.lstmW, 2*hidden, d.xh[:hidden])
}

// compact drops the weights in ONNX layouts, which the detector does not
// read (the reference implementation in the tests loads its own).
func (n *net) compact() {
	n.basis, n.wih, n.whh, n.bih, n.bhh = nil, nil, nil, nil, nil
	for i := range n.enc {
		n.enc[i].w = nil
	}
}

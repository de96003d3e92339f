package silero

import (
	_ "embed"
	"encoding/binary"
	"fmt"
	"math"
	"unsafe"
)

// The weights files hold each rate's network as the detector reads it:
// the arrays that loadNet makes from silero_vad.onnx (the analysis window,
// the tap-major conv weights, the LSTM's side-by-side matrices, the
// silence gates), little-endian float32, after a 16-byte header. Load
// builds the networks from views of them, with no parsing or re-layout:
// that was about 6 ms of the start-up of callqa inspect on this project's
// 2-core machine. The test TestWeightsFiles checks that they are what
// loadNet makes of silero_vad.onnx, byte for byte, and rewrites them with
// -update (the go:generate line below).
//
//go:generate go test -run ^TestWeightsFiles$ -update
var (
	//go:embed weights_8k.bin
	weights8k string
	//go:embed weights_16k.bin
	weights16k string
)

// weightsMagic starts a weights file; the rate (uint32) and the number of
// float32 values (uint32) follow, then the values.
const (
	weightsMagic  = "svad5w01"
	weightsHeader = 16
)

// weightArrays returns pointers to the arrays of n that the detector reads,
// in the order of a weights file, with their lengths for n's shapes. The
// decoder's bias, a scalar, comes after them.
func (n *net) weightArrays() []weightArray {
	a := []weightArray{{&n.win, n.nfft}}
	for i := range n.enc {
		c := &n.enc[i]
		a = append(a, weightArray{&c.b, c.out}, weightArray{&c.wt, c.out * 3 * c.inP})
	}
	return append(a,
		weightArray{&n.lstmW, 4 * hidden * 2 * hidden},
		weightArray{&n.lstmB, 4 * hidden},
		weightArray{&n.zeroGates, 4 * hidden},
		weightArray{&n.decW, hidden})
}

// weightArray is one array of a weights file.
type weightArray struct {
	p   *[]float32
	len int
}

// weightCount returns the number of float32 values in a weights file of n.
func (n *net) weightCount() int {
	total := 1 // decB
	for _, a := range n.weightArrays() {
		total += a.len
	}
	return total
}

// appendWeights appends n's weights file to b.
func (n *net) appendWeights(b []byte) ([]byte, error) {
	b = append(b, weightsMagic...)
	b = binary.LittleEndian.AppendUint32(b, uint32(n.rate))
	b = binary.LittleEndian.AppendUint32(b, uint32(n.weightCount()))
	for _, a := range n.weightArrays() {
		if len(*a.p) != a.len {
			return nil, fmt.Errorf("silero: %d Hz: an array has %d values, want %d", n.rate, len(*a.p), a.len)
		}
		for _, v := range *a.p {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
		}
	}
	return binary.LittleEndian.AppendUint32(b, math.Float32bits(n.decB)), nil
}

// netFromWeights returns rate's network from its weights file. Where the
// file's bytes can be read in place as float32 (a little-endian CPU, an
// aligned string), the arrays are views of them, capped so that an append
// cannot reach the next one; the embedded files are read-only memory, so a
// write would fault rather than change the model. Elsewhere they are
// decoded into a copy.
func netFromWeights(rate int, data string) (*net, error) {
	n := newNet(rate)
	total := n.weightCount()
	if len(data) != weightsHeader+4*total || data[:len(weightsMagic)] != weightsMagic ||
		binary.LittleEndian.Uint32([]byte(data[8:12])) != uint32(rate) ||
		binary.LittleEndian.Uint32([]byte(data[12:16])) != uint32(total) {
		return nil, fmt.Errorf("silero: %d Hz weights: %w", rate, ErrFormat)
	}
	body := data[weightsHeader:]
	var f []float32
	if p := unsafe.StringData(body); binary.NativeEndian.Uint16([]byte{1, 0}) == 1 && uintptr(unsafe.Pointer(p))%4 == 0 {
		f = unsafe.Slice((*float32)(unsafe.Pointer(p)), total)
	} else {
		b := []byte(body)
		f = make([]float32, total)
		for i := range f {
			f[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
	}
	off := 0
	for _, a := range n.weightArrays() {
		*a.p = f[off : off+a.len : off+a.len]
		off += a.len
	}
	n.decB = f[off]
	return n, nil
}

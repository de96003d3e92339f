package silero

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// This file is a minimal reader of the ONNX protobuf format: just the
// messages and fields that locate the Silero weights (ModelProto.graph,
// GraphProto.node/initializer, NodeProto, AttributeProto, TensorProto).
// Unknown fields are skipped, as protobuf requires. Every length is checked
// against the bytes left, so corrupt input gives an error, never a panic or
// a huge allocation.

// ErrFormat is wrapped by the errors of Decode about a file that is not
// valid protobuf, or is not a Silero VAD v5 model.
var ErrFormat = errors.New("invalid model file")

// maxGraphDepth bounds the nesting of subgraphs (If branches): the real
// model nests two deep.
const maxGraphDepth = 8

// ONNX TensorProto.DataType values that the reader decodes.
const (
	dtFloat = 1
	dtInt64 = 7
)

type onnxGraph struct {
	name   string
	nodes  []onnxNode
	inits  []onnxTensor
	inputs []string
	output []string
}

type onnxNode struct {
	name    string
	op      string
	inputs  []string
	outputs []string
	attrs   []onnxAttr
}

type onnxAttr struct {
	name   string
	f      float32
	i      int64
	s      []byte
	t      *onnxTensor
	g      *onnxGraph
	floats []float32
	ints   []int64
}

type onnxTensor struct {
	name   string
	dims   []int64
	dtype  int64
	raw    []byte
	floats []float32
	ints   []int64
}

// pb reads protobuf wire format from a byte slice.
type pb struct {
	b   []byte
	off int
}

func (p *pb) done() bool { return p.off >= len(p.b) }

func (p *pb) varint() (uint64, error) {
	var v uint64
	for shift := uint(0); shift < 64; shift += 7 {
		if p.off >= len(p.b) {
			return 0, fmt.Errorf("%w: truncated varint", ErrFormat)
		}
		c := p.b[p.off]
		p.off++
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return v, nil
		}
	}
	return 0, fmt.Errorf("%w: varint too long", ErrFormat)
}

// key reads a field key: field number and wire type.
func (p *pb) key() (int, int, error) {
	k, err := p.varint()
	if err != nil {
		return 0, 0, err
	}
	if k>>3 == 0 || k>>3 > math.MaxInt32 {
		return 0, 0, fmt.Errorf("%w: bad field number", ErrFormat)
	}
	return int(k >> 3), int(k & 7), nil
}

// bytes reads a length-delimited field's payload (no copy).
func (p *pb) bytes() ([]byte, error) {
	n, err := p.varint()
	if err != nil {
		return nil, err
	}
	if n > uint64(len(p.b)-p.off) {
		return nil, fmt.Errorf("%w: length %d past the end", ErrFormat, n)
	}
	s := p.b[p.off : p.off+int(n)]
	p.off += int(n)
	return s, nil
}

func (p *pb) fixed32() (uint32, error) {
	if len(p.b)-p.off < 4 {
		return 0, fmt.Errorf("%w: truncated fixed32", ErrFormat)
	}
	v := binary.LittleEndian.Uint32(p.b[p.off:])
	p.off += 4
	return v, nil
}

// skip skips a field of wire type wt.
func (p *pb) skip(wt int) error {
	switch wt {
	case 0:
		_, err := p.varint()
		return err
	case 1:
		if len(p.b)-p.off < 8 {
			return fmt.Errorf("%w: truncated fixed64", ErrFormat)
		}
		p.off += 8
		return nil
	case 2:
		_, err := p.bytes()
		return err
	case 5:
		_, err := p.fixed32()
		return err
	}
	return fmt.Errorf("%w: unsupported wire type %d", ErrFormat, wt)
}

// want checks a field's wire type.
func want(field, wt, expect int) error {
	if wt != expect {
		return fmt.Errorf("%w: field %d has wire type %d, want %d", ErrFormat, field, wt, expect)
	}
	return nil
}

// int64s reads a repeated int64 field, packed (wire type 2) or not (0).
func (p *pb) int64s(dst []int64, field, wt int) ([]int64, error) {
	switch wt {
	case 0:
		v, err := p.varint()
		return append(dst, int64(v)), err
	case 2:
		b, err := p.bytes()
		if err != nil {
			return dst, err
		}
		q := pb{b: b}
		for !q.done() {
			v, err := q.varint()
			if err != nil {
				return dst, err
			}
			dst = append(dst, int64(v))
		}
		return dst, nil
	}
	return dst, want(field, wt, 2)
}

// float32s reads a repeated float field, packed (wire type 2) or not (5).
func (p *pb) float32s(dst []float32, field, wt int) ([]float32, error) {
	switch wt {
	case 5:
		v, err := p.fixed32()
		return append(dst, math.Float32frombits(v)), err
	case 2:
		b, err := p.bytes()
		if err != nil {
			return dst, err
		}
		if len(b)%4 != 0 {
			return dst, fmt.Errorf("%w: packed floats of %d bytes", ErrFormat, len(b))
		}
		for i := 0; i < len(b); i += 4 {
			dst = append(dst, math.Float32frombits(binary.LittleEndian.Uint32(b[i:])))
		}
		return dst, nil
	}
	return dst, want(field, wt, 2)
}

func (p *pb) str(field, wt int) (string, error) {
	if err := want(field, wt, 2); err != nil {
		return "", err
	}
	b, err := p.bytes()
	return string(b), err
}

// parseModel reads a ModelProto and returns its graph.
func parseModel(b []byte) (*onnxGraph, error) {
	p := pb{b: b}
	var g *onnxGraph
	for !p.done() {
		f, wt, err := p.key()
		if err != nil {
			return nil, err
		}
		if f != 7 {
			if err := p.skip(wt); err != nil {
				return nil, err
			}
			continue
		}
		if err := want(f, wt, 2); err != nil {
			return nil, err
		}
		gb, err := p.bytes()
		if err != nil {
			return nil, err
		}
		if g, err = parseGraph(gb, 0); err != nil {
			return nil, err
		}
	}
	if g == nil {
		return nil, fmt.Errorf("%w: no graph", ErrFormat)
	}
	return g, nil
}

func parseGraph(b []byte, depth int) (*onnxGraph, error) {
	if depth > maxGraphDepth {
		return nil, fmt.Errorf("%w: subgraphs nested deeper than %d", ErrFormat, maxGraphDepth)
	}
	p := pb{b: b}
	g := &onnxGraph{}
	for !p.done() {
		f, wt, err := p.key()
		if err != nil {
			return nil, err
		}
		switch f {
		case 1: // node
			if err := want(f, wt, 2); err != nil {
				return nil, err
			}
			nb, err := p.bytes()
			if err != nil {
				return nil, err
			}
			n, err := parseNode(nb, depth)
			if err != nil {
				return nil, err
			}
			g.nodes = append(g.nodes, n)
		case 2: // name
			if g.name, err = p.str(f, wt); err != nil {
				return nil, err
			}
		case 5: // initializer
			if err := want(f, wt, 2); err != nil {
				return nil, err
			}
			tb, err := p.bytes()
			if err != nil {
				return nil, err
			}
			t, err := parseTensor(tb)
			if err != nil {
				return nil, err
			}
			g.inits = append(g.inits, t)
		case 11, 12: // input, output: ValueInfoProto; only the name (1) is kept
			if err := want(f, wt, 2); err != nil {
				return nil, err
			}
			vb, err := p.bytes()
			if err != nil {
				return nil, err
			}
			name, err := valueInfoName(vb)
			if err != nil {
				return nil, err
			}
			if f == 11 {
				g.inputs = append(g.inputs, name)
			} else {
				g.output = append(g.output, name)
			}
		default:
			if err := p.skip(wt); err != nil {
				return nil, err
			}
		}
	}
	return g, nil
}

func valueInfoName(b []byte) (string, error) {
	p := pb{b: b}
	name := ""
	for !p.done() {
		f, wt, err := p.key()
		if err != nil {
			return "", err
		}
		if f == 1 {
			if name, err = p.str(f, wt); err != nil {
				return "", err
			}
			continue
		}
		if err := p.skip(wt); err != nil {
			return "", err
		}
	}
	return name, nil
}

func parseNode(b []byte, depth int) (onnxNode, error) {
	p := pb{b: b}
	var n onnxNode
	for !p.done() {
		f, wt, err := p.key()
		if err != nil {
			return n, err
		}
		var s string
		switch f {
		case 1, 2, 3, 4:
			if s, err = p.str(f, wt); err != nil {
				return n, err
			}
			switch f {
			case 1:
				n.inputs = append(n.inputs, s)
			case 2:
				n.outputs = append(n.outputs, s)
			case 3:
				n.name = s
			case 4:
				n.op = s
			}
		case 5:
			if err := want(f, wt, 2); err != nil {
				return n, err
			}
			ab, err := p.bytes()
			if err != nil {
				return n, err
			}
			a, err := parseAttr(ab, depth)
			if err != nil {
				return n, err
			}
			n.attrs = append(n.attrs, a)
		default:
			if err := p.skip(wt); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

func parseAttr(b []byte, depth int) (onnxAttr, error) {
	p := pb{b: b}
	var a onnxAttr
	for !p.done() {
		f, wt, err := p.key()
		if err != nil {
			return a, err
		}
		switch f {
		case 1:
			a.name, err = p.str(f, wt)
		case 2:
			if err = want(f, wt, 5); err == nil {
				var v uint32
				v, err = p.fixed32()
				a.f = math.Float32frombits(v)
			}
		case 3:
			if err = want(f, wt, 0); err == nil {
				var v uint64
				v, err = p.varint()
				a.i = int64(v)
			}
		case 4:
			if err = want(f, wt, 2); err == nil {
				a.s, err = p.bytes()
			}
		case 5:
			if err = want(f, wt, 2); err == nil {
				var tb []byte
				if tb, err = p.bytes(); err == nil {
					var t onnxTensor
					t, err = parseTensor(tb)
					a.t = &t
				}
			}
		case 6:
			if err = want(f, wt, 2); err == nil {
				var gb []byte
				if gb, err = p.bytes(); err == nil {
					a.g, err = parseGraph(gb, depth+1)
				}
			}
		case 7:
			a.floats, err = p.float32s(a.floats, f, wt)
		case 8:
			a.ints, err = p.int64s(a.ints, f, wt)
		default:
			err = p.skip(wt)
		}
		if err != nil {
			return a, err
		}
	}
	return a, nil
}

func parseTensor(b []byte) (onnxTensor, error) {
	p := pb{b: b}
	var t onnxTensor
	for !p.done() {
		f, wt, err := p.key()
		if err != nil {
			return t, err
		}
		switch f {
		case 1:
			t.dims, err = p.int64s(t.dims, f, wt)
		case 2:
			if err = want(f, wt, 0); err == nil {
				var v uint64
				v, err = p.varint()
				t.dtype = int64(v)
			}
		case 4:
			t.floats, err = p.float32s(t.floats, f, wt)
		case 7:
			t.ints, err = p.int64s(t.ints, f, wt)
		case 8:
			t.name, err = p.str(f, wt)
		case 9:
			if err = want(f, wt, 2); err == nil {
				t.raw, err = p.bytes()
			}
		case 13, 14: // external data
			err = fmt.Errorf("%w: tensor with external data", ErrFormat)
		default:
			err = p.skip(wt)
		}
		if err != nil {
			return t, err
		}
	}
	return t, nil
}

// numel returns the number of elements that dims describe, or -1 when a
// dimension is negative or the product overflows maxElems.
func numel(dims []int64, maxElems int64) int64 {
	n := int64(1)
	for _, d := range dims {
		if d < 0 || (d > 0 && n > maxElems/d) {
			return -1
		}
		n *= d
	}
	return n
}

// float32Data returns a float tensor's values (a copy for raw data).
func (t *onnxTensor) float32Data() ([]float32, error) {
	if t.dtype != dtFloat {
		return nil, fmt.Errorf("%w: tensor %q has data type %d, want float", ErrFormat, t.name, t.dtype)
	}
	n := numel(t.dims, 1<<28)
	if n < 0 {
		return nil, fmt.Errorf("%w: tensor %q has bad dims %v", ErrFormat, t.name, t.dims)
	}
	if t.raw != nil {
		if int64(len(t.raw)) != 4*n {
			return nil, fmt.Errorf("%w: tensor %q has %d raw bytes for dims %v", ErrFormat, t.name, len(t.raw), t.dims)
		}
		v := make([]float32, n)
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.raw[4*i:]))
		}
		return v, nil
	}
	if int64(len(t.floats)) != n {
		return nil, fmt.Errorf("%w: tensor %q has %d floats for dims %v", ErrFormat, t.name, len(t.floats), t.dims)
	}
	return t.floats, nil
}

// int64Data returns an int64 tensor's values.
func (t *onnxTensor) int64Data() ([]int64, error) {
	if t.dtype != dtInt64 {
		return nil, fmt.Errorf("%w: tensor %q has data type %d, want int64", ErrFormat, t.name, t.dtype)
	}
	n := numel(t.dims, 1<<28)
	if n < 0 {
		return nil, fmt.Errorf("%w: tensor %q has bad dims %v", ErrFormat, t.name, t.dims)
	}
	if t.raw != nil {
		if int64(len(t.raw)) != 8*n {
			return nil, fmt.Errorf("%w: tensor %q has %d raw bytes for dims %v", ErrFormat, t.name, len(t.raw), t.dims)
		}
		v := make([]int64, n)
		for i := range v {
			v[i] = int64(binary.LittleEndian.Uint64(t.raw[8*i:]))
		}
		return v, nil
	}
	if int64(len(t.ints)) != n {
		return nil, fmt.Errorf("%w: tensor %q has %d ints for dims %v", ErrFormat, t.name, len(t.ints), t.dims)
	}
	return t.ints, nil
}

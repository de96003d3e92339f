package silero

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite weights_8k.bin and weights_16k.bin from silero_vad.onnx (go generate)")

// weightsFiles are the embedded weights files, by rate index.
var weightsFiles = [2]struct{ name, data string }{{"weights_8k.bin", weights8k}, {"weights_16k.bin", weights16k}}

//go:noinline
func mulAdd(x, y, z float32) float32 { return x*y + z }

// fusedMulAdd reports whether this build computes x*y+z with one rounding
// (FMA), as Go may on arm64 or with GOAMD64=v3: then the silence gates
// that loadNet computes differ from the weights files' in the last bits.
func fusedMulAdd() bool {
	const e = 0x1p-23
	// (1+e)^2 = 1+2e+e^2: e^2 is lost when the product is rounded.
	return mulAdd(1+e, 1+e, -(1+2*e)) != 0
}

// silenceTolerance bounds the difference of the silence gates made with
// and without FMA.
const silenceTolerance = 1e-5

// diffNets compares the arrays of the weights files of two networks: all
// bit for bit, except the silence gates within tol (0: bit for bit).
func diffNets(got, want *net, tol float64) error {
	if got.rate != want.rate {
		return fmt.Errorf("rate %d, want %d", got.rate, want.rate)
	}
	ga, wa := got.weightArrays(), want.weightArrays()
	for i := range wa {
		g, w := *ga[i].p, *wa[i].p
		if len(g) != len(w) {
			return fmt.Errorf("array %d: %d values, want %d", i, len(g), len(w))
		}
		for j := range w {
			if math.Float32bits(g[j]) == math.Float32bits(w[j]) {
				continue
			}
			if wa[i].p == &want.zeroGates && math.Abs(float64(g[j]-w[j])) <= tol {
				continue
			}
			return fmt.Errorf("array %d, value %d: %v, want %v", i, j, g[j], w[j])
		}
	}
	if math.Float32bits(got.decB) != math.Float32bits(want.decB) {
		return fmt.Errorf("decoder bias %v, want %v", got.decB, want.decB)
	}
	return nil
}

// TestWeightsFiles checks that the embedded weights files are what
// loadNet makes of silero_vad.onnx, byte for byte (go generate, which
// runs this test with -update, rewrites them). Where the build fuses
// multiply-adds, the silence gates may differ in the last bits.
func TestWeightsFiles(t *testing.T) {
	nets := fullNets(t)
	fused := fusedMulAdd()
	if *update && fused {
		t.Fatal("this build fuses multiply-adds, which changes the silence gates: run go generate with GOARCH=amd64 GOAMD64=v1")
	}
	for i, f := range weightsFiles {
		b, err := nets[i].appendWeights(nil)
		if err != nil {
			t.Fatal(err)
		}
		if *update {
			if err := os.WriteFile(f.name, b, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("wrote %s, %d bytes", f.name, len(b))
			continue
		}
		if string(b) == f.data {
			continue
		}
		if !fused {
			t.Errorf("%s is not what loadNet makes of silero_vad.onnx: run go generate", f.name)
			continue
		}
		n, err := netFromWeights(nets[i].rate, f.data)
		if err != nil {
			t.Fatal(err)
		}
		if err := diffNets(n, nets[i], silenceTolerance); err != nil {
			t.Errorf("%s: %v", f.name, err)
		}
	}
}

// TestNetFromWeights checks that the networks read from the weights files,
// in place or (from a misaligned copy) decoded, are those of Decode.
func TestNetFromWeights(t *testing.T) {
	t.Parallel()
	m, err := Decode([]byte(onnxFile))
	if err != nil {
		t.Fatal(err)
	}
	tol := 0.0
	if fusedMulAdd() {
		tol = silenceTolerance
	}
	for i, f := range weightsFiles {
		want, err := m.net(i)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ name, data string }{
			{"in place", f.data},
			{"misaligned", (" " + f.data)[1:]},
		} {
			n, err := netFromWeights(want.rate, c.data)
			if err != nil {
				t.Fatalf("%s, %s: %v", f.name, c.name, err)
			}
			if err := diffNets(n, want, tol); err != nil {
				t.Errorf("%s, %s: %v", f.name, c.name, err)
			}
		}
	}
}

// TestNetFromWeightsRejects checks that a weights file of the wrong rate,
// length or header is an error wrapping ErrFormat.
func TestNetFromWeightsRejects(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		rate int
		data string
	}{
		{"other rate's file", 16000, weights8k},
		{"truncated", 8000, weights8k[:len(weights8k)-4]},
		{"longer", 8000, weights8k + "\x00\x00\x00\x00"},
		{"header only", 8000, weights8k[:weightsHeader]},
		{"empty", 8000, ""},
		{"bad magic", 8000, "x" + weights8k[1:]},
		{"bad count", 8000, weights8k[:12] + "\x00\x00\x00\x00" + weights8k[16:]},
		{"onnx file", 8000, onnxFile},
	} {
		if _, err := netFromWeights(c.rate, c.data); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: error %v, want ErrFormat", c.name, err)
		}
	}
}

// TestLoadMatchesDecode checks that the embedded model (the weights
// files) computes what Decode makes of silero_vad.onnx, bit for bit:
// Process on the reference clips, then ProcessSilence (within float32
// rounding where the build fuses multiply-adds).
func TestLoadMatchesDecode(t *testing.T) {
	t.Parallel()
	ref, err := Decode([]byte(onnxFile))
	if err != nil {
		t.Fatal(err)
	}
	m, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	fused := fusedMulAdd()
	for _, c := range clips {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r, x := loadClip(t, c)
			for _, simd := range []bool{false, true} {
				a, err := m.newDetector(r.SampleRate, simd && m.simd)
				if err != nil {
					t.Fatal(err)
				}
				b, err := ref.newDetector(r.SampleRate, simd && ref.simd)
				if err != nil {
					t.Fatal(err)
				}
				W := a.WindowSize()
				for off := 0; off+W <= len(x); off += W {
					if p, q := a.Process(x[off:off+W]), b.Process(x[off:off+W]); math.Float32bits(p) != math.Float32bits(q) {
						t.Fatalf("simd %v, window %d: %v, Decode's model %v", simd, off/W, p, q)
					}
				}
				// Digital silence: one full pass (the context is not yet
				// zero), then the cheap path.
				for i := range 20 {
					p, q := a.ProcessSilence(), b.ProcessSilence()
					if math.Float32bits(p) != math.Float32bits(q) && (!fused || math.Abs(float64(p-q)) > silenceTolerance) {
						t.Fatalf("simd %v, silent window %d: %v, Decode's model %v", simd, i, p, q)
					}
				}
			}
		})
	}
}

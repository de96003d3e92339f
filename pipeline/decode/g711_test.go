package decode

import "testing"

// g191ULawExpand is ulaw_expand from the ITU-T G.191 software tools
// library (g711.c), transcribed independently of the table builder, which
// uses the Sun/ffmpeg bias-and-shift formula.
func g191ULawExpand(code byte) int16 {
	sign := 1
	if code < 0x80 {
		sign = -1
	}
	mantissa := int(^code)
	exponent := (mantissa >> 4) & 0x07
	segment := exponent + 1
	mantissa &= 0x0F
	step := 4 << segment
	return int16(sign * ((0x80 << exponent) + step*mantissa + step/2 - 4*33))
}

// g191ALawExpand is alaw_expand from the ITU-T G.191 g711.c.
func g191ALawExpand(code byte) int16 {
	ix := int(code^0x55) & 0x7F
	iexp := ix >> 4
	mant := ix & 0x0F
	if iexp > 0 {
		mant += 16
	}
	mant = (mant << 4) + 0x08
	if iexp > 1 {
		mant <<= iexp - 1
	}
	if code > 127 {
		return int16(mant)
	}
	return int16(-mant)
}

func TestG711KnownValues(t *testing.T) {
	t.Parallel()
	// G.711 values scaled to 16 bits: the endpoints and smallest steps are
	// the widely published ones; the others were worked out by hand from the
	// segment/step definition in ITU-T G.711 tables 1a/2a.
	mu := []struct {
		code byte
		want int16
	}{
		{0x00, -32124}, {0x0F, -16764}, {0x10, -15996}, {0x1F, -8316},
		{0x70, -120}, {0x7E, -8}, {0x7F, 0},
		{0x80, 32124}, {0x8F, 16764}, {0xF0, 120}, {0xFE, 8}, {0xFF, 0},
	}
	for _, c := range mu {
		if got := MuLawDecode(c.code); got != c.want {
			t.Errorf("MuLawDecode(%#02x) = %d, want %d", c.code, got, c.want)
		}
		if got := g191ULawExpand(c.code); got != c.want {
			t.Errorf("g191ULawExpand(%#02x) = %d, want %d (test helper wrong)", c.code, got, c.want)
		}
	}
	a := []struct {
		code byte
		want int16
	}{
		{0xD5, 8}, {0x55, -8}, {0xD4, 24}, {0x54, -24}, {0xAA, 32256}, {0x2A, -32256},
		{0xC5, 264}, {0x45, -264}, {0xFA, 1008}, {0x80, 5504}, {0x00, -5504},
	}
	for _, c := range a {
		if got := ALawDecode(c.code); got != c.want {
			t.Errorf("ALawDecode(%#02x) = %d, want %d", c.code, got, c.want)
		}
		if got := g191ALawExpand(c.code); got != c.want {
			t.Errorf("g191ALawExpand(%#02x) = %d, want %d (test helper wrong)", c.code, got, c.want)
		}
	}
}

func TestG711TablesMatchG191(t *testing.T) {
	t.Parallel()
	for c := range 256 {
		code := byte(c)
		if got, want := MuLawDecode(code), g191ULawExpand(code); got != want {
			t.Errorf("MuLawDecode(%#02x) = %d, G.191 says %d", code, got, want)
		}
		if got, want := ALawDecode(code), g191ALawExpand(code); got != want {
			t.Errorf("ALawDecode(%#02x) = %d, G.191 says %d", code, got, want)
		}
		if got, want := muLawToFloat[code], float32(g191ULawExpand(code))/32768; got != want {
			t.Errorf("mu-law float %#02x = %v, want %v", code, got, want)
		}
		if got, want := aLawToFloat[code], float32(g191ALawExpand(code))/32768; got != want {
			t.Errorf("A-law float %#02x = %v, want %v", code, got, want)
		}
	}
}

func TestG711RoundTrip(t *testing.T) {
	t.Parallel()
	for c := range 256 {
		code := byte(c)
		want := code
		if code == 0x7F { // negative zero decodes to 0, which encodes as +0
			want = 0xFF
		}
		if got := MuLawEncode(MuLawDecode(code)); got != want {
			t.Errorf("MuLawEncode(MuLawDecode(%#02x)) = %#02x, want %#02x", code, got, want)
		}
		if got := ALawEncode(ALawDecode(code)); got != code {
			t.Errorf("ALawEncode(ALawDecode(%#02x)) = %#02x", code, got)
		}
	}
}

// TestG711EncodeQuantizes checks every 16-bit input: the decoded value of
// the code is monotonic in the input and within one quantization step.
func TestG711EncodeQuantizes(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name     string
		enc      func(int16) byte
		dec      func(byte) int16
		maxError int
	}{
		{"mulaw", MuLawEncode, MuLawDecode, 1024},
		{"alaw", ALawEncode, ALawDecode, 1024},
	} {
		prev := -1 << 20
		for s := -32768; s <= 32767; s++ {
			v := int(c.dec(c.enc(int16(s))))
			if v < prev {
				t.Fatalf("%s: decode(encode(%d)) = %d < decode(encode(%d)) = %d", c.name, s, v, s-1, prev)
			}
			if d := v - s; d > c.maxError || d < -c.maxError {
				t.Fatalf("%s: decode(encode(%d)) = %d, error %d", c.name, s, v, d)
			}
			prev = v
		}
	}
}

func TestG711EncodeKnownValues(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		s      int16
		mu, al byte
	}{
		{0, 0xFF, 0xD5},
		{-1, 0x7F, 0x55},
		{32767, 0x80, 0xAA},
		{-32768, 0x00, 0x2A},
		{1000, 0xCE, 0xFA},
		{-1000, 0x4E, 0x7A},
	} {
		if got := MuLawEncode(c.s); got != c.mu {
			t.Errorf("MuLawEncode(%d) = %#02x, want %#02x", c.s, got, c.mu)
		}
		if got := ALawEncode(c.s); got != c.al {
			t.Errorf("ALawEncode(%d) = %#02x, want %#02x", c.s, got, c.al)
		}
	}
}

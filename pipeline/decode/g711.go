package decode

// G.711 expansion tables, built once at package initialisation and never
// written afterwards. The int16 tables hold the ITU-T G.711 linear values
// (the same as ffmpeg's pcm_alaw/pcm_mulaw decoders); the float32 tables hold
// those values divided by 32768, which is exactly what ffmpeg produces when
// it converts the decoded s16 samples to float.
var (
	muLawToLinear [256]int16
	aLawToLinear  [256]int16
	muLawToFloat  [256]float32
	aLawToFloat   [256]float32
	u8ToFloat     [256]float32
)

func init() {
	for i := range 256 {
		muLawToLinear[i] = muLawExpand(byte(i))
		aLawToLinear[i] = aLawExpand(byte(i))
		muLawToFloat[i] = float32(muLawToLinear[i]) * (1.0 / 32768)
		aLawToFloat[i] = float32(aLawToLinear[i]) * (1.0 / 32768)
		u8ToFloat[i] = float32(i-128) * (1.0 / 128)
	}
}

// muLawExpand decodes one mu-law code with the classic segment/mantissa
// formula (Sun g711.c, also used by ffmpeg): complement, add the bias 0x84,
// shift by the segment, remove the bias.
func muLawExpand(code byte) int16 {
	const bias = 0x84
	u := ^code
	t := (int(u&0x0F) << 3) + bias
	t <<= (u & 0x70) >> 4
	if u&0x80 != 0 {
		return int16(bias - t)
	}
	return int16(t - bias)
}

// aLawExpand decodes one A-law code with the same formula family.
func aLawExpand(code byte) int16 {
	a := code ^ 0x55
	t := int(a & 0x0F)
	seg := (a & 0x70) >> 4
	if seg != 0 {
		t = (t + t + 1 + 32) << (seg + 2)
	} else {
		t = (t + t + 1) << 3
	}
	if a&0x80 != 0 {
		return int16(t)
	}
	return int16(-t)
}

// MuLawDecode returns the ITU-T G.711 linear value of a mu-law code, in
// the 16-bit range (0x00 -> -32124, 0x80 -> 32124, 0x7F and 0xFF -> 0).
func MuLawDecode(code byte) int16 { return muLawToLinear[code] }

// ALawDecode returns the ITU-T G.711 linear value of an A-law code, in the
// 16-bit range (0xD5 -> 8, 0x55 -> -8, 0xAA -> 32256, 0x2A -> -32256).
func ALawDecode(code byte) int16 { return aLawToLinear[code] }

// MuLawEncode compresses a 16-bit linear sample to mu-law as the Sun
// Microsystems reference code does (g711.c linear2ulaw, which sox
// derives from): the magnitude, clipped to 32635, plus a bias of 0x84,
// split into a 3-bit segment and a 4-bit mantissa. Zero encodes to 0xFF.
// It differs from the ITU-T G.191 ulaw_compress only in how some negative
// samples round (one code apart); callqa's committed sample calls were
// written with it.
func MuLawEncode(s int16) byte {
	const (
		bias = 0x84
		clip = 32635
	)
	v := int32(s)
	mask := byte(0xFF)
	if v < 0 {
		v = -v
		mask = 0x7F
	}
	v = min(v, clip) + bias
	// The segment is the position of the highest set bit above bit 7.
	seg := 7
	for m := int32(0x4000); v&m == 0 && seg > 0; m >>= 1 {
		seg--
	}
	mant := (v >> (seg + 3)) & 0x0F
	return byte(seg<<4|int(mant)) ^ mask
}

// ALawEncode compresses a 16-bit linear sample to A-law with the ITU-T
// G.191 reference algorithm (alaw_compress).
func ALawEncode(s int16) byte {
	var ix int
	if s < 0 {
		ix = int(^s) >> 4
	} else {
		ix = int(s) >> 4
	}
	if ix > 15 {
		exp := 1
		for ix > 16+15 {
			ix >>= 1
			exp++
		}
		ix -= 16
		ix += exp << 4
	}
	if s >= 0 {
		ix |= 0x80
	}
	return byte(ix ^ 0x55)
}

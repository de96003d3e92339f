package main

// G.711 encoders, following the ITU-T G.711 segment tables as implemented in
// the Sun Microsystems reference code (g711.c): mu-law works on 14-bit
// magnitudes with a bias of 0x84, A-law on 13-bit magnitudes with even-bit
// inversion (XOR 0x55).

// linearToMuLaw encodes one 16-bit linear sample as a G.711 mu-law byte.
func linearToMuLaw(s int16) byte {
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
	if v > clip {
		v = clip
	}
	v += bias
	// The exponent is the position of the highest set bit above bit 7.
	exp := 7
	for m := int32(0x4000); v&m == 0 && exp > 0; m >>= 1 {
		exp--
	}
	mant := (v >> (exp + 3)) & 0x0F
	return byte(exp<<4|int(mant)) ^ mask
}

// linearToALaw encodes one 16-bit linear sample as a G.711 A-law byte.
func linearToALaw(s int16) byte {
	// Upper bounds of the eight A-law segments, on 13-bit magnitudes.
	segEnd := [8]int32{0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF}
	v := int32(s) >> 3
	mask := byte(0xD5)
	if v < 0 {
		mask = 0x55
		v = -v - 1
	}
	seg := 0
	for seg < 8 && v > segEnd[seg] {
		seg++
	}
	if seg >= 8 {
		return 0x7F ^ mask
	}
	a := byte(seg << 4)
	if seg < 2 {
		a |= byte((v >> 1) & 0x0F)
	} else {
		a |= byte((v >> seg) & 0x0F)
	}
	return a ^ mask
}

package testaudio

import "github.com/callqa/callqa/pipeline/decode"

// Codec is how a channel is carried: linear PCM or a G.711 round trip.
type Codec int

// Codecs.
const (
	CodecPCM   Codec = iota // no change
	CodecMuLaw              // G.711 mu-law encode and decode
	CodecALaw               // G.711 A-law encode and decode
)

// Codecs lists every Codec, for table tests.
func Codecs() []Codec { return []Codec{CodecPCM, CodecMuLaw, CodecALaw} }

// String names the codec as ffmpeg does.
func (c Codec) String() string {
	switch c {
	case CodecMuLaw:
		return "pcm_mulaw"
	case CodecALaw:
		return "pcm_alaw"
	}
	return "pcm"
}

// RoundTrip returns a copy of x carried by the codec: for G.711, each
// sample rounded to 16 bits, encoded with the ITU-T G.191 reference
// encoder and decoded with the G.711 table (pipeline/decode).
func (c Codec) RoundTrip(x []float32) []float32 {
	out := make([]float32, len(x))
	switch c {
	case CodecMuLaw:
		for i, v := range x {
			out[i] = float32(decode.MuLawDecode(decode.MuLawEncode(ToInt16(v)))) / 32768
		}
	case CodecALaw:
		for i, v := range x {
			out[i] = float32(decode.ALawDecode(decode.ALawEncode(ToInt16(v)))) / 32768
		}
	default:
		copy(out, x)
	}
	return out
}

// MuLaw is CodecMuLaw.RoundTrip.
func MuLaw(x []float32) []float32 { return CodecMuLaw.RoundTrip(x) }

// ALaw is CodecALaw.RoundTrip.
func ALaw(x []float32) []float32 { return CodecALaw.RoundTrip(x) }

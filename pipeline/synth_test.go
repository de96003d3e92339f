package pipeline

import (
	"encoding/binary"
	"io"
	"math"

	"github.com/callqa/callqa/pipeline/decode"
)

// synthCall is an io.Reader producing a stereo 8 kHz G.711 mu-law WAV of
// any length without holding it in memory: agent and customer take turns
// talking in 4-second turns with 1-second pauses, over faint line hiss. It
// lets benchmarks feed a 2-hour call through the engine in constant memory.
type synthCall struct {
	header []byte
	frames int64 // total frames
	pos    int64 // frames produced
	rng    uint32
	hdrOff int
}

const synthRate = 8000

func newSynthCall(seconds int) *synthCall {
	frames := int64(seconds) * synthRate
	dataBytes := frames * 2
	h := make([]byte, 0, 58)
	h = append(h, "RIFF"...)
	h = binary.LittleEndian.AppendUint32(h, uint32(50+dataBytes))
	h = append(h, "WAVEfmt "...)
	h = binary.LittleEndian.AppendUint32(h, 18)
	h = binary.LittleEndian.AppendUint16(h, 7) // mu-law
	h = binary.LittleEndian.AppendUint16(h, 2)
	h = binary.LittleEndian.AppendUint32(h, synthRate)
	h = binary.LittleEndian.AppendUint32(h, synthRate*2)
	h = binary.LittleEndian.AppendUint16(h, 2)
	h = binary.LittleEndian.AppendUint16(h, 8)
	h = binary.LittleEndian.AppendUint16(h, 0)
	h = append(h, "data"...)
	h = binary.LittleEndian.AppendUint32(h, uint32(dataBytes))
	return &synthCall{header: h, frames: frames, rng: 12345}
}

func (s *synthCall) Read(p []byte) (int, error) {
	n := 0
	if s.hdrOff < len(s.header) {
		n = copy(p, s.header[s.hdrOff:])
		s.hdrOff += n
		p = p[n:]
	}
	for len(p) >= 2 && s.pos < s.frames {
		t := float64(s.pos) / synthRate
		turn := int(t) / 5 // 5-second cycle: 4 s speech, 1 s pause
		inTurn := math.Mod(t, 5) < 4
		var a, c float64
		if inTurn {
			// Syllable-rate modulated harmonics, like voiced speech.
			v := 0.25 * (0.6 + 0.4*math.Sin(2*math.Pi*4*t)) * (math.Sin(2*math.Pi*150*t) + 0.5*math.Sin(2*math.Pi*300*t) + 0.25*math.Sin(2*math.Pi*450*t))
			if turn%2 == 0 {
				a = v
			} else {
				c = v
			}
		}
		p[0] = decode.MuLawEncode(int16(a*32767) + s.hiss())
		p[1] = decode.MuLawEncode(int16(c*32767) + s.hiss())
		p = p[2:]
		n += 2
		s.pos++
	}
	if n == 0 && s.pos >= s.frames {
		return 0, io.EOF
	}
	return n, nil
}

// hiss is a few LSBs of noise (about -60 dBFS).
func (s *synthCall) hiss() int16 {
	s.rng = s.rng*1664525 + 1013904223
	return int16(s.rng>>16)%64 - 32
}

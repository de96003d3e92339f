package echo

import (
	"fmt"
	"math"
	"testing"

	"github.com/callqa/callqa/internal/testaudio"
)

// scenario is a stereo call for the echo tests: the agent (channel 0)
// talks for 20 s, the customer (channel 1) answers in the agent's pauses
// and, with doubleTalk, also talks over the agent. echo leaks the agent
// into the customer's channel; back, when set, the customer into the
// agent's.
type scenario struct {
	echo       testaudio.EchoPath
	back       *testaudio.EchoPath
	doubleTalk bool
	noEcho     bool
	codec      testaudio.Codec
	rate       int
	seed       uint64
}

func (s scenario) String() string {
	str := fmt.Sprintf("echo %.0f dB %.0f ms", s.echo.GainDB, 1000*s.echo.Delay)
	if s.noEcho {
		str = "no echo"
	}
	if s.echo.Hybrid {
		str += " hybrid"
	}
	if s.back != nil {
		str += fmt.Sprintf(", back %.0f dB %.0f ms", s.back.GainDB, 1000*s.back.Delay)
	}
	if s.doubleTalk {
		str += ", double-talk"
	}
	return fmt.Sprintf("%s, %v, %d Hz", str, s.codec, s.rate)
}

func (s scenario) build(t testing.TB) *testaudio.Call {
	t.Helper()
	agent := []testaudio.Line{
		{Channel: 0, At: 0.5, Sound: testaudio.Speech{Clip: testaudio.FunASR, DBFS: -20}},
		{Channel: 0, At: 6.8, Sound: testaudio.Speech{Clip: testaudio.AISHELL, DBFS: -22}},
		{Channel: 0, At: 11.5, Sound: testaudio.Speech{Clip: testaudio.LibriSpeech, DBFS: -20}},
		{Channel: 0, At: 28, Sound: testaudio.Speech{Clip: testaudio.AISHELL, DBFS: -20, Reverse: true}},
	}
	customer := []testaudio.Line{
		{Channel: 1, At: 20.5, Sound: testaudio.Speech{Clip: testaudio.FunASR, DBFS: -24, Reverse: true}},
		{Channel: 1, At: 26.8, Sound: testaudio.Speech{Clip: testaudio.LibriSpeech, DBFS: -22, From: 0, To: 1.2}},
	}
	if s.doubleTalk {
		customer = append(customer,
			testaudio.Line{Channel: 1, At: 13.5, Sound: testaudio.Speech{Clip: testaudio.AISHELL, DBFS: -24}},
			testaudio.Line{Channel: 1, At: 2.2, Sound: testaudio.Speech{Clip: testaudio.LibriSpeech, DBFS: -22, From: 2.6, To: 4.6}},
		)
	}
	sc := testaudio.Script{
		Rate:  s.rate,
		Lines: append(agent, customer...),
		Noise: [2]testaudio.Noise{{DBFS: -62}, {DBFS: -62, Pink: true}},
		Codec: s.codec,
		Seed:  s.seed,
	}
	if !s.noEcho {
		e := s.echo
		sc.Echo[0] = &e
	}
	sc.Echo[1] = s.back
	c, err := sc.Build()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// outcome counts a detector's windows against the truth, per channel.
type outcome struct {
	leaked, leakedHit   [2]int // windows of audible leakage alone, and those flagged
	genuine, genuineHit [2]int // windows of the channel's own speech, and those flagged
	silent, silentHit   [2]int // windows of neither (noise, inaudible echo), and those flagged
	frames              []Frame
}

// truth per window: energies of the components.
func energy(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return s
}

// run feeds the call to a Detector and compares with the truth. A window
// of channel c is
//   - leaked when the echo in it is at least 6 dB above the channel's
//     noise and own sound together, and the channel's own speech is
//     absent;
//   - genuine when the channel's own speech covers at least half of it,
//     is within 20 dB of the talker's active level (not a clip's
//     background between words) and at least 6 dB above the echo;
//   - silent when there is neither own speech nor echo within 6 dB of the
//     noise.
func run(t testing.TB, c *testaudio.Call) outcome {
	t.Helper()
	d, err := New(c.Rate, Config{})
	if err != nil {
		t.Fatal(err)
	}
	n := d.WindowSize()
	nw := len(c.Channels[0]) / n
	var o outcome
	var cov [2][]float64
	var loud [2]float64 // own energy per window 20 dB under the active level
	for ch := range 2 {
		cov[ch] = testaudio.Coverage(c.Speech[ch], WindowSeconds, nw)
		var own []float32
		for _, sp := range c.Speech[ch] {
			own = append(own, c.Own[ch][int(sp[0]*float64(c.Rate)):int(sp[1]*float64(c.Rate))]...)
		}
		loud[ch] = math.Pow(10, (testaudio.ActiveDBFS(own, c.Rate)-20)/10) * float64(n)
	}
	for w := range nw {
		a, b := w*n, (w+1)*n
		f := d.Window(c.Channels[0][a:b], c.Channels[1][a:b])
		o.frames = append(o.frames, f)
		for ch := range 2 {
			eEcho := energy(c.Leaked[ch][a:b])
			eNoise := energy(c.Noise[ch][a:b])
			eOwn := energy(c.Own[ch][a:b])
			switch {
			case cov[ch][w] == 0 && eEcho >= 4*(eNoise+eOwn):
				o.leaked[ch]++
				if f.Leak[ch] {
					o.leakedHit[ch]++
				}
			case cov[ch][w] >= 0.5 && eOwn >= 4*eEcho && eOwn >= loud[ch]:
				o.genuine[ch]++
				if f.Leak[ch] {
					o.genuineHit[ch]++
				}
			case cov[ch][w] == 0 && eEcho < eNoise/4:
				o.silent[ch]++
				if f.Leak[ch] {
					o.silentHit[ch]++
				}
			}
		}
	}
	return o
}

func pct(hit, n int) float64 {
	if n == 0 {
		return 0
	}
	return 100 * float64(hit) / float64(n)
}

func (o outcome) String() string {
	var s string
	for ch := range 2 {
		s += fmt.Sprintf(" [ch%d leak %.1f%% of %d, genuine flagged %.1f%% of %d, silent flagged %.1f%% of %d]", ch,
			pct(o.leakedHit[ch], o.leaked[ch]), o.leaked[ch], pct(o.genuineHit[ch], o.genuine[ch]), o.genuine[ch], pct(o.silentHit[ch], o.silent[ch]), o.silent[ch])
	}
	return s
}

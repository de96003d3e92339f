package analyse

import (
	"math"

	"github.com/callqa/callqa/pipeline/analyse/echo"
	"github.com/callqa/callqa/pipeline/analyse/tone"
)

// echoCheck is the echo check of a stereo call's neural path: package
// echo on the two channels' windows. A window whose activity is the other
// channel's speech leaking in (line echo, crosstalk: delayed up to 300 ms
// and at least 10 dB weaker) is not that channel's speech.
type echoCheck struct{ d *echo.Detector }

func newEchoCheck(rate int) (*echoCheck, error) {
	d, err := echo.New(rate, echo.Config{})
	if err != nil {
		return nil, err
	}
	return &echoCheck{d: d}, nil
}

// window says, per channel, whether the window's sound is leakage.
func (e *echoCheck) window(a, b []float32) [2]bool {
	return e.d.Window(a, b).Leak
}

// echoMarginDB: a window no more than this above the level its source's
// leakage predicts is leakage.
const echoMarginDB = 6

// predicted says, per channel, whether the level of ring window i is
// accounted for by the other channel's leakage along the path the echo
// check knows now (possibly learnt after window i): the other channel's
// level around the path's delay, minus the path's loss, plus
// echoMarginDB, reaches it.
func (e *echoCheck) predicted(n *neural, i int) [2]bool {
	var out [2]bool
	L := len(n.chans[0].ring)
	for c := range 2 {
		p := e.d.Path(c)
		if !p.Valid || p.LossDB < 10 {
			continue
		}
		src := &n.chans[1-c]
		lag := p.DelaySec / tone.WindowSeconds
		var top float32 = -200
		for k := int(math.Floor(lag)); k <= int(math.Ceil(lag)) && k < historyWindows; k++ {
			top = max(top, src.ring[(i-k+L)%L].db)
		}
		out[c] = n.chans[c].ring[i].db <= top-float32(p.LossDB)+echoMarginDB
	}
	return out
}

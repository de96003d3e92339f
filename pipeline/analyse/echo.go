package analyse

import "github.com/callqa/callqa/pipeline/analyse/echo"

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

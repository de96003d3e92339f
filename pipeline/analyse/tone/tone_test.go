package tone

import (
	"testing"

	"github.com/callqa/callqa/internal/testaudio"
)

func TestNewAndValidate(t *testing.T) {
	t.Parallel()
	for _, rate := range []int{0, 11025, 44100} {
		if _, err := New(rate, Config{}); err == nil {
			t.Errorf("New(%d) accepted", rate)
		}
	}
	bad := []Config{
		{DTMFMinDBFS: 3},
		{DTMFMaxTwistDB: -1},
		{DTMFMinShare: 2},
		{ToneMinDBFS: 1},
		{ToneMinShare: -0.5},
		{MusicMinDBFS: 5},
		{MusicThreshold: 1.5},
	}
	for _, c := range bad {
		if err := c.Validate(); err == nil {
			t.Errorf("%+v accepted", c)
		} else if _, err2 := New(8000, c); err2 == nil {
			t.Errorf("New with %+v accepted", c)
		}
	}
	if err := (Config{}).Validate(); err != nil {
		t.Errorf("zero Config: %v", err)
	}
	for rate, n := range map[int]int{8000: 256, 16000: 512} {
		d, err := New(rate, Config{})
		if err != nil || d.WindowSize() != n {
			t.Errorf("New(%d): window %d, %v; want %d", rate, d.WindowSize(), err, n)
		}
	}
}

// TestReset: a reset Detector gives the same frames as a new one.
func TestReset(t *testing.T) {
	t.Parallel()
	x := testaudio.Pad(8000, 3, -20, 1)
	y := testaudio.Melody(8000, 3, -20, 2)
	d, _ := New(8000, Config{})
	for i := 0; i+256 <= len(x); i += 256 {
		d.Window(x[i : i+256])
	}
	d.Reset()
	fresh, _ := New(8000, Config{})
	for i := 0; i+256 <= len(y); i += 256 {
		if a, b := d.Window(y[i:i+256]), fresh.Window(y[i:i+256]); a != b {
			t.Fatalf("window %d after Reset: %+v, new detector: %+v", i/256, a, b)
		}
	}
}

// TestLevels: the frame level is the window's RMS dBFS, -100 for silence.
func TestLevels(t *testing.T) {
	t.Parallel()
	d, _ := New(8000, Config{})
	x, _ := testaudio.TestTone(-23).Render(8000, 0.2)
	if f := d.Window(x[800:1056]); f.DBFS < -23.1 || f.DBFS > -22.9 {
		t.Errorf("tone at -23 dBFS: frame level %.2f", f.DBFS)
	}
	if f := d.Window(make([]float32, 256)); f.DBFS != -100 {
		t.Errorf("digital silence: frame level %.2f, want -100", f.DBFS)
	}
}

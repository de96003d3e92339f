package echo

import (
	"testing"

	"github.com/callqa/callqa/internal/testaudio"
)

var (
	gains  = []float64{-20, -25, -30}
	delays = []float64{0.02, 0.04, 0.1, 0.2}
)

// TestLeak: the agent's voice leaks into the customer's channel at -20 to
// -30 dB, 20 to 200 ms late; clean, through G.711 and through a hybrid's
// impulse response. At least 90% of the windows where the leak is audible
// on its own are flagged, and under 5% of the customer's own speech; the
// agent's channel, into which nothing leaks, is never flagged.
func TestLeak(t *testing.T) {
	t.Parallel()
	var cases []scenario
	i := 0
	for _, g := range gains {
		for _, dl := range delays {
			i++
			cases = append(cases,
				scenario{echo: testaudio.EchoPath{Delay: dl, GainDB: g}, rate: 8000, seed: uint64(i)},
				scenario{echo: testaudio.EchoPath{Delay: dl, GainDB: g, Hybrid: true, Seed: uint64(i)}, codec: testaudio.Codecs()[1+i%2], rate: 8000, seed: uint64(i)},
			)
		}
	}
	cases = append(cases,
		scenario{echo: testaudio.EchoPath{Delay: 0.04, GainDB: -25}, rate: 16000, seed: 1},
		scenario{echo: testaudio.EchoPath{Delay: 0.2, GainDB: -30, Hybrid: true}, codec: testaudio.CodecALaw, rate: 16000, seed: 2},
		scenario{echo: testaudio.EchoPath{Delay: 0, GainDB: -20}, codec: testaudio.CodecMuLaw, rate: 8000, seed: 3},
		scenario{echo: testaudio.EchoPath{Delay: 0.3, GainDB: -25}, rate: 8000, seed: 4},
	)
	for _, s := range cases {
		t.Run(s.String(), func(t *testing.T) {
			t.Parallel()
			o := run(t, s.build(t))
			t.Logf("%v:%v", s, o)
			if got := pct(o.leakedHit[1], o.leaked[1]); got < 90 {
				t.Errorf("%v: leak flagged in %.1f%% of %d leaked windows, want >= 90%%", s, got, o.leaked[1])
			}
			if got := pct(o.genuineHit[1], o.genuine[1]); got >= 5 {
				t.Errorf("%v: leak flagged in %.1f%% of %d windows of the customer's speech, want < 5%%", s, got, o.genuine[1])
			}
			if n := o.genuineHit[0] + o.silentHit[0]; n > 0 {
				t.Errorf("%v: %d windows of the agent's channel flagged, into which nothing leaks", s, n)
			}
		})
	}
}

// TestDoubleTalk: the customer also talks over the agent, and leaks back
// into the agent's channel 3 dB weaker at half the delay. Both keep their
// own speech (under 5% of it flagged); the main leak is still found. The
// back leak is measured and reported: the customer talks alone for only a
// few seconds, and a causal detector needs about half a second of a
// source's solo speech to find its path.
func TestDoubleTalk(t *testing.T) {
	t.Parallel()
	i := 0
	for _, g := range gains {
		for _, dl := range delays {
			i++
			s := scenario{
				echo:       testaudio.EchoPath{Delay: dl, GainDB: g, Hybrid: i%3 == 0, Seed: uint64(i)},
				back:       &testaudio.EchoPath{Delay: dl / 2, GainDB: g - 3},
				doubleTalk: true,
				codec:      testaudio.Codecs()[i%3],
				rate:       8000,
				seed:       uint64(i),
			}
			t.Run(s.String(), func(t *testing.T) {
				t.Parallel()
				o := run(t, s.build(t))
				t.Logf("%v:%v", s, o)
				for ch := range 2 {
					if got := pct(o.genuineHit[ch], o.genuine[ch]); got >= 5 {
						t.Errorf("%v: channel %d: leak flagged in %.1f%% of %d windows of its own speech, want < 5%%", s, ch, got, o.genuine[ch])
					}
				}
				if got := pct(o.leakedHit[1], o.leaked[1]); got < 85 {
					t.Errorf("%v: leak flagged in %.1f%% of %d leaked windows of the customer's channel, want >= 85%%", s, got, o.leaked[1])
				}
				if got := pct(o.leakedHit[0], o.leaked[0]); got < 50 {
					t.Errorf("%v: back leak flagged in %.1f%% of %d leaked windows of the agent's channel, want >= 50%%", s, got, o.leaked[0])
				}
			})
		}
	}
}

// TestNothingToExplain: without leakage, nothing is flagged, whether the
// customer is silent or talks over the agent; a copy only 6 dB down is
// crosstalk too loud to call leakage (MinLossDB 10) and is mostly left
// alone.
func TestNothingToExplain(t *testing.T) {
	t.Parallel()
	for _, s := range []scenario{
		{noEcho: true, rate: 8000, seed: 5},
		{noEcho: true, doubleTalk: true, codec: testaudio.CodecMuLaw, rate: 8000, seed: 6},
		{noEcho: true, doubleTalk: true, rate: 16000, seed: 7},
	} {
		o := run(t, s.build(t))
		var flagged int
		for _, f := range o.frames {
			for ch := range 2 {
				if f.Leak[ch] {
					flagged++
				}
			}
		}
		t.Logf("%v: %d windows flagged of %d%v", s, flagged, 2*len(o.frames), o)
		if flagged > 0 {
			t.Errorf("%v: %d windows flagged as leakage", s, flagged)
		}
	}
	s := scenario{echo: testaudio.EchoPath{Delay: 0.05, GainDB: -6}, rate: 8000, seed: 8}
	o := run(t, s.build(t))
	t.Logf("%v:%v", s, o)
	if got := pct(o.leakedHit[1], o.leaked[1]); got > 10 {
		t.Errorf("%v: %.1f%% of the copy flagged as leakage, want <= 10%%", s, got)
	}
}

// TestPath: the path found is the echo's delay (to a hop) and loss.
func TestPath(t *testing.T) {
	t.Parallel()
	for _, p := range []testaudio.EchoPath{{Delay: 0.04, GainDB: -20}, {Delay: 0.2, GainDB: -30, Hybrid: true, Seed: 2}} {
		s := scenario{echo: p, rate: 8000, seed: 9}
		c := s.build(t)
		d, _ := New(8000, Config{})
		for i := 0; i+256 <= len(c.Channels[0]); i += 256 {
			d.Window(c.Channels[0][i:i+256], c.Channels[1][i:i+256])
		}
		got := d.Path(1)
		t.Logf("%v: path %+v", s, got)
		if !got.Valid || got.DelaySec < p.Delay-0.01 || got.DelaySec > p.Delay+0.01 || got.LossDB < -p.GainDB-4 || got.LossDB > -p.GainDB+4 {
			t.Errorf("%v: path %+v, want delay %.3f s, loss about %.0f dB", s, got, p.Delay, -p.GainDB)
		}
		// The agent's voice in the customer's channel, 40 ms late, looks a
		// little like the agent's own channel at lag 0 (speech envelopes
		// are smooth); such a path is found at times, but its loss is far
		// under MinLossDB, so it flags nothing (see TestLeak).
		if back := d.Path(0); back.Valid && back.LossDB >= 10 {
			t.Errorf("%v: a leakage path into the agent's channel: %+v", s, back)
		}
	}
}

func TestNewAndValidate(t *testing.T) {
	t.Parallel()
	for _, rate := range []int{0, 44100} {
		if _, err := New(rate, Config{}); err == nil {
			t.Errorf("New(%d) accepted", rate)
		}
	}
	for _, c := range []Config{{MaxDelay: -1}, {MaxDelay: 2}, {MinLossDB: -3}} {
		if _, err := New(8000, c); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	for rate, n := range map[int]int{8000: 256, 16000: 512} {
		d, err := New(rate, Config{})
		if err != nil || d.WindowSize() != n {
			t.Errorf("New(%d): %v, window %d, want %d", rate, err, d.WindowSize(), n)
		}
	}
}

// TestReset: a reset Detector gives the same frames as a new one.
func TestReset(t *testing.T) {
	t.Parallel()
	c := scenario{echo: testaudio.EchoPath{Delay: 0.04, GainDB: -25}, rate: 8000, seed: 10}.build(t)
	d, _ := New(8000, Config{})
	for i := 0; i+256 <= len(c.Channels[0]); i += 256 {
		d.Window(c.Channels[0][i:i+256], c.Channels[1][i:i+256])
	}
	d.Reset()
	fresh, _ := New(8000, Config{})
	for i := 0; i+256 <= len(c.Channels[0]); i += 256 {
		a := d.Window(c.Channels[0][i:i+256], c.Channels[1][i:i+256])
		b := fresh.Window(c.Channels[0][i:i+256], c.Channels[1][i:i+256])
		if a != b {
			t.Fatalf("window %d after Reset: %+v, new detector: %+v", i/256, a, b)
		}
	}
}

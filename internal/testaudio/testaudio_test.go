package testaudio

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/callqa/callqa/models"
)

// goertzel is the power of x at hz relative to a full-scale sine's:
// 0 dB for a sine of amplitude 1 lasting the whole of x.
func goertzel(x []float32, rate int, hz float64) float64 {
	w := 2 * math.Pi * hz / float64(rate)
	c := 2 * math.Cos(w)
	var s1, s2 float64
	for _, v := range x {
		s1, s2 = float64(v)+c*s1-s2, s1
	}
	p := s1*s1 + s2*s2 - c*s1*s2
	n := float64(len(x))
	return 10 * math.Log10(p/(n*n/4)+1e-20)
}

func TestLevelsAndLengths(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		gen  func(rate int, dbfs float64) []float32
		secs float64
	}{
		{"white", func(r int, l float64) []float32 { return White(Samples(r, 3), l, 1) }, 3},
		{"pink", func(r int, l float64) []float32 { return Pink(Samples(r, 3), l, 1) }, 3},
		{"melody", func(r int, l float64) []float32 { return Melody(r, 5, l, 1) }, 5},
		{"pad", func(r int, l float64) []float32 { return Pad(r, 7, l, 1) }, 7},
		{"babble-8", func(r int, l float64) []float32 { return Babble(r, 4, 8, l, 1) }, 4},
		{"ringback", func(r int, l float64) []float32 { x, _ := RingBack(l).Render(r, 10); return x }, 10},
	}
	for _, c := range cases {
		for _, rate := range []int{8000, 16000} {
			for _, level := range []float64{-20, -35} {
				x := c.gen(rate, level)
				if len(x) != Samples(rate, c.secs) {
					t.Errorf("%s at %d Hz: %d samples, want %d", c.name, rate, len(x), Samples(rate, c.secs))
				}
				got := RMSDBFS(x)
				if c.name == "ringback" {
					got = RMSDBFS(x[:rate]) // the level while on
				}
				if math.Abs(got-level) > 0.05 {
					t.Errorf("%s at %d Hz: %.2f dBFS, want %.0f", c.name, rate, got, level)
				}
				if p := PeakDBFS(x); p >= 0 {
					t.Errorf("%s at %d Hz, %.0f dBFS: peak %.1f dBFS clips", c.name, rate, level, p)
				}
			}
		}
	}
}

func TestActiveLevel(t *testing.T) {
	t.Parallel()
	// A tone with as much silence again: RMS drops 3 dB, the active level
	// does not.
	x, _ := TestTone(-20).Render(8000, 2)
	x = append(x, make([]float32, len(x))...)
	if got := ActiveDBFS(x, 8000); math.Abs(got+20) > 0.05 {
		t.Errorf("active level %.2f, want -20", got)
	}
	if got := RMSDBFS(x); math.Abs(got+23.01) > 0.05 {
		t.Errorf("RMS %.2f, want -23.01", got)
	}
	s := Speech{Clip: FunASR, DBFS: -26}
	y, _ := s.Render(8000, 0)
	if got := ActiveDBFS(y, 8000); math.Abs(got+26) > 0.05 {
		t.Errorf("speech active level %.2f, want -26", got)
	}
}

func TestBabbleUnder(t *testing.T) {
	t.Parallel()
	x := MustClip(LibriSpeech, 8000)
	b := BabbleUnder(x, 8000, 8, 20, 3)
	if len(b) != len(x) {
		t.Fatalf("%d samples of babble for %d of speech", len(b), len(x))
	}
	if got := ActiveDBFS(x, 8000) - RMSDBFS(b); got < 19.9 || got > 20.1 {
		t.Errorf("babble %.2f dB under the speech, want 20", got)
	}
}

func TestDTMF(t *testing.T) {
	t.Parallel()
	for _, rate := range []int{8000, 16000} {
		for _, run := range []DTMFRun{FastDTMF("0123456789*#ABCD"), SlowDTMF("159#"), {Digits: "7", On: 0.1, Off: 0.1, DBFS: -30, TwistDB: -4}} {
			x, presses := run.Render(rate)
			if len(presses) != len(run.Digits) {
				t.Fatalf("%d presses for %q", len(presses), run.Digits)
			}
			if got, want := float64(len(x))/float64(rate), run.Seconds(); math.Abs(got-want) > 1e-3 {
				t.Errorf("run of %q lasts %.3f s, want %.3f", run.Digits, got, want)
			}
			for i, p := range presses {
				d := run.Digits[i]
				seg := x[Samples(rate, p[0]):Samples(rate, p[1])]
				lo, hi, _ := DTMFFreqs(d)
				var others float64 = -200
				for _, f := range append(DTMFLow[:], DTMFHigh[:]...) {
					if f != lo && f != hi {
						others = max(others, goertzel(seg, rate, f))
					}
				}
				pl, ph := goertzel(seg, rate, lo), goertzel(seg, rate, hi)
				if twist := ph - pl; math.Abs(twist-run.TwistDB) > 0.3 {
					t.Errorf("%d Hz digit %c: twist %.2f dB, want %.0f", rate, d, twist, run.TwistDB)
				}
				// Sine power relative to full scale, +(-3.01) for RMS.
				pair := 10*math.Log10(math.Pow(10, pl/10)+math.Pow(10, ph/10)) - 3.01
				if math.Abs(pair-run.DBFS) > 0.5 {
					t.Errorf("%d Hz digit %c: pair level %.2f dBFS, want %.0f", rate, d, pair, run.DBFS)
				}
				if min(pl, ph)-others < 20 {
					t.Errorf("%d Hz digit %c: other Q.23 tones only %.1f dB under the pair", rate, d, min(pl, ph)-others)
				}
				if off := x[Samples(rate, p[1]) : Samples(rate, p[1])+Samples(rate, run.Off)-1]; RMSDBFS(off) > FloorDBFS {
					t.Errorf("%d Hz digit %c: pause not silent", rate, d)
				}
			}
		}
	}
	if _, _, ok := DTMFFreqs('x'); ok {
		t.Error("DTMFFreqs('x') ok")
	}
}

func TestCadences(t *testing.T) {
	t.Parallel()
	x, spans := Busy(-20).Render(8000, 3)
	if len(spans) != 5 || spans[0] != (models.Span{0, 0.35}) || math.Abs(spans[1][0]-0.7) > 1e-9 {
		t.Errorf("busy spans %v", spans)
	}
	if p := goertzel(x[:2800], 8000, 450); math.Abs(p-3.01+20) > 0.3 {
		t.Errorf("busy 450 Hz at %.2f dB re full-scale sine, want -16.99", p)
	}
	_, spans = RingBack(-20).Render(8000, 12)
	if want := []models.Span{{0, 1}, {5, 6}, {10, 11}}; !slices.Equal(spans, want) {
		t.Errorf("ring-back spans %v, want %v", spans, want)
	}
}

func TestResample(t *testing.T) {
	t.Parallel()
	cases := []struct {
		from, to int
		hz       float64
		wantDB   float64 // level change; -200: must be gone (< -70 dB)
	}{
		{16000, 8000, 1000, 0},
		{16000, 8000, 3400, 0},
		{16000, 8000, 5000, -200},
		{16000, 8000, 4400, -200},
		{8000, 16000, 1000, 0},
		{44100, 8000, 2000, 0},
		{44100, 8000, 6000, -200},
		{8000, 11025, 3000, 0},
	}
	for _, c := range cases {
		src, _ := Cadence{Hz: []float64{c.hz}, DBFS: -10}.Render(c.from, 1)
		y := Resample(src, c.from, c.to)
		if want := int(math.Round(float64(len(src)) * float64(c.to) / float64(c.from))); len(y) != want {
			t.Errorf("%d->%d: %d samples, want %d", c.from, c.to, len(y), want)
		}
		mid := y[len(y)/4 : 3*len(y)/4] // away from the edges
		got := RMSDBFS(mid) + 10
		if c.wantDB == -200 {
			if got > -70 {
				t.Errorf("%d->%d: %.0f Hz only %.1f dB down", c.from, c.to, c.hz, got)
			}
		} else if math.Abs(got-c.wantDB) > 0.1 {
			t.Errorf("%d->%d: %.0f Hz changed by %.2f dB", c.from, c.to, c.hz, got)
		}
	}
}

func TestG711(t *testing.T) {
	t.Parallel()
	x, _ := TestTone(-20).Render(8000, 1)
	for _, c := range Codecs() {
		y := c.RoundTrip(x)
		var e, s float64
		for i := range x {
			d := float64(y[i] - x[i])
			e += d * d
			s += float64(x[i]) * float64(x[i])
		}
		snr := 10 * math.Log10(s/max(e, 1e-30))
		if snr < 33 {
			t.Errorf("%v: SNR %.1f dB", c, snr)
		}
		t.Logf("%v: SNR %.1f dB at -20 dBFS", c, snr)
	}
	if v := MuLaw([]float32{0})[0]; v != 0 {
		t.Errorf("mu-law of 0 is %v", v)
	}
}

func TestEcho(t *testing.T) {
	t.Parallel()
	x := MustClip(LibriSpeech, 8000)
	for _, p := range []EchoPath{{Delay: 0.02, GainDB: -20}, {Delay: 0.2, GainDB: -30, Hybrid: true, Seed: 3}, {Delay: 0, GainDB: -10}} {
		e := Echo(x, 8000, p)
		if got := RMSDBFS(e) - RMSDBFS(x); math.Abs(got-p.GainDB) > 0.05 {
			t.Errorf("%+v: level %.2f dB, want %.0f", p, got, p.GainDB)
		}
		// An impulse comes out at the delay: the band-pass is centred, the
		// hybrid's taps last 4 ms.
		imp := make([]float32, 4000)
		imp[1000] = 1
		ei := Echo(imp, 8000, p)
		var e0, e1 float64
		d := 1000 + Samples(8000, p.Delay)
		for i, v := range ei {
			e0 += float64(v) * float64(v)
			if i >= d-5 && i < d+40 {
				e1 += float64(v) * float64(v)
			}
		}
		if e1 < 0.9*e0 {
			t.Errorf("%+v: only %.0f%% of an impulse's echo within 5 ms of the delay", p, 100*e1/e0)
		}
		if !p.Hybrid {
			best, bestLag := -1.0, -1
			for lag := 0; lag < 2800; lag++ {
				var xy, xx, yy float64
				for i := lag; i < len(x); i += 3 {
					a, b := float64(x[i-lag]), float64(e[i])
					xy, xx, yy = xy+a*b, xx+a*a, yy+b*b
				}
				if r := xy / math.Sqrt(xx*yy+1e-30); r > best {
					best, bestLag = r, lag
				}
			}
			if want := Samples(8000, p.Delay); bestLag != want {
				t.Errorf("%+v: correlation peaks at lag %d (r %.2f), want %d", p, bestLag, best, want)
			}
		}
	}
}

func TestBuild(t *testing.T) {
	t.Parallel()
	s := Script{
		Rate: 8000,
		Lines: []Line{
			{0, 0.5, Speech{Clip: FunASR, DBFS: -20}},
			{1, 6.5, Speech{Clip: AISHELL, DBFS: -24}},
			{0, 11, Music{Style: StylePad, Seconds: 4, DBFS: -20}},
			{1, 15.5, Keys{FastDTMF("1234")}},
			{0, 17, Tone{RingBack(-15), 6}},
		},
		Echo:  [2]*EchoPath{{Delay: 0.04, GainDB: -25}, nil},
		Noise: [2]Noise{{DBFS: -60}, {DBFS: -55, Pink: true}},
		Codec: CodecMuLaw,
		Seed:  7,
	}
	c, err := s.Build()
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Seconds(); math.Abs(got-23.5) > 1e-3 {
		t.Errorf("call lasts %.3f s, want 23.5", got)
	}
	for ch := range 2 {
		for i := range c.Channels[ch] {
			want := CodecMuLaw.RoundTrip([]float32{c.Own[ch][i] + c.Leaked[ch][i] + c.Noise[ch][i]})[0]
			if c.Channels[ch][i] != want {
				t.Fatalf("channel %d sample %d: %v, want the codec of own+leak+noise %v", ch, i, c.Channels[ch][i], want)
			}
		}
		// Own sound is loud inside the speech truth and absent outside it
		// (apart from the events).
		in, out := spanLevels(c.Own[ch], 8000, c.Speech[ch], c.Events, ch)
		if in < -30 || out > in-35 {
			t.Errorf("channel %d: own speech %.1f dBFS inside its truth, %.1f outside", ch, in, out)
		}
	}
	if want := shift(c.Speech[0], 0.04); !slices.Equal(c.Leak[1], want) {
		t.Errorf("leak on channel 1 %v, want agent speech shifted by 40 ms %v", c.Leak[1], want)
	}
	if c.Leak[0] != nil {
		t.Errorf("leak on channel 0 without an echo path: %v", c.Leak[0])
	}
	if got := RMSDBFS(c.Leaked[1]) - RMSDBFS(c.Own[0]); math.Abs(got+25) > 0.05 {
		t.Errorf("leak level %.2f dB, want -25", got)
	}
	var kinds []Kind
	for _, e := range c.Events {
		kinds = append(kinds, e.Kind)
	}
	if want := []Kind{KindHold, KindDTMF, KindTone}; !slices.Equal(kinds, want) {
		t.Errorf("events %v, want %v", kinds, want)
	}
	if e := c.Events[1]; len(e.Active) != 4 || e.Span != (models.Span{15.5, 15.9}) || e.Channel != 1 {
		t.Errorf("dtmf event %+v", e)
	}
	if e := c.Events[2]; len(e.Active) != 2 || e.Active[1] != (models.Span{22, 23}) {
		t.Errorf("ring-back event %+v", e)
	}
	again, _ := s.Build()
	for ch := range 2 {
		if !slices.Equal(c.Channels[ch], again.Channels[ch]) {
			t.Errorf("channel %d differs between two builds of one script", ch)
		}
	}
	if _, err := (Script{Rate: 8000, Lines: []Line{{Channel: 2, Sound: Speech{Clip: FunASR}}}}).Build(); err == nil {
		t.Error("channel 2 accepted")
	}
}

// spanLevels is the level of x inside the spans and outside both the
// spans and the channel's events.
func spanLevels(x []float32, rate int, spans []models.Span, events []Event, ch int) (in, out float64) {
	var ins, outs []float32
	for i, v := range x {
		t := (float64(i) + 0.5) / float64(rate)
		inEvent := false
		for _, e := range events {
			inEvent = inEvent || (e.Channel == ch && Covered([]models.Span{e.Span}, t, t+1e-9) > 0)
		}
		switch {
		case Covered(spans, t, t+1e-9) > 0:
			ins = append(ins, v)
		case !inEvent:
			outs = append(outs, v)
		}
	}
	return ActiveDBFS(ins, rate), RMSDBFS(outs)
}

func TestCoverage(t *testing.T) {
	t.Parallel()
	got := Coverage([]models.Span{{0.016, 0.08}, {0.1, 0.104}}, 0.032, 4)
	want := []float64{0.5, 1, 0.5, 0.125}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-9 {
			t.Errorf("Coverage = %v, want %v", got, want)
		}
	}
}

func TestWAVRoundTrip(t *testing.T) {
	t.Parallel()
	x := Melody(8000, 1, -20, 1)
	path := filepath.Join(t.TempDir(), "m.wav")
	if err := WriteWAV(path, 8000, x, x); err != nil {
		t.Fatal(err)
	}
	y, rate, err := Load16(path)
	if err != nil {
		t.Fatal(err)
	}
	if rate != 8000 || len(y) != len(x) {
		t.Fatalf("read %d samples at %d Hz, want %d at 8000", len(y), rate, len(x))
	}
	for i := range x {
		if math.Abs(float64(y[i]-x[i])) > 1.0/32768 {
			t.Fatalf("sample %d: %v, wrote %v", i, y[i], x[i])
		}
	}
}

func FuzzDecode16(f *testing.F) {
	for _, name := range Clips() {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b[:min(len(b), 2000)])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		x, rate, err := Decode16(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		if rate <= 0 {
			t.Fatalf("rate %d without an error", rate)
		}
		for _, v := range x {
			if v < -1 || v >= 1 {
				t.Fatalf("sample %v out of [-1, 1)", v)
			}
		}
	})
}

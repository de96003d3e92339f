package analyse

import (
	"encoding/binary"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/callqa/callqa/models"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

func TestConfigDefaultsValid(t *testing.T) {
	t.Parallel()
	c := Config{}.WithDefaults()
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	if c.FrameSeconds != 0.02 || c.EnvelopeSeconds != 0.1 || c.MinSilence != 1 || c.MinOvertalk != 0.3 || c.ClipLevel != 0.999 {
		t.Errorf("defaults %+v", c)
	}
	if c2 := (Config{MinSilence: 2}).WithDefaults(); c2.MinSilence != 2 {
		t.Errorf("WithDefaults overwrote MinSilence: %v", c2.MinSilence)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		field string
		set   func(*Config)
	}{
		{"FrameSeconds", func(c *Config) { c.FrameSeconds = -0.02 }},
		{"FrameSeconds", func(c *Config) { c.FrameSeconds = math.NaN() }},
		{"EnvelopeSeconds", func(c *Config) { c.EnvelopeSeconds = -1 }},
		{"MinSilence", func(c *Config) { c.MinSilence = -1 }},
		{"MinOvertalk", func(c *Config) { c.MinOvertalk = math.Inf(1) }},
		{"ClipLevel", func(c *Config) { c.ClipLevel = 1.5 }},
		{"MarginDB", func(c *Config) { c.MarginDB = -3 }},
		{"HysteresisDB", func(c *Config) { c.HysteresisDB = 20 }},
		{"AbsFloorDBFS", func(c *Config) { c.AbsFloorDBFS = 3 }},
		{"MaxFloorDBFS", func(c *Config) { c.MaxFloorDBFS = 1 }},
		{"HangoverSeconds", func(c *Config) { c.HangoverSeconds = -0.1 }},
		{"MinSpeechSeconds", func(c *Config) { c.MinSpeechSeconds = -0.1 }},
		{"MergeGapSeconds", func(c *Config) { c.MergeGapSeconds = -0.1 }},
		{"LookaheadSeconds", func(c *Config) { c.LookaheadSeconds = -1 }},
		{"FloorWindowSeconds", func(c *Config) { c.FloorWindowSeconds = 1; c.LookaheadSeconds = 2 }},
	}
	for _, c := range cases {
		t.Run(c.field, func(t *testing.T) {
			t.Parallel()
			cfg := Config{}.WithDefaults()
			c.set(&cfg)
			err := cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), "Config."+c.field) {
				t.Errorf("Validate() = %v, want an error naming %s", err, c.field)
			}
			if _, err := New(cfg, 8000, 2); err == nil {
				t.Errorf("New accepted an invalid %s", c.field)
			}
		})
	}
}

func TestNewRejects(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ sr, ch int }{{0, 1}, {-8000, 1}, {8000, 0}, {8000, 65}} {
		if _, err := New(Config{}, c.sr, c.ch); err == nil {
			t.Errorf("New(%d Hz, %d channels) accepted", c.sr, c.ch)
		}
	}
}

func TestWritePanicsOnPartialFrame(t *testing.T) {
	t.Parallel()
	a, err := New(Config{}, 8000, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if recover() == nil {
			t.Error("Write of 3 samples on 2 channels did not panic")
		}
	}()
	a.Write(make([]float32, 3))
}

// feed writes fn(frame, channel) for n frames in blocks of the given size.
func feed(a *Analyzer, channels, n, block int, fn func(i, c int) float32) {
	buf := make([]float32, block*channels)
	for i := 0; i < n; {
		k := min(block, n-i)
		b := buf[:k*channels]
		for j := range k {
			for c := range channels {
				b[j*channels+c] = fn(i+j, c)
			}
		}
		a.Write(b)
		i += k
	}
}

func TestLevels(t *testing.T) {
	t.Parallel()
	const sr = 8000
	// Channel 0: a 1 kHz sine of amplitude 0.5 (RMS -9.03 dBFS, peak
	// -6.02 dBFS). Channel 1: digital silence. Channel 2: a square wave of
	// +-1 (every sample clipped, RMS and peak 0 dBFS). Channel 3: 0.1, one
	// sample in 100 at -1 (clipping ratio 0.01, peak 0 dBFS).
	a, err := New(Config{}, sr, 4)
	if err != nil {
		t.Fatal(err)
	}
	const n = 3 * sr
	feed(a, 4, n, 1234, func(i, c int) float32 {
		switch c {
		case 0:
			return float32(0.5 * math.Sin(2*math.Pi*1000*float64(i)/sr))
		case 2:
			if (i/4)%2 == 0 {
				return 1
			}
			return -1
		case 3:
			if i%100 == 0 {
				return -1
			}
			return 0.1
		}
		return 0
	})
	rep := a.Finish()
	if rep.Frames != n || rep.DurationS != 3 || rep.SampleRate != sr || len(rep.Channels) != 4 {
		t.Fatalf("report header %d frames, %v s, %d Hz, %d channels", rep.Frames, rep.DurationS, rep.SampleRate, len(rep.Channels))
	}
	want := []struct{ rms, peak, clip float64 }{
		{20 * math.Log10(0.5/math.Sqrt2), 20 * math.Log10(0.5), 0},
		{FloorDBFS, FloorDBFS, 0},
		{0, 0, 1},
		{10 * math.Log10(0.99*0.01+0.01), 0, 0.01},
	}
	for c, w := range want {
		got := rep.Channels[c]
		if math.Abs(got.RMSDBFS-w.rms) > 0.01 || math.Abs(got.PeakDBFS-w.peak) > 0.02 || math.Abs(got.ClippingRatio-w.clip) > 1e-9 {
			t.Errorf("channel %d: rms %v peak %v clip %v; want %.2f %.2f %v", c, got.RMSDBFS, got.PeakDBFS, got.ClippingRatio, w.rms, w.peak, w.clip)
		}
		if len(got.Envelope) != 30 {
			t.Errorf("channel %d: %d envelope steps, want 30", c, len(got.Envelope))
		}
	}
	for i, v := range rep.Channels[1].Envelope {
		if v != FloorDBFS {
			t.Fatalf("silent channel envelope[%d] = %d, want %d", i, v, FloorDBFS)
		}
	}
	if s := rep.Channels[1].Segments; len(s) != 0 || rep.Channels[1].TalkS != 0 {
		t.Errorf("silent channel has segments %v", s)
	}
}

func TestEnvelope(t *testing.T) {
	t.Parallel()
	const sr = 8000
	// 0.5 s of a sine at RMS -20 dBFS, 0.5 s of silence, then 0.25 s at
	// RMS -40 dBFS: the last step is partial (0.05 s) and still reported.
	amp := math.Sqrt2 * 0.1
	a, err := New(Config{}, sr, 1)
	if err != nil {
		t.Fatal(err)
	}
	feed(a, 1, 10000, 777, func(i, _ int) float32 {
		s := math.Sin(2 * math.Pi * 400 * float64(i) / sr)
		switch {
		case i < 4000:
			return float32(amp * s)
		case i < 8000:
			return 0
		}
		return float32(amp / 10 * s)
	})
	got := a.Finish().Channels[0].Envelope
	want := []int8{-20, -20, -20, -20, -20, -100, -100, -100, -100, -100, -40, -40, -40}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("envelope %v, want %v", got, want)
	}
}

// TestBlockSizeInvariance: the report must not depend on how the stream
// is cut into blocks (up to float32 rounding of the level sums).
func TestBlockSizeInvariance(t *testing.T) {
	t.Parallel()
	const dur = 40.0
	ag, cu := script(31, dur, false)
	run := func(block int) *Report {
		g := newGenerator(8000, -50, true, 31,
			channelSpec{Spans: ag, LevelDBFS: -20, F0: 200},
			channelSpec{Spans: cu, LevelDBFS: -27, F0: 110})
		return analyseGen(t, Config{}, 8000, dur, block, g)
	}
	ref := run(4096)
	for _, block := range []int{1, 7, 160, 801, 65536} {
		got := run(block)
		if got.Frames != ref.Frames || got.DurationS != ref.DurationS {
			t.Fatalf("block %d: %d frames, want %d", block, got.Frames, ref.Frames)
		}
		for c := range got.Channels {
			g, r := got.Channels[c], ref.Channels[c]
			if !reflect.DeepEqual(g.Segments, r.Segments) {
				t.Errorf("block %d channel %d: segments differ\n%v\n%v", block, c, g.Segments, r.Segments)
			}
			if math.Abs(g.RMSDBFS-r.RMSDBFS) > 0.011 || g.PeakDBFS != r.PeakDBFS || g.ClippingRatio != r.ClippingRatio {
				t.Errorf("block %d channel %d: levels %v/%v/%v, want %v/%v/%v", block, c,
					g.RMSDBFS, g.PeakDBFS, g.ClippingRatio, r.RMSDBFS, r.PeakDBFS, r.ClippingRatio)
			}
			if len(g.Envelope) != len(r.Envelope) {
				t.Fatalf("block %d channel %d: envelope length %d, want %d", block, c, len(g.Envelope), len(r.Envelope))
			}
			for i := range g.Envelope {
				if d := int(g.Envelope[i]) - int(r.Envelope[i]); d < -1 || d > 1 {
					t.Errorf("block %d channel %d: envelope[%d] = %d, want %d", block, c, i, g.Envelope[i], r.Envelope[i])
				}
			}
		}
	}
}

func TestFinishTwiceAndEmpty(t *testing.T) {
	t.Parallel()
	a, err := New(Config{}, 8000, 2)
	if err != nil {
		t.Fatal(err)
	}
	r1 := a.Finish()
	if r1.Frames != 0 || len(r1.Channels) != 2 || r1.Channels[0].RMSDBFS != FloorDBFS || r1.Channels[0].Segments == nil {
		t.Errorf("empty report %+v", r1)
	}
	if r2 := a.Finish(); r2 != r1 {
		t.Error("second Finish returned a different report")
	}
}

func TestReportMetrics(t *testing.T) {
	t.Parallel()
	rep := &Report{SampleRate: 8000, Frames: 80000, DurationS: 10, Channels: []ChannelStats{
		{Segments: []models.Span{{0, 4}, {8, 9}}, TalkS: 5, RMSDBFS: -20, PeakDBFS: -3, Envelope: []int8{-20}},
		{Segments: []models.Span{{3.5, 6}}, TalkS: 2.5, RMSDBFS: -25, PeakDBFS: -6, ClippingRatio: 0.5, Envelope: []int8{-30}},
	}}
	m := rep.Metrics(Config{}, models.DefaultChannels)
	if m.Agent == nil || m.Customer == nil || m.Mixed != nil {
		t.Fatalf("stereo metrics %+v", m)
	}
	if m.Customer.ClippingRatio != 0.5 || m.Agent.TalkS != 5 {
		t.Errorf("speaker metrics %+v %+v", m.Agent, m.Customer)
	}
	if !reflect.DeepEqual(m.Silences, []models.Span{{6, 8}}) || m.SilenceS != 2 {
		t.Errorf("silences %v (%v s)", m.Silences, m.SilenceS)
	}
	wantOT := []models.Overtalk{{Start: 3.5, End: 4, By: models.SpeakerCustomer}}
	if !reflect.DeepEqual(m.Overtalks, wantOT) || m.OvertalkS != 0.5 || m.Interruptions[models.SpeakerCustomer] != 1 {
		t.Errorf("overtalks %+v (%v s), interruptions %v", m.Overtalks, m.OvertalkS, m.Interruptions)
	}
	swapped := rep.Metrics(Config{}, models.ChannelMap{Agent: 1, Customer: 0})
	if swapped.Agent.RMSDBFS != -25 {
		t.Errorf("channel map ignored: agent %+v", swapped.Agent)
	}
	env := rep.Envelope(Config{}, models.DefaultChannels)
	if env.Step != 0.1 || env.Agent[0] != -20 || env.Customer[0] != -30 || env.Mixed != nil {
		t.Errorf("envelope %+v", env)
	}

	mono := &Report{SampleRate: 8000, Channels: rep.Channels[:1]}
	mm := mono.Metrics(Config{}, models.DefaultChannels)
	if mm.Mixed == nil || mm.Agent != nil || len(mm.Overtalks) != 0 || !reflect.DeepEqual(mm.Silences, []models.Span{{4, 8}}) {
		t.Errorf("mono metrics %+v", mm)
	}
	if e := mono.Envelope(Config{}, models.DefaultChannels); e.Mixed[0] != -20 || e.Agent != nil {
		t.Errorf("mono envelope %+v", e)
	}
}

// TestGolden pins the whole report of a short synthetic stereo call; run
// with -update to rewrite testdata/golden and review the diff.
func TestGolden(t *testing.T) {
	t.Parallel()
	const dur = 60.0
	ag, cu := script(41, dur, false)
	g := newGenerator(8000, -52, true, 41,
		channelSpec{Spans: ag, LevelDBFS: -19, F0: 220},
		channelSpec{Spans: cu, LevelDBFS: -26, F0: 115})
	rep := analyseGen(t, Config{VAD: VADEnergy}, 8000, dur, 1024, g)
	sil, ots := Conversation(Config{VAD: VADEnergy}, rep.Channels[0].Segments, rep.Channels[1].Segments)
	// A line-oriented text form keeps the golden diff readable.
	var b strings.Builder
	fmt.Fprintf(&b, "sample_rate %d frames %d duration_s %v\n", rep.SampleRate, rep.Frames, rep.DurationS)
	for i, c := range rep.Channels {
		fmt.Fprintf(&b, "channel %d talk_s %v rms_dbfs %v peak_dbfs %v clipping_ratio %v\n", i, c.TalkS, c.RMSDBFS, c.PeakDBFS, c.ClippingRatio)
		fmt.Fprintf(&b, "  segments %v\n  envelope %v\n", c.Segments, c.Envelope)
	}
	fmt.Fprintf(&b, "silences %v\novertalks %+v\n", sil, ots)
	got := []byte(b.String())
	path := filepath.Join("testdata", "golden", "synthetic_stereo.txt")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("report differs from %s (run with -update and review the diff):\n%s", path, got)
	}
}

// TestWriteSteadyStateAllocs: Write allocates only when an output slice
// grows, which append amortises to far below one allocation per block.
func TestWriteSteadyStateAllocs(t *testing.T) {
	ag, cu := script(71, 70, false)
	g := newGenerator(8000, -50, true, 71,
		channelSpec{Spans: ag, LevelDBFS: -20, F0: 200},
		channelSpec{Spans: cu, LevelDBFS: -26, F0: 120})
	audio := make([]float32, 8000*60*2)
	g.fill(audio)
	a, err := New(Config{}, 8000, 2)
	if err != nil {
		t.Fatal(err)
	}
	a.Write(audio[:8000*2*5]) // warm up: rings full, first slices grown
	const block = 4096 * 2
	off := 8000 * 2 * 5
	allocs := testing.AllocsPerRun(100, func() {
		if off+block > len(audio) {
			off = 0
		}
		a.Write(audio[off : off+block])
		off += block
	})
	t.Logf("%.3f allocations per Write of 4096 stereo frames", allocs)
	if allocs > 0.2 {
		t.Errorf("%.3f allocations per Write, want about 0 (only output growth)", allocs)
	}
}

// FuzzAnalyzer feeds arbitrary float32 samples (NaN and infinities
// included) in arbitrary blocks and checks that the report is well formed:
// finite levels, sorted segments inside the recording, one envelope step
// per started EnvelopeSeconds.
func FuzzAnalyzer(f *testing.F) {
	seed := make([]byte, 4*2000)
	for i := 0; i < len(seed); i += 4 {
		binary.LittleEndian.PutUint32(seed[i:], math.Float32bits(float32(0.3*math.Sin(float64(i)/40))))
	}
	f.Add(seed, uint8(2), uint16(333))
	f.Add([]byte{0, 0, 0xc0, 0x7f, 0, 0, 0x80, 0x7f, 0, 0, 0x80, 0xff}, uint8(1), uint16(1))
	f.Add(make([]byte, 4*8000), uint8(3), uint16(0))
	f.Fuzz(func(t *testing.T, data []byte, chans uint8, block uint16) {
		nch := int(chans%4) + 1
		x := make([]float32, len(data)/4/nch*nch)
		for i := range x {
			x[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
		}
		// A low rate makes short inputs span many frames and envelope steps.
		const sr = 400
		a, err := New(Config{}, sr, nch)
		if err != nil {
			t.Fatal(err)
		}
		step := (int(block)%500 + 1) * nch
		for i := 0; i < len(x); i += step {
			a.Write(x[i:min(len(x), i+step)])
		}
		rep := a.Finish()
		frames := int64(len(x) / nch)
		if rep.Frames != frames {
			t.Fatalf("Frames %d, want %d", rep.Frames, frames)
		}
		for c, ch := range rep.Channels {
			for _, v := range []float64{ch.RMSDBFS, ch.PeakDBFS, ch.ClippingRatio, ch.TalkS} {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("channel %d: non-finite value in %+v", c, ch)
				}
			}
			if want := (frames + 39) / 40; int64(len(ch.Envelope)) != want {
				t.Fatalf("channel %d: %d envelope steps, want %d", c, len(ch.Envelope), want)
			}
			prev := 0.0
			for _, s := range ch.Segments {
				if s[0] < prev || s[1] <= s[0] || s[1] > rep.DurationS {
					t.Fatalf("channel %d: bad segments %v (duration %v)", c, ch.Segments, rep.DurationS)
				}
				prev = s[1]
			}
		}
	})
}

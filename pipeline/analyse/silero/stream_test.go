package silero

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// signalWithSilences is randomSignal with stretches of digital silence
// long enough to cover whole windows.
func signalWithSilences(r *rand.Rand, n, W int) []float32 {
	x := randomSignal(r, n)
	for i := 0; i < n; {
		run := W * (1 + r.IntN(8))
		if r.IntN(3) == 0 {
			clear(x[i:min(n, i+run)])
		}
		i += run + r.IntN(3*W)
	}
	return x
}

// TestStreamMatchesProcess writes random-sized blocks and checks that the
// stream gives the per-window probabilities of Process, with the last
// partial window zero-padded, and allocates nothing.
func TestStreamMatchesProcess(t *testing.T) {
	t.Parallel()
	m, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(7, 8))
	for _, rate := range []int{8000, 16000} {
		d, err := m.NewDetector(rate)
		if err != nil {
			t.Fatal(err)
		}
		W := d.WindowSize()
		x := signalWithSilences(r, 200*W+r.IntN(W-1)+1, W)
		want := probsOf(t, m, rate, x)

		s := NewStream(d)
		got := make([]float32, 0, len(want))
		for off := 0; off < len(x); {
			k := min(len(x)-off, r.IntN(3*W))
			got = s.Write(x[off:off+k], got)
			off += k
		}
		got = s.Flush(got)
		if len(got) != len(want) || s.Samples() != int64(len(x)) {
			t.Fatalf("%d Hz: %d probabilities for %d samples, want %d for %d", rate, len(got), s.Samples(), len(want), len(x))
		}
		worst := 0.0
		for i := range got {
			worst = max(worst, math.Abs(float64(got[i]-want[i])))
		}
		t.Logf("%d Hz: max abs difference %.2e", rate, worst)
		if worst > 1e-5 {
			t.Errorf("%d Hz: stream differs from Process by %.2e", rate, worst)
		}
	}
}

// TestNoAllocs checks that the per-window paths allocate nothing. Not
// parallel: AllocsPerRun counts the whole process.
func TestNoAllocs(t *testing.T) {
	m, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(9, 10))
	for _, rate := range []int{8000, 16000} {
		d, err := m.NewDetector(rate)
		if err != nil {
			t.Fatal(err)
		}
		W := d.WindowSize()
		x := randomSignal(r, 4*W)
		s := NewStream(d)
		seg, err := NewSegmenter(rate, SegmentParams{})
		if err != nil {
			t.Fatal(err)
		}
		probs := make([]float32, 0, 64)
		spans := make([]Span, 0, 64)
		for name, f := range map[string]func(){
			"Process":        func() { d.Process(x[:W]) },
			"ProcessSilence": func() { d.ProcessSilence() },
			"Stream.Write":   func() { probs = s.Write(x[:1000], probs[:0]) },
			"Segmenter.Push": func() { spans = seg.Push(float32(r.Float64()), spans[:0]) },
		} {
			if a := testing.AllocsPerRun(100, f); a != 0 {
				t.Errorf("%d Hz: %s allocates %v times per call", rate, name, a)
			}
		}
	}
}

// TestProcessSilenceMatchesZeros compares ProcessSilence with Process of
// zero windows after speech, during the silence and for the windows of
// speech after it.
func TestProcessSilenceMatchesZeros(t *testing.T) {
	t.Parallel()
	m, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []clip{clips[0], clips[2]} {
		ref, x := loadClip(t, c)
		for _, gap := range []int{1, 5, 100, 1000} {
			a, _ := m.NewDetector(ref.SampleRate)
			b, _ := m.NewDetector(ref.SampleRate)
			W := a.WindowSize()
			zeros := make([]float32, W)
			speech := x[:len(x)/W*W]
			for i := 0; i < 80*W; i += W { // into the first speech
				a.Process(speech[i : i+W])
				b.Process(speech[i : i+W])
			}
			worstGap := 0.0
			for range gap {
				p, q := a.Process(zeros), b.ProcessSilence()
				worstGap = max(worstGap, math.Abs(float64(p-q)))
			}
			worstAfter := 0.0
			for i := 80 * W; i < len(speech); i += W {
				p, q := a.Process(speech[i:i+W]), b.Process(speech[i:i+W])
				worstAfter = max(worstAfter, math.Abs(float64(p-q)))
			}
			t.Logf("%s, %d silent windows: max abs difference %.1e during, %.1e after", c.name, gap, worstGap, worstAfter)
			if worstGap > 1e-5 || worstAfter > 1e-5 {
				t.Errorf("%s, %d silent windows: ProcessSilence differs from Process of zeros by %.1e during, %.1e after",
					c.name, gap, worstGap, worstAfter)
			}
		}
	}
}

// TestSkipQuietWindows measures what a caller gets by skipping windows
// whose RMS is below a level with ProcessSilence, or with Reset, instead of
// running the model on them: the largest change of probability on the
// windows still computed, and whether the segments stay those of the
// model run on every window. The figures are those measured when this
// test was written (changes rounded up), and are documented in
// ProcessSilence's comment: the model's state carries the line noise, so
// skipping anything but digital silence is not free.
func TestSkipQuietWindows(t *testing.T) {
	t.Parallel()
	m, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		clip      clip
		level     float64 // dBFS
		reset     bool
		skipped   int
		maxChange float64
		sameSegs  bool
	}{
		// Only the digital silence at the start of the 16 kHz clip.
		{clips[2], -70, false, 2, 1e-5, true},
		{clips[2], -70, true, 2, 0.16, true},
		// Two windows of sox's dither (-96 dBFS) and one at -70.4.
		{clips[0], -70, false, 3, 0.14, true},
		{clips[0], -70, true, 3, 0.05, true},
		// The pauses between words too.
		{clips[0], -55, false, 84, 0.31, false},
		{clips[0], -55, true, 84, 0.82, false},
		{clips[2], -55, false, 84, 0.38, false},
		// The line noise (-73 dBFS) around the hold music and the tones:
		// the model then finds the speech span it misses otherwise.
		{clips[1], -70, false, 139, 0.72, false},
		{clips[1], -70, true, 139, 0.99, false},
	} {
		ref, x := loadClip(t, tc.clip)
		full := probsOf(t, m, ref.SampleRate, x)
		want, err := Segments(full, ref.SampleRate, int64(len(x)), SegmentParams{})
		if err != nil {
			t.Fatal(err)
		}
		d, _ := m.NewDetector(ref.SampleRate)
		W := d.WindowSize()
		w := make([]float32, W)
		probs := make([]float32, len(full))
		worst, skipped := 0.0, 0
		for i := range probs {
			clear(w)
			copy(w, x[i*W:])
			var e float64
			for _, v := range w {
				e += float64(v) * float64(v)
			}
			if 10*math.Log10(e/float64(W)+1e-30) < tc.level {
				skipped++
				if tc.reset {
					d.Reset()
					probs[i] = 0
				} else {
					probs[i] = d.ProcessSilence()
				}
				continue
			}
			probs[i] = d.Process(w)
			worst = max(worst, math.Abs(float64(probs[i]-full[i])))
		}
		got, err := Segments(probs, ref.SampleRate, int64(len(x)), SegmentParams{})
		if err != nil {
			t.Fatal(err)
		}
		how := "ProcessSilence"
		if tc.reset {
			how = "Reset"
		}
		t.Logf("%s, %s below %v dBFS: %d of %d windows skipped; max change on the others %.3f; segments %v, model on every window %v",
			tc.clip.name, how, tc.level, skipped, len(probs), worst, got, want)
		if skipped != tc.skipped || worst > tc.maxChange || slices.Equal(got, want) != tc.sameSegs {
			t.Errorf("%s, %s below %v dBFS: measured %d skipped, change %.3f, same segments %v; recorded %d, <= %v, %v",
				tc.clip.name, how, tc.level, skipped, worst, slices.Equal(got, want), tc.skipped, tc.maxChange, tc.sameSegs)
		}
	}
}

package silero

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestParitySegments checks the segments of the reference probabilities
// and of ours against those of get_speech_timestamps, within 1 ms.
func TestParitySegments(t *testing.T) {
	t.Parallel()
	m, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range clips {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ref, x := loadClip(t, c)
			refProbs := make([]float32, len(ref.Probs.P))
			for i, p := range ref.Probs.P {
				refProbs[i] = float32(p)
			}
			ours := probsOf(t, m, ref.SampleRate, x)
			for _, in := range []struct {
				name  string
				probs []float32
			}{{"reference probabilities", refProbs}, {"our probabilities", ours}} {
				got, err := Segments(in.probs, ref.SampleRate, int64(len(x)), SegmentParams{})
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != len(ref.Segments) {
					t.Fatalf("%s: %d segments %v, want %v", in.name, len(got), got, ref.Segments)
				}
				for i, s := range got {
					a, b := s.Seconds(ref.SampleRate)
					want := ref.Segments[i]
					if math.Abs(a-want[0]) > 0.001 || math.Abs(b-want[1]) > 0.001 {
						t.Errorf("%s: segment %d is %.4f-%.4f s, want %.3f-%.3f", in.name, i, a, b, want[0], want[1])
					}
				}
				t.Logf("%s: %v", in.name, got)
			}
		})
	}
}

// randomProbs makes a sequence with runs of speech, silence and
// in-between values, the shapes that exercise every rule.
func randomProbs(r *rand.Rand, n int) []float32 {
	p := make([]float32, n)
	for i := 0; i < n; {
		run := 1 + r.IntN(40)
		lo, hi := 0.0, 1.0
		switch r.IntN(4) {
		case 0:
			lo, hi = 0.6, 1
		case 1:
			lo, hi = 0, 0.3
		case 2:
			lo, hi = 0.3, 0.55
		}
		for j := 0; j < run && i < n; j++ {
			p[i] = float32(lo + (hi-lo)*r.Float64())
			i++
		}
	}
	return p
}

// TestSegmenterMatchesSegments pushes random probabilities one by one and
// checks that the incremental segmenter gives the batch segments.
func TestSegmenterMatchesSegments(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(5, 6))
	params := []SegmentParams{
		{},
		{Threshold: 0.6, NegThreshold: 0.2},
		{SpeechPad: 200 * time.Millisecond},
		{SpeechPad: -1, MinSpeech: -1, MinSilence: -1},
		{MinSilence: 300 * time.Millisecond, MinSpeech: 50 * time.Millisecond},
		{MaxSpeech: 2 * time.Second},
		{MaxSpeech: 1500 * time.Millisecond, LastSilenceAtMaxSpeech: true},
		{MaxSpeech: time.Second, MinSilence: -1, SpeechPad: 100 * time.Millisecond},
		{MaxSpeech: 3 * time.Second, MinSilenceAtMaxSpeech: 10 * time.Millisecond},
	}
	total := 0
	for trial := range 400 {
		p := params[trial%len(params)]
		rate := []int{8000, 16000}[r.IntN(2)]
		W := rate / 8000 * 256
		probs := randomProbs(r, r.IntN(600))
		samples := int64(len(probs) * W)
		if len(probs) > 0 {
			samples -= int64(r.IntN(W))
		}
		want, err := Segments(probs, rate, samples, p)
		if err != nil {
			t.Fatal(err)
		}
		s, err := NewSegmenter(rate, p)
		if err != nil {
			t.Fatal(err)
		}
		var got []Span
		for _, q := range probs {
			got = s.Push(q, got)
		}
		got = s.Finish(samples, got)
		if !slices.Equal(got, want) {
			t.Fatalf("trial %d, %+v, %d Hz, %d windows:\nincremental %v\nbatch       %v", trial, p, rate, len(probs), got, want)
		}
		total += len(want)
	}
	t.Logf("%d segments compared", total)
}

// TestSegmenterFinalisesEarly checks that a segment is returned by Push
// once the stream is well past its end, not only at Finish.
func TestSegmenterFinalisesEarly(t *testing.T) {
	t.Parallel()
	s, err := NewSegmenter(8000, SegmentParams{})
	if err != nil {
		t.Fatal(err)
	}
	var got []Span
	for i := range 100 {
		p := float32(0.01)
		if i >= 10 && i < 30 {
			p = 0.99
		}
		got = s.Push(p, got)
	}
	want := []Span{{10*256 - 240, 30*256 + 240}}
	if !slices.Equal(got, want) {
		t.Fatalf("after 100 windows: %v, want %v", got, want)
	}
	if got = s.Finish(100*256, got); !slices.Equal(got, want) {
		t.Fatalf("after Finish: %v, want %v", got, want)
	}
}

func TestSegmentParamsValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		p    SegmentParams
		rate int
		ok   bool
	}{
		{SegmentParams{}, 8000, true},
		{SegmentParams{Threshold: 1.5}, 8000, false},
		{SegmentParams{NegThreshold: -0.1}, 8000, false},
		{SegmentParams{Threshold: math.NaN()}, 8000, false},
		{SegmentParams{}, 44100, false},
	} {
		_, err := NewSegmenter(tc.rate, tc.p)
		if (err == nil) != tc.ok {
			t.Errorf("%+v at %d Hz: error %v", tc.p, tc.rate, err)
		}
	}
}

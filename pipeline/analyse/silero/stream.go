package silero

// Stream feeds a Detector from blocks of mono samples of any length,
// cutting them into windows: one probability per WindowSize() samples. It
// buffers at most one partial window and allocates nothing after
// NewStream. Windows that are digital silence, with a silent context,
// go through ProcessSilence (the same probability within float32
// rounding, for a fifth of the work).
type Stream struct {
	d       *Detector
	part    []float32 // samples of the incomplete window
	n       int       // len of the incomplete window
	samples int64     // samples written
}

// NewStream returns a Stream that feeds d from its current state.
func NewStream(d *Detector) *Stream {
	return &Stream{d: d, part: make([]float32, d.WindowSize())}
}

// Detector returns the stream's detector.
func (s *Stream) Detector() *Detector { return s.d }

// Samples returns the number of samples written so far, the length that
// Segmenter.Finish takes at the end.
func (s *Stream) Samples() int64 { return s.samples }

// Write takes the next samples of the stream and appends to probs the
// probability of each window that they complete, in order.
func (s *Stream) Write(x []float32, probs []float32) []float32 {
	W := len(s.part)
	s.samples += int64(len(x))
	if s.n > 0 {
		k := copy(s.part[s.n:], x)
		s.n += k
		x = x[k:]
		if s.n < W {
			return probs
		}
		probs = append(probs, s.window(s.part))
		s.n = 0
	}
	for len(x) >= W {
		probs = append(probs, s.window(x[:W]))
		x = x[W:]
	}
	s.n = copy(s.part, x)
	return probs
}

// Flush zero-pads a final partial window, if any, as upstream does, and
// appends its probability.
func (s *Stream) Flush(probs []float32) []float32 {
	if s.n == 0 {
		return probs
	}
	clear(s.part[s.n:])
	s.n = 0
	return append(probs, s.window(s.part))
}

// Reset drops a partial window and the sample count and resets the
// detector, for a new stream.
func (s *Stream) Reset() {
	s.n, s.samples = 0, 0
	s.d.Reset()
}

func (s *Stream) window(w []float32) float32 {
	for _, v := range w {
		if v != 0 {
			return s.d.Process(w)
		}
	}
	return s.d.ProcessSilence()
}

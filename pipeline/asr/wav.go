package asr

import (
	"context"
	"fmt"
	"os"

	"github.com/callqa/callqa/pipeline/analyse"
	"github.com/callqa/callqa/pipeline/decode"
	"github.com/callqa/callqa/pipeline/transcript"
)

// spool writes a recording's channels, each to a temporary mono PCM16 WAV
// file at the upload rate (resampled on the way), as the recording is
// decoded: the engine's decoding pass feeds it (transcript.AudioSink), so
// a call is decoded once; Transcribe on its own decodes into one too.
type spool struct {
	format decode.Format
	rate   int
	files  []*os.File
	out    []*decode.Writer
	rs     []*analyse.Resampler // nil at the upload rate
	mono   []float32
	res    []float32
	audio  transcript.Audio
}

var _ transcript.AudioSink = (*spool)(nil)

// newSpool makes the channel files in dir for a recording of format, at
// rate (AsRecorded: the recording's).
func newSpool(dir string, format decode.Format, rate int) (*spool, error) {
	if rate == AsRecorded {
		rate = format.SampleRate
	}
	s := &spool{format: format, rate: rate}
	s.audio.Rate, s.audio.Format = rate, format
	for range format.Channels {
		f, err := os.CreateTemp(dir, "callqa-asr-*.wav")
		if err != nil {
			s.Remove()
			return nil, fmt.Errorf("asr spool: %w", err)
		}
		s.files = append(s.files, f)
		s.audio.Files = append(s.audio.Files, f.Name())
		w, err := decode.NewWriter(f, decode.CodecPCM16, rate, 1)
		if err != nil {
			s.Remove()
			return nil, fmt.Errorf("asr spool: %w", err)
		}
		s.out = append(s.out, w)
		var rs *analyse.Resampler
		if format.SampleRate != rate {
			if rs, err = analyse.NewResampler(format.SampleRate, rate); err != nil {
				s.Remove()
				return nil, fmt.Errorf("asr spool: %w", err)
			}
		}
		s.rs = append(s.rs, rs)
	}
	return s, nil
}

// Write takes a block of interleaved samples.
func (s *spool) Write(block []float32) error {
	nch := s.format.Channels
	n := len(block) / nch
	if cap(s.mono) < n {
		s.mono = make([]float32, n)
	}
	mono := s.mono[:n]
	for c, w := range s.out {
		for j := range n {
			mono[j] = block[j*nch+c]
		}
		if err := s.put(c, w, mono); err != nil {
			return err
		}
	}
	return nil
}

func (s *spool) put(c int, w *decode.Writer, mono []float32) error {
	if rs := s.rs[c]; rs != nil {
		s.res = rs.Write(mono, s.res[:0])
		mono = s.res
	}
	if err := w.WriteFloat32(mono); err != nil {
		return fmt.Errorf("asr spool: %w", err)
	}
	return nil
}

// Close flushes the resamplers and finishes the files.
func (s *spool) Close() (*transcript.Audio, error) {
	for c, w := range s.out {
		if rs := s.rs[c]; rs != nil {
			s.res = rs.Flush(s.res[:0])
			if err := w.WriteFloat32(s.res); err != nil {
				return nil, fmt.Errorf("asr spool: %w", err)
			}
		}
		if err := w.Close(); err != nil {
			return nil, fmt.Errorf("asr spool: %w", err)
		}
		if err := s.files[c].Close(); err != nil {
			return nil, fmt.Errorf("asr spool: %w", err)
		}
		s.audio.Samples = append(s.audio.Samples, w.Frames())
	}
	a := s.audio
	return &a, nil
}

// Remove deletes the files.
func (s *spool) Remove() {
	for _, f := range s.files {
		f.Close()
		os.Remove(f.Name())
	}
}

// AudioSink implements transcript.AudioTranscriber: the engine's decoding
// pass writes the channels of a stereo recording that has no transcript
// sidecar; nil otherwise.
func (c *Client) AudioSink(ctx context.Context, src transcript.Source, key string, format decode.Format) (transcript.AudioSink, error) {
	if format.Channels < 2 {
		return nil, nil
	}
	tr, err := transcript.Sidecar{}.Transcribe(ctx, src, key, transcript.Call{})
	if err != nil || tr != nil {
		// A sidecar: Transcribe will read it (or report it) again.
		return nil, nil
	}
	return newSpool(c.cfg.TempDir, format, c.cfg.UploadRate)
}

// splitChannels decodes the recording into a spool, for a Transcribe
// without the engine's audio.
func (c *Client) splitChannels(ctx context.Context, src transcript.Source, key string) (*transcript.Audio, *spool, error) {
	rc, err := src.Open(ctx, key)
	if err != nil {
		return nil, nil, fmt.Errorf("asr %s: %w", key, err)
	}
	defer rc.Close()
	size := int64(-1)
	if s, ok := rc.(sizer); ok {
		size = s.Size()
	}
	dec, err := decode.NewDecoder(rc, size)
	if err != nil {
		return nil, nil, fmt.Errorf("asr %s: %w", key, err)
	}
	format := dec.Format()
	if format.Channels < 2 {
		return &transcript.Audio{Format: format}, nil, nil
	}
	sp, err := newSpool(c.cfg.TempDir, format, c.cfg.UploadRate)
	if err != nil {
		return nil, nil, fmt.Errorf("asr %s: %w", key, err)
	}
	if err := dec.Each(ctx, blockFrames, sp.Write); err != nil {
		sp.Remove()
		return nil, nil, fmt.Errorf("asr %s: %w", key, err)
	}
	a, err := sp.Close()
	if err != nil {
		sp.Remove()
		return nil, nil, fmt.Errorf("asr %s: %w", key, err)
	}
	return a, sp, nil
}

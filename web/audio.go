package web

import (
	"container/list"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"sync"

	"github.com/callqa/callqa/pipeline/decode"
)

// transcodeBlock is how many frames are converted at a time.
const transcodeBlock = 4096

// transcodePCM16 decodes a WAV recording of any format pipeline/decode reads
// (PCM 8/16/24/32-bit, float, G.711 µ-law and A-law) and writes it to w as a
// canonical 16-bit PCM WAV, which every browser plays. It streams: memory
// use does not depend on the recording's length. It returns the number of
// frames written. A recording whose data chunk ends early is written up to
// its last whole frame.
func transcodePCM16(ctx context.Context, r io.Reader, size int64, w io.WriteSeeker) (int64, error) {
	dec, err := decode.NewDecoder(r, size)
	if err != nil {
		return 0, fmt.Errorf("transcode: %w", err)
	}
	f := dec.Format()
	if f.Channels <= 0 || f.SampleRate <= 0 {
		return 0, fmt.Errorf("transcode: unsupported format %+v", f)
	}
	if _, err := w.Write(wavHeader(f.SampleRate, f.Channels, 0)); err != nil {
		return 0, fmt.Errorf("transcode: %w", err)
	}
	buf := make([]float32, transcodeBlock*f.Channels)
	out := make([]byte, len(buf)*2)
	var frames int64
	for {
		if err := ctx.Err(); err != nil {
			return frames, err
		}
		n, rerr := dec.Read(buf)
		if n > 0 {
			s := buf[:n*f.Channels]
			for i, v := range s {
				binary.LittleEndian.PutUint16(out[2*i:], uint16(floatToInt16(v)))
			}
			if _, err := w.Write(out[:2*len(s)]); err != nil {
				return frames, fmt.Errorf("transcode: %w", err)
			}
			frames += int64(n)
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return frames, fmt.Errorf("transcode: %w", rerr)
		}
	}
	dataBytes := frames * int64(f.Channels) * 2
	if dataBytes > math.MaxUint32-36 {
		return frames, errors.New("transcode: recording too long for a WAV file")
	}
	if _, err := w.Seek(0, io.SeekStart); err != nil {
		return frames, fmt.Errorf("transcode: %w", err)
	}
	if _, err := w.Write(wavHeader(f.SampleRate, f.Channels, uint32(dataBytes))); err != nil {
		return frames, fmt.Errorf("transcode: %w", err)
	}
	return frames, nil
}

// floatToInt16 converts a sample in [-1, 1] to 16-bit PCM, clamping.
func floatToInt16(v float32) int16 {
	x := float64(v) * 32768
	switch {
	case x >= 32767:
		return 32767
	case x <= -32768:
		return -32768
	case math.IsNaN(x):
		return 0
	}
	return int16(math.Round(x))
}

// wavHeader is the 44-byte header of a canonical PCM16 WAV file.
func wavHeader(rate, channels int, dataBytes uint32) []byte {
	h := make([]byte, 44)
	copy(h[0:], "RIFF")
	binary.LittleEndian.PutUint32(h[4:], 36+dataBytes)
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], 1) // PCM
	binary.LittleEndian.PutUint16(h[22:], uint16(channels))
	binary.LittleEndian.PutUint32(h[24:], uint32(rate))
	binary.LittleEndian.PutUint32(h[28:], uint32(rate*channels*2))
	binary.LittleEndian.PutUint16(h[32:], uint16(channels*2))
	binary.LittleEndian.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], dataBytes)
	return h
}

// audioCache keeps the most recently transcoded recordings as temporary
// files, so that the browser's successive Range requests for one call do
// not each decode the whole recording. It is owned by a Server and removed
// by Server.Close.
type audioCache struct {
	dir string
	max int

	mu      sync.Mutex
	entries map[string]*list.Element // of *audioEntry
	lru     *list.List
}

type audioEntry struct {
	key   string
	ready chan struct{}
	path  string
	err   error
	refs  int  // open handles; the file is removed when evicted and unreferenced
	gone  bool // evicted
}

func newAudioCache(dir string, max int) *audioCache {
	return &audioCache{dir: dir, max: max, entries: make(map[string]*list.Element), lru: list.New()}
}

// open returns the transcoded file for key, producing it with fill on the
// first request; concurrent requests for one key wait for one fill. release
// must be called when the caller is done with the file.
func (c *audioCache) open(ctx context.Context, key string, fill func(ctx context.Context, w *os.File) error) (f *os.File, release func(), err error) {
	c.mu.Lock()
	el, ok := c.entries[key]
	var e *audioEntry
	if ok {
		e = el.Value.(*audioEntry)
		c.lru.MoveToFront(el)
		e.refs++
		c.mu.Unlock()
		select {
		case <-e.ready:
		case <-ctx.Done():
			c.release(e)
			return nil, nil, ctx.Err()
		}
	} else {
		e = &audioEntry{key: key, ready: make(chan struct{}), refs: 1}
		c.entries[key] = c.lru.PushFront(e)
		c.mu.Unlock()
		e.path, e.err = c.fill(ctx, fill)
		if e.err != nil {
			// Do not cache failures: the next request tries again.
			c.mu.Lock()
			if cur, ok := c.entries[key]; ok && cur.Value.(*audioEntry) == e {
				c.lru.Remove(cur)
				delete(c.entries, key)
			}
			c.mu.Unlock()
		}
		close(e.ready)
		c.evict()
	}
	if e.err != nil {
		c.release(e)
		return nil, nil, e.err
	}
	f, err = os.Open(e.path)
	if err != nil {
		c.release(e)
		return nil, nil, fmt.Errorf("audio cache: %w", err)
	}
	return f, func() { f.Close(); c.release(e) }, nil
}

func (c *audioCache) fill(ctx context.Context, fill func(ctx context.Context, w *os.File) error) (string, error) {
	tmp, err := os.CreateTemp(c.dir, "callqa-audio-*.wav")
	if err != nil {
		return "", fmt.Errorf("audio cache: %w", err)
	}
	if err := fill(ctx, tmp); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return "", err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("audio cache: %w", err)
	}
	return tmp.Name(), nil
}

func (c *audioCache) release(e *audioEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e.refs--
	if e.gone && e.refs == 0 && e.path != "" {
		os.Remove(e.path)
	}
}

// evict drops the least recently used entries beyond max.
func (c *audioCache) evict() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.lru.Len() > c.max {
		el := c.lru.Back()
		e := el.Value.(*audioEntry)
		c.lru.Remove(el)
		delete(c.entries, e.key)
		e.gone = true
		if e.refs == 0 && e.path != "" {
			os.Remove(e.path)
		}
	}
}

// close removes every cached file.
func (c *audioCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, el := range c.entries {
		e := el.Value.(*audioEntry)
		e.gone = true
		if e.refs == 0 && e.path != "" {
			os.Remove(e.path)
		}
	}
	c.entries = make(map[string]*list.Element)
	c.lru.Init()
}

// isNotExist reports a missing recording.
func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }

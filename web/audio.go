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
	"time"

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

// audioDirPattern names the server's private folder under
// Config.AudioCacheDir, and audioFilePattern its files.
const (
	audioDirPattern  = "callqa-audio-*"
	audioFilePattern = "callqa-audio-*.wav"
)

// audioFillTimeout bounds one transcoding, which runs on past the request
// that started it while other requests wait for it.
const audioFillTimeout = 10 * time.Minute

// audioCache keeps the most recently transcoded recordings as temporary
// files in a folder of its own, so that the browser's successive Range
// requests for one call do not each decode the whole recording. It is owned
// by a Server and removed by Server.Close.
//
// The folder is private to the process (os.MkdirTemp, mode 0700), so that
// two servers sharing a parent folder never touch each other's files. A
// file that disappears all the same (a temporary-file cleaner, a person)
// is transcoded again by the next request, and a folder removed under the
// server is made again.
//
// A recording is transcoded once for every request waiting for it, on a
// context of its own: a request that goes away (a browser aborts one on
// every seek) does not fail the others; the transcoding stops when no
// request waits for it any more. At most max recordings are transcoded at
// a time, and a file in use is not evicted.
type audioCache struct {
	dir  string
	max  int
	sem  chan struct{} // bounds the concurrent fills to max
	fill time.Duration // audioFillTimeout; shorter in tests

	mu      sync.Mutex
	entries map[string]*list.Element // of *audioEntry
	lru     *list.List
	// busy counts the fills running and the references held, so that
	// close can wait for the last file to be released before it returns.
	busy sync.WaitGroup
}

type audioEntry struct {
	key     string
	ready   chan struct{} // closed when path or err is set
	path    string        // set under audioCache.mu
	err     error         // set under audioCache.mu
	refs    int           // waiting requests and open handles; the file is removed when evicted and unreferenced
	waiters int           // requests waiting for the fill
	cancel  context.CancelFunc
	gone    bool // evicted
}

// newAudioCache makes the cache's private folder under parent: a new
// callqa-audio-* folder of mode 0700, the process's own.
func newAudioCache(parent string, max int) (*audioCache, error) {
	dir, err := os.MkdirTemp(parent, audioDirPattern)
	if err != nil {
		return nil, fmt.Errorf("audio cache: %w", err)
	}
	return &audioCache{dir: dir, max: max, sem: make(chan struct{}, max), fill: audioFillTimeout,
		entries: make(map[string]*list.Element), lru: list.New(), busy: sync.WaitGroup{}}, nil
}

// open returns the transcoded file for key, producing it with fill on the
// first request; concurrent requests for one key wait for one fill, which
// runs until done, failed, timed out or no request waits any more. A cached
// file that has gone from the disk is produced again. release must be
// called when the caller is done with the file.
func (c *audioCache) open(ctx context.Context, key string, fill func(ctx context.Context, w *os.File) error) (f *os.File, release func(), err error) {
	for attempt := 0; ; attempt++ {
		f, release, err = c.openOnce(ctx, key, fill)
		if err == nil || !errors.Is(err, errCacheFileGone) || attempt == 1 {
			return f, release, err
		}
	}
}

// errCacheFileGone is a cached file removed behind the cache's back.
var errCacheFileGone = errors.New("audio cache: cached file removed")

func (c *audioCache) openOnce(ctx context.Context, key string, fill func(ctx context.Context, w *os.File) error) (f *os.File, release func(), err error) {
	c.mu.Lock()
	var e *audioEntry
	if el, ok := c.entries[key]; ok {
		e = el.Value.(*audioEntry)
		c.lru.MoveToFront(el)
	} else {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.fill)
		e = &audioEntry{key: key, ready: make(chan struct{}), cancel: cancel}
		c.entries[key] = c.lru.PushFront(e)
		c.busy.Add(1)
		go c.run(fctx, e, fill)
	}
	c.busy.Add(1)
	e.refs++
	e.waiters++
	c.mu.Unlock()

	select {
	case <-e.ready:
	case <-ctx.Done():
		c.mu.Lock()
		e.waiters--
		select {
		case <-e.ready:
		default:
			if e.waiters == 0 {
				// Nobody waits any more: stop the fill, and let the next
				// request start a new one rather than wait for this one.
				e.cancel()
				c.drop(e)
			}
		}
		c.mu.Unlock()
		c.release(e)
		return nil, nil, ctx.Err()
	}
	c.mu.Lock()
	e.waiters--
	path, ferr := e.path, e.err
	c.mu.Unlock()
	if ferr != nil {
		c.release(e)
		return nil, nil, ferr
	}
	f, err = os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		// Removed behind our back (a temporary-file cleaner): forget
		// the entry, so that the caller's next attempt transcodes again.
		c.mu.Lock()
		c.drop(e)
		c.mu.Unlock()
		c.release(e)
		return nil, nil, errCacheFileGone
	}
	if err != nil {
		c.release(e)
		return nil, nil, fmt.Errorf("audio cache: %w", err)
	}
	return f, func() { f.Close(); c.release(e) }, nil
}

// run fills e, at most max at a time, and publishes the outcome.
func (c *audioCache) run(ctx context.Context, e *audioEntry, fill func(ctx context.Context, w *os.File) error) {
	defer c.busy.Done()
	defer e.cancel()
	var path string
	var err error
	select {
	case c.sem <- struct{}{}:
		path, err = c.fillFile(ctx, fill)
		<-c.sem
	case <-ctx.Done():
		err = ctx.Err()
	}
	c.mu.Lock()
	e.path, e.err = path, err
	if err != nil {
		c.drop(e) // do not cache failures: the next request tries again
	} else if e.gone && e.refs == 0 {
		os.Remove(path)
	}
	close(e.ready)
	c.mu.Unlock()
	c.evict()
}

// drop removes e from the index if it is still there; c.mu is held.
func (c *audioCache) drop(e *audioEntry) {
	if cur, ok := c.entries[e.key]; ok && cur.Value.(*audioEntry) == e {
		c.lru.Remove(cur)
		delete(c.entries, e.key)
	}
	e.gone = true
}

func (c *audioCache) fillFile(ctx context.Context, fill func(ctx context.Context, w *os.File) error) (string, error) {
	tmp, err := os.CreateTemp(c.dir, audioFilePattern)
	if errors.Is(err, fs.ErrNotExist) {
		// The folder itself was removed (a temporary-file cleaner):
		// make it again.
		if err = os.MkdirAll(c.dir, 0o700); err == nil {
			tmp, err = os.CreateTemp(c.dir, audioFilePattern)
		}
	}
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
	defer c.busy.Done()
	c.mu.Lock()
	defer c.mu.Unlock()
	e.refs--
	if e.gone && e.refs == 0 && e.path != "" {
		os.Remove(e.path)
	}
	c.evictLocked()
}

// evict drops the least recently used unreferenced entries beyond max; an
// entry being filled or read stays until it is released.
func (c *audioCache) evict() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.evictLocked()
}

func (c *audioCache) evictLocked() {
	for el := c.lru.Back(); el != nil && c.lru.Len() > c.max; {
		prev := el.Prev()
		e := el.Value.(*audioEntry)
		if e.refs == 0 {
			c.lru.Remove(el)
			delete(c.entries, e.key)
			e.gone = true
			if e.path != "" {
				os.Remove(e.path)
			}
		}
		el = prev
	}
}

// close removes every cached file: at once those nobody reads, the
// others when their last reader releases them, which close waits for
// (the server's requests end when it shuts down); then the folder.
func (c *audioCache) close() {
	defer os.RemoveAll(c.dir)
	defer c.busy.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, el := range c.entries {
		e := el.Value.(*audioEntry)
		e.gone = true
		e.cancel()
		if e.refs == 0 && e.path != "" {
			os.Remove(e.path)
		}
	}
	c.entries = make(map[string]*list.Element)
	c.lru.Init()
}

// isNotExist reports a missing recording.
func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }

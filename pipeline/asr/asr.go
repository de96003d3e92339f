// Package asr transcribes calls with a speech-recognition service speaking
// the OpenAI-compatible POST /v1/audio/transcriptions API (whisper.cpp's
// server, faster-whisper servers, vLLM, OpenAI itself), asking for
// response_format=verbose_json.
//
// Each channel of a stereo recording is sent separately, as a mono 16-bit
// PCM WAV, so that agent and customer stay apart; the channel files are
// streamed through temporary files, never held in memory. Requests are
// bounded in number (a semaphore shared by every call of the process) and
// in time. The transcript is written back next to the recording as its
// <name>.transcript.json sidecar, and an existing sidecar is used instead
// of the service, so a re-inspection never pays for ASR twice.
package asr

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/pipeline/decode"
	"github.com/callqa/callqa/pipeline/pii"
	"github.com/callqa/callqa/pipeline/transcript"
)

// Config says which service to use and how hard to press it. Zero values
// mean the documented defaults.
type Config struct {
	// URL is the service's base URL, e.g. http://whisper:8080; the client
	// posts to URL + "/v1/audio/transcriptions". Required.
	URL string
	// Model is the model field of the request. Default "whisper-1".
	Model string
	// APIKey, when set, is sent as a Bearer token.
	APIKey string
	// Language is the language field. Default "zh".
	Language string
	// Concurrency bounds the requests in flight at once across all calls.
	// Default 2.
	Concurrency int
	// Timeout bounds one request (one channel of one call). Default 10
	// minutes.
	Timeout time.Duration
	// TempDir holds the channel files while they are uploaded. Default
	// os.TempDir().
	TempDir string
	// HTTPClient sends the requests. Default: a client without an overall
	// timeout (Timeout applies per request).
	HTTPClient *http.Client
	// KeepRawSidecar writes the transcript sidecar as the service gave it.
	// By default the sidecar is masked like every stored result (ID card,
	// phone, bank card numbers and e-mail addresses replaced by labels,
	// see package pii), so that no file callqa writes holds them; the
	// transcript returned for this inspection is the raw one either way.
	KeepRawSidecar bool
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	u, err := url.Parse(c.URL)
	switch {
	case c.URL == "":
		return errors.New("asr Config.URL is required")
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return fmt.Errorf("asr Config.URL %q: want http(s)://host[:port]", c.URL)
	case c.Concurrency < 0:
		return fmt.Errorf("asr Config.Concurrency %d must not be negative", c.Concurrency)
	case c.Timeout < 0:
		return fmt.Errorf("asr Config.Timeout %v must not be negative", c.Timeout)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Model == "" {
		c.Model = "whisper-1"
	}
	if c.Language == "" {
		c.Language = "zh"
	}
	if c.Concurrency == 0 {
		c.Concurrency = 2
	}
	if c.Timeout == 0 {
		c.Timeout = 10 * time.Minute
	}
	if c.TempDir == "" {
		c.TempDir = os.TempDir()
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{}
	}
	c.URL = strings.TrimRight(c.URL, "/")
	return c
}

// SidecarWriter is implemented by sources that can store a sidecar next to
// a recording (storage.LocalSource, storage.S3Source).
type SidecarWriter interface {
	WriteSidecar(ctx context.Context, key, suffix string, data []byte) error
}

// Client is a Transcriber backed by an ASR service. It is safe for
// concurrent use.
type Client struct {
	cfg    Config
	sem    chan struct{}
	logger *slog.Logger
}

var _ transcript.Transcriber = (*Client)(nil)

// New returns a client for the service in cfg.
func New(cfg Config, logger *slog.Logger) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Client{cfg: cfg, sem: make(chan struct{}, cfg.Concurrency), logger: logger}, nil
}

// StatusError is a non-2xx answer of the service.
type StatusError struct {
	Code int
	Body string // the start of the response body
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("asr service: HTTP %d: %s", e.Code, e.Body)
}

// Transcribe returns the call's transcript: the sidecars if there are any,
// otherwise the service's transcription of each channel, which is then
// written back as <name>.transcript.json when src can store sidecars (a
// failure to store it is logged, not returned). A mono recording has no
// speaker separation, so it gets no transcript (nil, nil). Errors of the
// service or the network are transient; an unreadable recording is
// reported by the decoder's error.
func (c *Client) Transcribe(ctx context.Context, src transcript.Source, key string) (*models.Transcript, error) {
	tr, err := transcript.Sidecar{}.Transcribe(ctx, src, key)
	if err != nil || tr != nil {
		return tr, err
	}
	chans, err := readChannelMap(ctx, src, key)
	if err != nil {
		return nil, err
	}
	files, format, err := c.splitChannels(ctx, src, key)
	defer func() {
		for _, f := range files {
			os.Remove(f)
		}
	}()
	if err != nil {
		return nil, err
	}
	if format.Channels < 2 {
		c.logger.InfoContext(ctx, "asr: mono recording, speakers cannot be told apart: no transcript", "key", key)
		return nil, nil
	}
	speakers := map[int]string{chans.Agent: models.SpeakerAgent, chans.Customer: models.SpeakerCustomer}
	if chans.Agent == chans.Customer || chans.Agent >= len(files) || chans.Customer >= len(files) || chans.Agent < 0 || chans.Customer < 0 {
		return nil, fmt.Errorf("asr %s: channel map %+v does not fit %d channels", key, chans, len(files))
	}
	type answer struct {
		us  []models.Utterance
		err error
	}
	// The first failure cancels the other channel's request.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	answers := make(chan answer, 2)
	for ch, speaker := range speakers {
		go func() {
			us, err := c.transcribeFile(ctx, files[ch], key, speaker)
			answers <- answer{us, err}
		}()
	}
	out := &models.Transcript{Utterances: []models.Utterance{}}
	var firstErr error
	for range speakers {
		a := <-answers
		if a.err != nil && firstErr == nil {
			firstErr = a.err
			cancel()
		}
		out.Utterances = append(out.Utterances, a.us...)
	}
	if firstErr != nil {
		return nil, firstErr
	}
	sort.SliceStable(out.Utterances, func(i, j int) bool { return out.Utterances[i].Start < out.Utterances[j].Start })
	if w, ok := src.(SidecarWriter); ok {
		stored := out
		if !c.cfg.KeepRawSidecar {
			stored, _ = pii.MaskTranscript(out)
		}
		data, err := json.MarshalIndent(stored, "", "  ")
		if err == nil {
			err = w.WriteSidecar(ctx, key, transcript.SuffixTranscript, data)
		}
		if err != nil {
			c.logger.WarnContext(ctx, "asr: transcript not stored as a sidecar", "key", key, "err", err)
		}
	}
	return out, nil
}

// readChannelMap reads the channel map of the meta sidecar (optional).
func readChannelMap(ctx context.Context, src transcript.Source, key string) (models.ChannelMap, error) {
	rc, err := src.OpenSidecar(ctx, key, ".meta.json")
	if errors.Is(err, fs.ErrNotExist) {
		return models.DefaultChannels, nil
	}
	if err != nil {
		return models.ChannelMap{}, fmt.Errorf("asr %s: meta sidecar: %w", key, err)
	}
	defer rc.Close()
	var meta models.CallMeta
	if err := json.NewDecoder(io.LimitReader(rc, 1<<20)).Decode(&meta); err != nil {
		// The engine reports a broken meta sidecar; use the default here.
		return models.DefaultChannels, nil
	}
	return meta.ChannelsOrDefault(), nil
}

type sizer interface{ Size() int64 }

// blockFrames is how many frames are decoded at a time.
const blockFrames = 4096

// splitChannels decodes the recording and writes each channel to its own
// temporary mono PCM16 WAV file.
func (c *Client) splitChannels(ctx context.Context, src transcript.Source, key string) ([]string, decode.Format, error) {
	var format decode.Format
	rc, err := src.Open(ctx, key)
	if err != nil {
		return nil, format, fmt.Errorf("asr %s: %w", key, err)
	}
	defer rc.Close()
	size := int64(-1)
	if s, ok := rc.(sizer); ok {
		size = s.Size()
	}
	dec, err := decode.NewDecoder(rc, size)
	if err != nil {
		return nil, format, fmt.Errorf("asr %s: %w", key, err)
	}
	format = dec.Format()
	var names []string
	writers := make([]*wavWriter, format.Channels)
	defer func() {
		for _, w := range writers {
			if w != nil {
				w.f.Close()
			}
		}
	}()
	for ch := range writers {
		f, err := os.CreateTemp(c.cfg.TempDir, "callqa-asr-*.wav")
		if err != nil {
			return names, format, fmt.Errorf("asr %s: %w", key, err)
		}
		names = append(names, f.Name())
		if writers[ch], err = newWAVWriter(f, format.SampleRate); err != nil {
			return names, format, fmt.Errorf("asr %s: %w", key, err)
		}
	}
	buf := make([]float32, blockFrames*format.Channels)
	mono := make([]float32, blockFrames)
	for {
		if err := ctx.Err(); err != nil {
			return names, format, err
		}
		n, err := dec.Read(buf)
		for ch, w := range writers {
			for i := range n {
				mono[i] = buf[i*format.Channels+ch]
			}
			if werr := w.write(mono[:n]); werr != nil {
				return names, format, fmt.Errorf("asr %s: %w", key, werr)
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return names, format, fmt.Errorf("asr %s: %w", key, err)
		}
	}
	for _, w := range writers {
		if err := w.close(); err != nil {
			return names, format, fmt.Errorf("asr %s: %w", key, err)
		}
	}
	return names, format, nil
}

// transcribeFile posts one channel file and parses the verbose_json answer.
func (c *Client) transcribeFile(ctx context.Context, file, key, speaker string) ([]models.Utterance, error) {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-c.sem }()
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()

	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("asr %s: %w", key, err)
	}
	defer f.Close()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	name := strings.TrimSuffix(path.Base(key), path.Ext(key)) + "." + speaker + ".wav"
	go func() {
		err := func() error {
			for _, kv := range [][2]string{
				{"model", c.cfg.Model}, {"response_format", "verbose_json"}, {"language", c.cfg.Language},
			} {
				if err := mw.WriteField(kv[0], kv[1]); err != nil {
					return err
				}
			}
			part, err := mw.CreateFormFile("file", name)
			if err != nil {
				return err
			}
			if _, err := io.Copy(part, f); err != nil {
				return err
			}
			return mw.Close()
		}()
		pw.CloseWithError(err)
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.URL+"/v1/audio/transcriptions", pr)
	if err != nil {
		pr.Close()
		return nil, fmt.Errorf("asr %s: %w", key, err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if c.cfg.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.cfg.APIKey)
	}
	start := time.Now()
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		pr.Close()
		return nil, fmt.Errorf("asr %s (%s): %w", key, speaker, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("asr %s (%s): %w", key, speaker, &StatusError{Code: resp.StatusCode, Body: strings.TrimSpace(string(body))})
	}
	us, err := transcript.ParseVerbose(name+" (asr answer)", resp.Body, speaker)
	if err != nil {
		return nil, fmt.Errorf("asr %s (%s): %w", key, speaker, err)
	}
	c.logger.DebugContext(ctx, "asr: channel transcribed", "key", key, "speaker", speaker,
		"segments", len(us), "duration", time.Since(start))
	return us, nil
}

// wavWriter streams mono 16-bit PCM into a WAV file, patching the sizes in
// the header when closed. (decode.WritePCM16 wants every sample in memory
// at once; a long call is better streamed.)
type wavWriter struct {
	f     *os.File
	bw    *bufio.Writer
	bytes int64
	buf   []byte
}

func newWAVWriter(f *os.File, rate int) (*wavWriter, error) {
	w := &wavWriter{f: f, bw: bufio.NewWriterSize(f, 64<<10)}
	var h [44]byte
	copy(h[0:], "RIFF")
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], decode.TagPCM)
	binary.LittleEndian.PutUint16(h[22:], 1)
	binary.LittleEndian.PutUint32(h[24:], uint32(rate))
	binary.LittleEndian.PutUint32(h[28:], uint32(rate*2))
	binary.LittleEndian.PutUint16(h[32:], 2)
	binary.LittleEndian.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	_, err := w.bw.Write(h[:])
	return w, err
}

// write appends samples in [-1, 1], scaled and clamped to int16.
func (w *wavWriter) write(samples []float32) error {
	if cap(w.buf) < 2*len(samples) {
		w.buf = make([]byte, 2*len(samples))
	}
	b := w.buf[:2*len(samples)]
	for i, s := range samples {
		v := math.Round(float64(s) * 32768)
		v = max(-32768, min(32767, v))
		binary.LittleEndian.PutUint16(b[2*i:], uint16(int16(v)))
	}
	n, err := w.bw.Write(b)
	w.bytes += int64(n)
	return err
}

// close flushes and patches the RIFF and data sizes.
func (w *wavWriter) close() error {
	if err := w.bw.Flush(); err != nil {
		return err
	}
	if w.bytes > math.MaxUint32-36 {
		return errors.New("channel longer than a WAV file can hold")
	}
	var sz [4]byte
	binary.LittleEndian.PutUint32(sz[:], uint32(36+w.bytes))
	if _, err := w.f.WriteAt(sz[:], 4); err != nil {
		return err
	}
	binary.LittleEndian.PutUint32(sz[:], uint32(w.bytes))
	if _, err := w.f.WriteAt(sz[:], 40); err != nil {
		return err
	}
	return w.f.Close()
}

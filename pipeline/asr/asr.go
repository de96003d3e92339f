// Package asr transcribes calls with a speech-recognition service speaking
// the OpenAI-compatible POST /v1/audio/transcriptions API (whisper.cpp's
// server, faster-whisper servers, vLLM, OpenAI itself), asking for
// response_format=verbose_json.
//
// Each channel of a stereo recording is sent separately, as a mono 16-bit
// PCM WAV at 16 kHz (the rate Whisper models work at, and the only one
// whisper.cpp's server reads without --convert), so that agent and customer
// stay apart; the channel files are streamed through temporary files, never
// held in memory. A channel longer than the service's upload limit is cut
// at pauses of the speaker's detected speech into pieces under
// Config.MaxUploadBytes, each transcribed on its own, the segments' times
// re-based to the call. Requests are bounded in number (a semaphore shared
// by every call of the process) and in time.
//
// What the service invents is kept out (see Guard): segments outside the
// speaker's detected speech, that the recogniser itself took for silence,
// or that repeat themselves are dropped and listed in the transcript's
// Dropped. Whatever goes wrong with the service (refused credentials, a
// wrong URL or model, an answer without segments, errors, timeouts) is a
// *ServiceError: a transient fault, retried, never the recording's fault.
//
// The transcript is written back next to the recording as its
// <name>.transcript.json sidecar, and an existing sidecar is used instead
// of the service, so a re-inspection never pays for ASR twice.
package asr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
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

// Defaults of Config.
const (
	// DefaultUploadRate is the sample rate channels are sent at: Whisper
	// models work at 16 kHz (other servers resample to it anyway), and
	// whisper.cpp's server reads nothing else unless started with
	// --convert.
	DefaultUploadRate = 16000
	// DefaultMaxUploadBytes keeps every upload under OpenAI's 25 MB limit
	// (and vLLM's default), with room for the form around the file:
	// about 13 minutes of 16 kHz PCM16, 26 at 8 kHz.
	DefaultMaxUploadBytes = 24 << 20
	// MinMaxUploadBytes is the smallest upload limit accepted.
	MinMaxUploadBytes = 4 << 10
	// AsRecorded, as Config.UploadRate, sends channels at the recording's
	// own sample rate.
	AsRecorded = -1
	// LanguageAuto, as Config.Language, sends no language: the service
	// detects it.
	LanguageAuto = "auto"
)

// Config says which service to use and how hard to press it. Zero values
// mean the documented defaults.
type Config struct {
	// URL is the service's base URL, e.g. http://whisper:8080; the client
	// posts to URL + "/v1/audio/transcriptions". Required.
	URL string
	// Model is the model field of the request. Required: no name is
	// accepted by every server (OpenAI: whisper-1, the one of its models
	// that gives segments; vLLM: its served model name, such as
	// openai/whisper-large-v3; faster-whisper servers: the model to load,
	// such as Systran/faster-whisper-large-v3; whisper.cpp's server
	// ignores it).
	Model string
	// APIKey, when set, is sent as a Bearer token.
	APIKey string
	// Language is the language field (ISO 639-1). Default "zh";
	// LanguageAuto sends none.
	Language string
	// Concurrency bounds the requests in flight at once across all calls.
	// Default 2.
	Concurrency int
	// Timeout bounds one request (one piece of one channel). Default 10
	// minutes.
	Timeout time.Duration
	// UploadRate is the sample rate of the uploaded WAV files, in Hz:
	// channels at another rate are resampled. Default DefaultUploadRate;
	// AsRecorded keeps the recording's rate.
	UploadRate int
	// MaxUploadBytes bounds one uploaded WAV file; longer channels are
	// split at pauses. Default DefaultMaxUploadBytes.
	MaxUploadBytes int64
	// Guard keeps invented text out of the transcript; the zero value is
	// its documented defaults.
	Guard Guard
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
	case strings.HasSuffix(strings.TrimRight(u.Path, "/"), "/audio/transcriptions"):
		return fmt.Errorf("asr Config.URL %q: give the service's base URL; callqa adds /v1/audio/transcriptions", c.URL)
	case strings.TrimSpace(c.Model) == "":
		return errors.New("asr Config.Model is required: the model name the service serves (OpenAI: whisper-1; vLLM: its served model name, e.g. openai/whisper-large-v3; faster-whisper servers: e.g. Systran/faster-whisper-large-v3; whisper.cpp: any, it uses the model it was started with)")
	case c.Concurrency < 0:
		return fmt.Errorf("asr Config.Concurrency %d must not be negative", c.Concurrency)
	case c.Timeout < 0:
		return fmt.Errorf("asr Config.Timeout %v must not be negative", c.Timeout)
	case c.UploadRate < AsRecorded || c.UploadRate > 0 && c.UploadRate < 4000 || c.UploadRate > 192000:
		return fmt.Errorf("asr Config.UploadRate %d: want a rate from 4000 to 192000 Hz, 0 (16000) or AsRecorded", c.UploadRate)
	case c.MaxUploadBytes != 0 && c.MaxUploadBytes < MinMaxUploadBytes:
		return fmt.Errorf("asr Config.MaxUploadBytes %d must be at least %d", c.MaxUploadBytes, MinMaxUploadBytes)
	case strings.ContainsAny(c.Language, " \t\r\n"):
		return fmt.Errorf("asr Config.Language %q: want a code such as zh, or auto", c.Language)
	}
	return c.Guard.Validate()
}

func (c Config) withDefaults() Config {
	if c.Language == "" {
		c.Language = "zh"
	}
	if c.Concurrency == 0 {
		c.Concurrency = 2
	}
	if c.Timeout == 0 {
		c.Timeout = 10 * time.Minute
	}
	if c.UploadRate == 0 {
		c.UploadRate = DefaultUploadRate
	}
	if c.MaxUploadBytes == 0 {
		c.MaxUploadBytes = DefaultMaxUploadBytes
	}
	c.Guard = c.Guard.withDefaults()
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
// a recording (source.Local, source.S3).
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

var (
	_ transcript.Transcriber      = (*Client)(nil)
	_ transcript.AudioTranscriber = (*Client)(nil)
)

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

// Transcribe returns the call's transcript: the sidecars if there are any,
// otherwise the service's transcription of each channel, which is then
// written back as <name>.transcript.json when src can store sidecars (a
// failure to store it is logged, not returned). call gives the channel
// map (else the meta sidecar's is read) and each speaker's detected speech,
// where long channels are cut and outside which text is dropped (unknown:
// channels are cut every MaxUploadBytes and only the recogniser's own
// scores judge the text). A mono recording has no speaker separation, so
// it gets no transcript (nil, nil). Errors of the service or the network
// are *ServiceError (transient); an unreadable recording is reported by
// the decoder's error.
func (c *Client) Transcribe(ctx context.Context, src transcript.Source, key string, call transcript.Call) (*models.Transcript, error) {
	tr, err := transcript.Sidecar{}.Transcribe(ctx, src, key, call)
	if err != nil || tr != nil {
		return tr, err
	}
	chans := call.Channels
	if !call.Known() {
		if chans, err = readChannelMap(ctx, src, key); err != nil {
			return nil, err
		}
	}
	ch := call.Audio
	if ch == nil {
		var sp *spool
		if ch, sp, err = c.splitChannels(ctx, src, key); err != nil {
			return nil, err
		}
		if sp != nil {
			defer sp.Remove()
		}
	}
	if ch.Format.Channels < 2 {
		c.logger.InfoContext(ctx, "asr: mono recording, speakers cannot be told apart: no transcript", "key", key)
		return nil, nil
	}
	speakers := map[int]string{chans.Agent: models.SpeakerAgent, chans.Customer: models.SpeakerCustomer}
	n := len(ch.Files)
	if chans.Agent == chans.Customer || chans.Agent >= n || chans.Customer >= n || chans.Agent < 0 || chans.Customer < 0 {
		return nil, fmt.Errorf("asr %s: channel map %+v does not fit %d channels", key, chans, n)
	}
	type answer struct {
		us      []models.Utterance
		dropped []models.DroppedSegment
		err     error
	}
	// The first failure cancels the other channel's requests.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	answers := make(chan answer, 2)
	for i, speaker := range speakers {
		go func() {
			speech, known := call.Speech[speaker]
			us, dropped, err := c.transcribeChannel(ctx, ch, i, key, speaker, speech, known)
			answers <- answer{us, dropped, err}
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
		out.Dropped = append(out.Dropped, a.dropped...)
	}
	if firstErr != nil {
		return nil, firstErr
	}
	// In the transcripts' order (by start, then end, the agent first on a
	// tie), whichever channel was answered first: the order the sidecar
	// parser gives back.
	transcript.SortUtterances(out.Utterances)
	sort.SliceStable(out.Dropped, func(i, j int) bool {
		a, b := out.Dropped[i], out.Dropped[j]
		return before(a.Start, a.Speaker, b.Start, b.Speaker)
	})
	if len(out.Dropped) > 0 {
		c.logger.InfoContext(ctx, "asr: segments dropped as invented text", "key", key, "dropped", len(out.Dropped), "kept", len(out.Utterances))
	}
	if w, ok := src.(SidecarWriter); ok {
		stored := out
		if !c.cfg.KeepRawSidecar {
			stored, _ = pii.MaskTranscript(out)
		}
		data, err := json.MarshalIndent(stored, "", "  ")
		if err == nil {
			err = w.WriteSidecar(ctx, key, models.SuffixTranscript, data)
		}
		if err != nil {
			c.logger.WarnContext(ctx, "asr: transcript not stored as a sidecar", "key", key, "err", err)
		} else {
			out.Sidecar = true // results may refer to it instead of copying it
		}
	}
	return out, nil
}

// transcribeChannel sends channel i piece by piece and returns its
// utterances (times in the call) and the segments the guard dropped.
func (c *Client) transcribeChannel(ctx context.Context, ch *transcript.Audio, i int, key, speaker string, speech []models.Span, known bool) ([]models.Utterance, []models.DroppedSegment, error) {
	f, err := os.Open(ch.Files[i])
	if err != nil {
		return nil, nil, fmt.Errorf("asr %s: %w", key, err)
	}
	defer f.Close()
	rate := ch.Rate
	maxLen := (c.cfg.MaxUploadBytes - decode.PCM16HeaderBytes) / 2
	var planned []models.Span
	if known {
		planned = nonNilSpans(speech)
	}
	pieces := planPieces(ch.Samples[i], rate, maxLen, planned)
	base := strings.TrimSuffix(path.Base(key), path.Ext(key)) + "." + speaker
	language := c.cfg.Language
	if language == LanguageAuto {
		language = ""
	}
	var us []models.Utterance
	var dropped []models.DroppedSegment
	start := time.Now()
	for k, p := range pieces {
		name := base + ".wav"
		if len(pieces) > 1 {
			name = fmt.Sprintf("%s.part%d.wav", base, k+1)
		}
		segs, err := c.request(ctx, upload{file: f, rate: rate, piece: p, name: name, language: language})
		if err != nil {
			if ctx.Err() != nil {
				return nil, nil, ctx.Err()
			}
			where := speaker
			if len(pieces) > 1 {
				where = fmt.Sprintf("%s, piece %d of %d", speaker, k+1, len(pieces))
			}
			return nil, nil, fmt.Errorf("asr %s (%s): %w", key, where, err)
		}
		from, to := float64(p.from)/float64(rate), float64(p.to)/float64(rate)
		for _, s := range segs {
			// Re-based to the call; a segment may not run past its piece.
			s.start, s.end = min(from+s.start, to), min(from+s.end, to)
			if r := c.cfg.Guard.reason(s, speech, known); r != "" {
				dropped = append(dropped, models.DroppedSegment{Speaker: speaker, Start: round3(s.start), End: round3(s.end), Text: s.text, Reason: r})
				continue
			}
			us = append(us, models.Utterance{Speaker: speaker, Start: round3(s.start), End: round3(s.end), Text: s.text})
		}
	}
	c.logger.DebugContext(ctx, "asr: channel transcribed", "key", key, "speaker", speaker,
		"pieces", len(pieces), "utterances", len(us), "dropped", len(dropped), "duration", time.Since(start))
	return us, dropped, nil
}

// before orders by start time, then the agent before the customer.
func before(startA float64, speakerA string, startB float64, speakerB string) bool {
	if startA != startB {
		return startA < startB
	}
	return speakerA == models.SpeakerAgent && speakerB != models.SpeakerAgent
}

func nonNilSpans(s []models.Span) []models.Span {
	if s == nil {
		return []models.Span{}
	}
	return s
}

// round3 rounds seconds to the millisecond: finer means nothing, and
// re-basing adds float noise.
func round3(v float64) float64 {
	return float64(int64(v*1000+0.5)) / 1000
}

// readChannelMap reads the channel map of the meta sidecar (optional).
func readChannelMap(ctx context.Context, src transcript.Source, key string) (models.ChannelMap, error) {
	rc, err := src.OpenSidecar(ctx, key, models.SuffixMeta)
	if errors.Is(err, fs.ErrNotExist) {
		return models.DefaultChannels, nil
	}
	if err != nil {
		return models.ChannelMap{}, fmt.Errorf("asr %s: meta sidecar: %w", key, err)
	}
	defer rc.Close()
	meta, _, err := models.ReadMeta(rc, key)
	if err != nil {
		// The engine reports a broken meta sidecar; use the default here.
		return models.DefaultChannels, nil
	}
	return meta.ChannelsOrDefault(), nil
}

type sizer interface{ Size() int64 }

// blockFrames is how many frames are decoded at a time.
const blockFrames = 4096

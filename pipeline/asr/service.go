package asr

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime/multipart"
	"net/http"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/callqa/callqa/pipeline/decode"
	"github.com/callqa/callqa/pipeline/transcript"
)

// StatusError is a non-2xx answer of the service.
type StatusError struct {
	Code int
	Body string // the start of the response body
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("asr service: HTTP %d: %s", e.Code, e.Body)
}

// ServiceError is a transcription that failed because of the service or of
// the way callqa is set up to use it: refused credentials, a wrong URL or
// model, an answer without segments, a server error, no answer in time. It
// is never the recording's fault: the engine reports it as a transient
// fault, so the call is retried (and stored once the service is fixed),
// never written off as unprocessable. Problem says what is wrong in words
// an operator can act on; Err is the cause (a *StatusError, a network or
// context error) or nil.
type ServiceError struct {
	Problem string
	Err     error
}

func (e *ServiceError) Error() string { return "asr service: " + e.Problem }
func (e *ServiceError) Unwrap() error { return e.Err }

// upload is one piece of one channel, as a WAV file.
type upload struct {
	file     *os.File
	rate     int
	piece    piece
	name     string // the file name sent
	language string // "" for none
}

// request posts one piece and returns its segments, times relative to the
// piece. Every failure but the caller's cancellation is a *ServiceError.
func (c *Client) request(ctx context.Context, up upload) ([]segment, error) {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-c.sem }()
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()

	dataBytes := 2 * (up.piece.to - up.piece.from)
	h := decode.PCM16Header(up.rate, 1, dataBytes)
	audio := io.MultiReader(bytes.NewReader(h),
		io.NewSectionReader(up.file, decode.PCM16HeaderBytes+2*up.piece.from, dataBytes))
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		err := func() error {
			fields := [][2]string{{"model", c.cfg.Model}, {"response_format", "verbose_json"}}
			if up.language != "" {
				fields = append(fields, [2]string{"language", up.language})
			}
			for _, kv := range fields {
				if err := mw.WriteField(kv[0], kv[1]); err != nil {
					return err
				}
			}
			part, err := mw.CreateFormFile("file", up.name)
			if err != nil {
				return err
			}
			if _, err := io.Copy(part, audio); err != nil {
				return err
			}
			return mw.Close()
		}()
		pw.CloseWithError(err)
	}()
	endpoint := c.cfg.URL + "/v1/audio/transcriptions"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, pr)
	if err != nil {
		pr.Close()
		return nil, &ServiceError{Problem: fmt.Sprintf("request to %s: %v", endpoint, err), Err: err}
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if c.cfg.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.cfg.APIKey)
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		pr.Close()
		return nil, c.transportError(parent, ctx, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, c.statusError(&StatusError{Code: resp.StatusCode, Body: clip(string(body), 300)}, up.rate)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, transcript.MaxBytes+1))
	if err != nil {
		return nil, c.transportError(parent, ctx, err)
	}
	if len(body) > transcript.MaxBytes {
		return nil, &ServiceError{Problem: fmt.Sprintf("the answer is larger than %d MiB", transcript.MaxBytes>>20)}
	}
	return c.parseAnswer(body, resp.Header.Get("Content-Type"))
}

// transportError names a request that got no (whole) answer. The caller's
// own cancellation is returned as it is.
func (c *Client) transportError(parent, ctx context.Context, err error) error {
	switch {
	case parent.Err() != nil:
		return parent.Err()
	case ctx.Err() != nil:
		return &ServiceError{Problem: fmt.Sprintf("no answer within %v (the request timeout, --asr-timeout): the service is overloaded or the piece too long for it", c.cfg.Timeout), Err: err}
	}
	return &ServiceError{Problem: fmt.Sprintf("cannot reach %s: %v", c.cfg.URL, err), Err: err}
}

// statusError says what a non-2xx answer means for the operator.
func (c *Client) statusError(se *StatusError, rate int) error {
	body := strings.ToLower(se.Body)
	var p string
	switch code := se.Code; {
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		p = fmt.Sprintf("HTTP %d: the service refused the credentials: check the API key (--asr-key, CALLQA_ASR_KEY)", code)
	case code == http.StatusNotFound && strings.Contains(body, "model"):
		p = fmt.Sprintf("HTTP 404: the service has no model %q: set --asr-model (CALLQA_ASR_MODEL) to the name it serves", c.cfg.Model)
	case code == http.StatusNotFound || code == http.StatusMethodNotAllowed || code == http.StatusNotImplemented:
		p = fmt.Sprintf("HTTP %d: no transcription endpoint at %s/v1/audio/transcriptions: check --asr-url (the service's base URL, without /v1/...; start whisper.cpp's server with --inference-path /v1/audio/transcriptions)", code, c.cfg.URL)
	case code == http.StatusRequestEntityTooLarge:
		p = fmt.Sprintf("HTTP 413: the service takes smaller uploads than %d bytes: lower --asr-max-upload", c.cfg.MaxUploadBytes)
	case code == http.StatusTooManyRequests:
		p = "HTTP 429: the service is rate limiting: lower --asr-concurrency or raise the service's quota"
	case code >= 500:
		p = fmt.Sprintf("HTTP %d: the service failed", code)
	case strings.Contains(body, "verbose_json") || strings.Contains(body, "response_format"):
		p = fmt.Sprintf("HTTP %d: the service does not answer response_format=verbose_json, which callqa needs for the times of what was said (model %q; OpenAI: only whisper-1 gives it; vLLM: 0.11 or later)", code, c.cfg.Model)
	case strings.Contains(body, "model"):
		p = fmt.Sprintf("HTTP %d: the service refused model %q: set --asr-model (CALLQA_ASR_MODEL) to the name it serves", code, c.cfg.Model)
	case strings.Contains(body, "wav") || strings.Contains(body, "audio") || strings.Contains(body, "16") && strings.Contains(body, "khz"):
		p = fmt.Sprintf("HTTP %d: the service cannot read the %d Hz mono PCM16 WAV it was sent", code, rate)
		if rate != 16000 {
			p += " (whisper.cpp's server without --convert reads 16 kHz only: set --asr-rate 16000)"
		}
	default:
		p = fmt.Sprintf("HTTP %d: the service refused the request (model %q, language %q)", code, c.cfg.Model, c.cfg.Language)
	}
	if se.Body != "" {
		p += ": " + se.Body
	}
	return &ServiceError{Problem: p, Err: se}
}

// answer is a verbose_json transcription; pointers tell absent keys.
type answer struct {
	Text     *string       `json:"text"`
	Segments *[]rawSegment `json:"segments"`
	Error    any           `json:"error"`
}

type rawSegment struct {
	Start            *float64 `json:"start"`
	End              *float64 `json:"end"`
	Text             string   `json:"text"`
	NoSpeechProb     *float64 `json:"no_speech_prob"`
	AvgLogprob       *float64 `json:"avg_logprob"`
	CompressionRatio *float64 `json:"compression_ratio"`
}

// parseAnswer reads a verbose_json answer. Whatever is wrong with it is the
// service's doing (callqa sent a valid WAV), so every error is a
// *ServiceError.
func (c *Client) parseAnswer(body []byte, contentType string) ([]segment, error) {
	var a answer
	if !json.Valid(body) {
		return nil, &ServiceError{Problem: fmt.Sprintf("the answer is not JSON (Content-Type %q: %s): is --asr-url a transcription service?", contentType, clip(string(body), 120))}
	}
	if err := json.Unmarshal(body, &a); err != nil {
		return nil, &ServiceError{Problem: fmt.Sprintf("the answer is not verbose_json: %v", err), Err: err}
	}
	if a.Segments == nil {
		switch {
		case a.Error == nil && a.Text != nil && strings.TrimSpace(*a.Text) == "":
			// Nothing said (a silent piece), whatever the format.
			return nil, nil
		case a.Error != nil:
			e, _ := json.Marshal(a.Error)
			return nil, &ServiceError{Problem: "the service answered an error: " + clip(string(e), 300)}
		case a.Text != nil:
			return nil, &ServiceError{Problem: fmt.Sprintf("the service answered {\"text\": ...} without segments: it ignored response_format=verbose_json, and callqa needs the segments' times (model %q: use a server and model that give verbose_json: whisper.cpp, faster-whisper servers, vLLM 0.11+, OpenAI whisper-1)", c.cfg.Model)}
		default:
			return nil, &ServiceError{Problem: "the answer has no segments: " + clip(string(body), 120)}
		}
	}
	if len(*a.Segments) == 0 && a.Text != nil && strings.TrimSpace(*a.Text) != "" {
		return nil, &ServiceError{Problem: fmt.Sprintf("the service answered text without any segment (model %q): callqa needs the segments' times", c.cfg.Model)}
	}
	segs := make([]segment, 0, len(*a.Segments))
	for i, s := range *a.Segments {
		switch {
		case s.Start == nil || s.End == nil:
			return nil, &ServiceError{Problem: fmt.Sprintf("segments[%d] has no start or end", i)}
		case !finite(*s.Start) || !finite(*s.End) || *s.Start < 0 || *s.End < *s.Start:
			return nil, &ServiceError{Problem: fmt.Sprintf("segments[%d]: impossible times %v..%v", i, *s.Start, *s.End)}
		}
		text := strings.TrimSpace(s.Text)
		if text == "" {
			continue
		}
		segs = append(segs, segment{start: *s.Start, end: *s.End, text: text,
			noSpeechProb: s.NoSpeechProb, avgLogprob: s.AvgLogprob, compressionRatio: s.CompressionRatio})
	}
	return segs, nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// clip returns the start of s, on one line, at most n bytes, valid UTF-8.
func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "..."
}

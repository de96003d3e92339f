package main

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/callqa/callqa/pipeline/asr"
	"github.com/callqa/callqa/pipeline/transcript"
)

// asrFlags configure the transcription service adapter (package asr), the
// same for inspect, run and worker: each flag also reads a CALLQA_ASR_*
// variable.
type asrFlags struct {
	cfg       asr.Config
	rate      int
	maxUpload string
	// envErr is the first environment variable that could not be read as
	// its flag's type; reported when the adapter is built.
	envErr error
}

// asrSynopsis is the part of a command's synopsis for transcription.
const asrSynopsis = "[--asr-url URL --asr-model M [--asr-key K] [--asr-language zh]]"

func (a *asrFlags) register(fs *flag.FlagSet, e *env) {
	fs.StringVar(&a.cfg.URL, "asr-url", fleetEnv(e, "CALLQA_ASR_URL", ""),
		"OpenAI-compatible transcription service (its base URL: callqa posts to URL/v1/audio/transcriptions) for calls without a transcript sidecar; empty: sidecars only (env CALLQA_ASR_URL)")
	fs.StringVar(&a.cfg.Model, "asr-model", fleetEnv(e, "CALLQA_ASR_MODEL", ""),
		"model field of transcription requests, required with --asr-url: OpenAI whisper-1, vLLM its served name (openai/whisper-large-v3), faster-whisper servers e.g. Systran/faster-whisper-large-v3, whisper.cpp any (env CALLQA_ASR_MODEL)")
	fs.StringVar(&a.cfg.APIKey, "asr-key", fleetEnv(e, "CALLQA_ASR_KEY", ""), "bearer token of the transcription service (env CALLQA_ASR_KEY)")
	fs.StringVar(&a.cfg.Language, "asr-language", fleetEnv(e, "CALLQA_ASR_LANGUAGE", "zh"), "language of the calls (ISO 639-1), or auto to let the service detect it (env CALLQA_ASR_LANGUAGE)")
	fs.IntVar(&a.cfg.Concurrency, "asr-concurrency", a.envInt(e, "CALLQA_ASR_CONCURRENCY", 2), "transcription requests in flight at once, for the whole process (env CALLQA_ASR_CONCURRENCY)")
	fs.DurationVar(&a.cfg.Timeout, "asr-timeout", a.envDuration(e, "CALLQA_ASR_TIMEOUT", 10*time.Minute), "timeout of one transcription request (one piece of one channel) (env CALLQA_ASR_TIMEOUT)")
	fs.IntVar(&a.rate, "asr-rate", a.envInt(e, "CALLQA_ASR_RATE", asr.DefaultUploadRate), "sample rate of the uploaded channels in Hz (whisper.cpp's server reads 16000 only, unless started with --convert); 0: the recording's own (env CALLQA_ASR_RATE)")
	fs.StringVar(&a.maxUpload, "asr-max-upload", fleetEnv(e, "CALLQA_ASR_MAX_UPLOAD", "24MiB"), "largest upload: longer channels are cut at pauses into pieces under it (OpenAI takes 25 MB) (env CALLQA_ASR_MAX_UPLOAD)")
	fs.BoolVar(&a.cfg.KeepRawSidecar, "asr-keep-raw", a.envBool(e, "CALLQA_ASR_KEEP_RAW"), "write the transcript sidecar unmasked (personal numbers as spoken); by default it is masked like the stored results (env CALLQA_ASR_KEEP_RAW)")
}

func (a *asrFlags) envInt(e *env, name string, def int) int {
	v := e.getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil && a.envErr == nil {
		a.envErr = fmt.Errorf("%s=%q: want a whole number", name, v)
	}
	if err != nil {
		return def
	}
	return n
}

func (a *asrFlags) envDuration(e *env, name string, def time.Duration) time.Duration {
	v := e.getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil && a.envErr == nil {
		a.envErr = fmt.Errorf("%s=%q: want a duration such as 10m", name, v)
	}
	if err != nil {
		return def
	}
	return d
}

func (a *asrFlags) envBool(e *env, name string) bool {
	v := e.getenv(name)
	if v == "" {
		return false
	}
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil && a.envErr == nil {
		a.envErr = fmt.Errorf("%s=%q: want true or false", name, v)
	}
	return b
}

// config returns the adapter's configuration, checked.
func (a *asrFlags) config() (asr.Config, error) {
	cfg := a.cfg
	if a.envErr != nil {
		return cfg, a.envErr
	}
	switch {
	case a.rate == 0:
		cfg.UploadRate = asr.AsRecorded
	case a.rate < 0:
		return cfg, fmt.Errorf("--asr-rate %d: want a rate in Hz, or 0 for the recording's own", a.rate)
	default:
		cfg.UploadRate = a.rate
	}
	n, err := parseSize(a.maxUpload)
	if err != nil {
		return cfg, fmt.Errorf("--asr-max-upload: %w", err)
	}
	cfg.MaxUploadBytes = n
	if strings.TrimSpace(cfg.Language) == "" {
		return cfg, errors.New("--asr-language is empty: give a language code such as zh, or auto")
	}
	if err := cfg.Validate(); err != nil {
		return cfg, flagNames(err)
	}
	return cfg, nil
}

// flagNames adds the flag that sets an asr.Config field to its error.
func flagNames(err error) error {
	msg := err.Error()
	for field, flag := range map[string]string{
		"Config.URL": "--asr-url", "Config.Model": "--asr-model", "Config.Concurrency": "--asr-concurrency",
		"Config.Timeout": "--asr-timeout", "Config.UploadRate": "--asr-rate", "Config.MaxUploadBytes": "--asr-max-upload",
		"Config.Language": "--asr-language",
	} {
		if strings.Contains(msg, field+" ") {
			return fmt.Errorf("%s: %w", flag, err)
		}
	}
	return err
}

// transcriber returns nil when no ASR service is configured: the engine
// then reads transcript sidecars.
func (a *asrFlags) transcriber(e *env) (transcript.Transcriber, error) {
	if a.cfg.URL == "" {
		return nil, a.envErr
	}
	cfg, err := a.config()
	if err != nil {
		return nil, err
	}
	c, err := asr.New(cfg, e.logger)
	if err != nil {
		return nil, flagNames(err)
	}
	return c, nil
}

// parseSize reads a size in bytes: a whole number with an optional unit,
// KB/MB/GB (powers of 1000) or KiB/MiB/GiB (of 1024).
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}} {
		if strings.HasSuffix(strings.ToUpper(t), strings.ToUpper(u.suffix)) {
			t, mult = strings.TrimSpace(t[:len(t)-len(u.suffix)]), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 || n > (1<<40)/mult {
		return 0, fmt.Errorf("%q: want a size such as 24MiB, 25MB or 500000", s)
	}
	return n * mult, nil
}

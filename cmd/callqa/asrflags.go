package main

import (
	"flag"
	"time"

	"github.com/callqa/callqa/pipeline/asr"
	"github.com/callqa/callqa/pipeline/transcript"
)

// asrFlags configure the transcription service adapter (package asr).
type asrFlags struct {
	cfg asr.Config
}

func (a *asrFlags) register(fs *flag.FlagSet, e *env) {
	fs.StringVar(&a.cfg.URL, "asr-url", fleetEnv(e, "CALLQA_ASR_URL", ""),
		"OpenAI-compatible transcription service (POST /v1/audio/transcriptions) for calls without a transcript sidecar; empty: sidecars only (env CALLQA_ASR_URL)")
	fs.StringVar(&a.cfg.Model, "asr-model", fleetEnv(e, "CALLQA_ASR_MODEL", "whisper-1"), "model field of transcription requests (env CALLQA_ASR_MODEL)")
	fs.StringVar(&a.cfg.APIKey, "asr-key", fleetEnv(e, "CALLQA_ASR_KEY", ""), "bearer token of the transcription service (env CALLQA_ASR_KEY)")
	fs.IntVar(&a.cfg.Concurrency, "asr-concurrency", 2, "transcription requests in flight at once")
	fs.DurationVar(&a.cfg.Timeout, "asr-timeout", 10*time.Minute, "timeout of one transcription request (one channel)")
	fs.BoolVar(&a.cfg.KeepRawSidecar, "asr-keep-raw", false, "write the transcript sidecar unmasked (personal numbers as spoken); by default it is masked like the stored results")
}

// transcriber returns nil when no ASR service is configured: the engine
// then reads transcript sidecars.
func (a *asrFlags) transcriber(e *env) (transcript.Transcriber, error) {
	if a.cfg.URL == "" {
		return nil, nil
	}
	c, err := asr.New(a.cfg, e.logger)
	if err != nil {
		return nil, err
	}
	return c, nil
}

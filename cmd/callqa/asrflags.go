package main

import (
	"flag"

	"github.com/callqa/callqa/pipeline"
)

// asrFlags configure the transcription service adapter.
type asrFlags struct{}

func (a *asrFlags) register(fs *flag.FlagSet, e *env) {}

// transcriber returns nil when no ASR service is configured: the engine
// then reads transcript sidecars.
func (a *asrFlags) transcriber(e *env) (pipeline.Transcriber, error) { return nil, nil }

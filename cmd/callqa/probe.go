package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/pipeline"
	"github.com/callqa/callqa/pipeline/analyse"
)

const probeSynopsis = "probe RECORDING [--json]"

// probeResult is the JSON shape of callqa probe.
type probeResult struct {
	Format        string         `json:"format"`
	SampleRate    int            `json:"sample_rate"`
	Channels      int            `json:"channels"`
	BitsPerSample int            `json:"bits_per_sample"`
	Frames        int64          `json:"frames"`
	DurationS     float64        `json:"duration_s"`
	Truncated     bool           `json:"truncated"`
	TruncatedNote string         `json:"truncated_note,omitempty"`
	Levels        []channelLevel `json:"levels"`
}

type channelLevel struct {
	Channel  int     `json:"channel"`
	RMSDBFS  float64 `json:"rms_dbfs"`
	PeakDBFS float64 `json:"peak_dbfs"`
}

func cmdProbe(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("probe", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseFlags(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return printHelp(e, fs, probeSynopsis)
	}
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError(fs, probeSynopsis, "probe: expected one RECORDING")
	}
	p, err := probe(ctx, pos[0])
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(p)
	}
	fmt.Fprintf(e.stdout, "%s: %s, %d Hz, %d channels, %d bits, %d frames, %s\n",
		pos[0], p.Format, p.SampleRate, p.Channels, p.BitsPerSample, p.Frames, clock(p.DurationS))
	if p.Truncated {
		fmt.Fprintf(e.stdout, "  %s\n", p.TruncatedNote)
	}
	for _, l := range p.Levels {
		fmt.Fprintf(e.stdout, "  channel %d: RMS %.1f dBFS, peak %.1f dBFS\n", l.Channel, l.RMSDBFS, l.PeakDBFS)
	}
	return nil
}

// probe decodes the whole file once, measuring levels with the same code
// that the inspection uses. Levels do not depend on the voice-activity
// detector, so probe uses the energy gate: it does not load the neural
// VAD's model (several milliseconds, at every start) nor run it.
func probe(ctx context.Context, path string) (*probeResult, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, badInput(fmt.Errorf("probe: %w", err))
	}
	defer f.Close()
	a, err := pipeline.AnalyseStream(ctx, f, pipeline.StreamSize(f), analyse.Config{VAD: analyse.VADEnergy}, nil)
	if err != nil {
		return nil, probeError(path, err)
	}
	format := a.Format
	p := &probeResult{
		Format:        format.Codec,
		SampleRate:    format.SampleRate,
		Channels:      format.Channels,
		BitsPerSample: format.BitsPerSample,
		Frames:        a.Frames,
		DurationS:     round3(float64(a.Frames) / float64(format.SampleRate)),
		Levels:        []channelLevel{},
	}
	if t := a.Truncated; t != nil {
		p.Truncated, p.TruncatedNote = true, t.Error()
	}
	for i, ch := range a.Report.Channels {
		p.Levels = append(p.Levels, channelLevel{Channel: i, RMSDBFS: round3(ch.RMSDBFS), PeakDBFS: round3(ch.PeakDBFS)})
	}
	return p, nil
}

func probeError(path string, err error) error {
	if errors.Is(err, models.ErrBadInput) {
		return badInput(fmt.Errorf("%s: %w", path, err))
	}
	return fmt.Errorf("%s: %w", path, err)
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

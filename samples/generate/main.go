// Command generate synthesises callqa's sample calls: Mandarin calls to the
// Shanghai 12333 social-security hotline, spoken by espeak-ng (voice cmn),
// laid out as the hotline's recorder stores them:
//
//	samples/2026/11/25/<call_id>.wav              stereo 8 kHz, agent on channel 0
//	samples/2026/11/25/<call_id>.transcript.json  models.Transcript
//	samples/2026/11/25/<call_id>.meta.json        models.CallMeta
//	samples/2026/11/25/<call_id>.truth.json       speech/silence/overtalk ground truth
//
// Run it from the repository root with espeak-ng and sox on PATH:
//
//	go run ./samples/generate
//	go run ./samples/generate -only C20261125-0011,C20261125-0012
//
// -only builds, checks and writes the listed calls and leaves every other
// file alone: a different espeak-ng or sox would change the committed calls
// a little, so a new call is added without rewriting the old ones.
//
// The output is deterministic (espeak-ng is, sox runs without dither and the
// line hiss comes from a fixed seed), so re-running it reproduces the
// committed files byte for byte. Every call is checked against what its
// scenario claims (which default-scorecard rules it trips, with margins from
// every threshold); the generator fails rather than write a sample that does
// not show its scenario cleanly.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
)

// dayDir is where the recorder files the calls of 2026-11-25.
const dayDir = "2026/11/25"

func main() {
	out := flag.String("out", "samples", "root folder of the samples (the calls go under 2026/11/25)")
	espeak := flag.String("espeak", "espeak-ng", "espeak-ng binary")
	sox := flag.String("sox", "sox", "sox binary")
	only := flag.String("only", "", "comma-separated call ids: generate only these and leave the other files alone (default: every call)")
	flag.Parse()

	var ids []string
	if *only != "" {
		ids = strings.Split(*only, ",")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *out, synthesizer{espeak: *espeak, sox: *sox}, ids); err != nil {
		fmt.Fprintln(os.Stderr, "generate:", err)
		os.Exit(1)
	}
}

// run builds, checks and writes the sample calls under root: those listed in
// only, or all of them when only is empty.
func run(ctx context.Context, root string, syn synthesizer, only []string) error {
	specs := calls()
	for _, id := range only {
		if !slices.ContainsFunc(specs, func(s callSpec) bool { return s.meta.CallID == id }) {
			return fmt.Errorf("run: -only: no call %q", id)
		}
	}
	dir := filepath.Join(root, filepath.FromSlash(dayDir))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("run: %w", err)
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "call\tformat\tdur_s\tagent_cpm\tagent_speech_dbfs\tagent_chan_dbfs\tmax_silence_s\tagent_overtalk_s\thold_s\tkeys\ttrips")
	var bad []error
	for i, spec := range specs {
		if len(only) > 0 && !slices.Contains(only, spec.meta.CallID) {
			continue
		}
		// The seed is the call's place in the list, whatever -only says,
		// so that a call's hiss and music never depend on the flag.
		b, err := build(ctx, syn, spec, uint64(i+1))
		if err != nil {
			return err
		}
		trips, m, err := evaluate(b)
		fmt.Fprintf(tw, "%s\t%s\t%.1f\t%.0f\t%.1f\t%.1f\t%.2f\t%.2f\t%.1f\t%d\t%s\n",
			spec.meta.CallID, spec.format, b.durS, b.agentCPM, b.agentSpeechDB, b.agentChanDB,
			m.maxSilence, m.agentOvertalk, m.holdS, m.presses, strings.Join(trips, ","))
		if err != nil {
			// Keep going so that every call's figures are shown, but
			// write nothing for a call that does not pass its checks.
			bad = append(bad, err)
			continue
		}
		if err := write(dir, b); err != nil {
			return err
		}
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("run: %w", err)
	}
	return errors.Join(bad...)
}

// write stores the recording and its three sidecars in dir.
func write(dir string, b *builtCall) error {
	base := filepath.Join(dir, b.spec.meta.CallID)
	if err := writeWAV(base+".wav", b.spec.format, sampleRate, b.chans); err != nil {
		return err
	}
	for suffix, v := range map[string]any{
		suffixTranscript: b.transcript,
		suffixMeta:       b.spec.meta,
		suffixTruth:      b.truth,
	} {
		if err := writeJSON(base+suffix, v); err != nil {
			return err
		}
	}
	return nil
}

// Sidecar suffixes. The first two are pipeline.SuffixTranscript and
// pipeline.SuffixMeta, repeated here so that the generator does not depend on
// the pipeline package (which pulls in the whole engine).
const (
	suffixTranscript = ".transcript.json"
	suffixMeta       = ".meta.json"
	suffixTruth      = ".truth.json"
)

// writeJSON writes v as indented JSON with a final newline.
func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

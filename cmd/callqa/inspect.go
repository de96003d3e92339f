package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/pipeline"
	"github.com/callqa/callqa/scorecards"
	"github.com/callqa/callqa/source"
)

const inspectSynopsis = "inspect RECORDING [--transcript F] [--meta F] [--scorecard F] [--json] " + asrSynopsis

func cmdInspect(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("inspect", flag.ContinueOnError)
	transcriptPath := fs.String("transcript", "", "transcript sidecar (default: RECORDING's <name>.transcript.json)")
	metaPath := fs.String("meta", "", "metadata sidecar (default: RECORDING's <name>.meta.json)")
	scorecardPath := fs.String("scorecard", "", "scorecard YAML (default: the built-in "+scorecards.DefaultName+")")
	asJSON := fs.Bool("json", false, "print the full result as JSON")
	var asr asrFlags
	asr.register(fs, e)
	pos, err := parseFlags(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return printHelp(e, fs, inspectSynopsis)
	}
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError(fs, inspectSynopsis, "inspect: expected one RECORDING")
	}
	sc, err := scorecards.Load(*scorecardPath)
	if err != nil {
		return badInput(err)
	}
	tr, err := asr.transcriber(e)
	if err != nil {
		return badInput(err)
	}
	// The result itself is printed; the engine's log lines would repeat it.
	eng, err := pipeline.NewEngine(sc, pipeline.Config{Transcriber: tr}, nil)
	if err != nil {
		return badInput(err)
	}
	src, key, err := singleFileSource(pos[0], *transcriptPath, *metaPath)
	if err != nil {
		return badInput(err)
	}
	res, err := eng.InspectKey(ctx, src, key)
	if err != nil {
		return err
	}
	res.Recording = pos[0]
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(res); err != nil {
			return fmt.Errorf("inspect: write json: %w", err)
		}
	} else {
		printSummary(e.stdout, res)
	}
	if res.Status == models.StatusUnprocessable {
		if !*asJSON {
			return badInput(fmt.Errorf("%s: unprocessable: %s", pos[0], res.Error))
		}
		return errSilentExit
	}
	return nil
}

// overrideSource serves a recording from a folder, with sidecars given
// explicitly on the command line taking the place of those found by name.
type overrideSource struct {
	*source.Local
	sidecars map[string]string // suffix -> path
}

func (o overrideSource) OpenSidecar(ctx context.Context, key, suffix string) (io.ReadCloser, error) {
	if p, ok := o.sidecars[suffix]; ok {
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("open sidecar %s: %w", p, err)
		}
		return f, nil
	}
	return o.Local.OpenSidecar(ctx, key, suffix)
}

// singleFileSource returns a source for one recording path and its key.
func singleFileSource(recording, transcriptPath, metaPath string) (pipeline.RecordingSource, string, error) {
	dir, key := filepath.Split(recording)
	if dir == "" {
		dir = "."
	}
	local, err := source.NewLocal(dir)
	if err != nil {
		return nil, "", err
	}
	over := overrideSource{Local: local, sidecars: map[string]string{}}
	for suffix, p := range map[string]string{models.SuffixTranscript: transcriptPath, models.SuffixMeta: metaPath} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err != nil {
			return nil, "", fmt.Errorf("sidecar: %w", err)
		}
		over.sidecars[suffix] = p
	}
	return over, key, nil
}

// printSummary writes a result for a person: who, what, score and findings
// with mm:ss times.
func printSummary(w io.Writer, r *models.Result) {
	fmt.Fprintf(w, "%s  %s\n", r.CallID, r.Recording)
	if r.Status == models.StatusUnprocessable {
		fmt.Fprintf(w, "  无法处理 unprocessable: %s\n", r.Error)
		return
	}
	var who []string
	for _, s := range []string{r.Meta.AgentID, r.Meta.AgentName, r.Meta.Team, r.Meta.Queue} {
		if s != "" {
			who = append(who, s)
		}
	}
	if len(who) > 0 {
		fmt.Fprintf(w, "  坐席 agent: %s\n", strings.Join(who, " · "))
	}
	if a := r.Audio; a != nil {
		fmt.Fprintf(w, "  音频 audio: %s %d Hz %d ch %s\n", a.Format, a.SampleRate, a.Channels, clock(a.DurationS))
	}
	if r.Truncated {
		fmt.Fprintf(w, "  注意 truncated recording: %s\n", r.Error)
	}
	verdict := "合格 PASSED"
	if !r.Passed {
		verdict = "不合格 FAILED"
	}
	fmt.Fprintf(w, "  得分 score: %g  %s (scorecard %s v%d)\n", r.Score, verdict, r.Scorecard.ID, r.Scorecard.Version)
	if r.Review {
		fmt.Fprintf(w, "  需复核 flagged for review\n")
	}
	if len(r.Findings) == 0 {
		fmt.Fprintf(w, "  no findings\n")
	}
	for _, f := range r.Findings {
		mark := fmt.Sprintf("-%g", f.Deduct)
		if f.Veto {
			mark = "一票否决 veto"
		} else if f.Review && f.Deduct == 0 {
			mark = "复核 review"
		}
		sp := f.Speaker
		if sp == "" {
			sp = "-"
		}
		fmt.Fprintf(w, "  %s-%s  %-18s %-8s %-10s %s\n", clock(f.Start), clock(f.End), f.Rule+" "+f.Name, sp, mark, f.Evidence)
	}
	for _, n := range r.NotEvaluated {
		fmt.Fprintf(w, "  not evaluated: %s (%s)\n", n.Rule, n.Reason)
	}
	if r.Transcript != nil && len(r.Transcript.Dropped) > 0 {
		fmt.Fprintf(w, "  转写 ASR: %d segments dropped as invented text (%s)\n", len(r.Transcript.Dropped), droppedReasons(r.Transcript.Dropped))
	}
}

// droppedReasons counts dropped segments by reason: "outside_speech 2, no_speech 1".
func droppedReasons(ds []models.DroppedSegment) string {
	var order []string
	n := map[string]int{}
	for _, d := range ds {
		if n[d.Reason] == 0 {
			order = append(order, d.Reason)
		}
		n[d.Reason]++
	}
	parts := make([]string, len(order))
	for i, r := range order {
		parts[i] = fmt.Sprintf("%s %d", r, n[r])
	}
	return strings.Join(parts, ", ")
}

// clock formats seconds as mm:ss.s.
func clock(s float64) string {
	// Whole tenths first, so that 59.96 s is 01:00.0, never 00:60.0.
	tenths := int(math.Round(max(s, 0) * 10))
	return fmt.Sprintf("%02d:%02d.%d", tenths/600, tenths/10%60, tenths%10)
}

package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os/exec"
	"strings"
)

// Audio constants of the generated calls.
const (
	sampleRate = 8000
	// frameLen is the 20 ms frame used to find espeak's internal pauses.
	frameLen = sampleRate / 50
	// minPause is the shortest internal pause that splits an utterance's
	// ground-truth speech span.
	minPause = 0.35
	// edgeRel is the trimming threshold relative to the utterance's peak.
	edgeRel = 0.01
	// pauseRelDB is how far below the loudest frame a frame is a pause.
	pauseRelDB = -40.0
	// maxPeak is the highest peak allowed after levelling (-1 dBFS).
	maxPeak = 0.891
)

// synthesizer runs espeak-ng and sox.
type synthesizer struct {
	espeak string
	sox    string
}

// clip is one synthesised utterance: trimmed to its first and last audible
// sample and levelled, with its speech runs.
type clip struct {
	samples []float64
	// runs are [start, end) sample ranges of speech inside samples, split
	// where espeak pauses for longer than minPause.
	runs [][2]int
	// levelDB is the RMS of the speech frames after levelling, in dBFS.
	levelDB float64
	peakDB  float64
}

// synth speaks text with the voice and speed, resamples it to 8 kHz mono
// float, trims and levels it to targetDB RMS (over its speech frames).
func (s synthesizer) synth(ctx context.Context, voice string, speed int, text string, targetDB float64) (*clip, error) {
	raw, err := s.run(ctx, voice, speed, text)
	if err != nil {
		return nil, err
	}
	return shape(raw, targetDB)
}

// run pipes espeak-ng's 22.05 kHz WAV through sox and returns 8 kHz float
// samples. Sox is told not to dither (-D) so the output is repeatable.
func (s synthesizer) run(ctx context.Context, voice string, speed int, text string) ([]float64, error) {
	args := []string{"-v", voice, "-s", fmt.Sprint(speed), "--stdout"}
	if strings.Contains(text, "<") {
		args = append(args, "-m") // SSML breaks
		text = "<speak>" + text + "</speak>"
	}
	esp := exec.CommandContext(ctx, s.espeak, append(args, text)...)
	sx := exec.CommandContext(ctx, s.sox, "-V1", "-D", "-t", "wav", "-",
		"-t", "raw", "-e", "floating-point", "-b", "32", "-L", "-r", fmt.Sprint(sampleRate), "-c", "1", "-")
	pipe, err := esp.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("espeak-ng: %w", err)
	}
	sx.Stdin = pipe
	var out, serr, eerr bytes.Buffer
	sx.Stdout = &out
	sx.Stderr = &serr
	esp.Stderr = &eerr
	if err := esp.Start(); err != nil {
		return nil, fmt.Errorf("espeak-ng: %w", err)
	}
	if err := sx.Run(); err != nil {
		_ = esp.Wait()
		return nil, fmt.Errorf("sox %q: %w: %s", text, err, serr.String())
	}
	if err := esp.Wait(); err != nil {
		return nil, fmt.Errorf("espeak-ng %q: %w: %s", text, err, eerr.String())
	}
	b := out.Bytes()
	if len(b)%4 != 0 {
		return nil, fmt.Errorf("sox %q: %w", text, io.ErrUnexpectedEOF)
	}
	x := make([]float64, len(b)/4)
	for i := range x {
		x[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:])))
	}
	return x, nil
}

// shape trims raw to its audible edges, finds its speech runs and scales it
// so that its speech frames have targetDB RMS (lowering the gain if the peak
// would pass maxPeak).
func shape(raw []float64, targetDB float64) (*clip, error) {
	peak := 0.0
	for _, v := range raw {
		peak = max(peak, math.Abs(v))
	}
	if peak == 0 {
		return nil, fmt.Errorf("shape: silent utterance")
	}
	thr := peak * edgeRel
	first, last := -1, -1
	for i, v := range raw {
		if math.Abs(v) > thr {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	x := append([]float64(nil), raw[first:last+1]...)

	// 20 ms frame energies; a frame is a pause when it is pauseRelDB below
	// the loudest frame.
	nf := (len(x) + frameLen - 1) / frameLen
	rms := make([]float64, nf)
	loud := 0.0
	for f := range nf {
		a, b := f*frameLen, min((f+1)*frameLen, len(x))
		sum := 0.0
		for _, v := range x[a:b] {
			sum += v * v
		}
		rms[f] = math.Sqrt(sum / float64(b-a))
		loud = max(loud, rms[f])
	}
	quietThr := loud * math.Pow(10, pauseRelDB/20)
	quiet := func(f int) bool { return rms[f] < quietThr }

	// Split at runs of quiet frames longer than minPause, refining the
	// edges to the last/first sample above the trimming threshold.
	var runs [][2]int
	start := 0
	for f := 0; f < nf; {
		if !quiet(f) {
			f++
			continue
		}
		g := f
		for g < nf && quiet(g) {
			g++
		}
		if float64((g-f)*frameLen)/sampleRate > minPause && f > 0 && g < nf {
			end := f * frameLen
			for end > start && math.Abs(x[end-1]) <= thr {
				end--
			}
			next := g * frameLen
			for next < len(x) && math.Abs(x[next]) <= thr {
				next++
			}
			runs = append(runs, [2]int{start, end})
			start = next
		}
		f = g
	}
	runs = append(runs, [2]int{start, len(x)})

	sum, n := 0.0, 0
	for f := range nf {
		if quiet(f) {
			continue
		}
		a, b := f*frameLen, min((f+1)*frameLen, len(x))
		for _, v := range x[a:b] {
			sum += v * v
		}
		n += b - a
	}
	active := math.Sqrt(sum / float64(n))
	gain := math.Pow(10, targetDB/20) / active
	if peak*gain > maxPeak {
		gain = maxPeak / peak
	}
	for i := range x {
		x[i] *= gain
	}
	return &clip{
		samples: x,
		runs:    runs,
		levelDB: 20 * math.Log10(active*gain),
		peakDB:  20 * math.Log10(peak*gain),
	}, nil
}

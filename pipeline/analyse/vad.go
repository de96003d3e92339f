package analyse

import (
	"math"

	"github.com/callqa/callqa/models"
)

// vadParams are the voice-activity settings of an Analyzer, in frames.
type vadParams struct {
	lookahead int // frames a decision waits for
	blockLen  int // frames per noise-floor block
	nBlocks   int // completed blocks kept
	hangover  int
	minSeg    int
	mergeGap  int
	margin    float32
	hyst      float32
	absFloor  float32
	maxFloor  float32
	frameS    float64 // frame length in seconds
}

func newVADParams(cfg Config, frameS float64) vadParams {
	frames := func(s float64) int { return int(math.Round(s / frameS)) }
	// The floor window is split into blocks of about 0.5 s; the minimum is
	// taken over the completed blocks plus the block being filled, so the
	// window spans between nBlocks and nBlocks+1 blocks.
	blockLen := max(1, frames(0.5))
	window := max(1, frames(cfg.FloorWindowSeconds))
	nBlocks := max(1, (window+blockLen/2)/blockLen-1)
	return vadParams{
		lookahead: frames(cfg.LookaheadSeconds),
		blockLen:  blockLen,
		nBlocks:   nBlocks,
		hangover:  frames(cfg.HangoverSeconds),
		minSeg:    frames(cfg.MinSpeechSeconds),
		mergeGap:  frames(cfg.MergeGapSeconds),
		margin:    float32(cfg.MarginDB),
		hyst:      float32(cfg.HysteresisDB),
		absFloor:  float32(cfg.AbsFloorDBFS),
		maxFloor:  float32(cfg.MaxFloorDBFS),
		frameS:    frameS,
	}
}

// frameSpan is a run of frames [start, end).
type frameSpan struct{ start, end int64 }

// vad is one channel's streaming voice-activity detector. Its state is
// O(lookahead + nBlocks) apart from the segments it outputs.
type vad struct {
	p *vadParams

	// Frame energies (dB) waiting for their look-ahead, circular.
	ring        []float32
	head, count int
	pushed      int64 // frames pushed so far
	next        int64 // index of the next frame to decide

	// Minimum statistics: minima of completed blocks (circular) and of the
	// block being filled. +Inf when no frame counted.
	blockMin []float32
	bNext    int
	blocksLo float32 // min of blockMin, updated when a block completes
	curMin   float32
	curN     int

	inSpeech bool // raw decision with hysteresis
	hang     int  // hangover frames left
	active   bool // decision after hangover
	runStart int64

	pending    frameSpan // last run, waiting to be merged with the next
	hasPending bool

	segs []models.Span // in seconds, rounded to 0.01 s

	// Mean squares of the frames above the speech threshold, for the
	// speech level: one exponentiation per 20 ms frame, not per sample.
	speechSumSq  float64
	speechFrames int64
}

func (v *vad) init(p *vadParams) {
	v.p = p
	v.ring = make([]float32, p.lookahead+1)
	v.blockMin = make([]float32, p.nBlocks)
	for i := range v.blockMin {
		v.blockMin[i] = float32(math.Inf(1))
	}
	v.curMin = float32(math.Inf(1))
	v.blocksLo = v.curMin
}

// push adds the energy of the next frame and decides the frame that now
// has its full look-ahead.
func (v *vad) push(e float32) {
	if e >= digitalSilenceDBFS && e < v.curMin {
		v.curMin = e
	}
	v.curN++
	if v.curN == v.p.blockLen {
		v.blockMin[v.bNext] = v.curMin
		v.bNext = (v.bNext + 1) % len(v.blockMin)
		v.curMin = float32(math.Inf(1))
		v.curN = 0
		v.blocksLo = v.curMin
		for _, m := range v.blockMin {
			v.blocksLo = min(v.blocksLo, m)
		}
	}
	v.ring[(v.head+v.count)%len(v.ring)] = e
	v.count++
	v.pushed++
	if v.count == len(v.ring) {
		v.decideOldest()
	}
}

// floor is the noise floor: the minimum over the completed blocks and the
// block being filled; +Inf when no frame above digital silence was seen.
func (v *vad) floor() float32 { return min(v.blocksLo, v.curMin) }

func (v *vad) decideOldest() {
	e := v.ring[v.head]
	v.head = (v.head + 1) % len(v.ring)
	v.count--
	t := v.next
	v.next++

	thr := v.p.absFloor
	if f := v.floor(); !math.IsInf(float64(f), 1) {
		thr = max(thr, min(f, v.p.maxFloor)+v.p.margin)
	}
	if v.inSpeech {
		thr -= v.p.hyst
	}
	v.inSpeech = e > thr
	if v.inSpeech {
		v.speechSumSq += math.Pow(10, float64(e)/10)
		v.speechFrames++
	}

	active := v.inSpeech
	if active {
		v.hang = v.p.hangover
	} else if v.hang > 0 {
		v.hang--
		active = true
	}
	switch {
	case active && !v.active:
		v.runStart = t
	case !active && v.active:
		v.closeRun(frameSpan{v.runStart, t})
	}
	v.active = active
}

// closeRun merges a finished run into the pending segment or makes it the
// new pending one.
func (v *vad) closeRun(r frameSpan) {
	if v.hasPending && r.start-v.pending.end < int64(v.p.mergeGap) {
		v.pending.end = r.end
		return
	}
	v.flushPending()
	v.pending, v.hasPending = r, true
}

func (v *vad) flushPending() {
	if v.hasPending && v.pending.end-v.pending.start >= int64(v.p.minSeg) {
		v.segs = append(v.segs, models.Span{
			round2(float64(v.pending.start) * v.p.frameS),
			round2(float64(v.pending.end) * v.p.frameS),
		})
	}
	v.hasPending = false
}

// finish decides the frames still waiting and returns the segments,
// clipped to the recording's duration dur (the last frame may be partial).
func (v *vad) finish(dur float64) []models.Span {
	for v.count > 0 {
		v.decideOldest()
	}
	if v.active {
		v.closeRun(frameSpan{v.runStart, v.next})
		v.active = false
	}
	v.flushPending()
	segs := v.segs
	v.segs = nil
	if n := len(segs); n > 0 {
		segs[n-1][1] = min(segs[n-1][1], round2(dur))
		if segs[n-1][1] <= segs[n-1][0] {
			segs = segs[:n-1]
		}
	}
	return segs
}

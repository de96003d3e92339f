package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/pipeline/decode"
)

// committedDir holds the generated samples, relative to this package.
const committedDir = "../" + dayDir

// decodeMuLaw and decodeALaw are the G.711 decoders of the reference code,
// used to check the encoders and to read the committed samples back.
func decodeMuLaw(u byte) int16 {
	u = ^u
	t := (int32(u&0x0F) << 3) + 0x84
	t <<= (u & 0x70) >> 4
	if u&0x80 != 0 {
		return int16(0x84 - t)
	}
	return int16(t - 0x84)
}

func decodeALaw(a byte) int16 {
	a ^= 0x55
	t := int32(a&0x0F) << 4
	switch seg := (a & 0x70) >> 4; seg {
	case 0:
		t += 8
	case 1:
		t += 0x108
	default:
		t += 0x108
		t <<= seg - 1
	}
	if a&0x80 != 0 {
		return int16(t)
	}
	return int16(-t)
}

func TestG711(t *testing.T) {
	t.Parallel()
	codecs := []struct {
		name   string
		encode func(int16) byte
		decode func(byte) int16
		zero   byte // code of a 0 sample
		// maxErr bounds the quantisation error of a sample x.
		maxErr func(x int32) int32
	}{
		{"mulaw", decode.MuLawEncode, decodeMuLaw, 0xFF, func(x int32) int32 { return abs32(x)/16 + 8 }},
		{"alaw", decode.ALawEncode, decodeALaw, 0xD5, func(x int32) int32 { return abs32(x)/16 + 16 }},
	}
	for _, c := range codecs {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := c.encode(0); got != c.zero {
				t.Errorf("encode(0) = %#x, want %#x", got, c.zero)
			}
			// Every code decodes to a value that encodes back to a code
			// decoding to the same value.
			for code := range 256 {
				v := c.decode(byte(code))
				if back := c.decode(c.encode(v)); back != v {
					t.Errorf("code %#x: %d re-encodes to %d", code, v, back)
				}
			}
			// Encoding is monotonic and close for every 16-bit sample.
			prev := int16(math.MinInt16)
			for x := int32(math.MinInt16); x <= math.MaxInt16; x++ {
				d := c.decode(c.encode(int16(x)))
				if d < prev {
					t.Fatalf("not monotonic at %d: %d after %d", x, d, prev)
				}
				prev = d
				if e := abs32(int32(d) - x); e > c.maxErr(x) {
					t.Fatalf("sample %d decodes to %d (error %d)", x, d, e)
				}
			}
		})
	}
}

func abs32(x int32) int32 {
	if x < 0 {
		return -x
	}
	return x
}

// tone returns n samples of a 440 Hz sine of amplitude a.
func tone(n int, a float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = a * math.Sin(2*math.Pi*440*float64(i)/sampleRate)
	}
	return x
}

func TestShape(t *testing.T) {
	t.Parallel()
	sec := func(s float64) int { return int(s * sampleRate) }
	var raw []float64
	raw = append(raw, make([]float64, sec(0.3))...) // leading silence: trimmed
	raw = append(raw, tone(sec(1), 0.5)...)
	raw = append(raw, make([]float64, sec(0.2))...) // short pause: kept
	raw = append(raw, tone(sec(1), 0.5)...)
	raw = append(raw, make([]float64, sec(0.5))...) // long pause: split
	raw = append(raw, tone(sec(1), 0.5)...)
	raw = append(raw, make([]float64, sec(0.4))...) // trailing silence: trimmed

	c, err := shape(raw, -21)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(c.samples), sec(3.7); abs32(int32(got-want)) > 2 {
		t.Errorf("trimmed length %d, want about %d", got, want)
	}
	if len(c.runs) != 2 {
		t.Fatalf("runs %v, want 2", c.runs)
	}
	// The split point is the long pause, to within a sample or two.
	wantEnd, wantStart := sec(2.2), sec(2.7)
	if abs32(int32(c.runs[0][1]-wantEnd)) > 2 || abs32(int32(c.runs[1][0]-wantStart)) > 2 {
		t.Errorf("runs %v, want a split at [%d, %d)", c.runs, wantEnd, wantStart)
	}
	if math.Abs(c.levelDB-(-21)) > 0.1 {
		t.Errorf("level %.2f dBFS, want -21", c.levelDB)
	}

	// A loud target is held back at maxPeak.
	c, err = shape(tone(sec(1), 0.5), -1)
	if err != nil {
		t.Fatal(err)
	}
	if peak := 20 * math.Log10(maxPeak); math.Abs(c.peakDB-peak) > 0.01 {
		t.Errorf("peak %.2f dBFS, want %.2f", c.peakDB, peak)
	}
	if _, err := shape(make([]float64, 100), -21); err == nil {
		t.Error("shape of silence: no error")
	}
}

func TestDerive(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		agent, cust []models.Span
		holds       []models.Span
		silences    []models.Span
		overtalks   []models.Overtalk
	}{
		{"turns", []models.Span{{1, 3}, {5, 6}}, []models.Span{{3.5, 4.5}}, nil, []models.Span{}, []models.Overtalk{}},
		{"dead air", []models.Span{{1, 3}, {15, 16}}, []models.Span{{3.5, 4}}, nil, []models.Span{{4, 15}}, []models.Overtalk{}},
		{"agent cuts in", []models.Span{{1, 3}, {9, 12}}, []models.Span{{3.5, 10.5}}, nil, []models.Span{}, []models.Overtalk{{Start: 9, End: 10.5, By: "agent"}}},
		{"customer cuts in", []models.Span{{1, 6}}, []models.Span{{4.5, 8}}, nil, []models.Span{}, []models.Overtalk{{Start: 4.5, End: 6, By: "customer"}}},
		{"short overlap ignored", []models.Span{{1, 6}}, []models.Span{{5.5, 8}}, nil, []models.Span{}, []models.Overtalk{}},
		{"silence inside a long turn", []models.Span{{1, 10}, {12, 13}}, []models.Span{{2, 2.8}}, nil, []models.Span{{10, 12}}, []models.Overtalk{}},
		{"a hold is not a silence", []models.Span{{1, 3}, {75, 80}}, []models.Span{{3.6, 5}}, []models.Span{{5.8, 73}}, []models.Span{{73, 75}}, []models.Overtalk{}},
		{"silence left on both sides of a hold", []models.Span{{1, 3}, {30, 31}}, nil, []models.Span{{10, 20}}, []models.Span{{3, 10}, {20, 30}}, []models.Overtalk{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, o := derive(tt.agent, tt.cust, tt.holds)
			if !reflect.DeepEqual(s, tt.silences) || !reflect.DeepEqual(o, tt.overtalks) {
				t.Errorf("derive = %v, %v; want %v, %v", s, o, tt.silences, tt.overtalks)
			}
		})
	}
}

func TestCheckHolds(t *testing.T) {
	t.Parallel()
	wait := models.Utterance{Speaker: models.SpeakerAgent, Start: 10, End: 13, Text: "好的，请您稍等，我帮您查一下。"}
	other := models.Utterance{Speaker: models.SpeakerAgent, Start: 10, End: 13, Text: "好的，我帮您查一下。"}
	tests := []struct {
		name  string
		utts  []models.Utterance
		holds []models.Span
		trips bool
		clean bool // no figure too close to a limit
	}{
		{"no hold", []models.Utterance{other}, nil, false, true},
		{"announced, 45 s", []models.Utterance{wait}, []models.Span{{14, 59}}, false, true},
		{"announced, 65 s", []models.Utterance{wait}, []models.Span{{14, 79}}, true, true},
		{"announced, 62 s: too close", []models.Utterance{wait}, []models.Span{{14, 76}}, true, false},
		{"announced, 58 s: too close", []models.Utterance{wait}, []models.Span{{14, 72}}, false, false},
		{"not announced", []models.Utterance{other}, []models.Span{{14, 44}}, true, true},
		{"announced by pinyin (ASR: 请您稍登)", []models.Utterance{{Speaker: models.SpeakerAgent, Start: 10, End: 13, Text: "请您稍登"}}, []models.Span{{14, 44}}, false, true},
		{"announced 18 s before: too close", []models.Utterance{wait}, []models.Span{{31, 61}}, false, false},
		{"announced long before", []models.Utterance{wait}, []models.Span{{40, 70}}, true, true},
		{"three announced holds, 165 s in all", []models.Utterance{wait, {Speaker: models.SpeakerAgent, Start: 80, End: 83, Text: "请稍等"}, {Speaker: models.SpeakerAgent, Start: 150, End: 153, Text: "请稍等"}},
			[]models.Span{{14, 69}, {84, 139}, {154, 209}}, false, true},
		{"four announced holds, 220 s in all", []models.Utterance{wait, {Speaker: models.SpeakerAgent, Start: 80, End: 83, Text: "请稍等"}, {Speaker: models.SpeakerAgent, Start: 150, End: 153, Text: "请稍等"}, {Speaker: models.SpeakerAgent, Start: 220, End: 223, Text: "请稍等"}},
			[]models.Span{{14, 69}, {84, 139}, {154, 209}, {224, 279}}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := &builtCall{transcript: models.Transcript{Utterances: tt.utts}}
			var problems []string
			trips := checkHolds(b, tt.holds, defaultWords().announce, func(f string, a ...any) { problems = append(problems, fmt.Sprintf(f, a...)) })
			if trips != tt.trips || (len(problems) == 0) != tt.clean {
				t.Errorf("checkHolds = %v, problems %q; want %v, clean %v", trips, problems, tt.trips, tt.clean)
			}
		})
	}
}

func TestMentions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text  string
		words []string
		exact bool
		want  bool
	}{
		{"您好，上海12333", []string{"您好"}, true, true},
		{"您号，上海12333", []string{"您好"}, true, false},
		{"您号，上海12333", []string{"您好"}, false, true},
		{"公号1157", []string{"工号"}, false, true},
		{"还没办好", []string{"没办法"}, false, false},
		{"还要打12345", []string{"12345"}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			t.Parallel()
			got := containsExact(tt.text, tt.words)
			if !tt.exact {
				got = mentions(tt.text, tt.words)
			}
			if got != tt.want {
				t.Errorf("match(%q, %v) = %v, want %v", tt.text, tt.words, got, tt.want)
			}
		})
	}
}

// wavFile is what the test reads back from a committed recording.
type wavFile struct {
	tag, channels, bits int
	rate                int
	frames              int
	chans               [][]float64
}

// readWAV reads a plain WAVE file (PCM16 or G.711) into float channels.
func readWAV(path string) (*wavFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, errors.New("not a RIFF/WAVE file")
	}
	le := binary.LittleEndian
	if int(le.Uint32(b[4:]))+8 != len(b) {
		return nil, fmt.Errorf("RIFF size %d, file %d bytes", le.Uint32(b[4:]), len(b))
	}
	w := &wavFile{}
	var data []byte
	for p := 12; p+8 <= len(b); {
		id, size := string(b[p:p+4]), int(le.Uint32(b[p+4:]))
		if p+8+size > len(b) {
			return nil, fmt.Errorf("chunk %q overruns the file", id)
		}
		body := b[p+8 : p+8+size]
		switch id {
		case "fmt ":
			w.tag = int(le.Uint16(body))
			w.channels = int(le.Uint16(body[2:]))
			w.rate = int(le.Uint32(body[4:]))
			w.bits = int(le.Uint16(body[14:]))
		case "data":
			data = body
		}
		p += 8 + size + size%2
	}
	if w.channels == 0 || data == nil {
		return nil, errors.New("no fmt or data chunk")
	}
	bps := w.bits / 8
	w.frames = len(data) / (bps * w.channels)
	w.chans = make([][]float64, w.channels)
	for ch := range w.chans {
		w.chans[ch] = make([]float64, w.frames)
	}
	for i := range w.frames {
		for ch := range w.channels {
			off := (i*w.channels + ch) * bps
			var v int16
			switch {
			case w.tag == 1 && w.bits == 16:
				v = int16(le.Uint16(data[off:]))
			case w.tag == wavTagMuLaw && w.bits == 8:
				v = decodeMuLaw(data[off])
			case w.tag == wavTagALaw && w.bits == 8:
				v = decodeALaw(data[off])
			default:
				return nil, fmt.Errorf("format tag %d with %d bits", w.tag, w.bits)
			}
			w.chans[ch][i] = float64(v) / 32768
		}
	}
	return w, nil
}

// readJSON decodes a committed sidecar strictly.
func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestCommittedSamples reads every committed call back and checks that its
// sidecars parse, agree with the recording and with each other, and that
// the call still shows its scenario. It needs no espeak-ng.
func TestCommittedSamples(t *testing.T) {
	t.Parallel()
	specs := calls()
	wavs, err := filepath.Glob(filepath.Join(filepath.FromSlash(committedDir), "*.wav"))
	if err != nil {
		t.Fatal(err)
	}
	if len(wavs) != len(specs) {
		t.Fatalf("%d recordings in %s, want %d", len(wavs), committedDir, len(specs))
	}
	for _, spec := range specs {
		id := spec.meta.CallID
		t.Run(id, func(t *testing.T) {
			t.Parallel()
			base := filepath.Join(filepath.FromSlash(committedDir), id)
			w, err := readWAV(base + ".wav")
			if err != nil {
				t.Fatalf("%s.wav: %v", id, err)
			}
			wantTag := map[string]int{formatPCM16: 1, formatMuLaw: wavTagMuLaw, formatALaw: wavTagALaw}[spec.format]
			if w.tag != wantTag || w.channels != 2 || w.rate != sampleRate {
				t.Errorf("format tag %d, %d channels, %d Hz; want tag %d, 2 channels, %d Hz", w.tag, w.channels, w.rate, wantTag, sampleRate)
			}
			dur := float64(w.frames) / float64(w.rate)

			var meta models.CallMeta
			readJSON(t, base+models.SuffixMeta, &meta)
			if meta.CallID != id || meta.StartedAt == nil || !meta.StartedAt.Equal(*spec.meta.StartedAt) {
				t.Errorf("meta %+v, want call %s started at %v", meta, id, spec.meta.StartedAt)
			}
			if _, off := meta.StartedAt.Zone(); off != 8*3600 || meta.StartedAt.Format("2006-01-02") != "2026-11-25" {
				t.Errorf("started_at %v is not on 2026-11-25 in +08:00", meta.StartedAt)
			}
			if meta.AgentID == "" || meta.AgentName == "" || meta.Team == "" || meta.Queue == "" || meta.Direction != "inbound" {
				t.Errorf("meta %+v has empty fields", meta)
			}
			// The sidecar is what the generator writes for the spec (the
			// survey answer included), byte for byte.
			want, err := json.MarshalIndent(spec.meta, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			if got, err := os.ReadFile(base + models.SuffixMeta); err != nil || string(got) != string(want)+"\n" {
				t.Errorf("%s%s differs from the spec's meta:\n%s\nwant\n%s", id, models.SuffixMeta, got, want)
			}

			var tr models.Transcript
			readJSON(t, base+models.SuffixTranscript, &tr)
			var truth Truth
			readJSON(t, base+suffixTruth, &truth)

			checkTranscript(t, tr, dur)
			checkTruth(t, tr, truth, dur)
			checkEvents(t, w, truth, dur)

			// The call, read back from the files, still trips exactly the
			// rules its scenario claims, away from every threshold.
			b := &builtCall{spec: spec, chans: w.chans, transcript: tr, truth: truth, durS: dur, agentPeakDB: math.Inf(-1)}
			chars, talk := 0, 0.0
			for _, u := range utterancesOf(tr, models.SpeakerAgent) {
				chars += hanCount(u.Text)
				talk += u.End - u.Start
			}
			b.agentCPM = float64(chars) / talk * 60
			agent := w.chans[models.DefaultChannels.Agent]
			b.agentSpeechDB = spanRMS(agent, truth.Agent)
			b.agentChanDB = spanRMS(agent, []models.Span{{0, dur}})
			for _, v := range agent {
				b.agentPeakDB = max(b.agentPeakDB, 20*math.Log10(math.Abs(v)+1e-12))
			}
			if _, _, err := evaluate(b); err != nil {
				t.Error(err)
			}
		})
	}
}

// checkTranscript checks the utterances are well formed and inside the call.
func checkTranscript(t *testing.T, tr models.Transcript, dur float64) {
	t.Helper()
	if len(tr.Utterances) == 0 {
		t.Fatal("empty transcript")
	}
	for i, u := range tr.Utterances {
		if u.Speaker != models.SpeakerAgent && u.Speaker != models.SpeakerCustomer {
			t.Errorf("utterance %d: speaker %q", i, u.Speaker)
		}
		if !(0 <= u.Start && u.Start < u.End && u.End <= dur) {
			t.Errorf("utterance %d: [%v, %v] not inside [0, %v]", i, u.Start, u.End, dur)
		}
		if strings.TrimSpace(u.Text) == "" || strings.Contains(u.Text, "<") {
			t.Errorf("utterance %d: text %q", i, u.Text)
		}
		if i > 0 && u.Start < tr.Utterances[i-1].Start {
			t.Errorf("utterance %d starts before the one before it", i)
		}
	}
}

// checkTruth checks the truth spans are sorted, disjoint, inside the call and
// inside the speaker's utterances, that every utterance is covered from edge
// to edge, and that the silences and overtalks follow from the spans.
func checkTruth(t *testing.T, tr models.Transcript, truth Truth, dur float64) {
	t.Helper()
	for _, side := range []struct {
		who   string
		spans []models.Span
	}{{models.SpeakerAgent, truth.Agent}, {models.SpeakerCustomer, truth.Customer}} {
		utts := utterancesOf(tr, side.who)
		if len(side.spans) < len(utts) {
			t.Errorf("%s: %d spans for %d utterances", side.who, len(side.spans), len(utts))
		}
		for i, s := range side.spans {
			if !(0 <= s[0] && s[0] < s[1] && s[1] <= dur) {
				t.Errorf("%s span %v not inside [0, %v]", side.who, s, dur)
			}
			if i > 0 && s[0] < side.spans[i-1][1] {
				t.Errorf("%s span %v overlaps or precedes %v", side.who, s, side.spans[i-1])
			}
			if !slices.ContainsFunc(utts, func(u models.Utterance) bool { return u.Start <= s[0] && s[1] <= u.End }) {
				t.Errorf("%s span %v is in no utterance", side.who, s)
			}
		}
		for _, u := range utts {
			starts := slices.ContainsFunc(side.spans, func(s models.Span) bool { return s[0] == u.Start })
			ends := slices.ContainsFunc(side.spans, func(s models.Span) bool { return s[1] == u.End })
			if !starts || !ends {
				t.Errorf("%s utterance [%v, %v] is not covered edge to edge", side.who, u.Start, u.End)
			}
		}
	}
	s, o := derive(truth.Agent, truth.Customer, holds(truth.Events))
	if !reflect.DeepEqual(s, truth.Silences) || !reflect.DeepEqual(o, truth.Overtalks) {
		t.Errorf("silences/overtalks %v, %v; derived %v, %v", truth.Silences, truth.Overtalks, s, o)
	}
}

// checkEvents checks the non-speech events of a call's truth: a known type
// on the channel that plays it, sorted, inside the call, clear of that
// side's speech, and really in the recording (hold music at about holdDB,
// key tones far above the line hiss).
func checkEvents(t *testing.T, w *wavFile, truth Truth, dur float64) {
	t.Helper()
	for i, e := range truth.Events {
		side, spans := models.SpeakerAgent, truth.Agent
		ch := models.DefaultChannels.Agent
		if e.Type == models.EventDTMF {
			side, spans = models.SpeakerCustomer, truth.Customer
			ch = models.DefaultChannels.Customer
		}
		switch {
		case e.Type != models.EventHoldMusic && e.Type != models.EventDTMF:
			t.Errorf("event %d: type %q", i, e.Type)
		case e.Speaker != side:
			t.Errorf("event %d: %s on the %s channel, want %s", i, e.Type, e.Speaker, side)
		case (e.Type == models.EventDTMF) != (e.Presses > 0):
			t.Errorf("event %d: %s with %d presses", i, e.Type, e.Presses)
		}
		if !(0 <= e.Start && e.Start < e.End && e.End <= dur) {
			t.Errorf("event %d: [%v, %v] not inside [0, %v]", i, e.Start, e.End, dur)
		}
		if i > 0 && e.Start < truth.Events[i-1].End {
			t.Errorf("event %d overlaps or precedes the one before it", i)
		}
		for _, s := range spans {
			if s[0] < e.End && e.Start < s[1] {
				t.Errorf("event %d [%v, %v] overlaps %s speech %v", i, e.Start, e.End, side, s)
			}
		}
		level := spanRMS(w.chans[ch], []models.Span{{e.Start, e.End}})
		switch {
		case e.Type == models.EventHoldMusic && math.Abs(level-holdDB) > 1:
			t.Errorf("event %d: hold music at %.1f dBFS, want about %.0f", i, level, holdDB)
		case e.Type == models.EventDTMF && level < -25:
			t.Errorf("event %d: key presses at %.1f dBFS", i, level)
		}
	}
}

package batch

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/callqa/callqa/models"
)

// genCall describes a generated call.
type genCall struct {
	name    string // file name without extension
	seconds int    // duration
	polite  bool   // the agent greets, gives the job number and says goodbye
	agent   string // agent id
	team    string // team
	broken  string // "", or how the recording is broken (see brokenWAV)
	badMeta bool   // the meta sidecar is not JSON
	date    string // YYYY-MM-DD of started_at
}

// writeFolder writes calls under root/2026/11/25 (or their date's folder)
// and returns the recordings' keys.
func writeFolder(t testing.TB, root string, calls []genCall) []string {
	t.Helper()
	var keys []string
	for _, c := range calls {
		date := c.date
		if date == "" {
			date = "2026-11-25"
		}
		d, _ := time.Parse(time.DateOnly, date)
		rel := d.Format("2006/01/02") + "/" + c.name + ".wav"
		dir := filepath.Join(root, filepath.Dir(filepath.FromSlash(rel)))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		var wav []byte
		if c.broken != "" {
			wav = brokenWAV(c.broken)
		} else {
			wav = speechWAV(c.seconds)
		}
		base := filepath.Join(dir, c.name)
		write := func(p string, b []byte) {
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		write(base+".wav", wav)
		started := time.Date(d.Year(), d.Month(), d.Day(), 9, 30, 0, 0, time.FixedZone("CST", 8*3600))
		meta, _ := json.Marshal(models.CallMeta{CallID: c.name, AgentID: c.agent, AgentName: "坐席" + c.agent, Team: c.team, Queue: "养老保险", StartedAt: &started})
		if c.badMeta {
			meta = []byte("{not json")
		}
		write(base+".meta.json", meta)
		tr, _ := json.Marshal(transcriptFor(c))
		write(base+".transcript.json", tr)
		keys = append(keys, rel)
	}
	return keys
}

// transcriptFor follows the turns of speechWAV: the agent speaks in the
// even 5-second turns, the customer in the odd ones, 4 s each.
func transcriptFor(c genCall) models.Transcript {
	var us []models.Utterance
	turns := c.seconds / 5
	for i := range turns {
		start, end := float64(5*i)+0.2, float64(5*i)+3.8
		u := models.Utterance{Speaker: models.SpeakerCustomer, Start: start, End: end, Text: "我想问一下养老金的事情"}
		if i%2 == 0 {
			u.Speaker, u.Text = models.SpeakerAgent, "好的我帮您查一下"
			switch {
			case i == 0 && c.polite:
				u.Text = "您好，12333，工号1024，很高兴为您服务"
			case i == 0:
				u.Text = "喂，什么事"
			case i >= turns-2 && c.polite:
				u.Text = "感谢您的来电，再见"
			}
		}
		us = append(us, u)
	}
	return models.Transcript{Utterances: us}
}

// speechWAV is a stereo 8 kHz 16-bit PCM recording: agent (channel 0) and
// customer (channel 1) take turns of 4 s of voiced, syllable-modulated
// harmonics separated by 1 s pauses, over faint hiss.
func speechWAV(seconds int) []byte {
	const rate = 8000
	frames := seconds * rate
	b := wavHeader(1, 2, rate, 16, frames*4)
	rng := uint32(7)
	hiss := func() float64 {
		rng = rng*1664525 + 1013904223
		return (float64(rng>>16)/65536 - 0.5) * 60
	}
	for i := range frames {
		t := float64(i) / rate
		turn := int(t) / 5
		var v float64
		if math.Mod(t, 5) >= 0.2 && math.Mod(t, 5) < 3.8 {
			f0 := 140.0 + 60*float64(turn%2)
			v = 7000 * (0.6 + 0.4*math.Sin(2*math.Pi*4*t)) * (math.Sin(2*math.Pi*f0*t) + 0.5*math.Sin(2*math.Pi*2*f0*t) + 0.25*math.Sin(2*math.Pi*3*f0*t))
		}
		a, c := hiss(), hiss()
		if turn%2 == 0 {
			a += v
		} else {
			c += v
		}
		b = binary.LittleEndian.AppendUint16(b, uint16(int16(a)))
		b = binary.LittleEndian.AppendUint16(b, uint16(int16(c)))
	}
	return b
}

// wavHeader is a canonical 44-byte header.
func wavHeader(format, channels, rate, bits, dataBytes int) []byte {
	h := []byte("RIFF")
	h = binary.LittleEndian.AppendUint32(h, uint32(36+dataBytes))
	h = append(h, "WAVEfmt "...)
	h = binary.LittleEndian.AppendUint32(h, 16)
	h = binary.LittleEndian.AppendUint16(h, uint16(format))
	h = binary.LittleEndian.AppendUint16(h, uint16(channels))
	h = binary.LittleEndian.AppendUint32(h, uint32(rate))
	h = binary.LittleEndian.AppendUint32(h, uint32(rate*channels*bits/8))
	h = binary.LittleEndian.AppendUint16(h, uint16(channels*bits/8))
	h = binary.LittleEndian.AppendUint16(h, uint16(bits))
	h = append(h, "data"...)
	return binary.LittleEndian.AppendUint32(h, uint32(dataBytes))
}

// brokenWAV returns a recording broken in the given way.
func brokenWAV(how string) []byte {
	switch how {
	case "empty":
		return nil
	case "not-riff":
		return []byte("ID3\x03\x00 this is an mp3, not a wav file........................")
	case "truncated-header":
		return speechWAV(1)[:20]
	case "unsupported-codec": // MPEG layer 3 in a WAV container
		h := wavHeader(0x55, 1, 8000, 0, 1000)
		return append(h, make([]byte, 1000)...)
	}
	panic(fmt.Sprintf("brokenWAV(%q)", how))
}

// standardFolder is 16 calls: 10 valid (7 polite, 3 not), 4 broken
// recordings and 1 broken meta sidecar, plus one on another day.
func standardFolder() []genCall {
	var cs []genCall
	for i := range 10 {
		cs = append(cs, genCall{name: fmt.Sprintf("V%02d", i), seconds: 30, polite: i < 7,
			agent: []string{"A1", "A2", "B1"}[i%3], team: []string{"一组", "一组", "二组"}[i%3]})
	}
	for _, how := range []string{"empty", "not-riff", "truncated-header", "unsupported-codec"} {
		cs = append(cs, genCall{name: "X-" + how, broken: how, agent: "B1", team: "二组"})
	}
	cs = append(cs, genCall{name: "M-badmeta", seconds: 20, polite: true, badMeta: true})
	cs = append(cs, genCall{name: "D-other-day", seconds: 20, polite: true, agent: "A1", team: "一组", date: "2026-11-24"})
	return cs
}

package store

import (
	"bytes"
	"compress/flate"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/callqa/callqa/models"
)

// A stored result is three parts, none of them repeating another:
//
//   - the columns of its results row (identity, status, scorecard,
//     analysis, agent, team, queue, score, passed, review...), which
//     reports and listings filter and sort on;
//   - its findings rows (rule, time, speaker, evidence, deduction...);
//   - a document: what is left (the rest of the metadata, the audio
//     format, the metrics with their speech segments, the structured
//     evidence of each finding, the rules not evaluated, the transcript
//     when it is not kept beside the recording), as JSON compressed with
//     DEFLATE behind a one-byte format version.
//
// Left out altogether, because they are read again beside the recording
// when a reviewer opens the call (pipeline.Restore): the level envelope,
// recomputed from the audio, and a transcript read from (or written by
// the ASR adapter to) the recording's sidecars, of which the document
// keeps the SHA-256 so that a sidecar changed since the inspection is
// noticed. A three-minute call then takes about 1 KB (README).

// docV1 is the first version of the document format.
const docV1 byte = 1

// storedDoc is the JSON of a document. Its fields are the parts of a
// models.Result that have no column or findings row.
type storedDoc struct {
	Meta         models.CallMeta       `json:"m"`
	Audio        *models.AudioInfo     `json:"a,omitempty"`
	Metrics      *models.Metrics       `json:"x,omitempty"`
	Findings     []findingExtra        `json:"f,omitempty"`
	NotEvaluated []models.NotEvaluated `json:"n,omitempty"`
	Transcript   *models.Transcript    `json:"t,omitempty"`
	// TranscriptSHA256 stands for a transcript kept beside the recording.
	TranscriptSHA256 string             `json:"ts,omitempty"`
	Coverage         map[string]float64 `json:"c,omitempty"`
	Warnings         []string           `json:"w,omitempty"`
	// Envelope is true when the result had a level envelope (left out).
	Envelope bool `json:"e,omitempty"`
}

// findingExtra is the structured evidence of a finding, by its position:
// the findings rows hold the rest.
type findingExtra struct {
	Utterance *int           `json:"u,omitempty"`
	Matches   []models.Match `json:"mt,omitempty"`
	Missing   []string       `json:"ms,omitempty"`
	Value     *float64       `json:"v,omitempty"`
	Unit      string         `json:"un,omitempty"`
	Limit     *float64       `json:"l,omitempty"`
}

// flaters recycles DEFLATE writers: a new one allocates about 1 MB. The
// default level: on documents this small, 9 gives the same bytes for more
// time, 1 a few percent more bytes.
var flaters = sync.Pool{New: func() any {
	w, _ := flate.NewWriter(nil, flate.DefaultCompression)
	return w
}}

// encodeDoc returns the document of r.
func encodeDoc(r *models.Result) ([]byte, error) {
	d := storedDoc{
		Meta: r.Meta, Audio: r.Audio, Metrics: r.Metrics, NotEvaluated: r.NotEvaluated,
		Coverage: r.TranscriptCoverage, Warnings: r.Warnings, Envelope: r.Envelope != nil,
	}
	// In columns. (The metadata's call_id stays: it may differ from the
	// result's, or be absent.)
	d.Meta.AgentID, d.Meta.AgentName, d.Meta.Team, d.Meta.Queue = "", "", "", ""
	if r.Transcript != nil {
		if r.Transcript.Sidecar {
			sum, err := models.TranscriptSHA256(r.Transcript)
			if err != nil {
				return nil, err
			}
			d.TranscriptSHA256 = sum
		} else {
			d.Transcript = r.Transcript
		}
	}
	extras := false
	d.Findings = make([]findingExtra, len(r.Findings))
	for i, f := range r.Findings {
		d.Findings[i] = findingExtra{Utterance: f.Utterance, Matches: f.Matches, Missing: f.Missing,
			Value: f.Value, Unit: f.Unit, Limit: f.Limit}
		extras = extras || d.Findings[i].Utterance != nil || len(f.Matches) > 0 || len(f.Missing) > 0 ||
			f.Value != nil || f.Unit != "" || f.Limit != nil
	}
	if !extras {
		d.Findings = nil
	}
	js, err := json.Marshal(&d)
	if err != nil {
		return nil, fmt.Errorf("encode result document: %w", err)
	}
	var buf bytes.Buffer
	buf.Grow(len(js)/2 + 16)
	buf.WriteByte(docV1)
	w := flaters.Get().(*flate.Writer)
	defer flaters.Put(w)
	w.Reset(&buf)
	if _, err := w.Write(js); err != nil {
		return nil, fmt.Errorf("encode result document: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("encode result document: %w", err)
	}
	return buf.Bytes(), nil
}

// decodeDoc fills r, whose columns and findings rows are already read,
// from its document.
func decodeDoc(doc []byte, r *models.Result) error {
	if len(doc) == 0 {
		return errors.New("decode result document: empty")
	}
	if doc[0] != docV1 {
		return fmt.Errorf("decode result document: unknown format version %d", doc[0])
	}
	js, err := io.ReadAll(flate.NewReader(bytes.NewReader(doc[1:])))
	if err != nil {
		return fmt.Errorf("decode result document: %w", err)
	}
	var d storedDoc
	if err := json.Unmarshal(js, &d); err != nil {
		return fmt.Errorf("decode result document: %w", err)
	}
	meta := d.Meta
	meta.AgentID, meta.AgentName, meta.Team, meta.Queue = r.Meta.AgentID, r.Meta.AgentName, r.Meta.Team, r.Meta.Queue
	r.Meta = meta
	r.Audio, r.Metrics, r.NotEvaluated = d.Audio, d.Metrics, d.NotEvaluated
	r.TranscriptCoverage, r.Warnings, r.Transcript = d.Coverage, d.Warnings, d.Transcript
	if d.Envelope || d.TranscriptSHA256 != "" {
		r.Omitted = &models.Omitted{Envelope: d.Envelope, TranscriptSHA256: d.TranscriptSHA256}
	}
	if len(d.Findings) > 0 && len(d.Findings) != len(r.Findings) {
		return fmt.Errorf("decode result document: %d findings' evidence for %d findings", len(d.Findings), len(r.Findings))
	}
	for i, x := range d.Findings {
		f := &r.Findings[i]
		f.Utterance, f.Matches, f.Missing, f.Value, f.Unit, f.Limit = x.Utterance, x.Matches, x.Missing, x.Value, x.Unit, x.Limit
	}
	return nil
}

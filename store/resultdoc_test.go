package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/callqa/callqa/internal/testsvc"
	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/pipeline"
	"github.com/callqa/callqa/pipeline/decode"
	"github.com/callqa/callqa/scorecards"
	"github.com/callqa/callqa/source"
)

const samplesDay = "../samples/2026/11/25"

// inspectSamples inspects every committed sample call with the built-in
// scorecard.
func inspectSamples(t *testing.T) ([]*models.Result, *source.Local) {
	t.Helper()
	src, err := source.NewLocal("../samples")
	if err != nil {
		t.Fatal(err)
	}
	eng := engine(t)
	wavs, _ := filepath.Glob(filepath.Join(samplesDay, "*.wav"))
	if len(wavs) < 7 {
		t.Fatalf("%d sample calls", len(wavs))
	}
	var out []*models.Result
	for _, w := range wavs {
		r, err := eng.InspectKey(context.Background(), src, "2026/11/25/"+filepath.Base(w))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out, src
}

func engine(t *testing.T) *pipeline.Engine {
	t.Helper()
	sc, err := scorecards.Default()
	if err != nil {
		t.Fatal(err)
	}
	eng, err := pipeline.NewEngine(sc, pipeline.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

func jsonOf(t *testing.T, r *models.Result) string {
	t.Helper()
	b, err := json.MarshalIndent(r, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestResultRoundTrip saves real inspections (and an unprocessable call,
// and a transcript that is not kept beside its recording) and reads them
// back on both backends: what the store keeps equals the inspection's
// JSON without the envelope and the sidecar transcript, which Omitted
// names; pipeline.Restore then gives back the inspection's JSON exactly.
func TestResultRoundTrip(t *testing.T) {
	t.Parallel()
	results, src := inspectSamples(t)
	asr := *results[0]
	asr.Recording, asr.CallID, asr.Meta.CallID = "2026/11/25/asr-unwritten.wav", "asr-unwritten", "asr-unwritten"
	tr := *asr.Transcript
	tr.Sidecar = false // an ASR transcript the source could not store
	asr.Transcript = &tr
	results = append(results, &asr, testsvc.Unprocessable("U1", "2026-11-25"), everyField())
	ctx := context.Background()
	for _, be := range testsvc.Backends(t) {
		t.Run(be.Name, func(t *testing.T) {
			st := openURL(t, be.Fresh(t))
			if err := st.SaveResults(ctx, "", results); err != nil {
				t.Fatal(err)
			}
			for _, want := range results {
				got, err := st.GetResult(ctx, want.Recording, want.Scorecard)
				if err != nil {
					t.Fatal(err)
				}
				stored := *want
				stored.Envelope = nil
				var omitted *models.Omitted
				if want.Envelope != nil {
					omitted = &models.Omitted{Envelope: true}
				}
				if want.Transcript != nil && want.Transcript.Sidecar {
					sum, _ := models.TranscriptSHA256(want.Transcript)
					omitted.TranscriptSHA256, stored.Transcript = sum, nil
				}
				if g, w := jsonOf(t, got), jsonOf(t, &stored); g != w {
					t.Errorf("%s: stored result differs:\n got %s\nwant %s", want.Recording, g, w)
				}
				if (got.Omitted == nil) != (omitted == nil) || (omitted != nil && *got.Omitted != *omitted) {
					t.Errorf("%s: Omitted = %+v, want %+v", want.Recording, got.Omitted, omitted)
				}
				if want == &asr || want.Status != models.StatusInspected {
					continue
				}
				if notes, err := pipeline.Restore(ctx, src, got); err != nil || len(notes) > 0 {
					t.Fatalf("%s: Restore: %v %v", want.Recording, notes, err)
				}
				if g, w := jsonOf(t, got), jsonOf(t, want); g != w {
					t.Errorf("%s: restored result differs from the inspection", want.Recording)
				}
			}
		})
	}
}

// everyField is a result with every field the samples leave empty filled
// in (a fresh review found that dropping warnings, not_evaluated, the
// answered flag or the channel map from the document went unnoticed with
// the samples alone): truncated, the metadata's own call id, a channel
// map, answered false, a survey, events, empty and filled slices, every
// kind of structured evidence, rules not evaluated, an inline transcript
// with dropped segments, coverage, warnings.
func everyField() *models.Result {
	no, v, l := false, 3.5, 2.0
	first := 0
	at := time.Date(2026, 11, 25, 10, 0, 0, 123456789, time.FixedZone("CST", 8*3600))
	return &models.Result{CallID: "X1", Recording: "2026/11/25/x1.wav", Status: models.StatusInspected,
		Error: "truncated: data chunk ends early", Truncated: true, Scorecard: testsvc.Scorecard,
		Meta: models.CallMeta{CallID: "meta-id", AgentID: "a", AgentName: "张三", Team: "t", Queue: "q", StartedAt: &at, Direction: "in",
			Channels: &models.ChannelMap{Agent: 1, Customer: 0}, Answered: &no, Satisfaction: "basic"},
		Audio: &models.AudioInfo{Format: "pcm_mulaw", SampleRate: 8000, Channels: 2, DurationS: 12.34},
		Metrics: &models.Metrics{Agent: &models.SpeakerMetrics{Segments: []models.Span{}},
			Customer: &models.SpeakerMetrics{Segments: []models.Span{{1, 2}}}, Silences: []models.Span{}, Overtalks: []models.Overtalk{},
			Interruptions: map[string]int{}, Events: []models.Event{{Type: models.EventDTMF, Start: 3, End: 4, Speaker: "customer", Presses: 2}},
			HoldS: 1.5},
		Findings: []models.Finding{
			{Rule: "r1", Name: "n", Start: 1.25, End: 2.5, Speaker: "agent", Evidence: "e", Deduct: 5, Veto: true, Review: true,
				Indicator: models.IndicatorComplaint, Utterance: &first, Matches: []models.Match{{Phrase: "p", How: models.MatchExact, Start: 0, End: 1}}},
			{Rule: "r2", Missing: []string{"您好"}},
			{Rule: "r3", Value: &v, Unit: models.UnitSeconds, Limit: &l},
			{Rule: "r4"},
		},
		NotEvaluated: []models.NotEvaluated{{Rule: "r9", Reason: "x"}},
		Score:        60, Review: true,
		Transcript: &models.Transcript{Utterances: []models.Utterance{{Speaker: "agent", Start: 0, End: 1, Text: "您好"}},
			Dropped: []models.DroppedSegment{{Speaker: "customer", Start: 3, End: 4, Text: "谢谢观看", Reason: models.DropNoSpeech}}},
		TranscriptCoverage: map[string]float64{"agent": 0.5},
		Warnings:           []string{"w"},
	}
}

// threeMinuteCall writes a three-minute stereo G.711 call made of the
// sample calls one after the other (real conversations, with their
// pauses) and returns its key in a source over dir.
func threeMinuteCall(t *testing.T, dir string) string {
	t.Helper()
	const key = "2026/11/25/three-minutes.wav"
	if err := os.MkdirAll(filepath.Join(dir, "2026/11/25"), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, key))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := decode.NewWriter(f, "pcm_mulaw", 8000, 2)
	if err != nil {
		t.Fatal(err)
	}
	wavs, _ := filepath.Glob(filepath.Join(samplesDay, "*.wav"))
	for _, p := range wavs {
		if w.Frames() >= 180*8000 {
			break
		}
		in, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := in.Stat()
		dec, err := decode.NewDecoder(in, fi.Size())
		if err != nil {
			t.Fatal(err)
		}
		if dec.Format().Channels != 2 || dec.Format().SampleRate != 8000 {
			in.Close()
			continue
		}
		left := 180*8000 - w.Frames()
		err = dec.Each(context.Background(), 4096, func(block []float32) error {
			n := min(int64(len(block)/2), left)
			left -= n
			if n == 0 {
				return nil
			}
			return w.WriteFloat32(block[:2*n])
		})
		in.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if w.Frames() != 180*8000 {
		t.Fatalf("three-minute call of %d frames", w.Frames())
	}
	return key
}

// storedBytes is the size in the database of the result of rec: its
// results row and findings rows (pg_column_size of whole rows on
// PostgreSQL; on SQLite the bytes of every value).
func storedBytes(t *testing.T, st *Store, rec string) int {
	t.Helper()
	var q string
	if st.dialect == DialectPostgres {
		q = `SELECT (SELECT pg_column_size(r.*) FROM results r WHERE recording = $1) +
			COALESCE((SELECT SUM(pg_column_size(f.*)) FROM findings f WHERE recording = $1), 0)`
	} else {
		sum := func(table string) string {
			rows, err := st.db.Query(`SELECT name FROM pragma_table_info('` + table + `')`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var cols []string
			for rows.Next() {
				var c string
				rows.Scan(&c)
				cols = append(cols, fmt.Sprintf("COALESCE(LENGTH(CAST(%s AS BLOB)), 0)", c))
			}
			return `(SELECT COALESCE(SUM(` + strings.Join(cols, " + ") + `), 0) FROM ` + table + ` WHERE recording = $1)`
		}
		q = `SELECT ` + sum("results") + ` + ` + sum("findings")
	}
	var n int
	if err := st.db.QueryRow(q, rec).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestThreeMinuteCallSize inspects a real three-minute call and checks
// that its stored result, columns and findings rows included, is under
// 2 KB on both backends, with its transcript beside the recording; and
// reports the size with the transcript kept in the document (an ASR
// transcript the recordings' source could not store).
func TestThreeMinuteCallSize(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	key := threeMinuteCall(t, dir)
	src, err := source.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	r, err := engine(t).InspectKey(ctx, src, key)
	if err != nil || r.Status != models.StatusInspected {
		t.Fatalf("inspect: %+v %v", r, err)
	}
	// A transcript as long as a three-minute call's: the samples' own,
	// repeated; the call has no sidecar of its own.
	var words []models.Utterance
	for _, p := range []string{"C20261125-0001", "C20261125-0002", "C20261125-0004", "C20261125-0005"} {
		f, err := os.Open(filepath.Join(samplesDay, p+".transcript.json"))
		if err != nil {
			t.Fatal(err)
		}
		var tr models.Transcript
		err = json.NewDecoder(f).Decode(&tr)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		off := float64(len(words)) * 4
		for _, u := range tr.Utterances {
			u.Start, u.End = u.Start+off, u.End+off
			words = append(words, u)
		}
	}
	r.Transcript = &models.Transcript{Utterances: words, Sidecar: true}
	chars := 0
	for _, u := range words {
		chars += len([]rune(u.Text))
	}
	segs := len(r.Metrics.Agent.Segments) + len(r.Metrics.Customer.Segments)
	full, _ := json.Marshal(r)
	kept := *r
	tr := *r.Transcript
	tr.Sidecar = false
	kept.Transcript, kept.Recording, kept.CallID, kept.Meta.CallID = &tr, "2026/11/25/kept.wav", "kept", "kept"
	for _, be := range testsvc.Backends(t) {
		t.Run(be.Name, func(t *testing.T) {
			st := openURL(t, be.Fresh(t))
			if err := st.SaveResults(ctx, "", []*models.Result{r, &kept}); err != nil {
				t.Fatal(err)
			}
			n, withTranscript := storedBytes(t, st, key), storedBytes(t, st, kept.Recording)
			t.Logf("three-minute call (%d speech segments, %d findings; inspect --json %d bytes): %d bytes stored; "+
				"with its transcript of %d characters in the document: %d bytes", segs, len(r.Findings), len(full), n, chars, withTranscript)
			if n >= 2048 {
				t.Errorf("a three-minute call takes %d bytes, want under 2 KB", n)
			}
			if n < 300 || withTranscript <= n {
				t.Errorf("sizes %d and %d: the measure does not count the document", n, withTranscript)
			}
		})
	}
}

// TestMigrateCompactResults stores results as the schema before 0420 held
// them (a whole JSON document per row, envelope included), migrates, and
// checks each reads back as it was, less the envelope, which Omitted
// names; the result_json column is gone.
func TestMigrateCompactResults(t *testing.T) {
	t.Parallel()
	results, _ := inspectSamples(t)
	results = results[:3]
	ctx := context.Background()
	for _, be := range testsvc.Backends(t) {
		t.Run(be.Name, func(t *testing.T) {
			url := be.Fresh(t)
			old, err := openUpTo(ctx, url, Options{}, 419)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range results {
				doc, _ := json.Marshal(r)
				if _, err := old.db.ExecContext(ctx, `INSERT INTO results (recording, scorecard_id, scorecard_version, call_id, status,
						agent_id, agent_name, team, queue, score, passed, review, analysis_vad, analysis_version, call_date, inspected_at, result_json)
					VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
					r.Recording, r.Scorecard.ID, r.Scorecard.Version, r.CallID, r.Status, r.Meta.AgentID, r.Meta.AgentName,
					r.Meta.Team, r.Meta.Queue, r.Score, boolInt(r.Passed), boolInt(r.Review), r.Analysis.VAD, r.Analysis.Version,
					"2026-11-25", formatStoreTime(time.Now()), string(doc)); err != nil {
					t.Fatal(err)
				}
				for seq, f := range r.Findings {
					if _, err := old.db.ExecContext(ctx, `INSERT INTO findings (recording, scorecard_id, scorecard_version, seq, rule, name,
							start_s, end_s, speaker, evidence, deduct, veto, review, indicator)
						VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
						r.Recording, r.Scorecard.ID, r.Scorecard.Version, seq, f.Rule, f.Name, f.Start, f.End, f.Speaker,
						f.Evidence, f.Deduct, boolInt(f.Veto), boolInt(f.Review), f.Indicator); err != nil {
						t.Fatal(err)
					}
				}
			}
			// A document whose findings disagree with the rows (written
			// apart): it must stay readable, its rows the findings.
			odd := everyField()
			doc, _ := json.Marshal(odd)
			if _, err := old.db.ExecContext(ctx, `INSERT INTO results (recording, scorecard_id, scorecard_version, call_id, status,
					call_date, inspected_at, result_json) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
				odd.Recording, odd.Scorecard.ID, odd.Scorecard.Version, odd.CallID, odd.Status, "2026-11-25",
				formatStoreTime(time.Now()), string(doc)); err != nil {
				t.Fatal(err)
			}
			if _, err := old.db.ExecContext(ctx, `INSERT INTO findings (recording, scorecard_id, scorecard_version, seq, rule)
				VALUES ($1, $2, $3, 0, 'r1')`, odd.Recording, odd.Scorecard.ID, odd.Scorecard.Version); err != nil {
				t.Fatal(err)
			}
			old.Close()
			st := openURL(t, url)
			got, err := st.GetResult(ctx, odd.Recording, odd.Scorecard)
			if err != nil || len(got.Findings) != 1 || got.Findings[0].Utterance != nil || len(got.Warnings) != 1 {
				t.Errorf("a document disagreeing with its findings rows: %+v, %v", got, err)
			}
			for _, want := range results {
				got, err := st.GetResult(ctx, want.Recording, want.Scorecard)
				if err != nil {
					t.Fatal(err)
				}
				stored := *want
				stored.Envelope = nil
				if g, w := jsonOf(t, got), jsonOf(t, &stored); g != w {
					t.Errorf("%s: migrated result differs:\n got %s\nwant %s", want.Recording, g, w)
				}
				if got.Omitted == nil || !got.Omitted.Envelope || got.Omitted.TranscriptSHA256 != "" {
					t.Errorf("%s: Omitted = %+v, want the envelope only (the transcript kept)", want.Recording, got.Omitted)
				}
			}
			if _, err := st.db.ExecContext(ctx, `SELECT result_json FROM results`); err == nil {
				t.Error("result_json is still there")
			}
		})
	}
}

// FuzzDecodeDoc: a stored document, whatever its bytes, decodes or fails
// with an error, never a panic.
func FuzzDecodeDoc(f *testing.F) {
	r := testsvc.Result("F1", "2026-11-25", "一组", "A1", false, 70, "dead_air", "taboo")
	doc, err := encodeDoc(r)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(doc)
	f.Add([]byte{docV1})
	f.Add([]byte{2, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		got := &models.Result{Findings: make([]models.Finding, 2)}
		if err := decodeDoc(b, got); err != nil {
			return
		}
		if !bytes.Equal(b, doc) {
			return
		}
		if got.Meta.StartedAt == nil {
			t.Errorf("the seed document decoded without its metadata: %+v", got.Meta)
		}
	})
}

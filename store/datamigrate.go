package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/pipeline/pii"
)

// dataMigration returns the Go half of migration version, run after its
// SQL file in the same transaction, or nil: what SQL cannot do (rewrite
// the result documents).
func (s *Store) dataMigration(version int) func(context.Context, *sql.Tx) error {
	switch version {
	case 302:
		return s.maskStoredResults
	case 410:
		return s.rebuildRollups
	case 420:
		return s.compactStoredResults
	}
	return nil
}

// docBatch is how many results the data migrations read at a time.
const docBatch = 500

// eachStoredJSON calls fn with every stored result's result_json (the
// schema before 0421), reading them in key order a batch at a time, so
// that memory stays flat whatever the database's size.
func eachStoredJSON(ctx context.Context, tx *sql.Tx, fn func(rec, scID string, scV int, js string) error) error {
	type row struct {
		rec, scID string
		scV       int
		js        string
	}
	var last row
	for first := true; ; first = false {
		q := `SELECT recording, scorecard_id, scorecard_version, result_json FROM results`
		var args []any
		if !first {
			// A row value, which both databases read as a range of the
			// primary key (the same condition spelled with ORs made
			// PostgreSQL sort the whole table for every batch).
			q += ` WHERE (recording, scorecard_id, scorecard_version) > ($1, $2, $3)`
			args = []any{last.rec, last.scID, last.scV}
		}
		q += fmt.Sprintf(` ORDER BY recording, scorecard_id, scorecard_version LIMIT %d`, docBatch)
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		var batch []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.rec, &r.scID, &r.scV, &r.js); err != nil {
				rows.Close()
				return err
			}
			batch = append(batch, r)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		for _, r := range batch {
			if err := fn(r.rec, r.scID, r.scV, r.js); err != nil {
				return fmt.Errorf("%s: %w", r.rec, err)
			}
		}
		if len(batch) < docBatch {
			return nil
		}
		last = batch[len(batch)-1]
	}
}

// maskStoredResults passes every stored result through pii.MaskResult and
// rewrites those it changes: result_json and the evidence of their
// findings rows.
func (s *Store) maskStoredResults(ctx context.Context, tx *sql.Tx) error {
	masked := 0
	err := eachStoredJSON(ctx, tx, func(rec, scID string, scV int, js string) error {
		changed, err := maskStored(ctx, tx, rec, scID, scV, js)
		if changed {
			masked++
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("mask stored results: %w", err)
	}
	s.logger.InfoContext(ctx, "personal data masked in stored results", "results", masked)
	return nil
}

// maskStored masks one stored result document and, when that changes it,
// rewrites it and its findings' evidence.
func maskStored(ctx context.Context, tx *sql.Tx, rec, scID string, scV int, doc string) (bool, error) {
	var r models.Result
	if err := json.Unmarshal([]byte(doc), &r); err != nil {
		// Not a result document (never written by callqa): nothing to mask.
		return false, nil
	}
	if r.Transcript == nil {
		return false, nil
	}
	before, err := json.Marshal(&r)
	if err != nil {
		return false, err
	}
	pii.MaskResult(&r)
	out, err := json.Marshal(&r)
	if err != nil {
		return false, err
	}
	if bytes.Equal(before, out) {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE results SET result_json = $1 WHERE recording = $2 AND scorecard_id = $3 AND scorecard_version = $4`,
		string(out), rec, scID, scV); err != nil {
		return false, err
	}
	for i, f := range r.Findings {
		if _, err := tx.ExecContext(ctx, `UPDATE findings SET evidence = $1 WHERE recording = $2 AND scorecard_id = $3 AND scorecard_version = $4 AND seq = $5`,
			f.Evidence, rec, scID, scV, i); err != nil {
			return false, err
		}
	}
	return true, nil
}

// compactStoredResults rewrites the result_json of every stored result as
// its compact document (doc, see resultdoc.go). The findings rows already
// hold what the document leaves out of the findings; the envelope is
// dropped (recomputed from the recording); transcripts are kept. Each
// row's result_json is emptied as it goes, so that 0421, which copies the
// table to drop the column on SQLite, copies small rows.
func (s *Store) compactStoredResults(ctx context.Context, tx *sql.Tx) error {
	s.logger.InfoContext(ctx, "compacting the stored results, once (about 8 minutes per million results on 2 cores)")
	n := 0
	err := eachStoredJSON(ctx, tx, func(rec, scID string, scV int, js string) error {
		// The envelope is dropped: not parsing its thousands of numbers
		// is most of the time saved.
		var stored struct {
			models.Result
			Envelope skipJSON `json:"envelope"`
		}
		err := json.Unmarshal([]byte(js), &stored)
		res := stored.Result
		if stored.Envelope {
			res.Envelope = &models.Envelope{}
		}
		if err != nil {
			// Not a result document (never written by callqa): the
			// columns and findings rows are all there is.
			s.logger.WarnContext(ctx, "stored result without a readable document", "recording", rec, "err", err)
			res = models.Result{}
		}
		// The findings rows are the findings; structured evidence that does
		// not line up with them (a document and rows written apart) would
		// make the result unreadable, and is dropped.
		var rows int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM findings WHERE recording = $1 AND scorecard_id = $2 AND scorecard_version = $3`,
			rec, scID, scV).Scan(&rows); err != nil {
			return err
		}
		if len(res.Findings) != rows {
			s.logger.WarnContext(ctx, "stored result's document and findings rows disagree: its findings' structured evidence is dropped",
				"recording", rec, "document_findings", len(res.Findings), "findings_rows", rows)
			res.Findings = nil
		}
		doc, err := encodeDoc(&res)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE results SET doc = $1, result_json = '' WHERE recording = $2 AND scorecard_id = $3 AND scorecard_version = $4`,
			doc, rec, scID, scV); err != nil {
			return err
		}
		n++
		return nil
	})
	if err != nil {
		return fmt.Errorf("compact stored results: %w", err)
	}
	s.logger.InfoContext(ctx, "stored results compacted", "results", n)
	return nil
}

// skipJSON is a JSON value that is not decoded; it records that there was
// one (not null).
type skipJSON bool

// UnmarshalJSON implements json.Unmarshaler.
func (s *skipJSON) UnmarshalJSON(b []byte) error {
	*s = string(b) != "null"
	return nil
}

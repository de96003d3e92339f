package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/callqa/callqa/models"
)

// Batch statuses.
const (
	BatchRunning     = "running"
	BatchFinished    = "finished"
	BatchInterrupted = "interrupted"
	BatchFailed      = "failed"
)

// Batch is the record of one batch run: what it inspected, with which
// scorecard, when, and how it went. The counts cover every call of the
// listing, including calls whose result an earlier run had stored
// (Skipped says how many).
type Batch struct {
	ID         string              `json:"id"`
	Source     string              `json:"source"` // folder or bucket
	Prefix     string              `json:"prefix"` // e.g. 2026/11/25
	Date       string              `json:"date"`   // YYYY-MM-DD, or ""
	Scorecard  models.ScorecardRef `json:"scorecard"`
	StartedAt  time.Time           `json:"started_at"`
	FinishedAt time.Time           `json:"finished_at"` // zero while running
	// Total is the number of recordings listed so far.
	Total int `json:"total"`
	// Inspected, Unprocessable and Passed count results by status; Passed
	// is among Inspected.
	Inspected     int `json:"inspected"`
	Unprocessable int `json:"unprocessable"`
	Passed        int `json:"passed"`
	// Failed counts calls that hit a transient fault and were not stored:
	// processing errors ("errors" in the run summary), not calls that
	// failed QA (those are Inspected - Passed).
	Failed int `json:"failed"`
	// Skipped counts calls that already had a result for this scorecard
	// version (also counted in Inspected/Unprocessable/Passed).
	Skipped int    `json:"skipped"`
	Status  string `json:"status"` // BatchRunning, BatchFinished, BatchInterrupted, BatchFailed
}

// NewBatchID returns a new batch id: the UTC start time and a random suffix,
// so that ids sort by start time.
func NewBatchID(now time.Time) string {
	var b [3]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	return now.UTC().Format("20060102T150405.000") + "-" + hex.EncodeToString(b[:])
}

// StartBatch records a new batch run. It fills in b.ID (if empty),
// b.StartedAt (if zero) and b.Status (BatchRunning if empty).
func (s *Store) StartBatch(ctx context.Context, b *Batch) error {
	if b.StartedAt.IsZero() {
		b.StartedAt = s.now()
	}
	if b.ID == "" {
		b.ID = NewBatchID(b.StartedAt)
	}
	if b.Status == "" {
		b.Status = BatchRunning
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO batches (id, source, prefix, date, scorecard_id, scorecard_version,
				started_at, finished_at, total, inspected, unprocessable, passed, failed, skipped, status)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
			b.ID, b.Source, b.Prefix, b.Date, b.Scorecard.ID, b.Scorecard.Version,
			formatStoreTime(b.StartedAt), formatStoreTime(b.FinishedAt), b.Total, b.Inspected, b.Unprocessable,
			b.Passed, b.Failed, b.Skipped, b.Status)
		return err
	})
	if err != nil {
		return fmt.Errorf("start batch: %w", err)
	}
	return nil
}

// UpdateBatch stores b's counts, status and finish time.
func (s *Store) UpdateBatch(ctx context.Context, b *Batch) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE batches SET finished_at = $2, total = $3, inspected = $4,
				unprocessable = $5, passed = $6, failed = $7, skipped = $8, status = $9
			WHERE id = $1`,
			b.ID, formatStoreTime(b.FinishedAt), b.Total, b.Inspected, b.Unprocessable, b.Passed, b.Failed, b.Skipped, b.Status)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			return ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("update batch %s: %w", b.ID, err)
	}
	return nil
}

// FinishBatch sets b's status (BatchFinished, BatchInterrupted or
// BatchFailed) and finish time, and stores it like UpdateBatch.
func (s *Store) FinishBatch(ctx context.Context, b *Batch, status string) error {
	b.Status = status
	b.FinishedAt = s.now()
	return s.UpdateBatch(ctx, b)
}

// GetBatch returns the batch id, or an error wrapping ErrNotFound.
func (s *Store) GetBatch(ctx context.Context, id string) (*Batch, error) {
	var b Batch
	var started, finished string
	err := s.db.QueryRowContext(ctx, `SELECT id, source, prefix, date, scorecard_id, scorecard_version,
			started_at, finished_at, total, inspected, unprocessable, passed, failed, skipped, status
		FROM batches WHERE id = $1`, id).Scan(&b.ID, &b.Source, &b.Prefix, &b.Date, &b.Scorecard.ID,
		&b.Scorecard.Version, &started, &finished, &b.Total, &b.Inspected, &b.Unprocessable, &b.Passed,
		&b.Failed, &b.Skipped, &b.Status)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("get batch %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get batch %s: %w", id, err)
	}
	if b.StartedAt, err = parseStoreTime(started); err != nil {
		return nil, fmt.Errorf("get batch %s: started_at: %w", id, err)
	}
	if b.FinishedAt, err = parseStoreTime(finished); err != nil {
		return nil, fmt.Errorf("get batch %s: finished_at: %w", id, err)
	}
	return &b, nil
}

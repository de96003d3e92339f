package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/outcome"
)

// RecordingStatus returns the status (models.StatusInspected or
// models.StatusUnprocessable) of the stored result of the recording at key
// for scorecard version sc and the audio analysis that measured it, or ""
// when there is none. The worker fleet uses it to skip a call:inspect task
// delivered again after its result was saved (with the same analysis).
func (s *Store) RecordingStatus(ctx context.Context, key string, sc models.ScorecardRef) (string, models.AnalysisRef, error) {
	var status string
	var an models.AnalysisRef
	err := s.db.QueryRowContext(ctx, `SELECT status, analysis_vad, analysis_version FROM results
		WHERE recording = $1 AND scorecard_id = $2 AND scorecard_version = $3`, key, sc.ID, sc.Version).Scan(&status, &an.VAD, &an.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return "", an, nil
	}
	if err != nil {
		return "", an, fmt.Errorf("recording status %s: %w", key, err)
	}
	return status, an, nil
}

// CountPrefix tallies the results of scorecard version sc whose recording
// key starts with prefix (e.g. "2026/11/25/"): the progress of a fleet
// batch, whichever run stored each result.
func (s *Store) CountPrefix(ctx context.Context, sc models.ScorecardRef, prefix string) (outcome.Counts, error) {
	var c outcome.Counts
	esc := likePrefix(prefix)
	rows, err := s.db.QueryContext(ctx, `SELECT status, passed, COUNT(*) FROM results
		WHERE scorecard_id = $1 AND scorecard_version = $2 AND recording LIKE $3 ESCAPE '\'
		GROUP BY status, passed`, sc.ID, sc.Version, esc)
	if err != nil {
		return c, fmt.Errorf("count results %s: %w", prefix, err)
	}
	defer rows.Close()
	for rows.Next() {
		var status string
		var passed, n int
		if err := rows.Scan(&status, &passed, &n); err != nil {
			return c, fmt.Errorf("count results %s: %w", prefix, err)
		}
		switch status {
		case models.StatusInspected:
			c.Inspected += n
			if passed != 0 {
				c.Passed += n
			}
		case models.StatusUnprocessable:
			c.Unprocessable += n
		}
	}
	if err := rows.Err(); err != nil {
		return c, fmt.Errorf("count results %s: %w", prefix, err)
	}
	return c, nil
}

// ClearPlanned forgets that the plan of batch id finished listing: the
// fleet's plan handler calls it before it lists the day (again), so that a
// listing that then fails is never taken for a complete one.
func (s *Store) ClearPlanned(ctx context.Context, id string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM fleet_plans WHERE batch_id = $1`, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("clear planned %s: %w", id, err)
	}
	return nil
}

// MarkPlanned records that the plan of batch id listed every recording,
// total of them: it sets the batch row's total and marks the batch planned
// in one transaction. It is called only after the listing succeeded. An
// error wrapping ErrNotFound means there is no batch id.
func (s *Store) MarkPlanned(ctx context.Context, id string, total int) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE batches SET total = $2 WHERE id = $1`, id, total)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			return ErrNotFound
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO fleet_plans (batch_id, total, planned_at) VALUES ($1, $2, $3)
			ON CONFLICT (batch_id) DO UPDATE SET total = excluded.total, planned_at = excluded.planned_at`,
			id, total, formatStoreTime(s.now()))
		return err
	})
	if err != nil {
		return fmt.Errorf("mark planned %s: %w", id, err)
	}
	return nil
}

// Planned reports whether the plan of batch id finished listing (see
// MarkPlanned) and how many recordings it listed.
func (s *Store) Planned(ctx context.Context, id string) (total int, planned bool, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT total FROM fleet_plans WHERE batch_id = $1`, id).Scan(&total)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("planned %s: %w", id, err)
	}
	return total, true, nil
}

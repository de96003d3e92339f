package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/callqa/callqa/models"
)

// RecordingStatus returns the status (models.StatusInspected or
// models.StatusUnprocessable) of the stored result of the recording at key
// for scorecard version sc, or "" when there is none. The worker fleet uses
// it to skip a call:inspect task delivered again after its result was saved.
func (s *Store) RecordingStatus(ctx context.Context, key string, sc models.ScorecardRef) (string, error) {
	var status string
	err := s.db.QueryRowContext(ctx, `SELECT status FROM results
		WHERE recording = $1 AND scorecard_id = $2 AND scorecard_version = $3
		ORDER BY inspected_at DESC LIMIT 1`, key, sc.ID, sc.Version).Scan(&status)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("recording status %s: %w", key, err)
	}
	return status, nil
}

// ResultCounts tallies stored results.
type ResultCounts struct {
	// Inspected and Unprocessable count results by status.
	Inspected     int `json:"inspected"`
	Unprocessable int `json:"unprocessable"`
	// Passed is among Inspected.
	Passed int `json:"passed"`
}

// Done is the number of calls with a result.
func (c ResultCounts) Done() int { return c.Inspected + c.Unprocessable }

// CountPrefix tallies the results of scorecard version sc whose recording
// key starts with prefix (e.g. "2026/11/25/"): the progress of a fleet
// batch, whichever run stored each result.
func (s *Store) CountPrefix(ctx context.Context, sc models.ScorecardRef, prefix string) (ResultCounts, error) {
	var c ResultCounts
	esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(prefix) + "%"
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

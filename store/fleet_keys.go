package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/outcome"
)

// keysPerStatement bounds the keys of one multi-row statement: two
// parameters a key stays well under SQLite's limit of 32766.
const keysPerStatement = 500

// AddPlanKeys records keys as recordings of fleet batch id (its plan
// listed them). Keys already recorded are skipped; the batch's total is
// the number of its recorded keys (BatchProgress).
func (s *Store) AddPlanKeys(ctx context.Context, id string, keys []string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		for start := 0; start < len(keys); start += keysPerStatement {
			chunk := keys[start:min(start+keysPerStatement, len(keys))]
			var q strings.Builder
			q.WriteString(`INSERT INTO fleet_plan_keys (batch_id, recording) VALUES `)
			args := make([]any, 0, 2*len(chunk))
			for i, k := range chunk {
				if i > 0 {
					q.WriteString(", ")
				}
				fmt.Fprintf(&q, "($%d, $%d)", 2*i+1, 2*i+2)
				args = append(args, id, k)
			}
			q.WriteString(` ON CONFLICT (batch_id, recording) DO NOTHING`)
			if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("add plan keys %s: %w", id, err)
	}
	return nil
}

// AddBatchKey adds the recording at key to fleet batch id, when that batch
// records its keys (it was planned by this version: see
// fleet_plan_keys), and reports whether the key is new to the batch. The
// fleet calls it for `callqa enqueue --key`, so that a recording uploaded
// after its day was planned counts in the day's total.
func (s *Store) AddBatchKey(ctx context.Context, id, key string) (bool, error) {
	var added bool
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO fleet_plan_keys (batch_id, recording)
			SELECT $1, $2 WHERE EXISTS (SELECT 1 FROM fleet_plan_keys WHERE batch_id = $1)
			ON CONFLICT (batch_id, recording) DO NOTHING`, id, key)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		added = n > 0
		return err
	})
	if err != nil {
		return false, fmt.Errorf("add batch key %s %s: %w", id, key, err)
	}
	return added, nil
}

// WithResult returns which of the recordings at keys have a result for
// scorecard version sc: unprocessable, or inspected by the audio analysis
// an (a call inspected by another analysis is to be inspected again).
func (s *Store) WithResult(ctx context.Context, sc models.ScorecardRef, an models.AnalysisRef, keys []string) (map[string]bool, error) {
	out := map[string]bool{}
	for start := 0; start < len(keys); start += keysPerStatement {
		chunk := keys[start:min(start+keysPerStatement, len(keys))]
		var q strings.Builder
		q.WriteString(`SELECT recording FROM results WHERE scorecard_id = $1 AND scorecard_version = $2
			AND (status <> 'inspected' OR (analysis_vad = $3 AND analysis_version = $4)) AND recording IN (`)
		args := make([]any, 0, 4+len(chunk))
		args = append(args, sc.ID, sc.Version, an.VAD, an.Version)
		for i, k := range chunk {
			if i > 0 {
				q.WriteString(", ")
			}
			fmt.Fprintf(&q, "$%d", i+5)
			args = append(args, k)
		}
		q.WriteString(`)`)
		rows, err := s.db.QueryContext(ctx, q.String(), args...)
		if err != nil {
			return nil, fmt.Errorf("with result: %w", err)
		}
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				rows.Close()
				return nil, fmt.Errorf("with result: %w", err)
			}
			out[k] = true
		}
		if err := rows.Close(); err != nil {
			return nil, fmt.Errorf("with result: %w", err)
		}
	}
	return out, nil
}

// BatchProgress returns the number of recordings of fleet batch id (its
// recorded keys: 0 for a batch planned before they were recorded) and the
// tally of their results for scorecard version sc.
func (s *Store) BatchProgress(ctx context.Context, id string, sc models.ScorecardRef) (total int, c outcome.Counts, err error) {
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM fleet_plan_keys WHERE batch_id = $1`, id).Scan(&total); err != nil {
		return 0, c, fmt.Errorf("batch progress %s: %w", id, err)
	}
	if total == 0 {
		return 0, c, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT r.status, r.passed, COUNT(*) FROM fleet_plan_keys k
		JOIN results r ON r.recording = k.recording AND r.scorecard_id = $2 AND r.scorecard_version = $3
		WHERE k.batch_id = $1 GROUP BY r.status, r.passed`, id, sc.ID, sc.Version)
	if err != nil {
		return 0, c, fmt.Errorf("batch progress %s: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var status string
		var passed, n int
		if err := rows.Scan(&status, &passed, &n); err != nil {
			return 0, c, fmt.Errorf("batch progress %s: %w", id, err)
		}
		c.Add(status, passed != 0, n)
	}
	if err := rows.Err(); err != nil {
		return 0, c, fmt.Errorf("batch progress %s: %w", id, err)
	}
	return total, c, nil
}

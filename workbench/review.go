package workbench

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/callqa/callqa/models"
)

// Review decisions on a finding.
const (
	DecisionConfirm  = "confirm"
	DecisionOverturn = "overturn"
)

// Review is a reviewer's decision on one finding. It is keyed by
// (Recording, Rule, StartMS), not by scorecard version, so that a
// re-inspection with a new scorecard version keeps it visible;
// ScorecardID and ScorecardVersion say which inspection it was made on.
// CallID is the call's label (its metadata's call_id) when it was made.
type Review struct {
	Recording        string    `json:"recording"`
	CallID           string    `json:"call_id"`
	Rule             string    `json:"rule"`
	StartMS          int64     `json:"start_ms"`
	Decision         string    `json:"decision"`
	Comment          string    `json:"comment,omitempty"`
	Reviewer         string    `json:"reviewer"`
	ScorecardID      string    `json:"scorecard_id,omitempty"`
	ScorecardVersion int       `json:"scorecard_version,omitempty"`
	ReviewedAt       time.Time `json:"reviewed_at"`
}

// Verdict is the reviewer's final pass/fail decision on a call, keyed by
// its recording.
type Verdict struct {
	Recording        string    `json:"recording"`
	CallID           string    `json:"call_id"`
	Passed           bool      `json:"passed"`
	Comment          string    `json:"comment,omitempty"`
	Reviewer         string    `json:"reviewer"`
	ScorecardID      string    `json:"scorecard_id,omitempty"`
	ScorecardVersion int       `json:"scorecard_version,omitempty"`
	ReviewedAt       time.Time `json:"reviewed_at"`
}

// SaveReview records (or replaces) a review of a finding and its audit entry
// in one transaction.
func (w *Workbench) SaveReview(ctx context.Context, r Review, remote string) error {
	if r.Decision != DecisionConfirm && r.Decision != DecisionOverturn {
		return fmt.Errorf("save review: decision %q: want confirm or overturn", r.Decision)
	}
	if r.Recording == "" || r.Rule == "" || r.Reviewer == "" {
		return errors.New("save review: recording, rule and reviewer are required")
	}
	if r.ReviewedAt.IsZero() {
		r.ReviewedAt = w.now()
	}
	return w.tx(ctx, "save review", func(tx *sql.Tx) error {
		err := w.st.Recount(ctx, tx, []string{r.Recording}, func() error {
			_, err := tx.ExecContext(ctx, w.q(`INSERT INTO reviews (recording, rule, start_ms, call_id, decision, comment, reviewer, scorecard_id, scorecard_version, reviewed_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (recording, rule, start_ms) DO UPDATE SET call_id = excluded.call_id, decision = excluded.decision, comment = excluded.comment,
			reviewer = excluded.reviewer, scorecard_id = excluded.scorecard_id, scorecard_version = excluded.scorecard_version,
			reviewed_at = excluded.reviewed_at`),
				r.Recording, r.Rule, r.StartMS, r.CallID, r.Decision, r.Comment, r.Reviewer, r.ScorecardID, r.ScorecardVersion,
				formatWorkbenchTime(r.ReviewedAt))
			return err
		})
		if err != nil {
			return err
		}
		return w.auditTx(ctx, tx, AuditEntry{At: r.ReviewedAt, User: r.Reviewer, Action: AuditReview, CallID: r.CallID, Recording: r.Recording,
			Detail: fmt.Sprintf("%s %s@%.3fs %s", r.Decision, r.Rule, float64(r.StartMS)/1000, r.Comment), Remote: remote})
	})
}

// SaveVerdict records (or replaces) the final verdict on a call and its
// audit entry in one transaction.
func (w *Workbench) SaveVerdict(ctx context.Context, v Verdict, remote string) error {
	if v.Recording == "" || v.Reviewer == "" {
		return errors.New("save verdict: recording and reviewer are required")
	}
	if v.ReviewedAt.IsZero() {
		v.ReviewedAt = w.now()
	}
	return w.tx(ctx, "save verdict", func(tx *sql.Tx) error {
		err := w.st.Recount(ctx, tx, []string{v.Recording}, func() error {
			_, err := tx.ExecContext(ctx, w.q(`INSERT INTO verdicts (recording, call_id, passed, comment, reviewer, scorecard_id, scorecard_version, reviewed_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (recording) DO UPDATE SET call_id = excluded.call_id, passed = excluded.passed, comment = excluded.comment, reviewer = excluded.reviewer,
			scorecard_id = excluded.scorecard_id, scorecard_version = excluded.scorecard_version, reviewed_at = excluded.reviewed_at`),
				v.Recording, v.CallID, b2i(v.Passed), v.Comment, v.Reviewer, v.ScorecardID, v.ScorecardVersion, formatWorkbenchTime(v.ReviewedAt))
			return err
		})
		if err != nil {
			return err
		}
		verdict := "fail"
		if v.Passed {
			verdict = "pass"
		}
		return w.auditTx(ctx, tx, AuditEntry{At: v.ReviewedAt, User: v.Reviewer, Action: AuditVerdict, CallID: v.CallID, Recording: v.Recording,
			Detail: strings.TrimSpace(verdict + " " + v.Comment), Remote: remote})
	})
}

// tx runs fn in a write transaction of the store (Store.Write).
func (w *Workbench) tx(ctx context.Context, op string, fn func(*sql.Tx) error) error {
	if err := w.st.Write(ctx, fn); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

func (w *Workbench) auditTx(ctx context.Context, tx *sql.Tx, e AuditEntry) error {
	id, err := randomToken(12)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, w.q(`INSERT INTO audit (id, at, user_name, action, call_id, recording, detail, remote) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
		id, formatWorkbenchTime(e.At), e.User, e.Action, e.CallID, e.Recording, e.Detail, e.Remote)
	return err
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Reviews returns every review of the findings of the call recorded at
// key, whatever scorecard version they were made on, by start time.
func (w *Workbench) Reviews(ctx context.Context, key string) ([]Review, error) {
	rows, err := w.db.QueryContext(ctx, w.q(`SELECT recording, call_id, rule, start_ms, decision, comment, reviewer, scorecard_id, scorecard_version, reviewed_at
		FROM reviews WHERE recording = ? ORDER BY start_ms, rule`), key)
	if err != nil {
		return nil, fmt.Errorf("reviews: %w", err)
	}
	defer rows.Close()
	var out []Review
	for rows.Next() {
		var r Review
		var at string
		if err := rows.Scan(&r.Recording, &r.CallID, &r.Rule, &r.StartMS, &r.Decision, &r.Comment, &r.Reviewer, &r.ScorecardID, &r.ScorecardVersion, &at); err != nil {
			return nil, fmt.Errorf("reviews: %w", err)
		}
		r.ReviewedAt = parseTime(at)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reviews: %w", err)
	}
	return out, nil
}

// Verdict returns the final verdict on the call recorded at key, or nil
// when there is none.
func (w *Workbench) Verdict(ctx context.Context, key string) (*Verdict, error) {
	var v Verdict
	var passed int
	var at string
	err := w.db.QueryRowContext(ctx, w.q(`SELECT recording, call_id, passed, comment, reviewer, scorecard_id, scorecard_version, reviewed_at
		FROM verdicts WHERE recording = ?`), key).
		Scan(&v.Recording, &v.CallID, &passed, &v.Comment, &v.Reviewer, &v.ScorecardID, &v.ScorecardVersion, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("verdict: %w", err)
	}
	v.Passed, v.ReviewedAt = passed != 0, parseTime(at)
	return &v, nil
}

// LatestResult returns the result of the call recorded at key with version
// of the scorecard, or with its newest version when version is 0 (any
// scorecard when scorecardID is empty). A call without such a result is
// store.ErrNotFound. What the store leaves out (models.Omitted) is put
// back by pipeline.Restore.
func (w *Workbench) LatestResult(ctx context.Context, key, scorecardID string, version int) (*models.Result, error) {
	return w.st.LatestResult(ctx, key, scorecardID, version)
}

// grouping -> key -> group

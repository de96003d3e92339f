package store

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/callqa/callqa/models"
)

// A result is identified by its recording (the key its source lists) and
// scorecard version, not by the call_id of its metadata: recorders restart
// their numbering and calls get re-exported, so two recordings may carry
// one call_id. Both are stored and counted; the functions here name such
// clashes and find a call's recordings from the call id people know.

// ClashFilter selects the results whose call id clashes are looked for.
type ClashFilter struct {
	// Scorecard is the scorecard version (required).
	Scorecard models.ScorecardRef
	// From and To bound the call date, inclusive (YYYY-MM-DD, "" open).
	From, To string
	// Prefix keeps the recordings whose key starts with it ("" all).
	Prefix string
}

// Clash is a call id that several recordings carry.
type Clash struct {
	CallID string `json:"call_id"`
	// Recordings are every recording with a result of the scorecard
	// version that carries CallID, by date then key, including those
	// outside the filter's range.
	Recordings []ClashRecording `json:"recordings"`
}

// ClashRecording is one of the recordings of a Clash.
type ClashRecording struct {
	Recording string `json:"recording"`
	Date      string `json:"date"`
	Status    string `json:"status"`
}

// Clashes returns the call ids carried by a result that f selects and by at
// least one other recording's result of the same scorecard version (of
// any date), by call id.
func (s *Store) Clashes(ctx context.Context, f ClashFilter) ([]Clash, error) {
	conds := []string{"f.scorecard_id = $1", "f.scorecard_version = $2"}
	args := []any{f.Scorecard.ID, f.Scorecard.Version}
	add := func(cond string, v any) {
		args = append(args, v)
		conds = append(conds, fmt.Sprintf(cond, len(args)))
	}
	if f.From != "" {
		add("f.call_date >= $%d", f.From)
	}
	if f.To != "" {
		add("f.call_date <= $%d", f.To)
	}
	if f.Prefix != "" {
		add(`f.recording LIKE $%d ESCAPE '\'`, likePrefix(f.Prefix))
	}
	rows, err := s.db.QueryContext(ctx, `SELECT r.call_id, r.recording, r.call_date, r.status FROM results r
		WHERE r.scorecard_id = $1 AND r.scorecard_version = $2 AND r.call_id IN (
			SELECT f.call_id FROM results f WHERE `+strings.Join(conds, " AND ")+`
			AND EXISTS (SELECT 1 FROM results o WHERE o.call_id = f.call_id AND o.scorecard_id = $1
				AND o.scorecard_version = $2 AND o.recording <> f.recording))`, args...)
	if err != nil {
		return nil, fmt.Errorf("call id clashes: %w", err)
	}
	defer rows.Close()
	byID := map[string]*Clash{}
	for rows.Next() {
		var id string
		var c ClashRecording
		if err := rows.Scan(&id, &c.Recording, &c.Date, &c.Status); err != nil {
			return nil, fmt.Errorf("call id clashes: %w", err)
		}
		cl := byID[id]
		if cl == nil {
			cl = &Clash{CallID: id}
			byID[id] = cl
		}
		cl.Recordings = append(cl.Recordings, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("call id clashes: %w", err)
	}
	out := make([]Clash, 0, len(byID))
	for _, cl := range byID {
		sort.Slice(cl.Recordings, func(i, j int) bool {
			a, b := cl.Recordings[i], cl.Recordings[j]
			if a.Date != b.Date {
				return a.Date < b.Date
			}
			return a.Recording < b.Recording
		})
		out = append(out, *cl)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CallID < out[j].CallID })
	return out, nil
}

// likePrefix is a LIKE pattern (with ESCAPE '\') matching strings that
// start with prefix.
func likePrefix(prefix string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(prefix) + "%"
}

package workbench

import (
	"context"
	"fmt"
	"sort"
)

// CallRecording is one recording that carries a call id, as the workbench
// lists them when a call id is ambiguous.
type CallRecording struct {
	Recording string `json:"recording"`
	CallID    string `json:"call_id"`
	Date      string `json:"date"`
	AgentID   string `json:"agent_id"`
	AgentName string `json:"agent_name"`
	Team      string `json:"team"`
	StartedAt string `json:"started_at,omitempty"`
}

// CallRecordings returns the recordings whose results (under any scorecard
// version) carry callID, by date then key: one for a call id that is
// unique, several for a clash, none for an unknown call.
func (w *Workbench) CallRecordings(ctx context.Context, callID string) ([]CallRecording, error) {
	rows, err := w.db.QueryContext(ctx, w.q(`SELECT recording, MAX(call_date), MAX(agent_id), MAX(agent_name), MAX(team), MAX(started_at)
		FROM results WHERE call_id = ? GROUP BY recording`), callID)
	if err != nil {
		return nil, fmt.Errorf("call recordings %s: %w", callID, err)
	}
	defer rows.Close()
	var out []CallRecording
	for rows.Next() {
		c := CallRecording{CallID: callID}
		if err := rows.Scan(&c.Recording, &c.Date, &c.AgentID, &c.AgentName, &c.Team, &c.StartedAt); err != nil {
			return nil, fmt.Errorf("call recordings %s: %w", callID, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("call recordings %s: %w", callID, err)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Date != out[j].Date {
			return out[i].Date < out[j].Date
		}
		return out[i].Recording < out[j].Recording
	})
	return out, nil
}

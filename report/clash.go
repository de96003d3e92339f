package report

import (
	"context"
	"fmt"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/store"
)

// ClashStore is what the listing of call id clashes reads (*store.Store).
type ClashStore interface {
	Clashes(ctx context.Context, f store.ClashFilter) ([]store.Clash, error)
	LatestScorecard(ctx context.Context) (models.ScorecardRef, error)
}

var (
	_ ClashStore = (*store.Store)(nil)
	_ Report     = (*ClashList)(nil)
)

// ClashRow is one recording of a call id that several recordings carry.
type ClashRow struct {
	CallID string `json:"call_id"`
	// Recordings is how many recordings carry the call id.
	Recordings int    `json:"recordings"`
	Date       string `json:"date"`
	Recording  string `json:"recording"`
	Status     string `json:"status"`
}

// ClashList lists the call ids of a range that more than one recording
// carries (a recorder that restarted its numbering, a re-exported call):
// each recording is a call of its own, stored and counted apart, so a
// report's figures are right; the listing says which ids to fix at the
// recorder.
type ClashList struct {
	Scorecard models.ScorecardRef `json:"scorecard"`
	From      string              `json:"from,omitempty"`
	To        string              `json:"to,omitempty"`
	Rows      []ClashRow          `json:"rows"`
	// CallIDs counts the clashing call ids.
	CallIDs int `json:"call_ids"`
}

// Clashes lists the call id clashes of the results selected by o: every
// recording of each call id carried by a result of the range and by at
// least one other recording (of any date).
func Clashes(ctx context.Context, st ClashStore, o Options) (*ClashList, error) {
	f, err := o.filter(ctx, st)
	if err != nil {
		return nil, err
	}
	cs, err := st.Clashes(ctx, store.ClashFilter{Scorecard: f.Scorecard, From: f.From, To: f.To})
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	t := &ClashList{Scorecard: f.Scorecard, From: o.From, To: o.To, Rows: []ClashRow{}, CallIDs: len(cs)}
	for _, c := range cs {
		for _, r := range c.Recordings {
			t.Rows = append(t.Rows, ClashRow{CallID: c.CallID, Recordings: len(c.Recordings), Date: r.Date, Recording: r.Recording, Status: r.Status})
		}
	}
	return t, nil
}

// Sheet lays the clashes out, one row per recording.
func (t *ClashList) Sheet() Sheet {
	s := Sheet{Name: "重复通话编号", Headers: []string{"通话编号", "录音数", "日期", "录音", "状态"},
		Title: listTitle("重复的通话编号", t.Scorecard, t.From, t.To, ListOptions{})}
	for _, r := range t.Rows {
		status := "已质检"
		if r.Status == models.StatusUnprocessable {
			status = "无法处理"
		}
		s.Rows = append(s.Rows, []Cell{textCell(r.CallID), intCell(r.Recordings), textCell(r.Date), textCell(r.Recording), textCell(status)})
	}
	s.Notes = []string{fmt.Sprintf("合计：%d 个通话编号对应多条录音（共 %d 条）。每条录音按一通通话分别质检、分别计数；请在录音系统核对编号。", t.CallIDs, len(t.Rows))}
	return s
}

package report

import (
	"context"
	"fmt"
	"strings"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/store"
)

// CallStore is what call listings read from the results store
// (*store.Store).
type CallStore interface {
	ListCalls(ctx context.Context, f store.ListFilter) ([]store.ListedCall, error)
	LatestScorecard(ctx context.Context) (models.ScorecardRef, error)
	OtherScorecards(ctx context.Context, f store.ReportFilter) (int, []store.ScorecardCalls, error)
	Analyses(ctx context.Context, f store.ReportFilter) ([]store.AnalysisCalls, error)
}

var (
	_ CallStore = (*store.Store)(nil)
	_ Report    = (*CallList)(nil)
	_ Report    = (*UnprocessableList)(nil)
)

// ListOptions narrow a listing of calls beyond Options.
type ListOptions struct {
	// Team, Agent (the agent id) and Queue keep the calls whose metadata
	// has exactly this value; nil keeps every call, a pointer to "" the
	// calls without one (the "(未填)" row of a report).
	Team  *string `json:"team,omitempty"`
	Agent *string `json:"agent,omitempty"`
	Queue *string `json:"queue,omitempty"`
	// Rule keeps the inspected calls with a finding of this rule id.
	Rule string `json:"rule,omitempty"`
	// FailedOnly keeps the inspected calls that did not pass.
	FailedOnly bool `json:"failed_only,omitempty"`
}

// describe names the filters for a title: "班组 一组，规则 greeting".
func (l ListOptions) describe() string {
	var parts []string
	for _, f := range []struct {
		name string
		v    *string
	}{{"班组", l.Team}, {"坐席", l.Agent}, {"队列", l.Queue}} {
		if f.v != nil {
			v := *f.v
			if v == "" {
				v = "(未填)"
			}
			parts = append(parts, f.name+" "+v)
		}
	}
	if l.Rule != "" {
		parts = append(parts, "规则 "+l.Rule)
	}
	if l.FailedOnly {
		parts = append(parts, "仅不合格")
	}
	return strings.Join(parts, "，")
}

// listFilter resolves the scorecard and returns the store filter.
func listFilter(ctx context.Context, st CallStore, o Options, l ListOptions, status string) (store.ListFilter, error) {
	f, err := o.filter(ctx, st)
	if err != nil {
		return store.ListFilter{}, err
	}
	return store.ListFilter{ReportFilter: f, Status: status, Team: l.Team, AgentID: l.Agent, Queue: l.Queue,
		Rule: l.Rule, FailedOnly: l.FailedOnly}, nil
}

// CallRow is one inspected call of a listing.
type CallRow struct {
	CallID    string  `json:"call_id"`
	Date      string  `json:"date"`
	AgentID   string  `json:"agent_id"`
	AgentName string  `json:"agent_name"`
	Team      string  `json:"team"`
	Queue     string  `json:"queue"`
	Score     float64 `json:"score"`
	Passed    bool    `json:"passed"`
	// Veto says a veto rule failed the call; Review that a rule flagged
	// it for a person.
	Veto   bool `json:"veto"`
	Review bool `json:"review"`
	// Rules are the ids of the rules its findings flagged, once each.
	Rules []string `json:"rules"`
	// Recording is the recording's key.
	Recording string `json:"recording"`
}

// CallList lists the inspected calls behind a figure, by date then call
// id. Its Total is the PassRow those calls make: a listing with the same
// range and a team (agent, queue) filter totals the team's row of the
// pass-rate report.
type CallList struct {
	Scorecard models.ScorecardRef `json:"scorecard"`
	From      string              `json:"from,omitempty"`
	To        string              `json:"to,omitempty"`
	Filters   ListOptions         `json:"filters"`
	Calls     []CallRow           `json:"calls"`
	Total     PassRow             `json:"total"`
	// OtherScorecards are the calls of the range left out (another
	// scorecard version only).
	OtherScorecards Omitted `json:"other_scorecards"`
}

// Calls lists the inspected calls selected by o and l.
func Calls(ctx context.Context, st CallStore, o Options, l ListOptions) (*CallList, error) {
	f, err := listFilter(ctx, st, o, l, models.StatusInspected)
	if err != nil {
		return nil, err
	}
	calls, err := st.ListCalls(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	om, err := omitted(ctx, st, f.ReportFilter)
	if err != nil {
		return nil, err
	}
	t := &CallList{Scorecard: f.Scorecard, From: o.From, To: o.To, Filters: l, Calls: make([]CallRow, 0, len(calls)), OtherScorecards: om}
	total := store.GroupCount{Key: "合计", Label: "合计"}
	for _, c := range calls {
		t.Calls = append(t.Calls, CallRow{CallID: c.CallID, Date: c.Date, AgentID: c.AgentID, AgentName: c.AgentName,
			Team: c.Team, Queue: c.Queue, Score: c.Score, Passed: c.Passed, Veto: c.Veto, Review: c.Review,
			Rules: c.Rules, Recording: c.Recording})
		total.Inspected++
		total.ScoreSum += c.Score
		if c.Passed {
			total.Passed++
		}
	}
	t.Total = passRow(total)
	return t, nil
}

// UnprocessableRow is one call that could not be inspected.
type UnprocessableRow struct {
	CallID    string `json:"call_id"`
	Date      string `json:"date"`
	Recording string `json:"recording"`
	// Reason is the stored error.
	Reason string `json:"reason"`
}

// UnprocessableList lists the calls that could not be inspected, by date
// then call id.
type UnprocessableList struct {
	Scorecard models.ScorecardRef `json:"scorecard"`
	From      string              `json:"from,omitempty"`
	To        string              `json:"to,omitempty"`
	Filters   ListOptions         `json:"filters"`
	Calls     []UnprocessableRow  `json:"calls"`
	// OtherScorecards are the calls of the range left out (another
	// scorecard version only).
	OtherScorecards Omitted `json:"other_scorecards"`
}

// Unprocessable lists the unprocessable calls selected by o and l. Rule
// and FailedOnly select among inspected calls, so they are refused here.
func Unprocessable(ctx context.Context, st CallStore, o Options, l ListOptions) (*UnprocessableList, error) {
	if l.Rule != "" || l.FailedOnly {
		return nil, fmt.Errorf("report options: Rule and FailedOnly select inspected calls, not unprocessable ones")
	}
	f, err := listFilter(ctx, st, o, l, models.StatusUnprocessable)
	if err != nil {
		return nil, err
	}
	calls, err := st.ListCalls(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	om, err := omitted(ctx, st, f.ReportFilter)
	if err != nil {
		return nil, err
	}
	t := &UnprocessableList{Scorecard: f.Scorecard, From: o.From, To: o.To, Filters: l, Calls: make([]UnprocessableRow, 0, len(calls)), OtherScorecards: om}
	for _, c := range calls {
		t.Calls = append(t.Calls, UnprocessableRow{CallID: c.CallID, Date: c.Date, Recording: c.Recording, Reason: c.Error})
	}
	return t, nil
}

// listTitle is the title of a listing.
func listTitle(what string, sc models.ScorecardRef, from, to string, l ListOptions) string {
	s := fmt.Sprintf("%s（评分表 %s v%d，%s", what, sc.ID, sc.Version, period(from, to))
	if d := l.describe(); d != "" {
		s += "，" + d
	}
	return s + "）"
}

func yesNo(b bool, yes, no string) Cell {
	if b {
		return textCell(yes)
	}
	return textCell(no)
}

// Sheet lays the listing out, one row per call, with a note that totals
// it as the pass-rate report does.
func (t *CallList) Sheet() Sheet {
	s := Sheet{Name: "通话清单",
		Headers: []string{"通话编号", "日期", "坐席工号", "坐席姓名", "班组", "队列", "得分", "是否合格", "否决", "需复核", "命中规则", "录音"},
		Title:   listTitle("通话清单", t.Scorecard, t.From, t.To, t.Filters)}
	for _, c := range t.Calls {
		s.Rows = append(s.Rows, []Cell{textCell(c.CallID), textCell(c.Date), textCell(c.AgentID), textCell(c.AgentName),
			textCell(c.Team), textCell(c.Queue), numCell(c.Score), yesNo(c.Passed, "合格", "不合格"), yesNo(c.Veto, "是", "否"),
			yesNo(c.Review, "是", "否"), textCell(strings.Join(c.Rules, ",")), textCell(c.Recording)})
	}
	tot := t.Total
	note := fmt.Sprintf("合计：质检通话 %d 通，合格 %d 通，不合格 %d 通", tot.Inspected, tot.Passed, tot.Failed)
	if tot.PassRate != nil {
		note += "，合格率 " + pctCell(*tot.PassRate).String() + "，平均分 " + numCell(*tot.AvgScore).String()
	}
	s.Notes = append([]string{note}, notes(t.OtherScorecards)...)
	return s
}

// Sheet lays the listing of unprocessable calls out, one row per call.
func (t *UnprocessableList) Sheet() Sheet {
	s := Sheet{Name: "无法处理通话", Headers: []string{"通话编号", "日期", "录音", "原因"},
		Title: listTitle("无法处理的通话", t.Scorecard, t.From, t.To, t.Filters)}
	for _, c := range t.Calls {
		s.Rows = append(s.Rows, []Cell{textCell(c.CallID), textCell(c.Date), textCell(c.Recording), textCell(c.Reason)})
	}
	s.Notes = append([]string{fmt.Sprintf("合计：无法处理 %d 通", len(t.Calls))}, notes(t.OtherScorecards)...)
	return s
}

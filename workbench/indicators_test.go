package workbench

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/callqa/callqa/internal/testsvc"
	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/store"
)

// indicatorCall is one result of the indicator fixture.
type indicatorCall struct {
	id, date, team string
	status         string
	passed         bool
	unanswered     bool
	satisfaction   string
	durationS      float64
	talkS          float64
	// complaints are the starts of its complaint findings, reviews the
	// decisions on them ("" none) in the same order.
	complaints []float64
	reviews    []string
}

// indicatorFixture: every call answered unless marked, hotline v1.
//
//	call day    team unproc/pass  survey        dur  talk complaint findings (review)
//	A   11-25   一组 pass         dissatisfied  100   60  10.0 confirm
//	B   11-25   一组 pass         satisfied     200  100  5.0 overturn
//	C   11-25   二组 FAIL         basic          50   20  3.0 (none; a review at 9.999 s is of no finding)
//	D   11-26   二组 pass         -             150   90  1.0 overturn, 8.0 (none)
//	E   12-01   一组 pass         satisfied     300  200  - (a confirmed greeting finding)
//	F   12-01   二组 unprocessable satisfied      0    0  -
//	G   12-01   一组 pass, answered: false, satisfied, 30 s, 5 s, 2.0 confirm
//	H   12-01   二组 pass         dissatisfied  100   50  2.0 confirm, 4.0 overturn
//
// All calls: 8 results, 7 answered (G is not); 7 inspected, 6 passed, 1
// unprocessable; complaint calls among the answered: A B C D H = 5, of
// which confirmed A H = 2, awaiting review C D = 2 (D: one overturned, one
// undecided), all overturned B = 1; G's confirmed complaint is not an
// answered call. Surveys of answered calls: A B C E F H = 6 (D none; G
// not answered): satisfied B E F = 3, basic C = 1, dissatisfied A H = 2.
// Answered time 100+200+50+150+300+0+100 = 900 s, agent talk
// 60+100+20+90+200+0+50 = 520 s.
var indicatorFixture = []indicatorCall{
	{"A", "2026-11-25", "一组", models.StatusInspected, true, false, models.SatisfactionDissatisfied, 100, 60, []float64{10}, []string{DecisionConfirm}},
	{"B", "2026-11-25", "一组", models.StatusInspected, true, false, models.SatisfactionSatisfied, 200, 100, []float64{5}, []string{DecisionOverturn}},
	{"C", "2026-11-25", "二组", models.StatusInspected, false, false, models.SatisfactionBasic, 50, 20, []float64{3}, []string{""}},
	{"D", "2026-11-26", "二组", models.StatusInspected, true, false, "", 150, 90, []float64{1, 8}, []string{DecisionOverturn, ""}},
	{"E", "2026-12-01", "一组", models.StatusInspected, true, false, models.SatisfactionSatisfied, 300, 200, nil, nil},
	{"F", "2026-12-01", "二组", models.StatusUnprocessable, false, false, models.SatisfactionSatisfied, 0, 0, nil, nil},
	{"G", "2026-12-01", "一组", models.StatusInspected, true, true, models.SatisfactionSatisfied, 30, 5, []float64{2}, []string{DecisionConfirm}},
	{"H", "2026-12-01", "二组", models.StatusInspected, true, false, models.SatisfactionDissatisfied, 100, 50, []float64{2, 4}, []string{DecisionConfirm, DecisionOverturn}},
}

// saveIndicatorFixture stores the fixture with its reviews, and results
// of another scorecard version that must not count.
func saveIndicatorFixture(t *testing.T, st *store.Store, wb *Workbench) {
	t.Helper()
	ctx := context.Background()
	cst := time.FixedZone("CST", 8*3600)
	for _, c := range indicatorFixture {
		day, _ := time.ParseInLocation(time.DateOnly, c.date, cst)
		started := day.Add(10 * time.Hour)
		rec := strings.ReplaceAll(c.date, "-", "/") + "/" + c.id + ".wav"
		r := &models.Result{CallID: c.id, Recording: rec, Status: c.status,
			Scorecard: models.ScorecardRef{ID: "hotline", Version: 1},
			Meta: models.CallMeta{CallID: c.id, AgentID: "A-" + c.team, AgentName: "坐席" + c.team, Team: c.team, Queue: "养老",
				StartedAt: &started, Satisfaction: c.satisfaction},
			Findings: []models.Finding{}, Passed: c.passed, Score: 90}
		if c.unanswered {
			no := false
			r.Meta.Answered = &no
		}
		if c.status == models.StatusInspected {
			r.Audio = &models.AudioInfo{Format: "pcm_s16le", SampleRate: 8000, Channels: 2, DurationS: c.durationS}
			r.Metrics = &models.Metrics{Agent: &models.SpeakerMetrics{TalkS: c.talkS}, Customer: &models.SpeakerMetrics{TalkS: 1}}
		} else {
			r.Error = "not a RIFF file"
		}
		for _, start := range c.complaints {
			r.Findings = append(r.Findings, models.Finding{Rule: "complaint_risk", Name: "投诉风险", Start: start, End: start + 1,
				Review: true, Indicator: models.IndicatorComplaint})
		}
		if c.id == "E" {
			r.Findings = append(r.Findings, models.Finding{Rule: "greeting", Name: "开场白", Start: 0, End: 10, Deduct: 10})
		}
		if err := st.SaveResult(ctx, "", r); err != nil {
			t.Fatal(err)
		}
		review := func(rule string, start float64, decision string) {
			t.Helper()
			if err := wb.SaveReview(ctx, Review{Recording: rec, CallID: c.id, Rule: rule, StartMS: models.StartMS(start),
				Decision: decision, Reviewer: "qa"}, ""); err != nil {
				t.Fatal(err)
			}
		}
		for i, d := range c.reviews {
			if d != "" {
				review("complaint_risk", c.complaints[i], d)
			}
		}
		switch c.id {
		case "C":
			review("complaint_risk", 9.999, DecisionConfirm) // no finding starts there
		case "E":
			review("greeting", 0, DecisionConfirm) // not a complaint rule
		}
		// The same recording under another version: never counted.
		old := *r
		old.Scorecard.Version = 2
		old.Meta.Satisfaction = ""
		if err := st.SaveResult(ctx, "", &old); err != nil {
			t.Fatal(err)
		}
	}
}

// countString renders an store.IndicatorCount compactly.
func countString(c store.IndicatorCount) string {
	return fmt.Sprintf("%s/%s results=%d answered=%d inspected=%d passed=%d unprocessable=%d complaint=%d/%d/%d/%d survey=%d:%d/%d/%d time=%g/%g",
		c.Key, c.Label, c.Results, c.Answered, c.Inspected, c.Passed, c.Unprocessable,
		c.ComplaintFlagged, c.ComplaintConfirmed, c.ComplaintPending, c.ComplaintOverturned(),
		c.Surveyed, c.Satisfied, c.Basic, c.Dissatisfied, c.AnsweredS, c.AgentTalkS)
}

// TestIndicatorCounts checks the hand-computed counts of the fixture on
// every backend: SQLite and PostgreSQL agree with the hand and so with
// each other.
func TestIndicatorCounts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := store.ReportFilter{Scorecard: models.ScorecardRef{ID: "hotline", Version: 1}}
	tests := []struct {
		name string
		f    store.ReportFilter
		by   string
		want []string
	}{
		{"all", f, store.GroupAll, []string{
			"/ results=8 answered=7 inspected=7 passed=6 unprocessable=1 complaint=5/2/2/1 survey=6:3/1/2 time=900/520"}},
		// 11: A B C D; 12: E F G H (G not answered).
		{"by month", f, store.GroupMonth, []string{
			"2026-11/2026-11 results=4 answered=4 inspected=4 passed=3 unprocessable=0 complaint=4/1/2/1 survey=3:1/1/1 time=500/270",
			"2026-12/2026-12 results=4 answered=3 inspected=3 passed=3 unprocessable=1 complaint=1/1/0/0 survey=3:2/0/1 time=400/250"}},
		// 一组: A B E G; 二组: C D F H.
		{"by team", f, store.GroupTeam, []string{
			"一组/一组 results=4 answered=3 inspected=4 passed=4 unprocessable=0 complaint=2/1/0/1 survey=3:2/0/1 time=600/360",
			"二组/二组 results=4 answered=4 inspected=3 passed=2 unprocessable=1 complaint=3/1/2/0 survey=3:1/1/1 time=300/160"}},
		{"by agent", f, store.GroupAgent, []string{
			"A-一组/坐席一组 results=4 answered=3 inspected=4 passed=4 unprocessable=0 complaint=2/1/0/1 survey=3:2/0/1 time=600/360",
			"A-二组/坐席二组 results=4 answered=4 inspected=3 passed=2 unprocessable=1 complaint=3/1/2/0 survey=3:1/1/1 time=300/160"}},
		{"one day", store.ReportFilter{Scorecard: f.Scorecard, From: "2026-11-26", To: "2026-11-26"}, store.GroupDay, []string{
			"2026-11-26/2026-11-26 results=1 answered=1 inspected=1 passed=1 unprocessable=0 complaint=1/0/1/0 survey=0:0/0/0 time=150/90"}},
		{"nothing selected", store.ReportFilter{Scorecard: f.Scorecard, From: "2027-01-01"}, store.GroupAll, []string{
			"/ results=0 answered=0 inspected=0 passed=0 unprocessable=0 complaint=0/0/0/0 survey=0:0/0/0 time=0/0"}},
		{"nothing selected by team", store.ReportFilter{Scorecard: f.Scorecard, From: "2027-01-01"}, store.GroupTeam, nil},
	}
	eachBackend(t, func(t *testing.T, st *store.Store, wb *Workbench) {
		saveIndicatorFixture(t, st, wb)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				cs, err := st.IndicatorCounts(ctx, tt.f, tt.by)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, c := range cs {
					got = append(got, countString(c))
				}
				if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
					t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
				}
			})
		}
		if _, err := st.IndicatorCounts(ctx, f, "planet"); err == nil {
			t.Error("unknown grouping: no error")
		}
		// The month grouping of the reviewed pass rates: 11: A B D pass, C
		// fails; 12: E G H pass (F is unprocessable).
		sc := &models.Scorecard{ID: "hotline", Version: 1, BaseScore: 100, PassScore: 85,
			Rules: []models.Rule{{ID: "complaint_risk", Name: "投诉风险", Review: true, Indicator: models.IndicatorComplaint}}}
		rates, err := wb.GroupedPassRates(ctx, sc, CallFilter{ScorecardID: "hotline", ScorecardVersion: 1}, store.GroupMonth)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rates[store.GroupMonth] {
			got = append(got, fmt.Sprintf("%s %d/%d", r.Key, r.ReviewedPassed, r.Calls))
		}
		if strings.Join(got, ",") != "2026-11 3/4,2026-12 3/3" {
			t.Errorf("reviewed pass rates by month: %v", got)
		}
	})
}

// TestSaveResultIndicatorColumns: a result saved again with other survey
// fields replaces its columns; findings keep their indicator.
func TestSaveResultIndicatorColumns(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	eachBackend(t, func(t *testing.T, st *store.Store, wb *Workbench) {
		no := false
		r := &models.Result{CallID: "C1", Recording: "2026/11/25/C1.wav", Status: models.StatusInspected, Scorecard: testsvc.Scorecard,
			Meta:     models.CallMeta{Answered: &no, Satisfaction: models.SatisfactionBasic},
			Metrics:  &models.Metrics{Agent: &models.SpeakerMetrics{TalkS: 12.5}},
			Findings: []models.Finding{{Rule: "risk", Start: 1, Indicator: models.IndicatorComplaint}, {Rule: "greeting", Start: 0}}}
		read := func() string {
			t.Helper()
			var answered, complaint int
			var sat string
			var talk float64
			if err := st.DB().QueryRowContext(ctx, `SELECT answered, satisfaction, agent_talk_s, complaint FROM results WHERE recording = $1`,
				r.Recording).Scan(&answered, &sat, &talk, &complaint); err != nil {
				t.Fatal(err)
			}
			rows, err := st.DB().QueryContext(ctx, `SELECT rule, indicator FROM findings WHERE recording = $1 ORDER BY seq`, r.Recording)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var fs []string
			for rows.Next() {
				var rule, ind string
				if err := rows.Scan(&rule, &ind); err != nil {
					t.Fatal(err)
				}
				fs = append(fs, rule+":"+ind)
			}
			return fmt.Sprintf("%d %q %g %d %v", answered, sat, talk, complaint, fs)
		}
		if err := st.SaveResult(ctx, "", r); err != nil {
			t.Fatal(err)
		}
		if got, want := read(), `0 "basic" 12.5 1 [risk:complaint greeting:]`; got != want {
			t.Errorf("columns %s, want %s", got, want)
		}
		r.Meta = models.CallMeta{}
		r.Metrics = nil
		r.Findings = []models.Finding{{Rule: "greeting", Start: 0}}
		if err := st.SaveResult(ctx, "", r); err != nil {
			t.Fatal(err)
		}
		if got, want := read(), `1 "" 0 0 [greeting:]`; got != want {
			t.Errorf("columns after a re-save %s, want %s", got, want)
		}
	})
}

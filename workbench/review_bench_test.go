package workbench

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/pipeline/score"
	"github.com/callqa/callqa/store"
)

// seedOutcomes stores n inspected calls of sc spread over 30 days, 7 teams
// (one left empty), 53 agents and 5 queues, with the reviewed-verdict
// cases of TestReviewedPassRate in turn: clean and failed calls, partial
// overturns that do and do not lift a call to a pass, vetoes overturned
// or left standing, a capped rule taking over, final verdicts either way,
// confirmations, a re-inspection with version 2 and unprocessable calls.
// One call in every reviewedEvery goes through those cases; the others are
// clean, passed with one finding, or failed and not reviewed.
func seedOutcomes(tb testing.TB, st *store.Store, wb *Workbench, sc *models.Scorecard, n, reviewedEvery int) {
	tb.Helper()
	ctx := context.Background()
	h := func(rule string, start float64) models.Finding { return hitOf(sc, rule, start) }
	teams := []string{"一组", "二组", "三组", "四组", "五组", "六组", ""}
	queues := []string{"养老", "医保", "就业", "工伤", "咨询"}
	sc2 := &models.Scorecard{ID: sc.ID, Version: 2, BaseScore: sc.BaseScore, PassScore: sc.PassScore, Rules: sc.Rules}
	type decision struct {
		hit      int
		decision string
	}
	pass, fail := true, false
	cases := []struct {
		hits    []models.Finding
		reviews []decision
		verdict *bool
	}{
		{},
		{hits: []models.Finding{h("greeting", 1)}, reviews: []decision{{0, DecisionConfirm}}},
		{hits: []models.Finding{h("greeting", 1), h("closing", 60)}},
		{hits: []models.Finding{h("greeting", 1), h("closing", 60)}, reviews: []decision{{1, DecisionOverturn}}},
		{hits: []models.Finding{h("greeting", 1), h("closing", 60), h("dead_air", 20), h("dead_air", 40)}, reviews: []decision{{1, DecisionOverturn}}},
		{hits: []models.Finding{h("rude", 12)}, reviews: []decision{{0, DecisionOverturn}}},
		{hits: []models.Finding{h("rude", 12), h("complaint", 20)}, reviews: []decision{{1, DecisionOverturn}}},
		{hits: []models.Finding{h("greeting", 1), h("closing", 60)}, reviews: []decision{{1, DecisionOverturn}}, verdict: &fail},
		{verdict: &fail},
		{hits: []models.Finding{h("wrong_info", 10), h("wrong_info", 30)}, reviews: []decision{{0, DecisionOverturn}}},
		{hits: []models.Finding{h("wrong_info", 10), h("wrong_info", 30)}, reviews: []decision{{0, DecisionOverturn}, {1, DecisionOverturn}}},
		{hits: []models.Finding{h("rude", 12)}, verdict: &pass},
		{hits: []models.Finding{h("greeting", 1), h("legacy", 5)}, reviews: []decision{{0, DecisionOverturn}}},
	}
	for i := range n {
		id := fmt.Sprintf("C%06d", i)
		c := cases[i%len(cases)]
		if i%reviewedEvery != 0 {
			c = cases[i%3]
			c.reviews = nil
		}
		agent := fmt.Sprintf("A%03d", i%53)
		started := time.Date(2026, 11, 1+i%30, 9+i%8, i%60, 0, 0, time.FixedZone("CST", 8*3600))
		findings, sco, passed, review := score.Score(sc, c.hits)
		r := &models.Result{
			CallID: id, Recording: "2026/11/" + id + ".wav", Status: models.StatusInspected,
			Scorecard: models.ScorecardRef{ID: sc.ID, Version: 1},
			Meta: models.CallMeta{CallID: id, AgentID: agent, AgentName: "坐席" + agent, Team: teams[i%len(teams)],
				Queue: queues[i%len(queues)], StartedAt: &started},
			Audio:    &models.AudioInfo{Format: "pcm_s16le", SampleRate: 8000, Channels: 2, DurationS: 30},
			Findings: findings, Score: sco, Passed: passed, Review: review,
		}
		if i%41 == 40 { // not inspected: counted by neither
			r.Status, r.Findings, r.Score, r.Passed, r.Review = models.StatusUnprocessable, nil, 0, false, false
		}
		if err := st.SaveResult(ctx, "", r); err != nil {
			tb.Fatal(err)
		}
		if i%17 == 3 { // re-inspected with version 2: the latest version counts
			r2 := *r
			r2.Scorecard.Version = 2
			r2.Findings, r2.Score, r2.Passed, r2.Review = score.Score(sc2, c.hits)
			if err := st.SaveResult(ctx, "", &r2); err != nil {
				tb.Fatal(err)
			}
		}
		for _, d := range c.reviews {
			f := c.hits[d.hit]
			err := wb.SaveReview(ctx, Review{Recording: "2026/11/" + id + ".wav", CallID: id, Rule: f.Rule, StartMS: models.StartMS(f.Start), Decision: d.decision,
				Reviewer: "ann", ScorecardID: sc.ID, ScorecardVersion: 1}, "")
			if err != nil {
				tb.Fatal(err)
			}
		}
		if c.verdict != nil {
			if err := wb.SaveVerdict(ctx, Verdict{Recording: "2026/11/" + id + ".wav", CallID: id, Passed: *c.verdict, Reviewer: "ann"}, ""); err != nil {
				tb.Fatal(err)
			}
		}
	}
}

// dashboardKeys are the groupings of the dashboard with the GroupPassRates
// key function that groups the same way.
var dashboardKeys = []struct {
	by  string
	key func(CallOutcome) (string, string)
}{
	{store.GroupAll, nil},
	{store.GroupDay, func(o CallOutcome) (string, string) { return o.CallDate, "" }},
	{store.GroupTeam, func(o CallOutcome) (string, string) { return o.Team, "" }},
	{store.GroupAgent, func(o CallOutcome) (string, string) { return o.AgentID, o.AgentName }},
	{store.GroupQueue, func(o CallOutcome) (string, string) { return o.Queue, "" }},
}

// BenchmarkDashboardGroups compares the dashboard's reviewed figures (the
// total and the four tables) computed from one outcome per call
// (Outcomes+GroupPassRates) and grouped by the database
// (GroupedPassRates), over 20,000 calls in SQLite.
func BenchmarkDashboardGroups(b *testing.B) {
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite:"+filepath.Join(b.TempDir(), "results.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	wb, err := New(st, Config{BcryptCost: bcrypt.MinCost})
	if err != nil {
		b.Fatal(err)
	}
	sc := reviewScorecard()
	seedOutcomes(b, st, wb, sc, 20000, 10) // a tenth of the calls reviewed
	f := CallFilter{ScorecardID: sc.ID, From: "2026-11-01", To: "2026-11-30"}
	b.Run("outcomes", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			out, err := wb.Outcomes(ctx, sc, f)
			if err != nil {
				b.Fatal(err)
			}
			for _, k := range dashboardKeys {
				GroupPassRates(out, k.key)
			}
		}
	})
	b.Run("grouped", func(b *testing.B) {
		b.ReportAllocs()
		by := []string{store.GroupAll, store.GroupDay, store.GroupTeam, store.GroupAgent, store.GroupQueue}
		for b.Loop() {
			if _, err := wb.GroupedPassRates(ctx, sc, f, by...); err != nil {
				b.Fatal(err)
			}
		}
	})
}

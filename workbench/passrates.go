package workbench

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/outcome"
	"github.com/callqa/callqa/store"
)

// PassRate is the machine and reviewed pass rate of a group of calls.
type PassRate struct {
	Key            string  `json:"key"` // the day, team, agent or queue
	Label          string  `json:"label,omitempty"`
	Calls          int     `json:"calls"`
	Passed         int     `json:"passed"`
	ReviewedPassed int     `json:"reviewed_passed"`
	Verdicts       int     `json:"verdicts"` // calls with a final verdict
	Rate           float64 `json:"rate"`
	ReviewedRate   float64 `json:"reviewed_rate"`
}

// setRates sets the group's rates from its counts (outcome.Rate); a group
// always has calls.
func (g *PassRate) setRates() {
	g.Rate, _ = outcome.Rate(g.Passed, g.Calls)
	g.ReviewedRate, _ = outcome.Rate(g.ReviewedPassed, g.Calls)
}

// GroupPassRates groups outcomes by key (e.g. the call date) and returns
// the machine and reviewed pass rate of each group, by key. A nil key puts
// every call in one group with an empty key.
func GroupPassRates(outcomes []CallOutcome, key func(CallOutcome) (key, label string)) []PassRate {
	groups := map[string]*PassRate{}
	var keys []string
	for _, o := range outcomes {
		k, label := "", ""
		if key != nil {
			k, label = key(o)
		}
		g := groups[k]
		if g == nil {
			g = &PassRate{Key: k, Label: label}
			groups[k] = g
			keys = append(keys, k)
		}
		g.Calls++
		if o.Passed {
			g.Passed++
		}
		if o.ReviewedPassed {
			g.ReviewedPassed++
		}
		if o.Verdict != nil {
			g.Verdicts++
		}
	}
	sort.Strings(keys)
	out := make([]PassRate, 0, len(keys))
	for _, k := range keys {
		g := groups[k]
		g.setRates()
		out = append(out, *g)
	}
	return out
}

// groupKey is the key, in grouping by, of a call of that day, team, agent
// id and queue; ok is false for an unknown grouping.
func groupKey(by, day, team, agent, queue string) (key string, ok bool) {
	switch by {
	case store.GroupAll:
		return "", true
	case store.GroupDay:
		return day, true
	case store.GroupMonth:
		if len(day) >= 7 {
			return day[:7], true
		}
		return day, true
	case store.GroupTeam:
		return team, true
	case store.GroupAgent:
		return agent, true
	case store.GroupQueue:
		return queue, true
	}
	return "", false
}

// GroupedPassRates returns, for each grouping in groups (store.GroupAll,
// store.GroupDay, store.GroupMonth, store.GroupTeam, store.GroupAgent,
// store.GroupQueue), the same figures as GroupPassRates over Outcomes(ctx,
// sc, f) grouped the same way (the agent's label aside: here the smallest
// name the agent's calls carry, there the first call's), read from the
// rollups: the calls, machine passes, final verdicts and the reviewed
// passes that need no re-scoring (a final verdict decides, else a machine
// pass stands). Only the calls Outcomes re-scores (failed, no final
// verdict, an overturned finding: found from the overturned reviews, a
// few) are read row by row and re-scored, in Go by
// outcome.ReviewedPassed, and the passes added to their groups.
//
// f must name one scorecard version and may bound the dates; the rollups
// have no other filter. sc must not be nil.
func (w *Workbench) GroupedPassRates(ctx context.Context, sc *models.Scorecard, f CallFilter, groups ...string) (map[string][]PassRate, error) {
	switch {
	case sc == nil:
		return nil, errors.New("grouped pass rates: nil scorecard")
	case f.ScorecardID == "" || f.ScorecardVersion <= 0:
		return nil, errors.New("grouped pass rates: the filter must name one scorecard version")
	case f.Team != "" || f.Agent != "" || f.Queue != "" || f.Rule != "":
		return nil, errors.New("grouped pass rates: only a scorecard version and dates can be filtered")
	}
	rf := store.ReportFilter{Scorecard: models.ScorecardRef{ID: f.ScorecardID, Version: f.ScorecardVersion}, From: f.From, To: f.To}
	acc := groupAcc{}
	for _, by := range groups {
		if _, ok := groupKey(by, "", "", "", ""); !ok {
			return nil, fmt.Errorf("grouped pass rates: unknown grouping %q", by)
		}
		counts, err := w.st.ReviewedCounts(ctx, rf, by)
		if err != nil {
			return nil, fmt.Errorf("grouped pass rates: %w", err)
		}
		gs := make(map[string]*PassRate, len(counts))
		for _, c := range counts {
			if c.Inspected == 0 {
				continue
			}
			label := ""
			if by == store.GroupAgent {
				label = c.Label
			}
			gs[c.Key] = &PassRate{Key: c.Key, Label: label, Calls: c.Inspected, Passed: c.Passed,
				ReviewedPassed: c.Reviewed.Passed, Verdicts: c.Reviewed.Verdicts}
		}
		acc[by] = gs
	}
	if err := w.addRescored(ctx, sc, f, acc); err != nil {
		return nil, fmt.Errorf("grouped pass rates: %w", err)
	}
	return acc.rates(), nil
}

// groupAcc sums pass-rate counts into the groups of several groupings.
type groupAcc map[string]map[string]*PassRate

func newGroupAcc(groups []string) groupAcc {
	acc := groupAcc{}
	for _, by := range groups {
		acc[by] = map[string]*PassRate{}
	}
	return acc
}

// add adds the counts c of the calls of one day, team, agent and queue.
func (acc groupAcc) add(day, team, agent, queue, agentName string, c PassRate) {
	for by, gs := range acc {
		k, _ := groupKey(by, day, team, agent, queue)
		g := gs[k]
		if g == nil {
			g = &PassRate{Key: k}
			if by == store.GroupAgent {
				g.Label = agentName
			}
			gs[k] = g
		}
		if by == store.GroupAgent && agentName < g.Label {
			g.Label = agentName
		}
		g.Calls += c.Calls
		g.Passed += c.Passed
		g.Verdicts += c.Verdicts
		g.ReviewedPassed += c.ReviewedPassed
	}
}

// rates returns each grouping's groups by key, with their rates.
func (acc groupAcc) rates() map[string][]PassRate {
	out := make(map[string][]PassRate, len(acc))
	for by, gs := range acc {
		rates := make([]PassRate, 0, len(gs))
		for _, g := range gs {
			g.setRates()
			rates = append(rates, *g)
		}
		sort.Slice(rates, func(i, j int) bool { return rates[i].Key < rates[j].Key })
		out[by] = rates
	}
	return out
}

// addRescored re-scores the calls Outcomes re-scores (where and args are
// the filter's) and adds those that pass to their group of each grouping
// in acc.
func (w *Workbench) addRescored(ctx context.Context, sc *models.Scorecard, f CallFilter, acc groupAcc) error {
	where, args := f.where()
	type call struct {
		key                     resultKey
		day, team, agent, queue string
	}
	rows, err := w.db.QueryContext(ctx, w.q(`SELECT r.recording, r.scorecard_id, r.scorecard_version, r.call_date, r.team, r.agent_id, r.queue
		FROM `+rescoreFrom+`
		WHERE `+where+rescoreCond), args...)
	if err != nil {
		return fmt.Errorf("calls to re-score: %w", err)
	}
	defer rows.Close()
	var calls []call
	for rows.Next() {
		var c call
		if err := rows.Scan(&c.key.recording, &c.key.scorecardID, &c.key.version, &c.day, &c.team, &c.agent, &c.queue); err != nil {
			return fmt.Errorf("calls to re-score: %w", err)
		}
		calls = append(calls, c)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("calls to re-score: %w", err)
	}
	rows.Close()
	if len(calls) == 0 {
		return nil
	}
	findings, overturned, err := w.rescoreInputs(ctx, where, args)
	if err != nil {
		return err
	}
	for _, c := range calls {
		if !outcome.ReviewedPassed(sc, false, nil, findings[c.key], overturned[c.key.recording].has) {
			continue
		}
		for by, gs := range acc {
			k, _ := groupKey(by, c.day, c.team, c.agent, c.queue)
			g := gs[k]
			if g == nil { // the grouped query counted every selected call
				return fmt.Errorf("re-scored call %s: no %s group %q", c.key.recording, by, k)
			}
			g.ReviewedPassed++
		}
	}
	return nil
}

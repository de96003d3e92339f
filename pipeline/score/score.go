// Package score turns a call's rule hits into a score and a verdict.
//
// The score starts at the scorecard's base_score. Each hit of a rule costs
// the rule's deduct, until the rule has cost max_deduct in total (default:
// one deduction, max_deduct = deduct); hits past the cap are still listed,
// at cost 0, and a hit that would cross the cap costs only what is left.
// Hits are charged in time order, so the earliest hits carry the cost. The
// score is floored at 0 and rounded to 0.01. A veto rule's hit fails the call whatever the
// score. A call passes when its score reaches pass_score and no veto rule
// was hit; it needs review when any hit asks for it.
package score

import (
	"math"
	"sort"

	"github.com/callqa/callqa/models"
)

// Score scores hits (as returned by rules.Checker.Check) against sc. out is a
// copy of hits sorted by start time then rule id, each with Deduct set to
// what the hit actually cost. Hits of rules sc does not know cost their own
// Deduct, capped at one deduction. sc must not be nil.
func Score(sc *models.Scorecard, hits []models.Finding) (out []models.Finding, score float64, passed, review bool) {
	out = make([]models.Finding, len(hits))
	copy(out, hits)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Start != out[j].Start {
			return out[i].Start < out[j].Start
		}
		return out[i].Rule < out[j].Rule
	})

	rules := make(map[string]*models.Rule, len(sc.Rules))
	for i := range sc.Rules {
		rules[sc.Rules[i].ID] = &sc.Rules[i]
	}
	spent := make(map[string]float64)
	var total float64
	veto := false
	for i := range out {
		f := &out[i]
		deduct, limit := f.Deduct, f.Deduct
		if r, ok := rules[f.Rule]; ok {
			deduct, limit = r.Deduct, r.Deduct
			if r.MaxDeduct > 0 {
				limit = r.MaxDeduct
			}
			f.Veto = f.Veto || r.Veto
			f.Review = f.Review || r.Review
			if f.Indicator == "" {
				f.Indicator = r.Indicator
			}
		}
		cost := math.Max(0, math.Min(deduct, limit-spent[f.Rule]))
		spent[f.Rule] += cost
		f.Deduct = cost
		total += cost
		veto = veto || f.Veto
		review = review || f.Review
	}
	// Rounded to 0.01 so that sums of decimal deductions (0.1 + 0.2) do not
	// leave a score a hair below the pass mark.
	score = math.Max(0, math.Round((sc.BaseScore-total)*100)/100)
	passed = score >= sc.PassScore && !veto
	return out, score, passed, review
}

// Rescore is the verdict of a call scored with sc from its stored findings
// without those a reviewer overturned (overturned reports them by rule and
// models.StartMS of their start). Each remaining finding costs its rule's
// deduct in sc again (a stored finding carries its cost after capping, so
// a later hit of a capped rule that cost nothing now costs the deduction
// of the overturned one), or its stored cost when sc lacks the rule; a
// veto left standing still fails the call. rescored is false when no
// finding was overturned: the stored verdict stands and passed means
// nothing. sc must not be nil.
func Rescore(sc *models.Scorecard, findings []models.Finding, overturned func(rule string, startMS int64) bool) (passed, rescored bool) {
	deduct := make(map[string]float64, len(sc.Rules))
	for _, r := range sc.Rules {
		deduct[r.ID] = r.Deduct
	}
	hits := make([]models.Finding, 0, len(findings))
	for _, f := range findings {
		if overturned(f.Rule, models.StartMS(f.Start)) {
			continue
		}
		if d, ok := deduct[f.Rule]; ok {
			f.Deduct = d
		}
		hits = append(hits, f)
	}
	if len(hits) == len(findings) {
		return false, false
	}
	_, _, passed, _ = Score(sc, hits)
	return passed, true
}

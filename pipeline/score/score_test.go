package score

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/callqa/callqa/models"
)

func testScorecard() *models.Scorecard {
	return &models.Scorecard{
		ID: "t", Version: 1, BaseScore: 100, PassScore: 85,
		Rules: []models.Rule{
			{ID: "greeting", Deduct: 10},
			{ID: "dead_air", Deduct: 5, MaxDeduct: 15},
			{ID: "odd_cap", Deduct: 4, MaxDeduct: 10}, // third hit costs only 2
			{ID: "taboo", Deduct: 30, Veto: true},
			{ID: "complaint_risk", Deduct: 0, Review: true},
			{ID: "tenth", Deduct: 0.1, MaxDeduct: 1},
		},
	}
}

// hit is a finding as the checker produces it: the rule's raw deduct, its
// veto and review flags.
func hit(sc *models.Scorecard, rule string, start float64) models.Finding {
	for _, r := range sc.Rules {
		if r.ID == rule {
			return models.Finding{Rule: rule, Start: start, End: start + 1, Deduct: r.Deduct, Veto: r.Veto, Review: r.Review}
		}
	}
	return models.Finding{Rule: rule, Start: start, End: start + 1, Deduct: 3}
}

func TestScore(t *testing.T) {
	t.Parallel()
	sc := testScorecard()
	type cost struct {
		rule   string
		start  float64
		deduct float64
	}
	tests := []struct {
		name       string
		hits       []models.Finding
		wantCosts  []cost // in output order
		wantScore  float64
		wantPassed bool
		wantReview bool
	}{
		{name: "no hits", wantScore: 100, wantPassed: true},
		{
			name:      "default cap is one deduction",
			hits:      []models.Finding{hit(sc, "greeting", 5), hit(sc, "greeting", 1)},
			wantCosts: []cost{{"greeting", 1, 10}, {"greeting", 5, 0}},
			wantScore: 90, wantPassed: true,
		},
		{
			name: "max_deduct caps repeated hits, earliest pay",
			hits: []models.Finding{
				hit(sc, "dead_air", 40), hit(sc, "dead_air", 10), hit(sc, "dead_air", 30), hit(sc, "dead_air", 20),
			},
			wantCosts: []cost{{"dead_air", 10, 5}, {"dead_air", 20, 5}, {"dead_air", 30, 5}, {"dead_air", 40, 0}},
			wantScore: 85, wantPassed: true,
		},
		{
			name:      "cap not a multiple of deduct",
			hits:      []models.Finding{hit(sc, "odd_cap", 1), hit(sc, "odd_cap", 2), hit(sc, "odd_cap", 3), hit(sc, "odd_cap", 4)},
			wantCosts: []cost{{"odd_cap", 1, 4}, {"odd_cap", 2, 4}, {"odd_cap", 3, 2}, {"odd_cap", 4, 0}},
			wantScore: 90, wantPassed: true,
		},
		{
			name:      "below pass mark",
			hits:      []models.Finding{hit(sc, "greeting", 1), hit(sc, "dead_air", 20), hit(sc, "dead_air", 40)},
			wantCosts: []cost{{"greeting", 1, 10}, {"dead_air", 20, 5}, {"dead_air", 40, 5}},
			wantScore: 80, wantPassed: false,
		},
		{
			name:      "exactly the pass mark passes",
			hits:      []models.Finding{hit(sc, "greeting", 1), hit(sc, "dead_air", 20)},
			wantCosts: []cost{{"greeting", 1, 10}, {"dead_air", 20, 5}},
			wantScore: 85, wantPassed: true,
		},
		{
			name:      "veto fails whatever the score",
			hits:      []models.Finding{hit(sc, "taboo", 12)},
			wantCosts: []cost{{"taboo", 12, 30}},
			wantScore: 70, wantPassed: false,
		},
		{
			name:      "veto rule with no deduction still fails",
			hits:      []models.Finding{{Rule: "veto0", Start: 3, Veto: true}},
			wantCosts: []cost{{"veto0", 3, 0}},
			wantScore: 100, wantPassed: false,
		},
		{
			name:      "review without deduction",
			hits:      []models.Finding{hit(sc, "complaint_risk", 30), hit(sc, "complaint_risk", 50)},
			wantCosts: []cost{{"complaint_risk", 30, 0}, {"complaint_risk", 50, 0}},
			wantScore: 100, wantPassed: true, wantReview: true,
		},
		{
			name: "floored at zero",
			hits: []models.Finding{
				hit(sc, "taboo", 1), hit(sc, "greeting", 2), hit(sc, "dead_air", 3), hit(sc, "dead_air", 4), hit(sc, "dead_air", 5),
				hit(sc, "odd_cap", 6), hit(sc, "odd_cap", 7), hit(sc, "odd_cap", 8), hit(sc, "unknown", 9),
				{Rule: "big", Start: 10, Deduct: 50},
			},
			wantCosts: []cost{
				{"taboo", 1, 30}, {"greeting", 2, 10}, {"dead_air", 3, 5}, {"dead_air", 4, 5}, {"dead_air", 5, 5},
				{"odd_cap", 6, 4}, {"odd_cap", 7, 4}, {"odd_cap", 8, 2}, {"unknown", 9, 3}, {"big", 10, 50},
			},
			wantScore: 0, wantPassed: false,
		},
		{
			name:      "same start sorted by rule id",
			hits:      []models.Finding{hit(sc, "greeting", 0), hit(sc, "dead_air", 0), hit(sc, "complaint_risk", 0)},
			wantCosts: []cost{{"complaint_risk", 0, 0}, {"dead_air", 0, 5}, {"greeting", 0, 10}},
			wantScore: 85, wantPassed: true, wantReview: true,
		},
		{
			name:      "unknown rule costs its own deduct once",
			hits:      []models.Finding{hit(sc, "unknown", 1), hit(sc, "unknown", 2)},
			wantCosts: []cost{{"unknown", 1, 3}, {"unknown", 2, 0}},
			wantScore: 97, wantPassed: true,
		},
		{
			name:      "decimal deductions do not drift",
			hits:      []models.Finding{hit(sc, "tenth", 1), hit(sc, "tenth", 2), hit(sc, "tenth", 3)},
			wantCosts: []cost{{"tenth", 1, 0.1}, {"tenth", 2, 0.1}, {"tenth", 3, 0.1}},
			wantScore: 99.7, wantPassed: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := append([]models.Finding(nil), tc.hits...)
			out, score, passed, review := Score(sc, tc.hits)
			var got []cost
			for _, f := range out {
				got = append(got, cost{f.Rule, f.Start, f.Deduct})
			}
			if !reflect.DeepEqual(got, tc.wantCosts) {
				t.Errorf("costs = %v, want %v", got, tc.wantCosts)
			}
			if score != tc.wantScore || passed != tc.wantPassed || review != tc.wantReview {
				t.Errorf("score, passed, review = %v, %v, %v; want %v, %v, %v",
					score, passed, review, tc.wantScore, tc.wantPassed, tc.wantReview)
			}
			if !reflect.DeepEqual(in, tc.hits) {
				t.Error("Score modified its input")
			}
		})
	}
}

func ExampleScore() {
	sc := &models.Scorecard{
		ID: "demo", Version: 1, BaseScore: 100, PassScore: 85,
		Rules: []models.Rule{{ID: "dead_air", Deduct: 5, MaxDeduct: 10}},
	}
	hits := []models.Finding{
		{Rule: "dead_air", Start: 30, End: 41, Deduct: 5},
		{Rule: "dead_air", Start: 60, End: 70, Deduct: 5},
		{Rule: "dead_air", Start: 90, End: 99, Deduct: 5},
	}
	out, score, passed, _ := Score(sc, hits)
	for _, f := range out {
		fmt.Println(f.Start, f.Deduct)
	}
	fmt.Println(score, passed)
	// Output:
	// 30 5
	// 60 5
	// 90 0
	// 90 true
}

// Package outcome is callqa's one definition of a call's outcome and of
// the quality pass rate (质量控制合格率 = calls passed / calls inspected),
// machine and reviewed. Every figure callqa shows is computed here or, in
// SQL, by queries a test proves equal to this definition on both backends
// (store's TestOutcomeSQL): the batch summary, fleet status, reports,
// indicators and the dashboard.
//
// The rules:
//   - an inspected result either passed or failed (不合格); an
//     unprocessable one (a recording that could not be analysed) is counted
//     apart and is in no rate's denominator;
//   - the pass rate is passed / inspected, undefined (not 0) when nothing
//     was inspected;
//   - the reviewed verdict of a call is a reviewer's final verdict where
//     there is one, else the machine's pass, else the re-scored verdict
//     when findings were overturned (ReviewedPassed); the reviewed pass
//     rate is reviewed passes / inspected.
package outcome

import (
	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/pipeline/score"
)

// Counts are the machine outcomes of a set of results.
type Counts struct {
	// Inspected and Unprocessable count results by status.
	Inspected     int `json:"inspected"`
	Unprocessable int `json:"unprocessable"`
	// Passed is among Inspected: the machine's verdict.
	Passed int `json:"passed"`
}

// Add counts n results of status (models.StatusInspected or
// models.StatusUnprocessable) with the machine verdict passed. Any other
// status is not an outcome and is not counted.
func (c *Counts) Add(status string, passed bool, n int) {
	switch status {
	case models.StatusInspected:
		c.Inspected += n
		if passed {
			c.Passed += n
		}
	case models.StatusUnprocessable:
		c.Unprocessable += n
	}
}

// Merge adds o's counts to c.
func (c *Counts) Merge(o Counts) {
	c.Inspected += o.Inspected
	c.Unprocessable += o.Unprocessable
	c.Passed += o.Passed
}

// Results is the number of results: inspected and unprocessable.
func (c Counts) Results() int { return c.Inspected + c.Unprocessable }

// Failed is the number of inspected results that did not pass (不合格).
func (c Counts) Failed() int { return c.Inspected - c.Passed }

// PassRate is Passed / Inspected, and false when nothing was inspected.
func (c Counts) PassRate() (float64, bool) { return Rate(c.Passed, c.Inspected) }

// ReviewedRate is the reviewed pass rate of the calls c counts, whose
// reviewed figures are r: r.Passed / Inspected, false when nothing was
// inspected.
func (c Counts) ReviewedRate(r Reviewed) (float64, bool) { return Rate(r.Passed, c.Inspected) }

// Reviewed are the reviewed figures of a set of inspected calls.
type Reviewed struct {
	// Passed counts the calls whose reviewed verdict (ReviewedPassed) is a
	// pass.
	Passed int `json:"reviewed_passed"`
	// Verdicts counts the calls with a reviewer's final verdict.
	Verdicts int `json:"verdicts"`
}

// Add counts n inspected calls whose reviewed verdict is passed, of which
// verdicts have a reviewer's final verdict.
func (r *Reviewed) Add(passed bool, verdicts, n int) {
	if passed {
		r.Passed += n
	}
	r.Verdicts += verdicts
}

// Merge adds o's counts to r.
func (r *Reviewed) Merge(o Reviewed) {
	r.Passed += o.Passed
	r.Verdicts += o.Verdicts
}

// Rate is n / d, and false when d is 0: a rate of no calls is undefined,
// not 0 % or 100 %.
func Rate(n, d int) (float64, bool) {
	if d <= 0 {
		return 0, false
	}
	return float64(n) / float64(d), true
}

// RatePtr is Rate as a pointer, nil when undefined (a JSON null).
func RatePtr(n, d int) *float64 {
	r, ok := Rate(n, d)
	if !ok {
		return nil
	}
	return &r
}

// ReviewedPassed is the reviewed verdict of one inspected call:
//
//  1. a reviewer's final verdict, where there is one, replaces the
//     machine's;
//  2. otherwise a call the machine passed stays passed (overturning a
//     finding never costs points);
//  3. otherwise, if some of its findings were overturned, the call is
//     re-scored (score.Rescore with sc, the scorecard it was scored with)
//     from its findings minus the overturned ones;
//  4. otherwise the machine's failed stands.
//
// overturned reports whether the finding of rule starting at startMS
// (models.StartMS) was overturned; nil means none was.
func ReviewedPassed(sc *models.Scorecard, passed bool, verdict *bool, findings []models.Finding, overturned func(rule string, startMS int64) bool) bool {
	switch {
	case verdict != nil:
		return *verdict
	case passed || overturned == nil:
		return passed
	}
	if p, ok := score.Rescore(sc, findings, overturned); ok {
		return p
	}
	return passed
}

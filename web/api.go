package web

import (
	"encoding/json"
	"errors"
	"io"
	"math"
	"mime"
	"net/http"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/store"
	"github.com/callqa/callqa/workbench"
)

// The JSON API mirrors the pages with the same authorisation:
//
//	POST /api/login                 {"name","password"} → {"user","csrf","expires_at"} (sets the cookie)
//	GET  /api/me                    the session's user and CSRF token
//	GET  /api/calls                 the review queue (the page's filters)        reviewer, admin
//	GET  /api/calls/{id}            result, reviews, verdict, reviewed verdict   reviewer, admin
//	GET  /api/calls/{id}/reviews    reviews and verdict                          reviewer, admin
//	POST /api/calls/{id}/reviews    {"rule","start_ms","decision","comment"}     reviewer, admin
//	POST /api/calls/{id}/verdict    {"verdict":"pass"|"fail","comment"}          reviewer, admin
//	GET  /api/reports/pass-rate     ?by=day|team|agent|queue&from&to             every role
//	GET  /api/reports/rules         hit and overturn rates, indicator row        every role
//
// The reports cover the current month (in Config.Location) when neither
// from nor to is given. Both also give "indicators", the evaluation
// indicators of the range (report.IndicatorTable: 质量控制合格率, 投诉率,
// 综合满意率, 成本控制情况, machine and reviewed; spend=YUAN gives the cost).
//	GET  /api/users, /api/audit                                                  admin
//
// POSTs carry the CSRF token in the X-CSRF-Token header.

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request) {
	sess := sessionFrom(r.Context())
	s.json(w, http.StatusOK, map[string]any{"user": sess.User, "csrf": sess.CSRF, "expires_at": sess.ExpiresAt})
}

func (s *Server) apiCalls(w http.ResponseWriter, r *http.Request) {
	sv, err := s.scorecardFor(r)
	if err != nil {
		s.failFilter(w, r, err)
		return
	}
	f, err := s.queueFilter(r.URL.Query(), sv, s.lastDay(r.Context(), sv))
	if err != nil {
		s.failFilter(w, r, err)
		return
	}
	p, err := s.wb.Queue(r.Context(), sv.Scorecard, f)
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	s.json(w, http.StatusOK, p)
}

// apiCallBody is GET /api/calls/{id}.
type apiCallBody struct {
	Result         *models.Result     `json:"result"`
	Reviews        []workbench.Review `json:"reviews"`
	Verdict        *workbench.Verdict `json:"verdict"`
	ReviewedPassed bool               `json:"reviewed_passed"`
	AudioURL       string             `json:"audio_url"`
	// ServedScorecard is the scorecard the workbench serves; Result is of
	// another version when the call has no result of it, and
	// ScorecardNotice then says so.
	ServedScorecard models.ScorecardRef `json:"served_scorecard"`
	ScorecardNotice string              `json:"scorecard_notice,omitempty"`
	// ScorecardsHeld are the scorecard versions in the results (pick one
	// with ?scorecard=ID:VERSION); RescoreNotice says how overturns are
	// re-scored when the server has no definition of the served version.
	ScorecardsHeld []store.ScorecardUsage `json:"scorecards"`
	RescoreNotice  string                 `json:"rescore_notice,omitempty"`
	// VerdictNotice says the verdict was given on another scorecard version.
	VerdictNotice string `json:"verdict_notice,omitempty"`
	// RestoreNotes say what of the result could not be read again beside
	// the recording (no level envelope, no transcript) and why.
	RestoreNotes []string `json:"restore_notes,omitempty"`
	// Clash lists the other recordings whose metadata carry the same
	// call id (other calls, stored and counted apart).
	Clash []workbench.CallRecording `json:"clash,omitempty"`
}

func (s *Server) apiCall(w http.ResponseWriter, r *http.Request) {
	c, err := s.callOf(r)
	if err != nil {
		s.failCall(w, r, err)
		return
	}
	sv, err := s.scorecardFor(r)
	if err != nil {
		s.failCall(w, r, err)
		return
	}
	v, err := s.callData(r, c, sv)
	if err != nil {
		s.failCall(w, r, err)
		return
	}
	reviews, err := s.wb.Reviews(r.Context(), c.Rec)
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	if reviews == nil {
		reviews = []workbench.Review{}
	}
	s.json(w, http.StatusOK, apiCallBody{Result: v.Result, Reviews: reviews, Verdict: v.Verdict,
		ReviewedPassed: v.ReviewedPassed, AudioURL: c.URL("audio"), Clash: v.Clash,
		ServedScorecard: sv.Ref, ScorecardsHeld: sv.Held, RescoreNotice: sv.Notice(),
		ScorecardNotice: v.VersionNotice, VerdictNotice: v.VerdictNotice, RestoreNotes: v.RestoreNotes})
}

func (s *Server) apiReviews(w http.ResponseWriter, r *http.Request) {
	c, err := s.callOf(r)
	if err != nil {
		s.failCall(w, r, err)
		return
	}
	sv, err := s.scorecardFor(r)
	if err != nil {
		s.failCall(w, r, err)
		return
	}
	if _, _, err := s.callResult(r.Context(), c, sv); err != nil {
		s.failCall(w, r, err)
		return
	}
	reviews, err := s.wb.Reviews(r.Context(), c.Rec)
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	verdict, err := s.wb.Verdict(r.Context(), c.Rec)
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	if reviews == nil {
		reviews = []workbench.Review{}
	}
	s.json(w, http.StatusOK, map[string]any{"reviews": reviews, "verdict": verdict})
}

// maxJSONBytes bounds a JSON request body.
const maxJSONBytes = 1 << 16

// decodeJSON reads a JSON request body into v, strictly: one object of
// known fields and nothing after it; a body over maxJSONBytes is tooLarge.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, _ := mime.ParseMediaType(ct); mt != "application/json" {
			return badf("Content-Type 应为 application/json")
		}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxJSONBytes))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			err = errors.New("对象之后还有数据")
			if terr != nil {
				err = terr
			}
		}
	}
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		return tooLarge{mb.Limit}
	}
	if err != nil {
		return badf("请求体不是有效的 JSON: %v", err)
	}
	return nil
}

func (s *Server) apiReviewSubmit(w http.ResponseWriter, r *http.Request) {
	c, err := s.callOf(r)
	if err != nil {
		s.failCall(w, r, err)
		return
	}
	var in reviewInput
	if err := decodeJSON(w, r, &in); err != nil {
		s.failCall(w, r, err)
		return
	}
	rv, err := s.saveReview(r, c, in)
	if err != nil {
		s.failCall(w, r, err)
		return
	}
	s.json(w, http.StatusOK, rv)
}

func (s *Server) apiVerdictSubmit(w http.ResponseWriter, r *http.Request) {
	c, err := s.callOf(r)
	if err != nil {
		s.failCall(w, r, err)
		return
	}
	var in verdictInput
	if err := decodeJSON(w, r, &in); err != nil {
		s.failCall(w, r, err)
		return
	}
	v, err := s.saveVerdict(r, c, in)
	if err != nil {
		s.failCall(w, r, err)
		return
	}
	s.json(w, http.StatusOK, v)
}

func (s *Server) apiPassRate(w http.ResponseWriter, r *http.Request) {
	by := r.URL.Query().Get("by")
	if by == "" {
		by = "day"
	}
	q := r.URL.Query()
	q.Del("by")
	r2 := r.Clone(r.Context())
	r2.URL.RawQuery = q.Encode()
	table, ok := map[string]string{"day": "days", "team": "teams", "agent": "agents", "queue": "queues"}[by]
	if !ok {
		s.fail(w, r, http.StatusBadRequest, badf("by 应为 day、team、agent 或 queue"))
		return
	}
	d, err := s.dashboardData(r2, table, partTotal, "indicator")
	if err != nil {
		s.failFilter(w, r, err)
		return
	}
	rows := map[string][]rateRow{"days": d.Days, "teams": d.Teams, "agents": d.Agents, "queues": d.Queues}[table]
	s.json(w, http.StatusOK, map[string]any{"by": by, "from": d.From, "to": d.To, "scorecard": d.Scorecard,
		"total": jsonRate(d.Total), "rows": jsonRates(rows), "indicator": jsonIndicator(d.Indicator), "indicators": d.Indicators})
}

func (s *Server) apiRules(w http.ResponseWriter, r *http.Request) {
	d, err := s.dashboardData(r, "rules", "indicator")
	if err != nil {
		s.failFilter(w, r, err)
		return
	}
	out := []map[string]any{}
	for _, x := range d.Rules {
		out = append(out, map[string]any{"rule": x.Rule, "name": x.Name, "calls": x.Calls, "hits": x.Hits,
			"hit_rate": f4(x.HitRate), "deduct": x.Deduct, "vetoes": x.Vetoes, "reviewed": x.Reviewed,
			"overturned": x.Overturned, "overturn_rate": nullRate(x.OverturnRate)})
	}
	s.json(w, http.StatusOK, map[string]any{"from": d.From, "to": d.To, "scorecard": d.Scorecard, "rules": out,
		"indicator": jsonIndicator(d.Indicator), "indicators": d.Indicators})
}

// nullRate is a rate for JSON: null when undefined (no calls).
func nullRate(v float64) any {
	x := f4(v)
	if x == "" {
		return nil
	}
	return x
}

func jsonRate(r rateRow) map[string]any {
	return map[string]any{"key": r.Key, "label": r.Label, "inspected": r.Inspected, "passed": r.Passed,
		"rate": nullRate(r.Rate), "reviewed_passed": r.ReviewedPassed, "reviewed_rate": nullRate(r.ReviewedRate),
		"verdicts": r.Verdicts, "avg_score": f4(r.AvgScore), "unprocessable": r.Unprocessable}
}

func jsonRates(rows []rateRow) []map[string]any {
	out := make([]map[string]any, 0, len(rows))
	for _, r := range rows {
		out = append(out, jsonRate(r))
	}
	return out
}

func jsonIndicator(i indicatorRow) map[string]any {
	return map[string]any{"name": i.Name, "weight": i.Weight, "target": i.Target, "calls": i.Calls,
		"machine_rate": nullRate(i.MachineRate), "machine_score": nullRate(i.MachineScore),
		"reviewed_rate": nullRate(i.ReviewedRate), "reviewed_score": nullRate(i.ReviewedScore)}
}

// f4 rounds a ratio to 4 decimals; NaN (undefined) becomes "".
func f4(v float64) any {
	if math.IsNaN(v) {
		return ""
	}
	return math.Round(v*10000) / 10000
}

func (s *Server) apiUsers(w http.ResponseWriter, r *http.Request) {
	users, err := s.wb.Users(r.Context())
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	if users == nil {
		users = []workbench.User{}
	}
	s.json(w, http.StatusOK, users)
}

func (s *Server) apiAudit(w http.ResponseWriter, r *http.Request) {
	f, err := s.auditFilter(r)
	if err != nil {
		s.failFilter(w, r, err)
		return
	}
	s.flushRefused(r.Context(), true)
	entries, err := s.wb.AuditLog(r.Context(), f)
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	if entries == nil {
		entries = []workbench.AuditEntry{}
	}
	s.json(w, http.StatusOK, entries)
}

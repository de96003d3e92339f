package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/callqa/callqa/report"
	"github.com/callqa/callqa/workbench"
)

// callFilter reads the shared filter parameters: from, to (YYYY-MM-DD),
// team, agent, queue, rule; the results are those of the served scorecard
// version.
func (s *Server) callFilter(q url.Values, sv *served) (workbench.CallFilter, error) {
	f := workbench.CallFilter{
		ScorecardID: sv.Ref.ID, ScorecardVersion: sv.Ref.Version,
		From: q.Get("from"), To: q.Get("to"),
		Team: q.Get("team"), Agent: q.Get("agent"), Queue: q.Get("queue"), Rule: q.Get("rule"),
	}
	for name, v := range map[string]string{"from": f.From, "to": f.To} {
		if v == "" {
			continue
		}
		if _, err := time.Parse(time.DateOnly, v); err != nil {
			return f, badf("参数 %s=%q 不是日期（应为 YYYY-MM-DD）", name, v)
		}
	}
	if f.From != "" && f.To != "" && f.From > f.To {
		return f, badf("起始日期 %s 晚于结束日期 %s", f.From, f.To)
	}
	for name, v := range map[string]string{"team": f.Team, "agent": f.Agent, "queue": f.Queue, "rule": f.Rule} {
		if len(v) > 200 {
			return f, badf("参数 %s 过长", name)
		}
	}
	return f, nil
}

// queueFilter reads the review queue's parameters. Without from and to,
// the queue covers one day: the most recent call date of the served
// scorecard version's results (lastDay), so that it opens on the latest
// calls however long ago they were inspected, without loading a year of
// calls to pick the flagged ones; today, in the hotline's time zone
// (Config.Location), when there are none.
func (s *Server) queueFilter(q url.Values, sv *served, lastDay func() (string, error)) (workbench.QueueFilter, error) {
	cf, err := s.callFilter(q, sv)
	if err != nil {
		return workbench.QueueFilter{}, err
	}
	if cf.From == "" && cf.To == "" {
		day, err := lastDay()
		if err != nil {
			return workbench.QueueFilter{}, err
		}
		if day == "" {
			day = s.today().Format(time.DateOnly)
		}
		cf.From, cf.To = day, day
	}
	f := workbench.QueueFilter{CallFilter: cf, CalibrationRate: s.cfg.CalibrationRate, PageSize: s.cfg.PageSize, Page: 1,
		Status: q.Get("status"), Reason: q.Get("reason"), Sort: q.Get("sort")}
	if f.Status != "" && f.Status != workbench.StatusPending && f.Status != workbench.StatusReviewed {
		return f, badf("参数 status=%q 无效（pending 或 reviewed）", f.Status)
	}
	if f.Reason != "" && !slices.Contains([]string{workbench.ReasonVeto, workbench.ReasonFailed, workbench.ReasonReview, workbench.ReasonCalibration}, f.Reason) {
		return f, badf("参数 reason=%q 无效", f.Reason)
	}
	if f.Sort != "" && !slices.Contains(workbench.QueueSorts, f.Sort) {
		return f, badf("参数 sort=%q 无效", f.Sort)
	}
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1_000_000 {
			return f, badf("参数 page=%q 无效", v)
		}
		f.Page = n
	}
	if v := q.Get("size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			return f, badf("参数 size=%q 无效（1–500）", v)
		}
		f.PageSize = n
	}
	return f, nil
}

// failFilter answers a filter error: 400 for bad parameters, and for a
// range the report package finds too long (an open-ended range that the
// data stretch).
func (s *Server) failFilter(w http.ResponseWriter, r *http.Request, err error) {
	var b badRequest
	if errors.As(err, &b) {
		s.fail(w, r, http.StatusBadRequest, err)
		return
	}
	if errors.Is(err, report.ErrRangeTooLong) {
		s.fail(w, r, http.StatusBadRequest, rangeTooLong())
		return
	}
	s.fail(w, r, http.StatusInternalServerError, err)
}

type queueView struct {
	Card     *served
	Filter   workbench.QueueFilter
	Page     *workbench.QueuePage
	Pages    int
	Query    url.Values
	Rules    []ruleOption
	PrevURL  string
	NextURL  string
	SortURLs map[string]string
}

type ruleOption struct{ ID, Name string }

// withParam returns the query with one parameter replaced, as "?...".
func withParam(q url.Values, key, value string) string {
	c := url.Values{}
	for k, v := range q {
		c[k] = v
	}
	if value == "" {
		c.Del(key)
	} else {
		c.Set(key, value)
	}
	return "?" + c.Encode()
}

func (s *Server) queuePage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	sv, err := s.scorecardFor(r)
	if err != nil {
		s.failFilter(w, r, err)
		return
	}
	f, err := s.queueFilter(q, sv, s.lastDay(r.Context(), sv))
	if err != nil {
		s.failFilter(w, r, err)
		return
	}
	p, err := s.wb.Queue(r.Context(), sv.Scorecard, f)
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	rules, err := s.ruleOptions(r.Context(), sv)
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	s.rememberScorecard(w, r, sv)
	// The links of the page keep the dates the queue shows, the default
	// ones included.
	for k, v := range map[string]string{"from": f.From, "to": f.To} {
		if v != "" {
			q.Set(k, v)
		}
	}
	v := queueView{Card: sv, Filter: f, Page: p, Query: q, Rules: rules, SortURLs: map[string]string{}}
	v.Pages = max(1, (p.Total+p.PageSize-1)/p.PageSize)
	if f.Page > 1 {
		v.PrevURL = withParam(q, "page", strconv.Itoa(f.Page-1))
	}
	if f.Page < v.Pages {
		v.NextURL = withParam(q, "page", strconv.Itoa(f.Page+1))
	}
	for _, so := range workbench.QueueSorts {
		v.SortURLs[so] = withParam(withoutPage(q), "sort", so)
	}
	s.render(w, r, http.StatusOK, "queue", "待复核队列", v)
}

func withoutPage(q url.Values) url.Values {
	c := url.Values{}
	for k, v := range q {
		if k != "page" {
			c[k] = v
		}
	}
	return c
}

// lastDay returns the function that finds the most recent call date of the
// served version's results, for queueFilter.
func (s *Server) lastDay(ctx context.Context, sv *served) func() (string, error) {
	return func() (string, error) { return s.store.LatestCallDate(ctx, sv.Ref) }
}

package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/workbench"
)

// maxCommentLen bounds review and verdict comments (characters).
const maxCommentLen = 2000

// checkComment validates a review or verdict comment: UTF-8 text of at
// most maxCommentLen characters, without control characters other than
// newline and tab (a NUL, an escape sequence). A CRLF line end becomes LF.
func checkComment(c string) (string, error) {
	c = strings.ReplaceAll(c, "\r\n", "\n")
	if !utf8.ValidString(c) {
		return "", badf("备注不是有效的 UTF-8 文本")
	}
	if utf8.RuneCountInString(c) > maxCommentLen {
		return "", badf("备注超过 %d 字", maxCommentLen)
	}
	for _, r := range c {
		if r != '\n' && r != '\t' && unicode.IsControl(r) {
			return "", badf("备注含有控制字符 U+%04X", r)
		}
	}
	return c, nil
}

// reviewInput is a review of one finding, from a form or JSON.
type reviewInput struct {
	Rule     string `json:"rule"`
	StartMS  int64  `json:"start_ms"`
	Decision string `json:"decision"`
	Comment  string `json:"comment"`
}

// saveReview validates a review against the call's current findings and
// stores it.
func (s *Server) saveReview(r *http.Request, c callRef, in reviewInput) (*workbench.Review, error) {
	if in.Decision != workbench.DecisionConfirm && in.Decision != workbench.DecisionOverturn {
		return nil, badf("decision 应为 confirm 或 overturn")
	}
	var err error
	if in.Comment, err = checkComment(in.Comment); err != nil {
		return nil, err
	}
	if in.Decision == workbench.DecisionOverturn && strings.TrimSpace(in.Comment) == "" {
		return nil, badf("推翻时请填写理由")
	}
	sv, err := s.scorecardFor(r)
	if err != nil {
		return nil, err
	}
	res, _, err := s.callResult(r.Context(), c, sv)
	if err != nil {
		return nil, err
	}
	found := false
	for _, f := range res.Findings {
		if f.Rule == in.Rule && models.StartMS(f.Start) == in.StartMS {
			found = true
			break
		}
	}
	if !found {
		return nil, badf("该通话没有规则 %q 在 %d ms 处的命中", in.Rule, in.StartMS)
	}
	rv := workbench.Review{Recording: c.Rec, CallID: c.ID, Rule: in.Rule, StartMS: in.StartMS, Decision: in.Decision,
		Comment: strings.TrimSpace(in.Comment), Reviewer: sessionFrom(r.Context()).User.Name,
		ScorecardID: res.Scorecard.ID, ScorecardVersion: res.Scorecard.Version, ReviewedAt: s.now()}
	if err := s.wb.SaveReview(r.Context(), rv, remoteAddr(r)); err != nil {
		return nil, err
	}
	return &rv, nil
}

// verdictInput is the final verdict on a call.
type verdictInput struct {
	Verdict string `json:"verdict"` // pass or fail
	Comment string `json:"comment"`
}

func (s *Server) saveVerdict(r *http.Request, c callRef, in verdictInput) (*workbench.Verdict, error) {
	if in.Verdict != "pass" && in.Verdict != "fail" {
		return nil, badf("verdict 应为 pass 或 fail")
	}
	var err error
	if in.Comment, err = checkComment(in.Comment); err != nil {
		return nil, err
	}
	sv, err := s.scorecardFor(r)
	if err != nil {
		return nil, err
	}
	res, _, err := s.callResult(r.Context(), c, sv)
	if err != nil {
		return nil, err
	}
	v := workbench.Verdict{Recording: c.Rec, CallID: c.ID, Passed: in.Verdict == "pass", Comment: strings.TrimSpace(in.Comment),
		Reviewer: sessionFrom(r.Context()).User.Name, ScorecardID: res.Scorecard.ID,
		ScorecardVersion: res.Scorecard.Version, ReviewedAt: s.now()}
	if err := s.wb.SaveVerdict(r.Context(), v, remoteAddr(r)); err != nil {
		return nil, err
	}
	return &v, nil
}

func (s *Server) reviewSubmit(w http.ResponseWriter, r *http.Request) {
	c, err := s.callOf(r)
	if err != nil {
		s.failCall(w, r, err)
		return
	}
	ms, err := strconv.ParseInt(r.PostFormValue("start_ms"), 10, 64)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, badf("start_ms 无效"))
		return
	}
	rule := r.PostFormValue("rule")
	_, err = s.saveReview(r, c, reviewInput{Rule: rule, StartMS: ms,
		Decision: r.PostFormValue("decision"), Comment: r.PostFormValue("comment")})
	var bad badRequest
	if errors.As(err, &bad) {
		// Back on the call page, at the finding, with the message and
		// what was typed (an overturn without a reason, say).
		s.renderCall(w, r, c, http.StatusBadRequest, &formError{Message: bad.Error(),
			Finding: fmt.Sprintf("f-%s-%d", rule, ms), Comment: r.PostFormValue("comment")})
		return
	}
	if err != nil {
		s.failCall(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("%s#f-%s-%d", c.URL(), url.PathEscape(rule), ms), http.StatusSeeOther)
}

func (s *Server) verdictSubmit(w http.ResponseWriter, r *http.Request) {
	c, err := s.callOf(r)
	if err != nil {
		s.failCall(w, r, err)
		return
	}
	_, err = s.saveVerdict(r, c, verdictInput{Verdict: r.PostFormValue("verdict"), Comment: r.PostFormValue("comment")})
	var bad badRequest
	if errors.As(err, &bad) {
		s.renderCall(w, r, c, http.StatusBadRequest, &formError{Message: bad.Error(), Comment: r.PostFormValue("comment")})
		return
	}
	if err != nil {
		s.failCall(w, r, err)
		return
	}
	http.Redirect(w, r, c.URL(), http.StatusSeeOther)
}

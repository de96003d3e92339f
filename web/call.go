package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/pipeline"
	"github.com/callqa/callqa/pipeline/rules"
	"github.com/callqa/callqa/store"
	"github.com/callqa/callqa/workbench"
)

type findingView struct {
	Index    int
	Finding  models.Finding
	StartMS  int64
	Review   *workbench.Review
	RuleName string
	// Explain says what the rule found, from the finding's structured
	// evidence (its Evidence text for results stored before it had any).
	Explain string
}

type lineView struct {
	Start, End float64
	Speaker    string
	Text       template.HTML
	Hit        bool
}

// notEvaluatedView is a rule the machine could not check, with the reason
// in words.
type notEvaluatedView struct {
	Rule, Name, Reason string
}

type callView struct {
	Result *models.Result
	// VersionNotice says the call was inspected with another version of
	// the scorecard than the one served (the call has no result of it).
	VersionNotice string
	// RescoreNotice says how overturns are re-scored when the server has
	// no definition of the served scorecard version.
	RescoreNotice string
	// VerdictNotice says the final verdict was given on another scorecard
	// version than the result shown (it still applies: see
	// docs/workbench.md).
	VerdictNotice string
	// RestoreNotes say what of the result could not be read again beside
	// the recording (pipeline.Restore): no waveform, no transcript.
	RestoreNotes   []string
	Findings       []findingView
	EarlierReviews []workbench.Review
	Verdict        *workbench.Verdict
	ReviewedPassed bool
	Waveform       template.HTML
	Lines          []lineView
	BaseScore      float64
	Deducted       float64
	Duration       float64
	Audit          []workbench.AuditEntry
	Reviewed       int
	// Clash lists the other recordings whose metadata carry the same call
	// id: they are other calls, stored and counted apart.
	Clash []workbench.CallRecording
	// FormError is a review or verdict form refused (a bad request), shown
	// where it was filled in.
	FormError *formError
	// CoverageWarnings say which speakers' speech the transcript barely
	// covers (below lowCoverage).
	CoverageWarnings []string
	NotEvaluated     []notEvaluatedView
}

// lowCoverage is the share of a speaker's detected speech under which the
// call page warns that the transcript misses much of what was said.
const lowCoverage = 0.5

// callResult is the call's result with the served scorecard version, the
// one the queue and the dashboard count; a call without one (not yet
// re-inspected) falls back to the newest version of the same scorecard,
// else to its newest result of any scorecard, with a notice.
func (s *Server) callResult(ctx context.Context, c callRef, sv *served) (res *models.Result, notice string, err error) {
	res, err = s.wb.LatestResult(ctx, c.Rec, sv.Ref.ID, sv.Ref.Version)
	if errors.Is(err, store.ErrNotFound) {
		res, err = s.wb.LatestResult(ctx, c.Rec, sv.Ref.ID, 0)
		if errors.Is(err, store.ErrNotFound) {
			res, err = s.wb.LatestResult(ctx, c.Rec, "", 0)
		}
		switch {
		case err != nil:
		case res.Scorecard.ID == sv.Ref.ID:
			notice = fmt.Sprintf("此通话按评分表 v%d 质检，与当前评分表 v%d 不同", res.Scorecard.Version, sv.Ref.Version)
		default:
			notice = fmt.Sprintf("此通话按评分表 %s v%d 质检，与当前评分表 %s v%d 不同", res.Scorecard.ID, res.Scorecard.Version, sv.Ref.ID, sv.Ref.Version)
		}
	}
	return res, notice, err
}

// callData gathers what the call page and the call API show.
func (s *Server) callData(r *http.Request, c callRef, sv *served) (*callView, error) {
	ctx := r.Context()
	res, notice, err := s.callResult(ctx, c, sv)
	if err != nil {
		return nil, err
	}
	// The recordings' storage down is no reason to hide the findings:
	// the page shows what the database holds and says what is missing.
	restoreNotes, err := pipeline.Restore(ctx, s.src, res)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		s.logger.WarnContext(ctx, "call page: cannot read the recording's files", "recording", c.Rec, "err", err)
		restoreNotes = append(restoreNotes, "录音存储暂时无法访问，波形和转写未能读取，请稍后刷新。")
	}
	reviews, err := s.wb.Reviews(ctx, c.Rec)
	if err != nil {
		return nil, err
	}
	verdict, err := s.wb.Verdict(ctx, c.Rec)
	if err != nil {
		return nil, err
	}
	v := &callView{Result: res, VersionNotice: notice, RescoreNotice: sv.Notice(), RestoreNotes: restoreNotes, Verdict: verdict, BaseScore: sv.BaseScore,
		Duration: resultDuration(res), Clash: c.others}
	if verdict != nil && verdict.ScorecardVersion != 0 &&
		(verdict.ScorecardID != res.Scorecard.ID || verdict.ScorecardVersion != res.Scorecard.Version) {
		v.VerdictNotice = fmt.Sprintf("此结论是在评分表 %s v%d 的质检结果上作出的，按通话沿用至当前结果（评分表 %s v%d）",
			verdict.ScorecardID, verdict.ScorecardVersion, res.Scorecard.ID, res.Scorecard.Version)
	}
	byKey := map[string]*workbench.Review{}
	for i := range reviews {
		rv := &reviews[i]
		byKey[rv.Rule+"@"+strconv.FormatInt(rv.StartMS, 10)] = rv
	}
	used := map[*workbench.Review]bool{}
	byID := map[string]*models.Rule{}
	for i := range sv.Rules {
		byID[sv.Rules[i].ID] = &sv.Rules[i]
	}
	for i, f := range res.Findings {
		ms := models.StartMS(f.Start)
		rv := byKey[f.Rule+"@"+strconv.FormatInt(ms, 10)]
		if rv != nil {
			used[rv] = true
			v.Reviewed++
		}
		name := f.Name
		if name == "" && byID[f.Rule] != nil {
			name = byID[f.Rule].Name
		}
		v.Findings = append(v.Findings, findingView{Index: i, Finding: f, StartMS: ms, Review: rv, RuleName: name,
			Explain: explain(f, res, byID[f.Rule])})
		v.Deducted += f.Deduct
	}
	for i := range reviews {
		if !used[&reviews[i]] {
			v.EarlierReviews = append(v.EarlierReviews, reviews[i])
		}
	}
	if math.IsNaN(v.BaseScore) {
		// No definition of the scorecard: the base the stored costs
		// were taken from.
		v.BaseScore = res.Score + v.Deducted
	}
	v.ReviewedPassed = workbench.ReviewedVerdict(sv.Scorecard, res, reviews, verdict)
	v.Waveform = waveformSVG(res)
	v.Lines = transcriptLines(res)
	v.CoverageWarnings = coverageWarnings(res)
	for _, n := range res.NotEvaluated {
		name := n.Rule
		if r := byID[n.Rule]; r != nil {
			name = r.Name
		}
		v.NotEvaluated = append(v.NotEvaluated, notEvaluatedView{Rule: n.Rule, Name: name, Reason: reasonText(n.Reason)})
	}
	return v, nil
}

// coverageWarnings names the speakers whose detected speech the
// transcript covers less than lowCoverage of.
func coverageWarnings(res *models.Result) []string {
	var out []string
	for _, sp := range []string{models.SpeakerAgent, models.SpeakerCustomer, models.SpeakerMixed} {
		c, ok := res.TranscriptCoverage[sp]
		if !ok || c >= lowCoverage {
			continue
		}
		who := speakerName(sp)
		out = append(out, fmt.Sprintf("转写文本只覆盖了%s %.0f%% 的语音：%s说的话大多不在转写里，关于%s的关键词规则可能未评估，未命中不代表没说。",
			who, c*100, who, who))
	}
	return out
}

func speakerName(s string) string {
	switch s {
	case models.SpeakerAgent:
		return "坐席"
	case models.SpeakerCustomer:
		return "客户"
	case models.SpeakerMixed:
		return "通话（单声道）"
	}
	return s
}

// reasonText puts a not-evaluated reason of package rules into words.
func reasonText(reason string) string {
	switch reason {
	case rules.ReasonNoTranscript:
		return "没有转写文本"
	case rules.ReasonNoMetrics:
		return "没有音频测量结果"
	case rules.ReasonMono:
		return "单声道录音，无法区分双方"
	case rules.ReasonUnknownDuration:
		return "录音时长未知"
	case rules.ReasonAgentNotTranscribed:
		return "转写文本里没有坐席的话"
	case rules.ReasonCustomerNotTranscribed:
		return "转写文本里没有客户的话"
	case rules.ReasonNotTranscribed:
		return "转写文本里没有任何人的话"
	case rules.ReasonWindowNotTranscribed:
		return "转写文本没有覆盖规则检查的时间段"
	}
	return reason
}

// howText says in words how a match was found.
var howText = map[string]string{
	models.MatchExact:   "原文",
	models.MatchDigits:  "数字归一",
	models.MatchPinyin:  "拼音同音",
	models.MatchAccent:  "口音近音",
	models.MatchPattern: "正则",
}

// explain says what a finding found, from its structured evidence: the
// quoted words and how they matched, the phrases missing from the window,
// or the measured value against the rule's limit. Findings stored before
// results had structured evidence fall back to their Evidence text.
func explain(f models.Finding, res *models.Result, rule *models.Rule) string {
	switch {
	case len(f.Matches) > 0 && f.Utterance != nil && res.Transcript != nil && *f.Utterance >= 0 && *f.Utterance < len(res.Transcript.Utterances):
		text := res.Transcript.Utterances[*f.Utterance].Text
		var parts []string
		for _, m := range f.Matches {
			q := "「" + runeSlice(text, m.Start, m.End) + "」"
			switch m.How {
			case models.MatchExact:
			case models.MatchPattern:
				q += "（正则 " + m.Phrase + "）"
			default:
				q += "（" + howText[m.How] + "匹配「" + m.Phrase + "」）"
			}
			if !slices.Contains(parts, q) {
				parts = append(parts, q)
			}
		}
		return "命中" + strings.Join(parts, "、")
	case len(f.Missing) > 0:
		where := ""
		if rule != nil && rule.Within != nil {
			switch {
			case rule.Within.FirstSeconds > 0:
				where = fmt.Sprintf("前 %s 秒内", trimFloat(rule.Within.FirstSeconds))
			case rule.Within.LastSeconds > 0:
				where = fmt.Sprintf("最后 %s 秒内", trimFloat(rule.Within.LastSeconds))
			}
		}
		return where + "未找到：" + strings.Join(f.Missing, " / ")
	case f.Value != nil && f.Limit != nil:
		op := "超过"
		if *f.Value < *f.Limit {
			op = "低于"
		}
		if f.Unit == models.UnitSeconds && *f.Value >= *f.Limit {
			op = "达到"
		}
		return fmt.Sprintf("%s，%s阈值 %s", measure(*f.Value, f.Unit), op, measure(*f.Limit, f.Unit))
	}
	return f.Evidence
}

// measure writes a measured value with its unit.
func measure(v float64, unit string) string {
	switch unit {
	case models.UnitSeconds:
		return fmt.Sprintf("%.1f 秒", v)
	case models.UnitCPM:
		return fmt.Sprintf("%.0f 字/分", v)
	case models.UnitDBFS:
		return fmt.Sprintf("%.1f dBFS", v)
	case models.UnitRatio:
		return fmt.Sprintf("%.2f%%", v*100)
	}
	return trimFloat(v) + " " + unit
}

// transcriptLines renders the transcript with the matched spans of the
// findings highlighted: each finding names its utterance and the
// character offsets of its matches.
func transcriptLines(res *models.Result) []lineView {
	if res.Transcript == nil {
		return nil
	}
	spans := make([][][2]int, len(res.Transcript.Utterances))
	for _, f := range res.Findings {
		if f.Utterance == nil || *f.Utterance < 0 || *f.Utterance >= len(spans) {
			continue
		}
		i := *f.Utterance
		if spans[i] == nil {
			spans[i] = [][2]int{}
		}
		for _, m := range f.Matches {
			spans[i] = append(spans[i], [2]int{m.Start, m.End})
		}
	}
	out := make([]lineView, 0, len(res.Transcript.Utterances))
	for i, u := range res.Transcript.Utterances {
		out = append(out, lineView{Start: u.Start, End: u.End, Speaker: u.Speaker, Text: highlight(u.Text, spans[i]), Hit: spans[i] != nil})
	}
	return out
}

// highlight escapes text and wraps the characters of the spans ([start,
// end) character offsets; out-of-range parts ignored) in <mark>.
func highlight(text string, spans [][2]int) template.HTML {
	n := utf8.RuneCountInString(text)
	marked := make([]bool, n)
	for _, sp := range spans {
		for k := max(sp[0], 0); k < min(sp[1], n); k++ {
			marked[k] = true
		}
	}
	var b strings.Builder
	in := false
	for i, k := 0, 0; i < len(text); k++ {
		_, size := utf8.DecodeRuneInString(text[i:])
		if marked[k] != in {
			if in {
				b.WriteString("</mark>")
			} else {
				b.WriteString("<mark>")
			}
			in = marked[k]
		}
		b.WriteString(template.HTMLEscapeString(text[i : i+size]))
		i += size
	}
	if in {
		b.WriteString("</mark>")
	}
	return template.HTML(b.String()) // #nosec: escaped above
}

// runeSlice returns the characters [start, end) of s (clamped).
func runeSlice(s string, start, end int) string {
	from, to := len(s), len(s)
	for i, k := 0, 0; i <= len(s); k++ {
		if k == start {
			from = i
		}
		if k == end {
			to = i
			break
		}
		if i == len(s) {
			break
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	if from > to {
		return ""
	}
	return s[from:to]
}

// callRef names the call a request is about: its call id (the {id} path
// value) and its recording (the rec query parameter, or the one recording
// that carries the call id).
type callRef struct {
	ID, Rec string
	// others are the other recordings that carry the same call id.
	others []workbench.CallRecording
}

// URL is the call's page (or sub-resource) URL.
func (c callRef) URL(sub ...string) string { return callURL(c.ID, c.Rec, sub...) }

// ambiguousCall is a call id that several recordings carry, requested
// without saying which: the answer lists them (300 Multiple Choices).
type ambiguousCall struct {
	id   string
	recs []workbench.CallRecording
}

func (a ambiguousCall) Error() string {
	return fmt.Sprintf("通话编号 %s 对应 %d 条录音，请选择其中一条", a.id, len(a.recs))
}

// callOf validates the {id} path value and the rec query parameter and
// finds the call's recording: rec must carry the call id; without rec the
// call id must name exactly one recording (ambiguousCall otherwise).
func (s *Server) callOf(r *http.Request) (callRef, error) {
	id := r.PathValue("id")
	if id == "" || len(id) > 200 || strings.ContainsAny(id, "\x00/\\") {
		return callRef{}, badf("无效的通话编号")
	}
	rec := r.URL.Query().Get("rec")
	if len(rec) > 1024 || strings.ContainsRune(rec, 0) {
		return callRef{}, badf("无效的录音")
	}
	recs, err := s.wb.CallRecordings(r.Context(), id)
	if err != nil {
		return callRef{}, err
	}
	c := callRef{ID: id}
	for _, cr := range recs {
		if rec == "" && len(recs) == 1 || cr.Recording == rec {
			c.Rec = cr.Recording
		} else {
			c.others = append(c.others, cr)
		}
	}
	switch {
	case len(recs) == 0 || rec != "" && c.Rec == "":
		return callRef{}, fmt.Errorf("call %s: %w", id, store.ErrNotFound)
	case c.Rec == "":
		return callRef{}, ambiguousCall{id: id, recs: recs}
	}
	return c, nil
}

// failCall maps call lookup errors: 400 bad id, 404 unknown call, 300 a
// call id of several recordings (listed); and 413 for a body too large.
func (s *Server) failCall(w http.ResponseWriter, r *http.Request, err error) {
	var b badRequest
	var amb ambiguousCall
	var tl tooLarge
	switch {
	case errors.As(err, &amb):
		s.ambiguous(w, r, amb)
	case errors.As(err, &tl):
		s.fail(w, r, http.StatusRequestEntityTooLarge, tl)
	case errors.As(err, &b):
		s.fail(w, r, http.StatusBadRequest, err)
	case errors.Is(err, store.ErrNotFound):
		s.fail(w, r, http.StatusNotFound, errors.New("找不到该通话"))
	default:
		s.fail(w, r, http.StatusInternalServerError, err)
	}
}

// ambiguous answers a call id that several recordings carry: the API
// lists them in JSON, the page links each.
func (s *Server) ambiguous(w http.ResponseWriter, r *http.Request, a ambiguousCall) {
	if isAPI(r) || strings.Contains(r.Header.Get("Accept"), "application/json") {
		type choice struct {
			workbench.CallRecording
			URL string `json:"url"`
		}
		body := struct {
			apiError
			Recordings []choice `json:"recordings"`
		}{apiError: apiError{Error: a.Error(), Status: http.StatusMultipleChoices}}
		for _, c := range a.recs {
			body.Recordings = append(body.Recordings, choice{c, "/api" + callURL(a.id, c.Recording)})
		}
		s.json(w, http.StatusMultipleChoices, body)
		return
	}
	s.render(w, r, http.StatusMultipleChoices, "choose", "通话 "+a.id, struct {
		ID         string
		Message    string
		Recordings []workbench.CallRecording
	}{a.id, a.Error(), a.recs})
}

func (s *Server) callPage(w http.ResponseWriter, r *http.Request) {
	c, err := s.callOf(r)
	if err != nil {
		s.failCall(w, r, err)
		return
	}
	s.renderCall(w, r, c, http.StatusOK, nil)
}

// formError is a review or verdict form the call page refused, shown on
// the page above the form it came from.
type formError struct {
	Message string
	// Finding is the anchor of the finding reviewed (f-RULE-MS), "" for
	// the verdict form; Comment is what was typed, kept in the form.
	Finding string
	Comment string
	// Top shows the message above the findings: a review of a finding
	// the page does not list.
	Top bool
}

// renderCall renders the call page, with the message of a refused form
// when fe is not nil.
func (s *Server) renderCall(w http.ResponseWriter, r *http.Request, c callRef, status int, fe *formError) {
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
	v.Audit, err = s.wb.AuditLog(r.Context(), workbench.AuditFilter{Recording: c.Rec, Limit: 30})
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	if fe != nil && fe.Finding != "" && !slices.ContainsFunc(v.Findings, func(f findingView) bool {
		return fmt.Sprintf("f-%s-%d", f.Finding.Rule, f.StartMS) == fe.Finding
	}) {
		fe.Finding, fe.Top = "", true
	}
	v.FormError = fe
	s.render(w, r, status, "call", "通话 "+c.ID, v)
}

package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/pipeline/decode"
	"github.com/callqa/callqa/storage"
)

// maxCommentLen bounds review and verdict comments (characters).
const maxCommentLen = 2000

type findingView struct {
	Index    int
	Finding  models.Finding
	StartMS  int64
	Review   *storage.Review
	RuleName string
}

type lineView struct {
	Start, End float64
	Speaker    string
	Text       template.HTML
	Hit        bool
}

type callView struct {
	Result *models.Result
	// VersionNotice says the call was inspected with another version of
	// the scorecard than the one served (the call has no result of it).
	VersionNotice string
	// VerdictNotice says the final verdict was given on another scorecard
	// version than the result shown (it still applies: see
	// docs/workbench.md).
	VerdictNotice  string
	Findings       []findingView
	EarlierReviews []storage.Review
	Verdict        *storage.Verdict
	ReviewedPassed bool
	Waveform       template.HTML
	Lines          []lineView
	BaseScore      float64
	Deducted       float64
	Duration       float64
	Audit          []storage.AuditEntry
	Reviewed       int
	// Clash lists the other recordings whose metadata carry the same call
	// id: they are other calls, stored and counted apart.
	Clash []storage.CallRecording
}

// callResult is the call's result with the served scorecard version, the
// one the queue and the dashboard count; a call without one (not yet
// re-inspected) falls back to its newest version, with a notice.
func (s *Server) callResult(ctx context.Context, c callRef) (res *models.Result, notice string, err error) {
	res, err = s.wb.LatestResult(ctx, c.Rec, s.sc.ID, s.sc.Version)
	if errors.Is(err, storage.ErrNotFound) {
		res, err = s.wb.LatestResult(ctx, c.Rec, s.sc.ID, 0)
		if err == nil {
			notice = fmt.Sprintf("此通话按评分表 v%d 质检，与当前评分表 v%d 不同", res.Scorecard.Version, s.sc.Version)
		}
	}
	return res, notice, err
}

// callData gathers what the call page and the call API show.
func (s *Server) callData(r *http.Request, c callRef) (*callView, error) {
	ctx := r.Context()
	res, notice, err := s.callResult(ctx, c)
	if err != nil {
		return nil, err
	}
	reviews, err := s.wb.Reviews(ctx, c.Rec)
	if err != nil {
		return nil, err
	}
	verdict, err := s.wb.Verdict(ctx, c.Rec)
	if err != nil {
		return nil, err
	}
	v := &callView{Result: res, VersionNotice: notice, Verdict: verdict, BaseScore: s.sc.BaseScore, Duration: resultDuration(res),
		Clash: c.others}
	if verdict != nil && verdict.ScorecardVersion != 0 &&
		(verdict.ScorecardID != res.Scorecard.ID || verdict.ScorecardVersion != res.Scorecard.Version) {
		v.VerdictNotice = fmt.Sprintf("此结论是在评分表 %s v%d 的质检结果上作出的，按通话沿用至当前结果（评分表 %s v%d）",
			verdict.ScorecardID, verdict.ScorecardVersion, res.Scorecard.ID, res.Scorecard.Version)
	}
	byKey := map[string]*storage.Review{}
	for i := range reviews {
		rv := &reviews[i]
		byKey[rv.Rule+"@"+strconv.FormatInt(rv.StartMS, 10)] = rv
	}
	used := map[*storage.Review]bool{}
	names := map[string]string{}
	for _, rule := range s.sc.Rules {
		names[rule.ID] = rule.Name
	}
	for i, f := range res.Findings {
		ms := storage.StartMS(f.Start)
		rv := byKey[f.Rule+"@"+strconv.FormatInt(ms, 10)]
		if rv != nil {
			used[rv] = true
			v.Reviewed++
		}
		name := f.Name
		if name == "" {
			name = names[f.Rule]
		}
		v.Findings = append(v.Findings, findingView{Index: i, Finding: f, StartMS: ms, Review: rv, RuleName: name})
		v.Deducted += f.Deduct
	}
	for i := range reviews {
		if !used[&reviews[i]] {
			v.EarlierReviews = append(v.EarlierReviews, reviews[i])
		}
	}
	v.ReviewedPassed = storage.ReviewedVerdict(s.sc, res, reviews, verdict)
	v.Waveform = waveformSVG(res)
	v.Lines = transcriptLines(res, s.quotingRules())
	return v, nil
}

// quotingRules are the scorecard's rules whose evidence quotes the
// transcript: keyword and regex rules expecting their phrase to be absent
// (a hit quotes it). Keyword rules default to expect: present, whose
// findings name the missing phrases instead; regex rules default to absent.
func (s *Server) quotingRules() map[string]bool {
	out := map[string]bool{}
	for _, r := range s.sc.Rules {
		switch {
		case r.Type == models.RuleKeyword && r.Expect == "absent",
			r.Type == models.RuleRegex && r.Expect != "present":
			out[r.ID] = true
		}
	}
	return out
}

// transcriptLines renders the transcript with the phrases quoted by the
// evidence of the quoting rules' findings highlighted.
func transcriptLines(res *models.Result, quoting map[string]bool) []lineView {
	if res.Transcript == nil {
		return nil
	}
	var out []lineView
	for _, u := range res.Transcript.Utterances {
		var phrases []string
		hit := false
		for _, f := range res.Findings {
			if !quoting[f.Rule] {
				continue
			}
			if f.Speaker != "" && u.Speaker != "" && f.Speaker != u.Speaker && f.Speaker != models.SpeakerMixed {
				continue
			}
			if f.End < u.Start || f.Start > u.End {
				continue
			}
			for _, q := range strings.Split(f.Evidence, " / ") {
				if i := strings.Index(q, " (拼音匹配"); i >= 0 {
					q = q[:i]
				}
				q = strings.TrimSpace(q)
				if q != "" && strings.Contains(u.Text, q) {
					phrases = append(phrases, q)
					hit = true
				}
			}
		}
		out = append(out, lineView{Start: u.Start, End: u.End, Speaker: u.Speaker, Text: highlight(u.Text, phrases), Hit: hit})
	}
	return out
}

// highlight escapes text and wraps every occurrence of the phrases in <mark>.
func highlight(text string, phrases []string) template.HTML {
	// Longest first, so that a phrase inside another does not split it.
	sort.Slice(phrases, func(i, j int) bool { return len(phrases[i]) > len(phrases[j]) })
	marked := make([]bool, len(text))
	for _, p := range phrases {
		if p == "" {
			continue
		}
		for off := 0; ; {
			i := strings.Index(text[off:], p)
			if i < 0 {
				break
			}
			for k := off + i; k < off+i+len(p); k++ {
				marked[k] = true
			}
			off += i + len(p)
		}
	}
	var b strings.Builder
	in := false
	for i := 0; i < len(text); {
		_, size := utf8.DecodeRuneInString(text[i:])
		if marked[i] != in {
			if in {
				b.WriteString("</mark>")
			} else {
				b.WriteString("<mark>")
			}
			in = marked[i]
		}
		b.WriteString(template.HTMLEscapeString(text[i : i+size]))
		i += size
	}
	if in {
		b.WriteString("</mark>")
	}
	return template.HTML(b.String()) // #nosec: escaped above
}

// callRef names the call a request is about: its call id (the {id} path
// value) and its recording (the rec query parameter, or the one recording
// that carries the call id).
type callRef struct {
	ID, Rec string
	// others are the other recordings that carry the same call id.
	others []storage.CallRecording
}

// URL is the call's page (or sub-resource) URL.
func (c callRef) URL(sub ...string) string { return callURL(c.ID, c.Rec, sub...) }

// ambiguousCall is a call id that several recordings carry, requested
// without saying which: the answer lists them (300 Multiple Choices).
type ambiguousCall struct {
	id   string
	recs []storage.CallRecording
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
		return callRef{}, fmt.Errorf("call %s: %w", id, storage.ErrNotFound)
	case c.Rec == "":
		return callRef{}, ambiguousCall{id: id, recs: recs}
	}
	return c, nil
}

// failCall maps call lookup errors: 400 bad id, 404 unknown call, 300 a
// call id of several recordings (listed).
func (s *Server) failCall(w http.ResponseWriter, r *http.Request, err error) {
	var b badRequest
	var amb ambiguousCall
	switch {
	case errors.As(err, &amb):
		s.ambiguous(w, r, amb)
	case errors.As(err, &b):
		s.fail(w, r, http.StatusBadRequest, err)
	case errors.Is(err, storage.ErrNotFound):
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
			storage.CallRecording
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
		Recordings []storage.CallRecording
	}{a.id, a.Error(), a.recs})
}

func (s *Server) callPage(w http.ResponseWriter, r *http.Request) {
	c, err := s.callOf(r)
	if err != nil {
		s.failCall(w, r, err)
		return
	}
	v, err := s.callData(r, c)
	if err != nil {
		s.failCall(w, r, err)
		return
	}
	v.Audit, err = s.wb.AuditLog(r.Context(), storage.AuditFilter{Recording: c.Rec, Limit: 30})
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	s.render(w, r, http.StatusOK, "call", "通话 "+c.ID, v)
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
func (s *Server) saveReview(r *http.Request, c callRef, in reviewInput) (*storage.Review, error) {
	if in.Decision != storage.DecisionConfirm && in.Decision != storage.DecisionOverturn {
		return nil, badf("decision 应为 confirm 或 overturn")
	}
	if utf8.RuneCountInString(in.Comment) > maxCommentLen {
		return nil, badf("备注超过 %d 字", maxCommentLen)
	}
	if in.Decision == storage.DecisionOverturn && strings.TrimSpace(in.Comment) == "" {
		return nil, badf("推翻时请填写理由")
	}
	res, _, err := s.callResult(r.Context(), c)
	if err != nil {
		return nil, err
	}
	found := false
	for _, f := range res.Findings {
		if f.Rule == in.Rule && storage.StartMS(f.Start) == in.StartMS {
			found = true
			break
		}
	}
	if !found {
		return nil, badf("该通话没有规则 %q 在 %d ms 处的命中", in.Rule, in.StartMS)
	}
	rv := storage.Review{Recording: c.Rec, CallID: c.ID, Rule: in.Rule, StartMS: in.StartMS, Decision: in.Decision,
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

func (s *Server) saveVerdict(r *http.Request, c callRef, in verdictInput) (*storage.Verdict, error) {
	if in.Verdict != "pass" && in.Verdict != "fail" {
		return nil, badf("verdict 应为 pass 或 fail")
	}
	if utf8.RuneCountInString(in.Comment) > maxCommentLen {
		return nil, badf("备注超过 %d 字", maxCommentLen)
	}
	res, _, err := s.callResult(r.Context(), c)
	if err != nil {
		return nil, err
	}
	v := storage.Verdict{Recording: c.Rec, CallID: c.ID, Passed: in.Verdict == "pass", Comment: strings.TrimSpace(in.Comment),
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
	_, err = s.saveReview(r, c, reviewInput{Rule: r.PostFormValue("rule"), StartMS: ms,
		Decision: r.PostFormValue("decision"), Comment: r.PostFormValue("comment")})
	if err != nil {
		s.failCall(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("%s#f-%s-%d", c.URL(), url.PathEscape(r.PostFormValue("rule")), ms), http.StatusSeeOther)
}

func (s *Server) verdictSubmit(w http.ResponseWriter, r *http.Request) {
	c, err := s.callOf(r)
	if err != nil {
		s.failCall(w, r, err)
		return
	}
	if _, err := s.saveVerdict(r, c, verdictInput{Verdict: r.PostFormValue("verdict"), Comment: r.PostFormValue("comment")}); err != nil {
		s.failCall(w, r, err)
		return
	}
	http.Redirect(w, r, c.URL(), http.StatusSeeOther)
}

// listenDedupe is how long one session's playback of one call counts as
// one listen in the audit trail.
const listenDedupe = 30 * time.Minute

// listenKey is a session listening to a call (its recording).
type listenKey struct{ session, recording string }

// recordListen records a playback in the audit trail, once per session and
// call within listenDedupe.
func (s *Server) recordListen(r *http.Request, c callRef) error {
	ctx := r.Context()
	sess := sessionFrom(ctx)
	k := listenKey{sess.User.Name + "\x00" + sess.CSRF, c.Rec}
	now := s.now()
	s.listenMu.Lock()
	if last, ok := s.listens[k]; ok && now.Sub(last) < listenDedupe && now.Sub(last) >= 0 {
		s.listenMu.Unlock()
		return nil
	}
	s.listens[k] = now
	if len(s.listens) > 1024 {
		for x, at := range s.listens {
			if now.Sub(at) >= listenDedupe {
				delete(s.listens, x)
			}
		}
	}
	s.listenMu.Unlock()
	err := s.audit(ctx, storage.AuditEntry{User: sess.User.Name, Action: storage.AuditPlayback, CallID: c.ID,
		Recording: c.Rec, Detail: c.Rec, Remote: remoteAddr(r)})
	if err != nil {
		s.listenMu.Lock()
		if s.listens[k].Equal(now) {
			delete(s.listens, k)
		}
		s.listenMu.Unlock()
	}
	return err
}

// listenWriter calls listen when a response starts serving audio bytes
// (status 200 or 206, whatever the Range and If-Range headers); if listen
// fails, the audio is not sent and fail answers instead.
type listenWriter struct {
	http.ResponseWriter
	listen  func() error
	fail    func(error)
	started bool
	failed  bool
}

func (w *listenWriter) WriteHeader(code int) {
	if w.started {
		return
	}
	w.started = true
	if code == http.StatusOK || code == http.StatusPartialContent {
		if err := w.listen(); err != nil {
			w.failed = true
			for _, h := range []string{"Content-Type", "Content-Length", "Content-Range", "Accept-Ranges", "Last-Modified", "Etag"} {
				w.Header().Del(h)
			}
			w.fail(err)
			return
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *listenWriter) Write(p []byte) (int, error) {
	if !w.started {
		w.WriteHeader(http.StatusOK)
	}
	if w.failed {
		return 0, errors.New("playback not audited")
	}
	return w.ResponseWriter.Write(p)
}

// callAudio streams the call's recording with Range support: PCM16 WAV as
// stored, anything else (G.711, float, 24-bit...) transcoded to PCM16 WAV.
// Every GET answered with audio bytes (200 or 206, whatever its Range) is a
// listen, recorded in the audit trail once per session and call within
// listenDedupe; a request answered with an error, and HEAD, are not. The
// audio is not served if the record fails.
func (s *Server) callAudio(w http.ResponseWriter, r *http.Request) {
	c, err := s.callOf(r)
	if err != nil {
		s.failCall(w, r, err)
		return
	}
	ctx := r.Context()
	res, _, err := s.callResult(ctx, c)
	if err != nil {
		s.failCall(w, r, err)
		return
	}
	serve := func(content io.ReadSeeker) {
		out := w
		if r.Method != http.MethodHead {
			out = &listenWriter{ResponseWriter: w,
				listen: func() error { return s.recordListen(r, c) },
				fail:   func(err error) { s.fail(w, r, http.StatusInternalServerError, err) }}
		}
		w.Header().Set("Content-Type", "audio/wav")
		w.Header().Set("Cache-Control", "private, no-store")
		http.ServeContent(out, r, "", zeroTime, content)
	}
	passThrough := res.Audio != nil && res.Audio.Format == "pcm_s16le"
	if passThrough {
		rc, err := s.src.Open(ctx, res.Recording)
		if err != nil {
			s.failAudio(w, r, err)
			return
		}
		if rs, ok := rc.(io.ReadSeeker); ok {
			defer rc.Close()
			serve(rs)
			return
		}
		// A stream without Seek (an S3 object): go through the cache.
		rc.Close()
	}
	f, release, err := s.audio.open(ctx, res.Recording, func(ctx context.Context, out *os.File) error {
		rc, err := s.src.Open(ctx, res.Recording)
		if err != nil {
			return err
		}
		defer rc.Close()
		if passThrough {
			_, err = io.Copy(out, rc)
			return err
		}
		_, err = transcodePCM16(ctx, rc, -1, out)
		return err
	})
	if err != nil {
		s.failAudio(w, r, err)
		return
	}
	defer release()
	serve(f)
}

func (s *Server) failAudio(w http.ResponseWriter, r *http.Request, err error) {
	w.Header().Del("Content-Type")
	if isNotExist(err) {
		s.fail(w, r, http.StatusNotFound, errors.New("录音文件不存在"))
		return
	}
	if decode.IsBadInput(err) {
		s.fail(w, r, http.StatusUnprocessableEntity, fmt.Errorf("录音无法解码：%v", err))
		return
	}
	s.fail(w, r, http.StatusInternalServerError, err)
}

var zeroTime time.Time

package web

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/store"
)

// Which scorecard a request is served with.
//
// The workbench counts, queues and shows the results of one scorecard
// version at a time (pass rates under two scorecards are not comparable).
// The version is, in order: the request's scorecard parameter
// (scorecard=ID:VERSION); on pages, the one chosen before (a cookie set by
// that parameter); otherwise the default: the version most recently used in
// the results when Config.LatestScorecard is set (as callqa report does),
// else Deps.Scorecard's. Pages list the versions the database holds, with
// a selector.
//
// Re-scoring a call whose findings were overturned needs the scorecard's
// definition (its rules, base and pass scores). The server has one,
// Deps.Scorecard. Another version of the same scorecard is re-scored with
// that definition's rules (an approximation, said on the pages); a
// scorecard the server has no definition of at all is not re-scored: an
// overturn does not turn its failed calls into passed ones, the reviewer's
// final verdict does (also said on the pages).

// scorecardParam is the query parameter that picks the scorecard version,
// and scorecardCookie the cookie that keeps a page user's choice.
const (
	scorecardParam  = "scorecard"
	scorecardCookie = "callqa_scorecard"
)

// heldTTL is how long the list of the scorecard versions in the results is
// reused before it is read again (a GROUP BY over every result).
const heldTTL = 10 * time.Second

// served is the scorecard a request is served with.
type served struct {
	// Scorecard is the definition used: Deps.Scorecard, or a stand-in
	// for another version (see Exact).
	*models.Scorecard
	// Ref is the version served.
	Ref models.ScorecardRef
	// Exact is true when Scorecard is the served version's own
	// definition; Basis is the version whose rules stand in otherwise
	// (zero when there are none: no re-scoring).
	Exact bool
	Basis models.ScorecardRef
	// Held are the scorecard versions in the results, most recently used
	// first.
	Held []store.ScorecardUsage
	// Default is true when Ref is the default (not chosen).
	Default bool
}

// Notice says, when the served definition is not exact, how the reviewed
// verdicts are computed; "" when it is exact.
func (sv *served) Notice() string {
	switch {
	case sv.Exact:
		return ""
	case sv.Basis.ID != "":
		return fmt.Sprintf("本服务没有评分表 %s v%d 的定义文件：推翻命中后的重新计分按 v%d 的规则近似计算（启动 serve 时用 --scorecard 指定 v%d 的文件可精确计算）。",
			sv.Ref.ID, sv.Ref.Version, sv.Basis.Version, sv.Ref.Version)
	}
	return fmt.Sprintf("本服务没有评分表 %s v%d 的定义文件：推翻命中不会自动把不合格通话改判为合格，请给出复核结论（启动 serve 时用 --scorecard 指定该评分表的文件可重新计分）。",
		sv.Ref.ID, sv.Ref.Version)
}

// cardOption is one entry of the scorecard selector.
type cardOption struct {
	Value, Label string
	Selected     bool
}

// Options are the entries of the scorecard selector: every version in the
// results, and the served one.
func (sv *served) Options() []cardOption {
	var out []cardOption
	seen := false
	for _, h := range sv.Held {
		out = append(out, cardOption{Value: refParam(h.Scorecard), Selected: h.Scorecard == sv.Ref,
			Label: fmt.Sprintf("%s v%d（%d 通）", h.Scorecard.ID, h.Scorecard.Version, h.Calls)})
		seen = seen || h.Scorecard == sv.Ref
	}
	if !seen {
		out = append([]cardOption{{Value: refParam(sv.Ref), Selected: true,
			Label: fmt.Sprintf("%s v%d（0 通）", sv.Ref.ID, sv.Ref.Version)}}, out...)
	}
	return out
}

// refParam is a version as the scorecard parameter writes it.
func refParam(r models.ScorecardRef) string { return r.ID + ":" + strconv.Itoa(r.Version) }

// parseRef reads ID:VERSION (or ID:vVERSION).
func parseRef(v string) (models.ScorecardRef, bool) {
	i := strings.LastIndexByte(v, ':')
	if i <= 0 || len(v) > 200 {
		return models.ScorecardRef{}, false
	}
	n, err := strconv.Atoi(strings.TrimPrefix(v[i+1:], "v"))
	if err != nil || n < 1 {
		return models.ScorecardRef{}, false
	}
	return models.ScorecardRef{ID: v[:i], Version: n}, true
}

// heldCache keeps the scorecard versions of the results for heldTTL.
type heldCache struct {
	mu   sync.Mutex
	at   time.Time
	held []store.ScorecardUsage
}

// held lists the scorecard versions in the results, most recently used
// first.
func (s *Server) held(ctx context.Context) ([]store.ScorecardUsage, error) {
	now := s.now()
	s.heldCache.mu.Lock()
	defer s.heldCache.mu.Unlock()
	if c := &s.heldCache; !c.at.IsZero() && now.Sub(c.at) < heldTTL && now.Sub(c.at) >= 0 {
		return c.held, nil
	}
	us, err := s.store.Scorecards(ctx)
	if err != nil {
		return nil, err
	}
	s.heldCache.at, s.heldCache.held = now, us
	return us, nil
}

// scorecardFor works out the scorecard version a request is served with
// (see the comment at the top of this file). A scorecard parameter that is
// malformed or names a version without results is a bad request; a
// cookie's is ignored.
func (s *Server) scorecardFor(r *http.Request) (*served, error) {
	held, err := s.held(r.Context())
	if err != nil {
		return nil, err
	}
	own := models.ScorecardRef{ID: s.sc.ID, Version: s.sc.Version}
	known := func(ref models.ScorecardRef) bool {
		return ref == own || slices.ContainsFunc(held, func(u store.ScorecardUsage) bool { return u.Scorecard == ref })
	}
	def := own
	if s.cfg.LatestScorecard && len(held) > 0 {
		def = held[0].Scorecard
	}
	ref, chosen := def, false
	if v := r.URL.Query().Get(scorecardParam); v != "" {
		x, ok := parseRef(v)
		if !ok {
			return nil, badf("参数 scorecard=%q 无效（应为 评分表编号:版本，如 %s）", v, refParam(own))
		}
		if !known(x) {
			return nil, badf("数据库中没有评分表 %s v%d 的结果（有：%s）", x.ID, x.Version, heldList(held))
		}
		ref, chosen = x, true
	} else if c, err := r.Cookie(scorecardCookie); err == nil && !isAPI(r) {
		if v, err := url.QueryUnescape(c.Value); err == nil {
			if x, ok := parseRef(v); ok && known(x) {
				ref, chosen = x, true
			}
		}
	}
	sv := &served{Ref: ref, Held: held, Default: !chosen || ref == def}
	switch {
	case ref == own:
		sv.Scorecard, sv.Exact = s.sc, true
	case ref.ID == s.sc.ID:
		// Another version of the scorecard served: its rules stand in.
		sc := *s.sc
		sc.Version = ref.Version
		sv.Scorecard, sv.Basis = &sc, own
	default:
		// No definition at all: nothing is re-scored (a pass mark no
		// score reaches), the stored costs are shown as they are.
		sv.Scorecard = &models.Scorecard{ID: ref.ID, Version: ref.Version, Name: ref.ID,
			BaseScore: math.NaN(), PassScore: math.Inf(1)}
	}
	return sv, nil
}

// rememberScorecard keeps a page user's choice of scorecard version in a
// cookie (removed when the choice is the default), so that the other pages
// follow it.
func (s *Server) rememberScorecard(w http.ResponseWriter, r *http.Request, sv *served) {
	if isAPI(r) || r.URL.Query().Get(scorecardParam) == "" {
		return
	}
	c := &http.Cookie{Name: scorecardCookie, Value: url.QueryEscape(refParam(sv.Ref)), Path: "/",
		HttpOnly: true, Secure: !s.cfg.InsecureCookies, SameSite: http.SameSiteLaxMode}
	if sv.Default {
		c.Value, c.MaxAge = "", -1
	}
	http.SetCookie(w, c)
}

// heldList writes the versions in the results for a message.
func heldList(held []store.ScorecardUsage) string {
	if len(held) == 0 {
		return "无"
	}
	var parts []string
	for _, h := range held {
		parts = append(parts, fmt.Sprintf("%s v%d", h.Scorecard.ID, h.Scorecard.Version))
	}
	return strings.Join(parts, "、")
}

// ruleOptions are the rules of the queue's rule filter: the definition's,
// or, without one, the rules the results of the version hit.
func (s *Server) ruleOptions(ctx context.Context, sv *served) ([]ruleOption, error) {
	out := []ruleOption{}
	if len(sv.Rules) > 0 {
		for _, r := range sv.Rules {
			out = append(out, ruleOption{r.ID, r.Name})
		}
		return out, nil
	}
	counts, err := s.store.RuleCounts(ctx, store.ReportFilter{Scorecard: sv.Ref})
	if err != nil {
		return nil, err
	}
	for _, c := range counts {
		out = append(out, ruleOption{c.Rule, c.Name})
	}
	slices.SortFunc(out, func(a, b ruleOption) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

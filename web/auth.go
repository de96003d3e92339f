package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/callqa/callqa/workbench"
)

// sessionCookie is the name of the session cookie.
const sessionCookie = "callqa_session"

type ctxKey struct{}

// sessionFrom returns the request's session, set by auth.
func sessionFrom(ctx context.Context) *workbench.Session {
	s, _ := ctx.Value(ctxKey{}).(*workbench.Session)
	return s
}

// auth wraps a handler: it requires a live session whose role is in roles,
// and on state-changing methods the session's CSRF token (form field "csrf"
// or header X-CSRF-Token) and a same-origin Origin header when one is sent.
// Without a session, pages redirect to /login and the API answers 401; a
// role outside roles gets 403.
func (s *Server) auth(roles []string, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var token string
		if c, err := r.Cookie(sessionCookie); err == nil {
			token = c.Value
		}
		sess, err := s.wb.Session(r.Context(), token)
		if err != nil {
			if !errors.Is(err, workbench.ErrNoSession) {
				s.fail(w, r, http.StatusInternalServerError, err)
				return
			}
			if isAPI(r) || r.Method != http.MethodGet {
				s.fail(w, r, http.StatusUnauthorized, errors.New("未登录或会话已过期"))
				return
			}
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if !slices.Contains(roles, sess.User.Role) {
			s.fail(w, r, http.StatusForbidden, fmt.Errorf("角色 %s 无权访问此页面", sess.User.Role))
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if !sameOrigin(r) {
				s.fail(w, r, http.StatusForbidden, errors.New("跨站请求被拒绝"))
				return
			}
			submitted := r.Header.Get("X-CSRF-Token")
			if submitted == "" {
				// The token is in the form: read it within a bound, so
				// that a body too large says so rather than failing the
				// CSRF check.
				if err := parseForm(w, r); err != nil {
					s.failCall(w, r, err)
					return
				}
				submitted = r.PostFormValue("csrf")
			}
			if !workbench.CSRFEqual(sess.CSRF, submitted) {
				s.fail(w, r, http.StatusForbidden, errors.New("CSRF 校验失败，请刷新页面后重试"))
				return
			}
		}
		h(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, &sess)))
	})
}

// sameOrigin accepts a request without an Origin header (non-browser
// clients, older browsers; the CSRF token still applies) or with one whose
// host is the request's host and, when the scheme is known (TLS here, or
// X-Forwarded-Proto from a trusted proxy), whose scheme is the request's.
// Behind a trusted proxy, the host is its X-Forwarded-Host when set.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	if err != nil || u.Host == "" {
		return false // "null" (sandboxed frames, some redirects) included
	}
	c := clientOf(r)
	if !strings.EqualFold(u.Host, c.host) {
		return false
	}
	return c.scheme == "" || strings.EqualFold(u.Scheme, c.scheme)
}

// clientInfo is what the workbench knows of a request's client: its
// address (for the rate limit and the audit trail), and the scheme and host
// it asked for (for the same-origin check). scheme is "" when unknown
// (plain http here, possibly TLS at an untrusted proxy).
type clientInfo struct {
	addr   string
	scheme string
	host   string
}

type clientKey struct{}

// withClient resolves the request's client once (see clientFrom) and
// keeps it in the request's context for remoteAddr and sameOrigin.
func (s *Server) withClient(r *http.Request) *http.Request {
	c := clientFrom(r, s.cfg.TrustedProxies)
	return r.WithContext(context.WithValue(r.Context(), clientKey{}, c))
}

// clientOf returns the client withClient resolved, or the connection's.
func clientOf(r *http.Request) clientInfo {
	if c, ok := r.Context().Value(clientKey{}).(clientInfo); ok {
		return c
	}
	return clientFrom(r, nil)
}

// clientFrom resolves a request's client. The connection's peer is the
// client, unless it is in trusted (a reverse proxy): then the client is the
// rightmost X-Forwarded-For address that is not itself a trusted proxy (the
// addresses to its left are the client's to write), the scheme that of
// X-Forwarded-Proto and the host that of X-Forwarded-Host, each when
// present and well formed. Headers from any other peer are ignored: a
// client could forge them.
func clientFrom(r *http.Request, trusted []netip.Prefix) clientInfo {
	c := clientInfo{addr: r.RemoteAddr, host: r.Host}
	if r.TLS != nil {
		c.scheme = "https"
	}
	peer, ok := parseAddr(r.RemoteAddr)
	if !ok {
		return c
	}
	c.addr = peer.String()
	if !inPrefixes(peer, trusted) {
		return c
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		ip, ok := parseAddr(strings.TrimSpace(hops[i]))
		if !ok {
			break // the nearest trusted hop is the best we know
		}
		c.addr = ip.String()
		if !inPrefixes(ip, trusted) {
			break
		}
	}
	if p := strings.ToLower(lastValue(r.Header.Values("X-Forwarded-Proto"))); p == "http" || p == "https" {
		c.scheme = p
	}
	if h := lastValue(r.Header.Values("X-Forwarded-Host")); h != "" && !strings.ContainsAny(h, "/\\@ ") {
		c.host = h
	}
	return c
}

// lastValue is the last element of comma-separated header values: the one
// the nearest proxy wrote.
func lastValue(values []string) string {
	if len(values) == 0 {
		return ""
	}
	v := values[len(values)-1]
	if i := strings.LastIndexByte(v, ','); i >= 0 {
		v = v[i+1:]
	}
	return strings.TrimSpace(v)
}

// parseAddr reads an IP address, with or without a port ("192.0.2.1",
// "192.0.2.1:5000", "[2001:db8::1]:5000", "2001:db8::1").
func parseAddr(s string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	if ip, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")); err == nil {
		return ip.Unmap(), true
	}
	return netip.Addr{}, false
}

func inPrefixes(ip netip.Addr, prefixes []netip.Prefix) bool {
	for _, p := range prefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

func (s *Server) setSessionCookie(w http.ResponseWriter, token string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name:     sessionCookie,
		Value:    token,
		Path:     "/",
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   !s.cfg.InsecureCookies,
		SameSite: http.SameSiteLaxMode,
	})
}

// nextPages are the pages a login may return to: a path equal to one of
// them or under one ending in "/". The API and exports are not pages.
var nextPages = []string{"/queue", "/dashboard", "/calls/", "/admin/"}

// safeNext keeps a post-login redirect on this site's pages: anything else
// (another host, however spelled; control characters, which browsers strip,
// so that "/\t/evil.example" becomes "//evil.example"; backslashes, which
// they read as slashes; dot segments; unknown paths) gives "/".
func safeNext(next string) string {
	if next == "" || len(next) > 2048 {
		return "/"
	}
	for i := 0; i < len(next); i++ {
		if c := next[i]; c < 0x20 || c == 0x7f || c == '\\' {
			return "/"
		}
	}
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" || u.User != nil ||
		!strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") || path.Clean(u.Path) != u.Path {
		return "/"
	}
	for _, p := range nextPages {
		if u.Path == p || strings.HasSuffix(p, "/") && strings.HasPrefix(u.Path, p) && len(u.Path) > len(p) {
			return next
		}
	}
	return "/"
}

type loginView struct {
	Error string
	Next  string
	Name  string
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "login", "登录", loginView{Next: safeNext(r.URL.Query().Get("next"))})
}

// login checks credentials under the rate limit and starts a session. It
// returns the HTTP status and message of a failure.
func (s *Server) login(w http.ResponseWriter, r *http.Request, name, password string) (*workbench.Session, int, error) {
	if !sameOrigin(r) {
		return nil, http.StatusForbidden, errors.New("跨站请求被拒绝")
	}
	if name == "" || password == "" || len(name) > 64 || len(password) > 200 {
		return nil, http.StatusBadRequest, errors.New("请输入用户名和密码")
	}
	s.flushRefused(r.Context(), false)
	// The attempt is counted before the password is checked, so that
	// parallel guesses cannot all get past the limit.
	attempt, ok, wait := s.limiter.reserve(remoteAddr(r), name)
	if !ok {
		// In the audit trail too: counted, and summarised (refusalLog).
		if e, now := s.refusals.refused(s.now(), remoteAddr(r), name); now {
			s.audit(r.Context(), e)
		}
		w.Header().Set("Retry-After", fmt.Sprint(int(wait.Seconds())+1))
		return nil, http.StatusTooManyRequests, fmt.Errorf("登录失败次数过多，请 %d 分钟后再试", int(wait.Minutes())+1)
	}
	u, err := s.wb.Authenticate(r.Context(), name, password)
	if errors.Is(err, workbench.ErrBadCredentials) {
		// The reserved attempt stays: it is the failure.
		s.audit(r.Context(), workbench.AuditEntry{User: name, Action: workbench.AuditLoginFailed, Remote: remoteAddr(r)})
		return nil, http.StatusUnauthorized, errors.New("用户名或密码错误")
	}
	if err != nil {
		attempt.cancelled()
		return nil, http.StatusInternalServerError, err
	}
	attempt.succeeded()
	token, sess, err := s.wb.CreateSession(r.Context(), u, s.cfg.SessionTTL)
	if err != nil {
		return nil, http.StatusInternalServerError, err
	}
	s.setSessionCookie(w, token, int(s.cfg.SessionTTL/time.Second))
	s.audit(r.Context(), workbench.AuditEntry{User: u.Name, Action: workbench.AuditLogin, Remote: remoteAddr(r)})
	return &sess, http.StatusOK, nil
}

func (s *Server) loginSubmit(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		status := http.StatusBadRequest
		var tl tooLarge
		if errors.As(err, &tl) {
			status = http.StatusRequestEntityTooLarge
		}
		s.render(w, r, status, "login", "登录", loginView{Error: err.Error(), Next: "/"})
		return
	}
	name, password := strings.TrimSpace(r.PostFormValue("name")), r.PostFormValue("password")
	next := safeNext(r.PostFormValue("next"))
	sess, status, err := s.login(w, r, name, password)
	if err != nil {
		if status == http.StatusInternalServerError {
			s.fail(w, r, status, err)
			return
		}
		s.render(w, r, status, "login", "登录", loginView{Error: err.Error(), Next: next, Name: name})
		return
	}
	if next == "/" && sess.User.Role == workbench.RoleViewer {
		next = "/dashboard"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// apiLogin is POST /api/login with {"name":..., "password":...}; it sets the
// session cookie and returns the CSRF token for later POSTs.
func (s *Server) apiLogin(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name     string `json:"name"`
		Password string `json:"password"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		s.failCall(w, r, err)
		return
	}
	sess, status, err := s.login(w, r, strings.TrimSpace(in.Name), in.Password)
	if err != nil {
		s.fail(w, r, status, err)
		return
	}
	s.json(w, http.StatusOK, map[string]any{"user": sess.User, "csrf": sess.CSRF, "expires_at": sess.ExpiresAt})
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if err := s.wb.DeleteSession(r.Context(), c.Value); err != nil {
			s.fail(w, r, http.StatusInternalServerError, err)
			return
		}
	}
	sess := sessionFrom(r.Context())
	s.audit(r.Context(), workbench.AuditEntry{User: sess.User.Name, Action: workbench.AuditLogout, Remote: remoteAddr(r)})
	s.setSessionCookie(w, "", -1)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	if sessionFrom(r.Context()).User.Role == workbench.RoleViewer {
		http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/queue", http.StatusSeeOther)
}

// flushRefused writes the audit entries of the refused logins counted and
// not yet written: those due (refusedEvery after the last entry of their
// client and user name), or all.
func (s *Server) flushRefused(ctx context.Context, all bool) {
	for _, e := range s.refusals.due(s.now(), all) {
		s.audit(ctx, e)
	}
}

// maxFormBytes bounds a form's body: the workbench's forms are a few
// fields and a comment of at most maxCommentLen characters.
const maxFormBytes = 1 << 20

// tooLarge is a request body over its bound: 413 with its message.
type tooLarge struct{ limit int64 }

func (t tooLarge) Error() string {
	return fmt.Sprintf("提交的内容过大（上限 %d KB）", t.limit/1024)
}

// parseForm reads a form body of at most maxFormBytes: a larger one is
// tooLarge, a malformed one a bad request.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return tooLarge{mb.Limit}
		}
		return badf("表单无效：%v", err)
	}
	return nil
}

package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/callqa/callqa/storage"
)

// sessionCookie is the name of the session cookie.
const sessionCookie = "callqa_session"

type ctxKey struct{}

// sessionFrom returns the request's session, set by auth.
func sessionFrom(ctx context.Context) *storage.Session {
	s, _ := ctx.Value(ctxKey{}).(*storage.Session)
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
			if !errors.Is(err, storage.ErrNoSession) {
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
				submitted = r.PostFormValue("csrf")
			}
			if !storage.CSRFEqual(sess.CSRF, submitted) {
				s.fail(w, r, http.StatusForbidden, errors.New("CSRF 校验失败，请刷新页面后重试"))
				return
			}
		}
		h(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, &sess)))
	})
}

// sameOrigin accepts a request without an Origin header (non-browser
// clients, older browsers; the CSRF token still applies) or with one whose
// host is the request's host.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
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

// safeNext keeps a post-login redirect on this site.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
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
func (s *Server) login(w http.ResponseWriter, r *http.Request, name, password string) (*storage.Session, int, error) {
	if !sameOrigin(r) {
		return nil, http.StatusForbidden, errors.New("跨站请求被拒绝")
	}
	if name == "" || password == "" || len(name) > 64 || len(password) > 200 {
		return nil, http.StatusBadRequest, errors.New("请输入用户名和密码")
	}
	key := remoteAddr(r) + "|" + strings.ToLower(name)
	if ok, wait := s.limiter.allowed(key); !ok {
		w.Header().Set("Retry-After", fmt.Sprint(int(wait.Seconds())+1))
		return nil, http.StatusTooManyRequests, fmt.Errorf("登录失败次数过多，请 %d 分钟后再试", int(wait.Minutes())+1)
	}
	u, err := s.wb.Authenticate(r.Context(), name, password)
	if errors.Is(err, storage.ErrBadCredentials) {
		s.limiter.fail(key)
		s.audit(r.Context(), storage.AuditEntry{User: name, Action: storage.AuditLoginFailed, Remote: remoteAddr(r)})
		return nil, http.StatusUnauthorized, errors.New("用户名或密码错误")
	}
	if err != nil {
		return nil, http.StatusInternalServerError, err
	}
	s.limiter.reset(key)
	token, sess, err := s.wb.CreateSession(r.Context(), u, s.cfg.SessionTTL)
	if err != nil {
		return nil, http.StatusInternalServerError, err
	}
	s.setSessionCookie(w, token, int(s.cfg.SessionTTL/time.Second))
	s.audit(r.Context(), storage.AuditEntry{User: u.Name, Action: storage.AuditLogin, Remote: remoteAddr(r)})
	return &sess, http.StatusOK, nil
}

func (s *Server) loginSubmit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
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
	if next == "/" && sess.User.Role == storage.RoleViewer {
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
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&in); err != nil {
		s.fail(w, r, http.StatusBadRequest, fmt.Errorf("请求体不是有效的 JSON: %w", err))
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
	s.audit(r.Context(), storage.AuditEntry{User: sess.User.Name, Action: storage.AuditLogout, Remote: remoteAddr(r)})
	s.setSessionCookie(w, "", -1)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	if sessionFrom(r.Context()).User.Role == storage.RoleViewer {
		http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/queue", http.StatusSeeOther)
}

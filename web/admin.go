package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/callqa/callqa/storage"
)

type usersView struct {
	Users   []storage.User
	Error   string
	Created string
}

func (s *Server) usersPage(w http.ResponseWriter, r *http.Request) {
	s.renderUsers(w, r, http.StatusOK, usersView{Created: r.URL.Query().Get("created")})
}

func (s *Server) renderUsers(w http.ResponseWriter, r *http.Request, status int, v usersView) {
	users, err := s.wb.Users(r.Context())
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	v.Users = users
	s.render(w, r, status, "users", "用户管理", v)
}

// userCreate adds a user from the admin page.
func (s *Server) userCreate(w http.ResponseWriter, r *http.Request) {
	name, role, pw := strings.TrimSpace(r.PostFormValue("name")), r.PostFormValue("role"), r.PostFormValue("password")
	if err := storage.ValidateUserName(name); err != nil {
		s.renderUsers(w, r, http.StatusBadRequest, usersView{Error: "用户名无效：只能包含字母、数字和 . _ @ -"})
		return
	}
	if !storage.ValidRole(role) {
		s.renderUsers(w, r, http.StatusBadRequest, usersView{Error: "角色无效"})
		return
	}
	if len([]rune(pw)) < storage.MinPasswordLen || len(pw) > 72 {
		s.renderUsers(w, r, http.StatusBadRequest, usersView{Error: "密码长度应为 10–72 个字符"})
		return
	}
	u, err := s.wb.AddUser(r.Context(), name, role, pw)
	if errors.Is(err, storage.ErrUserExists) {
		s.renderUsers(w, r, http.StatusConflict, usersView{Error: "用户已存在"})
		return
	}
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	sess := sessionFrom(r.Context())
	if err := s.audit(r.Context(), storage.AuditEntry{User: sess.User.Name, Action: storage.AuditUserAdd,
		Detail: u.Name + " " + u.Role, Remote: remoteAddr(r)}); err != nil {
		s.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	http.Redirect(w, r, "/admin/users?created="+u.Name, http.StatusSeeOther)
}

func (s *Server) auditFilter(r *http.Request) (storage.AuditFilter, error) {
	q := r.URL.Query()
	f := storage.AuditFilter{CallID: q.Get("call"), User: q.Get("user"), Action: q.Get("action"), Limit: 500}
	for _, v := range []string{f.CallID, f.User, f.Action} {
		if len(v) > 200 {
			return f, badf("参数过长")
		}
	}
	return f, nil
}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request) {
	f, err := s.auditFilter(r)
	if err != nil {
		s.failFilter(w, r, err)
		return
	}
	entries, err := s.wb.AuditLog(r.Context(), f)
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	s.render(w, r, http.StatusOK, "audit", "审计日志", struct {
		Filter  storage.AuditFilter
		Entries []storage.AuditEntry
	}{f, entries})
}

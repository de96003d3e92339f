package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/callqa/callqa/workbench"
)

type usersView struct {
	Users   []workbench.User
	Me      string // the admin looking at the page, who cannot disable themselves
	Error   string
	Created string
	Changed string // "disabled NAME" or "enabled NAME" after a status change
}

func (s *Server) usersPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := usersView{Created: q.Get("created")}
	if n := q.Get("disabled"); n != "" {
		v.Changed = "已停用用户 " + n + "，其会话已全部失效"
	} else if n := q.Get("enabled"); n != "" {
		v.Changed = "已启用用户 " + n
	}
	s.renderUsers(w, r, http.StatusOK, v)
}

func (s *Server) renderUsers(w http.ResponseWriter, r *http.Request, status int, v usersView) {
	users, err := s.wb.Users(r.Context())
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	v.Users = users
	v.Me = sessionFrom(r.Context()).User.Name
	s.render(w, r, status, "users", "用户管理", v)
}

// userCreate adds a user from the admin page.
func (s *Server) userCreate(w http.ResponseWriter, r *http.Request) {
	name, role, pw := strings.TrimSpace(r.PostFormValue("name")), r.PostFormValue("role"), r.PostFormValue("password")
	if err := workbench.ValidateUserName(name); err != nil {
		s.renderUsers(w, r, http.StatusBadRequest, usersView{Error: "用户名无效：只能包含字母、数字和 . _ @ -"})
		return
	}
	if !workbench.ValidRole(role) {
		s.renderUsers(w, r, http.StatusBadRequest, usersView{Error: "角色无效"})
		return
	}
	if len([]rune(pw)) < workbench.MinPasswordLen || len(pw) > 72 {
		s.renderUsers(w, r, http.StatusBadRequest, usersView{Error: "密码长度应为 10–72 个字符"})
		return
	}
	u, err := s.wb.AddUser(r.Context(), name, role, pw)
	if errors.Is(err, workbench.ErrUserExists) {
		s.renderUsers(w, r, http.StatusConflict, usersView{Error: "用户已存在"})
		return
	}
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	sess := sessionFrom(r.Context())
	if err := s.audit(r.Context(), workbench.AuditEntry{User: sess.User.Name, Action: workbench.AuditUserAdd,
		Detail: u.Name + " " + u.Role, Remote: remoteAddr(r)}); err != nil {
		s.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	http.Redirect(w, r, "/admin/users?created="+url.QueryEscape(u.Name), http.StatusSeeOther)
}

// userStatus is POST /admin/users/{name}/status with the form field
// action=disable or enable. Disabling ends every session of the user at
// once. An admin cannot disable their own account (the last admin could
// lock everyone out); the command line can.
func (s *Server) userStatus(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	var disabled bool
	switch r.PostFormValue("action") {
	case "disable":
		disabled = true
	case "enable":
	default:
		s.renderUsers(w, r, http.StatusBadRequest, usersView{Error: "操作无效：应为停用或启用"})
		return
	}
	sess := sessionFrom(r.Context())
	if disabled && name == sess.User.Name {
		s.renderUsers(w, r, http.StatusBadRequest, usersView{Error: "不能停用自己的账号"})
		return
	}
	err := s.wb.SetUserDisabled(r.Context(), name, disabled, sess.User.Name, remoteAddr(r))
	if errors.Is(err, workbench.ErrNoUser) {
		s.renderUsers(w, r, http.StatusNotFound, usersView{Error: "用户不存在"})
		return
	}
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	q := url.Values{}
	if disabled {
		q.Set("disabled", name)
	} else {
		q.Set("enabled", name)
	}
	http.Redirect(w, r, "/admin/users?"+q.Encode(), http.StatusSeeOther)
}

func (s *Server) auditFilter(r *http.Request) (workbench.AuditFilter, error) {
	q := r.URL.Query()
	f := workbench.AuditFilter{CallID: q.Get("call"), User: q.Get("user"), Action: q.Get("action"), Limit: 500}
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
	s.flushRefused(r.Context(), true)
	entries, err := s.wb.AuditLog(r.Context(), f)
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	s.render(w, r, http.StatusOK, "audit", "审计日志", struct {
		Filter  workbench.AuditFilter
		Entries []workbench.AuditEntry
	}{f, entries})
}

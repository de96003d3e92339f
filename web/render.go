package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"net/http"
	"path"
	"strings"

	"github.com/callqa/callqa/workbench"
)

// page is what every page template receives.
type page struct {
	Title string
	User  *workbench.User
	CSRF  string
	Path  string
	Data  any
}

// Can reports whether the page's user has one of the roles (for the nav).
func (p page) Can(roles ...string) bool {
	if p.User == nil {
		return false
	}
	for _, r := range roles {
		if p.User.Role == r {
			return true
		}
	}
	return false
}

var funcs = template.FuncMap{
	"pct": func(v float64) string {
		if math.IsNaN(v) {
			return "–"
		}
		return fmt.Sprintf("%.1f%%", v*100)
	},
	"clock":      clock,
	"eventLabel": eventLabel,
	"num": func(v float64) string {
		if math.IsNaN(v) {
			return "–"
		}
		return trimFloat(v)
	},
	"secs": func(v float64) string { return fmt.Sprintf("%.1f", v) },
	"reason": func(r string) string {
		return map[string]string{
			workbench.ReasonVeto: "一票否决", workbench.ReasonFailed: "不合格",
			workbench.ReasonReview: "投诉风险", workbench.ReasonCalibration: "抽样校准",
		}[r]
	},
	"decision": func(d string) string {
		return map[string]string{workbench.DecisionConfirm: "已确认", workbench.DecisionOverturn: "已推翻"}[d]
	},
	"role": func(r string) string {
		return map[string]string{workbench.RoleAdmin: "管理员", workbench.RoleReviewer: "质检员", workbench.RoleViewer: "查看者"}[r]
	},
	// speaker names a speaker in Chinese: "" for none, an unknown one
	// as it is.
	"speaker": func(s string) string {
		if n, ok := map[string]string{"agent": "坐席", "customer": "客户", "mixed": "混合"}[s]; ok {
			return n
		}
		return s
	},
	"action":      actionText,
	"auditDetail": auditDetail,
	"list":        func(v ...string) []string { return v },
	"deref":       func(b *bool) bool { return b != nil && *b },
	"msec":        func(ms int64) float64 { return float64(ms) / 1000 },
	"bar": func(v float64) template.HTML {
		if math.IsNaN(v) {
			return ""
		}
		v = math.Max(0, math.Min(1, v))
		return template.HTML(fmt.Sprintf(`<svg class="bar" viewBox="0 0 100 8" aria-hidden="true"><rect class="bg" width="100" height="8"/><rect class="fg" width="%.1f" height="8"/></svg>`, v*100))
	},
}

func trimFloat(v float64) string {
	s := fmt.Sprintf("%.2f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		s = "0"
	}
	return s
}

// parsePages parses each page template together with the layout, with the
// shared funcs and the server's own (extra).
func parsePages(extra template.FuncMap) (map[string]*template.Template, error) {
	layout, err := template.New("layout.html").Funcs(funcs).Funcs(extra).ParseFS(templateFiles, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	files, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(templateFiles, f)
		if err != nil {
			return nil, err
		}
		pages[name] = t
	}
	return pages, nil
}

// render writes a page with the layout.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name, title string, data any) {
	t, ok := s.pages[name]
	if !ok {
		s.fail(w, r, http.StatusInternalServerError, fmt.Errorf("no template %q", name))
		return
	}
	p := page{Title: title, Path: r.URL.Path, Data: data}
	if sess := sessionFrom(r.Context()); sess != nil {
		p.User, p.CSRF = &sess.User, sess.CSRF
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", p); err != nil {
		s.logger.ErrorContext(r.Context(), "render", "page", name, "err", err)
		http.Error(w, "内部错误", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// apiError is the JSON body of an API error.
type apiError struct {
	Error  string `json:"error"`
	Status int    `json:"status"`
}

// fail answers an error: JSON for the API, an error page otherwise. Server
// errors are logged and their detail is not shown.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, status int, err error) {
	msg := err.Error()
	if status >= 500 {
		s.logger.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		msg = "内部错误"
	}
	if isAPI(r) || strings.Contains(r.Header.Get("Accept"), "application/json") {
		s.json(w, status, apiError{Error: msg, Status: status})
		return
	}
	s.render(w, r, status, "error", http.StatusText(status), struct {
		Status  int
		Message string
	}{status, msg})
}

func (s *Server) json(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// badRequest is a client mistake shown as 400 with its message.
type badRequest struct{ msg string }

func (b badRequest) Error() string { return b.msg }

func badf(format string, args ...any) error { return badRequest{fmt.Sprintf(format, args...)} }

// actionText names an audit action in Chinese (an unknown one as it is).
func actionText(a string) string {
	if t, ok := map[string]string{
		workbench.AuditLogin: "登录", workbench.AuditLoginFailed: "登录失败", workbench.AuditLoginRefused: "登录被拒（限流）",
		workbench.AuditLogout: "退出", workbench.AuditUserAdd: "创建用户", workbench.AuditUserDisable: "停用用户",
		workbench.AuditUserEnable: "启用用户", workbench.AuditUserPasswd: "修改密码", workbench.AuditReview: "复核",
		workbench.AuditVerdict: "结论", workbench.AuditPlayback: "播放录音",
	}[a]; ok {
		return t
	}
	return a
}

// auditDetail puts the detail of an audit entry into Chinese where it
// holds a stored word: a review's decision ("overturn greeting@0.000s
// 误报": 推翻 greeting@0.000s 误报), a verdict ("pass 说明": 判定合格 说明),
// a refused login's count. Other details are shown as stored.
func auditDetail(action, detail string) string {
	word, rest, _ := strings.Cut(detail, " ")
	var words map[string]string
	switch action {
	case workbench.AuditReview:
		words = map[string]string{workbench.DecisionConfirm: "确认", workbench.DecisionOverturn: "推翻"}
	case workbench.AuditVerdict:
		words = map[string]string{"pass": "判定合格", "fail": "判定不合格"}
	case workbench.AuditLoginRefused:
		var n int
		if _, err := fmt.Sscanf(detail, loginRefusedFormat, &n); err == nil {
			return fmt.Sprintf("%d 次登录尝试被拒绝（失败次数过多）", n)
		}
	}
	if t, ok := words[word]; ok {
		return strings.TrimSpace(t + " " + rest)
	}
	return detail
}

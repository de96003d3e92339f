package web

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/report"
	"github.com/callqa/callqa/store"
	"github.com/callqa/callqa/workbench"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// Config tunes the workbench. The zero value is the documented default.
type Config struct {
	// InsecureCookies drops the Secure attribute of the session cookie, for
	// a plain-http deployment on a trusted network (serve's
	// --insecure-cookies). Default: Secure cookies, which browsers send over
	// HTTPS and to http://localhost or 127.0.0.1 only.
	InsecureCookies bool
	// TrustedProxies are the reverse proxies whose X-Forwarded-For,
	// X-Forwarded-Proto and X-Forwarded-Host headers are believed, for
	// requests whose connection comes from one of them: the client address
	// (rate limit, audit trail) is then the rightmost X-Forwarded-For
	// address outside these prefixes, and the same-origin check uses the
	// forwarded scheme and host. Default: none, the headers are ignored.
	TrustedProxies []netip.Prefix
	// SessionTTL is how long a login lasts; default 12 h (a working day).
	SessionTTL time.Duration
	// PageSize is the review queue's page length; default 50, at most 500.
	PageSize int
	// CalibrationRate is the share of passed calls drawn into the review
	// queue for calibration; default workbench.DefaultCalibrationRate (2 %),
	// negative for none.
	CalibrationRate float64
	// LoginMaxFailures failed logins per client address (an IPv6 client's
	// /64) and user name within LoginWindow lock that pair out until the
	// oldest failure ages out; defaults 5 and 15 minutes.
	LoginMaxFailures int
	// LoginMaxUserFailures failed logins of one user name from any address
	// within LoginWindow lock the user name out; default 20.
	LoginMaxUserFailures int
	LoginWindow          time.Duration
	// AudioCacheDir holds transcoded recordings, in a folder of the
	// server's own that New makes under it (callqa-audio-*, mode 0700) and
	// Close removes: several servers may share AudioCacheDir. A cached file
	// removed behind the server's back (a temporary-file cleaner) is
	// transcoded again when next played. Default os.TempDir().
	AudioCacheDir string
	// AudioCacheFiles is how many transcoded recordings are kept; default 16.
	AudioCacheFiles int
	// Indicator is the evaluation indicator row of the dashboard.
	Indicator Indicator
	// Indicators are the weights and targets of the dashboard's other
	// evaluation indicators (投诉率, 综合满意率, 成本控制情况).
	Indicators Indicators
	// LatestScorecard serves by default the scorecard version most
	// recently used in the results, as callqa report does, instead of
	// Deps.Scorecard's (which stays the default of an empty database and
	// the definition re-scoring uses). Default false: Deps.Scorecard's
	// version. Either way a request may pick another version of the
	// results (scorecard=ID:VERSION).
	LatestScorecard bool
	// Location is the hotline's time zone, that of the calls' call_date:
	// the default date ranges (the queue's last days, the dashboard's
	// month) and the times shown on pages are in it. Default Asia/Shanghai
	// (UTC+8 fixed when the time zone database is missing).
	Location *time.Location
}

// Indicator is the evaluation report's quality indicator (质量控制合格率):
// its weight in the evaluation and its target pass rate; defaults those of
// the report package (10 points, 95 %). The score is
// weight × min(1, rate/target), shown for the machine and the reviewed rate.
type Indicator struct {
	Name   string  // default 质量控制合格率
	Weight float64 // points; default 10
	Target float64 // pass rate in [0, 1]; default 0.95
}

// Indicators set the evaluation indicators of the dashboard beside the
// pass rate (whose weight and target are Indicator's): targets and weights
// by indicator key (report.IndicatorComplaint, IndicatorSatisfaction,
// IndicatorCost; defaults report.IndicatorDefs'), and whether 综合满意率
// counts only 满意 (default: 满意 and 基本满意), as callqa report
// --indicator takes them.
type Indicators struct {
	Targets, Weights map[string]float64
	OnlySatisfied    bool
}

func (c Config) withDefaults() Config {
	if c.SessionTTL == 0 {
		c.SessionTTL = 12 * time.Hour
	}
	if c.PageSize == 0 {
		c.PageSize = 50
	}
	if c.CalibrationRate == 0 {
		c.CalibrationRate = workbench.DefaultCalibrationRate
	}
	if c.LoginMaxFailures == 0 {
		c.LoginMaxFailures = 5
	}
	if c.LoginMaxUserFailures == 0 {
		c.LoginMaxUserFailures = 20
	}
	if c.LoginWindow == 0 {
		c.LoginWindow = 15 * time.Minute
	}
	if c.AudioCacheDir == "" {
		c.AudioCacheDir = os.TempDir()
	}
	if c.AudioCacheFiles == 0 {
		c.AudioCacheFiles = 16
	}
	if c.Indicator.Name == "" {
		c.Indicator.Name = report.IndicatorName
	}
	if c.Indicator.Weight == 0 {
		c.Indicator.Weight = report.DefaultWeight
	}
	if c.Indicator.Target == 0 {
		c.Indicator.Target = report.DefaultTarget
	}
	if c.Location == nil {
		c.Location = hotlineZone()
	}
	return c
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	c = c.withDefaults()
	switch {
	case c.SessionTTL < time.Minute:
		return fmt.Errorf("web config: SessionTTL %v shorter than a minute", c.SessionTTL)
	case c.PageSize < 1 || c.PageSize > 500:
		return fmt.Errorf("web config: PageSize %d outside [1, 500]", c.PageSize)
	case c.CalibrationRate > 1:
		return fmt.Errorf("web config: CalibrationRate %v above 1", c.CalibrationRate)
	case c.LoginMaxFailures < 1:
		return fmt.Errorf("web config: LoginMaxFailures %d below 1", c.LoginMaxFailures)
	case c.LoginMaxUserFailures < 1:
		return fmt.Errorf("web config: LoginMaxUserFailures %d below 1", c.LoginMaxUserFailures)
	case c.LoginWindow < time.Second:
		return fmt.Errorf("web config: LoginWindow %v shorter than a second", c.LoginWindow)
	case c.AudioCacheFiles < 1:
		return fmt.Errorf("web config: AudioCacheFiles %d below 1", c.AudioCacheFiles)
	case c.Indicator.Weight < 0:
		return fmt.Errorf("web config: Indicator.Weight %v negative", c.Indicator.Weight)
	case c.Indicator.Target <= 0 || c.Indicator.Target > 1:
		return fmt.Errorf("web config: Indicator.Target %v outside (0, 1]", c.Indicator.Target)
	}
	if fi, err := os.Stat(c.AudioCacheDir); err != nil || !fi.IsDir() {
		return fmt.Errorf("web config: AudioCacheDir %q is not a folder", c.AudioCacheDir)
	}
	if err := (report.IndicatorOptions{Targets: c.Indicators.Targets, Weights: c.Indicators.Weights}).Validate(); err != nil {
		return fmt.Errorf("web config: Indicators: %w", err)
	}
	return nil
}

// Deps are the workbench's collaborators.
type Deps struct {
	// Store is the results store (reports read it).
	Store *store.Store
	// Workbench keeps users, sessions, reviews and the audit trail.
	Workbench *workbench.Workbench
	// Source opens recordings for playback (source.Local, the S3
	// source: any pipeline.RecordingSource).
	Source Recordings
	// Scorecard is the scorecard whose results the queue and dashboard
	// show by default (its ID and version, unless
	// Config.LatestScorecard), whose rule names label findings, and whose
	// rules re-score calls with overturned findings.
	Scorecard *models.Scorecard
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Recordings opens a recording by its key; a missing one is an error
// matching fs.ErrNotExist. A reader that is an io.ReadSeeker (a local file)
// is served with Range support as is when the recording is PCM16.
type Recordings interface {
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	// OpenSidecar opens a file stored beside a recording: the call page
	// reads a transcript the results store keeps there (pipeline.Restore).
	OpenSidecar(ctx context.Context, key, suffix string) (io.ReadCloser, error)
}

// Server is the workbench's HTTP handler. Close it to remove its cached
// audio files.
type Server struct {
	cfg     Config
	store   *store.Store
	wb      *workbench.Workbench
	src     Recordings
	sc      *models.Scorecard
	now     func() time.Time
	logger  *slog.Logger
	pages   map[string]*template.Template
	limiter *loginLimiter
	// refusals counts the logins the limiter refused, for the audit trail.
	refusals refusalLog
	audio    *audioCache
	mux      *http.ServeMux

	heldCache heldCache // the scorecard versions in the results

	listenMu sync.Mutex
	listens  map[listenKey]time.Time // last playback audited per session and call
}

// New returns the workbench server.
func New(cfg Config, deps Deps, logger *slog.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	switch {
	case deps.Store == nil:
		return nil, errors.New("new web server: nil Store")
	case deps.Workbench == nil:
		return nil, errors.New("new web server: nil Workbench")
	case deps.Source == nil:
		return nil, errors.New("new web server: nil Source")
	case deps.Scorecard == nil:
		return nil, errors.New("new web server: nil Scorecard")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	now := deps.Now
	if now == nil {
		now = time.Now
	}
	pages, err := parsePages(pageFuncs(cfg.Location))
	if err != nil {
		return nil, fmt.Errorf("new web server: %w", err)
	}
	s := &Server{
		cfg: cfg, store: deps.Store, wb: deps.Workbench, src: deps.Source, sc: deps.Scorecard,
		now: now, logger: logger, pages: pages,
		limiter: newLoginLimiter(cfg.LoginMaxFailures, cfg.LoginMaxUserFailures, cfg.LoginWindow, now),
		listens: map[listenKey]time.Time{},
	}
	if s.audio, err = newAudioCache(cfg.AudioCacheDir, cfg.AudioCacheFiles); err != nil {
		return nil, fmt.Errorf("new web server: %w", err)
	}
	s.routes()
	return s, nil
}

// Close writes the audit entries of the refused logins not yet written,
// and removes the transcoded audio files the server cached, and their
// folder.
func (s *Server) Close() error {
	// Close has no context (io.Closer); the entries are a few rows.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.flushRefused(ctx, true)
	s.audio.close()
	return nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.logger.Error("panic serving request", "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
			http.Error(w, "内部错误", http.StatusInternalServerError)
		}
	}()
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; media-src 'self'; frame-ancestors 'none'")
	s.mux.ServeHTTP(w, s.withClient(r))
}

// role sets, from the most to the least privileged.
var (
	rolesAdmin    = []string{workbench.RoleAdmin}
	rolesReviewer = []string{workbench.RoleAdmin, workbench.RoleReviewer}
	rolesAll      = []string{workbench.RoleAdmin, workbench.RoleReviewer, workbench.RoleViewer}
)

func (s *Server) routes() {
	m := http.NewServeMux()
	static, _ := fs.Sub(staticFiles, "static")
	m.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	// Browsers and other clients ask for /favicon.ico whatever the page
	// links: the same icon (SVG, which browsers take from its type).
	m.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/svg+xml")
		w.Header().Set("Cache-Control", "public, max-age=86400")
		http.ServeFileFS(w, r, static, "favicon.svg")
	})
	m.HandleFunc("GET /login", s.loginPage)
	m.HandleFunc("POST /login", s.loginSubmit)
	m.HandleFunc("POST /api/login", s.apiLogin)
	m.Handle("POST /logout", s.auth(rolesAll, s.logout))
	m.Handle("GET /{$}", s.auth(rolesAll, s.home))

	m.Handle("GET /queue", s.auth(rolesReviewer, s.queuePage))
	m.Handle("GET /calls/{id}", s.auth(rolesReviewer, s.callPage))
	m.Handle("GET /calls/{id}/audio", s.auth(rolesReviewer, s.callAudio))
	m.Handle("POST /calls/{id}/reviews", s.auth(rolesReviewer, s.reviewSubmit))
	m.Handle("POST /calls/{id}/verdict", s.auth(rolesReviewer, s.verdictSubmit))

	m.Handle("GET /dashboard", s.auth(rolesAll, s.dashboardPage))
	m.Handle("GET /export/{table}", s.auth(rolesAll, s.export))

	m.Handle("GET /admin/users", s.auth(rolesAdmin, s.usersPage))
	m.Handle("POST /admin/users", s.auth(rolesAdmin, s.userCreate))
	m.Handle("POST /admin/users/{name}/status", s.auth(rolesAdmin, s.userStatus))
	m.Handle("GET /admin/audit", s.auth(rolesAdmin, s.auditPage))

	m.Handle("GET /api/me", s.auth(rolesAll, s.apiMe))
	m.Handle("GET /api/calls", s.auth(rolesReviewer, s.apiCalls))
	m.Handle("GET /api/calls/{id}", s.auth(rolesReviewer, s.apiCall))
	m.Handle("GET /api/calls/{id}/reviews", s.auth(rolesReviewer, s.apiReviews))
	m.Handle("POST /api/calls/{id}/reviews", s.auth(rolesReviewer, s.apiReviewSubmit))
	m.Handle("POST /api/calls/{id}/verdict", s.auth(rolesReviewer, s.apiVerdictSubmit))
	m.Handle("GET /api/reports/pass-rate", s.auth(rolesAll, s.apiPassRate))
	m.Handle("GET /api/reports/rules", s.auth(rolesAll, s.apiRules))
	m.Handle("GET /api/audit", s.auth(rolesAdmin, s.apiAudit))
	m.Handle("GET /api/users", s.auth(rolesAdmin, s.apiUsers))
	s.mux = m
}

// remoteAddr is the client's IP address: the connection's, or behind a
// trusted proxy the one it forwarded (see clientFrom), never a header
// another client could forge.
func remoteAddr(r *http.Request) string { return clientOf(r).addr }

// audit records an audit entry; a failure is logged, not shown to the user,
// except for playback where the caller decides.
func (s *Server) audit(ctx context.Context, e workbench.AuditEntry) error {
	err := s.wb.Audit(ctx, e)
	if err != nil {
		s.logger.ErrorContext(ctx, "audit", "action", e.Action, "user", e.User, "err", err)
	}
	return err
}

// isAPI reports whether the request is for the JSON API.
func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }

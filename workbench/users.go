package workbench

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/callqa/callqa/store"
)

// Roles of workbench users. An admin may do everything; a reviewer reviews
// calls (and reads everything but the user list); a viewer sees the
// dashboard and reports only, never recordings or transcripts.
const (
	RoleAdmin    = "admin"
	RoleReviewer = "reviewer"
	RoleViewer   = "viewer"
)

// ValidRole reports whether role is one of the workbench roles.
func ValidRole(role string) bool {
	return role == RoleAdmin || role == RoleReviewer || role == RoleViewer
}

// Audit actions recorded by the workbench.
const (
	AuditLogin       = "login"
	AuditLoginFailed = "login_failed"
	// AuditLoginRefused stands for logins the rate limit refused (429)
	// without checking the password, one entry for several attempts.
	AuditLoginRefused = "login_refused"
	AuditLogout       = "logout"
	AuditUserAdd      = "user_add"
	AuditUserDisable  = "user_disable"
	AuditUserEnable   = "user_enable"
	AuditUserPasswd   = "user_passwd"
	AuditReview       = "review"
	AuditVerdict      = "verdict"
	AuditPlayback     = "playback"
)

// Errors of the workbench store, matched with errors.Is.
var (
	ErrUserExists     = errors.New("user already exists")
	ErrBadCredentials = errors.New("wrong user name or password")
	ErrNoSession      = errors.New("no such session or session expired")
	ErrNoUser         = errors.New("no such user")
)

// MinPasswordLen is the shortest password AddUser accepts.
const MinPasswordLen = 10

var userNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)

// User is a workbench account.
type User struct {
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"created_at"`
	Disabled  bool      `json:"disabled,omitempty"`
}

// Session is a logged-in user's session. CSRF is the token every
// state-changing request of the session must carry.
type Session struct {
	User      User
	CSRF      string
	ExpiresAt time.Time
}

// AuditEntry is one line of the audit trail: who did what, when.
type AuditEntry struct {
	At     time.Time `json:"at"`
	User   string    `json:"user"`
	Action string    `json:"action"`
	CallID string    `json:"call_id,omitempty"`
	// Recording is the key of the call's recording, the call's identity
	// (two recordings may carry one call id).
	Recording string `json:"recording,omitempty"`
	Detail    string `json:"detail,omitempty"`
	Remote    string `json:"remote,omitempty"`
}

// Config configures a Workbench store. The zero value means
// bcrypt's default cost and the wall clock.
type Config struct {
	// BcryptCost is the password hashing cost; 0 means bcrypt.DefaultCost.
	// Tests lower it to bcrypt.MinCost.
	BcryptCost int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	if c.BcryptCost != 0 && (c.BcryptCost < bcrypt.MinCost || c.BcryptCost > bcrypt.MaxCost) {
		return fmt.Errorf("workbench config: BcryptCost %d outside [%d, %d]", c.BcryptCost, bcrypt.MinCost, bcrypt.MaxCost)
	}
	return nil
}

// Workbench stores what the review workbench writes: users, sessions,
// reviews, verdicts and the audit trail, in the results database (tables of
// migration 0100). It also answers the workbench's queries over results.
// It is safe for concurrent use.
type Workbench struct {
	db   *sql.DB
	st   *store.Store // the rollups kept in step with reviews and verdicts
	cost int
	now  func() time.Time
	// dummyHash is compared against when a user does not exist, so that a
	// login for an unknown name takes as long as one with a wrong password.
	dummyHash []byte
}

// New returns the workbench store in the results store's database
// (OpenStore has applied its migrations, 0100 included).
func New(s *store.Store, cfg Config) (*Workbench, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	w := &Workbench{db: s.DB(), st: s, cost: cfg.BcryptCost, now: cfg.Now}
	if w.cost == 0 {
		w.cost = bcrypt.DefaultCost
	}
	if w.now == nil {
		w.now = time.Now
	}
	h, err := bcrypt.GenerateFromPassword([]byte("callqa-dummy-password"), w.cost)
	if err != nil {
		return nil, fmt.Errorf("new workbench: %w", err)
	}
	w.dummyHash = h
	return w, nil
}

// q rewrites ? placeholders as $1, $2..., which both SQLite and PostgreSQL
// accept; it lets filters append conditions without counting. Queries here
// never hold a literal question mark.
func (w *Workbench) q(query string) string {
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// stamp is the current time as the workbench tables store it.
func (w *Workbench) stamp() string { return formatWorkbenchTime(w.now()) }

// formatWorkbenchTime formats t for the users, sessions and audit tables:
// store.TimeLayout (UTC, nine fractional digits, fixed width), so that text
// comparison (ORDER BY at, expires_at < now) orders as the times do.
// time.RFC3339Nano would not: it drops trailing zeros, and "…05Z" sorts
// after "…05.5Z".
func formatWorkbenchTime(t time.Time) string { return t.UTC().Format(store.TimeLayout) }

// parseTime reads a time of the workbench tables: store.TimeLayout, or
// RFC 3339 with any number of fractional digits as earlier versions wrote.
func parseTime(s string) time.Time {
	t, err := time.Parse(store.TimeLayout, s)
	if err != nil {
		t, _ = time.Parse(time.RFC3339Nano, s)
	}
	return t
}

// ValidateUserName reports a user name the workbench does not accept.
func ValidateUserName(name string) error {
	if !userNameRE.MatchString(name) {
		return fmt.Errorf("user name %q: want 1-64 letters, digits, '.', '_', '@' or '-'", name)
	}
	return nil
}

// AddUser creates a user with a bcrypt hash of password. It fails with
// ErrUserExists when the name is taken.
func (w *Workbench) AddUser(ctx context.Context, name, role, password string) (User, error) {
	if err := ValidateUserName(name); err != nil {
		return User{}, fmt.Errorf("add user: %w", err)
	}
	if !ValidRole(role) {
		return User{}, fmt.Errorf("add user: role %q: want admin, reviewer or viewer", role)
	}
	if err := checkPassword(password); err != nil {
		return User{}, fmt.Errorf("add user: %w", err)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), w.cost)
	if err != nil {
		return User{}, fmt.Errorf("add user: %w", err)
	}
	now := w.now().UTC()
	var exists int
	err = w.db.QueryRowContext(ctx, w.q(`SELECT COUNT(*) FROM users WHERE name = ?`), name).Scan(&exists)
	if err != nil {
		return User{}, fmt.Errorf("add user: %w", err)
	}
	if exists > 0 {
		return User{}, fmt.Errorf("add user %s: %w", name, ErrUserExists)
	}
	_, err = w.db.ExecContext(ctx, w.q(`INSERT INTO users (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)`),
		name, role, string(hash), formatWorkbenchTime(now))
	if err != nil {
		// A concurrent insert of the same name lands here too.
		return User{}, fmt.Errorf("add user %s: %w", name, err)
	}
	return User{Name: name, Role: role, CreatedAt: now}, nil
}

// SetUserDisabled disables (or enables again) the user name. Disabling also
// ends every session of the user. The change and its audit entry
// (AuditUserDisable or AuditUserEnable, by actor from remote) are written in
// one transaction. It fails with ErrNoUser when there is no such user.
func (w *Workbench) SetUserDisabled(ctx context.Context, name string, disabled bool, actor, remote string) error {
	action := AuditUserEnable
	if disabled {
		action = AuditUserDisable
	}
	return w.tx(ctx, action+" "+name, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, w.q(`UPDATE users SET disabled = ? WHERE name = ?`), b2i(disabled), name)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return ErrNoUser
		}
		if disabled {
			if _, err := tx.ExecContext(ctx, w.q(`DELETE FROM sessions WHERE user_name = ?`), name); err != nil {
				return err
			}
		}
		return w.insertAudit(ctx, tx, AuditEntry{User: actor, Action: action, Detail: name, Remote: remote})
	})
}

// SetPassword replaces the password of the user name and ends every
// session of the user, with its audit entry (AuditUserPasswd, by actor from
// remote) in the same transaction. The password follows AddUser's rules. It
// fails with ErrNoUser when there is no such user.
func (w *Workbench) SetPassword(ctx context.Context, name, password, actor, remote string) error {
	if err := checkPassword(password); err != nil {
		return fmt.Errorf("set password of %s: %w", name, err)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), w.cost)
	if err != nil {
		return fmt.Errorf("set password of %s: %w", name, err)
	}
	return w.tx(ctx, "set password of "+name, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, w.q(`UPDATE users SET password_hash = ? WHERE name = ?`), string(hash), name)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return ErrNoUser
		}
		if _, err := tx.ExecContext(ctx, w.q(`DELETE FROM sessions WHERE user_name = ?`), name); err != nil {
			return err
		}
		return w.insertAudit(ctx, tx, AuditEntry{User: actor, Action: AuditUserPasswd, Detail: name, Remote: remote})
	})
}

// checkPassword applies the password rules: at least MinPasswordLen
// characters, at most 72 bytes (bcrypt's limit).
func checkPassword(password string) error {
	if len([]rune(password)) < MinPasswordLen {
		return fmt.Errorf("password shorter than %d characters", MinPasswordLen)
	}
	if len(password) > 72 {
		return errors.New("password longer than 72 bytes (bcrypt's limit)")
	}
	return nil
}

// Users lists every user by name.
func (w *Workbench) Users(ctx context.Context) ([]User, error) {
	rows, err := w.db.QueryContext(ctx, `SELECT name, role, created_at, disabled FROM users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		var u User
		var created string
		var disabled int
		if err := rows.Scan(&u.Name, &u.Role, &created, &disabled); err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		u.CreatedAt, u.Disabled = parseTime(created), disabled != 0
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

// Authenticate checks a user's password. A wrong password, an unknown or a
// disabled user all fail with ErrBadCredentials, in about the same time.
func (w *Workbench) Authenticate(ctx context.Context, name, password string) (User, error) {
	var u User
	var hash, created string
	var disabled int
	err := w.db.QueryRowContext(ctx, w.q(`SELECT name, role, password_hash, created_at, disabled FROM users WHERE name = ?`), name).
		Scan(&u.Name, &u.Role, &hash, &created, &disabled)
	if errors.Is(err, sql.ErrNoRows) {
		bcrypt.CompareHashAndPassword(w.dummyHash, []byte(password))
		return User{}, ErrBadCredentials
	}
	if err != nil {
		return User{}, fmt.Errorf("authenticate: %w", err)
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil || disabled != 0 {
		return User{}, ErrBadCredentials
	}
	u.CreatedAt = parseTime(created)
	return u, nil
}

// randomToken returns n random bytes, URL-safe base64.
func randomToken(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// CreateSession starts a session for user, valid for ttl. It returns the
// token for the cookie (32 random bytes; only its hash is stored) and the
// session with its CSRF token.
func (w *Workbench) CreateSession(ctx context.Context, user User, ttl time.Duration) (string, Session, error) {
	token, err := randomToken(32)
	if err != nil {
		return "", Session{}, fmt.Errorf("create session: %w", err)
	}
	csrf, err := randomToken(32)
	if err != nil {
		return "", Session{}, fmt.Errorf("create session: %w", err)
	}
	now := w.now().UTC()
	exp := now.Add(ttl)
	_, err = w.db.ExecContext(ctx, w.q(`INSERT INTO sessions (token_hash, user_name, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`),
		tokenHash(token), user.Name, csrf, formatWorkbenchTime(now), formatWorkbenchTime(exp))
	if err != nil {
		return "", Session{}, fmt.Errorf("create session: %w", err)
	}
	// Drop expired sessions now and then (here: on every login, cheap with
	// few users).
	if _, err := w.db.ExecContext(ctx, w.q(`DELETE FROM sessions WHERE expires_at <= ?`), formatWorkbenchTime(now)); err != nil {
		return "", Session{}, fmt.Errorf("create session: %w", err)
	}
	return token, Session{User: user, CSRF: csrf, ExpiresAt: exp}, nil
}

// Session returns the live session of a cookie token, or ErrNoSession.
func (w *Workbench) Session(ctx context.Context, token string) (Session, error) {
	if token == "" {
		return Session{}, ErrNoSession
	}
	var s Session
	var exp, created string
	var disabled int
	err := w.db.QueryRowContext(ctx, w.q(`SELECT u.name, u.role, u.created_at, u.disabled, s.csrf, s.expires_at
		FROM sessions s JOIN users u ON u.name = s.user_name WHERE s.token_hash = ?`), tokenHash(token)).
		Scan(&s.User.Name, &s.User.Role, &created, &disabled, &s.CSRF, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, ErrNoSession
	}
	if err != nil {
		return Session{}, fmt.Errorf("session: %w", err)
	}
	s.User.CreatedAt, s.ExpiresAt = parseTime(created), parseTime(exp)
	if disabled != 0 || !w.now().Before(s.ExpiresAt) {
		return Session{}, ErrNoSession
	}
	return s, nil
}

// DeleteSession ends the session of a cookie token (logout).
func (w *Workbench) DeleteSession(ctx context.Context, token string) error {
	if _, err := w.db.ExecContext(ctx, w.q(`DELETE FROM sessions WHERE token_hash = ?`), tokenHash(token)); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// CSRFEqual compares a submitted CSRF token with the session's in constant
// time.
func CSRFEqual(session, submitted string) bool {
	return submitted != "" && subtle.ConstantTimeCompare([]byte(session), []byte(submitted)) == 1
}

// Audit appends an entry to the audit trail; a zero At means now.
func (w *Workbench) Audit(ctx context.Context, e AuditEntry) error {
	if err := w.insertAudit(ctx, w.db, e); err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return nil
}

// execer is what insertAudit needs of a *sql.DB or a *sql.Tx.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// insertAudit writes an audit entry through db (the database or a
// transaction); a zero At means now.
func (w *Workbench) insertAudit(ctx context.Context, db execer, e AuditEntry) error {
	id, err := randomToken(12)
	if err != nil {
		return err
	}
	at := e.At
	if at.IsZero() {
		at = w.now()
	}
	_, err = db.ExecContext(ctx, w.q(`INSERT INTO audit (id, at, user_name, action, call_id, recording, detail, remote) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
		id, formatWorkbenchTime(at), e.User, e.Action, e.CallID, e.Recording, e.Detail, e.Remote)
	return err
}

// AuditFilter selects audit entries; empty fields match everything.
type AuditFilter struct {
	CallID string
	// Recording selects the entries of one recording (one call, where
	// several recordings carry the same call id).
	Recording string
	User      string
	Action    string
	// Limit caps the number of entries, newest first; 0 means 200.
	Limit int
}

// AuditLog returns audit entries, newest first.
func (w *Workbench) AuditLog(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	var where []string
	var args []any
	if f.CallID != "" {
		where, args = append(where, "call_id = ?"), append(args, f.CallID)
	}
	if f.Recording != "" {
		where, args = append(where, "recording = ?"), append(args, f.Recording)
	}
	if f.User != "" {
		where, args = append(where, "user_name = ?"), append(args, f.User)
	}
	if f.Action != "" {
		where, args = append(where, "action = ?"), append(args, f.Action)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 200
	}
	query := `SELECT at, user_name, action, call_id, recording, detail, remote FROM audit`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY at DESC, id LIMIT " + strconv.Itoa(limit)
	rows, err := w.db.QueryContext(ctx, w.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var at string
		if err := rows.Scan(&at, &e.User, &e.Action, &e.CallID, &e.Recording, &e.Detail, &e.Remote); err != nil {
			return nil, fmt.Errorf("audit log: %w", err)
		}
		e.At = parseTime(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	return out, nil
}

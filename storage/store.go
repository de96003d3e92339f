package storage

import (
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/callqa/callqa/models"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	_ "modernc.org/sqlite"             // database/sql driver "sqlite"
)

// Dialects of the results store.
const (
	DialectSQLite   = "sqlite"
	DialectPostgres = "postgres"
)

// Batch statuses.
const (
	BatchRunning     = "running"
	BatchFinished    = "finished"
	BatchInterrupted = "interrupted"
	BatchFailed      = "failed"
)

// sqlitePragmas are added to every SQLite connection: wait for locks
// instead of failing, write-ahead log so readers never block the writer,
// enforce foreign keys, and take the write lock when a transaction begins
// (so two writers queue up on busy_timeout instead of deadlocking).
const sqlitePragmas = "_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_txlock=immediate"

// Store is the results store: one row per call and scorecard version, the
// findings of each result, and the batch runs. The same code and, where
// possible, the same SQL serve SQLite (the embedded default) and
// PostgreSQL; placeholders are $1, $2... in both. A Store is safe for
// concurrent use.
//
// Other files of this package may add query methods: use s.db for the
// queries and s.dialect (DialectSQLite or DialectPostgres) where the SQL
// must differ; wrap writes in s.write so that SQLite writers queue up.
type Store struct {
	// db is the connection pool.
	db *sql.DB
	// dialect is DialectSQLite or DialectPostgres.
	dialect string
	// logger receives migration and slow-path messages.
	logger *slog.Logger
	// wmu serialises write transactions on SQLite (one writer at a time
	// within this process; busy_timeout covers other processes).
	wmu sync.Mutex
	// now is the clock (time.Now).
	now func() time.Time
	// loc is the time zone in which a call's date is taken.
	loc *time.Location
	// pool sizes the PostgreSQL pool (WithPool); opened counts the
	// connections it opened (see pool.go).
	pool   PoolConfig
	opened atomic.Int64
}

// DefaultTimeZone is the time zone of the hotline (China Standard Time):
// the day a call belongs to is taken there unless WithLocation says
// otherwise.
const DefaultTimeZone = "Asia/Shanghai"

// DefaultLocation returns the location of DefaultTimeZone. Without a time
// zone database (a binary built without time/tzdata on a system without
// one) it returns the fixed UTC+8 zone, which is the same for every date
// since 1991.
func DefaultLocation() *time.Location {
	if loc, err := time.LoadLocation(DefaultTimeZone); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*3600)
}

// StoreOption sets an option of OpenStore.
type StoreOption func(*Store)

// WithLocation sets the time zone in which the day of a call is taken
// (CallDate); nil keeps the default, DefaultLocation().
func WithLocation(loc *time.Location) StoreOption {
	return func(s *Store) {
		if loc != nil {
			s.loc = loc
		}
	}
}

// OpenStore opens the results store named by url and applies the pending
// migrations. url is a file path or sqlite:PATH for SQLite (the folder is
// created if needed), or a postgres:// or postgresql:// URL for PostgreSQL
// (query parameters such as sslmode and search_path are passed through).
// The options are applied in order.
func OpenStore(ctx context.Context, url string, logger *slog.Logger, opts ...StoreOption) (*Store, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Store{logger: logger, now: time.Now, loc: DefaultLocation()}
	for _, o := range opts {
		o(s)
	}
	var err error
	switch {
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		s.dialect = DialectPostgres
		s.db, err = s.openPostgres(url)
	default:
		s.dialect = DialectSQLite
		path := strings.TrimPrefix(url, "sqlite:")
		if path == "" {
			return nil, errors.New("open store: empty database path")
		}
		file, _, _ := strings.Cut(path, "?")
		if dir := filepath.Dir(strings.TrimPrefix(file, "file:")); dir != "." && !strings.HasPrefix(file, ":memory:") {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, fmt.Errorf("open store: %w", err)
			}
		}
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		s.db, err = sql.Open("sqlite", path+sep+sqlitePragmas)
	}
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if err := s.db.PingContext(ctx); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	if err := s.migrate(ctx); err != nil {
		s.db.Close()
		return nil, err
	}
	return s, nil
}

// DB returns the connection pool, for components that keep their own
// tables in the same database (the workbench).
func (s *Store) DB() *sql.DB { return s.db }

// Dialect returns DialectSQLite or DialectPostgres.
func (s *Store) Dialect() string { return s.dialect }

// Location returns the time zone in which the day of a call is taken.
func (s *Store) Location() *time.Location { return s.loc }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// write runs fn in a transaction, committed if fn returns nil and rolled
// back otherwise, so that nothing is ever half-written.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if s.dialect == DialectSQLite {
		s.wmu.Lock()
		defer s.wmu.Unlock()
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one schema version.
type migration struct {
	version int
	name    string // file name
	sql     string
}

// migrationName is NNNN_name.sql, NNNN_name.sqlite.sql or NNNN_name.postgres.sql.
var migrationName = regexp.MustCompile(`^(\d{4})_([a-z0-9_]+?)(?:\.(sqlite|postgres))?\.sql$`)

// migrations returns the dialect's migrations in version order: for each
// version, the dialect's own file if there is one, else the portable one.
func migrations(files fs.FS, dialect string) ([]migration, error) {
	entries, err := fs.ReadDir(files, "migrations")
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	type pick struct {
		portable, own *migration
	}
	byVersion := map[int]*pick{}
	for _, e := range entries {
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("migrations: bad file name %q (want NNNN_name[.sqlite|.postgres].sql)", e.Name())
		}
		if m[3] != "" && m[3] != dialect {
			continue
		}
		v, _ := strconv.Atoi(m[1])
		b, err := fs.ReadFile(files, "migrations/"+e.Name())
		if err != nil {
			return nil, fmt.Errorf("migrations: %w", err)
		}
		mg := &migration{version: v, name: e.Name(), sql: string(b)}
		p := byVersion[v]
		if p == nil {
			p = &pick{}
			byVersion[v] = p
		}
		slot := &p.portable
		if m[3] != "" {
			slot = &p.own
		}
		if *slot != nil {
			return nil, fmt.Errorf("migrations: version %d twice: %s and %s", v, (*slot).name, e.Name())
		}
		*slot = mg
	}
	out := make([]migration, 0, len(byVersion))
	for _, p := range byVersion {
		if p.own != nil {
			out = append(out, *p.own)
		} else {
			out = append(out, *p.portable)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// migrate applies the pending migrations in one transaction, recording each
// version in schema_migrations. Concurrent openers wait for each other
// (an advisory lock on PostgreSQL, the write lock on SQLite).
func (s *Store) migrate(ctx context.Context) error {
	ms, err := migrations(migrationFiles, s.dialect)
	if err != nil {
		return err
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		if s.dialect == DialectPostgres {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(4242001)`); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER PRIMARY KEY,
			name       TEXT NOT NULL,
			applied_at TEXT NOT NULL)`); err != nil {
			return err
		}
		applied := map[int]bool{}
		rows, err := tx.QueryContext(ctx, `SELECT version FROM schema_migrations`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var v int
			if err := rows.Scan(&v); err != nil {
				rows.Close()
				return err
			}
			applied[v] = true
		}
		if err := rows.Close(); err != nil {
			return err
		}
		for _, m := range ms {
			if applied[m.version] {
				continue
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return fmt.Errorf("%s: %w", m.name, err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
				m.version, m.name, formatStoreTime(s.now())); err != nil {
				return fmt.Errorf("%s: %w", m.name, err)
			}
			s.logger.Debug("applied migration", "dialect", s.dialect, "migration", m.name)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// SchemaVersion returns the highest applied migration version.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("schema version: %w", err)
	}
	return int(v.Int64), nil
}

// keyDate finds a YYYY/MM/DD folder in a recording key.
var keyDate = regexp.MustCompile(`(?:^|/)(\d{4})/(\d{2})/(\d{2})/`)

// CallDate is the day a call belongs to, as YYYY-MM-DD: the date of
// meta.started_at in the time zone loc (the hotline's, whatever offset the
// metadata was written with; nil means DefaultLocation()); else the
// YYYY/MM/DD folder of the recording's key; else fallback (the batch date;
// may be "").
func CallDate(r *models.Result, fallback string, loc *time.Location) string {
	if r.Meta.StartedAt != nil && !r.Meta.StartedAt.IsZero() {
		if loc == nil {
			loc = DefaultLocation()
		}
		return r.Meta.StartedAt.In(loc).Format(time.DateOnly)
	}
	if m := keyDate.FindStringSubmatch(r.Recording); m != nil {
		d := m[1] + "-" + m[2] + "-" + m[3]
		if _, err := time.Parse(time.DateOnly, d); err == nil {
			return d
		}
	}
	return fallback
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// SaveResult stores r (inspected or unprocessable) as produced by batch
// batchID ("" if none) in one transaction: the results row is inserted or
// replaced, and its findings are replaced. Saving the same call with the
// same scorecard version again replaces the previous result. The call's
// date comes from CallDate, falling back on the batch's date.
func (s *Store) SaveResult(ctx context.Context, batchID string, r *models.Result) error {
	switch {
	case r == nil:
		return errors.New("save result: nil result")
	case r.CallID == "":
		return errors.New("save result: empty call_id")
	case r.Scorecard.ID == "":
		return fmt.Errorf("save result %s: empty scorecard id", r.CallID)
	case r.Status != models.StatusInspected && r.Status != models.StatusUnprocessable:
		return fmt.Errorf("save result %s: unknown status %q", r.CallID, r.Status)
	}
	doc, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("save result %s: %w", r.CallID, err)
	}
	started := ""
	if r.Meta.StartedAt != nil && !r.Meta.StartedAt.IsZero() {
		started = r.Meta.StartedAt.Format(time.RFC3339)
	}
	duration := 0.0
	if r.Audio != nil {
		duration = r.Audio.DurationS
	}
	veto := false
	for _, f := range r.Findings {
		veto = veto || f.Veto
	}
	inspectedAt := s.now().UTC()
	sc := r.Scorecard
	err = s.write(ctx, func(tx *sql.Tx) error {
		date := CallDate(r, "", s.loc)
		if date == "" && batchID != "" {
			err := tx.QueryRowContext(ctx, `SELECT date FROM batches WHERE id = $1`, batchID).Scan(&date)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		if date == "" {
			date = inspectedAt.In(s.loc).Format(time.DateOnly)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO results (
				call_id, scorecard_id, scorecard_version, recording, status, error, truncated,
				agent_id, agent_name, team, queue, call_date, started_at, duration_s,
				score, passed, veto, review, batch_id, inspected_at, result_json)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)
			ON CONFLICT (call_id, scorecard_id, scorecard_version) DO UPDATE SET
				recording = excluded.recording, status = excluded.status, error = excluded.error,
				truncated = excluded.truncated, agent_id = excluded.agent_id,
				agent_name = excluded.agent_name, team = excluded.team, queue = excluded.queue,
				call_date = excluded.call_date, started_at = excluded.started_at,
				duration_s = excluded.duration_s, score = excluded.score, passed = excluded.passed,
				veto = excluded.veto, review = excluded.review, batch_id = excluded.batch_id,
				inspected_at = excluded.inspected_at, result_json = excluded.result_json`,
			r.CallID, sc.ID, sc.Version, r.Recording, r.Status, r.Error, boolInt(r.Truncated),
			r.Meta.AgentID, r.Meta.AgentName, r.Meta.Team, r.Meta.Queue, date, started, duration,
			r.Score, boolInt(r.Passed), boolInt(veto), boolInt(r.Review), batchID,
			formatStoreTime(inspectedAt), string(doc))
		if err != nil {
			return err
		}
		// One result per recording and scorecard version: a result stored
		// for this recording under another call id (the meta sidecar was
		// unreadable then, or its call_id changed since) is replaced, so
		// that the call is not counted twice.
		if err := s.supersede(ctx, tx, r); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM findings WHERE call_id = $1 AND scorecard_id = $2 AND scorecard_version = $3`,
			r.CallID, sc.ID, sc.Version); err != nil {
			return err
		}
		if len(r.Findings) == 0 {
			return nil
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO findings (
				call_id, scorecard_id, scorecard_version, seq, rule, name, start_s, end_s,
				speaker, evidence, deduct, veto, review)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for i, f := range r.Findings {
			if _, err := stmt.ExecContext(ctx, r.CallID, sc.ID, sc.Version, i, f.Rule, f.Name, f.Start, f.End,
				f.Speaker, f.Evidence, f.Deduct, boolInt(f.Veto), boolInt(f.Review)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("save result %s: %w", r.CallID, err)
	}
	return nil
}

// supersede deletes, in tx, the results (and their findings) of r's
// recording and scorecard version stored under another call id.
func (s *Store) supersede(ctx context.Context, tx *sql.Tx, r *models.Result) error {
	sc := r.Scorecard
	rows, err := tx.QueryContext(ctx, `SELECT call_id, status FROM results
		WHERE recording = $1 AND scorecard_id = $2 AND scorecard_version = $3 AND call_id <> $4`,
		r.Recording, sc.ID, sc.Version, r.CallID)
	if err != nil {
		return err
	}
	type old struct{ id, status string }
	var olds []old
	for rows.Next() {
		var o old
		if err := rows.Scan(&o.id, &o.status); err != nil {
			rows.Close()
			return err
		}
		olds = append(olds, o)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	for _, o := range olds {
		if _, err := tx.ExecContext(ctx, `DELETE FROM findings WHERE call_id = $1 AND scorecard_id = $2 AND scorecard_version = $3`,
			o.id, sc.ID, sc.Version); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM results WHERE call_id = $1 AND scorecard_id = $2 AND scorecard_version = $3`,
			o.id, sc.ID, sc.Version); err != nil {
			return err
		}
		s.logger.InfoContext(ctx, "result replaced by one under another call id", "recording", r.Recording,
			"old_call_id", o.id, "old_status", o.status, "call_id", r.CallID, "status", r.Status)
	}
	return nil
}

// StoredCall is what a rerun needs of a stored result to skip its call and
// count it in its summary, read from the indexed columns and the findings
// without decoding the result document.
type StoredCall struct {
	CallID string
	// Status is models.StatusInspected or models.StatusUnprocessable;
	// Passed is meaningful for inspected calls.
	Status string
	Passed bool
	// AgentID, AgentName and Team come from the call's metadata.
	AgentID, AgentName, Team string
	// Rules are the rules the findings flagged, once each, in the order
	// of their first finding.
	Rules []StoredRule
}

// StoredRule is a rule flagged in a stored result.
type StoredRule struct {
	Rule, Name string
}

// StoredCall returns the stored result of the recording at key for
// scorecard version sc (the newest if there are several), or nil when
// there is none. It is one query on the results_by_recording index.
func (s *Store) StoredCall(ctx context.Context, key string, sc models.ScorecardRef) (*StoredCall, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT r.call_id, r.status, r.passed, r.agent_id, r.agent_name, r.team, fi.rule, fi.name
		FROM (SELECT call_id, status, passed, agent_id, agent_name, team FROM results
			WHERE recording = $1 AND scorecard_id = $2 AND scorecard_version = $3
			ORDER BY inspected_at DESC, call_id LIMIT 1) r
		LEFT JOIN findings fi ON fi.call_id = r.call_id AND fi.scorecard_id = $2 AND fi.scorecard_version = $3
		ORDER BY fi.seq`, key, sc.ID, sc.Version)
	if err != nil {
		return nil, fmt.Errorf("stored call %s: %w", key, err)
	}
	defer rows.Close()
	var c *StoredCall
	seen := map[string]bool{}
	for rows.Next() {
		var sc StoredCall
		var passed int
		var rule, name sql.NullString
		if err := rows.Scan(&sc.CallID, &sc.Status, &passed, &sc.AgentID, &sc.AgentName, &sc.Team, &rule, &name); err != nil {
			return nil, fmt.Errorf("stored call %s: %w", key, err)
		}
		if c == nil {
			sc.Passed = passed != 0
			c = &sc
		}
		if rule.Valid && !seen[rule.String] {
			seen[rule.String] = true
			c.Rules = append(c.Rules, StoredRule{Rule: rule.String, Name: name.String})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("stored call %s: %w", key, err)
	}
	return c, nil
}

// HasResult reports whether call callID has a result (inspected or
// unprocessable) for scorecard version sc.
func (s *Store) HasResult(ctx context.Context, callID string, sc models.ScorecardRef) (bool, error) {
	var one int
	err := s.db.QueryRowContext(ctx, `SELECT 1 FROM results WHERE call_id = $1 AND scorecard_id = $2 AND scorecard_version = $3`,
		callID, sc.ID, sc.Version).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("has result %s: %w", callID, err)
	}
	return true, nil
}

// GetResult returns the stored result of call callID for scorecard version
// sc, or an error wrapping ErrNotFound.
func (s *Store) GetResult(ctx context.Context, callID string, sc models.ScorecardRef) (*models.Result, error) {
	var doc string
	err := s.db.QueryRowContext(ctx, `SELECT result_json FROM results WHERE call_id = $1 AND scorecard_id = $2 AND scorecard_version = $3`,
		callID, sc.ID, sc.Version).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("get result %s: %w", callID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get result %s: %w", callID, err)
	}
	var r models.Result
	if err := json.Unmarshal([]byte(doc), &r); err != nil {
		return nil, fmt.Errorf("get result %s: %w", callID, err)
	}
	return &r, nil
}

// Batch is the record of one batch run: what it inspected, with which
// scorecard, when, and how it went. The counts cover every call of the
// listing, including calls whose result an earlier run had stored
// (Skipped says how many).
type Batch struct {
	ID         string              `json:"id"`
	Source     string              `json:"source"` // folder or bucket
	Prefix     string              `json:"prefix"` // e.g. 2026/11/25
	Date       string              `json:"date"`   // YYYY-MM-DD, or ""
	Scorecard  models.ScorecardRef `json:"scorecard"`
	StartedAt  time.Time           `json:"started_at"`
	FinishedAt time.Time           `json:"finished_at"` // zero while running
	// Total is the number of recordings listed so far.
	Total int `json:"total"`
	// Inspected, Unprocessable and Passed count results by status; Passed
	// is among Inspected.
	Inspected     int `json:"inspected"`
	Unprocessable int `json:"unprocessable"`
	Passed        int `json:"passed"`
	// Failed counts calls that hit a transient fault and were not stored.
	Failed int `json:"failed"`
	// Skipped counts calls that already had a result for this scorecard
	// version (also counted in Inspected/Unprocessable/Passed).
	Skipped int    `json:"skipped"`
	Status  string `json:"status"` // BatchRunning, BatchFinished, BatchInterrupted, BatchFailed
}

// NewBatchID returns a new batch id: the UTC start time and a random suffix,
// so that ids sort by start time.
func NewBatchID(now time.Time) string {
	var b [3]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	return now.UTC().Format("20060102T150405.000") + "-" + hex.EncodeToString(b[:])
}

// storeTimeLayout is the layout of the times the store writes (results'
// inspected_at, batches' started_at and finished_at): UTC with nine
// fractional digits, fixed width, so that the strings sort (ORDER BY, MAX)
// as the times do. time.RFC3339Nano drops trailing zeros, and "…03Z"
// sorts after "…03.5Z".
const storeTimeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// formatStoreTime formats t in storeTimeLayout, in UTC; "" for the zero
// time.
func formatStoreTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(storeTimeLayout)
}

// parseStoreTime reads a time written by formatStoreTime, or by earlier
// versions in RFC 3339 with or without fractional seconds; "" is the zero
// time.
func parseStoreTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse(time.RFC3339Nano, s) // accepts any number of fractional digits
}

// StartBatch records a new batch run. It fills in b.ID (if empty),
// b.StartedAt (if zero) and b.Status (BatchRunning if empty).
func (s *Store) StartBatch(ctx context.Context, b *Batch) error {
	if b.StartedAt.IsZero() {
		b.StartedAt = s.now()
	}
	if b.ID == "" {
		b.ID = NewBatchID(b.StartedAt)
	}
	if b.Status == "" {
		b.Status = BatchRunning
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO batches (id, source, prefix, date, scorecard_id, scorecard_version,
				started_at, finished_at, total, inspected, unprocessable, passed, failed, skipped, status)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
			b.ID, b.Source, b.Prefix, b.Date, b.Scorecard.ID, b.Scorecard.Version,
			formatStoreTime(b.StartedAt), formatStoreTime(b.FinishedAt), b.Total, b.Inspected, b.Unprocessable,
			b.Passed, b.Failed, b.Skipped, b.Status)
		return err
	})
	if err != nil {
		return fmt.Errorf("start batch: %w", err)
	}
	return nil
}

// UpdateBatch stores b's counts, status and finish time.
func (s *Store) UpdateBatch(ctx context.Context, b *Batch) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE batches SET finished_at = $2, total = $3, inspected = $4,
				unprocessable = $5, passed = $6, failed = $7, skipped = $8, status = $9
			WHERE id = $1`,
			b.ID, formatStoreTime(b.FinishedAt), b.Total, b.Inspected, b.Unprocessable, b.Passed, b.Failed, b.Skipped, b.Status)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			return ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("update batch %s: %w", b.ID, err)
	}
	return nil
}

// FinishBatch sets b's status (BatchFinished, BatchInterrupted or
// BatchFailed) and finish time, and stores it like UpdateBatch.
func (s *Store) FinishBatch(ctx context.Context, b *Batch, status string) error {
	b.Status = status
	b.FinishedAt = s.now()
	return s.UpdateBatch(ctx, b)
}

// GetBatch returns the batch id, or an error wrapping ErrNotFound.
func (s *Store) GetBatch(ctx context.Context, id string) (*Batch, error) {
	var b Batch
	var started, finished string
	err := s.db.QueryRowContext(ctx, `SELECT id, source, prefix, date, scorecard_id, scorecard_version,
			started_at, finished_at, total, inspected, unprocessable, passed, failed, skipped, status
		FROM batches WHERE id = $1`, id).Scan(&b.ID, &b.Source, &b.Prefix, &b.Date, &b.Scorecard.ID,
		&b.Scorecard.Version, &started, &finished, &b.Total, &b.Inspected, &b.Unprocessable, &b.Passed,
		&b.Failed, &b.Skipped, &b.Status)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("get batch %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get batch %s: %w", id, err)
	}
	if b.StartedAt, err = parseStoreTime(started); err != nil {
		return nil, fmt.Errorf("get batch %s: started_at: %w", id, err)
	}
	if b.FinishedAt, err = parseStoreTime(finished); err != nil {
		return nil, fmt.Errorf("get batch %s: finished_at: %w", id, err)
	}
	return &b, nil
}

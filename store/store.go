package store

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
	"math"
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
	// pool sizes the PostgreSQL pool (Options.Pool); opened counts the
	// connections it opened (see pool.go).
	pool   PoolConfig
	opened atomic.Int64
}

// ErrNotFound is returned (wrapped) when a result, batch or scorecard
// asked for is not in the store.
var ErrNotFound = errors.New("not found")

// DefaultTimeZone is the time zone of the hotline (China Standard Time):
// the day a call belongs to is taken there unless Options.Location
// says otherwise.
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

// Options configures Open. The zero value is the documented default.
type Options struct {
	// Location is the time zone in which the day of a call is taken
	// (CallDate). Default DefaultLocation().
	Location *time.Location
	// Pool sizes the PostgreSQL connection pool (see PoolConfig); SQLite
	// stores are not affected: their connections are the file, opened in
	// process, and an in-memory database must not be closed under its
	// user. Default PoolConfig{}'s defaults.
	Pool PoolConfig
	// Logger receives migration and slow-path messages. Default: discarded.
	Logger *slog.Logger
}

// Validate reports options that cannot work.
func (o Options) Validate() error {
	if err := o.Pool.Validate(); err != nil {
		return fmt.Errorf("store options: %w", err)
	}
	return nil
}

// Open opens the results store named by url and applies the pending
// migrations. url is a file path or sqlite:PATH for SQLite (the folder is
// created if needed), or a postgres:// or postgresql:// URL for PostgreSQL
// (query parameters such as sslmode and search_path are passed through).
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	return openUpTo(ctx, url, opts, math.MaxInt)
}

// openUpTo is Open applying the migrations up to version upTo only
// (tests of a migration start from the schema before it).
func openUpTo(ctx context.Context, url string, opts Options, upTo int) (*Store, error) {
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	s := &Store{logger: opts.Logger, now: time.Now, loc: opts.Location, pool: opts.Pool}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.loc == nil {
		s.loc = DefaultLocation()
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
	if err := s.migrate(ctx, upTo); err != nil {
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

// migrate applies the pending migrations up to version upTo in one
// transaction, recording each version in schema_migrations. Concurrent openers wait for each other
// (an advisory lock on PostgreSQL, the write lock on SQLite).
func (s *Store) migrate(ctx context.Context, upTo int) error {
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
			if applied[m.version] || m.version > upTo {
				continue
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return fmt.Errorf("%s: %w", m.name, err)
			}
			if fn := s.dataMigration(m.version); fn != nil {
				if err := fn(ctx, tx); err != nil {
					return fmt.Errorf("%s: %w", m.name, err)
				}
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
// replaced, and its findings are replaced. A result is identified by its
// recording (r.Recording, the key the source lists) and scorecard
// version: saving the same recording with the same scorecard version again
// replaces the previous result, whatever call_id either carried, and two
// recordings whose metadata carry the same call_id are two results. Such a
// clash is logged (Clashes lists them). The call's date comes from
// CallDate, falling back on the batch's date. The indicator columns
// (answered, satisfaction, agent talk time, complaint flag, each finding's
// indicator) are written in the same statement as the rest.
func (s *Store) SaveResult(ctx context.Context, batchID string, r *models.Result) error {
	switch {
	case r == nil:
		return errors.New("save result: nil result")
	case r.Recording == "":
		return fmt.Errorf("save result %s: empty recording", r.CallID)
	case r.CallID == "":
		return fmt.Errorf("save result %s: empty call_id", r.Recording)
	case r.Scorecard.ID == "":
		return fmt.Errorf("save result %s: empty scorecard id", r.Recording)
	case r.Status != models.StatusInspected && r.Status != models.StatusUnprocessable:
		return fmt.Errorf("save result %s: unknown status %q", r.Recording, r.Status)
	}
	doc, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("save result %s: %w", r.Recording, err)
	}
	started := ""
	if r.Meta.StartedAt != nil && !r.Meta.StartedAt.IsZero() {
		started = r.Meta.StartedAt.Format(time.RFC3339)
	}
	duration := 0.0
	if r.Audio != nil {
		duration = r.Audio.DurationS
	}
	veto, complaint := false, false
	for _, f := range r.Findings {
		veto = veto || f.Veto
		complaint = complaint || f.Indicator == models.IndicatorComplaint
	}
	agentTalk := 0.0
	if r.Metrics != nil && r.Metrics.Agent != nil {
		agentTalk = r.Metrics.Agent.TalkS
	}
	inspectedAt := s.now().UTC()
	sc := r.Scorecard
	var an models.AnalysisRef
	if r.Analysis != nil {
		an = *r.Analysis
	}
	var others []string
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
				recording, scorecard_id, scorecard_version, call_id, status, error, truncated,
				agent_id, agent_name, team, queue, call_date, started_at, duration_s,
				score, passed, veto, review, batch_id, inspected_at, result_json, analysis_vad, analysis_version,
				answered, satisfaction, agent_talk_s, complaint)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23,
				$24, $25, $26, $27)
			ON CONFLICT (recording, scorecard_id, scorecard_version) DO UPDATE SET
				analysis_vad = excluded.analysis_vad, analysis_version = excluded.analysis_version,
				answered = excluded.answered, satisfaction = excluded.satisfaction,
				agent_talk_s = excluded.agent_talk_s, complaint = excluded.complaint,
				call_id = excluded.call_id, status = excluded.status, error = excluded.error,
				truncated = excluded.truncated, agent_id = excluded.agent_id,
				agent_name = excluded.agent_name, team = excluded.team, queue = excluded.queue,
				call_date = excluded.call_date, started_at = excluded.started_at,
				duration_s = excluded.duration_s, score = excluded.score, passed = excluded.passed,
				veto = excluded.veto, review = excluded.review, batch_id = excluded.batch_id,
				inspected_at = excluded.inspected_at, result_json = excluded.result_json`,
			r.Recording, sc.ID, sc.Version, r.CallID, r.Status, r.Error, boolInt(r.Truncated),
			r.Meta.AgentID, r.Meta.AgentName, r.Meta.Team, r.Meta.Queue, date, started, duration,
			r.Score, boolInt(r.Passed), boolInt(veto), boolInt(r.Review), batchID,
			formatStoreTime(inspectedAt), string(doc), an.VAD, an.Version,
			boolInt(r.Meta.IsAnswered()), r.Meta.Satisfaction, agentTalk, boolInt(complaint))
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM findings WHERE recording = $1 AND scorecard_id = $2 AND scorecard_version = $3`,
			r.Recording, sc.ID, sc.Version); err != nil {
			return err
		}
		if others, err = otherRecordings(ctx, tx, r.CallID, r.Recording, 3); err != nil {
			return err
		}
		if len(r.Findings) == 0 {
			return nil
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO findings (
				recording, scorecard_id, scorecard_version, seq, rule, name, start_s, end_s,
				speaker, evidence, deduct, veto, review, indicator)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for i, f := range r.Findings {
			if _, err := stmt.ExecContext(ctx, r.Recording, sc.ID, sc.Version, i, f.Rule, f.Name, f.Start, f.End,
				f.Speaker, f.Evidence, f.Deduct, boolInt(f.Veto), boolInt(f.Review), f.Indicator); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("save result %s: %w", r.Recording, err)
	}
	if len(others) > 0 {
		s.logger.WarnContext(ctx, "call_id clash: another recording carries the same call_id; both are stored and counted",
			"call_id", r.CallID, "recording", r.Recording, "other_recordings", strings.Join(others, ", "))
	}
	return nil
}

// otherRecordings returns up to limit recordings other than recording
// whose results carry callID, under any scorecard version.
func otherRecordings(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, callID, recording string, limit int) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT DISTINCT recording FROM results WHERE call_id = $1 AND recording <> $2
		ORDER BY recording LIMIT `+strconv.Itoa(limit), callID, recording)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
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
	// Analysis is the audio analysis that measured it.
	Analysis models.AnalysisRef
	// Rules are the rules the findings flagged, once each, in the order
	// of their first finding.
	Rules []StoredRule
}

// StoredRule is a rule flagged in a stored result.
type StoredRule struct {
	Rule, Name string
}

// StoredCall returns the stored result of the recording at key for
// scorecard version sc, or nil when there is none. It is one query on the
// primary key.
func (s *Store) StoredCall(ctx context.Context, key string, sc models.ScorecardRef) (*StoredCall, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT r.call_id, r.status, r.passed, r.agent_id, r.agent_name, r.team,
			r.analysis_vad, r.analysis_version, fi.rule, fi.name
		FROM results r
		LEFT JOIN findings fi ON fi.recording = r.recording AND fi.scorecard_id = r.scorecard_id AND fi.scorecard_version = r.scorecard_version
		WHERE r.recording = $1 AND r.scorecard_id = $2 AND r.scorecard_version = $3
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
		if err := rows.Scan(&sc.CallID, &sc.Status, &passed, &sc.AgentID, &sc.AgentName, &sc.Team,
			&sc.Analysis.VAD, &sc.Analysis.Version, &rule, &name); err != nil {
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

// HasResult reports whether the recording at key has a result (inspected
// or unprocessable) for scorecard version sc.
func (s *Store) HasResult(ctx context.Context, key string, sc models.ScorecardRef) (bool, error) {
	var one int
	err := s.db.QueryRowContext(ctx, `SELECT 1 FROM results WHERE recording = $1 AND scorecard_id = $2 AND scorecard_version = $3`,
		key, sc.ID, sc.Version).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("has result %s: %w", key, err)
	}
	return true, nil
}

// GetResult returns the stored result of the recording at key for
// scorecard version sc, or an error wrapping ErrNotFound.
func (s *Store) GetResult(ctx context.Context, key string, sc models.ScorecardRef) (*models.Result, error) {
	var doc string
	err := s.db.QueryRowContext(ctx, `SELECT result_json FROM results WHERE recording = $1 AND scorecard_id = $2 AND scorecard_version = $3`,
		key, sc.ID, sc.Version).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("get result %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get result %s: %w", key, err)
	}
	var r models.Result
	if err := json.Unmarshal([]byte(doc), &r); err != nil {
		return nil, fmt.Errorf("get result %s: %w", key, err)
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
	// Failed counts calls that hit a transient fault and were not stored:
	// processing errors ("errors" in the run summary), not calls that
	// failed QA (those are Inspected - Passed).
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

// TimeLayout is the layout of the times the store writes (results'
// inspected_at, batches' started_at and finished_at): UTC with nine
// fractional digits, fixed width, so that the strings sort (ORDER BY, MAX)
// as the times do. time.RFC3339Nano drops trailing zeros, and "…03Z"
// sorts after "…03.5Z".
const TimeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// formatStoreTime formats t in TimeLayout, in UTC; "" for the zero
// time.
func formatStoreTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(TimeLayout)
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

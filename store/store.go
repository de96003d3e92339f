package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	_ "modernc.org/sqlite"             // database/sql driver "sqlite"
)

// Dialects of the results store.
const (
	DialectSQLite   = "sqlite"
	DialectPostgres = "postgres"
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

// Write runs fn in a write transaction of the store, committed if fn
// returns nil and rolled back otherwise. On SQLite the writers of a
// process queue on one lock (the store's and the workbench's alike), so
// that a review never waits out the busy timeout behind a long save of
// the same process.
func (s *Store) Write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return s.write(ctx, fn)
}

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

package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
)

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

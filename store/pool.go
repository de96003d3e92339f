package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// PoolConfig sizes the PostgreSQL connection pool of a Store. Zero values
// mean the documented defaults.
//
// database/sql keeps only 2 idle connections unless told otherwise: a
// worker running 8 calls at once then closes 6 connections each time its
// calls finish together and opens them again for the next ones, hundreds
// of PostgreSQL backends (a process each) per batch. Keeping MaxIdle at
// MaxOpen makes a busy process reuse its connections; MaxIdleTime hands
// them back once it is idle.
type PoolConfig struct {
	// MaxOpen caps the connections open at once; a query beyond it waits
	// for a free connection. Default 16.
	MaxOpen int
	// MaxIdle is how many connections are kept open while unused. Default
	// MaxOpen (never more than MaxOpen).
	MaxIdle int
	// MaxLifetime closes a connection this long after it was opened, so
	// that connections move to a failed-over or rebalanced server.
	// Default 30 minutes.
	MaxLifetime time.Duration
	// MaxIdleTime closes a connection unused for this long. Default 5
	// minutes.
	MaxIdleTime time.Duration
}

// Validate reports negative fields.
func (c PoolConfig) Validate() error {
	switch {
	case c.MaxOpen < 0:
		return fmt.Errorf("PoolConfig.MaxOpen %d must not be negative", c.MaxOpen)
	case c.MaxIdle < 0:
		return fmt.Errorf("PoolConfig.MaxIdle %d must not be negative", c.MaxIdle)
	case c.MaxLifetime < 0:
		return fmt.Errorf("PoolConfig.MaxLifetime %v must not be negative", c.MaxLifetime)
	case c.MaxIdleTime < 0:
		return fmt.Errorf("PoolConfig.MaxIdleTime %v must not be negative", c.MaxIdleTime)
	}
	return nil
}

// WithDefaults returns c with its zero fields set to the defaults.
func (c PoolConfig) WithDefaults() PoolConfig {
	if c.MaxOpen == 0 {
		c.MaxOpen = 16
	}
	if c.MaxIdle == 0 || c.MaxIdle > c.MaxOpen {
		c.MaxIdle = c.MaxOpen
	}
	if c.MaxLifetime == 0 {
		c.MaxLifetime = 30 * time.Minute
	}
	if c.MaxIdleTime == 0 {
		c.MaxIdleTime = 5 * time.Minute
	}
	return c
}

// PoolFor returns the pool of a process that runs concurrency tasks at
// once, each holding at most one connection at a time (a worker's calls):
// one connection per task, and 4 for the rest (a plan, the readiness
// check, status queries), all kept while busy.
func PoolFor(concurrency int) PoolConfig {
	n := max(concurrency, 1) + 4
	return PoolConfig{MaxOpen: n, MaxIdle: n}
}

// openPostgres opens the PostgreSQL pool at url, sized by s.pool, through
// a connector that counts the connections it opens.
func (s *Store) openPostgres(url string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	// The same statements serve ranges of very different sizes (a day, a
	// year), and pgx prepares them once per connection: after five runs
	// PostgreSQL may switch one to a generic plan, made for any dates,
	// which took the year dashboard at 11 M results from 1.3 s to 13.8 s
	// (README, Scale). A URL that says otherwise (plan_cache_mode=..., or
	// options=-c plan_cache_mode=...) is obeyed; a role's or database's
	// own setting is not (a startup parameter wins over it: put it in the
	// URL). A connection pooler that refuses unknown startup parameters
	// (PgBouncer) must be told to ignore it (ignore_startup_parameters).
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	_, set := cfg.RuntimeParams["plan_cache_mode"]
	if !set && !strings.Contains(cfg.RuntimeParams["options"], "plan_cache_mode") {
		cfg.RuntimeParams["plan_cache_mode"] = "force_custom_plan"
	}
	db := sql.OpenDB(countingConnector{Connector: stdlib.GetConnector(*cfg), opened: &s.opened})
	p := s.pool.WithDefaults()
	db.SetMaxOpenConns(p.MaxOpen)
	db.SetMaxIdleConns(p.MaxIdle)
	db.SetConnMaxLifetime(p.MaxLifetime)
	db.SetConnMaxIdleTime(p.MaxIdleTime)
	return db, nil
}

// ConnectionsOpened returns how many database connections the store has
// opened since Open (PostgreSQL; 0 for SQLite): with
// sql.DB.Stats().OpenConnections, what tells a well-sized pool from one
// that churns.
func (s *Store) ConnectionsOpened() int64 { return s.opened.Load() }

// countingConnector counts the connections its Connector opens.
type countingConnector struct {
	driver.Connector
	opened *atomic.Int64
}

func (c countingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err == nil {
		c.opened.Add(1)
	}
	return conn, err
}

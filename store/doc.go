// Package store is where inspection results go: one database/sql store
// for SQLite (modernc.org/sqlite, the embedded default) and PostgreSQL
// (pgx, the fleet), with versioned migrations (migrations/*.sql, some per
// dialect, plus Go data migrations), the results and their findings
// (keyed by recording and scorecard version), batches and the fleet's
// plans, and the aggregate queries reports read.
//
// The workbench's tables (users, sessions, audit, reviews, verdicts) are
// created by the same migrations, so that one schema version describes
// the database, but are read and written by package workbench.
//
// It is one package of about 2,000 lines, above the house's 1,500, on
// purpose: every query shares the connection pool, the dialect handling,
// the time layout and the schema the migrations define, and splitting the
// queries from the schema would make each change of a table touch two
// packages. Its files are split by concern (results, batches, fleet plans,
// report queries, indicators, migrations).
package store

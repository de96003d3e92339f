package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// This file keeps the rollups (migration 0410) in step with the rows. Each
// measure is defined once, as the SQL of one result's contribution over
// results r LEFT JOIN verdicts v; a rollup row is the sum of the
// contributions of the results it covers. A change that moves a figure
// runs inside Recount, which subtracts the contributions of the results of
// the recordings it touches, makes the change and adds them back: the
// rollups stay equal to the sums over the rows (TestRollups checks it
// against RebuildRollups after inserts, re-inspections, reviews and
// verdicts, on both backends).

// measure is one summed column of rollups.
type measure struct {
	col  string
	expr string // one result's contribution
	real bool   // DOUBLE PRECISION, else BIGINT
}

// The measures. complaint_* follow the definitions of the indicator counts
// (IndicatorCount): a complaint is counted once per answered call; it is
// confirmed when a reviewer confirmed one of its complaint findings and
// awaits review when none is confirmed and one has no review yet.
var measures = []measure{
	{col: "results", expr: `1`},
	{col: "inspected", expr: `CASE WHEN r.status = 'inspected' THEN 1 ELSE 0 END`},
	{col: "passed", expr: `CASE WHEN r.status = 'inspected' AND r.passed = 1 THEN 1 ELSE 0 END`},
	{col: "unprocessable", expr: `CASE WHEN r.status = 'unprocessable' THEN 1 ELSE 0 END`},
	{col: "score_sum", expr: `CASE WHEN r.status = 'inspected' THEN r.score ELSE 0.0 END`, real: true},
	// A reviewer's final verdict, and the reviewed verdict of the calls
	// that need no re-scoring: the final verdict where there is one, else
	// the machine's (outcome.ReviewedPassed; the failed calls with an
	// overturned finding are re-scored when read).
	{col: "verdicts", expr: `CASE WHEN r.status = 'inspected' AND v.passed IS NOT NULL THEN 1 ELSE 0 END`},
	{col: "reviewed_base", expr: `CASE WHEN r.status = 'inspected' AND (v.passed <> 0 OR (v.passed IS NULL AND r.passed <> 0)) THEN 1 ELSE 0 END`},
	{col: "answered", expr: `CASE WHEN r.answered = 1 THEN 1 ELSE 0 END`},
	{col: "answered_s", expr: `CASE WHEN r.answered = 1 THEN r.duration_s ELSE 0.0 END`, real: true},
	{col: "agent_talk_s", expr: `CASE WHEN r.answered = 1 THEN r.agent_talk_s ELSE 0.0 END`, real: true},
	{col: "surveyed", expr: `CASE WHEN r.answered = 1 AND r.satisfaction <> '' THEN 1 ELSE 0 END`},
	{col: "satisfied", expr: `CASE WHEN r.answered = 1 AND r.satisfaction = 'satisfied' THEN 1 ELSE 0 END`},
	{col: "basic", expr: `CASE WHEN r.answered = 1 AND r.satisfaction = 'basic' THEN 1 ELSE 0 END`},
	{col: "dissatisfied", expr: `CASE WHEN r.answered = 1 AND r.satisfaction = 'dissatisfied' THEN 1 ELSE 0 END`},
	{col: "complaint_flagged", expr: `CASE WHEN r.answered = 1 AND r.complaint = 1 THEN 1 ELSE 0 END`},
	{col: "complaint_confirmed", expr: `CASE WHEN r.answered = 1 AND r.complaint = 1 AND EXISTS (
			SELECT 1 FROM findings fd JOIN reviews rv ON ` + reviewOfFinding + `
			WHERE ` + complaintFinding + ` AND rv.decision = 'confirm') THEN 1 ELSE 0 END`},
	{col: "complaint_pending", expr: `CASE WHEN r.answered = 1 AND r.complaint = 1 AND NOT EXISTS (
			SELECT 1 FROM findings fd JOIN reviews rv ON ` + reviewOfFinding + `
			WHERE ` + complaintFinding + ` AND rv.decision = 'confirm') AND EXISTS (
			SELECT 1 FROM findings fd WHERE ` + complaintFinding + `
				AND NOT EXISTS (SELECT 1 FROM reviews rv WHERE ` + reviewOfFinding + `)) THEN 1 ELSE 0 END`},
}

// complaintFinding is the condition, over findings fd of the result r,
// of a complaint finding.
const complaintFinding = `fd.recording = r.recording AND fd.scorecard_id = r.scorecard_id
		AND fd.scorecard_version = r.scorecard_version AND fd.indicator = 'complaint'`

// reviewOfFinding is the condition, over reviews rv, of a review of
// finding fd: same recording and rule, start_ms the finding's start in
// whole milliseconds (round(start_s*1000) as models.StartMS computes it,
// written without the backends' ROUND, which differ on ties).
const reviewOfFinding = `rv.recording = fd.recording AND rv.rule = fd.rule
		AND fd.start_s * 1000 >= rv.start_ms - 0.5 AND fd.start_s * 1000 < rv.start_ms + 0.5`

// ruleReviews are the reviews of the findings of rule fi.rule in result
// r, and those that overturned them: a review counts once per result
// whatever the number of its findings it matches (the overturn rates'
// definition).
const (
	ruleReviewed = `(SELECT COUNT(*) FROM reviews rv WHERE rv.recording = r.recording AND rv.rule = fi.rule
			AND EXISTS (SELECT 1 FROM findings fd WHERE fd.recording = r.recording AND fd.scorecard_id = r.scorecard_id
				AND fd.scorecard_version = r.scorecard_version AND ` + reviewOfFinding + `))`
	ruleOverturned = `(SELECT COUNT(*) FROM reviews rv WHERE rv.recording = r.recording AND rv.rule = fi.rule AND rv.decision = 'overturn'
			AND EXISTS (SELECT 1 FROM findings fd WHERE fd.recording = r.recording AND fd.scorecard_id = r.scorecard_id
				AND fd.scorecard_version = r.scorecard_version AND ` + reviewOfFinding + `))`
)

// nMeasures is len(measures).
const nMeasures = 17

// The dimensions of rollups: a result counts once in each.
const (
	dimAll   = "all"
	dimTeam  = "team"
	dimAgent = "agent"
	dimQueue = "queue"
)

// rollupKey is the key of a rollups row.
type rollupKey struct {
	scID            string
	scVersion       int
	dim, date, grp  string
	name, vad       string
	analysisVersion int
}

// measureVals are the measures of a rollups row, in measures' order.
type measureVals [nMeasures]float64

// ruleKey is the key of a rule_rollups row.
type ruleKey struct {
	scID            string
	scVersion       int
	date, rule, vad string
	analysisVersion int
}

// ruleVals are the measures of a rule_rollups row.
type ruleVals struct {
	name                 string
	calls, hits, vetoes  float64
	deduct               float64
	reviewed, overturned float64
}

// versionKey is the key of a version_rollups row.
type versionKey struct{ date, versions string }

// rollupDelta accumulates the change of the rollups of one transaction.
type rollupDelta struct {
	rollups  map[rollupKey]*measureVals
	rules    map[ruleKey]*ruleVals
	versions map[versionKey]float64
}

func newRollupDelta() *rollupDelta {
	return &rollupDelta{rollups: map[rollupKey]*measureVals{}, rules: map[ruleKey]*ruleVals{}, versions: map[versionKey]float64{}}
}

// querier is what the contributions are read through: a transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// inList is "$first, $first+1, ..." for n arguments.
func inList(first, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(first+i))
	}
	return b.String()
}

// recountChunk bounds the recordings of one contributions query.
const recountChunk = 500

// add adds sign times the contributions of every result of recordings to d.
func (d *rollupDelta) add(ctx context.Context, q querier, recordings []string, sign float64) error {
	for len(recordings) > 0 {
		n := min(len(recordings), recountChunk)
		if err := d.addChunk(ctx, q, recordings[:n], sign); err != nil {
			return err
		}
		recordings = recordings[n:]
	}
	return nil
}

// contributionQueries are the three queries that read the contributions
// of n recordings ($1..$n) to the rollups, the rule rollups and the
// version rollups. Each reaches the rows of those recordings by primary
// key, whatever the planner knows of the tables (TestRecountPlans).
func contributionQueries(n int) [3]string {
	in := inList(1, n)
	exprs := make([]string, len(measures))
	for i, m := range measures {
		exprs[i] = m.expr
	}
	return [3]string{
		`SELECT r.scorecard_id, r.scorecard_version, r.call_date, r.team, r.agent_id, r.agent_name, r.queue,
			r.analysis_vad, r.analysis_version, ` + strings.Join(exprs, ", ") + `
		FROM results r LEFT JOIN verdicts v ON v.recording = r.recording
		WHERE r.recording IN (` + in + `)`,
		`SELECT r.scorecard_id, r.scorecard_version, r.call_date, fi.rule, r.analysis_vad, r.analysis_version,
			MAX(fi.name), COUNT(*), SUM(fi.deduct), MAX(CASE WHEN fi.veto = 1 THEN 1 ELSE 0 END),
			` + ruleReviewed + `, ` + ruleOverturned + `
		FROM findings fi JOIN results r ON r.recording = fi.recording
			AND r.scorecard_id = fi.scorecard_id AND r.scorecard_version = fi.scorecard_version
		WHERE r.recording IN (` + in + `) AND r.status = 'inspected'
		GROUP BY r.recording, r.scorecard_id, r.scorecard_version, r.call_date, fi.rule, r.analysis_vad, r.analysis_version`,
		`SELECT recording, scorecard_id, scorecard_version, call_date, inspected_at
		FROM results WHERE recording IN (` + in + `) ORDER BY recording`,
	}
}

func (d *rollupDelta) addChunk(ctx context.Context, q querier, recordings []string, sign float64) error {
	args := make([]any, len(recordings))
	for i, r := range recordings {
		args[i] = r
	}
	qs := contributionQueries(len(recordings))
	rows, err := q.QueryContext(ctx, qs[0], args...)
	if err != nil {
		return fmt.Errorf("rollup contributions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k rollupKey
		var team, agent, agentName, queue string
		var v measureVals
		dst := []any{&k.scID, &k.scVersion, &k.date, &team, &agent, &agentName, &queue, &k.vad, &k.analysisVersion}
		for i := range v {
			dst = append(dst, &v[i])
		}
		if err := rows.Scan(dst...); err != nil {
			return fmt.Errorf("rollup contributions: %w", err)
		}
		for _, g := range [][3]string{{dimAll, "", ""}, {dimTeam, team, ""}, {dimAgent, agent, agentName}, {dimQueue, queue, ""}} {
			k.dim, k.grp, k.name = g[0], g[1], g[2]
			acc := d.rollups[k]
			if acc == nil {
				acc = &measureVals{}
				d.rollups[k] = acc
			}
			for i := range v {
				acc[i] += sign * v[i]
			}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("rollup contributions: %w", err)
	}
	rows.Close()

	rows, err = q.QueryContext(ctx, qs[1], args...)
	if err != nil {
		return fmt.Errorf("rule rollup contributions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k ruleKey
		var v ruleVals
		if err := rows.Scan(&k.scID, &k.scVersion, &k.date, &k.rule, &k.vad, &k.analysisVersion, &v.name, &v.hits, &v.deduct, &v.vetoes,
			&v.reviewed, &v.overturned); err != nil {
			return fmt.Errorf("rule rollup contributions: %w", err)
		}
		acc := d.rules[k]
		if acc == nil {
			acc = &ruleVals{}
			d.rules[k] = acc
		}
		acc.name = max(acc.name, v.name)
		acc.calls += sign
		acc.hits += sign * v.hits
		acc.deduct += sign * v.deduct
		acc.vetoes += sign * v.vetoes
		acc.reviewed += sign * v.reviewed
		acc.overturned += sign * v.overturned
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("rule rollup contributions: %w", err)
	}
	rows.Close()

	rows, err = q.QueryContext(ctx, qs[2], args...)
	if err != nil {
		return fmt.Errorf("version rollup contributions: %w", err)
	}
	defer rows.Close()
	var vs recordingVersions
	for rows.Next() {
		var rec, id, date, at string
		var version int
		if err := rows.Scan(&rec, &id, &version, &date, &at); err != nil {
			return fmt.Errorf("version rollup contributions: %w", err)
		}
		if k, ok := vs.next(rec); ok {
			d.versions[k] += sign
		}
		vs.add(id, version, date, at)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("version rollup contributions: %w", err)
	}
	if k, ok := vs.next(""); ok {
		d.versions[k] += sign
	}
	return nil
}

// recordingVersions folds the results of one recording (read in recording
// order) into its version_rollups key: the sorted list of its scorecard
// versions, dated by its most recently inspected result.
type recordingVersions struct {
	recording    string
	versions     []string
	date, latest string
}

// next starts recording rec, returning the key of the recording before it
// (ok false when there was none or rec is the same recording).
func (v *recordingVersions) next(rec string) (versionKey, bool) {
	if rec == v.recording && rec != "" {
		return versionKey{}, false
	}
	var k versionKey
	ok := v.recording != ""
	if ok {
		sort.Strings(v.versions)
		k = versionKey{date: v.date, versions: "|" + strings.Join(v.versions, "|") + "|"}
	}
	*v = recordingVersions{recording: rec, versions: v.versions[:0]}
	return k, ok
}

// add adds one result of the current recording.
func (v *recordingVersions) add(id string, version int, date, inspectedAt string) {
	v.versions = append(v.versions, id+":"+strconv.Itoa(version))
	if inspectedAt >= v.latest {
		v.latest, v.date = inspectedAt, date
	}
}

// apply writes d to the rollup tables: rows are upserted in key order (so
// that concurrent transactions lock them in the same order) and the rows
// left with no result deleted.
func (d *rollupDelta) apply(ctx context.Context, q querier) error {
	cols := make([]string, len(measures))
	sets := make([]string, len(measures))
	for i, m := range measures {
		cols[i] = m.col
		sets[i] = m.col + " = rollups." + m.col + " + excluded." + m.col
	}
	upsert := `INSERT INTO rollups (scorecard_id, scorecard_version, dim, call_date, grp, name, analysis_vad, analysis_version, ` +
		strings.Join(cols, ", ") + `) VALUES (` + inList(1, 8+len(measures)) + `)
		ON CONFLICT (scorecard_id, scorecard_version, dim, call_date, grp, name, analysis_vad, analysis_version) DO UPDATE SET ` +
		strings.Join(sets, ", ")
	keys := make([]rollupKey, 0, len(d.rollups))
	for k, v := range d.rollups {
		if *v != (measureVals{}) {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b rollupKey) int {
		return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
	})
	for _, k := range keys {
		v := d.rollups[k]
		args := []any{k.scID, k.scVersion, k.dim, k.date, k.grp, k.name, k.vad, k.analysisVersion}
		for i, m := range measures {
			if m.real {
				args = append(args, v[i])
			} else {
				args = append(args, int64(v[i]))
			}
		}
		if _, err := q.ExecContext(ctx, upsert, args...); err != nil {
			return fmt.Errorf("update rollups: %w", err)
		}
		if v[0] < 0 {
			if _, err := q.ExecContext(ctx, `DELETE FROM rollups WHERE scorecard_id = $1 AND scorecard_version = $2 AND dim = $3
				AND call_date = $4 AND grp = $5 AND name = $6 AND analysis_vad = $7 AND analysis_version = $8 AND results <= 0`,
				args[:8]...); err != nil {
				return fmt.Errorf("update rollups: %w", err)
			}
		}
	}

	rkeys := make([]ruleKey, 0, len(d.rules))
	for k, v := range d.rules {
		if *v != (ruleVals{name: v.name}) {
			rkeys = append(rkeys, k)
		}
	}
	slices.SortFunc(rkeys, func(a, b ruleKey) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
	for _, k := range rkeys {
		v := d.rules[k]
		args := []any{k.scID, k.scVersion, k.date, k.rule, k.vad, k.analysisVersion}
		if _, err := q.ExecContext(ctx, `INSERT INTO rule_rollups (scorecard_id, scorecard_version, call_date, rule, analysis_vad, analysis_version,
				name, calls, hits, deduct, vetoes, reviewed, overturned) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
			ON CONFLICT (scorecard_id, scorecard_version, call_date, rule, analysis_vad, analysis_version) DO UPDATE SET
				name = CASE WHEN excluded.name > rule_rollups.name THEN excluded.name ELSE rule_rollups.name END,
				calls = rule_rollups.calls + excluded.calls, hits = rule_rollups.hits + excluded.hits,
				deduct = rule_rollups.deduct + excluded.deduct, vetoes = rule_rollups.vetoes + excluded.vetoes,
				reviewed = rule_rollups.reviewed + excluded.reviewed, overturned = rule_rollups.overturned + excluded.overturned`,
			append(args, v.name, int64(v.calls), int64(v.hits), v.deduct, int64(v.vetoes), int64(v.reviewed), int64(v.overturned))...); err != nil {
			return fmt.Errorf("update rule rollups: %w", err)
		}
		if v.calls < 0 {
			if _, err := q.ExecContext(ctx, `DELETE FROM rule_rollups WHERE scorecard_id = $1 AND scorecard_version = $2 AND call_date = $3
				AND rule = $4 AND analysis_vad = $5 AND analysis_version = $6 AND calls <= 0`, args...); err != nil {
				return fmt.Errorf("update rule rollups: %w", err)
			}
		}
	}

	vkeys := make([]versionKey, 0, len(d.versions))
	for k, n := range d.versions {
		if n != 0 {
			vkeys = append(vkeys, k)
		}
	}
	slices.SortFunc(vkeys, func(a, b versionKey) int {
		if c := strings.Compare(a.date, b.date); c != 0 {
			return c
		}
		return strings.Compare(a.versions, b.versions)
	})
	for _, k := range vkeys {
		n := d.versions[k]
		if _, err := q.ExecContext(ctx, `INSERT INTO version_rollups (call_date, versions, recordings) VALUES ($1, $2, $3)
			ON CONFLICT (call_date, versions) DO UPDATE SET recordings = version_rollups.recordings + excluded.recordings`,
			k.date, k.versions, int64(n)); err != nil {
			return fmt.Errorf("update version rollups: %w", err)
		}
		if n < 0 {
			if _, err := q.ExecContext(ctx, `DELETE FROM version_rollups WHERE call_date = $1 AND versions = $2 AND recordings <= 0`,
				k.date, k.versions); err != nil {
				return fmt.Errorf("update version rollups: %w", err)
			}
		}
	}
	return nil
}

// Recount runs change, a change of the rows of the results of recordings
// (a result saved, a review, a verdict), in tx, and updates the rollups in
// the same transaction: the contributions of those results before the
// change are subtracted and the contributions after it added. Every write
// that moves a figure goes through it.
//
// On PostgreSQL the recordings are locked first (transaction-scoped
// advisory locks, in sorted order): two transactions changing the same
// recording at once (a task delivered twice, a review while the call is
// re-inspected) would otherwise both subtract the same old contribution.
// SQLite runs one write transaction at a time.
func (s *Store) Recount(ctx context.Context, tx *sql.Tx, recordings []string, change func() error) error {
	recordings = slices.Compact(slices.Sorted(slices.Values(recordings)))
	if s.dialect == DialectPostgres {
		for _, r := range recordings {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(4242002, hashtext($1))`, r); err != nil {
				return fmt.Errorf("lock recording %s: %w", r, err)
			}
		}
	}
	d := newRollupDelta()
	if err := d.add(ctx, tx, recordings, -1); err != nil {
		return err
	}
	if err := change(); err != nil {
		return err
	}
	if err := d.add(ctx, tx, recordings, +1); err != nil {
		return err
	}
	return d.apply(ctx, tx)
}

// RebuildRollups recomputes every rollup from the rows, in one
// transaction: after a restore, a manual change of the tables, or to check
// them (`callqa rollup rebuild`). Reports read the old rollups until it
// commits.
func (s *Store) RebuildRollups(ctx context.Context) error {
	if err := s.write(ctx, func(tx *sql.Tx) error { return s.rebuildRollups(ctx, tx) }); err != nil {
		return fmt.Errorf("rebuild rollups: %w", err)
	}
	return nil
}

// rebuildRollups is RebuildRollups within tx (also migration 0410's data
// migration).
func (s *Store) rebuildRollups(ctx context.Context, tx *sql.Tx) error {
	for _, t := range []string{"rollups", "rule_rollups", "version_rollups", "scorecard_usage"} {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+t); err != nil {
			return err
		}
	}
	cols := make([]string, len(measures))
	sums := make([]string, len(measures))
	for i, m := range measures {
		cols[i] = m.col
		zero := "0"
		if m.real {
			zero = "0.0"
		}
		sums[i] = "COALESCE(SUM(" + m.expr + "), " + zero + ")"
	}
	for _, g := range []struct{ dim, grp, name string }{
		{dimAll, "''", "''"}, {dimTeam, "r.team", "''"}, {dimAgent, "r.agent_id", "r.agent_name"}, {dimQueue, "r.queue", "''"},
	} {
		q := `INSERT INTO rollups (scorecard_id, scorecard_version, dim, call_date, grp, name, analysis_vad, analysis_version, ` +
			strings.Join(cols, ", ") + `)
			SELECT r.scorecard_id, r.scorecard_version, '` + g.dim + `', r.call_date, ` + g.grp + `, ` + g.name + `, r.analysis_vad, r.analysis_version, ` +
			strings.Join(sums, ", ") + `
			FROM results r LEFT JOIN verdicts v ON v.recording = r.recording
			GROUP BY r.scorecard_id, r.scorecard_version, r.call_date, r.analysis_vad, r.analysis_version` + groupBy(g.grp, g.name)
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("rollups by %s: %w", g.dim, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO rule_rollups (scorecard_id, scorecard_version, call_date, rule, analysis_vad, analysis_version,
			name, calls, hits, deduct, vetoes, reviewed, overturned)
		SELECT scorecard_id, scorecard_version, call_date, rule, analysis_vad, analysis_version,
			MAX(name), COUNT(*), SUM(hits), SUM(deduct), SUM(vetoed), SUM(reviewed), SUM(overturned)
		FROM (SELECT r.scorecard_id, r.scorecard_version, r.call_date, fi.rule, r.analysis_vad, r.analysis_version,
				MAX(fi.name) AS name, COUNT(*) AS hits, SUM(fi.deduct) AS deduct,
				MAX(CASE WHEN fi.veto = 1 THEN 1 ELSE 0 END) AS vetoed,
				`+ruleReviewed+` AS reviewed, `+ruleOverturned+` AS overturned
			FROM findings fi JOIN results r ON r.recording = fi.recording
				AND r.scorecard_id = fi.scorecard_id AND r.scorecard_version = fi.scorecard_version
			WHERE r.status = 'inspected'
			GROUP BY r.recording, r.scorecard_id, r.scorecard_version, r.call_date, fi.rule, r.analysis_vad, r.analysis_version) c
		GROUP BY scorecard_id, scorecard_version, call_date, rule, analysis_vad, analysis_version`); err != nil {
		return fmt.Errorf("rule rollups: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO scorecard_usage (scorecard_id, scorecard_version, call_date, last_inspected)
		SELECT scorecard_id, scorecard_version, call_date, MAX(inspected_at) FROM results
		GROUP BY scorecard_id, scorecard_version, call_date`); err != nil {
		return fmt.Errorf("scorecard usage: %w", err)
	}
	return s.rebuildVersionRollups(ctx, tx)
}

// groupBy is ", e1, e2" for the expressions that are columns (PostgreSQL
// refuses a constant in GROUP BY).
func groupBy(exprs ...string) string {
	var b strings.Builder
	for _, e := range exprs {
		if strings.HasPrefix(e, "r.") {
			b.WriteString(", " + e)
		}
	}
	return b.String()
}

// rebuildVersionRollups recomputes version_rollups, reading the results
// in recording order (one pass, memory bounded by the number of days and
// version sets).
func (s *Store) rebuildVersionRollups(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT recording, scorecard_id, scorecard_version, call_date, inspected_at
		FROM results ORDER BY recording`)
	if err != nil {
		return fmt.Errorf("version rollups: %w", err)
	}
	defer rows.Close()
	d := newRollupDelta()
	var vs recordingVersions
	for rows.Next() {
		var rec, id, date, at string
		var version int
		if err := rows.Scan(&rec, &id, &version, &date, &at); err != nil {
			return fmt.Errorf("version rollups: %w", err)
		}
		if k, ok := vs.next(rec); ok {
			d.versions[k]++
		}
		vs.add(id, version, date, at)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("version rollups: %w", err)
	}
	rows.Close()
	if k, ok := vs.next(""); ok {
		d.versions[k]++
	}
	return d.apply(ctx, tx)
}

package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/callqa/callqa/models"
)

// backend is one results-store backend under test.
type backend struct {
	name  string
	fresh func(t *testing.T) string // the URL of a fresh, empty database
}

// backends returns SQLite (always) and PostgreSQL when CALLQA_TEST_POSTGRES
// names a server; every call gets a fresh database (a temporary file, or a
// new schema dropped at the end of the test).
func backends(t *testing.T) []backend {
	t.Helper()
	bs := []backend{{name: "sqlite", fresh: func(t *testing.T) string {
		return "sqlite:" + filepath.Join(t.TempDir(), "results.db")
	}}}
	pg := os.Getenv("CALLQA_TEST_POSTGRES")
	if pg == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("CALLQA_TEST_POSTGRES is not set, and CI is: the PostgreSQL backend must be tested")
		}
		t.Log("PostgreSQL backend skipped: set CALLQA_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test?sslmode=disable to test it")
		return bs
	}
	return append(bs, backend{name: "postgres", fresh: func(t *testing.T) string { return pgSchema(t, pg) }})
}

// pgSchema creates a fresh schema on the server and returns base with its
// search_path set to it; the schema is dropped when the test ends.
func pgSchema(t *testing.T, base string) string {
	t.Helper()
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	schema := fmt.Sprintf("callqa_test_%d_%d", time.Now().UnixNano(), rand.IntN(1e6))
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := db.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// openStore opens a fresh store on backend b, closed at the end of the test.
func openStore(t *testing.T, b backend) *Store {
	t.Helper()
	return openURL(t, b.fresh(t))
}

// openURL opens the store at url, closed at the end of the test.
func openURL(t *testing.T, url string) *Store {
	t.Helper()
	s, err := OpenStore(context.Background(), url, nil)
	if err != nil {
		t.Fatalf("OpenStore(%s): %v", url, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var sc1 = models.ScorecardRef{ID: "hotline-12333", Version: 1}

func at(s string) *time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return &t
}

// result builds an inspected or unprocessable result for tests.
func result(callID, date, team, agent string, passed bool, score float64, rules ...string) *models.Result {
	r := &models.Result{
		CallID:    callID,
		Recording: "2026/11/25/" + callID + ".wav",
		Status:    models.StatusInspected,
		Scorecard: sc1,
		Meta:      models.CallMeta{CallID: callID, AgentID: agent, AgentName: "名" + agent, Team: team, Queue: "社保", StartedAt: at(date + "T09:30:00+08:00")},
		Audio:     &models.AudioInfo{Format: "pcm_s16le", SampleRate: 8000, Channels: 2, DurationS: 60},
		Score:     score,
		Passed:    passed,
		Findings:  []models.Finding{},
	}
	for i, rule := range rules {
		r.Findings = append(r.Findings, models.Finding{Rule: rule, Name: "规则" + rule, Start: float64(i), End: float64(i) + 1, Speaker: models.SpeakerAgent, Evidence: "证据", Deduct: 5})
	}
	return r
}

func unprocessable(callID, date string) *models.Result {
	return &models.Result{CallID: callID, Recording: "x/" + callID + ".wav", Status: models.StatusUnprocessable,
		Error: "decode: not a RIFF file", Scorecard: sc1, Meta: models.CallMeta{StartedAt: at(date + "T10:00:00+08:00"), Team: "一组"}, Findings: []models.Finding{}}
}

func TestStore(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			t.Run("migrations", func(t *testing.T) { testMigrations(t, b) })
			t.Run("save", func(t *testing.T) { testSave(t, openStore(t, b)) })
			t.Run("rollback", func(t *testing.T) { testRollback(t, openStore(t, b)) })
			t.Run("concurrent", func(t *testing.T) { testConcurrent(t, openStore(t, b)) })
			t.Run("batches", func(t *testing.T) { testBatches(t, openStore(t, b)) })
			t.Run("queries", func(t *testing.T) { testQueries(t, openStore(t, b)) })
		})
	}
}

func testMigrations(t *testing.T, b backend) {
	ctx := context.Background()
	url := b.fresh(t)
	s := openURL(t, url)
	v, err := s.SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := migrations(migrationFiles, s.Dialect())
	if err != nil {
		t.Fatal(err)
	}
	if want := ms[len(ms)-1].version; v != want {
		t.Errorf("schema version = %d, want %d", v, want)
	}
	// Opening again applies nothing and keeps the data.
	if err := s.SaveResult(ctx, "", result("C1", "2026-11-25", "一组", "A1", true, 95)); err != nil {
		t.Fatal(err)
	}
	s2, err := OpenStore(ctx, url, nil)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s2.Close()
	var n int
	if err := s2.db.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != len(ms) {
		t.Errorf("schema_migrations has %d rows, want %d", n, len(ms))
	}
	if ok, err := s2.HasResult(ctx, "C1", sc1); err != nil || !ok {
		t.Errorf("after reopen HasResult = %v, %v", ok, err)
	}
}

func testSave(t *testing.T, s *Store) {
	ctx := context.Background()
	r := result("C1", "2026-11-25", "一组", "A1", false, 70, "greeting", "silence", "greeting")
	r.Review = true
	r.Findings[1].Veto = true
	if err := s.SaveResult(ctx, "b1", r); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetResult(ctx, "C1", sc1)
	if err != nil {
		t.Fatal(err)
	}
	if got.CallID != "C1" || got.Score != 70 || got.Passed || len(got.Findings) != 3 || got.Findings[0].Evidence != "证据" || !got.Meta.StartedAt.Equal(*r.Meta.StartedAt) {
		t.Errorf("GetResult = %+v", got)
	}
	row := func() (status string, veto, review, nf int, date, batch string) {
		t.Helper()
		if err := s.db.QueryRow(`SELECT status, veto, review, call_date, batch_id FROM results WHERE call_id = 'C1'`).Scan(&status, &veto, &review, &date, &batch); err != nil {
			t.Fatal(err)
		}
		if err := s.db.QueryRow(`SELECT COUNT(*) FROM findings WHERE call_id = 'C1'`).Scan(&nf); err != nil {
			t.Fatal(err)
		}
		return
	}
	if status, veto, review, nf, date, batch := row(); status != "inspected" || veto != 1 || review != 1 || nf != 3 || date != "2026-11-25" || batch != "b1" {
		t.Errorf("row = %s veto=%d review=%d findings=%d date=%s batch=%s", status, veto, review, nf, date, batch)
	}

	// Saving again replaces the row and its findings, never duplicates.
	r2 := result("C1", "2026-11-25", "一组", "A1", true, 95, "greeting")
	if err := s.SaveResult(ctx, "b2", r2); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM results`).Scan(&n); err != nil || n != 1 {
		t.Errorf("results rows = %d, %v; want 1", n, err)
	}
	if status, veto, review, nf, _, batch := row(); status != "inspected" || veto != 0 || review != 0 || nf != 1 || batch != "b2" {
		t.Errorf("after replace: %s veto=%d review=%d findings=%d batch=%s", status, veto, review, nf, batch)
	}

	// Another scorecard version is another row.
	r3 := result("C1", "2026-11-25", "一组", "A1", true, 100)
	r3.Scorecard.Version = 2
	if err := s.SaveResult(ctx, "", r3); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.HasResult(ctx, "C1", models.ScorecardRef{ID: sc1.ID, Version: 2}); err != nil || !ok {
		t.Errorf("HasResult v2 = %v, %v", ok, err)
	}
	if ok, err := s.HasResult(ctx, "C2", sc1); err != nil || ok {
		t.Errorf("HasResult(C2) = %v, %v; want false", ok, err)
	}
	if _, err := s.GetResult(ctx, "C2", sc1); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetResult(C2) error = %v, want ErrNotFound", err)
	}

	// Unprocessable results keep their reason.
	if err := s.SaveResult(ctx, "", unprocessable("U1", "2026-11-25")); err != nil {
		t.Fatal(err)
	}
	u, err := s.GetResult(ctx, "U1", sc1)
	if err != nil || u.Status != models.StatusUnprocessable || u.Error != "decode: not a RIFF file" {
		t.Errorf("unprocessable = %+v, %v", u, err)
	}

	// Invalid results are refused.
	for _, bad := range []*models.Result{nil, {Scorecard: sc1, Status: "inspected"}, {CallID: "X", Status: "inspected"}, {CallID: "X", Scorecard: sc1, Status: "odd"}} {
		if err := s.SaveResult(ctx, "", bad); err == nil {
			t.Errorf("SaveResult(%+v) = nil, want an error", bad)
		}
	}
}

// testRollback makes the third finding's insert fail (a trigger) and checks
// that the previous result is untouched: a result is never half-written.
func testRollback(t *testing.T, s *Store) {
	ctx := context.Background()
	if err := s.SaveResult(ctx, "", result("C1", "2026-11-25", "一组", "A1", true, 95, "greeting")); err != nil {
		t.Fatal(err)
	}
	var ddl []string
	if s.Dialect() == DialectPostgres {
		ddl = []string{
			`CREATE FUNCTION boom() RETURNS trigger AS $$ BEGIN IF NEW.rule = 'boom' THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql`,
			`CREATE TRIGGER boom BEFORE INSERT ON findings FOR EACH ROW EXECUTE FUNCTION boom()`,
		}
	} else {
		ddl = []string{`CREATE TRIGGER boom BEFORE INSERT ON findings WHEN NEW.rule = 'boom' BEGIN SELECT RAISE(ABORT, 'boom'); END`}
	}
	for _, q := range ddl {
		if _, err := s.db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SaveResult(ctx, "", result("C1", "2026-11-25", "二组", "A9", false, 10, "silence", "overtalk", "boom")); err == nil {
		t.Fatal("SaveResult with a failing finding = nil, want an error")
	}
	got, err := s.GetResult(ctx, "C1", sc1)
	if err != nil {
		t.Fatal(err)
	}
	var team string
	var nf int
	if err := s.db.QueryRow(`SELECT team FROM results WHERE call_id = 'C1'`).Scan(&team); err != nil {
		t.Fatal(err)
	}
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM findings WHERE call_id = 'C1' AND rule = 'greeting'`).Scan(&nf); err != nil {
		t.Fatal(err)
	}
	if got.Score != 95 || team != "一组" || nf != 1 {
		t.Errorf("after failed save: score=%v team=%s greeting findings=%d; want the old result", got.Score, team, nf)
	}
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM findings`).Scan(&nf); err != nil || nf != 1 {
		t.Errorf("findings = %d, %v; want 1", nf, err)
	}
}

// testConcurrent saves from many goroutines at once, as the worker pool
// does: every save must succeed (no SQLITE_BUSY) and none duplicate.
func testConcurrent(t *testing.T, s *Store) {
	ctx := context.Background()
	const workers, calls = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*calls)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range calls {
				// Every worker writes every call: the same rows, replaced.
				id := fmt.Sprintf("C%02d", (i+w)%calls)
				if err := s.SaveResult(ctx, "", result(id, "2026-11-25", "一组", "A1", i%2 == 0, 80, "a", "b")); err != nil {
					errs <- err
				}
				if _, err := s.HasResult(ctx, id, sc1); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var n, nf int
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM results`).Scan(&n); err != nil || n != calls {
		t.Errorf("results = %d, %v; want %d", n, err, calls)
	}
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM findings`).Scan(&nf); err != nil || nf != 2*calls {
		t.Errorf("findings = %d, %v; want %d", nf, err, 2*calls)
	}
}

func testBatches(t *testing.T, s *Store) {
	ctx := context.Background()
	b := &Batch{Source: "/data/recordings", Prefix: "2026/11/25", Date: "2026-11-25", Scorecard: sc1}
	if err := s.StartBatch(ctx, b); err != nil {
		t.Fatal(err)
	}
	if b.ID == "" || b.Status != BatchRunning || b.StartedAt.IsZero() {
		t.Fatalf("StartBatch filled %+v", b)
	}
	got, err := s.GetBatch(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != BatchRunning || !got.FinishedAt.IsZero() || got.Prefix != "2026/11/25" || got.Scorecard != sc1 || !got.StartedAt.Equal(b.StartedAt) {
		t.Errorf("GetBatch = %+v", got)
	}
	b.Total, b.Inspected, b.Unprocessable, b.Passed, b.Failed, b.Skipped = 10, 7, 2, 5, 1, 3
	if err := s.FinishBatch(ctx, b, BatchInterrupted); err != nil {
		t.Fatal(err)
	}
	got, err = s.GetBatch(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := *b
	if got.FinishedAt.IsZero() || !got.FinishedAt.Equal(b.FinishedAt) {
		t.Errorf("FinishedAt = %v, want %v", got.FinishedAt, b.FinishedAt)
	}
	got.StartedAt, got.FinishedAt, want.StartedAt, want.FinishedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if *got != want {
		t.Errorf("GetBatch = %+v, want %+v", *got, want)
	}
	if _, err := s.GetBatch(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetBatch(nope) = %v, want ErrNotFound", err)
	}
	if err := s.UpdateBatch(ctx, &Batch{ID: "nope"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("UpdateBatch(nope) = %v, want ErrNotFound", err)
	}

	// A result without a date of its own takes its batch's date.
	r := result("N1", "2026-11-25", "一组", "A1", true, 90)
	r.Meta.StartedAt = nil
	r.Recording = "flat/N1.wav"
	b2 := &Batch{Source: "x", Date: "2026-10-01", Scorecard: sc1}
	if err := s.StartBatch(ctx, b2); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveResult(ctx, b2.ID, r); err != nil {
		t.Fatal(err)
	}
	var date string
	if err := s.db.QueryRow(`SELECT call_date FROM results WHERE call_id = 'N1'`).Scan(&date); err != nil || date != "2026-10-01" {
		t.Errorf("call_date = %q, %v; want the batch date 2026-10-01", date, err)
	}
}

// testQueries checks the report queries against hand-computed figures.
func testQueries(t *testing.T, s *Store) {
	ctx := context.Background()
	if _, err := s.LatestScorecard(ctx); !errors.Is(err, ErrNotFound) {
		t.Errorf("LatestScorecard on an empty store = %v, want ErrNotFound", err)
	}
	rs := []*models.Result{
		// 2026-11-24: team 一组, 2 inspected (1 passed), 1 unprocessable.
		result("D1", "2026-11-24", "一组", "A1", true, 90),
		result("D2", "2026-11-24", "一组", "A2", false, 60, "greeting", "greeting", "silence"),
		unprocessable("D3", "2026-11-24"),
		// 2026-11-25: team 二组 never passes; team 一组 passes once.
		result("E1", "2026-11-25", "二组", "B1", false, 50, "greeting"),
		result("E2", "2026-11-25", "二组", "B1", false, 40, "silence", "overtalk"),
		result("E3", "2026-11-25", "一组", "A1", true, 100),
		// 2026-12-01: next month.
		result("F1", "2026-12-01", "一组", "A1", true, 85, "overtalk"),
	}
	for _, r := range rs {
		if err := s.SaveResult(ctx, "", r); err != nil {
			t.Fatal(err)
		}
	}
	// Another scorecard version must not leak into the figures.
	other := result("Z1", "2026-11-25", "一组", "A1", false, 0, "greeting")
	other.Scorecard.Version = 0
	s.now = func() time.Time { return time.Now().Add(-time.Hour) }
	if err := s.SaveResult(ctx, "", other); err != nil {
		t.Fatal(err)
	}
	if got, err := s.LatestScorecard(ctx); err != nil || got != sc1 {
		t.Errorf("LatestScorecard = %v, %v; want %v", got, err, sc1)
	}

	all := ReportFilter{Scorecard: sc1}
	tests := []struct {
		name string
		f    ReportFilter
		by   string
		want []GroupCount
	}{
		{"day", all, GroupDay, []GroupCount{
			{Key: "2026-11-24", Label: "2026-11-24", Inspected: 2, Passed: 1, Unprocessable: 1, ScoreSum: 150},
			{Key: "2026-11-25", Label: "2026-11-25", Inspected: 3, Passed: 1, ScoreSum: 190},
			{Key: "2026-12-01", Label: "2026-12-01", Inspected: 1, Passed: 1, ScoreSum: 85},
		}},
		{"month", all, GroupMonth, []GroupCount{
			{Key: "2026-11", Label: "2026-11", Inspected: 5, Passed: 2, Unprocessable: 1, ScoreSum: 340},
			{Key: "2026-12", Label: "2026-12", Inspected: 1, Passed: 1, ScoreSum: 85},
		}},
		{"team in November", ReportFilter{Scorecard: sc1, From: "2026-11-01", To: "2026-11-30"}, GroupTeam, []GroupCount{
			{Key: "一组", Label: "一组", Inspected: 3, Passed: 2, Unprocessable: 1, ScoreSum: 250},
			{Key: "二组", Label: "二组", Inspected: 2, Passed: 0, ScoreSum: 90},
		}},
		{"agent from the 25th", ReportFilter{Scorecard: sc1, From: "2026-11-25"}, GroupAgent, []GroupCount{
			{Key: "A1", Label: "名A1", Inspected: 2, Passed: 2, ScoreSum: 185},
			{Key: "B1", Label: "名B1", Inspected: 2, Passed: 0, ScoreSum: 90},
		}},
		{"queue", all, GroupQueue, []GroupCount{
			{Key: "", Label: "", Inspected: 0, Unprocessable: 1},
			{Key: "社保", Label: "社保", Inspected: 6, Passed: 3, ScoreSum: 425},
		}},
		{"empty range", ReportFilter{Scorecard: sc1, From: "2027-01-01"}, GroupDay, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.GroupCounts(ctx, tt.f, tt.by)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("GroupCounts(%s) =\n%v\nwant\n%v", tt.by, got, tt.want)
			}
		})
	}
	if _, err := s.GroupCounts(ctx, all, "planet"); err == nil {
		t.Error("GroupCounts(planet) = nil error")
	}

	rules, err := s.RuleCounts(ctx, ReportFilter{Scorecard: sc1, To: "2026-11-30"})
	if err != nil {
		t.Fatal(err)
	}
	wantRules := []RuleCount{
		{Rule: "greeting", Name: "规则greeting", Calls: 2, Hits: 3, Deduct: 15},
		{Rule: "silence", Name: "规则silence", Calls: 2, Hits: 2, Deduct: 10},
		{Rule: "overtalk", Name: "规则overtalk", Calls: 1, Hits: 1, Deduct: 5},
	}
	if fmt.Sprint(rules) != fmt.Sprint(wantRules) {
		t.Errorf("RuleCounts =\n%v\nwant\n%v", rules, wantRules)
	}
}

func TestCallDate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		started   *time.Time
		recording string
		fallback  string
		want      string
	}{
		// 23:30 in Beijing is the 25th there, the 25th 15:30 UTC: the call's own zone wins.
		{"meta in its own zone", at("2026-11-25T23:30:00+08:00"), "2026/11/24/C.wav", "2026-01-01", "2026-11-25"},
		{"meta just after midnight", at("2026-11-26T00:10:00+08:00"), "", "", "2026-11-26"},
		{"key date path", nil, "recordings/2026/11/24/C.wav", "2026-01-01", "2026-11-24"},
		{"key date at the start", nil, "2026/02/03/C.wav", "", "2026-02-03"},
		{"impossible key date", nil, "2026/13/40/C.wav", "2026-01-01", "2026-01-01"},
		{"fallback", nil, "flat/C.wav", "2026-01-01", "2026-01-01"},
		{"nothing", nil, "C.wav", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &models.Result{Recording: tt.recording, Meta: models.CallMeta{StartedAt: tt.started}}
			if got := CallDate(r, tt.fallback); got != tt.want {
				t.Errorf("CallDate = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestMigrationsPick(t *testing.T) {
	t.Parallel()
	files := fstest.MapFS{
		"migrations/0001_init.sql":             {Data: []byte("portable 1")},
		"migrations/0002_x.sql":                {Data: []byte("portable 2")},
		"migrations/0002_x.postgres.sql":       {Data: []byte("postgres 2")},
		"migrations/0100_workbench.sqlite.sql": {Data: []byte("sqlite 100")},
	}
	tests := []struct {
		dialect string
		want    string
	}{
		{DialectSQLite, "[{1 0001_init.sql portable 1} {2 0002_x.sql portable 2} {100 0100_workbench.sqlite.sql sqlite 100}]"},
		{DialectPostgres, "[{1 0001_init.sql portable 1} {2 0002_x.postgres.sql postgres 2}]"},
	}
	for _, tt := range tests {
		ms, err := migrations(files, tt.dialect)
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(ms); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.dialect, got, tt.want)
		}
	}
	for name, bad := range map[string]fstest.MapFS{
		"bad name": {"migrations/1_init.sql": {}},
		"twice":    {"migrations/0001_a.sql": {}, "migrations/0001_b.sql": {}},
		"not sql":  {"migrations/0001_a.txt": {}},
	} {
		if _, err := migrations(bad, DialectSQLite); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestOpenStoreErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, u := range []string{"", "sqlite:", "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2"} {
		if s, err := OpenStore(ctx, u, nil); err == nil {
			s.Close()
			t.Errorf("OpenStore(%q) = nil error", u)
		}
	}
}

package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/callqa/callqa/internal/testsvc"
	"github.com/callqa/callqa/outcome"

	"github.com/callqa/callqa/models"
)

// openStore opens a fresh store on backend b, closed at the end of the test.
func openStore(t *testing.T, b testsvc.Backend) *Store {
	t.Helper()
	return openURL(t, b.Fresh(t))
}

// openURL opens the store at url, closed at the end of the test.
func openURL(t *testing.T, url string) *Store {
	t.Helper()
	s, err := Open(context.Background(), url, Options{})
	if err != nil {
		t.Fatalf("Open(%s): %v", url, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestStore(t *testing.T) {
	t.Parallel()
	for _, b := range testsvc.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			t.Run("migrations", func(t *testing.T) { testMigrations(t, b) })
			t.Run("save", func(t *testing.T) { testSave(t, openStore(t, b)) })
			t.Run("rollback", func(t *testing.T) { testRollback(t, openStore(t, b)) })
			t.Run("concurrent", func(t *testing.T) { testConcurrent(t, openStore(t, b)) })
			t.Run("batches", func(t *testing.T) { testBatches(t, openStore(t, b)) })
			t.Run("queries", func(t *testing.T) { testQueries(t, openStore(t, b)) })
			t.Run("time zone", func(t *testing.T) { testTimeZone(t, b) })
			t.Run("time order", func(t *testing.T) { testTimeOrder(t, openStore(t, b)) })
			t.Run("stored call", func(t *testing.T) { testStoredCall(t, openStore(t, b)) })
			t.Run("supersede", func(t *testing.T) { testSupersede(t, openStore(t, b)) })
			t.Run("other scorecards", func(t *testing.T) { testOtherScorecards(t, openStore(t, b)) })
			t.Run("list calls", func(t *testing.T) { testListCalls(t, openStore(t, b)) })
		})
	}
}

func testMigrations(t *testing.T, b testsvc.Backend) {
	ctx := context.Background()
	url := b.Fresh(t)
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
	if err := s.SaveResult(ctx, "", testsvc.Result("C1", "2026-11-25", "一组", "A1", true, 95)); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(ctx, url, Options{})
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
	if ok, err := s2.HasResult(ctx, "2026/11/25/C1.wav", testsvc.Scorecard); err != nil || !ok {
		t.Errorf("after reopen HasResult = %v, %v", ok, err)
	}
}

func testSave(t *testing.T, s *Store) {
	ctx := context.Background()
	r := testsvc.Result("C1", "2026-11-25", "一组", "A1", false, 70, "greeting", "silence", "greeting")
	r.Review = true
	r.Findings[1].Veto = true
	if err := s.SaveResult(ctx, "b1", r); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetResult(ctx, "2026/11/25/C1.wav", testsvc.Scorecard)
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
		if err := s.db.QueryRow(`SELECT COUNT(*) FROM findings WHERE recording = '2026/11/25/C1.wav'`).Scan(&nf); err != nil {
			t.Fatal(err)
		}
		return
	}
	if status, veto, review, nf, date, batch := row(); status != "inspected" || veto != 1 || review != 1 || nf != 3 || date != "2026-11-25" || batch != "b1" {
		t.Errorf("row = %s veto=%d review=%d findings=%d date=%s batch=%s", status, veto, review, nf, date, batch)
	}

	// Saving again replaces the row and its findings, never duplicates.
	r2 := testsvc.Result("C1", "2026-11-25", "一组", "A1", true, 95, "greeting")
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
	r3 := testsvc.Result("C1", "2026-11-25", "一组", "A1", true, 100)
	r3.Scorecard.Version = 2
	if err := s.SaveResult(ctx, "", r3); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.HasResult(ctx, "2026/11/25/C1.wav", models.ScorecardRef{ID: testsvc.Scorecard.ID, Version: 2}); err != nil || !ok {
		t.Errorf("HasResult v2 = %v, %v", ok, err)
	}
	if ok, err := s.HasResult(ctx, "2026/11/25/C2.wav", testsvc.Scorecard); err != nil || ok {
		t.Errorf("HasResult(C2) = %v, %v; want false", ok, err)
	}
	if _, err := s.GetResult(ctx, "2026/11/25/C2.wav", testsvc.Scorecard); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetResult(C2) error = %v, want ErrNotFound", err)
	}

	// Unprocessable results keep their reason.
	if err := s.SaveResult(ctx, "", testsvc.Unprocessable("U1", "2026-11-25")); err != nil {
		t.Fatal(err)
	}
	u, err := s.GetResult(ctx, "x/U1.wav", testsvc.Scorecard)
	if err != nil || u.Status != models.StatusUnprocessable || u.Error != "decode: not a RIFF file" {
		t.Errorf("unprocessable = %+v, %v", u, err)
	}

	// Invalid results are refused.
	for _, bad := range []*models.Result{nil, {Scorecard: testsvc.Scorecard, Status: "inspected"}, {CallID: "X", Status: "inspected"}, {CallID: "X", Recording: "x.wav", Scorecard: testsvc.Scorecard, Status: "odd"}, {CallID: "X", Scorecard: testsvc.Scorecard, Status: "inspected"}} {
		if err := s.SaveResult(ctx, "", bad); err == nil {
			t.Errorf("SaveResult(%+v) = nil, want an error", bad)
		}
	}
}

// testRollback makes the third finding's insert fail (a trigger) and checks
// that the previous result is untouched: a result is never half-written.
func testRollback(t *testing.T, s *Store) {
	ctx := context.Background()
	if err := s.SaveResult(ctx, "", testsvc.Result("C1", "2026-11-25", "一组", "A1", true, 95, "greeting")); err != nil {
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
	if err := s.SaveResult(ctx, "", testsvc.Result("C1", "2026-11-25", "二组", "A9", false, 10, "silence", "overtalk", "boom")); err == nil {
		t.Fatal("SaveResult with a failing finding = nil, want an error")
	}
	got, err := s.GetResult(ctx, "2026/11/25/C1.wav", testsvc.Scorecard)
	if err != nil {
		t.Fatal(err)
	}
	var team string
	var nf int
	if err := s.db.QueryRow(`SELECT team FROM results WHERE call_id = 'C1'`).Scan(&team); err != nil {
		t.Fatal(err)
	}
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM findings WHERE recording = '2026/11/25/C1.wav' AND rule = 'greeting'`).Scan(&nf); err != nil {
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
				if err := s.SaveResult(ctx, "", testsvc.Result(id, "2026-11-25", "一组", "A1", i%2 == 0, 80, "a", "b")); err != nil {
					errs <- err
				}
				if _, err := s.HasResult(ctx, "2026/11/25/"+id+".wav", testsvc.Scorecard); err != nil {
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
	b := &Batch{Source: "/data/recordings", Prefix: "2026/11/25", Date: "2026-11-25", Scorecard: testsvc.Scorecard}
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
	if got.Status != BatchRunning || !got.FinishedAt.IsZero() || got.Prefix != "2026/11/25" || got.Scorecard != testsvc.Scorecard || !got.StartedAt.Equal(b.StartedAt) {
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
	r := testsvc.Result("N1", "2026-11-25", "一组", "A1", true, 90)
	r.Meta.StartedAt = nil
	r.Recording = "flat/N1.wav"
	b2 := &Batch{Source: "x", Date: "2026-10-01", Scorecard: testsvc.Scorecard}
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
		testsvc.Result("D1", "2026-11-24", "一组", "A1", true, 90),
		testsvc.Result("D2", "2026-11-24", "一组", "A2", false, 60, "greeting", "greeting", "silence"),
		testsvc.Unprocessable("D3", "2026-11-24"),
		// 2026-11-25: team 二组 never passes; team 一组 passes once.
		testsvc.Result("E1", "2026-11-25", "二组", "B1", false, 50, "greeting"),
		testsvc.Result("E2", "2026-11-25", "二组", "B1", false, 40, "silence", "overtalk"),
		testsvc.Result("E3", "2026-11-25", "一组", "A1", true, 100),
		// 2026-12-01: next month.
		testsvc.Result("F1", "2026-12-01", "一组", "A1", true, 85, "overtalk"),
	}
	for _, r := range rs {
		if err := s.SaveResult(ctx, "", r); err != nil {
			t.Fatal(err)
		}
	}
	// Another scorecard version must not leak into the figures.
	other := testsvc.Result("Z1", "2026-11-25", "一组", "A1", false, 0, "greeting")
	other.Scorecard.Version = 0
	s.now = func() time.Time { return time.Now().Add(-time.Hour) }
	if err := s.SaveResult(ctx, "", other); err != nil {
		t.Fatal(err)
	}
	if got, err := s.LatestScorecard(ctx); err != nil || got != testsvc.Scorecard {
		t.Errorf("LatestScorecard = %v, %v; want %v", got, err, testsvc.Scorecard)
	}

	all := ReportFilter{Scorecard: testsvc.Scorecard}
	tests := []struct {
		name string
		f    ReportFilter
		by   string
		want []GroupCount
	}{
		{"day", all, GroupDay, []GroupCount{
			{Key: "2026-11-24", Label: "2026-11-24", Counts: outcome.Counts{Inspected: 2, Passed: 1, Unprocessable: 1}, ScoreSum: 150},
			{Key: "2026-11-25", Label: "2026-11-25", Counts: outcome.Counts{Inspected: 3, Passed: 1}, ScoreSum: 190},
			{Key: "2026-12-01", Label: "2026-12-01", Counts: outcome.Counts{Inspected: 1, Passed: 1}, ScoreSum: 85},
		}},
		{"month", all, GroupMonth, []GroupCount{
			{Key: "2026-11", Label: "2026-11", Counts: outcome.Counts{Inspected: 5, Passed: 2, Unprocessable: 1}, ScoreSum: 340},
			{Key: "2026-12", Label: "2026-12", Counts: outcome.Counts{Inspected: 1, Passed: 1}, ScoreSum: 85},
		}},
		{"team in November", ReportFilter{Scorecard: testsvc.Scorecard, From: "2026-11-01", To: "2026-11-30"}, GroupTeam, []GroupCount{
			{Key: "一组", Label: "一组", Counts: outcome.Counts{Inspected: 3, Passed: 2, Unprocessable: 1}, ScoreSum: 250},
			{Key: "二组", Label: "二组", Counts: outcome.Counts{Inspected: 2, Passed: 0}, ScoreSum: 90},
		}},
		{"agent from the 25th", ReportFilter{Scorecard: testsvc.Scorecard, From: "2026-11-25"}, GroupAgent, []GroupCount{
			{Key: "A1", Label: "名A1", Counts: outcome.Counts{Inspected: 2, Passed: 2}, ScoreSum: 185},
			{Key: "B1", Label: "名B1", Counts: outcome.Counts{Inspected: 2, Passed: 0}, ScoreSum: 90},
		}},
		{"queue", all, GroupQueue, []GroupCount{
			{Key: "", Label: "", Counts: outcome.Counts{Inspected: 0, Unprocessable: 1}},
			{Key: "社保", Label: "社保", Counts: outcome.Counts{Inspected: 6, Passed: 3}, ScoreSum: 425},
		}},
		{"empty range", ReportFilter{Scorecard: testsvc.Scorecard, From: "2027-01-01"}, GroupDay, nil},
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

	rules, err := s.RuleCounts(ctx, ReportFilter{Scorecard: testsvc.Scorecard, To: "2026-11-30"})
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
		{"meta in its own zone", testsvc.At("2026-11-25T23:30:00+08:00"), "2026/11/24/C.wav", "2026-01-01", "2026-11-25"},
		{"meta just after midnight", testsvc.At("2026-11-26T00:10:00+08:00"), "", "", "2026-11-26"},
		// Metadata written in UTC: 17:30Z is 01:30 the next day in Shanghai.
		{"meta in UTC", testsvc.At("2026-11-24T17:30:00Z"), "2026/11/24/C.wav", "", "2026-11-25"},
		{"meta in UTC, before 16:00", testsvc.At("2026-11-24T15:59:59Z"), "", "", "2026-11-24"},
		{"meta in another offset", testsvc.At("2026-11-24T12:00:00-05:00"), "", "", "2026-11-25"},
		{"key date path", nil, "recordings/2026/11/24/C.wav", "2026-01-01", "2026-11-24"},
		{"key date at the start", nil, "2026/02/03/C.wav", "", "2026-02-03"},
		{"impossible key date", nil, "2026/13/40/C.wav", "2026-01-01", "2026-01-01"},
		{"fallback", nil, "flat/C.wav", "2026-01-01", "2026-01-01"},
		{"nothing", nil, "C.wav", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &models.Result{Recording: tt.recording, Meta: models.CallMeta{StartedAt: tt.started}}
			if got := CallDate(r, tt.fallback, nil); got != tt.want {
				t.Errorf("CallDate = %q, want %q", got, tt.want)
			}
			sh, err := time.LoadLocation(DefaultTimeZone)
			if err != nil {
				t.Fatal(err)
			}
			if got := CallDate(r, tt.fallback, sh); got != tt.want {
				t.Errorf("CallDate(Asia/Shanghai) = %q, want %q", got, tt.want)
			}
			if tt.started != nil {
				if got, want := CallDate(r, tt.fallback, time.UTC), tt.started.UTC().Format(time.DateOnly); got != want {
					t.Errorf("CallDate(UTC) = %q, want %q", got, want)
				}
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
		if s, err := Open(ctx, u, Options{}); err == nil {
			s.Close()
			t.Errorf("Open(%q) = nil error", u)
		}
	}
}

// testTimeZone saves a call whose metadata gives started_at in UTC: its
// date is the hotline's (Asia/Shanghai) by default, and the configured
// zone's with WithLocation.
func testTimeZone(t *testing.T, b testsvc.Backend) {
	ctx := context.Background()
	r := testsvc.Result("TZ1", "2026-11-25", "一组", "A1", true, 95)
	r.Meta.StartedAt = testsvc.At("2026-11-24T17:30:00Z")
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"default", Options{}, "2026-11-25"},
		{"nil location", Options{Location: nil}, "2026-11-25"},
		{"UTC", Options{Location: time.UTC}, "2026-11-24"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(ctx, b.Fresh(t), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := s.SaveResult(ctx, "", r); err != nil {
				t.Fatal(err)
			}
			var date string
			if err := s.db.QueryRow(`SELECT call_date FROM results WHERE call_id = 'TZ1'`).Scan(&date); err != nil || date != tt.want {
				t.Errorf("call_date = %q, %v; want %s", date, err, tt.want)
			}
			gs, err := s.GroupCounts(ctx, ReportFilter{Scorecard: testsvc.Scorecard, From: tt.want, To: tt.want}, GroupDay)
			if err != nil || len(gs) != 1 || gs[0].Inspected != 1 {
				t.Errorf("GroupCounts on %s = %+v, %v", tt.want, gs, err)
			}
		})
	}
}

// testTimeOrder stores results and batches at instants within one second:
// the stored strings must sort as the times do, whole seconds included
// (RFC3339Nano would write "…03Z", which sorts after "…03.5Z").
func testTimeOrder(t *testing.T, s *Store) {
	ctx := context.Background()
	base := time.Date(2026, 11, 25, 10, 0, 3, 0, time.UTC)
	clock := base
	s.now = func() time.Time { return clock }

	// v2 at 10:00:03.000, then v1 at 10:00:03.500: v1 is the latest used.
	v2 := testsvc.Result("C1", "2026-11-25", "一组", "A1", true, 95)
	v2.Scorecard.Version = 2
	if err := s.SaveResult(ctx, "", v2); err != nil {
		t.Fatal(err)
	}
	clock = base.Add(500 * time.Millisecond)
	if err := s.SaveResult(ctx, "", testsvc.Result("C1", "2026-11-25", "一组", "A1", true, 95)); err != nil {
		t.Fatal(err)
	}
	if got, err := s.LatestScorecard(ctx); err != nil || got != testsvc.Scorecard {
		t.Errorf("LatestScorecard = %v, %v; want %v (saved 0.5 s later)", got, err, testsvc.Scorecard)
	}
	us, err := s.Scorecards(ctx)
	if err != nil || len(us) != 2 || us[0].LastInspected != "2026-11-25T10:00:03.500000000Z" || us[1].LastInspected != "2026-11-25T10:00:03.000000000Z" {
		t.Errorf("Scorecards = %+v, %v", us, err)
	}

	// A result saved again replaces the recording's row: its status and
	// call id are the newest.
	for i, st := range []string{models.StatusUnprocessable, models.StatusInspected} {
		clock = base.Add(time.Duration(i) * 500 * time.Millisecond)
		r := testsvc.Result(fmt.Sprint("K", i), "2026-11-25", "一组", "A1", true, 95)
		r.Recording, r.Status = "r/K.wav", st
		if err := s.SaveResult(ctx, "", r); err != nil {
			t.Fatal(err)
		}
	}
	if got, an, err := s.RecordingStatus(ctx, "r/K.wav", testsvc.Scorecard); err != nil || got != models.StatusInspected || an.VAD != "silero-v5" {
		t.Errorf("RecordingStatus = %q, %v; want the newest, inspected", got, err)
	}
	if got, err := s.StoredCall(ctx, "r/K.wav", testsvc.Scorecard); err != nil || got == nil || got.CallID != "K1" {
		t.Errorf("StoredCall = %+v, %v; want K1", got, err)
	}

	// Batch times keep their order and read back exactly, and rows written
	// in the old layout still read.
	b := &Batch{Source: "x", Scorecard: testsvc.Scorecard, StartedAt: base}
	if err := s.StartBatch(ctx, b); err != nil {
		t.Fatal(err)
	}
	var started string
	if err := s.db.QueryRow(`SELECT started_at FROM batches WHERE id = $1`, b.ID).Scan(&started); err != nil || started != "2026-11-25T10:00:03.000000000Z" {
		t.Errorf("stored started_at = %q, %v", started, err)
	}
	if _, err := s.db.Exec(`UPDATE batches SET started_at = '2026-11-25T18:00:03.25+08:00', finished_at = '2026-11-25T10:00:04Z' WHERE id = $1`, b.ID); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetBatch(ctx, b.ID)
	if err != nil || !got.StartedAt.Equal(base.Add(250*time.Millisecond)) || !got.FinishedAt.Equal(base.Add(time.Second)) {
		t.Errorf("GetBatch of old-layout times = %+v, %v", got, err)
	}
	for _, tt := range []struct{ a, b time.Time }{
		{base, base.Add(time.Nanosecond)},
		{base, base.Add(500 * time.Millisecond)},
		{base.Add(999999999), base.Add(time.Second)},
	} {
		if fa, fb := formatStoreTime(tt.a), formatStoreTime(tt.b); !(fa < fb) || len(fa) != len(fb) {
			t.Errorf("formatStoreTime: %q !< %q", fa, fb)
		}
	}
}

// testStoredCall reads back what a rerun needs of a stored result.
func testStoredCall(t *testing.T, s *Store) {
	ctx := context.Background()
	r := testsvc.Result("C1", "2026-11-25", "一组", "A1", false, 70, "greeting", "silence", "greeting")
	if err := s.SaveResult(ctx, "", r); err != nil {
		t.Fatal(err)
	}
	u := testsvc.Unprocessable("U1", "2026-11-25")
	if err := s.SaveResult(ctx, "", u); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		key  string
		sc   models.ScorecardRef
		want string
	}{
		{r.Recording, testsvc.Scorecard, "&{CallID:C1 Status:inspected Passed:false AgentID:A1 AgentName:名A1 Team:一组 Analysis:silero-v5 v2 Rules:[{Rule:greeting Name:规则greeting} {Rule:silence Name:规则silence}]}"},
		{u.Recording, testsvc.Scorecard, "&{CallID:U1 Status:unprocessable Passed:false AgentID: AgentName: Team:一组 Analysis: v0 Rules:[]}"},
		{r.Recording, models.ScorecardRef{ID: testsvc.Scorecard.ID, Version: 2}, "<nil>"},
		{"2026/11/25/none.wav", testsvc.Scorecard, "<nil>"},
	}
	for _, tt := range tests {
		got, err := s.StoredCall(ctx, tt.key, tt.sc)
		if err != nil {
			t.Fatal(err)
		}
		if got != nil && got.Rules == nil {
			got.Rules = []StoredRule{}
		}
		if g := fmt.Sprintf("%+v", got); g != tt.want {
			t.Errorf("StoredCall(%s, v%d) = %s, want %s", tt.key, tt.sc.Version, g, tt.want)
		}
	}
	r.Passed = true
	if err := s.SaveResult(ctx, "", r); err != nil {
		t.Fatal(err)
	}
	if got, err := s.StoredCall(ctx, r.Recording, testsvc.Scorecard); err != nil || got == nil || !got.Passed {
		t.Errorf("StoredCall of a passed call = %+v, %v", got, err)
	}
}

// testSupersede stores a recording under its file name (unreadable meta
// sidecar), then under the call id of the fixed sidecar: one result
// remains, so the call is counted once.
func testSupersede(t *testing.T, s *Store) {
	ctx := context.Background()
	broken := testsvc.Unprocessable("0001", "2026-11-25")
	broken.Recording = "2026/11/25/0001.wav"
	if err := s.SaveResult(ctx, "", broken); err != nil {
		t.Fatal(err)
	}
	// The same call id under another scorecard version stays.
	v2 := testsvc.Result("C-0001", "2026-11-25", "一组", "A1", true, 90, "silence")
	v2.Recording, v2.Scorecard.Version = broken.Recording, 2
	// Another recording stays.
	other := testsvc.Result("C-0002", "2026-11-25", "一组", "A1", true, 90, "greeting")
	for _, r := range []*models.Result{v2, other} {
		if err := s.SaveResult(ctx, "", r); err != nil {
			t.Fatal(err)
		}
	}
	fixed := testsvc.Result("C-0001", "2026-11-25", "一组", "A1", false, 60, "greeting", "taboo")
	fixed.Recording = broken.Recording
	if err := s.SaveResult(ctx, "", fixed); err != nil {
		t.Fatal(err)
	}
	count := func(q string) int {
		t.Helper()
		var n int
		if err := s.db.QueryRow(q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(`SELECT COUNT(*) FROM results WHERE call_id = '0001'`); n != 0 {
		t.Errorf("the superseded result is still there")
	}
	if n := count(`SELECT COUNT(*) FROM results`); n != 3 {
		t.Errorf("%d results, want 3 (C-0001 v1 and v2, C-0002)", n)
	}
	if n := count(`SELECT COUNT(*) FROM findings`); n != 4 {
		t.Errorf("%d findings, want 4", n)
	}
	gs, err := s.GroupCounts(ctx, ReportFilter{Scorecard: testsvc.Scorecard}, GroupDay)
	if err != nil || len(gs) != 1 || gs[0].Inspected != 2 || gs[0].Unprocessable != 0 {
		t.Errorf("GroupCounts = %+v, %v; want 2 inspected, 0 unprocessable", gs, err)
	}
}

// testOtherScorecards counts the calls a report on one scorecard version
// leaves out: inspected with another version only.
func testOtherScorecards(t *testing.T, s *Store) {
	ctx := context.Background()
	v := func(r *models.Result, version int) *models.Result {
		r.Scorecard.Version = version
		return r
	}
	for _, r := range []*models.Result{
		// 11-24: inspected with v1 only.
		v(testsvc.Result("A1", "2026-11-24", "一组", "1", true, 90), 1),
		v(testsvc.Result("A2", "2026-11-24", "一组", "1", false, 50), 1),
		v(testsvc.Unprocessable("A3", "2026-11-24"), 1),
		// 11-25: with v2; B1 with v1 too.
		v(testsvc.Result("B1", "2026-11-25", "一组", "1", true, 90), 2),
		v(testsvc.Result("B1", "2026-11-25", "一组", "1", true, 90), 1),
		v(testsvc.Result("B2", "2026-11-25", "一组", "1", true, 90), 2),
		// 11-26: with v3 and v1.
		v(testsvc.Result("C1", "2026-11-26", "一组", "1", true, 90), 3),
		v(testsvc.Result("C1", "2026-11-26", "一组", "1", true, 90), 1),
	} {
		if err := s.SaveResult(ctx, "", r); err != nil {
			t.Fatal(err)
		}
	}
	v2 := models.ScorecardRef{ID: testsvc.Scorecard.ID, Version: 2}
	tests := []struct {
		name string
		f    ReportFilter
		want string
	}{
		{"all dates", ReportFilter{Scorecard: v2}, "4 [{Scorecard:{ID:hotline-12333 Version:3} Calls:1} {Scorecard:{ID:hotline-12333 Version:1} Calls:4}]"},
		{"the 24th", ReportFilter{Scorecard: v2, From: "2026-11-24", To: "2026-11-24"}, "3 [{Scorecard:{ID:hotline-12333 Version:1} Calls:3}]"},
		{"the 25th", ReportFilter{Scorecard: v2, From: "2026-11-25", To: "2026-11-25"}, "0 []"},
		{"from the 25th", ReportFilter{Scorecard: v2, From: "2026-11-25"}, "1 [{Scorecard:{ID:hotline-12333 Version:3} Calls:1} {Scorecard:{ID:hotline-12333 Version:1} Calls:1}]"},
		{"v1 misses B2", ReportFilter{Scorecard: testsvc.Scorecard}, "1 [{Scorecard:{ID:hotline-12333 Version:2} Calls:1}]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, per, err := s.OtherScorecards(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			if per == nil {
				per = []ScorecardCalls{}
			}
			if got := fmt.Sprintf("%d %+v", n, per); got != tt.want {
				t.Errorf("OtherScorecards = %s, want %s", got, tt.want)
			}
		})
	}
}

// testListCalls lists the calls behind the report figures: filters, order
// (date, then call id in byte order on both dialects), the columns, and
// that every listing adds up to the GroupCounts row of its group.
func testListCalls(t *testing.T, s *Store) {
	ctx := context.Background()
	veto := testsvc.Result("e0", "2026-11-25", "二组", "B2", false, 70, "taboo")
	veto.Findings[0].Veto = true
	veto.Review = true
	noTeam := testsvc.Result("G1", "2026-11-25", "", "C1", true, 95)
	noTeam.Meta.Queue = "医保"
	rs := []*models.Result{
		testsvc.Result("D1", "2026-11-24", "一组", "A1", true, 90),
		testsvc.Result("D2", "2026-11-24", "一组", "A2", false, 60, "greeting", "greeting", "silence"),
		testsvc.Unprocessable("D3", "2026-11-24"),
		testsvc.Result("E1", "2026-11-25", "二组", "B1", false, 50, "greeting"),
		testsvc.Result("E2", "2026-11-25", "二组", "B1", false, 40, "silence", "overtalk"),
		testsvc.Result("E3", "2026-11-25", "一组", "A1", true, 100),
		veto,
		noTeam,
		testsvc.Result("F1", "2026-12-01", "一组", "A1", true, 85, "overtalk"),
	}
	// Another scorecard version must not show.
	other := testsvc.Result("Z1", "2026-11-25", "一组", "A1", false, 0, "greeting")
	other.Scorecard.Version = 0
	for _, r := range append(rs, other) {
		if err := s.SaveResult(ctx, "", r); err != nil {
			t.Fatal(err)
		}
	}
	str := func(v string) *string { return &v }
	all := ReportFilter{Scorecard: testsvc.Scorecard}
	ins := func(f ListFilter) ListFilter { f.ReportFilter, f.Status = all, models.StatusInspected; return f }
	tests := []struct {
		name string
		f    ListFilter
		want string // call ids in order
	}{
		// "e0" sorts after "G1" in bytes (a PostgreSQL locale would put it first).
		{"all inspected", ins(ListFilter{}), "D1 D2 E1 E2 E3 G1 e0 F1"},
		{"team", ins(ListFilter{Team: str("一组")}), "D1 D2 E3 F1"},
		{"no team", ins(ListFilter{Team: str("")}), "G1"},
		{"agent", ins(ListFilter{AgentID: str("B1")}), "E1 E2"},
		{"queue", ins(ListFilter{Queue: str("医保")}), "G1"},
		{"rule", ins(ListFilter{Rule: "greeting"}), "D2 E1"},
		{"rule, failed", ins(ListFilter{Rule: "overtalk", FailedOnly: true}), "E2"},
		{"failed", ins(ListFilter{FailedOnly: true}), "D2 E1 E2 e0"},
		{"one day, one team", ListFilter{ReportFilter: ReportFilter{Scorecard: testsvc.Scorecard, From: "2026-11-25", To: "2026-11-25"},
			Status: models.StatusInspected, Team: str("二组")}, "E1 E2 e0"},
		{"nothing", ins(ListFilter{Rule: "planet"}), ""},
		{"unprocessable", ListFilter{ReportFilter: all, Status: models.StatusUnprocessable}, "D3"},
		{"unprocessable of a team", ListFilter{ReportFilter: all, Status: models.StatusUnprocessable, Team: str("二组")}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.ListCalls(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, c := range got {
				ids = append(ids, c.CallID)
			}
			if g := strings.Join(ids, " "); g != tt.want {
				t.Errorf("ListCalls = %q, want %q", g, tt.want)
			}
		})
	}

	// The columns of a call.
	got, err := s.ListCalls(ctx, ListFilter{ReportFilter: ReportFilter{Scorecard: testsvc.Scorecard, To: "2026-11-25"}, Status: models.StatusInspected, Rule: "taboo"})
	if err != nil {
		t.Fatal(err)
	}
	want := "[{CallID:e0 Date:2026-11-25 Recording:2026/11/25/e0.wav Status:inspected Error: AgentID:B2 AgentName:名B2 Team:二组 Queue:社保 Score:70 Passed:false Veto:true Review:true Rules:[taboo]}]"
	if g := fmt.Sprintf("%+v", got); g != want {
		t.Errorf("taboo call =\n%s\nwant\n%s", g, want)
	}
	got, err = s.ListCalls(ctx, ListFilter{ReportFilter: all, Status: models.StatusInspected, AgentID: str("A2")})
	if err != nil || len(got) != 1 || strings.Join(got[0].Rules, ",") != "greeting,silence" || got[0].Passed {
		t.Errorf("D2 = %+v, %v; want its rules once each, in order", got, err)
	}
	got, err = s.ListCalls(ctx, ListFilter{ReportFilter: all, Status: models.StatusUnprocessable})
	want = "[{CallID:D3 Date:2026-11-24 Recording:x/D3.wav Status:unprocessable Error:decode: not a RIFF file AgentID: AgentName: Team:一组 Queue: Score:0 Passed:false Veto:false Review:false Rules:[]}]"
	if g := fmt.Sprintf("%+v", got); err != nil || g != want {
		t.Errorf("unprocessable =\n%s, %v\nwant\n%s", g, err, want)
	}
	if _, err := s.ListCalls(ctx, ListFilter{ReportFilter: all}); err == nil {
		t.Error("ListCalls without a status = nil error")
	}

	// Every group of every grouping adds up: its inspected listing gives
	// its inspected, passed and score sum, its unprocessable listing its
	// unprocessable count.
	for _, by := range []string{GroupDay, GroupTeam, GroupAgent, GroupQueue} {
		groups, err := s.GroupCounts(ctx, all, by)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range groups {
			f := ListFilter{ReportFilter: all}
			switch by {
			case GroupDay:
				f.From, f.To = g.Key, g.Key
			case GroupTeam:
				f.Team = str(g.Key)
			case GroupAgent:
				f.AgentID = str(g.Key)
			case GroupQueue:
				f.Queue = str(g.Key)
			}
			f.Status = models.StatusInspected
			calls, err := s.ListCalls(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			passed, sum := 0, 0.0
			for _, c := range calls {
				sum += c.Score
				if c.Passed {
					passed++
				}
			}
			f.Status = models.StatusUnprocessable
			unproc, err := s.ListCalls(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			if len(calls) != g.Inspected || passed != g.Passed || sum != g.ScoreSum || len(unproc) != g.Unprocessable {
				t.Errorf("by %s %q: listings %d inspected, %d passed, score sum %v, %d unprocessable; GroupCounts %+v",
					by, g.Key, len(calls), passed, sum, len(unproc), g)
			}
		}
	}
}

package storage

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/callqa/callqa/models"
)

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestCallIDClash stores three recordings whose metadata carry one call_id,
// two on one day and one on the next: all three are stored, counted and
// listed, each keeps its own reviews and verdict, and the clash is named
// (log, Clashes, CallRecordings).
func TestCallIDClash(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			var logs syncBuffer
			st, err := OpenStore(ctx, be.fresh(t), slog.New(slog.NewTextHandler(&logs, nil)))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			wb, err := NewWorkbench(st, WorkbenchConfig{BcryptCost: bcrypt.MinCost})
			if err != nil {
				t.Fatal(err)
			}
			mk := func(rec, date string, passed bool, rules ...string) *models.Result {
				r := result("C1", date, "一组", "A1", passed, 90, rules...)
				r.Recording = rec
				return r
			}
			a := mk("2026/11/25/a.wav", "2026-11-25", true)
			b := mk("2026/11/25/b.wav", "2026-11-25", false, "taboo")
			c := mk("2026/11/26/c.wav", "2026-11-26", true, "greeting")
			solo := result("S1", "2026-11-25", "一组", "A1", true, 95)
			for _, r := range []*models.Result{a, b, c, solo} {
				if err := st.SaveResult(ctx, "", r); err != nil {
					t.Fatal(err)
				}
			}
			// A rerun of a recording replaces its own row only.
			b.Findings = append(b.Findings, models.Finding{Rule: "closing", Start: 50, End: 55, Deduct: 5})
			if err := st.SaveResult(ctx, "", b); err != nil {
				t.Fatal(err)
			}

			var n, nf int
			if err := st.db.QueryRow(`SELECT COUNT(*) FROM results`).Scan(&n); err != nil || n != 4 {
				t.Errorf("results rows = %d, %v; want 4 (three recordings of C1 and S1)", n, err)
			}
			if err := st.db.QueryRow(`SELECT COUNT(*) FROM findings WHERE recording = '2026/11/25/b.wav'`).Scan(&nf); err != nil || nf != 2 {
				t.Errorf("findings of b = %d, %v; want 2", nf, err)
			}
			gs, err := st.GroupCounts(ctx, ReportFilter{Scorecard: sc1}, GroupDay)
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(gs); got != "[{2026-11-25 2026-11-25 3 2 0 275} {2026-11-26 2026-11-26 1 1 0 90}]" {
				t.Errorf("GroupCounts by day = %s", got)
			}
			for prefix, want := range map[string]int{"2026/11/25/": 3, "2026/11/26/": 1} {
				if c, err := st.CountPrefix(ctx, sc1, prefix); err != nil || c.Done() != want {
					t.Errorf("CountPrefix(%s) = %+v, %v; want %d done", prefix, c, err, want)
				}
			}
			listed, err := st.ListCalls(ctx, ListFilter{ReportFilter: ReportFilter{Scorecard: sc1, From: "2026-11-25", To: "2026-11-25"}, Status: models.StatusInspected})
			if err != nil {
				t.Fatal(err)
			}
			var recs []string
			for _, l := range listed {
				recs = append(recs, l.CallID+"="+l.Recording+fmt.Sprint(l.Rules))
			}
			if got := strings.Join(recs, " "); got != "C1=2026/11/25/a.wav[] C1=2026/11/25/b.wav[taboo closing] S1=2026/11/25/S1.wav[]" {
				t.Errorf("ListCalls = %s", got)
			}

			const want = "[{C1 [{2026/11/25/a.wav 2026-11-25 inspected} {2026/11/25/b.wav 2026-11-25 inspected} {2026/11/26/c.wav 2026-11-26 inspected}]}]"
			for _, f := range []ClashFilter{
				{Scorecard: sc1},
				{Scorecard: sc1, From: "2026-11-26", To: "2026-11-26"},
				{Scorecard: sc1, Prefix: "2026/11/25/"},
			} {
				cl, err := st.Clashes(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				if got := fmt.Sprint(cl); got != want {
					t.Errorf("Clashes(%+v) = %s, want %s", f, got, want)
				}
			}
			if cl, err := st.Clashes(ctx, ClashFilter{Scorecard: sc1, From: "2026-11-27"}); err != nil || len(cl) != 0 {
				t.Errorf("Clashes of a day without results = %v, %v", cl, err)
			}
			if cl, err := st.Clashes(ctx, ClashFilter{Scorecard: models.ScorecardRef{ID: sc1.ID, Version: 2}}); err != nil || len(cl) != 0 {
				t.Errorf("Clashes of another version = %v, %v", cl, err)
			}
			if got := logs.String(); strings.Count(got, "call_id clash") < 2 || !strings.Contains(got, "2026/11/25/a.wav") {
				t.Errorf("log does not name the clash: %s", got)
			}

			// Reviews and verdicts belong to one recording each.
			if err := wb.SaveReview(ctx, Review{Recording: b.Recording, CallID: "C1", Rule: "taboo", StartMS: 0, Decision: DecisionOverturn, Reviewer: "ann"}, ""); err != nil {
				t.Fatal(err)
			}
			if err := wb.SaveVerdict(ctx, Verdict{Recording: a.Recording, CallID: "C1", Passed: false, Reviewer: "ann"}, ""); err != nil {
				t.Fatal(err)
			}
			for _, tc := range []struct {
				rec              string
				reviews          int
				verdict, reviewd bool
			}{{a.Recording, 0, true, false}, {b.Recording, 1, false, true}, {c.Recording, 0, false, true}} {
				rs, err := wb.Reviews(ctx, tc.rec)
				if err != nil || len(rs) != tc.reviews {
					t.Errorf("Reviews(%s) = %v, %v; want %d", tc.rec, rs, err, tc.reviews)
				}
				v, err := wb.Verdict(ctx, tc.rec)
				if err != nil || (v != nil) != tc.verdict {
					t.Errorf("Verdict(%s) = %+v, %v", tc.rec, v, err)
				}
			}
			out, err := wb.Outcomes(ctx, reviewScorecard(), CallFilter{ScorecardID: sc1.ID})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, o := range out {
				got = append(got, fmt.Sprintf("%s:%v/%v", o.Recording, o.Passed, o.ReviewedPassed))
			}
			// a: machine pass, verdict fail; b: its taboo finding overturned,
			// re-scored from closing alone (10 points): 90 passes; the other
			// two recordings of C1 are untouched by either.
			if g := strings.Join(got, " "); g != "2026/11/25/a.wav:true/false 2026/11/25/b.wav:false/true 2026/11/25/S1.wav:true/true 2026/11/26/c.wav:true/true" {
				t.Errorf("Outcomes = %s", g)
			}
			crs, err := wb.CallRecordings(ctx, "C1")
			if err != nil || len(crs) != 3 || crs[0].Recording != a.Recording || crs[2].Date != "2026-11-26" {
				t.Errorf("CallRecordings(C1) = %+v, %v", crs, err)
			}
			if crs, err := wb.CallRecordings(ctx, "nope"); err != nil || len(crs) != 0 {
				t.Errorf("CallRecordings(nope) = %+v, %v", crs, err)
			}
		})
	}
}

// TestMigrateCallIdentity fills a database at the schema before results
// were keyed by recording, migrates it and checks that every row is still
// there under its recording: results, findings, reviews, verdicts, audit.
func TestMigrateCallIdentity(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			url := be.fresh(t)
			old, err := openStoreUpTo(ctx, url, nil, 201)
			if err != nil {
				t.Fatal(err)
			}
			stmts := []string{
				`INSERT INTO results (call_id, scorecard_id, scorecard_version, recording, status, call_date, passed, score, inspected_at, result_json)
					VALUES ('C1', 'hotline-12333', 1, '2026/11/25/a.wav', 'inspected', '2026-11-25', 1, 95, '2026-11-25T10:00:00.000000000Z', '{"call_id":"C1"}')`,
				`INSERT INTO results (call_id, scorecard_id, scorecard_version, recording, status, call_date, passed, score, inspected_at, result_json)
					VALUES ('C1', 'hotline-12333', 2, '2026/11/25/a.wav', 'inspected', '2026-11-25', 0, 60, '2026-11-26T10:00:00.000000000Z', '{"call_id":"C1"}')`,
				`INSERT INTO results (call_id, scorecard_id, scorecard_version, recording, status, call_date, passed, score, inspected_at, result_json)
					VALUES ('C2', 'hotline-12333', 1, '2026/11/25/b.wav', 'inspected', '2026-11-25', 0, 70, '2026-11-25T10:00:01.000000000Z', '{"call_id":"C2"}')`,
				// One recording under two call ids (written before results
				// were superseded): the newer stays.
				`INSERT INTO results (call_id, scorecard_id, scorecard_version, recording, status, call_date, inspected_at, result_json)
					VALUES ('X1', 'hotline-12333', 1, '2026/11/25/x.wav', 'unprocessable', '2026-11-25', '2026-11-25T10:00:02.000000000Z', '{}')`,
				`INSERT INTO results (call_id, scorecard_id, scorecard_version, recording, status, call_date, inspected_at, result_json)
					VALUES ('X2', 'hotline-12333', 1, '2026/11/25/x.wav', 'inspected', '2026-11-25', '2026-11-25T10:00:03.000000000Z', '{}')`,
				`INSERT INTO findings (call_id, scorecard_id, scorecard_version, seq, rule) VALUES ('C1', 'hotline-12333', 1, 0, 'greeting')`,
				`INSERT INTO findings (call_id, scorecard_id, scorecard_version, seq, rule) VALUES ('C1', 'hotline-12333', 2, 0, 'greeting')`,
				`INSERT INTO findings (call_id, scorecard_id, scorecard_version, seq, rule) VALUES ('C1', 'hotline-12333', 2, 1, 'taboo')`,
				`INSERT INTO findings (call_id, scorecard_id, scorecard_version, seq, rule) VALUES ('C2', 'hotline-12333', 1, 0, 'closing')`,
				`INSERT INTO findings (call_id, scorecard_id, scorecard_version, seq, rule) VALUES ('X1', 'hotline-12333', 1, 0, 'gone')`,
				`INSERT INTO reviews (call_id, rule, start_ms, decision, reviewer, reviewed_at) VALUES ('C1', 'taboo', 0, 'overturn', 'ann', '2026-11-26T11:00:00Z')`,
				`INSERT INTO reviews (call_id, rule, start_ms, decision, reviewer, reviewed_at) VALUES ('C2', 'closing', 0, 'confirm', 'ann', '2026-11-26T11:00:00Z')`,
				`INSERT INTO reviews (call_id, rule, start_ms, decision, reviewer, reviewed_at) VALUES ('ORPHAN', 'closing', 0, 'confirm', 'ann', '2026-11-26T11:00:00Z')`,
				`INSERT INTO verdicts (call_id, passed, reviewer, reviewed_at) VALUES ('C2', 1, 'ann', '2026-11-26T11:00:00Z')`,
				`INSERT INTO audit (id, at, user_name, action, call_id) VALUES ('e1', '2026-11-26T11:00:00Z', 'ann', 'review', 'C1')`,
				`INSERT INTO audit (id, at, user_name, action) VALUES ('e2', '2026-11-26T11:00:00Z', 'ann', 'login')`,
			}
			for _, q := range stmts {
				if _, err := old.db.ExecContext(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			old.Close()

			st := openURL(t, url)
			query := func(q string) string {
				t.Helper()
				rows, err := st.db.QueryContext(ctx, q)
				if err != nil {
					t.Fatalf("%s: %v", q, err)
				}
				defer rows.Close()
				cols, _ := rows.Columns()
				var out []string
				for rows.Next() {
					vals := make([]any, len(cols))
					ptrs := make([]any, len(cols))
					for i := range vals {
						ptrs[i] = &vals[i]
					}
					if err := rows.Scan(ptrs...); err != nil {
						t.Fatal(err)
					}
					out = append(out, fmt.Sprint(vals...))
				}
				return strings.Join(out, "|")
			}
			for _, tc := range []struct{ q, want string }{
				{`SELECT recording, ' ', scorecard_version, ' ', call_id FROM results ORDER BY recording, scorecard_version`,
					"2026/11/25/a.wav 1 C1|2026/11/25/a.wav 2 C1|2026/11/25/b.wav 1 C2|2026/11/25/x.wav 1 X2"},
				{`SELECT recording, ' ', scorecard_version, ' ', rule FROM findings ORDER BY recording, scorecard_version, seq`,
					"2026/11/25/a.wav 1 greeting|2026/11/25/a.wav 2 greeting|2026/11/25/a.wav 2 taboo|2026/11/25/b.wav 1 closing"},
				{`SELECT recording, ' ', call_id, ' ', rule FROM reviews ORDER BY recording`,
					"2026/11/25/a.wav C1 taboo|2026/11/25/b.wav C2 closing|ORPHAN ORPHAN closing"},
				{`SELECT recording, ' ', call_id FROM verdicts`, "2026/11/25/b.wav C2"},
				{`SELECT id, ' ', recording FROM audit ORDER BY id`, "e1 2026/11/25/a.wav|e2 "},
				// Results from before the analysis was recorded: the energy gate, v1.
				{`SELECT DISTINCT analysis_vad, ' ', analysis_version FROM results`, "energy 1"},
			} {
				if got := query(tc.q); got != tc.want {
					t.Errorf("%s\n got %s\nwant %s", tc.q, got, tc.want)
				}
			}
			// The migrated database takes a second recording of C1.
			r := result("C1", "2026-11-27", "一组", "A1", true, 100)
			r.Recording = "2026/11/27/a.wav"
			if err := st.SaveResult(ctx, "", r); err != nil {
				t.Fatal(err)
			}
			if got := query(`SELECT COUNT(*) FROM results WHERE call_id = 'C1' AND scorecard_version = 1`); got != "2" {
				t.Errorf("results of C1 v1 after a second recording = %s, want 2", got)
			}
		})
	}
}

// TestAnalyses counts the results of a range per audio analysis, and
// StoredCall reads a result's analysis back.
func TestAnalyses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			st := openStore(t, be)
			for i, an := range []models.AnalysisRef{{VAD: "silero-v5", Version: 2}, {VAD: "silero-v5", Version: 2}, {VAD: "energy", Version: 1}} {
				r := result(fmt.Sprint("A", i), "2026-11-25", "一组", "A1", true, 90)
				r.Analysis = &an
				if err := st.SaveResult(ctx, "", r); err != nil {
					t.Fatal(err)
				}
			}
			other := result("B1", "2026-11-26", "一组", "A1", true, 90)
			other.Analysis = &models.AnalysisRef{VAD: "energy", Version: 1}
			if err := st.SaveResult(ctx, "", other); err != nil {
				t.Fatal(err)
			}
			got, err := st.Analyses(ctx, ReportFilter{Scorecard: sc1, From: "2026-11-25", To: "2026-11-25"})
			if err != nil {
				t.Fatal(err)
			}
			if g := fmt.Sprint(got); g != "[{silero-v5 v2 2} {energy v1 1}]" {
				t.Errorf("Analyses = %s", g)
			}
			sc, err := st.StoredCall(ctx, "2026/11/25/A2.wav", sc1)
			if err != nil || sc.Analysis != (models.AnalysisRef{VAD: "energy", Version: 1}) {
				t.Errorf("StoredCall analysis = %+v, %v", sc, err)
			}
		})
	}
}

// TestMigrateMaskPersonalData stores results written before personal data
// was masked (a phone and an ID card number in the transcript and the
// evidence), migrates, and checks that no stored byte holds them any more
// while the rest is kept.
func TestMigrateMaskPersonalData(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			url := be.fresh(t)
			old, err := openStoreUpTo(ctx, url, nil, 301)
			if err != nil {
				t.Fatal(err)
			}
			for i := range 3 { // more than one result, fewer than a batch: the keyset paging runs
				r := result(fmt.Sprint("P", i), "2026-11-25", "一组", "A1", false, 70)
				r.Transcript = &models.Transcript{Utterances: []models.Utterance{
					{Speaker: "customer", Start: 1, End: 5, Text: "我的手机号是13912345670，身份证号110105194912310025"},
					{Speaker: "agent", Start: 6, End: 9, Text: "好的，我不知道"},
				}}
				r.Findings = []models.Finding{
					{Rule: "complaint_risk", Start: 1, End: 5, Speaker: "customer", Evidence: "13912345670"},
					{Rule: "taboo", Start: 6, End: 9, Speaker: "agent", Evidence: "不知道"},
				}
				// As SaveResult wrote it at that schema version.
				doc, err := json.Marshal(r)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := old.db.ExecContext(ctx, `INSERT INTO results (recording, scorecard_id, scorecard_version, call_id, status,
						call_date, inspected_at, result_json) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
					r.Recording, r.Scorecard.ID, r.Scorecard.Version, r.CallID, r.Status, "2026-11-25", formatStoreTime(time.Now()), string(doc)); err != nil {
					t.Fatal(err)
				}
				for seq, f := range r.Findings {
					if _, err := old.db.ExecContext(ctx, `INSERT INTO findings (recording, scorecard_id, scorecard_version, seq, rule,
							start_s, end_s, speaker, evidence) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
						r.Recording, r.Scorecard.ID, r.Scorecard.Version, seq, f.Rule, f.Start, f.End, f.Speaker, f.Evidence); err != nil {
						t.Fatal(err)
					}
				}
			}
			old.Close()
			st := openURL(t, url)
			var docs, evidence []string
			rows, err := st.db.QueryContext(ctx, `SELECT result_json FROM results`)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var d string
				rows.Scan(&d)
				docs = append(docs, d)
			}
			rows.Close()
			rows, err = st.db.QueryContext(ctx, `SELECT evidence FROM findings ORDER BY recording, seq`)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var e string
				rows.Scan(&e)
				evidence = append(evidence, e)
			}
			rows.Close()
			all := strings.Join(docs, "\n") + strings.Join(evidence, "\n")
			for _, raw := range []string{"13912345670", "110105194912310025", "1391234"} {
				if strings.Contains(all, raw) {
					t.Errorf("%s still stored after the migration", raw)
				}
			}
			if len(docs) != 3 || !strings.Contains(docs[0], "[手机号]") || !strings.Contains(docs[0], "[身份证号]") || !strings.Contains(docs[0], "好的，我不知道") {
				t.Errorf("migrated documents: %v", docs)
			}
			if got := strings.Join(evidence, "|"); got != "[手机号]|不知道|[手机号]|不知道|[手机号]|不知道" {
				t.Errorf("findings evidence = %s", got)
			}
		})
	}
}

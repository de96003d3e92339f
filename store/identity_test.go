package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/callqa/callqa/internal/testsvc"
	"github.com/callqa/callqa/models"
)

// TestMigrateCallIdentity fills a database at the schema before results
// were keyed by recording, migrates it and checks that every row is still
// there under its recording: results, findings, reviews, verdicts, audit.
func TestMigrateCallIdentity(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, be := range testsvc.Backends(t) {
		t.Run(be.Name, func(t *testing.T) {
			url := be.Fresh(t)
			old, err := openUpTo(ctx, url, Options{}, 201)
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
			r := testsvc.Result("C1", "2026-11-27", "一组", "A1", true, 100)
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
	for _, be := range testsvc.Backends(t) {
		t.Run(be.Name, func(t *testing.T) {
			st := openStore(t, be)
			for i, an := range []models.AnalysisRef{{VAD: "silero-v5", Version: 2}, {VAD: "silero-v5", Version: 2}, {VAD: "energy", Version: 1}} {
				r := testsvc.Result(fmt.Sprint("A", i), "2026-11-25", "一组", "A1", true, 90)
				r.Analysis = &an
				if err := st.SaveResult(ctx, "", r); err != nil {
					t.Fatal(err)
				}
			}
			other := testsvc.Result("B1", "2026-11-26", "一组", "A1", true, 90)
			other.Analysis = &models.AnalysisRef{VAD: "energy", Version: 1}
			if err := st.SaveResult(ctx, "", other); err != nil {
				t.Fatal(err)
			}
			got, err := st.Analyses(ctx, ReportFilter{Scorecard: testsvc.Scorecard, From: "2026-11-25", To: "2026-11-25"})
			if err != nil {
				t.Fatal(err)
			}
			if g := fmt.Sprint(got); g != "[{silero-v5 v2 2} {energy v1 1}]" {
				t.Errorf("Analyses = %s", g)
			}
			sc, err := st.StoredCall(ctx, "2026/11/25/A2.wav", testsvc.Scorecard)
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
	for _, be := range testsvc.Backends(t) {
		t.Run(be.Name, func(t *testing.T) {
			url := be.Fresh(t)
			old, err := openUpTo(ctx, url, Options{}, 301)
			if err != nil {
				t.Fatal(err)
			}
			for i := range 3 { // more than one result, fewer than a batch: the keyset paging runs
				r := testsvc.Result(fmt.Sprint("P", i), "2026-11-25", "一组", "A1", false, 70)
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
			// Up to the last version with result_json (0420 compacts it;
			// TestMigrateCompactResults).
			st, err := openUpTo(ctx, url, Options{}, 419)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
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

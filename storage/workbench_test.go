package storage

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/callqa/callqa/models"
	"golang.org/x/crypto/bcrypt"
)

// eachBackend runs fn on a fresh store (with the workbench tables) of
// every backend under test: SQLite, and PostgreSQL when configured.
func eachBackend(t *testing.T, fn func(t *testing.T, st *Store, wb *Workbench)) {
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			st, wb := openWorkbench(t, be)
			fn(t, st, wb)
		})
	}
}

// openWorkbench opens a fresh results store with the workbench tables.
func openWorkbench(t *testing.T, be backend) (*Store, *Workbench) {
	t.Helper()
	st := openStore(t, be)
	wb, err := NewWorkbench(st, WorkbenchConfig{BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	return st, wb
}

func TestUsersAndSessions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	eachBackend(t, func(t *testing.T, _ *Store, wb *Workbench) {

		bad := []struct{ name, role, pw string }{
			{"", RoleAdmin, "long-enough-pw"},
			{"a b", RoleAdmin, "long-enough-pw"},
			{"ann", "root", "long-enough-pw"},
			{"ann", RoleAdmin, "short"},
		}
		for _, c := range bad {
			if _, err := wb.AddUser(ctx, c.name, c.role, c.pw); err == nil {
				t.Errorf("AddUser(%q, %q, %q) accepted", c.name, c.role, c.pw)
			}
		}
		if _, err := wb.AddUser(ctx, "ann", RoleReviewer, "correct horse"); err != nil {
			t.Fatal(err)
		}
		if _, err := wb.AddUser(ctx, "ann", RoleViewer, "another pass"); !errors.Is(err, ErrUserExists) {
			t.Fatalf("duplicate user: %v, want ErrUserExists", err)
		}
		for _, c := range []struct{ name, pw string }{{"ann", "wrong pass!"}, {"bob", "correct horse"}, {"ann", ""}} {
			if _, err := wb.Authenticate(ctx, c.name, c.pw); !errors.Is(err, ErrBadCredentials) {
				t.Errorf("Authenticate(%q, %q) = %v, want ErrBadCredentials", c.name, c.pw, err)
			}
		}
		u, err := wb.Authenticate(ctx, "ann", "correct horse")
		if err != nil || u.Role != RoleReviewer {
			t.Fatalf("Authenticate = %+v, %v", u, err)
		}
		token, sess, err := wb.CreateSession(ctx, u, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if len(token) < 43 || sess.CSRF == "" || sess.CSRF == token {
			t.Fatalf("token %q csrf %q", token, sess.CSRF)
		}
		got, err := wb.Session(ctx, token)
		if err != nil || got.User.Name != "ann" || got.CSRF != sess.CSRF {
			t.Fatalf("Session = %+v, %v", got, err)
		}
		// Only the hash is stored.
		var n int
		if err := wb.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sessions WHERE token_hash = $1`, token).Scan(&n); err != nil || n != 0 {
			t.Fatalf("raw token stored (%d, %v)", n, err)
		}
		if _, err := wb.Session(ctx, token+"x"); !errors.Is(err, ErrNoSession) {
			t.Fatalf("forged token: %v", err)
		}
		if !CSRFEqual(sess.CSRF, sess.CSRF) || CSRFEqual(sess.CSRF, "") || CSRFEqual(sess.CSRF, sess.CSRF[1:]) {
			t.Fatal("CSRFEqual")
		}
		if err := wb.DeleteSession(ctx, token); err != nil {
			t.Fatal(err)
		}
		if _, err := wb.Session(ctx, token); !errors.Is(err, ErrNoSession) {
			t.Fatalf("after logout: %v", err)
		}

		// Expiry follows the injected clock.
		now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
		wb.now = func() time.Time { return now }
		token, _, err = wb.CreateSession(ctx, u, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		now = now.Add(59 * time.Minute)
		if _, err := wb.Session(ctx, token); err != nil {
			t.Fatalf("before expiry: %v", err)
		}
		now = now.Add(time.Minute)
		if _, err := wb.Session(ctx, token); !errors.Is(err, ErrNoSession) {
			t.Fatalf("at expiry: %v", err)
		}
	})
}

// saveCall stores an inspected result with the given findings.
func saveCall(t *testing.T, st *Store, id string, version int, passed bool, findings ...models.Finding) {
	t.Helper()
	started := time.Date(2026, 11, 25, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
	score, review := 100.0, false
	for _, f := range findings {
		score -= f.Deduct
		review = review || f.Review
	}
	r := &models.Result{
		CallID: id, Recording: "2026/11/25/" + id + ".wav", Status: models.StatusInspected,
		Scorecard: models.ScorecardRef{ID: "hotline", Version: version},
		Meta:      models.CallMeta{CallID: id, AgentID: "A1", AgentName: "张三", Team: "一组", Queue: "养老", StartedAt: &started},
		Audio:     &models.AudioInfo{Format: "pcm_s16le", SampleRate: 8000, Channels: 2, DurationS: 30},
		Findings:  append([]models.Finding{}, findings...),
		Score:     score, Passed: passed, Review: review,
	}
	if err := st.SaveResult(context.Background(), "", r); err != nil {
		t.Fatal(err)
	}
}

func TestReviewedPassRate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	eachBackend(t, func(t *testing.T, st *Store, wb *Workbench) {
		greet := models.Finding{Rule: "greeting", Name: "开场白", Start: 0.5, End: 3, Deduct: 10}
		rude := models.Finding{Rule: "rude", Name: "服务禁语", Start: 12.34, End: 13, Deduct: 0, Veto: true}
		risk := models.Finding{Rule: "complaint", Name: "投诉风险", Start: 20, End: 21, Review: true}
		saveCall(t, st, "C1", 1, false, greet)        // failed by one deduction
		saveCall(t, st, "C2", 1, false, greet, rude)  // veto
		saveCall(t, st, "C3", 1, true, risk)          // passed, review flag
		saveCall(t, st, "C4", 1, true)                // clean pass
		saveCall(t, st, "C5", 1, false, greet, greet) // two deductions of one rule
		review := func(id string, f models.Finding, decision string) {
			t.Helper()
			err := wb.SaveReview(ctx, Review{CallID: id, Rule: f.Rule, StartMS: StartMS(f.Start), Decision: decision, Reviewer: "ann", ScorecardID: "hotline", ScorecardVersion: 1}, "127.0.0.1")
			if err != nil {
				t.Fatal(err)
			}
		}
		filter := CallFilter{ScorecardID: "hotline"}
		reviewed := func() map[string]bool {
			t.Helper()
			out, err := wb.Outcomes(ctx, filter)
			if err != nil {
				t.Fatal(err)
			}
			m := map[string]bool{}
			for _, o := range out {
				m[o.CallID] = o.ReviewedPassed
				// The Go rule of the call page agrees with the SQL one.
				r, err := wb.LatestResult(ctx, o.CallID, "hotline")
				if err != nil {
					t.Fatal(err)
				}
				rs, err := wb.Reviews(ctx, o.CallID)
				if err != nil {
					t.Fatal(err)
				}
				v, err := wb.Verdict(ctx, o.CallID)
				if err != nil {
					t.Fatal(err)
				}
				if got := ReviewedVerdict(r, rs, v); got != o.ReviewedPassed {
					t.Errorf("%s: ReviewedVerdict = %v, SQL says %v", o.CallID, got, o.ReviewedPassed)
				}
			}
			return m
		}
		want := map[string]bool{"C1": false, "C2": false, "C3": true, "C4": true, "C5": false}
		check := func(step string) {
			t.Helper()
			if got := reviewed(); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("%s: reviewed = %v, want %v", step, got, want)
			}
		}
		check("no reviews")

		review("C1", greet, DecisionConfirm)
		check("confirmed")
		review("C1", greet, DecisionOverturn) // replaces the confirmation
		want["C1"] = true
		check("overturned the only deduction")

		review("C2", greet, DecisionOverturn)
		check("veto still stands")
		review("C2", rude, DecisionOverturn)
		want["C2"] = true
		check("every deduction and veto overturned")

		// A verdict beats everything.
		if err := wb.SaveVerdict(ctx, Verdict{CallID: "C2", Passed: false, Reviewer: "ann", Comment: "仍不合格"}, ""); err != nil {
			t.Fatal(err)
		}
		if err := wb.SaveVerdict(ctx, Verdict{CallID: "C4", Passed: false, Reviewer: "ann"}, ""); err != nil {
			t.Fatal(err)
		}
		want["C2"], want["C4"] = false, false
		check("verdicts")

		// C5: both hits share a start, hence one review key: one overturn
		// clears both.
		review("C5", greet, DecisionOverturn)
		want["C5"] = true
		check("same key")

		// A re-inspection with a new scorecard version keeps the reviews.
		saveCall(t, st, "C1", 2, false, greet)
		rs, err := wb.Reviews(ctx, "C1")
		if err != nil || len(rs) != 1 || rs[0].Decision != DecisionOverturn || rs[0].ScorecardVersion != 1 {
			t.Fatalf("reviews after re-inspection: %+v, %v", rs, err)
		}
		check("latest version")
		if r, err := wb.LatestResult(ctx, "C1", "hotline"); err != nil || r.Scorecard.Version != 2 {
			t.Fatalf("LatestResult = %+v, %v", r, err)
		}
		if _, err := wb.LatestResult(ctx, "nope", ""); !errors.Is(err, ErrNotFound) {
			t.Fatalf("LatestResult(missing) = %v", err)
		}

		rates, err := wb.OverturnRates(ctx, filter)
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(rates); got != "[{greeting 3 3 1} {rude 1 1 1}]" {
			t.Errorf("overturn rates = %s", got)
		}

		out, err := wb.Outcomes(ctx, filter)
		if err != nil {
			t.Fatal(err)
		}
		all := GroupPassRates(out, nil)
		if len(all) != 1 || all[0].Calls != 5 || all[0].Passed != 2 || all[0].ReviewedPassed != 3 || all[0].Verdicts != 2 {
			t.Errorf("GroupPassRates = %+v", all)
		}
		byDay := GroupPassRates(out, func(o CallOutcome) (string, string) { return o.CallDate, "" })
		if len(byDay) != 1 || byDay[0].Key != "2026-11-25" {
			t.Errorf("by day = %+v", byDay)
		}

		audit, err := wb.AuditLog(ctx, AuditFilter{CallID: "C2"})
		if err != nil {
			t.Fatal(err)
		}
		if len(audit) != 3 || audit[0].Action != AuditVerdict || audit[0].Detail != "fail 仍不合格" {
			t.Errorf("audit of C2 = %+v", audit)
		}
	})
}

func TestQueue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	eachBackend(t, func(t *testing.T, st *Store, wb *Workbench) {
		greet := models.Finding{Rule: "greeting", Start: 1, Deduct: 10}
		veto := models.Finding{Rule: "rude", Start: 2, Veto: true}
		risk := models.Finding{Rule: "complaint", Start: 3, Review: true}
		saveCall(t, st, "F1", 1, false, greet)
		saveCall(t, st, "V1", 1, false, veto)
		saveCall(t, st, "R1", 1, true, risk)
		// Enough clean passes for a calibration sample at 10%.
		for i := range 100 {
			saveCall(t, st, fmt.Sprintf("P%03d", i), 1, true)
		}
		sample := 0
		for i := range 100 {
			if InCalibrationSample(fmt.Sprintf("P%03d", i), 0.1) {
				sample++
			}
		}
		if sample < 3 || sample > 25 {
			t.Fatalf("calibration sample of 100 at 10%%: %d", sample)
		}
		base := QueueFilter{CallFilter: CallFilter{ScorecardID: "hotline"}, CalibrationRate: 0.1}
		tests := []struct {
			name  string
			edit  func(*QueueFilter)
			total int
			first string
		}{
			{"all flagged", func(*QueueFilter) {}, 3 + sample, ""},
			{"rule", func(f *QueueFilter) { f.Rule = "rude" }, 1, "V1"},
			{"reason veto", func(f *QueueFilter) { f.Reason = ReasonVeto }, 1, "V1"},
			{"reason calibration", func(f *QueueFilter) { f.Reason = ReasonCalibration }, sample, ""},
			{"no calibration", func(f *QueueFilter) { f.CalibrationRate = -1 }, 3, ""},
			{"score sort", func(f *QueueFilter) { f.Sort = "score"; f.CalibrationRate = -1 }, 3, "F1"},
			{"team miss", func(f *QueueFilter) { f.Team = "二组" }, 0, ""},
			{"date range miss", func(f *QueueFilter) { f.From = "2026-11-26" }, 0, ""},
			{"date range hit", func(f *QueueFilter) { f.From, f.To = "2026-11-25", "2026-11-25" }, 3 + sample, ""},
			{"agent by name", func(f *QueueFilter) { f.Agent = "张三"; f.CalibrationRate = -1 }, 3, ""},
			{"pending", func(f *QueueFilter) { f.Status = StatusPending; f.CalibrationRate = -1 }, 2, ""},
			{"reviewed", func(f *QueueFilter) { f.Status = StatusReviewed; f.CalibrationRate = -1 }, 1, "R1"},
		}
		if err := wb.SaveVerdict(ctx, Verdict{CallID: "R1", Passed: true, Reviewer: "ann"}, ""); err != nil {
			t.Fatal(err)
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				f := base
				tc.edit(&f)
				p, err := wb.Queue(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				if p.Total != tc.total {
					t.Errorf("total = %d, want %d", p.Total, tc.total)
				}
				if tc.first != "" && (len(p.Items) == 0 || p.Items[0].CallID != tc.first) {
					t.Errorf("first = %+v, want %s", p.Items, tc.first)
				}
			})
		}
		// Paging.
		f := base
		f.PageSize, f.Page = 2, 2
		p, err := wb.Queue(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Items) != min(2, 3+sample-2) || p.Counts.Flagged != 3+sample || p.Counts.Reviewed != 1 || p.Counts.Veto != 1 {
			t.Errorf("page 2 = %d items, counts %+v", len(p.Items), p.Counts)
		}
	})
}

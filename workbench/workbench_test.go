package workbench

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/callqa/callqa/internal/testsvc"
	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/pipeline/score"
	"github.com/callqa/callqa/store"
)

// eachBackend runs fn on a fresh store (with the workbench tables) of
// every backend under test: SQLite, and PostgreSQL when configured.
func eachBackend(t *testing.T, fn func(t *testing.T, st *store.Store, wb *Workbench)) {
	for _, be := range testsvc.Backends(t) {
		t.Run(be.Name, func(t *testing.T) {
			st, wb := openWorkbench(t, be)
			fn(t, st, wb)
		})
	}
}

// openWorkbench opens a fresh results store with the workbench tables.
func openWorkbench(t *testing.T, be testsvc.Backend) (*store.Store, *Workbench) {
	t.Helper()
	st, err := store.Open(context.Background(), be.Fresh(t), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	wb, err := New(st, Config{BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	return st, wb
}

func TestUsersAndSessions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	eachBackend(t, func(t *testing.T, _ *store.Store, wb *Workbench) {

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
		// Only the hash is stored: no column of the session's row holds
		// the raw token.
		assertTokenNotStored(t, wb, token)
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

// assertTokenNotStored fails when any column of any sessions row holds
// the raw session token.
func assertTokenNotStored(t *testing.T, wb *Workbench, token string) {
	t.Helper()
	rows, err := wb.db.QueryContext(context.Background(), `SELECT * FROM sessions`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		n++
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for i, v := range vals {
			if s := fmt.Sprint(v); strings.Contains(s, token) {
				t.Errorf("sessions.%s holds the raw token: %q", cols[i], s)
			}
			if b, ok := v.([]byte); ok && strings.Contains(string(b), token) {
				t.Errorf("sessions.%s holds the raw token: %q", cols[i], b)
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no sessions row to check")
	}
}

// TestUserDisableAndPassword disables and enables a user and changes a
// password: each ends the user's sessions (only that user's), is audited
// with its actor, and fails with ErrNoUser for an unknown user.
func TestUserDisableAndPassword(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	eachBackend(t, func(t *testing.T, _ *store.Store, wb *Workbench) {
		for _, name := range []string{"ann", "bob"} {
			if _, err := wb.AddUser(ctx, name, RoleReviewer, "correct horse"); err != nil {
				t.Fatal(err)
			}
		}
		login := func(name, pw string) string {
			t.Helper()
			u, err := wb.Authenticate(ctx, name, pw)
			if err != nil {
				t.Fatalf("Authenticate(%s): %v", name, err)
			}
			token, _, err := wb.CreateSession(ctx, u, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			return token
		}
		live := func(token string) bool {
			t.Helper()
			_, err := wb.Session(ctx, token)
			if err != nil && !errors.Is(err, ErrNoSession) {
				t.Fatal(err)
			}
			return err == nil
		}
		sessionsOf := func(name string) int {
			t.Helper()
			var n int
			if err := wb.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sessions WHERE user_name = $1`, name).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		ann1, ann2, bob := login("ann", "correct horse"), login("ann", "correct horse"), login("bob", "correct horse")

		if err := wb.SetUserDisabled(ctx, "ann", true, "admin1", "203.0.113.7"); err != nil {
			t.Fatal(err)
		}
		if live(ann1) || live(ann2) || sessionsOf("ann") != 0 {
			t.Errorf("ann's sessions survived disabling (%d rows)", sessionsOf("ann"))
		}
		if !live(bob) {
			t.Error("disabling ann ended bob's session")
		}
		if _, err := wb.Authenticate(ctx, "ann", "correct horse"); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("disabled user logs in: %v", err)
		}
		users, err := wb.Users(ctx)
		if err != nil || len(users) != 2 || !users[0].Disabled || users[1].Disabled {
			t.Fatalf("Users = %+v, %v; want ann disabled, bob not", users, err)
		}
		if err := wb.SetUserDisabled(ctx, "ann", false, "cli", ""); err != nil {
			t.Fatal(err)
		}
		ann3 := login("ann", "correct horse")

		if err := wb.SetPassword(ctx, "ann", "short", "cli", ""); err == nil {
			t.Error("SetPassword accepted a short password")
		}
		if !live(ann3) {
			t.Error("a refused password change ended the session")
		}
		if err := wb.SetPassword(ctx, "ann", "battery staple", "cli", ""); err != nil {
			t.Fatal(err)
		}
		if live(ann3) || !live(bob) {
			t.Errorf("after ann's password change: ann's session live %v, bob's %v; want false, true", live(ann3), live(bob))
		}
		if _, err := wb.Authenticate(ctx, "ann", "correct horse"); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("old password still works: %v", err)
		}
		login("ann", "battery staple")

		for _, err := range []error{
			wb.SetUserDisabled(ctx, "nobody", true, "cli", ""),
			wb.SetUserDisabled(ctx, "nobody", false, "cli", ""),
			wb.SetPassword(ctx, "nobody", "battery staple", "cli", ""),
		} {
			if !errors.Is(err, ErrNoUser) {
				t.Errorf("unknown user: %v, want ErrNoUser", err)
			}
		}

		log, err := wb.AuditLog(ctx, AuditFilter{})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range log {
			got = append(got, e.User+" "+e.Action+" "+e.Detail+" "+e.Remote)
		}
		want := []string{"cli user_passwd ann ", "cli user_enable ann ", "admin1 user_disable ann 203.0.113.7"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("audit = %q, want %q", got, want)
		}
	})
}

// TestWorkbenchTimeOrder checks that times stored within one second order
// as the times do: the audit trail (newest first) and the removal of
// expired sessions, which compare the stored text.
func TestWorkbenchTimeOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	eachBackend(t, func(t *testing.T, _ *store.Store, wb *Workbench) {
		base := time.Date(2026, 11, 25, 9, 0, 5, 0, time.UTC)
		// Inserted in a shuffled order; RFC3339Nano would store
		// "…05Z", "…05.5Z", "…05.05Z", "…05.123456789Z".
		offsets := []time.Duration{500 * time.Millisecond, 0, 123456789, 50 * time.Millisecond, time.Second}
		for i, off := range offsets {
			if err := wb.Audit(ctx, AuditEntry{At: base.Add(off), User: "u", Action: AuditLogin, Detail: fmt.Sprint(i)}); err != nil {
				t.Fatal(err)
			}
		}
		log, err := wb.AuditLog(ctx, AuditFilter{})
		if err != nil {
			t.Fatal(err)
		}
		var got []time.Duration
		for _, e := range log {
			got = append(got, e.At.Sub(base))
		}
		want := []time.Duration{time.Second, 500 * time.Millisecond, 123456789, 50 * time.Millisecond, 0}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("audit order: %v, want %v (newest first)", got, want)
		}

		// Expired sessions are removed on the next login, live ones kept.
		u, err := wb.AddUser(ctx, "ann", RoleReviewer, "correct horse")
		if err != nil {
			t.Fatal(err)
		}
		var now time.Time
		wb.now = func() time.Time { return now }
		session := func(at time.Time, ttl time.Duration) string {
			t.Helper()
			now = at
			token, _, err := wb.CreateSession(ctx, u, ttl)
			if err != nil {
				t.Fatal(err)
			}
			return token
		}
		stored := func(token string) bool {
			t.Helper()
			var n int
			if err := wb.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sessions WHERE token_hash = $1`, tokenHash(token)).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n == 1
		}
		expiresWhole := session(base, time.Hour)                                                  // until 10:00:05
		expiresHalf := session(base.Add(time.Hour+500*time.Millisecond-time.Minute), time.Minute) // until 10:00:05.5
		session(base.Add(time.Hour+200*time.Millisecond), time.Hour)                              // cleans up at 10:00:05.2
		if stored(expiresWhole) {
			t.Error("at 10:00:05.2, the session that expired at 10:00:05 was kept")
		}
		if !stored(expiresHalf) {
			t.Error("at 10:00:05.2, the session live until 10:00:05.5 was removed")
		}
		liveHalf := session(base.Add(time.Hour), time.Second+500*time.Millisecond) // until 10:00:06.5
		session(base.Add(time.Hour+time.Second), time.Hour)                        // cleans up at 10:00:06
		if !stored(liveHalf) {
			t.Error("at 10:00:06, the session live until 10:00:06.5 was removed")
		}
		if stored(expiresHalf) {
			t.Error("at 10:00:06, the session that expired at 10:00:05.5 was kept")
		}
		if _, err := wb.Session(ctx, liveHalf); err != nil {
			t.Errorf("live session: %v", err)
		}

		// Rows an earlier version wrote in RFC 3339 still read.
		if got := parseTime("2026-11-25T09:00:05.5Z"); !got.Equal(base.Add(500 * time.Millisecond)) {
			t.Errorf("parseTime(RFC3339Nano) = %v", got)
		}
		if got := parseTime(formatWorkbenchTime(base)); !got.Equal(base) {
			t.Errorf("parseTime(formatWorkbenchTime) = %v", got)
		}
	})
}

// key is the recording key of test call id, as saveCall and saveScored
// store it.
func key(id string) string { return "2026/11/25/" + id + ".wav" }

// saveCall stores an inspected result with the given findings.
func saveCall(t *testing.T, st *store.Store, id string, version int, passed bool, findings ...models.Finding) {
	t.Helper()
	started := time.Date(2026, 11, 25, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
	score, review := 100.0, false
	for _, f := range findings {
		score -= f.Deduct
		review = review || f.Review
	}
	r := &models.Result{
		CallID: id, Recording: key(id), Status: models.StatusInspected,
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

// reviewScorecard is the scorecard of the reviewed-verdict tests.
func reviewScorecard() *models.Scorecard {
	return &models.Scorecard{
		ID: "hotline", Version: 1, BaseScore: 100, PassScore: 85,
		Rules: []models.Rule{
			{ID: "greeting", Name: "开场白", Deduct: 10},
			{ID: "closing", Name: "结束语", Deduct: 10},
			{ID: "wrong_info", Name: "答复错误", Deduct: 20}, // capped at one deduction
			{ID: "dead_air", Name: "静音", Deduct: 5, MaxDeduct: 10},
			{ID: "rude", Name: "服务禁语", Veto: true},
			{ID: "complaint", Name: "投诉风险", Review: true},
		},
	}
}

// hitOf is a rule hit as the checker produces it: the rule's raw deduct,
// veto and review flags (rules sc lacks deduct 20).
func hitOf(sc *models.Scorecard, rule string, start float64) models.Finding {
	for _, r := range sc.Rules {
		if r.ID == rule {
			return models.Finding{Rule: rule, Name: r.Name, Start: start, End: start + 1, Deduct: r.Deduct, Veto: r.Veto, Review: r.Review}
		}
	}
	return models.Finding{Rule: rule, Start: start, End: start + 1, Deduct: 20}
}

// saveScored stores a call scored by score.Score as the engine scores it:
// its findings carry their cost after capping.
func saveScored(t *testing.T, st *store.Store, sc *models.Scorecard, id string, version int, hits ...models.Finding) *models.Result {
	t.Helper()
	started := time.Date(2026, 11, 25, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
	findings, sco, passed, review := score.Score(sc, hits)
	r := &models.Result{
		CallID: id, Recording: key(id), Status: models.StatusInspected,
		Scorecard: models.ScorecardRef{ID: sc.ID, Version: version},
		Meta:      models.CallMeta{CallID: id, AgentID: "A1", AgentName: "张三", Team: "一组", Queue: "养老", StartedAt: &started},
		Audio:     &models.AudioInfo{Format: "pcm_s16le", SampleRate: 8000, Channels: 2, DurationS: 30},
		Findings:  findings, Score: sco, Passed: passed, Review: review,
	}
	if err := st.SaveResult(context.Background(), "", r); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestReviewedPassRate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sc := reviewScorecard()
	h := func(rule string, start float64) models.Finding { return hitOf(sc, rule, start) }
	type decision struct {
		hit      int // index into hits
		decision string
	}
	pass, fail := true, false
	tests := []struct {
		id      string
		hits    []models.Finding
		reviews []decision
		verdict *bool
		machine bool // the engine's verdict, checked
		want    bool
	}{
		{id: "clean", machine: true, want: true},
		{id: "passed-stays-passed", hits: []models.Finding{h("greeting", 1)}, reviews: []decision{{0, DecisionConfirm}}, machine: true, want: true},
		{id: "unreviewed-fail", hits: []models.Finding{h("greeting", 1), h("closing", 60)}, machine: false, want: false},
		{id: "confirmed-fail", hits: []models.Finding{h("greeting", 1), h("closing", 60)},
			reviews: []decision{{0, DecisionConfirm}, {1, DecisionConfirm}}, machine: false, want: false},
		// 80 with two -10 findings, pass 85: overturning one makes it 90.
		{id: "partial-overturn-passes", hits: []models.Finding{h("greeting", 1), h("closing", 60)},
			reviews: []decision{{1, DecisionOverturn}}, machine: false, want: true},
		{id: "partial-overturn-not-enough", hits: []models.Finding{h("greeting", 1), h("closing", 60), h("dead_air", 20), h("dead_air", 40)},
			reviews: []decision{{1, DecisionOverturn}}, machine: false, want: false},
		{id: "confirm-then-overturn", hits: []models.Finding{h("greeting", 1), h("closing", 60)},
			reviews: []decision{{0, DecisionConfirm}, {0, DecisionOverturn}}, machine: false, want: true},
		// wrong_info caps at one deduction: the second hit cost 0; with the
		// first overturned it costs 20, and the call still fails.
		{id: "capped-hit-takes-over", hits: []models.Finding{h("wrong_info", 10), h("wrong_info", 30)},
			reviews: []decision{{0, DecisionOverturn}}, machine: false, want: false},
		{id: "capped-hits-all-overturned", hits: []models.Finding{h("wrong_info", 10), h("wrong_info", 30)},
			reviews: []decision{{0, DecisionOverturn}, {1, DecisionOverturn}}, machine: false, want: true},
		{id: "veto-left-standing", hits: []models.Finding{h("rude", 12), h("rude", 40)},
			reviews: []decision{{0, DecisionOverturn}}, machine: false, want: false},
		{id: "every-veto-overturned", hits: []models.Finding{h("rude", 12), h("rude", 40), h("greeting", 1)},
			reviews: []decision{{0, DecisionOverturn}, {1, DecisionOverturn}}, machine: false, want: true},
		{id: "review-only-overturn", hits: []models.Finding{h("rude", 12), h("complaint", 20)},
			reviews: []decision{{1, DecisionOverturn}}, machine: false, want: false},
		// A rule the scorecard lacks costs its stored deduction.
		{id: "unknown-rule-keeps-its-cost", hits: []models.Finding{h("greeting", 1), h("legacy", 5)},
			reviews: []decision{{0, DecisionOverturn}}, machine: false, want: false},
		// Both hits share a start, hence one review key: one overturn clears both.
		{id: "same-key", hits: []models.Finding{h("wrong_info", 5), h("wrong_info", 5)},
			reviews: []decision{{0, DecisionOverturn}}, machine: false, want: true},
		// A final verdict beats the machine and the re-scoring.
		{id: "verdict-fail-beats-rescore", hits: []models.Finding{h("greeting", 1), h("closing", 60)},
			reviews: []decision{{1, DecisionOverturn}}, verdict: &fail, machine: false, want: false},
		{id: "verdict-fail-beats-pass", verdict: &fail, machine: true, want: false},
		{id: "verdict-pass-beats-veto", hits: []models.Finding{h("rude", 12)}, verdict: &pass, machine: false, want: true},
	}
	eachBackend(t, func(t *testing.T, st *store.Store, wb *Workbench) {
		want := map[string]bool{}
		results := map[string]*models.Result{}
		for _, tc := range tests {
			r := saveScored(t, st, sc, tc.id, 1, tc.hits...)
			if r.Passed != tc.machine {
				t.Fatalf("%s: machine verdict %v (score %v), want %v", tc.id, r.Passed, r.Score, tc.machine)
			}
			results[tc.id] = r
			for _, d := range tc.reviews {
				f := tc.hits[d.hit]
				err := wb.SaveReview(ctx, Review{Recording: key(tc.id), CallID: tc.id, Rule: f.Rule, StartMS: models.StartMS(f.Start), Decision: d.decision,
					Reviewer: "ann", ScorecardID: "hotline", ScorecardVersion: 1}, "127.0.0.1")
				if err != nil {
					t.Fatal(err)
				}
			}
			if tc.verdict != nil {
				if err := wb.SaveVerdict(ctx, Verdict{Recording: key(tc.id), CallID: tc.id, Passed: *tc.verdict, Reviewer: "ann", Comment: "复核"}, ""); err != nil {
					t.Fatal(err)
				}
			}
			want[tc.id] = tc.want
		}
		filter := CallFilter{ScorecardID: "hotline"}
		check := func(step string) []CallOutcome {
			t.Helper()
			out, err := wb.Outcomes(ctx, sc, filter)
			if err != nil {
				t.Fatal(err)
			}
			if len(out) != len(want) {
				t.Fatalf("%s: %d outcomes, want %d", step, len(out), len(want))
			}
			for _, o := range out {
				if o.ReviewedPassed != want[o.CallID] {
					t.Errorf("%s: %s: reviewed passed = %v, want %v", step, o.CallID, o.ReviewedPassed, want[o.CallID])
				}
				// The call page's verdict (from the stored result) agrees
				// with the dashboard's (from the findings table).
				r, err := wb.LatestResult(ctx, o.Recording, "hotline", 0)
				if err != nil {
					t.Fatal(err)
				}
				rs, err := wb.Reviews(ctx, o.Recording)
				if err != nil {
					t.Fatal(err)
				}
				v, err := wb.Verdict(ctx, o.Recording)
				if err != nil {
					t.Fatal(err)
				}
				if got := ReviewedVerdict(sc, r, rs, v); got != o.ReviewedPassed {
					t.Errorf("%s: %s: ReviewedVerdict = %v, Outcomes says %v", step, o.CallID, got, o.ReviewedPassed)
				}
			}
			return out
		}
		out := check("reviews")

		machine, reviewed, verdicts := 0, 0, 0
		for _, tc := range tests {
			if tc.machine {
				machine++
			}
			if tc.want {
				reviewed++
			}
			if tc.verdict != nil {
				verdicts++
			}
		}
		all := GroupPassRates(out, nil)
		if len(all) != 1 || all[0].Calls != len(tests) || all[0].Passed != machine || all[0].ReviewedPassed != reviewed || all[0].Verdicts != verdicts {
			t.Errorf("GroupPassRates = %+v, want %d calls, %d passed, %d reviewed passed, %d verdicts", all, len(tests), machine, reviewed, verdicts)
		}
		byDay := GroupPassRates(out, func(o CallOutcome) (string, string) { return o.CallDate, "" })
		if len(byDay) != 1 || byDay[0].Key != "2026-11-25" {
			t.Errorf("by day = %+v", byDay)
		}

		// A re-inspection with a new scorecard version keeps the reviews and
		// the reviewed verdict.
		saveScored(t, st, &models.Scorecard{ID: sc.ID, Version: 2, BaseScore: sc.BaseScore, PassScore: sc.PassScore, Rules: sc.Rules},
			"partial-overturn-passes", 2, results["partial-overturn-passes"].Findings...)
		rs, err := wb.Reviews(ctx, key("partial-overturn-passes"))
		if err != nil || len(rs) != 1 || rs[0].Decision != DecisionOverturn || rs[0].ScorecardVersion != 1 {
			t.Fatalf("reviews after re-inspection: %+v, %v", rs, err)
		}
		check("latest version")
		if r, err := wb.LatestResult(ctx, key("partial-overturn-passes"), "hotline", 0); err != nil || r.Scorecard.Version != 2 {
			t.Fatalf("LatestResult = %+v, %v", r, err)
		}
		if _, err := wb.LatestResult(ctx, key("nope"), "", 0); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("LatestResult(missing) = %v", err)
		}
		if _, err := wb.Outcomes(ctx, nil, filter); err == nil {
			t.Error("Outcomes with a nil scorecard: no error")
		}

		rates, err := wb.OverturnRates(ctx, CallFilter{ScorecardID: "hotline", ScorecardVersion: 1})
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(rates); got != "[{closing 4 3 0.75} {complaint 1 1 1} {greeting 4 2 0.5} {rude 3 3 1} {wrong_info 4 4 1}]" {
			t.Errorf("overturn rates = %s", got)
		}

		audit, err := wb.AuditLog(ctx, AuditFilter{CallID: "verdict-fail-beats-rescore"})
		if err != nil {
			t.Fatal(err)
		}
		if len(audit) != 2 || audit[0].Action != AuditVerdict || audit[0].Detail != "fail 复核" {
			t.Errorf("audit of verdict-fail-beats-rescore = %+v", audit)
		}
	})
}

func TestQueue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	eachBackend(t, func(t *testing.T, st *store.Store, wb *Workbench) {
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
		if err := wb.SaveVerdict(ctx, Verdict{Recording: key("R1"), CallID: "R1", Passed: true, Reviewer: "ann"}, ""); err != nil {
			t.Fatal(err)
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				f := base
				tc.edit(&f)
				p, err := wb.Queue(ctx, reviewScorecard(), f)
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
		p, err := wb.Queue(ctx, reviewScorecard(), f)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Items) != min(2, 3+sample-2) || p.Counts.Flagged != 3+sample || p.Counts.Reviewed != 1 || p.Counts.Veto != 1 {
			t.Errorf("page 2 = %d items, counts %+v", len(p.Items), p.Counts)
		}
	})
}

// TestOverturnRatesCountFindingsOfTheResult checks that the overturn rates
// count only the reviews of findings the counted result makes: a review of
// an earlier inspection whose finding moved or went away is left out, one
// whose finding is still there counts.
func TestOverturnRatesCountFindingsOfTheResult(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	eachBackend(t, func(t *testing.T, st *store.Store, wb *Workbench) {
		greet := func(start float64) models.Finding { return models.Finding{Rule: "greeting", Start: start, Deduct: 10} }
		closing := func(start float64) models.Finding { return models.Finding{Rule: "closing", Start: start, Deduct: 10} }
		// Version 1: greeting at 1.0004 s (1000 ms) and closing at 60 s.
		saveCall(t, st, "moved", 1, false, greet(1.0004), closing(60))
		for _, rv := range []Review{
			{Recording: key("moved"), CallID: "moved", Rule: "greeting", StartMS: models.StartMS(1.0004), Decision: DecisionOverturn, Comment: "误判", Reviewer: "ann", ScorecardID: "hotline", ScorecardVersion: 1},
			{Recording: key("moved"), CallID: "moved", Rule: "closing", StartMS: 60000, Decision: DecisionConfirm, Reviewer: "ann", ScorecardID: "hotline", ScorecardVersion: 1},
		} {
			if err := wb.SaveReview(ctx, rv, "127.0.0.1"); err != nil {
				t.Fatal(err)
			}
		}
		// Version 2 moves the greeting finding to 2.5 s and keeps closing
		// at 59.9996 s (still 60000 ms).
		saveCall(t, st, "moved", 2, false, greet(2.5), closing(59.9996))
		tests := []struct {
			name   string
			filter CallFilter
			want   string
		}{
			{"version 1 counts both reviews", CallFilter{ScorecardID: "hotline", ScorecardVersion: 1}, "[{closing 1 0 0} {greeting 1 1 1}]"},
			{"version 2: the greeting review is of a finding it no longer makes", CallFilter{ScorecardID: "hotline", ScorecardVersion: 2}, "[{closing 1 0 0}]"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				rates, err := wb.OverturnRates(ctx, tc.filter)
				if err != nil {
					t.Fatal(err)
				}
				if got := fmt.Sprint(rates); got != tc.want {
					t.Errorf("overturn rates = %s, want %s", got, tc.want)
				}
			})
		}
	})
}

// TestLatestResultVersion checks that LatestResult returns the asked
// version, the newest for 0, and store.ErrNotFound for a version the call lacks.
func TestLatestResultVersion(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	eachBackend(t, func(t *testing.T, st *store.Store, wb *Workbench) {
		saveCall(t, st, "two", 1, true)
		saveCall(t, st, "two", 2, true)
		saveCall(t, st, "one", 1, true)
		tests := []struct {
			id      string
			version int
			want    int // 0: store.ErrNotFound
		}{
			{"two", 1, 1}, {"two", 2, 2}, {"two", 0, 2}, {"one", 1, 1}, {"one", 0, 1}, {"one", 2, 0},
		}
		for _, tc := range tests {
			r, err := wb.LatestResult(ctx, key(tc.id), "hotline", tc.version)
			switch {
			case tc.want == 0 && !errors.Is(err, store.ErrNotFound):
				t.Errorf("LatestResult(%s, v%d) = %v, want ErrNotFound", tc.id, tc.version, err)
			case tc.want != 0 && (err != nil || r.Scorecard.Version != tc.want):
				t.Errorf("LatestResult(%s, v%d) = %+v, %v; want version %d", tc.id, tc.version, r, err, tc.want)
			}
		}
	})
}

// TestGroupedPassRatesAgreeWithOutcomes checks the database's grouped
// figures against GroupPassRates over Outcomes, on every grouping of the
// dashboard and several filters, with calls re-scored in every group.
func TestGroupedPassRatesAgreeWithOutcomes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sc := reviewScorecard()
	eachBackend(t, func(t *testing.T, st *store.Store, wb *Workbench) {
		seedOutcomes(t, st, wb, sc, 400, 1)
		by := make([]string, len(dashboardKeys))
		for i, k := range dashboardKeys {
			by[i] = k.by
		}
		tests := []struct {
			name string
			f    CallFilter
		}{
			{"all", CallFilter{ScorecardID: sc.ID, ScorecardVersion: 1}},
			{"month", CallFilter{ScorecardID: sc.ID, ScorecardVersion: 1, From: "2026-11-01", To: "2026-11-30"}},
			{"week", CallFilter{ScorecardID: sc.ID, ScorecardVersion: 1, From: "2026-11-05", To: "2026-11-11"}},
			{"version 2", CallFilter{ScorecardID: sc.ID, ScorecardVersion: 2}},
			{"nothing", CallFilter{ScorecardID: sc.ID, ScorecardVersion: 1, From: "2027-01-01"}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				out, err := wb.Outcomes(ctx, sc, tc.f)
				if err != nil {
					t.Fatal(err)
				}
				rescored := 0
				for _, o := range out {
					if o.ReviewedPassed && !o.Passed && o.Verdict == nil {
						rescored++
					}
				}
				if tc.name == "all" && rescored == 0 {
					t.Fatal("no call passes by re-scoring: the data set does not test it")
				}
				got, err := wb.GroupedPassRates(ctx, sc, tc.f, by...)
				if err != nil {
					t.Fatal(err)
				}
				for _, k := range dashboardKeys {
					want := GroupPassRates(out, k.key)
					if fmt.Sprint(got[k.by]) != fmt.Sprint(want) {
						t.Errorf("by %s:\n got %+v\nwant %+v", k.by, got[k.by], want)
					}
				}
			})
		}
		// The rollups know a scorecard version and dates, nothing finer.
		for _, f := range []CallFilter{
			{ScorecardID: sc.ID},
			{ScorecardID: sc.ID, ScorecardVersion: 1, Team: "二组"},
			{ScorecardID: sc.ID, ScorecardVersion: 1, Agent: "坐席A007"},
			{ScorecardID: sc.ID, ScorecardVersion: 1, Rule: "closing"},
		} {
			if _, err := wb.GroupedPassRates(ctx, sc, f, store.GroupAll); err == nil {
				t.Errorf("GroupedPassRates(%+v): no error", f)
			}
		}
		if _, err := wb.GroupedPassRates(ctx, sc, CallFilter{ScorecardID: sc.ID, ScorecardVersion: 1}, "planet"); err == nil {
			t.Error("GroupedPassRates by an unknown grouping: no error")
		}
		if _, err := wb.GroupedPassRates(ctx, nil, CallFilter{}, store.GroupAll); err == nil {
			t.Error("GroupedPassRates with a nil scorecard: no error")
		}
	})
}

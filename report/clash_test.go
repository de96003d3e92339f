package report

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/callqa/callqa/models"
)

// TestClashes adds, to the fixture, a recording of the 26th whose metadata
// carries c1's call id: the listing of the 26th shows both recordings of
// c1 (the other is the 23rd's), a range without c1 shows none, and the
// table names them.
func TestClashes(t *testing.T) {
	t.Parallel()
	st := setup(t)
	ctx := context.Background()
	start, _ := time.Parse(time.RFC3339, "2026-11-26T11:00:00+08:00")
	dup := &models.Result{CallID: "c1", Recording: "2026-11-26/c1-again.wav", Status: models.StatusUnprocessable, Error: "x",
		Scorecard: sc, Meta: models.CallMeta{StartedAt: &start}, Findings: []models.Finding{}}
	if err := st.SaveResult(ctx, "", dup); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		o    Options
		want string
	}{
		{"all", Options{}, "c1 2 2026-11-23 2026-11-23/c1.wav inspected|c1 2 2026-11-26 2026-11-26/c1-again.wav unprocessable"},
		{"the 26th", Options{From: "2026-11-26", To: "2026-11-26"}, "c1 2 2026-11-23 2026-11-23/c1.wav inspected|c1 2 2026-11-26 2026-11-26/c1-again.wav unprocessable"},
		{"the 25th", Options{From: "2026-11-25", To: "2026-11-25"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := Clashes(ctx, st, tt.o)
			if err != nil {
				t.Fatal(err)
			}
			var rows []string
			for _, r := range l.Rows {
				rows = append(rows, strings.Join([]string{r.CallID, string(rune('0' + r.Recordings)), r.Date, r.Recording, r.Status}, " "))
			}
			if got := strings.Join(rows, "|"); got != tt.want {
				t.Errorf("rows = %q, want %q", got, tt.want)
			}
		})
	}
	l, err := Clashes(ctx, st, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Write(&buf, FormatTable, l); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"重复的通话编号", "2026-11-26/c1-again.wav", "无法处理", "合计：1 个通话编号对应多条录音（共 2 条）"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, buf.String())
		}
	}
}

// TestMixedAnalyses adds to the fixture a call of the 25th measured by
// another audio analysis: the reports of a range holding it note the mix
// (table and JSON), those of other days do not.
func TestMixedAnalyses(t *testing.T) {
	t.Parallel()
	st := setup(t)
	ctx := context.Background()
	start, _ := time.Parse(time.RFC3339, "2026-11-25T11:00:00+08:00")
	r := &models.Result{CallID: "n1", Recording: "2026-11-25/n1.wav", Status: models.StatusInspected, Passed: true, Score: 100,
		Scorecard: sc, Analysis: &models.AnalysisRef{VAD: "silero-v5", Version: 2}, Meta: models.CallMeta{StartedAt: &start}, Findings: []models.Finding{}}
	if err := st.SaveResult(ctx, "", r); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		o    Options
		note bool
	}{{Options{}, true}, {Options{From: "2026-11-25", To: "2026-11-25"}, true}, {Options{From: "2026-11-23", To: "2026-11-23"}, false}} {
		rep, err := PassRates(ctx, st, tt.o, ByDay)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := Write(&buf, FormatTable, rep); err != nil {
			t.Fatal(err)
		}
		has := strings.Contains(buf.String(), "注意：本表的通话由不同版本的音频分析测得：")
		if has != tt.note || has && !strings.Contains(buf.String(), "silero-v5 v2（1 通）") {
			t.Errorf("%+v: note %v, want %v:\n%s", tt.o, has, tt.note, buf.String())
		}
		if tt.note && len(rep.OtherScorecards.Analyses) != 2 {
			t.Errorf("%+v: analyses %+v", tt.o, rep.OtherScorecards.Analyses)
		}
	}
}

package report

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

func str(s string) *string { return &s }

// TestCalls lists the fixture's calls (see fixture) with each filter; the
// totals are computed by hand and are those of TestPassRates.
func TestCalls(t *testing.T) {
	t.Parallel()
	st := setup(t)
	ctx := context.Background()
	tests := []struct {
		name  string
		o     Options
		l     ListOptions
		ids   string
		total string
	}{
		{"all", Options{}, ListOptions{}, "c1 c2 c3 c4 c5 c7", "合计/合计 6 3 3 0 rate=0.5000 avg=73.0000"},
		{"team", Options{}, ListOptions{Team: str("一组")}, "c1 c2 c4 c7", "合计/合计 4 3 1 0 rate=0.7500 avg=87.0000"},
		{"team never passing", Options{}, ListOptions{Team: str("二组")}, "c3 c5", "合计/合计 2 0 2 0 rate=0.0000 avg=45.0000"},
		{"team without inspected calls", Options{}, ListOptions{Team: str("三组")}, "", "合计/合计 0 0 0 0 rate=nil avg=nil"},
		{"agent", Options{}, ListOptions{Agent: str("A2")}, "c2 c7", "合计/合计 2 1 1 0 rate=0.5000 avg=79.0000"},
		{"queue", Options{}, ListOptions{Queue: str("养老保险")}, "c1 c2 c3 c4 c5 c7", "合计/合计 6 3 3 0 rate=0.5000 avg=73.0000"},
		{"calls without a queue", Options{}, ListOptions{Queue: str("")}, "", "合计/合计 0 0 0 0 rate=nil avg=nil"},
		{"rule", Options{}, ListOptions{Rule: "silence"}, "c3 c5", "合计/合计 2 0 2 0 rate=0.0000 avg=45.0000"},
		{"failed", Options{}, ListOptions{FailedOnly: true}, "c2 c3 c5", "合计/合计 3 0 3 0 rate=0.0000 avg=53.3300"},
		{"rule, failed, one day", Options{From: "2026-11-23", To: "2026-11-23"}, ListOptions{Rule: "greeting", FailedOnly: true}, "c2 c3", "合计/合计 2 0 2 0 rate=0.0000 avg=60.0000"},
		{"range", Options{From: "2026-11-25", To: "2026-11-26"}, ListOptions{}, "c4 c5 c7", "合计/合计 3 2 1 0 rate=0.6667 avg=76.0000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, err := Calls(ctx, st, tt.o, tt.l)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, c := range list.Calls {
				ids = append(ids, c.CallID)
			}
			if got := strings.Join(ids, " "); got != tt.ids {
				t.Errorf("calls = %q, want %q", got, tt.ids)
			}
			if got := rowString(list.Total); got != tt.total {
				t.Errorf("total = %s, want %s", got, tt.total)
			}
			if list.Scorecard != sc {
				t.Errorf("scorecard = %v, want the latest %v", list.Scorecard, sc)
			}
		})
	}

	list, err := Calls(ctx, st, Options{}, ListOptions{Agent: str("B1")})
	if err != nil {
		t.Fatal(err)
	}
	want := "[{CallID:c3 Date:2026-11-23 AgentID:B1 AgentName:坐席B1 Team:二组 Queue:养老保险 Score:50 Passed:false Veto:false Review:false Rules:[greeting silence] Recording:2026-11-23/c3.wav}]"
	if got := fmt.Sprintf("%+v", list.Calls); got != want {
		t.Errorf("B1's calls =\n%s\nwant\n%s", got, want)
	}

	unproc := []struct {
		name string
		o    Options
		l    ListOptions
		want string
	}{
		{"all", Options{}, ListOptions{}, "[{CallID:c6 Date:2026-11-25 Recording:2026-11-25/c6.wav Reason:decode: not a RIFF file} {CallID:c8 Date:2026-11-26 Recording:2026-11-26/c8.wav Reason:decode: not a RIFF file}]"},
		{"team", Options{}, ListOptions{Team: str("二组")}, "[{CallID:c6 Date:2026-11-25 Recording:2026-11-25/c6.wav Reason:decode: not a RIFF file}]"},
		{"range", Options{From: "2026-11-26"}, ListOptions{}, "[{CallID:c8 Date:2026-11-26 Recording:2026-11-26/c8.wav Reason:decode: not a RIFF file}]"},
		{"none", Options{To: "2026-11-24"}, ListOptions{}, "[]"},
	}
	for _, tt := range unproc {
		t.Run("unprocessable "+tt.name, func(t *testing.T) {
			list, err := Unprocessable(ctx, st, tt.o, tt.l)
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprintf("%+v", list.Calls); got != tt.want {
				t.Errorf("unprocessable =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}

	for _, l := range []ListOptions{{Rule: "greeting"}, {FailedOnly: true}} {
		if _, err := Unprocessable(ctx, st, Options{}, l); err == nil {
			t.Errorf("Unprocessable(%+v) = nil error", l)
		}
	}
	if _, err := Calls(ctx, st, Options{From: "2026-11-26", To: "2026-11-25"}, ListOptions{}); err == nil {
		t.Error("Calls with a reversed range = nil error")
	}
}

// TestCallsAddUp: the listing of a group's calls totals the group's row
// of the pass-rate report, for every group of every grouping, and its
// unprocessable listing has the row's unprocessable count.
func TestCallsAddUp(t *testing.T) {
	t.Parallel()
	st := setup(t)
	ctx := context.Background()
	for _, by := range []string{ByDay, ByTeam, ByAgent, ByQueue} {
		for _, o := range []Options{{}, {From: "2026-11-25", To: "2026-11-26"}} {
			tab, err := PassRates(ctx, st, o, by)
			if err != nil {
				t.Fatal(err)
			}
			for _, row := range tab.Rows {
				lo, ro := ListOptions{}, o
				switch by {
				case ByDay:
					ro.From, ro.To = row.Group, row.Group
				case ByTeam:
					lo.Team = str(row.Group)
				case ByAgent:
					lo.Agent = str(row.Group)
				case ByQueue:
					lo.Queue = str(row.Group)
				}
				list, err := Calls(ctx, st, ro, lo)
				if err != nil {
					t.Fatal(err)
				}
				un, err := Unprocessable(ctx, st, ro, lo)
				if err != nil {
					t.Fatal(err)
				}
				got := list.Total
				got.Group, got.Label, got.Unprocessable = row.Group, row.Label, len(un.Calls)
				if rowString(got) != rowString(row) {
					t.Errorf("by %s %+v: listing totals %s, report row %s", by, o, rowString(got), rowString(row))
				}
			}
		}
	}
}

func TestCallListFormats(t *testing.T) {
	t.Parallel()
	st := setup(t)
	ctx := context.Background()
	team, err := Calls(ctx, st, Options{}, ListOptions{Team: str("一组")})
	if err != nil {
		t.Fatal(err)
	}
	unproc, err := Unprocessable(ctx, st, Options{From: "2026-11-23", To: "2026-11-26"}, ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for name, rep := range map[string]Report{"list-team": team, "list-unprocessable": unproc} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, FormatTable, rep); err != nil {
				t.Fatal(err)
			}
			golden(t, name+".table.golden", buf.Bytes())

			buf.Reset()
			if err := Write(&buf, FormatCSV, rep); err != nil {
				t.Fatal(err)
			}
			golden(t, name+".csv.golden", buf.Bytes())
			r := csv.NewReader(bytes.NewReader(buf.Bytes()[3:]))
			r.FieldsPerRecord = -1
			recs, err := r.ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			sh := rep.Sheet()
			// Headers, one record per call, the total note (the empty
			// record before it is skipped by the reader).
			if len(recs) != 1+len(sh.Rows)+1 || len(sh.Rows) == 0 || !strings.HasPrefix(recs[len(recs)-1][0], "合计：") {
				t.Errorf("CSV has %d records for %d calls", len(recs), len(sh.Rows))
			}

			buf.Reset()
			if err := Write(&buf, FormatJSON, rep); err != nil {
				t.Fatal(err)
			}
			var doc struct {
				Calls []map[string]any `json:"calls"`
			}
			if err := json.Unmarshal(buf.Bytes(), &doc); err != nil || len(doc.Calls) != len(sh.Rows) {
				t.Errorf("JSON: %v, %d calls for %d rows:\n%s", err, len(doc.Calls), len(sh.Rows), buf.Bytes())
			}
		})
	}

	// JSON field names of a call and of the filters.
	var buf bytes.Buffer
	if err := Write(&buf, FormatJSON, team); err != nil {
		t.Fatal(err)
	}
	var back CallList
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(back.Calls) != fmt.Sprint(team.Calls) || back.Filters.Team == nil || *back.Filters.Team != "一组" ||
		!strings.Contains(buf.String(), `"rules": [
        "greeting"
      ]`) || !strings.Contains(buf.String(), `"filters": {
    "team": "一组"
  }`) {
		t.Errorf("JSON round trip:\n%s", buf.String())
	}

	// XLSX, reopened.
	buf.Reset()
	if err := Write(&buf, FormatXLSX, team); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	sheet := x.GetSheetName(0)
	rows, err := x.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	wantRows := [][]string{
		{"通话编号", "日期", "坐席工号", "坐席姓名", "班组", "队列", "得分", "是否合格", "否决", "需复核", "命中规则", "录音"},
		{"c1", "2026-11-23", "A1", "坐席A1", "一组", "养老保险", "90", "合格", "否", "否", "", "2026-11-23/c1.wav"},
		{"c2", "2026-11-23", "A2", "坐席A2", "一组", "养老保险", "70", "不合格", "否", "否", "greeting", "2026-11-23/c2.wav"},
		{"c4", "2026-11-25", "A1", "坐席A1", "一组", "养老保险", "100", "合格", "否", "否", "", "2026-11-25/c4.wav"},
		{"c7", "2026-11-26", "A2", "坐席A2", "一组", "养老保险", "88", "合格", "否", "否", "overtalk", "2026-11-26/c7.wav"},
		{},
		{"合计：质检通话 4 通，合格 3 通，不合格 1 通，合格率 75.0%，平均分 87"},
	}
	if sheet != "通话清单" || fmt.Sprint(rows) != fmt.Sprint(wantRows) {
		t.Errorf("sheet %q rows\n%v\nwant\n%v", sheet, rows, wantRows)
	}
	if typ, _ := x.GetCellType(sheet, "G2"); typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
		t.Errorf("the score G2 is stored as text (%v)", typ)
	}
}

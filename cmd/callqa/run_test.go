package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/callqa/callqa/batch"
)

// runCmd runs the command line args in-process and returns its exit code,
// standard output and standard error.
func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return runCmdStdin(t, "", args...)
}

// runCmdStdin is runCmd with stdin.
func runCmdStdin(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	e := &env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut, getenv: func(string) string { return "" },
		logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	code := run(context.Background(), e, args)
	return code, out.String(), errOut.String()
}

// TestRunMatchesReport runs `callqa run` on the samples and checks that the
// pass rate it prints is the one `callqa report --by day` reads back.
func TestRunMatchesReport(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "results.db")
	samples := filepath.Join("..", "..", "samples")
	code, out, errOut := runCmd(t, "run", samples, "--date", "2026-11-25", "--db", db, "--workers", "2")
	if code != exitOK {
		t.Fatalf("run exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	m := regexp.MustCompile(`pass rate:\s+(\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no pass rate in the summary:\n%s", out)
	}
	runRate := m[1]
	if !strings.Contains(out, "12 listed") || !strings.Contains(errOut, "progress") {
		t.Errorf("summary or progress missing:\nstdout:\n%s\nstderr:\n%s", out, errOut)
	}

	code, out, errOut = runCmd(t, "report", "--db", db, "--by", "day", "--format", "json")
	if code != exitOK {
		t.Fatalf("report exit %d: %s", code, errOut)
	}
	var tab struct {
		Rows []struct {
			Group     string   `json:"group"`
			Inspected int      `json:"inspected"`
			PassRate  *float64 `json:"pass_rate"`
		} `json:"rows"`
	}
	if err := json.Unmarshal([]byte(out), &tab); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(tab.Rows) != 1 || tab.Rows[0].Group != "2026-11-25" || tab.Rows[0].PassRate == nil {
		t.Fatalf("report rows = %+v", tab.Rows)
	}
	if got := batch.FormatRate(*tab.Rows[0].PassRate, true); got != runRate {
		t.Errorf("run printed pass rate %s, report --by day reads %s", runRate, got)
	}
	code, table, _ := runCmd(t, "report", "--db", db)
	if code != exitOK || !strings.Contains(table, "2026-11-25") || !strings.Contains(table, runRate) {
		t.Errorf("report table (exit %d) does not show %s:\n%s", code, runRate, table)
	}

	// A range of more than ten years by day is bad input, not a fault.
	if code, _, errOut := runCmd(t, "report", "--db", db, "--by", "day", "--from", "1900-01-01", "--to", "2026-11-30"); code != exitBadInput || !strings.Contains(errOut, "range too long") {
		t.Errorf("report over 126 years: exit %d, stderr %q; want 2, range too long", code, errOut)
	}

	// A rerun skips every call and prints the same pass rate.
	code, out, _ = runCmd(t, "run", samples, "--date", "2026-11-25", "--db", db)
	if code != exitOK || !strings.Contains(out, "(12 from earlier runs)") || !strings.Contains(out, runRate) {
		t.Errorf("rerun (exit %d):\n%s", code, out)
	}

	// The indicator and an XLSX file.
	xlsx := filepath.Join(t.TempDir(), "indicator.xlsx")
	if code, _, errOut := runCmd(t, "report", "--db", db, "--indicator", "--target", "90%", "--weight", "5", "-o", xlsx); code != exitOK {
		t.Fatalf("report --indicator exit %d: %s", code, errOut)
	}
	f, err := excelize.OpenFile(xlsx)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if v, _ := f.GetCellValue(f.GetSheetName(0), "A2"); v != "质量控制合格率" {
		t.Errorf("A2 = %q", v)
	}
	if v, _ := f.GetCellValue(f.GetSheetName(0), "C2"); v != "90.0%" {
		t.Errorf("target C2 = %q, want 90.0%%", v)
	}
	if v, _ := f.GetCellValue(f.GetSheetName(0), "D2"); v != runRate {
		t.Errorf("actual D2 = %q, want %s", v, runRate)
	}
}

func TestRunReportBadInput(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "empty.db")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"missing folder", []string{"run", filepath.Join(t.TempDir(), "nope"), "--db", db}, "not found"},
		{"no source", []string{"run", "--db", db}, "expected one SOURCE"},
		{"bad date", []string{"run", t.TempDir(), "--date", "25.11.2026", "--db", db}, "--date"},
		{"date and prefix", []string{"run", t.TempDir(), "--date", "2026-11-25", "--prefix", "x", "--db", db}, "exclude"},
		{"empty folder", []string{"run", t.TempDir(), "--db", db}, "no recordings"},
		{"unknown grouping", []string{"report", "--db", db, "--by", "planet"}, "--by"},
		{"unknown format", []string{"report", "--db", db, "--format", "pdf"}, "--format"},
		{"bad target", []string{"report", "--db", db, "--indicator", "--target", "150%"}, "--target"},
		{"reversed range", []string{"report", "--db", db, "--from", "2026-11-26", "--to", "2026-11-25"}, "after"},
		{"no results", []string{"report", "--db", db}, "no results"},
		{"unknown listing", []string{"report", "--db", db, "--list", "agents"}, "--list"},
		{"filter without a listing", []string{"report", "--db", db, "--team", "一组"}, "--team needs --list"},
		{"failed without a listing", []string{"report", "--db", db, "--by", "team", "--failed"}, "--failed needs --list"},
		{"listing and indicator", []string{"report", "--db", db, "--list", "calls", "--indicator"}, "exclude"},
		{"listing and grouping", []string{"report", "--db", db, "--list", "calls", "--by", "team"}, "exclude"},
		{"unprocessable by rule", []string{"report", "--db", db, "--list", "unprocessable", "--rule", "greeting"}, "--list calls"},
		{"unprocessable failed", []string{"report", "--db", db, "--list", "unprocessable", "--failed"}, "--list calls"},
		{"clashes by team", []string{"report", "--db", db, "--list", "clashes", "--team", "一组"}, "does not apply"},
		{"clashes and grouping", []string{"report", "--db", db, "--list", "clashes", "--by", "team"}, "exclude"},
		{"spend without the indicators", []string{"report", "--db", db, "--spend", "100"}, "--spend needs --indicator"},
		{"target without the indicators", []string{"report", "--db", db, "--by", "team", "--target", "90%"}, "--target needs --indicator"},
		{"scorecard without the indicators", []string{"report", "--db", db, "--scorecard", "x.yaml"}, "--scorecard needs --indicator"},
		{"indicators by rule", []string{"report", "--db", db, "--indicator", "--by", "rule"}, "not rule"},
		{"unknown indicator", []string{"report", "--db", db, "--indicator", "--target", "speed=5"}, `unknown indicator "speed"`},
		{"bad complaint target", []string{"report", "--db", db, "--indicator", "--target", "complaint=abc"}, "--target \"complaint=abc\""},
		{"complaint target above 100%", []string{"report", "--db", db, "--indicator", "--target", "投诉率=120%"}, "above 100%"},
		{"cost target 0", []string{"report", "--db", db, "--indicator", "--target", "cost=0"}, "yuan per answered hour"},
		{"negative weight", []string{"report", "--db", db, "--indicator", "--weight", "cost=-1"}, "--weight \"cost=-1\""},
		{"negative spend", []string{"report", "--db", db, "--indicator", "--spend", "-5"}, "--spend"},
		{"missing scorecard file", []string{"report", "--db", db, "--indicator", "--scorecard", filepath.Join(t.TempDir(), "none.yaml")}, "none.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runCmd(t, tt.args...)
			if code != exitBadInput || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit 2 mentioning %q", code, errOut, tt.want)
			}
		})
	}
}

func TestParseTarget(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]float64{"95%": 0.95, "95": 0.95, "0.95": 0.95, "100%": 1, "1": 1, "80.5%": 0.805} {
		if got, err := parseTarget(in); err != nil || got != want {
			t.Errorf("parseTarget(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "abc", "-5", "0", "150%", "101", "NaN", "Inf", "-Inf%"} {
		if _, err := parseTarget(in); err == nil {
			t.Errorf("parseTarget(%q) = nil error", in)
		}
	}
}

func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{"95%", "95", "0.95", "", "1e3", "NaN", "-0", "100.0%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parseTarget(s)
		if err == nil && !(v > 0 && v <= 1) {
			t.Fatalf("parseTarget(%q) = %v, outside (0, 1]", s, v)
		}
	})
}

// copySample copies sample call C20261125-<n> (recording and transcript)
// to dir/<key>.wav and writes its meta sidecar with meta.
func copySample(t *testing.T, dir, key, n, meta string) {
	t.Helper()
	src := filepath.Join("..", "..", "samples", "2026", "11", "25", "C20261125-"+n)
	dst := filepath.Join(dir, filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, ext := range []string{".wav", ".transcript.json"} {
		b, err := os.ReadFile(src + ext)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst+ext, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(dst+".meta.json", []byte(meta), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestRunTimeZone runs a day whose call's metadata gives started_at in
// UTC (2026-11-24T17:30:00Z, 01:30 on the 25th in Shanghai): `report --by
// day` puts it on the day `run --date` inspected, unless --tz says UTC.
func TestRunTimeZone(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	copySample(t, src, "2026/11/25/U1", "0001", `{"call_id":"U1","agent_id":"1086","started_at":"2026-11-24T17:30:00Z"}`)
	tests := []struct {
		name string
		tz   []string
		want string
	}{
		{"default Asia/Shanghai", nil, "2026-11-25"},
		{"explicit", []string{"--tz", "Asia/Shanghai"}, "2026-11-25"},
		{"UTC", []string{"--tz", "UTC"}, "2026-11-24"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db := filepath.Join(t.TempDir(), "results.db")
			args := append([]string{"run", src, "--date", "2026-11-25", "--db", db}, tt.tz...)
			if code, out, errOut := runCmd(t, args...); code != exitOK || !strings.Contains(out, "1 inspected") {
				t.Fatalf("run exit %d\n%s\n%s", code, out, errOut)
			}
			code, out, errOut := runCmd(t, "report", "--db", db, "--by", "day", "--format", "json")
			if code != exitOK {
				t.Fatalf("report exit %d: %s", code, errOut)
			}
			var tab struct {
				Rows []struct {
					Group     string `json:"group"`
					Inspected int    `json:"inspected"`
				} `json:"rows"`
			}
			if err := json.Unmarshal([]byte(out), &tab); err != nil {
				t.Fatal(err)
			}
			if len(tab.Rows) != 1 || tab.Rows[0].Group != tt.want || tab.Rows[0].Inspected != 1 {
				t.Errorf("report rows = %+v, want the call on %s", tab.Rows, tt.want)
			}
		})
	}
	for _, bad := range []string{"Mars/Olympus", "", "Local"} {
		code, _, errOut := runCmd(t, "run", src, "--db", filepath.Join(t.TempDir(), "x.db"), "--tz", bad)
		if code != exitBadInput || !strings.Contains(errOut, "--tz") {
			t.Errorf("--tz %q: exit %d, %s", bad, code, errOut)
		}
	}
}

// TestReportOtherScorecards inspects the 24th with the built-in scorecard
// (v2) and the 25th with v99: the default report (v99) says that the
// 24th's call has a result only under v2, and how to see it.
func TestReportOtherScorecards(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	copySample(t, src, "2026/11/24/A1", "0001", `{"call_id":"A1","started_at":"2026-11-24T10:00:00+08:00"}`)
	copySample(t, src, "2026/11/25/B1", "0001", `{"call_id":"B1","started_at":"2026-11-25T10:00:00+08:00"}`)
	dir := t.TempDir()
	v1 := filepath.Join("..", "..", "scorecards", "hotline-12333.yaml")
	yaml, err := os.ReadFile(v1)
	if err != nil {
		t.Fatal(err)
	}
	v2 := filepath.Join(dir, "v2.yaml")
	if err := os.WriteFile(v2, regexp.MustCompile(`(?m)^version: \d+`).ReplaceAll(yaml, []byte("version: 99")), 0o644); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "results.db")
	for _, r := range [][]string{{"2026-11-24", v1}, {"2026-11-25", v2}} {
		if code, out, errOut := runCmd(t, "run", src, "--date", r[0], "--scorecard", r[1], "--db", db); code != exitOK {
			t.Fatalf("run %s: exit %d\n%s\n%s", r[0], code, out, errOut)
		}
	}
	code, out, errOut := runCmd(t, "report", "--db", db, "--by", "day")
	if code != exitOK {
		t.Fatalf("report exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "v99") || !strings.Contains(out, "另有 1 通通话") || !strings.Contains(out, "--scorecard-version 2") {
		t.Errorf("report does not state the call under v2:\n%s", out)
	}
	code, out, _ = runCmd(t, "report", "--db", db, "--by", "day", "--scorecard-id", "hotline-12333", "--scorecard-version", "2", "--format", "json")
	if code != exitOK || !strings.Contains(out, `"version": 99`) || !strings.Contains(out, `"calls": 1`) {
		t.Errorf("report on v1 (exit %d):\n%s", code, out)
	}
}

// writeBroken writes a recording that is not a WAV file at dir/key (no
// sidecars).
func writeBroken(t *testing.T, dir, key string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("ID3\x03\x00 an mp3 renamed .wav, not a RIFF file"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// unprocessableJSON runs report --list unprocessable with args and
// returns its calls.
func unprocessableJSON(t *testing.T, args ...string) []map[string]string {
	t.Helper()
	code, out, errOut := runCmd(t, append([]string{"report", "--list", "unprocessable", "--format", "json"}, args...)...)
	if code != exitOK {
		t.Fatalf("report --list unprocessable exit %d: %s", code, errOut)
	}
	var doc struct {
		Calls []map[string]string `json:"calls"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return doc.Calls
}

// TestRunNamesUnprocessable runs a folder with a broken recording: the
// summary names it with the reason stored for it (the one report --list
// unprocessable shows). With more than ten, the summary lists ten and
// gives the command that lists them all, which does.
func TestRunNamesUnprocessable(t *testing.T) {
	t.Parallel()
	t.Run("one", func(t *testing.T) {
		t.Parallel()
		src := t.TempDir()
		copySample(t, src, "2026/11/25/G1", "0001", `{"call_id":"G1","agent_id":"1086","team":"养老保险组","started_at":"2026-11-25T10:00:00+08:00"}`)
		writeBroken(t, src, "2026/11/25/BAD1.wav")
		db := filepath.Join(t.TempDir(), "results.db")
		code, out, errOut := runCmd(t, "run", src, "--date", "2026-11-25", "--db", db)
		if code != exitOK || !strings.Contains(out, "2 listed, 1 inspected, 1 unprocessable, 0 errors") {
			t.Fatalf("run exit %d\n%s\n%s", code, out, errOut)
		}
		calls := unprocessableJSON(t, "--db", db)
		if len(calls) != 1 || calls[0]["recording"] != "2026/11/25/BAD1.wav" || calls[0]["call_id"] != "BAD1" ||
			calls[0]["date"] != "2026-11-25" || calls[0]["reason"] == "" {
			t.Fatalf("report --list unprocessable = %+v", calls)
		}
		want := "unprocessable:  1 call stored with the reason:\n  2026/11/25/BAD1.wav  " + calls[0]["reason"] + "\n"
		if !strings.Contains(out, want) || strings.Contains(out, "more:") {
			t.Errorf("the summary does not name the call and its reason %q:\n%s", want, out)
		}
		// The table shows the same.
		code, table, _ := runCmd(t, "report", "--db", db, "--list", "unprocessable")
		if code != exitOK || !strings.Contains(table, "2026/11/25/BAD1.wav") || !strings.Contains(table, calls[0]["reason"]) || !strings.Contains(table, "合计：无法处理 1 通") {
			t.Errorf("report --list unprocessable (exit %d):\n%s", code, table)
		}
	})
	t.Run("more than ten", func(t *testing.T) {
		t.Parallel()
		src := t.TempDir()
		for i := range 12 {
			writeBroken(t, src, fmt.Sprintf("2026/11/25/BAD%02d.wav", i))
		}
		db := filepath.Join(t.TempDir(), "results.db")
		code, out, errOut := runCmd(t, "run", src, "--date", "2026-11-25", "--db", db)
		if code != exitOK || !strings.Contains(out, "12 unprocessable") {
			t.Fatalf("run exit %d\n%s\n%s", code, out, errOut)
		}
		if n := strings.Count(out, "\n  2026/11/25/BAD"); n != 10 {
			t.Errorf("%d calls listed, want 10:\n%s", n, out)
		}
		m := regexp.MustCompile(`\.\.\. and 2 more: callqa (report --list unprocessable --from 2026-11-25 --to 2026-11-25 --db \S+)\n`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no command for the 2 more:\n%s", out)
		}
		calls := unprocessableJSON(t, strings.Fields(m[1])[3:]...)
		if len(calls) != 12 || calls[11]["recording"] != "2026/11/25/BAD11.wav" {
			t.Errorf("the command lists %d calls: %+v", len(calls), calls)
		}
	})
}

// TestReportList lists the calls of the sample day: a team's listing
// totals its row of --by team, a rule's listing has the rule's calls, and
// every format works.
func TestReportList(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "results.db")
	if code, out, errOut := runCmd(t, "run", filepath.Join("..", "..", "samples"), "--date", "2026-11-25", "--db", db); code != exitOK {
		t.Fatalf("run exit %d\n%s\n%s", code, out, errOut)
	}
	jsonOf := func(v any, args ...string) {
		t.Helper()
		code, out, errOut := runCmd(t, append([]string{"report", "--db", db, "--format", "json"}, args...)...)
		if code != exitOK {
			t.Fatalf("report %v exit %d: %s", args, code, errOut)
		}
		if err := json.Unmarshal([]byte(out), v); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
	}
	type callList struct {
		Calls []struct {
			CallID string   `json:"call_id"`
			Team   string   `json:"team"`
			Score  float64  `json:"score"`
			Passed bool     `json:"passed"`
			Rules  []string `json:"rules"`
		} `json:"calls"`
	}
	var teams struct {
		Rows []struct {
			Group         string   `json:"group"`
			Inspected     int      `json:"inspected"`
			Passed        int      `json:"passed"`
			Unprocessable int      `json:"unprocessable"`
			AvgScore      *float64 `json:"avg_score"`
		} `json:"rows"`
	}
	jsonOf(&teams, "--by", "team")
	if len(teams.Rows) < 2 {
		t.Fatalf("teams = %+v", teams.Rows)
	}
	for _, row := range teams.Rows {
		var l callList
		jsonOf(&l, "--list", "calls", "--team", row.Group)
		passed, sum := 0, 0.0
		for _, c := range l.Calls {
			sum += c.Score
			if c.Passed {
				passed++
			}
			if c.Team != row.Group {
				t.Errorf("--team %s lists %s of %s", row.Group, c.CallID, c.Team)
			}
		}
		un := unprocessableJSON(t, "--db", db, "--team", row.Group)
		if len(l.Calls) != row.Inspected || passed != row.Passed || len(un) != row.Unprocessable ||
			row.AvgScore == nil || fmt.Sprintf("%.2f", sum/float64(len(l.Calls))) != fmt.Sprintf("%.2f", *row.AvgScore) {
			t.Errorf("team %s: listing %d calls, %d passed, score sum %v, %d unprocessable; --by team row %+v",
				row.Group, len(l.Calls), passed, sum, len(un), row)
		}
	}
	var rules struct {
		Rows []struct {
			Rule  string `json:"rule"`
			Calls int    `json:"calls"`
		} `json:"rows"`
	}
	jsonOf(&rules, "--by", "rule")
	if len(rules.Rows) == 0 {
		t.Fatal("no rule hit on the samples")
	}
	for _, r := range rules.Rows {
		var l callList
		jsonOf(&l, "--list", "calls", "--rule", r.Rule)
		for _, c := range l.Calls {
			if !slices.Contains(c.Rules, r.Rule) {
				t.Errorf("--rule %s lists %s with rules %v", r.Rule, c.CallID, c.Rules)
			}
		}
		if len(l.Calls) != r.Calls {
			t.Errorf("--rule %s lists %d calls, --by rule says %d", r.Rule, len(l.Calls), r.Calls)
		}
	}
	var all, failed callList
	jsonOf(&all, "--list", "calls", "--from", "2026-11-25", "--to", "2026-11-25")
	jsonOf(&failed, "--list", "calls", "--failed")
	if len(all.Calls) != 12 || len(failed.Calls) != 1 || failed.Calls[0].Passed {
		t.Errorf("%d calls, failed %+v; want 12 and the one failed call (the samples pass 91.7%%)", len(all.Calls), failed.Calls)
	}

	// Table, CSV and XLSX.
	code, table, _ := runCmd(t, "report", "--db", db, "--list", "calls", "--failed")
	if code != exitOK || !strings.Contains(table, "通话编号") || !strings.Contains(table, failed.Calls[0].CallID) ||
		!strings.Contains(table, "不合格") || !strings.Contains(table, "仅不合格") {
		t.Errorf("table (exit %d):\n%s", code, table)
	}
	code, csvOut, _ := runCmd(t, "report", "--db", db, "--list", "calls", "--format", "csv")
	if code != exitOK || !strings.HasPrefix(csvOut, "\ufeff通话编号,日期,坐席工号,坐席姓名,班组,队列,得分,是否合格,否决,需复核,命中规则,录音\n") ||
		strings.Count(csvOut, "2026/11/25/C20261125-") != 12 {
		t.Errorf("csv (exit %d):\n%s", code, csvOut)
	}
	xlsx := filepath.Join(t.TempDir(), "calls.xlsx")
	if code, _, errOut := runCmd(t, "report", "--db", db, "--list", "calls", "-o", xlsx); code != exitOK {
		t.Fatalf("report --list calls -o xlsx exit %d: %s", code, errOut)
	}
	f, err := excelize.OpenFile(xlsx)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetName(0))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+12+2 || rows[0][0] != "通话编号" || rows[1][0] != all.Calls[0].CallID || !strings.HasPrefix(rows[14][0], "合计：质检通话 12 通，合格 11 通") {
		t.Errorf("xlsx rows = %q", rows)
	}
}

// TestRunCallIDClash runs over two recordings of one day whose metadata
// carry the same call_id: "2 inspected" and 2 stored, the summary names
// the clash, and report --list clashes lists both recordings.
func TestRunCallIDClash(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	day := filepath.Join(root, "2026", "11", "25")
	if err := os.MkdirAll(day, 0o755); err != nil {
		t.Fatal(err)
	}
	samples := filepath.Join("..", "..", "samples", "2026", "11", "25")
	for i, name := range []string{"C20261125-0001", "C20261125-0004"} {
		wav, err := os.ReadFile(filepath.Join(samples, name+".wav"))
		if err != nil {
			t.Fatal(err)
		}
		base := filepath.Join(day, fmt.Sprintf("rec-%d", i))
		meta := `{"call_id":"SAME-7","agent_id":"1086","team":"一组","started_at":"2026-11-25T09:0` + fmt.Sprint(i) + `:00+08:00"}`
		if err := os.WriteFile(base+".wav", wav, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(base+".meta.json", []byte(meta), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db := filepath.Join(t.TempDir(), "results.db")
	code, out, errOut := runCmd(t, "run", root, "--db", db, "--workers", "2")
	if code != exitOK {
		t.Fatalf("run exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"2 listed, 2 inspected", "call_id clash:  1 call id", "SAME-7  2026/11/25/rec-0.wav, 2026/11/25/rec-1.wav"} {
		if !strings.Contains(out, want) {
			t.Errorf("run summary lacks %q:\n%s", want, out)
		}
	}
	code, out, errOut = runCmd(t, "report", "--db", db, "--by", "day", "--format", "csv")
	if code != exitOK || !strings.Contains(out, "2026-11-25,2,") {
		t.Errorf("report --by day: exit %d, %s %s; want 2 calls inspected", code, out, errOut)
	}
	code, out, errOut = runCmd(t, "report", "--db", db, "--list", "clashes")
	if code != exitOK || strings.Count(out, "SAME-7") != 2 || !strings.Contains(out, "rec-1.wav") {
		t.Errorf("report --list clashes: exit %d\n%s\n%s", code, out, errOut)
	}
}

// TestReportIndicator runs report --indicator on the inspected samples:
// twelve answered calls, eleven passed (the vetoed C20261125-0003 fails),
// one flagged complaint (C20261125-0008) not yet reviewed, eleven surveys
// (9 satisfied, 1 basic, 1 dissatisfied; C20261125-0003 none).
func TestReportIndicator(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "results.db")
	if code, out, errOut := runCmd(t, "run", filepath.Join("..", "..", "samples"), "--date", "2026-11-25", "--db", db, "--workers", "2"); code != exitOK {
		t.Fatalf("run exit %d\n%s\n%s", code, out, errOut)
	}
	type row struct {
		Indicator     string   `json:"indicator"`
		Weight        float64  `json:"weight"`
		Target        float64  `json:"target"`
		Machine       *float64 `json:"machine"`
		MachineScore  *float64 `json:"machine_score"`
		Reviewed      *float64 `json:"reviewed"`
		ReviewedScore *float64 `json:"reviewed_score"`
	}
	type group struct {
		Group  string
		Counts struct {
			Answered         int `json:"answered"`
			ComplaintFlagged int `json:"complaint_flagged"`
			ComplaintPending int `json:"complaint_pending"`
			Surveyed         int `json:"surveyed"`
			Satisfied        int `json:"satisfied"`
			Basic            int `json:"basic"`
			Dissatisfied     int `json:"dissatisfied"`
		}
		Rows []row
	}
	var tab struct {
		ReviewedPassRate bool    `json:"reviewed_pass_rate"`
		Groups           []group `json:"groups"`
		Total            group   `json:"total"`
	}
	report := func(args ...string) {
		t.Helper()
		code, out, errOut := runCmd(t, append([]string{"report", "--db", db, "--indicator", "--format", "json"}, args...)...)
		if code != exitOK {
			t.Fatalf("report %v: exit %d: %s", args, code, errOut)
		}
		tab.Groups = nil
		if err := json.Unmarshal([]byte(out), &tab); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
	}
	show := func(r row) string {
		f := func(p *float64) string {
			if p == nil {
				return "-"
			}
			return strconv.FormatFloat(*p, 'f', 4, 64)
		}
		return fmt.Sprintf("%s w%g t%g %s/%s %s/%s", r.Indicator, r.Weight, r.Target, f(r.Machine), f(r.MachineScore), f(r.Reviewed), f(r.ReviewedScore))
	}

	// Defaults; the reviewed pass rate from the built-in card (the
	// results are of its id and version). Pass 11/12, 10 × 0.917/0.95 =
	// 9.65; complaints 1/12 flagged, 4 × 0.01/0.0833 = 0.48, none confirmed
	// yet: 0 %, the whole 4; satisfaction (9 + 1)/11 = 90.9 %, above the
	// 90 % target: 6; no spend, no cost.
	report()
	want := []string{
		"pass w10 t0.95 0.9167/9.6500 0.9167/9.6500",
		"complaint w4 t0.01 0.0833/0.4800 0.0000/4.0000",
		"satisfaction w6 t0.9 0.9091/6.0000 0.9091/6.0000",
		"cost w5 t100 -/- -/-",
	}
	var got []string
	for _, r := range tab.Total.Rows {
		got = append(got, show(r))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") || !tab.ReviewedPassRate {
		t.Errorf("defaults:\n%s\nwant\n%s (reviewed pass rate %v)", strings.Join(got, "\n"), strings.Join(want, "\n"), tab.ReviewedPassRate)
	}
	if c := tab.Total.Counts; fmt.Sprint(c) != "{12 1 1 11 9 1 1}" {
		t.Errorf("counts %+v", c)
	}

	// Targets and weights of one's own, a bare target the pass rate's as
	// before, only 满意 (9/11: 6 × 0.818/0.9 = 5.45), by team, and a spend:
	// the cost is the total's. Complaints 1/12 against 5 %: 4 × 0.05/0.0833.
	report("--by", "team", "--target", "90%", "--target", "complaint=5%", "--weight", "cost=8", "--target", "成本控制情况=300",
		"--satisfaction-basic=false", "--spend", "10", "--scorecard", filepath.Join("..", "..", "scorecards", "hotline-12333.yaml"))
	if len(tab.Groups) != 3 || tab.Groups[0].Group != "养老保险组" {
		t.Errorf("groups %+v", tab.Groups)
	}
	r := tab.Total.Rows
	if r[0].Target != 0.9 || r[1].Target != 0.05 || r[3].Weight != 8 || r[3].Target != 300 ||
		show(r[1]) != "complaint w4 t0.05 0.0833/2.4000 0.0000/4.0000" || show(r[2]) != "satisfaction w6 t0.9 0.8182/5.4500 0.8182/5.4500" {
		t.Errorf("own settings: %v %v %v %v", show(r[0]), show(r[1]), show(r[2]), show(r[3]))
	}
	// 10 yuan over the calls' answered time: under 300 yuan an hour.
	if c := r[3]; c.Machine == nil || *c.Machine <= 0 || *c.Machine >= 300 || *c.MachineScore != 8 {
		t.Errorf("cost row %s", show(c))
	}
	if c := tab.Groups[0].Rows[3]; c.Machine != nil {
		t.Errorf("a team's cost row has a value: %s", show(c))
	}

	// A scorecard file of another version than the results': refused.
	other := filepath.Join(t.TempDir(), "v9.yaml")
	data, err := os.ReadFile(filepath.Join("..", "..", "scorecards", "hotline-12333.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(other, []byte(regexp.MustCompile(`(?m)^version: \d+`).ReplaceAllString(string(data), "version: 9")), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCmd(t, "report", "--db", db, "--indicator", "--scorecard", other); code != exitBadInput || !strings.Contains(errOut, "hotline-12333 v9") {
		t.Errorf("another version: exit %d, %s", code, errOut)
	}

	// The table says what the reader needs: the complaint awaiting review.
	code, out, _ := runCmd(t, "report", "--db", db, "--indicator")
	if code != exitOK || !strings.Contains(out, "尚有 1 通疑似投诉待复核") || !strings.Contains(out, "综合满意率") {
		t.Errorf("table (exit %d):\n%s", code, out)
	}
}

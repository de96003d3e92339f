package main

import (
	"archive/zip"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/callqa/callqa/store"
)

// TestNoPersonalDataStored inspects a call whose customer gives a mobile
// number, an ID card number (read out digit by digit), a bank card number
// and an e-mail address, then searches every byte callqa stores or shows
// for them: the SQLite database files, inspect --json, report exports
// (CSV, XLSX unzipped), and the workbench's call page, JSON API, queue
// and dashboard exports.
func TestNoPersonalDataStored(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	copySample(t, src, "2026/11/25/P1", "0003", `{"call_id":"P1","agent_id":"1086","team":"一组","started_at":"2026-11-25T10:00:00+08:00"}`)
	tr := `{"utterances": [
	  {"speaker": "agent", "start": 0.5, "end": 4, "text": "您好，上海12333，工号1086，请问有什么可以帮您"},
	  {"speaker": "customer", "start": 5, "end": 12, "text": "我的手机号是13912345670，身份证号是三一零一一五一九八零零三零七四五一五"},
	  {"speaker": "customer", "start": 13, "end": 18, "text": "工资卡6217 0012 3456 7893，邮箱zhang.san@example.com，我要投诉"},
	  {"speaker": "agent", "start": 19, "end": 25, "text": "好的，这个我也不知道，感谢您的来电，再见"}
	]}`
	if err := os.WriteFile(filepath.Join(src, "2026", "11", "25", "P1.transcript.json"), []byte(tr), 0o644); err != nil {
		t.Fatal(err)
	}
	raw := []string{"13912345670", "1391234", "三一零一一五一九八零零三零七四五一五", "310115198003074515",
		"6217 0012 3456 7893", "6217001234567893", "zhang.san@example.com", "zhang.san"}
	check := func(where, text string) {
		t.Helper()
		for _, r := range raw {
			if strings.Contains(text, r) {
				t.Errorf("%s holds %q", where, r)
			}
		}
	}

	code, out, errOut := runCmd(t, "inspect", filepath.Join(src, "2026", "11", "25", "P1.wav"), "--json")
	if code != exitOK && code != exitBadInput || !strings.Contains(out, "[手机号]") || !strings.Contains(out, "[身份证号]") {
		t.Fatalf("inspect: exit %d\n%s\n%s", code, out, errOut)
	}
	check("inspect --json", out+errOut)

	dir := t.TempDir()
	csvOut, xlsxOut := filepath.Join(dir, "calls.csv"), filepath.Join(dir, "calls.xlsx")
	addr, pw, db := serveFolder(t, src)
	for _, args := range [][]string{
		{"report", "--db", db, "--list", "calls", "-o", csvOut},
		{"report", "--db", db, "--list", "calls", "-o", xlsxOut},
		{"report", "--db", db, "--by", "rule", "--format", "json"},
	} {
		code, out, errOut := runCmd(t, args...)
		if code != exitOK {
			t.Fatalf("%v: exit %d %s", args, code, errOut)
		}
		check(strings.Join(args, " "), out+errOut)
	}
	b, err := os.ReadFile(csvOut)
	if err != nil {
		t.Fatal(err)
	}
	check("CSV export", string(b))
	zr, err := zip.OpenReader(xlsxOut)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		check("XLSX export "+f.Name, string(b))
	}
	zr.Close()

	_, cookie := loginAs(t, addr, "admin", pw)
	pages := map[string]string{}
	for _, p := range []string{"/calls/P1", "/api/calls/P1", "/api/calls/P1/reviews", "/queue?from=2026-11-25&to=2026-11-25",
		"/api/calls?from=2026-11-25&to=2026-11-25", "/export/rules?format=csv&from=2026-11-25&to=2026-11-25",
		"/export/teams?format=csv&from=2026-11-25&to=2026-11-25", "/export/agents?format=csv&from=2026-11-25&to=2026-11-25"} {
		code, body := getWith(t, addr, p, cookie)
		if code != 200 {
			t.Errorf("GET %s: %d", p, code)
		}
		pages[p] = body
		check("GET "+p, body)
	}
	if !strings.Contains(pages["/calls/P1"], "[手机号]") || !strings.Contains(pages["/api/calls/P1"], "[银行卡号]") {
		t.Errorf("the call page and API do not show the masked transcript:\n%.2000s", pages["/api/calls/P1"])
	}

	// Every stored result as the store reads it back (its document is
	// compressed: the raw bytes below cannot show what it holds).
	st, err := store.Open(context.Background(), db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := st.LatestResult(context.Background(), "2026/11/25/P1.wav", "", 0)
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(res)
	check("stored result", string(js))
	if !strings.Contains(string(js), "[手机号]") && res.Omitted == nil {
		t.Errorf("the stored result keeps neither the masked transcript nor its digest: %s", js)
	}

	// Every byte of the database, its write-ahead log included.
	files, _ := filepath.Glob(db + "*")
	if len(files) == 0 {
		t.Fatal("no database files")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		check("database file "+filepath.Base(f), string(b))
	}
}

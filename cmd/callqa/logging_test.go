package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
)

// runLogged runs a command line with the logger run builds (no test
// logger) and the environment vars, and returns the exit code, stdout and
// stderr.
func runLogged(t *testing.T, vars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, getenv: func(k string) string { return vars[k] }}
	code := run(context.Background(), e, args)
	return code, out.String(), errOut.String()
}

// TestLogFlags runs `callqa run` with each way of setting the log level and
// format: flags (before or after the positional argument, with = or not),
// the environment, flags over the environment; bad values are usage errors.
func TestLogFlags(t *testing.T) {
	t.Parallel()
	samples := filepath.Join("..", "..", "samples")
	dir := t.TempDir()
	n := 0
	runArgs := func(extra ...string) []string {
		n++
		db := filepath.Join(dir, "r"+strings.Repeat("x", n)+".db")
		return append([]string{"run", samples, "--date", "2026-11-25", "--db", db}, extra...)
	}
	tests := []struct {
		name    string
		vars    map[string]string
		args    []string
		info    bool // the INFO "batch started" line is logged
		json    bool
		code    int
		message string
	}{
		{"default: info, text (stderr is not a terminal)", nil, runArgs(), true, false, exitOK, ""},
		{"--log-level warn", nil, runArgs("--log-level", "warn"), false, false, exitOK, ""},
		{"--log-level=debug --log-format=json", nil, runArgs("--log-level=debug", "--log-format=json"), true, true, exitOK, ""},
		{"one dash, before the source", nil, []string{"run", "-log-format", "json", samples, "--db", filepath.Join(dir, "one-dash.db")}, true, true, exitOK, ""},
		{"environment", map[string]string{"CALLQA_LOG_LEVEL": "error", "CALLQA_LOG_FORMAT": "json"}, runArgs(), false, true, exitOK, ""},
		{"flags over the environment", map[string]string{"CALLQA_LOG_LEVEL": "error", "CALLQA_LOG_FORMAT": "json"},
			runArgs("--log-level", "info", "--log-format", "text"), true, false, exitOK, ""},
		{"bad level", nil, runArgs("--log-level", "loud"), false, false, exitBadInput, `--log-level "loud": want debug, info, warn or error`},
		{"bad format in the environment", map[string]string{"CALLQA_LOG_FORMAT": "xml"}, runArgs(), false, false, exitBadInput, `CALLQA_LOG_FORMAT "xml": want text or json`},
		{"level without a value", nil, []string{"run", samples, "--log-level"}, false, false, exitBadInput, "flag needs an argument: --log-level"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runLogged(t, tc.vars, tc.args...)
			if code != tc.code || !strings.Contains(errOut, tc.message) {
				t.Fatalf("exit %d, want %d with %q; stderr:\n%s", code, tc.code, tc.message, errOut)
			}
			if code != exitOK {
				return
			}
			if got := strings.Contains(errOut, "batch started"); got != tc.info {
				t.Errorf("INFO logged %v, want %v:\n%s", got, tc.info, errOut)
			}
			if !tc.info {
				return
			}
			for _, line := range strings.Split(strings.TrimSpace(errOut), "\n") {
				if !strings.Contains(line, "batch") {
					continue // the progress lines
				}
				var obj map[string]any
				isJSON := json.Unmarshal([]byte(line), &obj) == nil
				if isJSON != tc.json {
					t.Errorf("log line %q: JSON %v, want %v", line, isJSON, tc.json)
				}
			}
		})
	}
}

// TestLogFlagsEveryCommand: every command accepts the log flags and lists
// them in its help.
func TestLogFlagsEveryCommand(t *testing.T) {
	t.Parallel()
	for _, cmd := range [][]string{{"inspect"}, {"probe"}, {"scorecard", "check"}, {"run"}, {"report"}, {"worker"}, {"enqueue"},
		{"scheduler"}, {"status"}, {"requeue"}, {"serve"}, {"user", "add"}, {"user", "list"}} {
		code, out, errOut := runLogged(t, nil, append(cmd, "-h", "--log-level", "debug", "--log-format", "json")...)
		if code != exitOK || !strings.Contains(out, "-log-level") || !strings.Contains(out, "-log-format") {
			t.Errorf("%v -h: exit %d, help without the log flags:\n%s%s", cmd, code, out, errOut)
		}
	}
	if code, out, errOut := runLogged(t, nil, "scorecard", "check", "--log-format", "json"); code != exitOK || !strings.Contains(out, "ok") {
		t.Errorf("scorecard check --log-format json: exit %d\n%s%s", code, out, errOut)
	}
}

// TestLogSettingsDefault: quiet (warn) by default only for run on a
// terminal, where the progress bar is drawn.
func TestLogSettingsDefault(t *testing.T) {
	t.Parallel()
	e := &env{getenv: func(string) string { return "" }}
	for _, tc := range []struct {
		cmd      string
		terminal bool
		args     []string
		want     slog.Level
	}{
		{"run", true, nil, slog.LevelWarn},
		{"run", false, nil, slog.LevelInfo},
		{"serve", true, nil, slog.LevelInfo},
		{"worker", false, nil, slog.LevelInfo},
		{"run", true, []string{"--log-level", "info"}, slog.LevelInfo},
		{"run", true, []string{"--", "--log-level", "debug"}, slog.LevelWarn}, // after --: an argument
	} {
		s, err := logSettingsFor(e, tc.cmd, tc.args, tc.terminal)
		if err != nil || s.level != tc.want {
			t.Errorf("%s %v on a terminal %v: level %v, %v; want %v", tc.cmd, tc.args, tc.terminal, s.level, err, tc.want)
		}
	}
}

// TestLineWriter: a whole line written while the progress bar holds the
// line erases the bar first; the bar's own redraws do not.
func TestLineWriter(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	w := &lineWriter{w: &b}
	for _, s := range []string{"\r[##..] 1/2 calls", "\r[###.] 1/2 calls\x1b[K", "level=WARN msg=x\n", "\r[####] 2/2 calls\x1b[K", "\r[####] 2/2 calls\x1b[K\n", "summary\n"} {
		w.Write([]byte(s))
	}
	want := "\r[##..] 1/2 calls\r[###.] 1/2 calls\x1b[K" + eraseLine + "level=WARN msg=x\n\r[####] 2/2 calls\x1b[K\r[####] 2/2 calls\x1b[K\nsummary\n"
	if b.String() != want {
		t.Errorf("wrote %q\nwant  %q", b.String(), want)
	}
	if isTerminal(w) {
		t.Error("a lineWriter over a buffer is a terminal")
	}
}

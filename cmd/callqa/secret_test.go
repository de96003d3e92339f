package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"testing"
)

// secretEnvFixture is an environment full of secrets; each secret value is
// unique so that a leak can be found in any output.
func secretEnvFixture(closedPort string) map[string]string {
	return map[string]string{
		"CALLQA_DATABASE_URL":  "postgres://callqa:pg-PASSWORD-1@" + closedPort + "/x?sslmode=disable",
		"CALLQA_S3_ACCESS_KEY": "s3-ACCESSKEY-2",
		"CALLQA_S3_SECRET_KEY": "s3-SECRETKEY-3",
		"CALLQA_ASR_URL":       "http://asr:asr-PASSWORD-4@" + closedPort + "/",
		"CALLQA_ASR_KEY":       "asr-TOKEN-5",
		"CALLQA_REDIS":         "redis://:redis-PASSWORD-6@" + closedPort + "/7",
		"CALLQA_SOURCE":        "s3://recordings/calls",
		"CALLQA_S3_ENDPOINT":   closedPort,
	}
}

var leakedValues = []string{"pg-PASSWORD-1", "s3-ACCESSKEY-2", "s3-SECRETKEY-3", "asr-PASSWORD-4", "asr-TOKEN-5", "redis-PASSWORD-6"}

// runCmdEnv runs a command with the environment vars and returns its exit
// code, stdout, stderr and log.
func runCmdEnv(t *testing.T, vars map[string]string, args ...string) (code int, stdout, stderr, log string) {
	t.Helper()
	var out, errOut, logs bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut,
		getenv: func(k string) string { return vars[k] },
		logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	code = run(context.Background(), e, args)
	return code, out.String(), errOut.String(), logs.String()
}

func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestHelpMasksSecrets: with secrets in the environment, --help of every
// command that reads them shows the flag defaults masked (a URL keeps all
// but its password), and so does a usage error.
func TestHelpMasksSecrets(t *testing.T) {
	t.Parallel()
	vars := secretEnvFixture("127.0.0.1:1")
	tests := []struct {
		cmd  []string
		want []string // masked defaults that must be shown
	}{
		{[]string{"status"}, []string{`postgres://callqa:***@127.0.0.1:1/x?sslmode=disable`, `redis://:***@127.0.0.1:1/7`}},
		{[]string{"worker"}, []string{`postgres://callqa:***@127.0.0.1:1/x`, `-s3-secret-key string`, `(default "***")`, `http://asr:***@127.0.0.1:1/`}},
		{[]string{"scheduler"}, []string{`(default "***")`, `redis://:***@127.0.0.1:1/7`}},
		{[]string{"enqueue"}, []string{`(default "***")`, `redis://:***@127.0.0.1:1/7`}},
		{[]string{"requeue"}, []string{`redis://:***@127.0.0.1:1/7`}},
		{[]string{"serve"}, []string{`postgres://callqa:***@127.0.0.1:1/x`, `(default "***")`}},
		{[]string{"report"}, []string{`postgres://callqa:***@127.0.0.1:1/x`}},
		{[]string{"run"}, []string{`postgres://callqa:***@127.0.0.1:1/x`}},
		{[]string{"user", "list"}, []string{`postgres://callqa:***@127.0.0.1:1/x`}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.cmd, " "), func(t *testing.T) {
			t.Parallel()
			check := func(what, out string) {
				t.Helper()
				for _, v := range leakedValues {
					if strings.Contains(out, v) {
						t.Errorf("%s shows the secret %s:\n%s", what, v, out)
					}
				}
			}
			code, out, errOut, log := runCmdEnv(t, vars, append(tt.cmd, "--help")...)
			if code != exitOK {
				t.Fatalf("--help: exit %d\n%s", code, errOut)
			}
			check("--help", out+errOut+log)
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("--help does not show %s:\n%s", w, out)
				}
			}
			code, out, errOut, log = runCmdEnv(t, vars, append(tt.cmd, "--no-such-flag")...)
			if code != exitBadInput {
				t.Fatalf("usage error: exit %d", code)
			}
			check("a usage error", out+errOut+log)
		})
	}
}

// TestErrorsMaskSecrets: connection errors that echo a URL, and errors or
// logs that quote a secret value, never print it.
func TestErrorsMaskSecrets(t *testing.T) {
	t.Parallel()
	closed := closedAddr(t)
	vars := secretEnvFixture(closed)
	for _, args := range [][]string{
		{"status", "--date", "2026-11-25"},                      // Redis refuses
		{"report", "--by", "day"},                               // PostgreSQL refuses
		{"user", "list"},                                        // PostgreSQL refuses
		{"enqueue", "--key", "2026/11/25/C1.wav"},               // S3 refuses
		{"status", "--redis", "redis://:bad%zz@host/0"},         // an unparsable URL, echoed by url.Parse
		{"worker", "--metrics-addr", "", "--concurrency", "-1"}, // a config error
	} {
		code, out, errOut, log := runCmdEnv(t, vars, args...)
		if code == exitOK {
			t.Errorf("callqa %s succeeded", strings.Join(args, " "))
		}
		for _, v := range leakedValues {
			if strings.Contains(out+errOut+log, v) {
				t.Errorf("callqa %s printed the secret %s:\nstdout: %s\nstderr: %s\nlog: %s", strings.Join(args, " "), v, out, errOut, log)
			}
		}
	}

	// What the redactor does with a log record and an error.
	r := &redactor{}
	getenv := r.getenv(func(k string) string { return vars[k] })
	for k := range vars {
		getenv(k)
	}
	var logs bytes.Buffer
	logger := slog.New(redactHandler{next: slog.NewTextHandler(&logs, nil), r: r})
	logger.With("dsn", vars["CALLQA_DATABASE_URL"]).Info("connect to "+vars["CALLQA_REDIS"],
		"err", errors.New("signature of s3-SECRETKEY-3 refused"),
		slog.Group("asr", "key", "asr-TOKEN-5"), "bytes", []byte("s3-ACCESSKEY-2"))
	for _, v := range leakedValues {
		if strings.Contains(logs.String(), v) {
			t.Errorf("log shows %s: %s", v, logs.String())
		}
	}
	if !strings.Contains(logs.String(), "postgres://callqa:***@") || !strings.Contains(logs.String(), "signature of *** refused") {
		t.Errorf("log not masked as expected: %s", logs.String())
	}
	if got := r.String("a path /data/callqa.db and postgres://u@db/x"); got != "a path /data/callqa.db and postgres://u@db/x" {
		t.Errorf("String masked what is no secret: %s", got)
	}
}

func TestMaskURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"postgres://callqa:secret@db/x":               "postgres://callqa:***@db/x",
		"redis://:pw@redis:6379/0":                    "redis://:***@redis:6379/0",
		"postgres://db/x?sslmode=disable&password=pw": "postgres://db/x?sslmode=disable&password=***",
		"dial postgres://u:p@h:5432/x: refused":       "dial postgres://u:***@h:5432/x: refused",
		"http://whisper:8080/v1/audio/transcriptions": "http://whisper:8080/v1/audio/transcriptions",
		"s3://recordings/calls":                       "s3://recordings/calls",
		"127.0.0.1:6379":                              "127.0.0.1:6379",
		`parse "redis://:pw@h:x/0": invalid port`:     `parse "redis://:***@h:x/0": invalid port`,
	} {
		if got := maskURL(in); got != want {
			t.Errorf("maskURL(%q) = %q, want %q", in, got, want)
		}
	}
}

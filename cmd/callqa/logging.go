package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
)

// Every command takes --log-level and --log-format (env CALLQA_LOG_LEVEL,
// CALLQA_LOG_FORMAT); run builds the logger from them before the command
// parses its own flags, and parseFlags registers them on every command so
// that they are accepted anywhere and listed by -h.
const (
	logLevelFlag  = "log-level"
	logFormatFlag = "log-format"
)

// registerLogFlags adds --log-level and --log-format to a command's flags.
// Their values were read by run already (logSettings): here they are only
// accepted and documented.
func registerLogFlags(fs *flag.FlagSet) {
	if fs.Lookup(logLevelFlag) == nil {
		fs.String(logLevelFlag, "", "log level: debug, info, warn or error (env CALLQA_LOG_LEVEL; default info, warn for `run` on a terminal, where the progress bar is)")
	}
	if fs.Lookup(logFormatFlag) == nil {
		fs.String(logFormatFlag, "", "log format: text or json, one object a line (env CALLQA_LOG_FORMAT; default text)")
	}
}

// logSettings are the logger's level and format.
type logSettings struct {
	level slog.Level
	json  bool
}

// logSettingsFor reads the log flags of a command line (anywhere before
// "--", as --log-level X, --log-level=X, and the one-dash forms), else the
// environment, else the default: info, or warn for a command that draws a
// progress bar on a terminal (run), so that the bar is not broken up by
// routine messages; warnings still show.
func logSettingsFor(e *env, cmd string, args []string, terminal bool) (logSettings, error) {
	level, format := e.getenv("CALLQA_LOG_LEVEL"), e.getenv("CALLQA_LOG_FORMAT")
	levelFrom, formatFrom := "CALLQA_LOG_LEVEL", "CALLQA_LOG_FORMAT"
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != logLevelFlag && name != logFormatFlag {
			continue
		}
		if !hasValue {
			if i+1 >= len(args) {
				return logSettings{}, fmt.Errorf("flag needs an argument: --%s", name)
			}
			i++
			value = args[i]
		}
		if name == logLevelFlag {
			level, levelFrom = value, "--"+logLevelFlag
		} else {
			format, formatFrom = value, "--"+logFormatFlag
		}
	}
	s := logSettings{level: slog.LevelInfo}
	if level == "" && cmd == "run" && terminal {
		s.level = slog.LevelWarn
	}
	switch strings.ToLower(level) {
	case "":
	case "debug":
		s.level = slog.LevelDebug
	case "info":
		s.level = slog.LevelInfo
	case "warn", "warning":
		s.level = slog.LevelWarn
	case "error":
		s.level = slog.LevelError
	default:
		return logSettings{}, fmt.Errorf("%s %q: want debug, info, warn or error", levelFrom, level)
	}
	switch strings.ToLower(format) {
	case "", "text":
	case "json":
		s.json = true
	default:
		return logSettings{}, fmt.Errorf("%s %q: want text or json", formatFrom, format)
	}
	return s, nil
}

// newLogger is the logger of the settings on w.
func newLogger(w io.Writer, s logSettings) *slog.Logger {
	opts := &slog.HandlerOptions{Level: s.level}
	if s.json {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// lineWriter shares a terminal between the progress bar, which redraws
// one line in place ("\r[###...] 3/10 calls", no newline), and whole lines
// (logs, messages): before a whole line, it erases the bar's line, so that
// a log line never starts in the middle of the bar; the bar is drawn again
// on its next tick. Writes are serialised.
type lineWriter struct {
	mu      sync.Mutex
	w       io.Writer
	partial bool // the last write left a line open (the bar)
}

// eraseLine returns the cursor to the start of the line and clears it.
const eraseLine = "\r\x1b[K"

func (l *lineWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(p) == 0 {
		return 0, nil
	}
	if l.partial && p[0] != '\r' {
		if _, err := io.WriteString(l.w, eraseLine); err != nil {
			return 0, err
		}
	}
	n, err := l.w.Write(p)
	if n > 0 {
		l.partial = !bytes.HasSuffix(p[:n], []byte("\n"))
	}
	return n, err
}

// Fd is the file descriptor of the terminal (or file) under the writer,
// for isTerminal; an invalid one when it is not a file.
func (l *lineWriter) Fd() uintptr {
	if f, ok := l.w.(*os.File); ok {
		return f.Fd()
	}
	return ^uintptr(0)
}

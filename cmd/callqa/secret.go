package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"sync"
)

// Secrets from the environment are never printed: the values of the
// variables secretEnv matches are recorded as commands read them, and
// masked in --help (flag defaults), in error messages and in logs. A URL's
// password is masked wherever a URL appears, whichever variable or flag it
// came from.

// mask replaces a secret.
const mask = "***"

// minSecretLen is the shortest recorded secret searched for in messages.
// Shorter values (a demo access key "callqa") would match ordinary words
// of the messages (the command name, a user name) and garble them; --help
// masks them all the same.
const minSecretLen = 8

// secretEnv reports whether the environment variable name holds a secret:
// *_URL (a URL may carry a password: only that part is secret),
// *_SECRET*, *_PASSWORD*, *_KEY (the whole value is).
func secretEnv(name string) bool {
	return urlEnv(name) || wholeSecretEnv(name)
}

// urlEnv reports whether name is a *_URL variable.
func urlEnv(name string) bool { return strings.HasSuffix(strings.ToUpper(name), "_URL") }

// wholeSecretEnv reports whether name is a *_SECRET*, *_PASSWORD* or *_KEY
// variable, whose whole value is secret.
func wholeSecretEnv(name string) bool {
	n := strings.ToUpper(name)
	return strings.Contains(n, "_SECRET") || strings.Contains(n, "_PASSWORD") || strings.HasSuffix(n, "_KEY")
}

// redactor remembers the secrets read from the environment and masks
// them in messages. It is safe for concurrent use (loggers call it from
// every goroutine); a nil *redactor masks URL passwords only.
type redactor struct {
	mu sync.RWMutex
	// values are the recorded secrets: the whole value of a variable, or
	// a URL's password, masked wherever they appear.
	values []string
}

// getenv wraps a getenv function: the values of secret variables are
// recorded before they are returned.
func (r *redactor) getenv(getenv func(string) string) func(string) string {
	return func(name string) string {
		v := getenv(name)
		if v != "" && secretEnv(name) {
			r.record(v, wholeSecretEnv(name))
		}
		return v
	}
}

// record remembers a secret value: a URL's password and password-like
// parameters (a URL without them, or a file path, is no secret), and with
// whole the whole value.
func (r *redactor) record(v string, whole bool) {
	var found []string
	if u, ok := parseURL(v); ok {
		if pw, ok := u.User.Password(); ok {
			found = append(found, pw)
		}
		found = append(found, secretParams(u.Query())...)
	}
	if whole {
		found = append(found, v)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, f := range found {
		if len(f) >= minSecretLen {
			r.values = append(r.values, f)
		}
	}
}

// parseURL parses v as an absolute URL with a host.
func parseURL(v string) (*url.URL, bool) {
	u, err := url.Parse(v)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, false
	}
	return u, true
}

// envInUsage finds the "(env NAME)" that flag usages end with.
var envInUsage = regexp.MustCompile(`\benv ([A-Z][A-Z0-9_]*)`)

// maskFlagDefaults masks the defaults of fs's flags, as PrintDefaults shows
// them: the whole default of a flag whose usage names a *_SECRET*,
// *_PASSWORD* or *_KEY variable ("(env CALLQA_S3_SECRET_KEY)") or whose
// name says secret, password or key; the password of a URL in any other
// default (postgres://callqa:***@db/x). Only the shown default changes:
// the flags keep their values.
func maskFlagDefaults(fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		whole := strings.Contains(f.Name, "secret") || strings.Contains(f.Name, "password") ||
			strings.HasSuffix(f.Name, "-key")
		for _, m := range envInUsage.FindAllStringSubmatch(f.Usage, -1) {
			whole = whole || wholeSecretEnv(m[1])
		}
		if whole && f.DefValue != "" {
			f.DefValue = mask
		} else {
			f.DefValue = maskURL(f.DefValue)
		}
	})
}

// urlPassword matches the password of a URL's user information:
// scheme://user:PASSWORD@host.
var urlPassword = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://[^\s:/@]*):[^\s@/]*@`)

// paramPassword matches password-like query parameters (PostgreSQL URLs
// accept ?password=...).
var paramPassword = regexp.MustCompile(`(?i)([?&](?:password|sslpassword|secret|token|key)=)[^&\s"']*`)

// maskURL masks the passwords of the URLs in s:
// postgres://callqa:secret@db/x -> postgres://callqa:***@db/x.
func maskURL(s string) string {
	s = urlPassword.ReplaceAllString(s, "${1}:"+mask+"@")
	return paramPassword.ReplaceAllString(s, "${1}"+mask)
}

// secretParams returns the values of a URL's password-like parameters.
func secretParams(q url.Values) []string {
	var out []string
	for k, vs := range q {
		switch strings.ToLower(k) {
		case "password", "sslpassword", "secret", "token", "key":
			out = append(out, vs...)
		}
	}
	return out
}

// String masks the secrets in s: URL passwords and recorded values.
func (r *redactor) String(s string) string {
	s = maskURL(s)
	if r == nil {
		return s
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, v := range r.values {
		s = strings.ReplaceAll(s, v, mask)
	}
	return s
}

// redactHandler is a slog.Handler that masks secrets in messages and in
// attribute values before passing records on.
type redactHandler struct {
	next slog.Handler
	r    *redactor
}

var _ slog.Handler = redactHandler{}

func (h redactHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h redactHandler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, h.r.String(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h redactHandler) WithAttrs(as []slog.Attr) slog.Handler {
	masked := make([]slog.Attr, len(as))
	for i, a := range as {
		masked[i] = h.attr(a)
	}
	return redactHandler{next: h.next.WithAttrs(masked), r: h.r}
}

func (h redactHandler) WithGroup(name string) slog.Handler {
	return redactHandler{next: h.next.WithGroup(name), r: h.r}
}

// attr masks an attribute's value: strings, errors and anything printed
// with %v; groups recursively.
func (h redactHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, h.r.String(v.String()))
	case slog.KindGroup:
		g := v.Group()
		masked := make([]any, len(g))
		for i, ga := range g {
			masked[i] = h.attr(ga)
		}
		return slog.Group(a.Key, masked...)
	case slog.KindAny:
		var s string
		if b, ok := v.Any().([]byte); ok {
			s = string(b) // as the text and JSON handlers print it
		} else {
			s = fmt.Sprint(v.Any())
		}
		if m := h.r.String(s); m != s {
			return slog.String(a.Key, m)
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}

package scale

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/callqa/callqa/store"
	"github.com/callqa/callqa/workbench"
)

// DefaultRuns is TimeConfig.Runs's default.
const DefaultRuns = 3

// benchUser is the workbench user Time logs in as (created or given this
// password).
const (
	benchUser     = "scale-bench"
	benchPassword = "scale-bench-password"
)

// TimeConfig configures Time. The zero value of every field but DB is its
// documented default.
type TimeConfig struct {
	// DB is the results database (required).
	DB string
	// Runs is how many times each query runs; the median is reported.
	// Default DefaultRuns.
	Runs int
	// Callqa is the callqa binary. Default "callqa" (from $PATH).
	Callqa string
	// From and To are the year the year-long queries read. Default To:
	// the latest call date in the database; From: 364 days before To.
	From, To string
	// Day is the review queue's day. Default: the day with most results.
	Day string
	// Log receives progress and the servers' failures; nil discards.
	Log io.Writer
}

// Validate reports a configuration that cannot work, naming the field.
func (c TimeConfig) Validate() error {
	if c.DB == "" {
		return errors.New("time config: DB is empty")
	}
	if c.Runs < 0 {
		return fmt.Errorf("time config: Runs %d: want >= 0", c.Runs)
	}
	for name, d := range map[string]string{"From": c.From, "To": c.To, "Day": c.Day} {
		if _, err := time.Parse(time.DateOnly, d); d != "" && err != nil {
			return fmt.Errorf("time config: %s %q: want YYYY-MM-DD", name, d)
		}
	}
	return nil
}

// Row is one line of the scale table: a query's timings, or a figure.
type Row struct {
	// What names the query or the figure.
	What string
	// Runs are the wall times of the runs, in order.
	Runs []time.Duration
	// Value is the figure when the row is not a query.
	Value string
	// Err is why the query failed, "" if it did not.
	Err string
}

// Median is the median of the runs (the mean of the two middle ones for
// an even number); 0 without runs.
func (r Row) Median() time.Duration {
	if len(r.Runs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(r.Runs))
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Markdown is the row as a line of a markdown table: what, the median (or
// the figure), the runs.
func (r Row) Markdown() string {
	switch {
	case r.Err != "":
		return fmt.Sprintf("| %s | failed: %s | |", r.What, strings.ReplaceAll(r.Err, "|", "/"))
	case r.Runs == nil:
		return fmt.Sprintf("| %s | %s | |", r.What, r.Value)
	}
	runs := make([]string, len(r.Runs))
	for i, d := range r.Runs {
		runs[i] = fmt.Sprintf("%.3f", d.Seconds())
	}
	return fmt.Sprintf("| %s | %.3f s | %s |", r.What, r.Median().Seconds(), strings.Join(runs, ", "))
}

// Time runs the queries of the scale table against cfg.DB: callqa report
// for a year by day, month, team, agent, queue and rule, and its
// indicator rows, each a new process per run; then, against a callqa
// serve it starts on a free port (and stops), the pass rate API by team
// for a year, the dashboard for a year and for the last 30 days, and the
// review queue of the busiest day (its API and its page), each run a new
// request on the same server (the first run is the server's first). The
// last rows are the database's size, the results it holds and the size
// per million results.
func Time(ctx context.Context, cfg TimeConfig) ([]Row, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Runs == 0 {
		cfg.Runs = DefaultRuns
	}
	if cfg.Callqa == "" {
		cfg.Callqa = "callqa"
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	info, err := inspectDB(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if cfg.To == "" {
		cfg.To = info.latest
	}
	if cfg.From == "" {
		to, err := time.Parse(time.DateOnly, cfg.To)
		if err != nil {
			return nil, fmt.Errorf("time: the database has no call date: %w", err)
		}
		cfg.From = to.AddDate(0, 0, -364).Format(time.DateOnly)
	}
	if cfg.Day == "" {
		cfg.Day = info.busiest
	}
	fmt.Fprintf(cfg.Log, "queries over %s..%s, review queue of %s (%d results)\n", cfg.From, cfg.To, cfg.Day, info.busiestN)

	var rows []Row
	year := []string{"--db", cfg.DB, "--from", cfg.From, "--to", cfg.To, "--format", "json"}
	for _, by := range []string{"day", "month", "team", "agent", "queue", "rule"} {
		rows = append(rows, timeCommand(ctx, cfg, "`report --by "+by+"` (a year)", append(slices.Clone(year), "--by", by)))
	}
	rows = append(rows, timeCommand(ctx, cfg, "`report --indicator` (a year)", append(slices.Clone(year), "--indicator")))

	web, err := timeServer(ctx, cfg)
	if err != nil {
		return nil, err
	}
	rows = append(rows, web...)
	n := float64(info.results)
	rows = append(rows,
		Row{What: "results in the database", Value: fmt.Sprint(info.results)},
		Row{What: "database size", Value: fmt.Sprintf("%.2f GB", float64(info.size)/1e9)},
		Row{What: "database size per million results", Value: fmt.Sprintf("%.2f GB", float64(info.size)/1e9/(n/1e6))},
		Row{What: "bytes per result", Value: fmt.Sprintf("%.0f", float64(info.size)/n)})
	return rows, nil
}

// dbInfo is what Time learns from the database before timing it.
type dbInfo struct {
	latest, busiest   string
	busiestN, results int
	size              int64
}

func inspectDB(ctx context.Context, cfg TimeConfig) (dbInfo, error) {
	var info dbInfo
	st, err := store.Open(ctx, cfg.DB, store.Options{})
	if err != nil {
		return info, fmt.Errorf("time: %w", err)
	}
	defer st.Close()
	sc, err := st.LatestScorecard(ctx)
	if err != nil {
		return info, fmt.Errorf("time: %w", err)
	}
	if info.latest, err = st.LatestCallDate(ctx, sc); err != nil {
		return info, fmt.Errorf("time: %w", err)
	}
	days, err := st.GroupCounts(ctx, store.ReportFilter{Scorecard: sc}, store.GroupDay)
	if err != nil {
		return info, fmt.Errorf("time: %w", err)
	}
	for _, d := range days {
		if n := d.Inspected + d.Unprocessable; n > info.busiestN {
			info.busiest, info.busiestN = d.Key, n
		}
	}
	if err := st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM results`).Scan(&info.results); err != nil {
		return info, fmt.Errorf("time: count results: %w", err)
	}
	if st.Dialect() == store.DialectPostgres {
		err = st.DB().QueryRowContext(ctx, `SELECT pg_database_size(current_database())`).Scan(&info.size)
		if err != nil {
			return info, fmt.Errorf("time: database size: %w", err)
		}
		return info, nil
	}
	path, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(cfg.DB, "sqlite:"), "file:"), "?")
	for _, p := range []string{path, path + "-wal"} {
		if fi, err := os.Stat(p); err == nil {
			info.size += fi.Size()
		}
	}
	return info, nil
}

// timeCommand runs callqa with args cfg.Runs times, its output discarded.
func timeCommand(ctx context.Context, cfg TimeConfig, what string, args []string) Row {
	row := Row{What: what}
	for range cfg.Runs {
		var stderr bytes.Buffer
		cmd := exec.CommandContext(ctx, cfg.Callqa, append([]string{"report"}, args...)...)
		cmd.Stdout, cmd.Stderr = io.Discard, &stderr
		start := time.Now()
		err := cmd.Run()
		d := time.Since(start)
		if err != nil {
			row.Err = fmt.Sprintf("%v: %s", err, strings.TrimSpace(stderr.String()))
			return row
		}
		row.Runs = append(row.Runs, d)
	}
	fmt.Fprintln(cfg.Log, row.Markdown())
	return row
}

// timeServer starts callqa serve against cfg.DB, logs in and times the
// workbench's queries.
func timeServer(ctx context.Context, cfg TimeConfig) ([]Row, error) {
	if err := ensureUser(ctx, cfg.DB); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "callqa-scale-serve-")
	if err != nil {
		return nil, fmt.Errorf("time: %w", err)
	}
	defer os.RemoveAll(dir)
	addr, err := freeAddr()
	if err != nil {
		return nil, fmt.Errorf("time: %w", err)
	}
	logf, err := os.Create(filepath.Join(dir, "serve.log"))
	if err != nil {
		return nil, fmt.Errorf("time: %w", err)
	}
	defer logf.Close()
	src := filepath.Join(dir, "recordings")
	if err := os.Mkdir(src, 0o755); err != nil {
		return nil, fmt.Errorf("time: %w", err)
	}
	cmd := exec.Command(cfg.Callqa, "serve", "--db", cfg.DB, "--addr", addr, "--source", src)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("time: start callqa serve: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	}()
	base := "http://" + addr
	client := &http.Client{Timeout: 10 * time.Minute}
	if err := waitUp(ctx, client, base+"/login", exited); err != nil {
		log, _ := os.ReadFile(logf.Name())
		return nil, fmt.Errorf("time: callqa serve: %w: %s", err, log)
	}
	cookie, err := login(ctx, client, base)
	if err != nil {
		return nil, fmt.Errorf("time: %w", err)
	}
	to, _ := time.Parse(time.DateOnly, cfg.To)
	month := to.AddDate(0, 0, -29).Format(time.DateOnly)
	year := url.Values{"from": {cfg.From}, "to": {cfg.To}}.Encode()
	day := url.Values{"from": {cfg.Day}, "to": {cfg.Day}}.Encode()
	queries := []struct{ what, path string }{
		{"`/api/reports/pass-rate?by=team` (a year)", "/api/reports/pass-rate?by=team&" + year},
		{"dashboard page (a year)", "/dashboard?" + year},
		{"dashboard page (30 days)", "/dashboard?" + url.Values{"from": {month}, "to": {cfg.To}}.Encode()},
		{"review queue API `/api/calls` (the busiest day, " + cfg.Day + ")", "/api/calls?" + day},
		{"review queue page `/queue` (the busiest day)", "/queue?" + day},
	}
	var rows []Row
	for _, q := range queries {
		row := Row{What: q.what}
		for range cfg.Runs {
			d, err := get(ctx, client, base+q.path, cookie)
			if err != nil {
				row.Err = err.Error()
				break
			}
			row.Runs = append(row.Runs, d)
		}
		fmt.Fprintln(cfg.Log, row.Markdown())
		rows = append(rows, row)
	}
	return rows, nil
}

// ensureUser creates the benchmark's admin user, or resets its password.
func ensureUser(ctx context.Context, db string) error {
	st, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		return fmt.Errorf("time: %w", err)
	}
	defer st.Close()
	wb, err := workbench.New(st, workbench.Config{})
	if err != nil {
		return fmt.Errorf("time: %w", err)
	}
	_, err = wb.AddUser(ctx, benchUser, workbench.RoleAdmin, benchPassword)
	if errors.Is(err, workbench.ErrUserExists) {
		err = wb.SetPassword(ctx, benchUser, benchPassword, "callqa-scale", "")
	}
	if err != nil {
		return fmt.Errorf("time: user %s: %w", benchUser, err)
	}
	return nil
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func waitUp(ctx context.Context, client *http.Client, u string, exited <-chan error) error {
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("exited: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		if resp, err := client.Get(u); err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.New("did not answer within 2 minutes")
}

// login logs in as the benchmark user and returns the session cookie (sent
// by hand: the server marks it Secure, which a cookie jar keeps off plain
// http).
func login(ctx context.Context, client *http.Client, base string) (*http.Cookie, error) {
	body := fmt.Sprintf(`{"name": %q, "password": %q}`, benchUser, benchPassword)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/login", strings.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("login: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("login: %w", err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("login: %s: %s", resp.Status, msg)
	}
	for _, c := range resp.Cookies() {
		if c.Value != "" {
			return &http.Cookie{Name: c.Name, Value: c.Value}, nil
		}
	}
	return nil, errors.New("login: no session cookie")
}

// get fetches u whole and returns how long it took; any status but 200 is
// an error.
func get(ctx context.Context, client *http.Client, u string, cookie *http.Cookie) (time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	req.AddCookie(cookie)
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	d := time.Since(start)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("%s: %.200s", resp.Status, body)
	}
	return d, nil
}

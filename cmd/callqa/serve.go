package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/report"
	"github.com/callqa/callqa/store"
	"github.com/callqa/callqa/web"
	"github.com/callqa/callqa/workbench"
)

const serveSynopsis = "serve [--tz ZONE] [--db URL] [--source DIR|s3://bucket/prefix] [--addr 127.0.0.1:8080] [--scorecard F] [--trusted-proxy CIDR]... [--insecure-cookies] [--db-max-conns N] [--cache-dir DIR] [--target [NAME=]VALUE]... [--weight [NAME=]VALUE]... [--satisfaction-basic=false]"

// cmdServe starts the review workbench. The session cookie is Secure
// whatever the listen address (browsers accept it on http://localhost and
// 127.0.0.1, so a local trial works); --insecure-cookies is the only way to
// drop it, for a plain-http intranet deployment. Behind a reverse proxy,
// --trusted-proxy names the proxy's addresses so that the client address,
// scheme and host come from its X-Forwarded-* headers. With no user at
// all, it creates the user "admin" with a generated password and prints
// the password once.
func cmdServe(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var ff fleetFlags
	ff.register(fs, e, "source", "scorecard")
	db := fs.String("db", envOr(e, "CALLQA_DATABASE_URL", "callqa.db"), "results database: a SQLite file or postgres://... (env CALLQA_DATABASE_URL)")
	addr := fs.String("addr", envOr(e, "CALLQA_ADDR", "127.0.0.1:8080"), "listen address (env CALLQA_ADDR)")
	tz := zoneFlag(fs, e)
	insecure := fs.Bool("insecure-cookies", false, "drop the Secure attribute of the session cookie, for a plain-http intranet deployment (any address but localhost)")
	var proxies prefixList
	fs.Var(&proxies, "trusted-proxy", "CIDR or address of a reverse proxy whose X-Forwarded-For, -Proto and -Host headers are believed; repeatable or comma-separated (env CALLQA_TRUSTED_PROXIES; default none)")
	dbConns := fs.Int("db-max-conns", 0, "PostgreSQL connections the workbench keeps at most, all reused while busy (default 16)")
	calibration := fs.Float64("calibration", 0.02, "share of passed calls sampled into the review queue (0 for none)")
	cacheDir := fs.String("cache-dir", envOr(e, "CALLQA_CACHE_DIR", ""), "folder under which the server keeps its transcoded recordings, in a private folder of its own removed at exit (env CALLQA_CACHE_DIR; default the system's temporary folder)")
	var targets, weights namedValues
	fs.Var(&targets, "target", "the dashboard's evaluation indicators: a target, NAME=VALUE, repeatable, as callqa report --indicator takes it (defaults: "+indicatorDefaults("target")+")")
	fs.Var(&weights, "weight", "the dashboard's evaluation indicators: a weight, NAME=VALUE, repeatable (defaults: "+indicatorDefaults("weight")+")")
	satisfactionBasic := fs.Bool("satisfaction-basic", true, "count 基本满意 as satisfied in the dashboard's 综合满意率 (false: only 满意)")
	pos, err := parseFlags(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return printHelp(e, fs, serveSynopsis)
	}
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usageError(fs, serveSynopsis, "serve takes no arguments")
	}
	if *dbConns < 0 {
		return usageError(fs, serveSynopsis, "--db-max-conns must not be negative")
	}
	if *calibration < 0 || *calibration > 1 {
		return usageError(fs, serveSynopsis, "--calibration must be in [0, 1]")
	}
	if *cacheDir != "" {
		if fi, err := os.Stat(*cacheDir); err != nil || !fi.IsDir() {
			return usageError(fs, serveSynopsis, fmt.Sprintf("--cache-dir %q is not a folder", *cacheDir))
		}
	}
	cfgTargets, err := targets.parse("target", parseIndicatorTarget)
	if err != nil {
		return badInput(err)
	}
	cfgWeights, err := weights.parse("weight", parseWeight)
	if err != nil {
		return badInput(err)
	}
	// The pass rate's are the dashboard's indicator row of before.
	var passRow web.Indicator
	passRow.Target, passRow.Weight = cfgTargets[report.IndicatorPass], cfgWeights[report.IndicatorPass]
	delete(cfgTargets, report.IndicatorPass)
	delete(cfgWeights, report.IndicatorPass)
	if ff.source == "" {
		ff.source = "samples"
	}
	spec, err := ff.sourceSpec()
	if err != nil {
		return err
	}
	sc, err := ff.loadScorecard()
	if err != nil {
		return err
	}
	loc, err := parseZone("serve", *tz)
	if err != nil {
		return err
	}
	if _, _, err := net.SplitHostPort(*addr); err != nil {
		return usageError(fs, serveSynopsis, fmt.Sprintf("--addr %q: %v", *addr, err))
	}
	if len(proxies) == 0 {
		if v := e.getenv("CALLQA_TRUSTED_PROXIES"); v != "" {
			if err := proxies.Set(v); err != nil {
				return usageError(fs, serveSynopsis, "CALLQA_TRUSTED_PROXIES: "+err.Error())
			}
		}
	}

	src, err := ff.openSource(ctx, spec)
	if err != nil {
		return badInput(fmt.Errorf("--source: %w", err))
	}
	st, err := store.Open(ctx, *db, store.Options{Logger: e.logger, Location: loc, Pool: store.PoolConfig{MaxOpen: *dbConns, MaxIdle: *dbConns}})
	if err != nil {
		return fmt.Errorf("results store: %w", err)
	}
	defer st.Close()
	wb, err := workbench.New(st, workbench.Config{})
	if err != nil {
		return err
	}
	if err := bootstrapAdmin(ctx, e, wb); err != nil {
		return err
	}
	rate := *calibration
	if rate == 0 {
		rate = -1 // web.Config: negative means none, zero the default
	}
	// Without --scorecard, the workbench serves the scorecard version most
	// recently used in the results, as callqa report does.
	latest := ff.scorecard == ""
	held, err := st.Scorecards(ctx)
	if err != nil {
		return err
	}
	srv, err := web.New(web.Config{InsecureCookies: *insecure, TrustedProxies: proxies, CalibrationRate: rate, Location: loc,
		AudioCacheDir: *cacheDir, LatestScorecard: latest, Indicator: passRow,
		Indicators: web.Indicators{Targets: cfgTargets, Weights: cfgWeights, OnlySatisfied: !*satisfactionBasic}},
		web.Deps{Store: st, Workbench: wb, Source: src, Scorecard: sc}, e.logger)
	if err != nil {
		return err
	}
	defer srv.Close()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          nil,
	}
	served := fmt.Sprintf("%s v%d", sc.ID, sc.Version)
	if latest && len(held) > 0 {
		served = fmt.Sprintf("%s v%d, the newest in the database", held[0].Scorecard.ID, held[0].Scorecard.Version)
	}
	fmt.Fprintf(e.stdout, "质检工作台: http://%s/ (scorecard %s, source %s)\n", ln.Addr(), served, spec)
	if len(held) > 1 || len(held) == 1 && held[0].Scorecard != (models.ScorecardRef{ID: sc.ID, Version: sc.Version}) {
		var vs []string
		for _, h := range held {
			vs = append(vs, fmt.Sprintf("%s v%d (%d %s)", h.Scorecard.ID, h.Scorecard.Version, h.Calls, plural(h.Calls, "call", "calls")))
		}
		fmt.Fprintf(e.stdout, "the database holds results of %s; pick one on the pages or with ?scorecard=ID:VERSION\n", strings.Join(vs, ", "))
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdown); err != nil {
		// Cut the connections still open (a slow audio download), so that
		// their handlers end and the audio cache can be removed.
		hs.Close()
		return fmt.Errorf("serve: shutdown: %w", err)
	}
	return nil
}

// bootstrapAdmin creates the user "admin" with a generated password when
// the workbench has no user yet, and prints the password once.
func bootstrapAdmin(ctx context.Context, e *env, wb *workbench.Workbench) error {
	users, err := wb.Users(ctx)
	if err != nil {
		return err
	}
	if len(users) > 0 {
		return nil
	}
	pw := generatePassword()
	if _, err := wb.AddUser(ctx, "admin", workbench.RoleAdmin, pw); err != nil {
		return err
	}
	if err := wb.Audit(ctx, workbench.AuditEntry{User: "callqa serve", Action: workbench.AuditUserAdd, Detail: "admin admin (bootstrap)"}); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "no workbench user yet: created user admin (role admin) with password %s\n(shown once; add users with 'callqa user add NAME --role R')\n", pw)
	return nil
}

// generatePassword returns 16 random characters from an unambiguous
// alphabet (about 90 bits).
func generatePassword() string {
	const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 16)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// prefixList is a repeatable flag of CIDR prefixes, each value a comma
// list; a bare address is its own /32 or /128.
type prefixList []netip.Prefix

func (p *prefixList) String() string {
	var parts []string
	for _, x := range *p {
		parts = append(parts, x.String())
	}
	return strings.Join(parts, ",")
}

func (p *prefixList) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if strings.Contains(s, "/") {
			pf, err := netip.ParsePrefix(s)
			if err != nil {
				return err
			}
			*p = append(*p, pf.Masked())
			continue
		}
		ip, err := netip.ParseAddr(s)
		if err != nil {
			return fmt.Errorf("%q is neither a CIDR prefix nor an IP address", s)
		}
		ip = ip.Unmap().WithZone("")
		*p = append(*p, netip.PrefixFrom(ip, ip.BitLen()))
	}
	return nil
}

func envOr(e *env, name, def string) string {
	if v := e.getenv(name); v != "" {
		return v
	}
	return def
}

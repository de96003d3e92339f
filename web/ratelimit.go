package web

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/callqa/callqa/workbench"
)

// loginLimiter counts login attempts in a sliding window, under two keys:
// the client (its address, an IPv6 client by its /64) with the user name,
// and the user name alone across all addresses. It is owned by a Server;
// there is no global state.
//
// An attempt is reserved, under the mutex, before the password is checked
// (bcrypt takes tens of milliseconds): it counts as a failure while in
// flight, so that parallel requests cannot all pass the check before any of
// them is recorded. A success withdraws the reservation.
type loginLimiter struct {
	perClient int // attempts per client and user name
	perUser   int // attempts per user name, from any client
	window    time.Duration
	now       func() time.Time

	mu       sync.Mutex
	failures map[string][]time.Time
}

func newLoginLimiter(perClient, perUser int, window time.Duration, now func() time.Time) *loginLimiter {
	return &loginLimiter{perClient: perClient, perUser: perUser, window: window, now: now, failures: make(map[string][]time.Time)}
}

// loginAttempt is a reserved attempt; finish it with succeeded or
// cancelled, or leave it counted as a failure.
type loginAttempt struct {
	l                  *loginLimiter
	clientKey, userKey string
	at                 time.Time
}

// reserve reserves a login attempt of user from the client address addr.
// It refuses, with how long until an attempt may be made, when either the
// client and user pair or the user has reached its limit within the
// window.
func (l *loginLimiter) reserve(addr, user string) (*loginAttempt, bool, time.Duration) {
	user = strings.ToLower(user)
	a := &loginAttempt{l: l, clientKey: "c|" + clientBucket(addr) + "|" + user, userKey: "u|" + user}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var wait time.Duration
	for _, k := range []struct {
		key string
		max int
	}{{a.clientKey, l.perClient}, {a.userKey, l.perUser}} {
		if f := l.prune(k.key, now); len(f) >= k.max {
			// f is oldest first: the attempt that leaves the window
			// first lets one more in.
			wait = max(wait, f[len(f)-k.max].Add(l.window).Sub(now))
		}
	}
	if wait > 0 {
		return nil, false, wait
	}
	a.at = now
	for _, k := range []string{a.clientKey, a.userKey} {
		l.failures[k] = append(l.failures[k], now)
	}
	// Keep the map bounded under a spray of user names: drop stale keys
	// now and then.
	if len(l.failures) > 10000 {
		for k := range l.failures {
			l.prune(k, now)
		}
	}
	return a, true, 0
}

// succeeded ends a successful attempt: the client's failures for the user
// are forgotten, and the attempt no longer counts against the user name
// (failures from other addresses still do).
func (a *loginAttempt) succeeded() {
	a.l.mu.Lock()
	defer a.l.mu.Unlock()
	delete(a.l.failures, a.clientKey)
	a.l.withdraw(a.userKey, a.at)
}

// cancelled withdraws an attempt that neither succeeded nor failed (the
// password could not be checked).
func (a *loginAttempt) cancelled() {
	a.l.mu.Lock()
	defer a.l.mu.Unlock()
	a.l.withdraw(a.clientKey, a.at)
	a.l.withdraw(a.userKey, a.at)
}

// withdraw removes one attempt made at at from key; the caller holds mu.
func (l *loginLimiter) withdraw(key string, at time.Time) {
	f := l.failures[key]
	for i := len(f) - 1; i >= 0; i-- {
		if f[i].Equal(at) {
			f = append(f[:i:i], f[i+1:]...)
			break
		}
	}
	if len(f) == 0 {
		delete(l.failures, key)
		return
	}
	l.failures[key] = f
}

// prune drops attempts older than the window; the caller holds mu.
func (l *loginLimiter) prune(key string, now time.Time) []time.Time {
	f := l.failures[key]
	i := 0
	for i < len(f) && now.Sub(f[i]) >= l.window {
		i++
	}
	f = f[i:]
	if len(f) == 0 {
		delete(l.failures, key)
		return nil
	}
	l.failures[key] = f
	return f
}

// clientBucket is the rate-limit key of a client address: the address
// itself for IPv4 (and IPv4-mapped IPv6), its /64 for IPv6, since one
// client usually holds a whole /64. Anything else is used as is.
func clientBucket(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	ip = ip.Unmap()
	if ip.Is4() {
		return ip.String()
	}
	p, err := ip.WithZone("").Prefix(64)
	if err != nil {
		return addr
	}
	return p.String()
}

// refusedEvery is how often, at most, the audit trail gets an entry for the
// logins the rate limit refused of one client (address bucket) and user
// name. Every refusal is counted; writing each would let a flood of
// refused guesses, which cost the server nothing else, fill the audit
// table.
const refusedEvery = time.Minute

// loginRefusedFormat is the detail of a login_refused audit entry: how
// many refused attempts it stands for.
const loginRefusedFormat = "refused attempts: %d (rate limit)"

// refusalLog counts the logins the rate limit refused, per client and user
// name, for the audit trail: the first refusal of a client and user name is
// written at once; later ones are counted and written together, at most
// once per refusedEvery, by the next refusal after that, by a read of the
// audit trail, or when the server closes. No refusal goes unrecorded
// unless the process dies.
type refusalLog struct {
	mu sync.Mutex
	m  map[refusalKey]*refusal
}

type refusalKey struct{ client, user string }

type refusal struct {
	written time.Time // the last entry written for the key
	last    time.Time // the last refusal
	pending int       // refusals since the last entry
	remote  string    // the last refusal's client address
	name    string    // the user name as typed
}

// refused counts a refused login and returns the entry to write now, if
// any.
func (l *refusalLog) refused(now time.Time, remote, name string) (workbench.AuditEntry, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[refusalKey]*refusal{}
	}
	k := refusalKey{clientBucket(remote), strings.ToLower(name)}
	r := l.m[k]
	if r == nil {
		r = &refusal{}
		l.m[k] = r
	}
	r.pending++
	r.last, r.remote, r.name = now, remote, name
	if !r.written.IsZero() && now.Sub(r.written) < refusedEvery && now.Sub(r.written) >= 0 {
		return workbench.AuditEntry{}, false
	}
	return l.take(now, r), true
}

// due returns the entries of the refusals counted and not yet written:
// those whose last entry is refusedEvery old, or all of them. It forgets
// the clients with nothing pending for a while.
func (l *refusalLog) due(now time.Time, all bool) []workbench.AuditEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []workbench.AuditEntry
	for k, r := range l.m {
		age := now.Sub(r.written)
		switch {
		case r.pending > 0 && (all || age >= refusedEvery || age < 0):
			out = append(out, l.take(now, r))
		case r.pending == 0 && age >= time.Hour:
			delete(l.m, k)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

// take makes the entry of r's pending refusals; l.mu is held.
func (l *refusalLog) take(now time.Time, r *refusal) workbench.AuditEntry {
	e := workbench.AuditEntry{At: r.last, User: r.name, Action: workbench.AuditLoginRefused,
		Detail: fmt.Sprintf(loginRefusedFormat, r.pending), Remote: r.remote}
	r.pending, r.written = 0, now
	return e
}

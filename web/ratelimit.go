package web

import (
	"net/netip"
	"strings"
	"sync"
	"time"
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

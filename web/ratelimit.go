package web

import (
	"sync"
	"time"
)

// loginLimiter counts failed logins per key (client IP + user name) in a
// sliding window. It is owned by a Server; there is no global state.
type loginLimiter struct {
	max    int
	window time.Duration
	now    func() time.Time

	mu       sync.Mutex
	failures map[string][]time.Time
}

func newLoginLimiter(max int, window time.Duration, now func() time.Time) *loginLimiter {
	return &loginLimiter{max: max, window: window, now: now, failures: make(map[string][]time.Time)}
}

// allowed reports whether key may try to log in now, and if not, how long
// until it may.
func (l *loginLimiter) allowed(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	f := l.prune(key, now)
	if len(f) < l.max {
		return true, 0
	}
	return false, f[0].Add(l.window).Sub(now)
}

// fail records a failed attempt.
func (l *loginLimiter) fail(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.failures[key] = append(l.prune(key, now), now)
	// Keep the map bounded under a spray of user names: drop stale keys
	// now and then.
	if len(l.failures) > 10000 {
		for k := range l.failures {
			l.prune(k, now)
		}
	}
}

// reset forgets key's failures after a successful login.
func (l *loginLimiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.failures, key)
}

// prune drops failures older than the window; the caller holds mu.
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

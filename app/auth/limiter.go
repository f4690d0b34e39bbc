package auth

import (
	"context"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
)

// failures counts failed sign-ins per username in a fixed window that
// starts at the first one (a sign-in counts while its password is being
// checked, and is taken back when it was right). With Redis the count is
// shared by every instance; while Redis does not answer, and without
// Redis, each instance counts in memory, so the limit still holds per
// instance.
type failures struct {
	local  *memoryFailures
	redis  *redis.Client // nil: memory only
	prefix string
}

func newFailures(rc *redis.Client, prefix string) *failures {
	return &failures{local: newMemoryFailures(), redis: rc, prefix: prefix + "auth:failures:"}
}

// attempt counts one sign-in of key before its password is checked and
// returns the count in the window, this attempt included. Counting first
// is what holds the limit under concurrency: sign-ins that were checked
// before any failure was recorded would all pass it. A sign-in whose
// password was right, or could not be checked, is taken back with release.
func (f *failures) attempt(ctx context.Context, key string, window time.Duration) int {
	n := f.local.add(key, time.Now(), window)
	if f.redis == nil {
		return n
	}
	shared, err := incrScript.Run(ctx, f.redis, []string{f.prefix + key}, window.Milliseconds()).Int()
	if err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Msg("sign-in failure count: redis does not answer; counting in memory")
		return n
	}
	return max(n, shared)
}

// release takes back the attempt of a sign-in that was no failure.
func (f *failures) release(ctx context.Context, key string) {
	f.local.remove(key, time.Now())
	if f.redis == nil {
		return
	}
	if err := decrScript.Run(ctx, f.redis, []string{f.prefix + key}).Err(); err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Msg("sign-in failure count: redis does not answer; counting in memory")
	}
}

// incrScript adds an attempt and starts the window on the first one, in
// one step, so a key can never be left without its expiry.
var incrScript = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`)

// decrScript takes an attempt back; a window left with none is removed.
var decrScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local n = redis.call('DECR', KEYS[1])
if n <= 0 then redis.call('DEL', KEYS[1]) end
return n`)

// memoryFailures is the in-process count. It holds at most maxKeys windows:
// expired ones are swept when it is full, and past that new usernames are
// not counted rather than memory growing with every name an attacker tries.
type memoryFailures struct {
	mu      sync.Mutex
	windows map[string]failureWindow
}

type failureWindow struct {
	n   int
	end time.Time
}

const maxKeys = 100_000

func newMemoryFailures() *memoryFailures {
	return &memoryFailures{windows: map[string]failureWindow{}}
}

// add counts one attempt of key and returns the count in its window; 0
// when the table is full of live windows and key is new (not counted).
func (m *memoryFailures) add(key string, now time.Time, window time.Duration) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	w, ok := m.windows[key]
	if !ok || !now.Before(w.end) {
		if !ok && len(m.windows) >= maxKeys {
			m.sweep(now)
			if len(m.windows) >= maxKeys {
				return 0
			}
		}
		w = failureWindow{end: now.Add(window)}
	}
	w.n++
	m.windows[key] = w
	return w.n
}

// remove takes an attempt of key back.
func (m *memoryFailures) remove(key string, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	w, ok := m.windows[key]
	switch {
	case !ok:
	case w.n <= 1 || !now.Before(w.end):
		delete(m.windows, key)
	default:
		w.n--
		m.windows[key] = w
	}
}

func (m *memoryFailures) sweep(now time.Time) {
	for k, w := range m.windows {
		if !now.Before(w.end) {
			delete(m.windows, k)
		}
	}
}

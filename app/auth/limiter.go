package auth

import (
	"context"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
)

// failures counts failed sign-ins per username in a fixed window that
// starts at the first failure. With Redis the count is shared by every
// instance; while Redis does not answer, and without Redis, each instance
// counts in memory, so the limit still holds per instance.
type failures struct {
	local  *memoryFailures
	redis  *redis.Client // nil: memory only
	prefix string
}

func newFailures(rc *redis.Client, prefix string) *failures {
	return &failures{local: newMemoryFailures(), redis: rc, prefix: prefix + "auth:failures:"}
}

// count returns the failures recorded for key in the current window.
func (f *failures) count(ctx context.Context, key string) int {
	if f.redis != nil {
		n, err := f.redis.Get(ctx, f.prefix+key).Int()
		if err == nil || err == redis.Nil {
			return max(n, f.local.count(key, time.Now()))
		}
		zerolog.Ctx(ctx).Warn().Err(err).Msg("sign-in failure count: redis does not answer; counting in memory")
	}
	return f.local.count(key, time.Now())
}

// incrScript adds a failure and starts the window on the first one, in one
// step, so a key can never be left without its expiry.
var incrScript = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`)

// fail records one failure of key in a window of length window.
func (f *failures) fail(ctx context.Context, key string, window time.Duration) {
	f.local.fail(key, time.Now(), window)
	if f.redis == nil {
		return
	}
	if err := incrScript.Run(ctx, f.redis, []string{f.prefix + key}, window.Milliseconds()).Err(); err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Msg("sign-in failure count: redis does not answer; counting in memory")
	}
}

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

func (m *memoryFailures) count(key string, now time.Time) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	w, ok := m.windows[key]
	if !ok || !now.Before(w.end) {
		return 0
	}
	return w.n
}

func (m *memoryFailures) fail(key string, now time.Time, window time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	w, ok := m.windows[key]
	if !ok || !now.Before(w.end) {
		if !ok && len(m.windows) >= maxKeys {
			m.sweep(now)
			if len(m.windows) >= maxKeys {
				return
			}
		}
		w = failureWindow{end: now.Add(window)}
	}
	w.n++
	m.windows[key] = w
}

func (m *memoryFailures) sweep(now time.Time) {
	for k, w := range m.windows {
		if !now.Before(w.end) {
			delete(m.windows, k)
		}
	}
}

package db

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/rs/zerolog"
)

// Retry policy: a few quick attempts ride out a deadlock or a reconnect;
// anything that lasts longer is an outage the caller should see.
const (
	maxAttempts  = 4
	baseBackoff  = 20 * time.Millisecond
	maxBackoff   = 500 * time.Millisecond
	retryLogNote = "transient database error, retrying"
)

// Retry calls fn until it returns nil or an error that IsTransient rejects,
// up to four attempts with jittered exponential backoff. It returns fn's last
// error, or ctx's error when ctx ends while waiting. fn must be safe to run
// again: a whole transaction or an idempotent statement.
func Retry(ctx context.Context, fn func(ctx context.Context) error) error {
	var err error
	for attempt := 1; ; attempt++ {
		err = fn(ctx)
		if err == nil || !IsTransient(err) || attempt == maxAttempts {
			return err
		}
		wait := backoff(attempt)
		zerolog.Ctx(ctx).Warn().Err(err).Int("attempt", attempt).Dur("backoff", wait).Msg(retryLogNote)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// backoff is "full jitter": a random wait up to an exponentially growing
// cap, so writers that collided do not collide again in lockstep.
func backoff(attempt int) time.Duration {
	ceiling := min(baseBackoff<<(attempt-1), maxBackoff)
	return ceiling/2 + rand.N(ceiling/2+1)
}

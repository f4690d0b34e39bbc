package wechat

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// dedupKey names one message of account for dedup: MsgId with the
// sender, or for events (which have no MsgId) sender, CreateTime, Event
// and EventKey.
func dedupKey(prefix, account string, m *Message) string {
	if m.MsgID != "" {
		return prefix + "wechat:dedup:" + account + ":" + m.FromUserName + ":" + m.MsgID
	}
	return prefix + "wechat:dedup:" + account + ":" + m.FromUserName + ":" + strconv.FormatInt(m.CreateTime, 10) + ":" + m.Event + ":" + m.EventKey
}

// dedupStore marks messages before their chain runs and keeps each one's
// answer (the plaintext reply XML; empty for "success") for retries.
type dedupStore interface {
	// claim marks key for ttl and reports whether this caller took it.
	claim(ctx context.Context, key string, ttl time.Duration) (bool, error)
	// finish records the answer of key, which must not change afterwards.
	finish(ctx context.Context, key string, answer []byte, ttl time.Duration) error
	// wait returns key's answer once it is recorded. ok is false when ctx
	// ended first or the mark is gone.
	wait(ctx context.Context, key string) (answer []byte, ok bool, err error)
}

// memDedup keeps marks in process. Marks expire in claim order; each claim
// drops the expired ones at the front, so memory is bounded by the
// messages of one dedup_ttl.
type memDedup struct {
	mu    sync.Mutex
	marks map[string]*memMark
	order []memExpiry
}

type memMark struct {
	done     chan struct{}
	answer   []byte
	finished bool
	expires  time.Time
}

type memExpiry struct {
	key     string
	expires time.Time
}

func newMemDedup() *memDedup { return &memDedup{marks: map[string]*memMark{}} }

func (d *memDedup) claim(_ context.Context, key string, ttl time.Duration) (bool, error) {
	now := time.Now()
	d.mu.Lock()
	defer d.mu.Unlock()
	for len(d.order) > 0 && now.After(d.order[0].expires) {
		e := d.order[0]
		if m, ok := d.marks[e.key]; ok && !now.Before(m.expires) {
			delete(d.marks, e.key)
		}
		d.order[0] = memExpiry{}
		d.order = d.order[1:]
	}
	if m, ok := d.marks[key]; ok && now.Before(m.expires) {
		return false, nil
	}
	exp := now.Add(ttl)
	d.marks[key] = &memMark{done: make(chan struct{}), expires: exp}
	d.order = append(d.order, memExpiry{key: key, expires: exp})
	return true, nil
}

func (d *memDedup) finish(_ context.Context, key string, answer []byte, _ time.Duration) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if m, ok := d.marks[key]; ok && !m.finished {
		m.answer, m.finished = answer, true
		close(m.done)
	}
	return nil
}

func (d *memDedup) wait(ctx context.Context, key string) ([]byte, bool, error) {
	d.mu.Lock()
	m, ok := d.marks[key]
	d.mu.Unlock()
	if !ok {
		return nil, false, nil
	}
	select {
	case <-m.done:
		return m.answer, true, nil
	case <-ctx.Done():
		return nil, false, nil
	}
}

// redisDedup keeps marks in Redis: a claim is SET NX, so across instances
// one of them runs the chain. A mark is "r" while the chain runs and "d"
// followed by the answer once it finished.
type redisDedup struct {
	rc *redis.Client
}

func (d redisDedup) claim(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	ok, err := d.rc.SetNX(ctx, key, "r", ttl).Result()
	if err != nil {
		return false, fmt.Errorf("dedup claim: %w", err)
	}
	return ok, nil
}

func (d redisDedup) finish(ctx context.Context, key string, answer []byte, ttl time.Duration) error {
	v := make([]byte, 0, 1+len(answer))
	v = append(append(v, 'd'), answer...)
	if err := d.rc.Set(ctx, key, v, ttl).Err(); err != nil {
		return fmt.Errorf("dedup finish: %w", err)
	}
	return nil
}

// wait polls: a retry is rare, and a poll every few tens of milliseconds
// answers it well within WeChat's five seconds.
func (d redisDedup) wait(ctx context.Context, key string) ([]byte, bool, error) {
	delay := 10 * time.Millisecond
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil, false, nil
		case <-t.C:
		}
		v, err := d.rc.Get(ctx, key).Bytes()
		switch {
		case errors.Is(err, redis.Nil):
			return nil, false, nil
		case err != nil && ctx.Err() != nil:
			return nil, false, nil
		case err != nil:
			return nil, false, fmt.Errorf("dedup wait: %w", err)
		case len(v) > 0 && v[0] == 'd':
			return v[1:], true, nil
		}
		t.Reset(delay)
		delay = min(2*delay, 100*time.Millisecond)
	}
}

package wechat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Session is what units remember about one user of one account between
// messages: a small key/value map and the pinned unit. It lives for
// wechat_oa.session_ttl after the user's last message. A Session belongs to
// one turn; it is not safe for concurrent use.
type Session struct {
	values map[string]string
	pinned string
	dirty  bool
}

// Get returns the value of key, or "".
func (s *Session) Get(key string) string { return s.values[key] }

// Set stores value under key.
func (s *Session) Set(key, value string) {
	if s.values == nil {
		s.values = map[string]string{}
	}
	s.values[key] = value
	s.dirty = true
}

// Delete removes key.
func (s *Session) Delete(key string) {
	if _, ok := s.values[key]; ok {
		delete(s.values, key)
		s.dirty = true
	}
}

// Pinned returns the name of the pinned unit, or "".
func (s *Session) Pinned() string { return s.pinned }

func (s *Session) pin(unit string) {
	if s.pinned != unit {
		s.pinned, s.dirty = unit, true
	}
}

func (s *Session) empty() bool { return len(s.values) == 0 && s.pinned == "" }

// sessionWire is a session as stored.
type sessionWire struct {
	Values map[string]string `json:"v,omitempty"`
	Pinned string            `json:"p,omitempty"`
}

func (s *Session) marshal() ([]byte, error) {
	return json.Marshal(sessionWire{Values: s.values, Pinned: s.pinned})
}

func unmarshalSession(b []byte, into *Session) error {
	var w sessionWire
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("decode session: %w", err)
	}
	*into = Session{values: w.Values, pinned: w.Pinned}
	return nil
}

// sessionStore keeps sessions by key (account and openid). Load fills
// into (left empty when there is none); save with an empty session removes
// it; every save restarts its lifetime.
type sessionStore interface {
	load(ctx context.Context, key string, into *Session) error
	save(ctx context.Context, key string, s *Session, ttl time.Duration) error
}

// memSessions keeps sessions in process, for a single instance.
type memSessions struct {
	mu        sync.Mutex
	m         map[string]memSession
	nextSweep time.Time
}

type memSession struct {
	values  map[string]string
	pinned  string
	expires time.Time
}

func newMemSessions() *memSessions { return &memSessions{m: map[string]memSession{}} }

func (ms *memSessions) load(_ context.Context, key string, into *Session) error {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	e, ok := ms.m[key]
	if !ok || time.Now().After(e.expires) {
		*into = Session{}
		return nil
	}
	*into = Session{values: maps.Clone(e.values), pinned: e.pinned}
	return nil
}

func (ms *memSessions) save(_ context.Context, key string, s *Session, ttl time.Duration) error {
	now := time.Now()
	ms.mu.Lock()
	defer ms.mu.Unlock()
	if s.empty() {
		delete(ms.m, key)
	} else {
		ms.m[key] = memSession{values: maps.Clone(s.values), pinned: s.pinned, expires: now.Add(ttl)}
	}
	// Expired sessions go in a sweep at most every ttl/2, so memory stays
	// bounded by the users active within a lifetime and a half.
	if now.After(ms.nextSweep) {
		for k, e := range ms.m {
			if now.After(e.expires) {
				delete(ms.m, k)
			}
		}
		ms.nextSweep = now.Add(ttl / 2)
	}
	return nil
}

// redisSessions keeps sessions in Redis, shared by every instance.
type redisSessions struct {
	rc *redis.Client
}

func (rs redisSessions) load(ctx context.Context, key string, into *Session) error {
	b, err := rs.rc.Get(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) {
		*into = Session{}
		return nil
	}
	if err != nil {
		return fmt.Errorf("load session: %w", err)
	}
	return unmarshalSession(b, into)
}

func (rs redisSessions) save(ctx context.Context, key string, s *Session, ttl time.Duration) error {
	if s.empty() {
		return rs.rc.Del(ctx, key).Err()
	}
	b, err := s.marshal()
	if err != nil {
		return err
	}
	if err := rs.rc.Set(ctx, key, b, ttl).Err(); err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	return nil
}

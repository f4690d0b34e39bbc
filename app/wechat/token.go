package wechat

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// tokens hands out each account's access token from stable_token, cached
// until shortly before it expires, one refresh at a time per account: in
// process by a lock per appid, across instances by a Redis lock.
type tokens struct {
	api   *apiClient
	cache tokenCache

	mu    sync.Mutex
	locks map[string]*sync.Mutex
}

// tokenCache stores tokens by appid.
type tokenCache interface {
	get(ctx context.Context, appID string) (string, error)
	put(ctx context.Context, appID, token string, ttl time.Duration) error
	// drop removes appID's token when it still is bad.
	drop(ctx context.Context, appID, bad string) error
	// lock takes the refresh lock of appID across instances; unlock frees it.
	lock(ctx context.Context, appID string) (bool, error)
	unlock(ctx context.Context, appID string)
}

type stableTokenAnswer struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int64  `json:"expires_in"`
}

// get returns a good token for the account, fetching one when none is
// cached. Errors: the API's (an *APIError) or the cache's.
func (t *tokens) get(ctx context.Context, acc *Account) (string, error) {
	if tok, err := t.cache.get(ctx, acc.AppID); err != nil || tok != "" {
		return tok, err
	}
	l := t.lockFor(acc.AppID)
	l.Lock()
	defer l.Unlock()
	for range 50 { // another instance refreshing: wait up to ~5s for it
		if tok, err := t.cache.get(ctx, acc.AppID); err != nil || tok != "" {
			return tok, err
		}
		got, err := t.cache.lock(ctx, acc.AppID)
		if err != nil {
			return "", err
		}
		if got {
			defer t.cache.unlock(context.WithoutCancel(ctx), acc.AppID)
			return t.fetch(ctx, acc)
		}
		timer := time.NewTimer(100 * time.Millisecond)
		select {
		case <-ctx.Done():
			timer.Stop()
			return "", ctx.Err()
		case <-timer.C:
		}
	}
	return t.fetch(ctx, acc)
}

// fetch asks stable_token and caches the answer until five minutes (or
// half its life, if shorter) before it expires.
func (t *tokens) fetch(ctx context.Context, acc *Account) (string, error) {
	if acc.AppSecret == "" {
		return "", ErrNoCustomAPI
	}
	var ans stableTokenAnswer
	err := t.api.post(ctx, "stable_token", "/cgi-bin/stable_token", nil, map[string]any{
		"grant_type": "client_credential", "appid": acc.AppID, "secret": acc.AppSecret, "force_refresh": false,
	}, &ans)
	if err != nil {
		return "", err
	}
	if ans.AccessToken == "" || ans.ExpiresIn <= 0 {
		return "", errors.New("stable_token: answer without access_token or expires_in")
	}
	life := time.Duration(ans.ExpiresIn) * time.Second
	if err := t.cache.put(ctx, acc.AppID, ans.AccessToken, life-min(5*time.Minute, life/2)); err != nil {
		return "", err
	}
	return ans.AccessToken, nil
}

// invalidate drops a token WeChat refused, so the next get fetches anew.
func (t *tokens) invalidate(ctx context.Context, acc *Account, bad string) error {
	return t.cache.drop(ctx, acc.AppID, bad)
}

func (t *tokens) lockFor(appID string) *sync.Mutex {
	t.mu.Lock()
	defer t.mu.Unlock()
	l, ok := t.locks[appID]
	if !ok {
		l = &sync.Mutex{}
		t.locks[appID] = l
	}
	return l
}

// memTokens caches tokens in process; its lock always succeeds, the
// in-process lock of tokens being enough for one instance.
type memTokens struct {
	mu sync.Mutex
	m  map[string]memToken
}

type memToken struct {
	token   string
	expires time.Time
}

func (m *memTokens) get(_ context.Context, appID string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.m[appID]; ok && time.Now().Before(e.expires) {
		return e.token, nil
	}
	return "", nil
}

func (m *memTokens) put(_ context.Context, appID, token string, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.m[appID] = memToken{token: token, expires: time.Now().Add(ttl)}
	return nil
}

func (m *memTokens) drop(_ context.Context, appID, bad string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m[appID].token == bad {
		delete(m.m, appID)
	}
	return nil
}

func (m *memTokens) lock(context.Context, string) (bool, error) { return true, nil }
func (m *memTokens) unlock(context.Context, string)             {}

// redisTokens caches tokens in Redis, shared by every instance.
type redisTokens struct {
	rc     *redis.Client
	prefix func() string
}

func (r redisTokens) key(appID string) string { return r.prefix() + "wechat:token:" + appID }

func (r redisTokens) get(ctx context.Context, appID string) (string, error) {
	tok, err := r.rc.Get(ctx, r.key(appID)).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("token cache: %w", err)
	}
	return tok, nil
}

func (r redisTokens) put(ctx context.Context, appID, token string, ttl time.Duration) error {
	if err := r.rc.Set(ctx, r.key(appID), token, ttl).Err(); err != nil {
		return fmt.Errorf("token cache: %w", err)
	}
	return nil
}

// drop compares then deletes; should another instance store a new token
// in between, deleting it costs one more stable_token call, which answers
// the same token anyway.
func (r redisTokens) drop(ctx context.Context, appID, bad string) error {
	if tok, err := r.get(ctx, appID); err != nil || tok != bad {
		return err
	}
	return r.rc.Del(ctx, r.key(appID)).Err()
}

func (r redisTokens) lock(ctx context.Context, appID string) (bool, error) {
	ok, err := r.rc.SetNX(ctx, r.key(appID)+":lock", "1", 10*time.Second).Result()
	if err != nil {
		return false, fmt.Errorf("token lock: %w", err)
	}
	return ok, nil
}

func (r redisTokens) unlock(ctx context.Context, appID string) {
	r.rc.Del(ctx, r.key(appID)+":lock")
}

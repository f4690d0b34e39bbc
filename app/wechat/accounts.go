package wechat

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"gomicro/app/config"
)

// recheck bounds how long a database account is served from memory
// without a look at the database, for changes made around the admin API
// (or, without Redis, on another instance).
const recheck = time.Minute

// accounts finds an account by name: first among wechat_oa.accounts of the
// config in force, then among the database's. Both are held in memory, built
// anew when the config changes or the database generation moves (every
// admin write moves it), so a message never waits on the database unless
// something changed.
type accounts struct {
	store *config.Store
	db    *Store // nil: config accounts only
	gen   generation
	units []*Unit

	fromCfg atomic.Pointer[cfgAccounts]
	fromDB  atomic.Pointer[dbAccounts]
	mu      sync.Mutex // one database reload at a time
}

type cfgAccounts struct {
	cfg    *config.Config
	byName map[string]*Account
}

type dbAccounts struct {
	gen    int64
	loaded time.Time
	byName map[string]*Account
}

// find returns the account called name. Errors: ErrUnknownAccount, or the
// database's when it has never been read.
func (a *accounts) find(ctx context.Context, name string) (*Account, error) {
	if !validName(name) {
		return nil, ErrUnknownAccount
	}
	if acc, ok := a.config(ctx).byName[name]; ok {
		return acc, nil
	}
	snap, err := a.database(ctx)
	if err != nil {
		return nil, err
	}
	if acc, ok := snap.byName[name]; ok {
		return acc, nil
	}
	return nil, ErrUnknownAccount
}

// validName is config.WeChatOAName without the regexp, on the hot path.
func validName(name string) bool {
	if len(name) == 0 || len(name) > 32 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func (a *accounts) config(ctx context.Context) *cfgAccounts {
	cfg := a.store.Current()
	if c := a.fromCfg.Load(); c != nil && c.cfg == cfg {
		return c
	}
	c := &cfgAccounts{cfg: cfg, byName: map[string]*Account{}}
	for name, ac := range cfg.WeChatOA.Accounts {
		spec := accountSpec{
			Name: name, Source: SourceConfig, AppID: ac.AppID, AppSecret: ac.AppSecret, Token: ac.Token,
			EncodingAESKey: ac.EncodingAESKey, OldEncodingAESKey: ac.OldEncodingAESKey,
			Welcome: ac.Welcome, ForwardURL: ac.ForwardURL, Units: ac.Units,
		}
		for _, k := range ac.Keywords {
			spec.Rules = append(spec.Rules, Rule{Match: k.Match, Pattern: k.Pattern, Reply: k.Reply, Priority: k.Priority})
		}
		c.byName[name] = a.build(ctx, spec)
	}
	a.fromCfg.Store(c) // two builders racing store equal values
	return c
}

func (a *accounts) build(ctx context.Context, spec accountSpec) *Account {
	acc, problems := spec.build(a.units)
	for _, p := range problems {
		zerolog.Ctx(ctx).Warn().Str("account", spec.Name).Str("source", spec.Source).Msg("wechat account: " + p)
	}
	return acc
}

// database returns the database accounts, reloading them when the
// generation moved or recheck passed. When a reload fails the last good
// set is kept; with none yet the error is returned.
func (a *accounts) database(ctx context.Context) (*dbAccounts, error) {
	if a.db == nil {
		return &dbAccounts{}, nil
	}
	gen, genErr := a.gen.current(ctx)
	fresh := func(s *dbAccounts) bool {
		return s != nil && (genErr != nil || s.gen == gen) && time.Since(s.loaded) < recheck
	}
	if s := a.fromDB.Load(); fresh(s) {
		return s, nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if s := a.fromDB.Load(); fresh(s) {
		return s, nil
	}
	specs, err := a.db.loadAll(ctx)
	if err != nil {
		if s := a.fromDB.Load(); s != nil {
			zerolog.Ctx(ctx).Warn().Err(err).Msg("wechat accounts: reload failed; serving the last set read")
			return s, nil
		}
		return nil, fmt.Errorf("load wechat accounts: %w", err)
	}
	s := &dbAccounts{gen: gen, loaded: time.Now(), byName: make(map[string]*Account, len(specs))}
	inConfig := a.store.Current().WeChatOA.Accounts
	for _, spec := range specs {
		if _, ok := inConfig[spec.Name]; ok {
			zerolog.Ctx(ctx).Warn().Str("account", spec.Name).Msg("wechat account in both config and the database: config's serves the callback")
		}
		s.byName[spec.Name] = a.build(ctx, spec)
	}
	a.fromDB.Store(s)
	return s, nil
}

// changed tells every instance that database accounts changed.
func (a *accounts) changed(ctx context.Context) {
	if err := a.gen.bump(ctx); err != nil {
		zerolog.Ctx(ctx).Error().Err(err).Msg("wechat accounts: could not announce a change; other instances see it within a minute")
	}
}

// generation counts changes to database accounts.
type generation interface {
	current(ctx context.Context) (int64, error)
	bump(ctx context.Context) error
}

type memGeneration struct{ n atomic.Int64 }

func (g *memGeneration) current(context.Context) (int64, error) { return g.n.Load(), nil }
func (g *memGeneration) bump(context.Context) error             { g.n.Add(1); return nil }

// redisGeneration shares the count through Redis, so a change made on one
// instance applies to the next message on all of them.
type redisGeneration struct {
	rc     *redis.Client
	prefix func() string
}

func (g redisGeneration) key() string { return g.prefix() + "wechat:accounts:generation" }

func (g redisGeneration) current(ctx context.Context) (int64, error) {
	v, err := g.rc.Get(ctx, g.key()).Result()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(v, 10, 64)
}

func (g redisGeneration) bump(ctx context.Context) error { return g.rc.Incr(ctx, g.key()).Err() }

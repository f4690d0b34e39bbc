package wechat

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"gomicro/app/config"
	"gomicro/app/module"
	"gomicro/app/trace"
	"gomicro/app/xxljob"
)

// Deps is what the module is built from. Store is required.
type Deps struct {
	Store *config.Store
	// DB holds the accounts and rules of the admin API; nil serves config
	// accounts only, without the admin API.
	DB *gorm.DB
	// Redis, when set, holds dedup marks, replies, sessions, tokens and
	// the accounts' change count, so instances behave as one.
	Redis *redis.Client
	// Metrics receives the module's metrics; nil keeps them private.
	Metrics prometheus.Registerer
	// Units are the service's own units beside the built-in ones.
	Units []Unit
	// Transport does the round trips of WeChat API and forward calls,
	// under trace.Transport; nil means http.DefaultTransport.
	Transport http.RoundTripper
}

// Service is the Official Account module: the callback, the chain, the
// admin API and the customer-service sender. It is safe for concurrent use.
type Service struct {
	store    *config.Store
	rc       *redis.Client
	accounts *accounts
	db       *Store
	sessions sessionStore
	dedup    dedupStore
	tokens   *tokens
	api      *apiClient
	metrics  *metrics
	// setupErr is what New could not do (a metric clash, a unit dropped);
	// Start reports it.
	setupErr error

	// runs counts chains (and their late replies) still going.
	runs sync.WaitGroup
	// agent is set by Start with wechat_oa.dispatch: amqp.
	agent atomic.Pointer[agent]
}

// New builds the module. It starts nothing and cannot fail; Start reports
// what went wrong.
func New(d Deps) *Service {
	reg := d.Metrics
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m, merr := newMetrics(reg)
	httpc := &http.Client{Transport: &trace.Transport{Base: d.Transport}}
	s := &Service{store: d.Store, rc: d.Redis, metrics: m}
	s.api = &apiClient{http: httpc, store: d.Store, metrics: m}
	units, uerr := unitList([]Unit{
		voiceTextUnit(), welcomeUnit(), keywordUnit(),
		forwardUnit(httpc, func() time.Duration { return d.Store.Current().WeChatOA.ForwardTimeout }),
	}, d.Units)
	s.setupErr = errors.Join(merr, uerr)
	if d.DB != nil {
		s.db = NewStore(d.DB)
	}
	s.accounts = &accounts{store: d.Store, db: s.db, units: units}
	if d.Redis != nil {
		s.accounts.gen = redisGeneration{rc: d.Redis, prefix: s.prefix}
		s.sessions = redisSessions{rc: d.Redis}
		s.dedup = redisDedup{rc: d.Redis}
		s.tokens = &tokens{api: s.api, cache: redisTokens{rc: d.Redis, prefix: s.prefix}, locks: map[string]*sync.Mutex{}}
	} else {
		s.accounts.gen = &memGeneration{}
		s.sessions = newMemSessions()
		s.dedup = newMemDedup()
		s.tokens = &tokens{api: s.api, cache: &memTokens{m: map[string]memToken{}}, locks: map[string]*sync.Mutex{}}
	}
	return s
}

// Module returns New(d)'s contributions; the one line of app/modules.
func Module(d Deps) module.Spec { return New(d).Spec() }

// Spec returns what the module contributes: the callback route, the admin
// API and its schema, the send task, and Start/Stop for chains that
// outlive their request.
func (s *Service) Spec() module.Spec {
	spec := module.Spec{
		Name:   "wechat",
		Routes: func(r gin.IRoutes) { newCallback(s).register(r) },
		Tasks:  map[string]xxljob.Handler{"wechat_send_task": SendTask(s)},
		Start:  s.Start,
		Stop:   s.Stop,
	}
	if s.db != nil {
		spec.Migrations = Migrations()
		spec.Ops = func(api huma.API) { newAdmin(s).register(api) }
	}
	if s.store.Current().WeChatOA.Dispatch == config.DispatchAMQP {
		spec.Checks = []module.Check{s.agentCheck()}
	}
	return spec
}

// Start reports what New could not set up, lists the accounts of config,
// warning about their problems once, and with wechat_oa.dispatch: amqp
// connects to the broker (read at start; a change applies at restart).
// Errors: the setup's, or config.ErrInvalid for amqp without Redis.
func (s *Service) Start(ctx context.Context) error {
	if s.setupErr != nil {
		return fmt.Errorf("wechat: %w", s.setupErr)
	}
	cfg := s.store.Current()
	c := s.accounts.config(ctx)
	zerolog.Ctx(ctx).Info().Int("config_accounts", len(c.byName)).Bool("database", s.db != nil).Bool("redis", s.rc != nil).Str("dispatch", cfg.WeChatOA.Dispatch).Msg("wechat official accounts ready")
	if cfg.WeChatOA.Dispatch != config.DispatchAMQP {
		return nil
	}
	if s.rc == nil || cfg.AMQP.URL == "" {
		return fmt.Errorf("%w: wechat_oa.dispatch amqp needs amqp.url and a Redis client", config.ErrInvalid)
	}
	s.startAgent(ctx, cfg)
	return nil
}

// Stop waits until ctx ends for chains still running after their request
// and their late replies, then closes the broker connection of amqp
// dispatch. Each chain is bounded by its own deadline (reply_timeout or
// forward_timeout, the longer); the error says Stop gave up on the ones
// still running, or what failed to close.
func (s *Service) Stop(ctx context.Context) error {
	done := make(chan struct{})
	go func() { s.runs.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = fmt.Errorf("wechat: chains still running at shutdown: %w", ctx.Err())
	}
	if a := s.agent.Load(); a != nil {
		err = errors.Join(err, a.stop())
	}
	return err
}

// prefix is redis.key_prefix, read per use so a reload applies.
func (s *Service) prefix() string { return s.store.Current().Redis.KeyPrefix }

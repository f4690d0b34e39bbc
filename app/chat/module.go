package chat

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"

	"gomicro/app/auth"
	"gomicro/app/config"
	"gomicro/app/module"
)

// Deps is what the chat module is built from.
type Deps struct {
	Store *config.Store // the chat section (and redis.key_prefix), read per use
	DB    *gorm.DB      // chat tables, set up by Migrations after app/auth's
	Users *auth.Service // bearer checks and the bot's account
	// Redis carries events between instances; nil: one instance, in process.
	Redis   *redis.Client
	Metrics prometheus.Registerer
	// Commands returns every module's bot commands (this one's included),
	// read once at Start; nil: this module's own.
	Commands func() []module.Command
}

// Module returns the chat module's contributions: REST operations, the
// socket and page routes, the MQTT gateway's Chat handlers, the built-in
// bot commands, and the hub, Redis subscription and bot as background
// work.
func Module(d Deps) module.Spec {
	m := newModule(d)
	return module.Spec{
		Name:       "chat",
		Migrations: Migrations(),
		API: func(api huma.API) {
			(&Controller{svc: m.svc}).Register(d.Users.Protect(api))
		},
		Routes: func(r gin.IRoutes) {
			r.GET("/api/v1/chats/:uri/ws", m.sockets.serve)
			registerPage(r)
		},
		Gateway:  m.rooms.handlers(),
		Commands: builtinCommands(m.svc),
		Start:    m.start,
		Stop:     m.stop,
	}
}

// chatModule is the module's running state.
type chatModule struct {
	deps     Deps
	svc      *Service
	sockets  *sockets
	rooms    *rooms
	cancel   context.CancelFunc
	routines sync.WaitGroup
}

func newModule(d Deps) *chatModule {
	id := make([]byte, 8)
	_, _ = rand.Read(id)
	instance := hex.EncodeToString(id)
	prefix := d.Store.Current().Redis.KeyPrefix
	met := newMetrics(d.Metrics)
	hub := newHub(met)
	svc := &Service{
		store: NewStore(d.DB), cfg: d.Store, metrics: met, now: storedNow,
		relay:    &relay{hub: hub, rc: d.Redis, channel: prefix + "chat:events", instance: instance, metrics: met},
		presence: newPresence(d.Redis, prefix, instance),
	}
	svc.bot = &Bot{svc: svc}
	return &chatModule{deps: d, svc: svc, sockets: &sockets{svc: svc, users: d.Users, hub: hub, cfg: d.Store}, rooms: newRooms(svc, hub, d.Users)}
}

// start indexes the bot's commands, starts the bot and, with Redis, the
// subscription (waiting a moment for it, so a fresh instance does not miss
// the first events) and the presence refresh.
func (m *chatModule) start(ctx context.Context) error {
	m.rooms.setBase(ctx)
	cmds := builtinCommands(m.svc)
	if m.deps.Commands != nil {
		cmds = m.deps.Commands()
	}
	if err := m.svc.bot.setCommands(cmds); err != nil {
		return err
	}
	if err := m.svc.bot.start(ctx, m.deps.Users); err != nil {
		return err
	}
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	m.cancel = cancel
	if m.deps.Redis == nil {
		return nil
	}
	ready := make(chan struct{})
	m.routines.Go(func() { m.svc.relay.run(rctx, ready) })
	m.routines.Go(func() { m.svc.presence.refresh(rctx) })
	select {
	case <-ready:
	case <-time.After(max(m.deps.Store.Current().Redis.DialTimeout, time.Second)):
		// Redis is down: serve anyway; the relay subscribes once it is back
		// and sockets then catch up from the database.
	}
	return nil
}

// stop runs after the HTTP drain: sockets close with 1001, queued bot
// answers are posted, the subscription ends.
func (m *chatModule) stop(ctx context.Context) error {
	err := m.sockets.hub.shutdown(ctx)
	err = errors.Join(err, m.svc.bot.shutdown(ctx))
	if m.cancel != nil {
		m.cancel()
	}
	m.routines.Wait()
	return err
}

// storedNow is the clock of stored times: MySQL keeps milliseconds, so a
// value answered before and after a round trip through the table is equal.
func storedNow() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

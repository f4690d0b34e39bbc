// Package gateway is the MQTT gateway of cmd/server, after mqant's gate: an
// embedded broker (mochi-mqtt) whose publishes are routed instead of
// relayed. A client publishes to Module/HD_Handler[/msgid] with a JSON body;
// the gateway calls that module's handler and, when a msgid is given,
// answers on the same topic, to that connection only:
// {"Trace":"…","Error":"","Result":…}. Clients never receive one
// another's publishes; modules push to a connection directly.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"gomicro/app/config"
	"gomicro/app/module"
)

// Deps is what the gateway is built from.
type Deps struct {
	// Store gives the mqtt section; it is read at Start (mqtt.* keys take
	// effect at restart) except call_timeout, read per call.
	Store *config.Store
	// Metrics receives the gateway's metrics at Start.
	Metrics prometheus.Registerer
	// Handlers are every module's gateway handlers.
	Handlers []module.Handler
}

// Gateway is the embedded broker and its router.
type Gateway struct {
	store    *config.Store
	reg      prometheus.Registerer
	handlers map[string]map[string]module.Handler // module → name → handler
	metrics  *metrics

	log      zerolog.Logger
	srv      *mqtt.Server
	tcp, ws  net.Addr
	calls    sync.WaitGroup
	mu       sync.Mutex
	sessions map[string]*session // by session id (the rewritten client id)
	seq      uint64
}

// New returns a gateway routing to handlers. It starts nothing.
func New(d Deps) *Gateway {
	g := &Gateway{store: d.Store, reg: d.Metrics, handlers: map[string]map[string]module.Handler{}, sessions: map[string]*session{}}
	for _, h := range d.Handlers {
		if g.handlers[h.Module] == nil {
			g.handlers[h.Module] = map[string]module.Handler{}
		}
		g.handlers[h.Module][h.Name] = h
	}
	return g
}

// Module returns the gateway's contributions: its broker starts with the
// server and stops after the HTTP drain.
func Module(g *Gateway) module.Spec {
	return module.Spec{Name: "gateway", Start: g.Start, Stop: g.Stop}
}

// Start listens on mqtt.host:port (TCP) and ws_port (WebSocket) and serves
// in the background; with mqtt.enabled false it does nothing. The error
// reports a port that cannot be listened on or a metrics clash.
func (g *Gateway) Start(ctx context.Context) error {
	cfg := g.store.Current().MQTT
	if !cfg.Enabled {
		return nil
	}
	g.log = zerolog.Ctx(ctx).With().Str("component", "mqtt").Logger()
	m, err := newMetrics(g.reg, g.handlers)
	if err != nil {
		return fmt.Errorf("mqtt metrics: %w", err)
	}
	g.metrics = m
	caps := mqtt.NewDefaultServerCapabilities()
	caps.MaximumClients = int64(cfg.MaxConnections)
	// Room for the topic and headers beside the largest payload; a bigger
	// packet closes that one connection before its body is read.
	caps.MaximumPacketSize = uint32(cfg.MaxPayload + 4096)
	caps.RetainAvailable = 0 // nothing is relayed, so nothing is retained
	caps.MaximumQos = 1
	// Every connection has an id of its own, so no session is ever
	// resumed: the broker forgets a client at its next sweep once it is
	// gone (by default it keeps them for ever, one left before its CONNACK
	// included).
	caps.MaximumSessionExpiryInterval = 0
	// Sessions write their packets themselves; the broker's own queue
	// only carries what it relays (nothing). Its default, 8,192 slots, was
	// 64 KiB of every connection.
	caps.MaximumClientWritesPending = 16
	g.srv = mqtt.New(&mqtt.Options{
		Capabilities:           caps,
		Logger:                 newSlog(g.log),
		SysTopicResendInterval: 1 << 30, // $SYS topics reach no one anyway
	})
	if err := g.srv.AddHook(&hook{g: g}, nil); err != nil {
		return fmt.Errorf("mqtt hook: %w", err)
	}
	tcp, err := net.Listen("tcp", net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)))
	if err != nil {
		return fmt.Errorf("listen on mqtt.port %d: %w", cfg.Port, err)
	}
	ws, err := net.Listen("tcp", net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.WSPort)))
	if err != nil {
		return errors.Join(fmt.Errorf("listen on mqtt.ws_port %d: %w", cfg.WSPort, err), tcp.Close())
	}
	g.tcp, g.ws = tcp.Addr(), ws.Addr()
	for _, l := range []listeners.Listener{newTCPListener(tcp, g.closeClients), newWSListener(ws, g.closeClients)} {
		if err := g.srv.AddListener(l); err != nil {
			return errors.Join(fmt.Errorf("mqtt listener %s: %w", l.ID(), err), tcp.Close(), ws.Close())
		}
	}
	if err := g.srv.Serve(); err != nil {
		return fmt.Errorf("mqtt serve: %w", err)
	}
	g.log.Info().Str("addr", g.tcp.String()).Str("ws_addr", g.ws.String()).Msg("mqtt listening")
	return nil
}

// closeClients disconnects the clients of one listener, each on a goroutine
// of its own: the DISCONNECT written first may wait on a peer that stopped
// reading, and shutdown must not.
func (g *Gateway) closeClients(listener string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, s := range g.sessions {
		if s.cl.Net.Listener == listener {
			go func() { _ = g.srv.DisconnectClient(s.cl, packets.ErrServerShuttingDown) }()
		}
	}
}

// Addr returns the TCP listening address, nil before Start.
func (g *Gateway) Addr() net.Addr { return g.tcp }

// WSAddr returns the WebSocket listening address, nil before Start.
func (g *Gateway) WSAddr() net.Addr { return g.ws }

// Stop closes the listeners and every connection, then waits for the
// handler calls still running (they see their ctx cancelled) until ctx
// ends. The error wraps ctx's when calls are still running then.
func (g *Gateway) Stop(ctx context.Context) error {
	if g.srv == nil {
		return nil
	}
	err := g.srv.Close()
	g.mu.Lock()
	for _, s := range g.sessions {
		s.end()
	}
	g.mu.Unlock()
	done := make(chan struct{})
	go func() { g.calls.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		err = errors.Join(err, fmt.Errorf("mqtt calls still running: %w", ctx.Err()))
	}
	return err
}

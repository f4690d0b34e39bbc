package wechat

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"gomicro/app/amqpclient"
	"gomicro/app/config"
	"gomicro/app/module"
	"gomicro/app/web"
)

// WorkerDeps is what a worker needs beside the module's service. Logger and
// Registry are required.
type WorkerDeps struct {
	Logger   zerolog.Logger
	Registry *prometheus.Registry
	Version  string
	// Checks are the shared parts' probes (database, config, Redis), shown
	// on the worker's /readyz with its own broker check.
	Checks []module.Check
}

// Worker is `server wechat-worker`: it consumes the messages agents
// publish, runs each down its account's chain with the service's units
// and sessions, and stores the reply for the agent in Redis (or sends it
// through the customer-service API once the agent answered success). It
// serves /healthz, /readyz and /metrics on wechat_oa.worker_port.
type Worker struct {
	s  *Service
	d  WorkerDeps
	tp topology
	ho handover

	client *amqpclient.Client
	pub    *amqpclient.Publisher // dead letters
	srv    *http.Server
	ln     net.Listener

	consuming atomic.Bool
	inflight  sync.WaitGroup     // handlers of every session, old ones included
	stopping  chan struct{}      // closed by Stop: take no new message
	hard      context.Context    // the chains' parent, cancelled when Stop runs out of time
	cutoff    context.CancelFunc // cancels hard
	loopDone  chan struct{}
	serveErr  chan error
	stopOnce  sync.Once
}

// NewWorker returns a worker running s's chains. It starts nothing.
func NewWorker(s *Service, d WorkerDeps) *Worker {
	return &Worker{s: s, d: d, ho: handover{rc: s.rc, prefix: s.prefix}, stopping: make(chan struct{}), loopDone: make(chan struct{})}
}

// Start listens on server.host:wechat_oa.worker_port, connects to the
// broker (consumption starts once it answers, and again after every loss)
// and starts consuming. Errors: config.ErrInvalid without amqp.url or
// Redis, the service's setup error, or the listener's.
func (w *Worker) Start(ctx context.Context) error {
	cfg := w.s.store.Current()
	if cfg.AMQP.URL == "" || w.s.rc == nil {
		return fmt.Errorf("%w: wechat-worker needs amqp.url and redis.addr", config.ErrInvalid)
	}
	if w.s.setupErr != nil {
		return fmt.Errorf("wechat: %w", w.s.setupErr)
	}
	w.tp = topologyOf(cfg)
	engine, err := web.NewEngine(web.Deps{
		Store: w.s.store, Logger: w.d.Logger, Registry: w.d.Registry, Version: w.d.Version,
		Checks: append(append([]module.Check(nil), w.d.Checks...), w.check()),
	})
	if err != nil {
		return fmt.Errorf("wechat worker: %w", err)
	}
	w.ln, err = net.Listen("tcp", net.JoinHostPort(cfg.Server.Host, strconv.Itoa(cfg.WeChatOA.WorkerPort)))
	if err != nil {
		return fmt.Errorf("wechat worker: listen: %w", err)
	}
	w.srv = &http.Server{
		Handler: engine, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: cfg.Server.ReadTimeout,
		WriteTimeout: cfg.Server.WriteTimeout, IdleTimeout: cfg.Server.IdleTimeout,
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	w.serveErr = make(chan error, 1)
	go func() { w.serveErr <- w.srv.Serve(w.ln) }()
	zerolog.Ctx(ctx).Info().Str("addr", w.ln.Addr().String()).Str("queue", w.tp.queue).
		Int("workers", cfg.WeChatOA.Workers).Int("prefetch", cfg.AMQP.Prefetch).Msg("listening")

	w.client = amqpclient.Open(ctx, cfg.AMQP, cfg.App.Name+" wechat worker")
	w.pub = w.client.NewPublisher(w.tp.declare)
	w.hard, w.cutoff = context.WithCancel(context.WithoutCancel(ctx))
	go w.consume(w.hard)
	return nil
}

// Addr is the address of the worker's HTTP listener, once started.
func (w *Worker) Addr() string { return w.ln.Addr().String() }

// check is the worker's /readyz entry: required, since a worker without
// the broker has nothing to do.
func (w *Worker) check() module.Check {
	return module.Check{Name: "amqp", Required: true, Probe: func(context.Context) (string, error) {
		switch {
		case w.client == nil || w.client.Current() == nil:
			return "", amqpclient.ErrNotConnected
		case !w.consuming.Load():
			return w.tp.queue, errors.New("wechat worker: not consuming")
		}
		return w.tp.queue, nil
	}}
}

// Stop stops consuming, lets the messages in hand finish until ctx ends,
// then cuts the rest short and gives them back to the broker (nack with
// requeue), as it does with the ones taken but not begun; then it closes
// the broker connection and the HTTP listener. Messages given back are
// logged, not an error: another worker takes them.
func (w *Worker) Stop(ctx context.Context) error {
	if w.srv == nil {
		return nil // never started
	}
	var err error
	w.stopOnce.Do(func() {
		zerolog.Ctx(w.hard).Info().Msg("wechat worker stopping: no new messages; finishing the ones in hand")
		close(w.stopping)
		select {
		case <-w.loopDone:
		case <-ctx.Done():
			zerolog.Ctx(ctx).Warn().Msg("wechat worker: shutdown timeout; cutting the chains in hand short and requeueing their messages")
			w.cutoff()
			<-w.loopDone
		}
		w.cutoff()
		err = errors.Join(w.pub.Close(), w.client.Close())
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if serr := w.srv.Shutdown(sctx); serr != nil {
			err = errors.Join(err, fmt.Errorf("wechat worker: http shutdown: %w", serr))
		}
		if serr := <-w.serveErr; !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, fmt.Errorf("wechat worker: serve: %w", serr))
		}
	})
	return err
}

func (w *Worker) stopped() bool {
	select {
	case <-w.stopping:
		return true
	default:
		return false
	}
}

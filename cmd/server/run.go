package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/rs/zerolog"

	"gomicro/app/config"
	"gomicro/app/db"
	"gomicro/app/demo"
	"gomicro/app/logging"
	"gomicro/app/nacos"
	"gomicro/app/web"
	"gomicro/app/wecom"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// run wires the server from its arguments and environment and serves until
// ctx is cancelled (SIGINT/SIGTERM), then shuts down gracefully. Errors
// caused by configuration wrap config.ErrInvalid.
func run(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	loader, cfg, rest, err := config.Boot("server", args, environ, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	store := config.NewStore(cfg, config.Meta{Source: config.SourceLocal, RefreshedAt: time.Now()})

	logs, err := logging.New(cfg, logging.Options{Bin: "server", Stdout: stdout, Stderr: stderr, Environ: environ})
	if err != nil {
		return fmt.Errorf("%w: %w", config.ErrInvalid, err)
	}
	defer logs.Close()
	// Error lines go to WeCom once alerts start (wechat.alert.enabled).
	alerts := &wecom.AlertSlot{}
	base := logs.Root(store, loader.Selection().Path, version, alerts)
	ctx = base.WithContext(ctx)

	if cfg.Server.AdminToken == "" && cfg.Env != "test" {
		base.Warn().Msg("server.admin_token is empty: ops endpoints answer loopback clients only, and behind a same-host proxy or sidecar every client is loopback; set APP_SERVER_ADMIN_TOKEN")
	}

	var sub string
	if len(rest) > 0 {
		sub = rest[0]
	}
	if len(rest) > 1 || (sub != "" && sub != "migrate") {
		return fmt.Errorf("%w: unknown arguments %q (known subcommand: migrate)", config.ErrInvalid, rest)
	}

	// Business config comes from Nacos when nacos.host is set; start-up is
	// bounded and falls back to our snapshot, then to the local file.
	nc, err := nacos.New(ctx, cfg.Nacos, loader, store)
	if err != nil {
		return err
	}
	defer closeNacos(context.WithoutCancel(ctx), nc, 5*time.Second)
	cfg = store.Current()

	dbs, err := db.NewRegistry(ctx, cfg)
	if err != nil {
		return fmt.Errorf("%w: %w", config.ErrInvalid, err)
	}
	defer dbs.Close()
	dbs.Watch(store)
	gdb, err := dbs.Default(ctx)
	if err != nil {
		return err
	}
	if sub == "migrate" {
		return db.Migrate(ctx, gdb, migrations())
	}
	if cfg.Database.AutoMigrate {
		if err := db.Migrate(ctx, gdb, migrations()); err != nil {
			return err
		}
	}

	robots, err := wecom.New(ctx, cfg.WeChat, wecom.Options{})
	if err != nil {
		return err
	}
	robots.Watch(store)
	alerter, err := alerts.StartAlerts(ctx, robots, cfg)
	if err != nil {
		return err
	}
	defer flush(ctx, cfg.Server.ShutdownTimeout, alerter, robots)

	engine, err := web.NewEngine(web.Deps{
		Store:    store,
		Logger:   base,
		Registry: web.NewRegistry(logs.Collector()),
		Version:  version,
		Checks: []web.Check{
			{Name: "database", Required: true, Probe: func(ctx context.Context) (string, error) {
				return store.Current().Database.Driver, dbs.Ping(ctx)
			}},
			{Name: "config", Required: false, Probe: nc.Probe},
		},
		Modules: []web.Registrar{
			demo.NewController(demo.NewService(demo.NewStore(gdb))),
		},
		Ops: []web.Registrar{
			nacos.NewController(nc),
		},
	})
	if err != nil {
		return err
	}
	return serve(ctx, cfg.Server, engine, hooks{
		listening: func(ctx context.Context, port int) error {
			_, err := nc.RegisterInstance(ctx, port)
			return err
		},
		// Leave Nacos naming before draining, so callers stop being sent
		// here; take at most a third of the drain time for it.
		stopping: func(sctx context.Context) {
			closeNacos(sctx, nc, min(5*time.Second, cfg.Server.ShutdownTimeout/3))
		},
	})
}

// flush sends what alerts and robot queues still hold, after the HTTP
// drain, within another shutdown_timeout; what cannot be sent is logged
// whole by the WeCom client.
func flush(ctx context.Context, timeout time.Duration, alerter *wecom.Alerter, robots *wecom.Client) {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	var err error
	if alerter != nil {
		err = alerter.Close(sctx)
	}
	if err = errors.Join(err, robots.Close(sctx)); err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Msg("wecom flush")
	}
}

// closeNacos deregisters and stops the Nacos client within limit (and
// ctx); it is idempotent, so both the shutdown path and the deferred
// cleanup call it.
func closeNacos(ctx context.Context, nc *nacos.Client, limit time.Duration) {
	cctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	if err := nc.Close(cctx); err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Msg("nacos close")
	}
}

// migrations lists every module's schema steps, in order. IDs are unique
// across modules and never edited once released.
func migrations() []db.Migration {
	return demo.Migrations()
}

// hooks run at the edges of serving: listening once the port is known,
// stopping as soon as shutdown begins.
type hooks struct {
	listening func(ctx context.Context, port int) error
	stopping  func(ctx context.Context)
}

// serve listens and serves until ctx is done, then stops accepting and lets
// in-flight requests finish within server.shutdown_timeout.
func serve(ctx context.Context, sc config.Server, h http.Handler, hk hooks) error {
	log := zerolog.Ctx(ctx)
	ln, err := net.Listen("tcp", net.JoinHostPort(sc.Host, strconv.Itoa(sc.Port)))
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       sc.ReadTimeout,
		WriteTimeout:      sc.WriteTimeout,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info().Str("addr", ln.Addr().String()).Msg("listening")
	if err := hk.listening(ctx, ln.Addr().(*net.TCPAddr).Port); err != nil {
		return errors.Join(err, srv.Close())
	}

	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info().Dur("deadline", sc.ShutdownTimeout).Msg("shutting down")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sc.ShutdownTimeout)
	defer cancel()
	hk.stopping(sctx)
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	log.Info().Msg("stopped")
	return nil
}

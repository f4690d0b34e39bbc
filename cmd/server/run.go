package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/rs/zerolog"

	"gomicro/app/boot"
	"gomicro/app/config"
	"gomicro/app/module"
	"gomicro/app/modules"
	"gomicro/app/web"
	"gomicro/app/wechat"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// run boots the shared parts, builds every module and serves until ctx is
// cancelled (SIGINT/SIGTERM), then shuts down gracefully. Errors caused by
// configuration wrap config.ErrInvalid.
func run(ctx context.Context, args, environ []string, stdout, stderr io.Writer) (err error) {
	app, err := boot.Start(ctx, boot.Options{
		Name: "server", Version: version, Subcommands: []string{"migrate", "wechat-worker"},
		Args: args, Environ: environ, Stdout: stdout, Stderr: stderr,
	})
	if boot.IsHelp(err) {
		return nil
	}
	if err != nil {
		return err
	}
	cfg := app.Config.Current()
	// Queued WeCom messages and alerts get their own shutdown_timeout after
	// the HTTP drain.
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.Server.ShutdownTimeout)
		defer cancel()
		err = errors.Join(err, app.Close(cctx))
	}()
	ctx = app.Logger.WithContext(ctx)
	if cfg.Server.AdminToken == "" && cfg.Env != "test" {
		app.Logger.Warn().Msg("server.admin_token is empty: ops endpoints answer loopback clients only, and behind a same-host proxy or sidecar every client is loopback; set APP_SERVER_ADMIN_TOKEN")
	}

	specs := modules.All(app)
	if app.Subcommand == "migrate" || cfg.Database.AutoMigrate {
		if err := app.Migrate(ctx, module.Migrations(specs)); err != nil || app.Subcommand == "migrate" {
			return err
		}
	}
	if app.Subcommand == "wechat-worker" {
		return runWeChatWorker(ctx, app)
	}
	engine, err := web.NewEngine(web.Deps{
		Store:    app.Config,
		Logger:   app.Logger,
		Registry: app.Metrics,
		Version:  version,
		Checks:   app.Checks,
		Modules:  specs,
	})
	if err != nil {
		return err
	}
	stopModules, err := startModules(ctx, specs)
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.Server.ShutdownTimeout)
		defer cancel()
		err = errors.Join(err, stopModules(sctx))
	}()
	return serve(ctx, cfg.Server, engine, hooks{
		listening: func(ctx context.Context, port int) error {
			_, err := app.Nacos.RegisterInstance(ctx, port)
			return err
		},
		// Leave Nacos naming before draining, so callers stop being sent
		// here; take at most a third of the drain time for it.
		stopping: func(sctx context.Context) {
			cctx, cancel := context.WithTimeout(sctx, min(5*time.Second, cfg.Server.ShutdownTimeout/3))
			defer cancel()
			if err := app.Nacos.Close(cctx); err != nil {
				zerolog.Ctx(ctx).Warn().Err(err).Msg("nacos close")
			}
		},
	})
}

// runWeChatWorker is `server wechat-worker`: the Official Account
// module's chains fed from the broker, until ctx is cancelled; then the
// messages in hand get server.shutdown_timeout to finish.
func runWeChatWorker(ctx context.Context, app *boot.App) error {
	w := wechat.NewWorker(modules.WeChat(app), wechat.WorkerDeps{
		Logger: app.Logger, Registry: app.Metrics, Version: version, Checks: app.Checks,
	})
	if err := w.Start(ctx); err != nil {
		return err
	}
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), app.Config.Current().Server.ShutdownTimeout)
	defer cancel()
	return w.Stop(sctx)
}

// startModules runs each module's Start in list order and returns the
// function that stops the started ones, last first. When a Start fails, the
// ones before it are stopped again.
func startModules(ctx context.Context, specs []module.Spec) (func(context.Context) error, error) {
	var started []module.Spec
	stop := func(ctx context.Context) error {
		var errs []error
		for i := len(started) - 1; i >= 0; i-- {
			if s := started[i]; s.Stop != nil {
				if err := s.Stop(ctx); err != nil {
					errs = append(errs, fmt.Errorf("stop module %s: %w", s.Name, err))
				}
			}
		}
		return errors.Join(errs...)
	}
	for _, s := range specs {
		if s.Start != nil {
			if err := s.Start(ctx); err != nil {
				return nil, errors.Join(fmt.Errorf("start module %s: %w", s.Name, err), stop(context.WithoutCancel(ctx)))
			}
		}
		started = append(started, s)
	}
	return stop, nil
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
		IdleTimeout:       sc.IdleTimeout,
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

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"slices"
	"time"

	"github.com/rs/zerolog"

	"gomicro/app/boot"
	"gomicro/app/config"
	"gomicro/app/module"
	"gomicro/app/modules"
	"gomicro/app/xxljob"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// run boots the shared parts like cmd/server, registers every module's
// tasks and serves until ctx is cancelled, then stops gracefully. environ is
// the process environment (os.Environ()). Errors from bad config wrap
// config.ErrInvalid.
func run(ctx context.Context, args, environ []string, stdout, stderr io.Writer) (err error) {
	app, err := boot.Start(ctx, boot.Options{
		Name: "job", Version: version,
		Args: args, Environ: environ, Stdout: stdout, Stderr: stderr,
	})
	if boot.IsHelp(err) {
		return nil
	}
	if err != nil {
		return err
	}
	cfg := app.Config.Current()
	// serve closes the app within its stop deadline; this closes it when
	// the start fails before serve (a second Close does nothing).
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		err = errors.Join(err, app.Close(cctx))
	}()
	ctx = app.Logger.WithContext(ctx)
	loc, err := time.LoadLocation(cfg.App.Timezone)
	if err != nil {
		return fmt.Errorf("%w: app.timezone: %w", config.ErrInvalid, err)
	}

	specs := modules.All(app)
	if cfg.Database.AutoMigrate {
		if err := app.Migrate(ctx, module.Migrations(specs)); err != nil {
			return err
		}
	}

	ln, err := xxljob.Listen(cfg.XxlJob)
	if err != nil {
		return err
	}
	defer ln.Close()
	ex, err := xxljob.New(cfg.XxlJob, xxljob.Options{
		Port:      ln.Addr().(*net.TCPAddr).Port,
		Location:  loc,
		StopGrace: cfg.XxlJob.ShutdownTimeout * 3 / 4,
		Registry:  app.Metrics,
	})
	if err != nil {
		return err
	}
	if err := registerTasks(ex, specs); err != nil {
		return err
	}
	return serve(ctx, ex, ln, cfg.XxlJob.ShutdownTimeout, app.Close)
}

// registerTasks registers every module's tasks under their names.
func registerTasks(ex *xxljob.Executor, specs []module.Spec) error {
	var errs []error
	for _, s := range specs {
		for _, name := range slices.Sorted(maps.Keys(s.Tasks)) {
			if err := ex.Register(name, s.Tasks[name]); err != nil {
				errs = append(errs, fmt.Errorf("module %s: %w", s.Name, err))
			}
		}
	}
	return errors.Join(errs...)
}

// serve runs the HTTP server and the executor until ctx is done or the
// server fails, then stops the executor (which still answers /log and /kill
// while it drains) before closing the server. closeApp runs last, within
// the same deadline: it sends what the tasks left queued for WeCom, then
// closes databases, Nacos and logs.
func serve(ctx context.Context, ex *xxljob.Executor, ln net.Listener, timeout time.Duration, closeApp func(context.Context) error) error {
	srv := ex.Server()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	if err := ex.Start(ctx); err != nil {
		return errors.Join(err, srv.Close(), closeApp(ctx))
	}
	var serveErr error
	select {
	case <-ctx.Done():
		zerolog.Ctx(ctx).Info().Msg("stopping: signal received")
	case serveErr = <-served:
		serveErr = fmt.Errorf("serve executor: %w", serveErr)
	}
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	stopErr := ex.Stop(stopCtx)
	shutErr := srv.Shutdown(stopCtx)
	if errors.Is(shutErr, http.ErrServerClosed) {
		shutErr = nil
	}
	return errors.Join(serveErr, stopErr, shutErr, closeApp(stopCtx))
}

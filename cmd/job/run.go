package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/rs/zerolog"

	"gomicro/app/config"
	"gomicro/app/db"
	"gomicro/app/demo"
	"gomicro/app/logging"
	"gomicro/app/nacos"
	"gomicro/app/wecom"
	"gomicro/app/xxljob"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// run wires the executor top to bottom and serves until ctx is cancelled,
// then stops gracefully and closes the database. environ is the process
// environment (os.Environ()), as cmd/server takes it. Errors from bad config
// wrap config.ErrInvalid.
func run(ctx context.Context, args, environ []string, stdout, stderr io.Writer) (err error) {
	loader, cfg, rest, err := config.Boot("job", args, environ, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("%w: unexpected argument %q", config.ErrInvalid, rest[0])
	}
	store := config.NewStore(cfg, config.Meta{Source: config.SourceLocal, RefreshedAt: time.Now()})

	logs, err := logging.New(cfg, logging.Options{Bin: "job", Stdout: stdout, Stderr: stderr, Environ: environ})
	if err != nil {
		return fmt.Errorf("%w: %w", config.ErrInvalid, err)
	}
	defer logs.Close()
	// Error lines go to WeCom once alerts start (wechat.alert.enabled).
	alerts := &wecom.AlertSlot{}
	logger := logs.Root(store, loader.Selection().Path, version, alerts)
	ctx = logger.WithContext(ctx)

	// The same Nacos module as the server: bounded start, snapshot fallback,
	// hot reload; refresh_nacos_config_task calls its Refresh.
	nc, err := nacos.New(ctx, cfg.Nacos, loader, store)
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		err = errors.Join(err, nc.Close(cctx))
	}()
	cfg = store.Current()
	loc, err := time.LoadLocation(cfg.App.Timezone)
	if err != nil {
		return fmt.Errorf("%w: app.timezone: %w", config.ErrInvalid, err)
	}

	dbs, err := db.NewRegistry(ctx, cfg)
	if err != nil {
		return fmt.Errorf("%w: %w", config.ErrInvalid, err)
	}
	defer func() { err = errors.Join(err, dbs.Close()) }()
	dbs.Watch(store)
	items, err := openItems(ctx, dbs, cfg.Database.AutoMigrate)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", fmt.Sprintf(":%d", cfg.XxlJob.Port))
	if err != nil {
		return fmt.Errorf("listen on xxl-job.port %d: %w", cfg.XxlJob.Port, err)
	}
	defer ln.Close()
	ex, err := xxljob.New(cfg.XxlJob, xxljob.Options{
		Port:      ln.Addr().(*net.TCPAddr).Port,
		Location:  loc,
		StopGrace: cfg.XxlJob.ShutdownTimeout * 3 / 4,
	})
	if err != nil {
		return err
	}

	// The client starts no work before its first send, so it needs closing
	// only from here on.
	robots, err := wecom.New(ctx, store.Current().WeChat, wecom.Options{})
	if err != nil {
		return err
	}
	robots.Watch(store)
	alerter, err := alerts.StartAlerts(ctx, robots, cfg)
	if err != nil {
		return errors.Join(err, robots.Close(ctx))
	}
	flush := func(ctx context.Context) error {
		var err error
		if alerter != nil {
			err = alerter.Close(ctx)
		}
		return errors.Join(err, robots.Close(ctx))
	}
	if err := registerTasks(ex, items, robots, nc); err != nil {
		return errors.Join(err, flush(ctx))
	}
	return serve(ctx, ex, ln, cfg.XxlJob.ShutdownTimeout, flush)
}

// openItems opens the default database as cmd/server does, brings the
// schema up to date when database.auto_migrate is set, and returns the demo
// items the items report counts.
func openItems(ctx context.Context, dbs *db.Registry, migrate bool) (*demo.Service, error) {
	gdb, err := dbs.Default(ctx)
	if err != nil {
		return nil, err
	}
	if migrate {
		if err := db.Migrate(ctx, gdb, demo.Migrations()); err != nil {
			return nil, err
		}
	}
	return demo.NewService(demo.NewStore(gdb)), nil
}

// registerTasks is the task list: one line per task.
func registerTasks(ex *xxljob.Executor, items *demo.Service, robots *wecom.Client, nc *nacos.Client) error {
	return errors.Join(
		ex.Register("demo_task", xxljob.DemoTask),
		ex.Register("demo_items_report_task", xxljob.DemoItemsReport(items)),
		ex.Register("wecom_report_task", xxljob.WecomReport(robots)),
		ex.Register("refresh_nacos_config_task", xxljob.RefreshNacosConfig(nc)),
	)
}

// serve runs the HTTP server and the executor until ctx is done or the
// server fails, then stops the executor (which still answers /log and /kill
// while it drains) before closing the server. flush runs last, within the
// same deadline: it sends what the tasks left queued for WeCom.
func serve(ctx context.Context, ex *xxljob.Executor, ln net.Listener, timeout time.Duration, flush func(context.Context) error) error {
	srv := &http.Server{Handler: ex.Handler(), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	if err := ex.Start(ctx); err != nil {
		return errors.Join(err, srv.Close(), flush(ctx))
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
	return errors.Join(serveErr, stopErr, shutErr, flush(stopCtx))
}

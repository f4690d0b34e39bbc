package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"gomicro/app/config"
	"gomicro/app/logging"
	"gomicro/app/xxljob"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// run wires the executor top to bottom and serves until ctx is cancelled,
// then stops gracefully. environ is the process environment (os.Environ()),
// as cmd/server takes it. Errors from bad config wrap config.ErrInvalid.
func run(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("job", flag.ContinueOnError)
	flags.SetOutput(stderr)
	path := flags.String("config", "", "config file (default $APP_CONFIG, else config_$APP_ENV.yaml)")
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return fmt.Errorf("%w: %w", config.ErrInvalid, err)
	}

	if flags.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", config.ErrInvalid, flags.Arg(0))
	}
	sel, err := config.Select(*path, ".", getenvFrom(environ))
	if err != nil {
		return err
	}
	loader, err := config.NewLoader(sel, environ)
	if err != nil {
		return err
	}
	// The Nacos layer joins here once app/nacos is wired (Build(remote)).
	cfg, err := loader.Build(nil)
	if err != nil {
		return err
	}
	loc, err := time.LoadLocation(cfg.App.Timezone)
	if err != nil {
		return fmt.Errorf("%w: app.timezone: %w", config.ErrInvalid, err)
	}

	logs, err := logging.New(cfg.Log, logging.Options{Env: cfg.Env, Stdout: stdout})
	if err != nil {
		return fmt.Errorf("%w: %w", config.ErrInvalid, err)
	}
	defer logs.Close()
	logger := logs.Logger().With().Str("app", cfg.App.Name).Logger()
	ctx = logger.WithContext(ctx)
	logger.Info().Str("config_file", sel.Path).Interface("config", cfg.Masked()).Str("env", sel.Env).Str("version", version).Msg("config loaded")

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
	if err := registerTasks(ex); err != nil {
		return err
	}
	return serve(ctx, ex, ln, cfg.XxlJob.ShutdownTimeout)
}

// registerTasks is the task list: one line per task. The demo items report
// (app/demo), the WeCom report (app/wecom) and the Nacos refresh (app/nacos)
// are added here once those modules are wired into this binary:
//
//	ex.Register("demo_items_report_task", xxljob.DemoItemsReport(items)),
//	ex.Register("wecom_report_task", xxljob.WecomReport(robot)),
//	ex.Register("refresh_nacos_config_task", xxljob.RefreshNacosConfig(source)),
func registerTasks(ex *xxljob.Executor) error {
	return errors.Join(
		ex.Register("demo_task", xxljob.DemoTask),
	)
}

// serve runs the HTTP server and the executor until ctx is done or the
// server fails, then stops the executor (which still answers /log and /kill
// while it drains) before closing the server.
func serve(ctx context.Context, ex *xxljob.Executor, ln net.Listener, timeout time.Duration) error {
	srv := &http.Server{Handler: ex.Handler(), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	if err := ex.Start(ctx); err != nil {
		return errors.Join(err, srv.Close())
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
	return errors.Join(serveErr, stopErr, shutErr)
}

// getenvFrom looks names up in environ, so tests pass their own.
func getenvFrom(environ []string) func(string) string {
	return func(key string) string {
		for _, kv := range environ {
			if k, v, ok := strings.Cut(kv, "="); ok && k == key {
				return v
			}
		}
		return ""
	}
}

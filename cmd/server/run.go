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
	"strings"
	"time"

	"github.com/rs/zerolog"

	"gomicro/app/config"
	"gomicro/app/logging"
	"gomicro/app/web"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// run wires the server from its arguments and environment and serves until
// ctx is cancelled (SIGINT/SIGTERM), then shuts down gracefully. Errors
// caused by configuration wrap config.ErrInvalid.
func run(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "config file (overrides APP_CONFIG and APP_ENV)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %w", config.ErrInvalid, err)
	}

	sel, err := config.Select(*configPath, ".", getenvFrom(environ))
	if err != nil {
		return err
	}
	loader, err := config.NewLoader(sel, environ)
	if err != nil {
		return err
	}
	cfg, err := loader.Build(nil)
	if err != nil {
		return err
	}
	store := config.NewStore(cfg, config.Meta{Source: config.SourceLocal, RefreshedAt: time.Now()})

	logs, err := logging.New(cfg.Log, logging.Options{Env: sel.Env, Stdout: stdout})
	if err != nil {
		return fmt.Errorf("%w: %w", config.ErrInvalid, err)
	}
	defer logs.Close()
	logger := logs.Logger().With().Str("app", cfg.App.Name).Logger()
	ctx = logger.WithContext(ctx)
	store.Subscribe(func(ctx context.Context, ch config.Change) { applyLogLevel(ctx, logs, ch) })
	logger.Info().Str("config_file", sel.Path).Str("env", sel.Env).Object("config", maskedConfig{cfg}).Msg("config loaded")

	if fs.Arg(0) != "" {
		return fmt.Errorf("%w: unknown subcommand %q", config.ErrInvalid, fs.Arg(0))
	}

	engine, err := web.NewEngine(web.Deps{
		Store:    store,
		Logger:   logger,
		Registry: web.NewRegistry(),
		Version:  version,
	})
	if err != nil {
		return err
	}
	return serve(ctx, cfg.Server, engine)
}

// serve listens and serves until ctx is done, then stops accepting and lets
// in-flight requests finish within server.shutdown_timeout.
func serve(ctx context.Context, sc config.Server, h http.Handler) error {
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

	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info().Dur("deadline", sc.ShutdownTimeout).Msg("shutting down")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sc.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	log.Info().Msg("stopped")
	return nil
}

func applyLogLevel(ctx context.Context, logs *logging.Logging, ch config.Change) {
	if ch.Old.Log.Level == ch.New.Log.Level {
		return
	}
	if err := logs.SetLevel(ch.New.Log.Level); err != nil {
		zerolog.Ctx(ctx).Error().Err(err).Msg("log level not changed")
		return
	}
	zerolog.Ctx(ctx).Info().Str("from", ch.Old.Log.Level).Str("to", ch.New.Log.Level).Msg("log level changed")
}

// maskedConfig logs config in its masked form only.
type maskedConfig struct{ c *config.Config }

func (m maskedConfig) MarshalZerologObject(e *zerolog.Event) {
	for k, v := range m.c.Masked() {
		e.Interface(k, v)
	}
}

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

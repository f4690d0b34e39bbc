// Package boot is the one start-up path of every binary: config, logging,
// alerts, Nacos, databases, WeCom and Redis, in that order, returned as one
// App to serve from and one Close to undo it all. The binaries differ only
// in what they serve.
package boot

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"gomicro/app/config"
	"gomicro/app/db"
	"gomicro/app/logging"
	"gomicro/app/module"
	"gomicro/app/nacos"
	"gomicro/app/redisclient"
	"gomicro/app/web"
	"gomicro/app/wecom"
)

// Options say which binary starts and with what.
type Options struct {
	// Name is the binary's name ("server", "job"): flag set name and the
	// name its log lines carry.
	Name    string
	Version string
	// Subcommands are the arguments the binary accepts after its flags;
	// any other argument is a config error.
	Subcommands []string
	Args        []string
	Environ     []string // os.Environ() form
	Stdout      io.Writer
	Stderr      io.Writer
}

// App is what a started binary has: the shared parts every module is built
// from. Fields are set by Start and never changed afterwards.
type App struct {
	Name    string
	Version string
	// Subcommand is the accepted subcommand given, or "".
	Subcommand string
	Config     *config.Store
	Logger     zerolog.Logger
	Logs       *logging.Logging
	Nacos      *nacos.Client
	DBs        *db.Registry
	// DB is the default connection (the database section).
	DB     *gorm.DB
	Robots *wecom.Client
	// Redis is nil when redis.addr is empty.
	Redis *redis.Client
	// Metrics is the binary's Prometheus registry; modules register into it.
	Metrics *prometheus.Registry
	// Checks are the shared parts' readiness probes: database, config
	// source and, when configured, Redis.
	Checks []module.Check

	alerter *wecom.Alerter
	closers []func(context.Context) error // undone last first
}

// Start boots the shared parts in order. It returns flag.ErrHelp as is for
// -h; errors caused by configuration wrap config.ErrInvalid. On an error
// everything started so far is closed again.
func Start(ctx context.Context, o Options) (a *App, err error) {
	loader, cfg, rest, err := config.Boot(o.Name, o.Args, o.Environ, o.Stderr)
	if err != nil {
		return nil, err
	}
	a = &App{Name: o.Name, Version: o.Version}
	if a.Subcommand, err = subcommand(rest, o.Subcommands); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			err = errors.Join(err, a.Close(cctx))
		}
	}()
	a.Config = config.NewStore(cfg, config.Meta{Source: config.SourceLocal, RefreshedAt: time.Now()})

	if a.Logs, err = logging.New(cfg, logging.Options{Bin: o.Name, Stdout: o.Stdout, Stderr: o.Stderr, Environ: o.Environ}); err != nil {
		return nil, fmt.Errorf("%w: %w", config.ErrInvalid, err)
	}
	a.Metrics = web.NewRegistry(a.Logs.Collector())
	a.closers = append(a.closers, func(context.Context) error { return a.Logs.Close() })
	// Error lines go to WeCom once alerts start (wechat.alert.enabled); the
	// slot is on the root logger from the first line on.
	alerts := &wecom.AlertSlot{}
	a.Logger = a.Logs.Root(a.Config, loader.Selection().Path, o.Version, alerts)
	ctx = a.Logger.WithContext(ctx)
	followGC(a.Logger, a.Config, o.Environ)

	// Business config comes from Nacos when nacos.host is set; start-up is
	// bounded and falls back to our snapshot, then to the local file.
	if a.Nacos, err = nacos.New(ctx, cfg.Nacos, loader, a.Config); err != nil {
		return nil, err
	}
	a.closers = append(a.closers, a.Nacos.Close)
	cfg = a.Config.Current()
	// Listed after Nacos, so sections of a shared dataId show too.
	a.Logger.Info().Strs("sections", cfg.UnknownSections()).Msg("config sections gomicro does not use (kept, not read)")

	if err := a.openDatabase(ctx, cfg); err != nil {
		return nil, err
	}
	if a.Robots, err = wecom.New(ctx, cfg.WeChat, wecom.Options{}); err != nil {
		return nil, err
	}
	a.Robots.Watch(a.Config)
	a.closers = append(a.closers, a.flushRobots)
	if a.alerter, err = alerts.StartAlerts(ctx, a.Robots, cfg); err != nil {
		return nil, err
	}
	if cfg.Redis.Addr != "" {
		rc := redisclient.Open(ctx, cfg.Redis)
		a.Redis = rc
		a.closers = append(a.closers, func(context.Context) error { return rc.Close() })
		a.Checks = append(a.Checks, redisclient.Check(rc, cfg.Redis.Addr))
	}
	return a, nil
}

// subcommand returns the one accepted argument left after the flags, or "".
func subcommand(rest, known []string) (string, error) {
	switch {
	case len(rest) == 0:
		return "", nil
	case len(rest) == 1 && slices.Contains(known, rest[0]):
		return rest[0], nil
	case len(known) == 0:
		return "", fmt.Errorf("%w: unexpected arguments %q", config.ErrInvalid, rest)
	default:
		return "", fmt.Errorf("%w: unknown arguments %q (known subcommands: %v)", config.ErrInvalid, rest, known)
	}
}

// openDatabase opens the default connection at start, so a wrong address
// fails the start instead of the first request, and keeps the registry's
// pools following reloads.
func (a *App) openDatabase(ctx context.Context, cfg *config.Config) error {
	dbs, err := db.NewRegistry(ctx, cfg)
	if err != nil {
		return fmt.Errorf("%w: %w", config.ErrInvalid, err)
	}
	a.DBs = dbs
	a.closers = append(a.closers, func(context.Context) error { return dbs.Close() })
	dbs.Watch(a.Config)
	if a.DB, err = dbs.Default(ctx); err != nil {
		return err
	}
	a.Checks = append(a.Checks,
		module.Check{Name: "database", Required: true, Probe: func(ctx context.Context) (string, error) {
			return a.Config.Current().Database.Driver, dbs.Ping(ctx)
		}},
		module.Check{Name: "config", Required: false, Probe: a.Nacos.Probe},
	)
	return nil
}

// flushRobots sends what alerts and robot queues still hold; what cannot
// be sent before ctx ends is logged whole by the WeCom client.
func (a *App) flushRobots(ctx context.Context) error {
	var err error
	if a.alerter != nil {
		err = a.alerter.Close(ctx)
	}
	if err = errors.Join(err, a.Robots.Close(ctx)); err != nil {
		return fmt.Errorf("wecom flush: %w", err)
	}
	return nil
}

// Migrate applies steps to the default database.
func (a *App) Migrate(ctx context.Context, steps []db.Migration) error {
	return db.Migrate(ctx, a.DB, steps)
}

// Close undoes Start, last started first, within ctx: WeCom queues and
// alerts are flushed, Redis, databases and Nacos closed, logs flushed. It
// is safe to call more than once and returns the joined errors.
func (a *App) Close(ctx context.Context) error {
	var errs []error
	for len(a.closers) > 0 {
		fn := a.closers[len(a.closers)-1]
		a.closers = a.closers[:len(a.closers)-1]
		if err := fn(ctx); err != nil {
			errs = append(errs, err)
			// The logger is flushed last; until then it still writes.
			a.Logger.Warn().Err(err).Msg("close")
		}
	}
	return errors.Join(errs...)
}

// IsHelp reports whether err is the -h answer, which is no failure.
func IsHelp(err error) bool { return errors.Is(err, flag.ErrHelp) }

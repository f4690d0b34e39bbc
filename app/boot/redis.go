package boot

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
	"github.com/rs/zerolog"

	"gomicro/app/config"
	"gomicro/app/module"
)

// openRedis builds the shared client when redis.addr is set. Start-up does
// not wait for Redis beyond one bounded ping: the client reconnects by
// itself, and /readyz reports Redis down meanwhile (a required check once
// configured, since modules then keep cross-instance state there).
func (a *App) openRedis(ctx context.Context, cfg config.Redis) {
	if cfg.Addr == "" {
		return
	}
	rc := redis.NewClient(&redis.Options{
		Addr:        cfg.Addr,
		Username:    cfg.Username,
		Password:    cfg.Password,
		DB:          cfg.DB,
		DialTimeout: cfg.DialTimeout,
		// The client's own maintenance notes and identity handshake are
		// for Redis Enterprise and 7.2+; plain servers answer them with
		// errors the client logs through the standard logger.
		DisableIdentity:          true,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	})
	a.Redis = rc
	a.closers = append(a.closers, func(context.Context) error { return rc.Close() })
	pctx, cancel := context.WithTimeout(ctx, max(cfg.DialTimeout, 100*time.Millisecond))
	defer cancel()
	if err := rc.Ping(pctx).Err(); err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Str("addr", cfg.Addr).Msg("redis does not answer yet; serving with it down")
	}
	a.Checks = append(a.Checks, module.Check{Name: "redis", Required: true, Probe: func(ctx context.Context) (string, error) {
		if err := rc.Ping(ctx).Err(); err != nil {
			return cfg.Addr, fmt.Errorf("ping redis %s: %w", cfg.Addr, err)
		}
		return cfg.Addr, nil
	}})
}

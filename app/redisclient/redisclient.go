// Package redisclient opens the shared Redis connection of the redis config
// section, the one every module keeping cross-instance state uses.
package redisclient

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

// Open builds a client for cfg. It does not wait for Redis beyond one
// bounded ping: the client reconnects by itself, and the Check reports
// Redis down meanwhile. cfg.Addr must not be empty.
func Open(ctx context.Context, cfg config.Redis) *redis.Client {
	rc := redis.NewClient(&redis.Options{
		Addr:        cfg.Addr,
		Username:    cfg.Username,
		Password:    cfg.Password,
		DB:          cfg.DB,
		DialTimeout: cfg.DialTimeout,
		// The identity handshake and maintenance notifications are for
		// Redis 7.2+ and Redis Enterprise; plain servers answer them with
		// errors the client would log through the standard logger.
		DisableIdentity:          true,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	})
	pctx, cancel := context.WithTimeout(ctx, max(cfg.DialTimeout, 100*time.Millisecond))
	defer cancel()
	if err := rc.Ping(pctx).Err(); err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Str("addr", cfg.Addr).Msg("redis does not answer yet; serving with it down")
	}
	return rc
}

// Check is the /readyz probe of rc: required once Redis is configured,
// since modules then keep their cross-instance state there.
func Check(rc *redis.Client, addr string) module.Check {
	return module.Check{Name: "redis", Required: true, Probe: func(ctx context.Context) (string, error) {
		if err := rc.Ping(ctx).Err(); err != nil {
			return addr, fmt.Errorf("ping redis %s: %w", addr, err)
		}
		return addr, nil
	}}
}

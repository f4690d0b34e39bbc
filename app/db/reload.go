package db

import (
	"context"
	"slices"
	"strings"

	"github.com/rs/zerolog"

	"gomicro/app/config"
)

// Watch subscribes r to store: after a reload, pool sizes, connection
// lifetime, slow_threshold and hide_values take effect on open connections
// at once. A changed address, credential or driver needs a restart, which is
// logged at warn rather than done behind running requests.
func (r *Registry) Watch(store *config.Store) {
	store.Subscribe(r.reload)
}

func (r *Registry) reload(ctx context.Context, ch config.Change) {
	if !slices.ContainsFunc(ch.Keys, func(k string) bool {
		return strings.HasPrefix(k, "database.") || strings.HasPrefix(k, "databases.")
	}) {
		return
	}
	next, err := sections(ch.New)
	if err != nil {
		zerolog.Ctx(ctx).Error().Err(err).Msg("database config not applied")
		return
	}
	open := r.opened()
	r.mu.Lock()
	defer r.mu.Unlock()
	for name, cfg := range next {
		old, known := r.cfgs[name]
		c, opened := open[name]
		if known && opened && !sameTarget(old, cfg) {
			zerolog.Ctx(ctx).Warn().Str("database", name).Msg("database connection settings changed; restart to apply them")
			cfg = withTuning(old, cfg)
		}
		if opened {
			tune(c.gdb, cfg)
			c.log.set(cfg.SlowThreshold, cfg.HideValues)
		}
		r.cfgs[name] = cfg
	}
}

// sameTarget reports whether a and b connect to the same place as the same
// user, ignoring the settings that can change on a live pool.
func sameTarget(a, b config.Database) bool {
	return withTuning(a, b) == a
}

// withTuning returns target with the live-changeable settings of tuning.
func withTuning(target, tuning config.Database) config.Database {
	target.MaxOpenConns = tuning.MaxOpenConns
	target.MaxIdleConns = tuning.MaxIdleConns
	target.ConnMaxLifetime = tuning.ConnMaxLifetime
	target.SlowThreshold = tuning.SlowThreshold
	target.HideValues = tuning.HideValues
	target.AutoMigrate = tuning.AutoMigrate
	return target
}

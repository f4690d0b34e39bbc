package logging

import (
	"context"

	"github.com/rs/zerolog"

	"gomicro/app/config"
)

// follow applies log.level from every config reload, so ops can turn debug
// on and off without a restart. A level that fails to parse cannot reach
// here (config validation refuses it) but is logged if it ever does.
func (l *Logging) follow(store *config.Store) {
	store.Subscribe(func(ctx context.Context, ch config.Change) {
		if ch.Old.Log.Level == ch.New.Log.Level {
			return
		}
		if err := l.SetLevel(ch.New.Log.Level); err != nil {
			zerolog.Ctx(ctx).Error().Err(err).Msg("log level not changed")
			return
		}
		zerolog.Ctx(ctx).Info().Str("from", ch.Old.Log.Level).Str("to", ch.New.Log.Level).Msg("log level changed")
	})
}

// Root returns the logger a binary logs through: the root logger with hooks
// attached and the app name on every line, following log.level from store.
// It logs the masked config once, with the file it came from and version.
func (l *Logging) Root(store *config.Store, configFile, version string, hooks ...zerolog.Hook) zerolog.Logger {
	cfg := store.Current()
	lg := l.root
	for _, h := range hooks {
		lg = lg.Hook(h)
	}
	lg = lg.With().Str("app", cfg.App.Name).Logger()
	l.follow(store)
	lg.Info().Str("config_file", configFile).Str("env", cfg.Env).Str("version", version).
		Interface("config", cfg.Masked()).Msg("config loaded")
	return lg
}

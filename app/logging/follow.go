package logging

import (
	"context"

	"github.com/rs/zerolog"

	"gomicro/app/config"
)

// follow applies log.level and app.timezone from every config reload, so
// ops can turn debug on and off without a restart, and line times and file
// days stay on the zone the rest of the service uses. A value that fails
// to parse cannot reach here (config validation refuses it) but is logged
// if it ever does.
func (l *Logging) follow(store *config.Store) {
	store.Subscribe(func(ctx context.Context, ch config.Change) {
		log := zerolog.Ctx(ctx)
		if ch.Old.Log.Level != ch.New.Log.Level {
			if err := l.SetLevel(ch.New.Log.Level); err != nil {
				log.Error().Err(err).Msg("log level not changed")
			} else {
				log.Info().Str("from", ch.Old.Log.Level).Str("to", ch.New.Log.Level).Msg("log level changed")
			}
		}
		if ch.Old.App.Timezone != ch.New.App.Timezone {
			if err := l.SetTimezone(ch.New.App.Timezone); err != nil {
				log.Error().Err(err).Msg("log timezone not changed")
			} else {
				log.Info().Str("from", ch.Old.App.Timezone).Str("to", ch.New.App.Timezone).Msg("log timezone changed")
			}
		}
	})
}

// Root returns the logger a binary logs through: the root logger with hooks
// attached and the app name on every line (beside bin, from Options),
// following log.level and app.timezone from store (starting from the
// store's value now). It logs the masked config once, with the file it came
// from and version.
func (l *Logging) Root(store *config.Store, configFile, version string, hooks ...zerolog.Hook) zerolog.Logger {
	cfg := store.Current()
	lg := l.root
	for _, h := range hooks {
		lg = lg.Hook(h)
	}
	lg = lg.With().Str("app", cfg.App.Name).Logger()
	l.setReporter(lg)
	l.follow(store)
	if err := l.SetTimezone(cfg.App.Timezone); err != nil {
		lg.Error().Err(err).Msg("log timezone not changed")
	}
	lg.Info().Str("config_file", configFile).Str("env", cfg.Env).Str("version", version).
		Interface("config", cfg.Masked()).Msg("config loaded")
	return lg
}

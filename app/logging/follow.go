package logging

import (
	"context"

	"github.com/rs/zerolog"

	"gomicro/app/config"
)

// Follow applies log.level from every config reload, so ops can turn debug
// on and off without a restart. A level that fails to parse cannot reach
// here (config validation refuses it) but is logged if it ever does.
func (l *Logging) Follow(store *config.Store) {
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

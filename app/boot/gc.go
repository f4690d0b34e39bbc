package boot

import (
	"context"
	"runtime/debug"

	"github.com/rs/zerolog"

	"gomicro/app/config"
)

// goDefaultGC is the runtime's collector target when GOGC is not set.
const goDefaultGC = 100

// followGC keeps the collector's target at app.gc_percent from the start
// and through every reload. At Go's 100 a service whose live heap is a few
// megabytes is collected dozens of times a second under load (60 cycles
// per 100k requests of /demo/hello); 200 halves the cycles and the CPU
// they take, for a heap goal half as large again. A GOGC in the
// environment is the operator's word: it is kept, and the key not applied.
func followGC(log zerolog.Logger, store *config.Store, environ []string) {
	if v := config.Getenv(environ)("GOGC"); v != "" {
		log.Info().Str("gogc", v).Msg("GOGC is set in the environment; app.gc_percent is not applied")
		return
	}
	setGC(store.Current().App.GCPercent)
	store.Subscribe(func(ctx context.Context, ch config.Change) {
		if ch.Old.App.GCPercent == ch.New.App.GCPercent {
			return
		}
		setGC(ch.New.App.GCPercent)
		zerolog.Ctx(ctx).Info().Int("from", ch.Old.App.GCPercent).Int("to", ch.New.App.GCPercent).Msg("gc percent changed")
	})
}

// setGC sets the collector's target; 0 means the runtime's default.
func setGC(percent int) {
	if percent == 0 {
		percent = goDefaultGC
	}
	debug.SetGCPercent(percent)
}

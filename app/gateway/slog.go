package gateway

import (
	"context"
	"log/slog"

	"github.com/rs/zerolog"
)

// newSlog gives the broker a log/slog logger writing through zerolog. Its
// info lines (listener attached, started, stopped) are lowered to debug:
// the gateway logs its own start; warnings and errors stay.
func newSlog(log zerolog.Logger) *slog.Logger {
	return slog.New(slogHandler{log: log})
}

type slogHandler struct {
	log   zerolog.Logger
	attrs []slog.Attr
}

func (h slogHandler) level(l slog.Level) zerolog.Level {
	switch {
	case l >= slog.LevelError:
		return zerolog.ErrorLevel
	case l >= slog.LevelWarn:
		return zerolog.WarnLevel
	default:
		return zerolog.DebugLevel
	}
}

func (h slogHandler) Enabled(_ context.Context, l slog.Level) bool {
	return h.log.GetLevel() <= h.level(l)
}

func (h slogHandler) Handle(_ context.Context, r slog.Record) error {
	e := h.log.WithLevel(h.level(r.Level))
	add := func(a slog.Attr) bool {
		switch a.Key {
		case "pk", "packet", "will":
			// Packets carry payloads: a login's password, a user's text.
		default:
			e = e.Interface(a.Key, a.Value.Any())
		}
		return true
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(add)
	e.Msg(r.Message)
	return nil
}

func (h slogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return slogHandler{log: h.log, attrs: append(append([]slog.Attr(nil), h.attrs...), attrs...)}
}

func (h slogHandler) WithGroup(string) slog.Handler { return h }

package trace

import (
	"context"
	"sync"

	"github.com/rs/zerolog"
)

// requestContext carries the trace id and the logger bound to it in a
// single allocation. A request would otherwise pay for two context.WithValue
// nodes, a boxed string and an escaped logger: most of the per-request
// budget of the middleware. The logger is built on first use: a request
// nobody logs for (the access line takes the root logger and the id) never
// allocates it or copies the root's fields.
type requestContext struct {
	context.Context
	id   string
	root *zerolog.Logger
	key  any // zerolog's context key, as zerologKey found it

	once   sync.Once
	logger *zerolog.Logger
}

func (c *requestContext) Value(key any) any {
	if key == (contextKey{}) {
		return c.id
	}
	if c.key != nil && key == c.key {
		return c.requestLogger()
	}
	return c.Context.Value(key)
}

func (c *requestContext) requestLogger() *zerolog.Logger {
	c.once.Do(func() {
		l := c.root.With().Str("trace_id", c.id).Ctx(c).Logger()
		c.logger = &l
	})
	return c.logger
}

// WithLogger returns a copy of ctx carrying id (for FromContext) and a
// logger derived from root with a trace_id field (for zerolog.Ctx). The
// logger also carries the context itself, so zerolog hooks can read the
// trace id from e.GetCtx(). root is read, never changed; it must stay valid
// as long as the context is used.
func WithLogger(ctx context.Context, root *zerolog.Logger, id string) context.Context {
	return withLogger(ctx, root, id, zerologKey())
}

// withLogger serves zerolog.Ctx from the node itself when key is zerolog's
// context key, and otherwise through zerolog's public WithContext, one
// allocation more.
func withLogger(ctx context.Context, root *zerolog.Logger, id string, key any) context.Context {
	rc := &requestContext{Context: ctx, id: id, root: root, key: key}
	if key == nil {
		return rc.requestLogger().WithContext(rc)
	}
	return rc
}

// zerologKey is the key zerolog.Ctx looks up, learnt through zerolog's
// public API alone: zerolog.Ctx is asked once with a context that records
// the question, then the answer is checked — a context serving a logger
// under that key must get exactly that logger back from zerolog.Ctx. It is
// nil when either step fails (a zerolog release that looks loggers up some
// other way); WithLogger then uses zerolog's WithContext, and
// TestZerologKeyProbe fails so the upgrade does not go unnoticed.
var zerologKey = sync.OnceValue(func() any {
	p := &keyProbe{Context: context.Background()}
	zerolog.Ctx(p)
	if p.key == nil || p.asked != 1 {
		return nil
	}
	want := zerolog.New(nil)
	p.answer = &want
	if zerolog.Ctx(p) != &want {
		return nil
	}
	return p.key
})

// keyProbe records the key it is asked for and, once answer is set, serves
// answer under it.
type keyProbe struct {
	context.Context
	key    any
	asked  int
	answer *zerolog.Logger
}

func (p *keyProbe) Value(key any) any {
	if p.answer != nil {
		if key == p.key {
			return p.answer
		}
		return nil
	}
	p.key = key
	p.asked++
	return nil
}

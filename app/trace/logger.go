package trace

import (
	"context"
	"sync"

	"github.com/rs/zerolog"
)

// requestContext carries both the trace id and the logger bound to it in a
// single allocation. A request would otherwise pay for two context.WithValue
// nodes, a boxed string and an escaped logger: most of the per-request
// budget of the middleware.
type requestContext struct {
	context.Context
	id     string
	logger zerolog.Logger
}

func (c *requestContext) Value(key any) any {
	switch key {
	case contextKey{}:
		return c.id
	case zerologKey():
		return &c.logger
	}
	return c.Context.Value(key)
}

// WithLogger returns a copy of ctx carrying id (for FromContext) and a
// logger derived from root with a trace_id field (for zerolog.Ctx). The
// logger also carries the context itself, so zerolog hooks can read the
// trace id from e.GetCtx().
func WithLogger(ctx context.Context, root zerolog.Logger, id string) context.Context {
	rc := &requestContext{Context: ctx, id: id}
	rc.logger = root.With().Str("trace_id", id).Ctx(rc).Logger()
	return rc
}

// zerologKey learns the unexported key zerolog.Ctx looks up, by asking it
// once with a context that records the question.
var zerologKey = sync.OnceValue(func() any {
	p := &keyProbe{Context: context.Background()}
	zerolog.Ctx(p)
	return p.key
})

type keyProbe struct {
	context.Context
	key any
}

func (p *keyProbe) Value(key any) any {
	p.key = key
	return nil
}

package trace

import (
	"context"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

// TestZerologKeyProbe fails loudly when a zerolog upgrade changes how
// zerolog.Ctx finds its logger: WithLogger would then still work, through
// the slower public path, but the saving would be gone unnoticed.
func TestZerologKeyProbe(t *testing.T) {
	if zerologKey() == nil {
		t.Fatal("zerolog.Ctx no longer looks its logger up by a single ctx.Value key: " +
			"requestContext cannot serve it; revisit app/trace/logger.go for this zerolog version")
	}
	var buf strings.Builder
	root := zerolog.New(&buf)
	ctx := WithLogger(context.Background(), &root, "probe-1")
	rc, ok := ctx.(*requestContext)
	if !ok {
		t.Fatalf("WithLogger took the fallback path: %T", ctx)
	}
	if zerolog.Ctx(ctx) != rc.requestLogger() {
		t.Fatal("zerolog.Ctx does not return the request logger the context node holds")
	}
}

// Both paths give the same answers: the fast one and zerolog's WithContext.
func TestWithLoggerPaths(t *testing.T) {
	for name, key := range map[string]any{"own key": zerologKey(), "public fallback": nil} {
		var buf strings.Builder
		type other struct{}
		parent := context.WithValue(context.Background(), other{}, "kept")
		root := zerolog.New(&buf)
		ctx := withLogger(parent, &root, "abc-1", key)
		if FromContext(ctx) != "abc-1" || ctx.Value(other{}) != "kept" {
			t.Fatalf("%s: values lost", name)
		}
		l := zerolog.Ctx(ctx)
		if l != zerolog.Ctx(ctx) || l.GetLevel() == zerolog.Disabled {
			t.Fatalf("%s: zerolog.Ctx gives no stable request logger", name)
		}
		l.Info().Msg("hi")
		if !strings.Contains(buf.String(), `"trace_id":"abc-1"`) {
			t.Fatalf("%s: logger from ctx lacks trace_id: %s", name, buf.String())
		}
		if got := l.Info().GetCtx(); FromContext(got) != "abc-1" {
			t.Fatalf("%s: logger does not carry its context for hooks", name)
		}
	}
}

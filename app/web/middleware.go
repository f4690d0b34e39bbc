package web

import (
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/rs/zerolog"

	"gomicro/app/trace"
)

// traceIDFrom picks the request's trace id: a sane X-Trace-Id or
// X-Request-ID, else the trace-id of a valid traceparent, else a new one.
func traceIDFrom(h http.Header) string {
	if id := h.Get(trace.HeaderTraceID); trace.ValidID(id) {
		return id
	}
	if id := h.Get(trace.HeaderRequestID); trace.ValidID(id) {
		return id
	}
	if id, ok := trace.FromTraceparent(h.Get(trace.HeaderTraceparent)); ok {
		return id
	}
	return trace.NewID()
}

// observe is the outermost middleware: it owns the trace id, puts a logger
// carrying it into the request ctx, bounds the body, recovers panics, and
// writes the access-log line and the metrics once the handler is done.
func observe(root zerolog.Logger, m *httpMetrics, maxBody func() int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		id := traceIDFrom(c.Request.Header)
		c.Header(trace.HeaderTraceID, id)
		logger := root.With().Str("trace_id", id).Logger()
		ctx := logger.WithContext(trace.NewContext(c.Request.Context(), id))
		c.Request = c.Request.WithContext(ctx)
		if c.Request.Body != nil && c.Request.ContentLength != 0 {
			c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxBody())
		}

		defer func() {
			if p := recover(); p != nil {
				if err, ok := p.(error); ok && errors.Is(err, http.ErrAbortHandler) {
					panic(p) // the client went away; net/http handles this one
				}
				logger.Error().Str("panic", panicText(p)).Bytes("stack", debug.Stack()).Msg("panic recovered")
				abort(c, http.StatusInternalServerError, "internal error")
			}
			route := c.FullPath()
			if route == "" {
				route = "unmatched"
			}
			status := c.Writer.Status()
			elapsed := time.Since(start)
			m.observe(c.Request.Method, route, status, elapsed)
			logger.Info().
				Str("method", c.Request.Method).
				Str("route", route).
				Int("status", status).
				Int("bytes", c.Writer.Size()).
				Dur("latency_ms", elapsed).
				Str("client_ip", c.ClientIP()).
				Msg("access")
		}()
		c.Next()
	}
}

func panicText(p any) string { return fmt.Sprint(p) }

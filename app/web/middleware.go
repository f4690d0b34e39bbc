package web

import (
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/rs/zerolog"

	"gomicro/app/trace"
)

// Canonical forms of the trace headers: indexing the header map with them
// skips the canonicalisation (an allocation for X-Request-ID and
// traceparent, whose usual spelling is not canonical) h.Get does per call.
var (
	keyTraceID     = http.CanonicalHeaderKey(trace.HeaderTraceID)
	keyRequestID   = http.CanonicalHeaderKey(trace.HeaderRequestID)
	keyTraceparent = http.CanonicalHeaderKey(trace.HeaderTraceparent)
)

// traceIDFrom picks the request's trace id: a sane X-Trace-Id or
// X-Request-ID, else the trace-id of a valid traceparent, else a new one.
func traceIDFrom(h http.Header) string {
	if id := first(h[keyTraceID]); trace.ValidID(id) {
		return id
	}
	if id := first(h[keyRequestID]); trace.ValidID(id) {
		return id
	}
	if id, ok := trace.FromTraceparent(first(h[keyTraceparent])); ok {
		return id
	}
	return trace.NewID()
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// observe is the outermost middleware: it owns the trace id, puts a logger
// carrying it into the request ctx, bounds the body, recovers panics, and
// writes the access-log line and the metrics once the handler is done. The
// access line is built on root with the trace id as a field, so a request
// nobody else logs for never builds its request logger.
func observe(root zerolog.Logger, m *httpMetrics, maxBody func() int64, clientIP func(*gin.Context) string) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		id := traceIDFrom(c.Request.Header)
		c.Writer.Header()[keyTraceID] = []string{id}
		ctx := trace.WithLogger(c.Request.Context(), &root, id)
		c.Request = c.Request.WithContext(ctx)
		if c.Request.Body != nil && c.Request.ContentLength != 0 {
			c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxBody())
		}

		defer func() {
			if p := recover(); p != nil {
				if err, ok := p.(error); ok && errors.Is(err, http.ErrAbortHandler) {
					panic(p) // the client went away; net/http handles this one
				}
				zerolog.Ctx(ctx).Error().Str("panic", panicText(p)).Bytes("stack", debug.Stack()).Msg("panic recovered")
				abort(c, http.StatusInternalServerError, "internal error")
			}
			route := c.FullPath()
			if route == "" {
				route = "unmatched"
			}
			status := c.Writer.Status()
			elapsed := time.Since(start)
			var ms [24]byte
			m.observe(c.Request.Method, route, status, elapsed)
			root.Info().Ctx(ctx).
				Str("method", c.Request.Method).
				Str("route", route).
				Int("status", status).
				Int("bytes", c.Writer.Size()).
				RawJSON("latency_ms", appendMillis(ms[:0], elapsed)).
				Str("client_ip", clientIP(c)).
				Str("trace_id", id).
				Msg("access")
		}()
		c.Next()
	}
}

func panicText(p any) string { return fmt.Sprint(p) }

// appendMillis appends d in milliseconds with microsecond resolution
// (12.345). zerolog's Dur goes through shortest-float formatting, which
// cost as much as the rest of the access line's fields together.
func appendMillis(b []byte, d time.Duration) []byte {
	us := d.Microseconds()
	if us < 0 {
		b = append(b, '-')
		us = -us
	}
	b = strconv.AppendInt(b, us/1000, 10)
	frac := us % 1000
	return append(b, '.', byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
}

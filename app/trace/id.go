// Package trace owns the trace id: where it comes from on a request, how it
// travels in a context, and how outbound calls forward it.
package trace

import (
	"encoding/hex"
	"math/rand/v2"
	"strings"
)

// Header names carrying a trace id. HeaderTraceID is the Python template's.
const (
	HeaderTraceID     = "X-Trace-Id"
	HeaderRequestID   = "X-Request-ID"
	HeaderTraceparent = "traceparent"
)

// NewID returns a random 32-hex-digit id, also a valid W3C trace-id. It uses
// math/rand/v2's per-thread ChaCha8 source: unpredictability is not needed,
// speed on every request is.
func NewID() string {
	var raw [16]byte
	for {
		putUint64(raw[:8], rand.Uint64())
		putUint64(raw[8:], rand.Uint64())
		if raw != [16]byte{} { // the all-zero trace-id is invalid in W3C
			break
		}
	}
	var buf [32]byte
	hex.Encode(buf[:], raw[:])
	return string(buf[:])
}

func putUint64(b []byte, v uint64) {
	for i := range 8 {
		b[i] = byte(v >> (56 - 8*i))
	}
}

// ValidID reports whether s is a sane token to accept from a client:
// 1 to 64 characters of [A-Za-z0-9._-].
func ValidID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// FromTraceparent returns the trace-id of a valid W3C traceparent header
// (version-traceid-parentid-flags, lower-case hex, ids not all zero).
func FromTraceparent(h string) (string, bool) {
	h = strings.TrimSpace(h)
	if len(h) < 55 || (len(h) > 55 && h[55] != '-') {
		return "", false
	}
	version, traceID, parentID, flags := h[0:2], h[3:35], h[36:52], h[53:55]
	if h[2] != '-' || h[35] != '-' || h[52] != '-' {
		return "", false
	}
	if !isLowerHex(version) || version == "ff" || (version == "00" && len(h) != 55) {
		return "", false
	}
	if !isLowerHex(traceID) || allZero(traceID) || !isLowerHex(parentID) || allZero(parentID) || !isLowerHex(flags) {
		return "", false
	}
	return traceID, true
}

// Traceparent builds a W3C traceparent carrying id. An id that is not
// already a 32-hex trace-id (a client's X-Trace-Id, say) is stretched to one
// deterministically so the same id always maps to the same trace.
func Traceparent(id string) string {
	traceID := id
	if len(id) != 32 || !isLowerHex(id) || allZero(id) {
		traceID = stretch(id)
	}
	var span [8]byte
	putUint64(span[:], rand.Uint64()|1)
	return "00-" + traceID + "-" + hex.EncodeToString(span[:]) + "-01"
}

// stretch maps any string to 32 hex digits with FNV-1a run twice.
func stretch(s string) string {
	const offset, prime = 14695981039346656037, 1099511628211
	h1, h2 := uint64(offset), uint64(offset^0x9e3779b97f4a7c15)
	for i := 0; i < len(s); i++ {
		h1 = (h1 ^ uint64(s[i])) * prime
		h2 = (h2 ^ uint64(s[len(s)-1-i])) * prime
	}
	var raw [16]byte
	putUint64(raw[:8], h1)
	putUint64(raw[8:], h2|1)
	return hex.EncodeToString(raw[:])
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func allZero(s string) bool { return strings.Trim(s, "0") == "" }

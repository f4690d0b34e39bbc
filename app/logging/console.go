package logging

import (
	"bytes"
	"io"
	"sync"
)

// consoleWriter turns the JSON lines zerolog writes into human lines:
//
//	2026-07-01 09:00:00.000 INF access method=GET status=200 app=gomicro trace_id=4bf9…
//
// time, level and message first, then every other field as key=value in
// the order it was added, trace_id last. zerolog has no pluggable encoder,
// so the line is rewritten from zerolog's own output in one pass, with no
// decoding: values are copied as zerolog encoded them (a string is quoted
// only when it holds a space, '=', a quote or an escape; objects stay JSON),
// nothing is allocated and nothing sorted. zerolog's ConsoleWriter decodes
// every line into a map and spent more CPU than serving the request.
type consoleWriter struct {
	out   io.Writer
	color bool

	mu     sync.Mutex
	buf    []byte // the converted batch
	fields []byte // the current line's other fields
}

func newConsoleWriter(out io.Writer, color bool) *consoleWriter {
	return &consoleWriter{out: out, color: color}
}

// ANSI codes of the coloured view.
const (
	ansiReset = "\x1b[0m"
	ansiDim   = "\x1b[90m"
	ansiKey   = "\x1b[36m"
	ansiRed   = "\x1b[31m"
	ansiBold  = "\x1b[1m"
)

// Write converts every line of p and writes them to out in one call. A line
// that is not a JSON object goes out as it came. It reports len(p) when out
// took everything, and 0 with out's error otherwise.
func (c *consoleWriter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.buf = c.buf[:0]
	for rest := p; len(rest) > 0; {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		c.buf = c.appendLine(c.buf, line)
	}
	if _, err := c.out.Write(c.buf); err != nil {
		return 0, err
	}
	return len(p), nil
}

// appendLine appends the human form of one JSON line (without its newline)
// and a newline to dst.
func (c *consoleWriter) appendLine(dst, line []byte) []byte {
	var f lineFields
	c.fields = c.fields[:0]
	fields, ok := c.scan(line, &f, c.fields)
	c.fields = fields
	if !ok {
		dst = append(dst, line...)
		return append(dst, '\n')
	}
	dst = c.appendTime(dst, f.time)
	dst = c.appendLevel(dst, f.level)
	if len(f.message) > 0 {
		dst = append(dst, ' ')
		dst = append(dst, f.message...)
	}
	dst = append(dst, fields...)
	if f.traceID != nil {
		dst = c.appendField(dst, []byte("trace_id"), f.traceID)
	}
	return append(dst, '\n')
}

// lineFields points into the line at the fields shown in fixed places.
type lineFields struct {
	time, level, message, traceID []byte // string contents, traceID a raw value
}

// scan walks the top level of one JSON object, filling f and appending the
// other fields to fields. ok is false when line is not an object.
func (c *consoleWriter) scan(line []byte, f *lineFields, fields []byte) (_ []byte, ok bool) {
	i := skipSpace(line, 0)
	if i >= len(line) || line[i] != '{' {
		return fields, false
	}
	i = skipSpace(line, i+1)
	if i < len(line) && line[i] == '}' {
		return fields, true
	}
	for i < len(line) {
		if line[i] != '"' {
			return fields, false
		}
		end := stringEnd(line, i)
		if end < 0 {
			return fields, false
		}
		key := line[i+1 : end-1]
		i = skipSpace(line, end)
		if i >= len(line) || line[i] != ':' {
			return fields, false
		}
		i = skipSpace(line, i+1)
		vend := valueEnd(line, i)
		if vend < 0 {
			return fields, false
		}
		val := line[i:vend]
		fields = c.place(f, fields, key, val)
		i = skipSpace(line, vend)
		if i >= len(line) {
			return fields, false
		}
		switch line[i] {
		case '}':
			return fields, true
		case ',':
			i = skipSpace(line, i+1)
		default:
			return fields, false
		}
	}
	return fields, false
}

// place puts the first time, level, message and trace_id in f and every
// other field, as " key=value", in fields.
func (c *consoleWriter) place(f *lineFields, fields, key, val []byte) []byte {
	isStr := len(val) >= 2 && val[0] == '"'
	switch {
	case f.time == nil && isStr && string(key) == "time":
		f.time = val[1 : len(val)-1]
	case f.level == nil && isStr && string(key) == "level":
		f.level = val[1 : len(val)-1]
	case f.message == nil && isStr && string(key) == "message":
		f.message = val[1 : len(val)-1]
	case f.traceID == nil && string(key) == "trace_id":
		f.traceID = val
	default:
		fields = c.appendField(fields, key, val)
	}
	return fields
}

func (c *consoleWriter) appendTime(dst, t []byte) []byte {
	if len(t) == 0 {
		return append(dst, "-"...)
	}
	if c.color {
		dst = append(dst, ansiDim...)
	}
	// 2006-01-02T15:04:05.000Z07:00 shows as 2006-01-02 15:04:05.000: the
	// zone is app.timezone's, the same on every line.
	if len(t) >= 23 && t[10] == 'T' {
		dst = append(dst, t[:10]...)
		dst = append(dst, ' ')
		dst = append(dst, t[11:23]...)
	} else {
		dst = append(dst, t...)
	}
	if c.color {
		dst = append(dst, ansiReset...)
	}
	return dst
}

var levelTags = map[string]struct{ tag, color string }{
	"trace": {"TRC", "\x1b[35m"},
	"debug": {"DBG", "\x1b[33m"},
	"info":  {"INF", "\x1b[32m"},
	"warn":  {"WRN", "\x1b[33;1m"},
	"error": {"ERR", "\x1b[31;1m"},
	"fatal": {"FTL", "\x1b[31;1m"},
	"panic": {"PNC", "\x1b[31;1m"},
}

func (c *consoleWriter) appendLevel(dst, level []byte) []byte {
	dst = append(dst, ' ')
	t, ok := levelTags[string(level)]
	if !ok {
		return append(dst, "???"...)
	}
	if c.color {
		dst = append(dst, t.color...)
		dst = append(dst, t.tag...)
		return append(dst, ansiReset...)
	}
	return append(dst, t.tag...)
}

// appendField appends " key=value". A string value loses its quotes unless
// it is empty or holds a space, '=', a quote or an escape; any other value
// (number, bool, null, object, array) is shown as zerolog wrote it.
func (c *consoleWriter) appendField(dst, key, val []byte) []byte {
	dst = append(dst, ' ')
	if c.color {
		if string(key) == "error" {
			dst = append(dst, ansiRed...)
		} else {
			dst = append(dst, ansiKey...)
		}
	}
	dst = append(dst, key...)
	dst = append(dst, '=')
	if c.color {
		dst = append(dst, ansiReset...)
		if string(key) == "error" {
			dst = append(dst, ansiBold...)
		}
	}
	if len(val) >= 2 && val[0] == '"' && !needsQuotes(val[1:len(val)-1]) {
		dst = append(dst, val[1:len(val)-1]...)
	} else {
		dst = append(dst, val...)
	}
	if c.color && string(key) == "error" {
		dst = append(dst, ansiReset...)
	}
	return dst
}

func needsQuotes(s []byte) bool {
	if len(s) == 0 {
		return true
	}
	for _, b := range s {
		if b <= ' ' || b == '=' || b == '"' || b == '\\' {
			return true
		}
	}
	return false
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index just past the closing quote of the JSON
// string starting at b[i], or -1. Strings in a log line are short: a byte
// loop beats bytes.IndexByte's set-up.
func stringEnd(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return -1
}

// valueEnd returns the index just past the JSON value starting at b[i], or
// -1. Objects and arrays are matched by depth, strings inside them skipped.
func valueEnd(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				e := stringEnd(b, j)
				if e < 0 {
					return -1
				}
				j = e - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	}
	j := i
	for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ' ' {
		j++
	}
	if j == i {
		return -1
	}
	return j
}

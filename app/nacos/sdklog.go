package nacos

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/rs/zerolog"
)

// sdkLogger routes the SDK's logging into our zerolog logger so nothing
// lands in the SDK's own files. The SDK logs at info what is chatter to us
// (TLS checks, every reconnect step), so its info becomes our debug; its
// debug lines print whole request and response payloads, config content and
// access tokens included, so they are dropped. Every line goes through
// redact because even its error lines print request bodies and login params.
type sdkLogger struct {
	log zerolog.Logger
}

func newSDKLogger(l zerolog.Logger) *sdkLogger {
	return &sdkLogger{log: l.With().Str("component", "nacos-sdk").Logger()}
}

func (l *sdkLogger) emit(e *zerolog.Event, msg string) {
	if e == nil {
		return
	}
	e.Msg(redact(msg))
}

func (l *sdkLogger) Info(args ...any)             { l.emit(l.log.Debug(), fmt.Sprint(args...)) }
func (l *sdkLogger) Warn(args ...any)             { l.emit(l.warn(fmt.Sprint(args...))) }
func (l *sdkLogger) Error(args ...any)            { l.emit(l.log.Error(), fmt.Sprint(args...)) }
func (l *sdkLogger) Debug(...any)                 {}
func (l *sdkLogger) Infof(f string, args ...any)  { l.emit(l.log.Debug(), fmt.Sprintf(f, args...)) }
func (l *sdkLogger) Warnf(f string, args ...any)  { l.emit(l.warn(fmt.Sprintf(f, args...))) }
func (l *sdkLogger) Errorf(f string, args ...any) { l.emit(l.log.Error(), fmt.Sprintf(f, args...)) }
func (l *sdkLogger) Debugf(string, ...any)        {}

// warn picks the level of an SDK warning. The SDK warns on every start that
// its own cache file does not exist yet, which is normal for us (we keep our
// own snapshot), so those become debug lines.
func (l *sdkLogger) warn(msg string) (*zerolog.Event, string) {
	if strings.Contains(msg, "file doesn't exist") || strings.Contains(msg, "file not exist") {
		return l.log.Debug(), msg
	}
	return l.log.Warn(), msg
}

// Close is called by the SDK when another logger replaces this one; the
// zerolog writers belong to the service, so there is nothing to close.
func (l *sdkLogger) Close() error { return nil }

var (
	// content=… up to the ", type=" that follows it in the SDK's
	// data-received line; the content itself may hold commas and newlines.
	contentField = regexp.MustCompile(`(?s)(content=).*?(, type=|$)`)
	// "password":"…", accessToken=…, map[accessToken:…], and the same
	// inside a JSON string (\"password\":\"…\"); the value ends at a quote,
	// comma, space or bracket.
	secretField = regexp.MustCompile(`(?i)(\\*"?(?:` + secretKeys + `)\\*"?\s*[:=]\s*)(\\*"(?:[^"\\]|\\[^"])*?\\*"|[^,\s\]\}"\\]*)`)
	// A JSON string broken off before its closing quote (the SDK truncates
	// some bodies): whatever follows a secret key up to the end goes.
	brokenField = regexp.MustCompile(`(?is)(\\*"(?:` + secretKeys + `)\\*"\s*:\s*\\*")[^"]*$`)
)

// secretKeys are the field names whose values never reach a log line.
const secretKeys = `password|accesstoken|accesskey|secretkey|content|encrypteddatakey|token|username`

// redacted replaces every secret value in SDK log lines.
const redacted = "******"

// redact removes config content and credentials from an SDK log message.
func redact(msg string) string {
	msg = contentField.ReplaceAllString(msg, "${1}"+redacted+"${2}")
	msg = secretField.ReplaceAllString(msg, "${1}"+redacted)
	return brokenField.ReplaceAllString(msg, "${1}"+redacted)
}

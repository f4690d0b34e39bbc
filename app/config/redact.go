package config

import (
	"net/url"
	"regexp"
	"strings"
)

// RedactURL returns s with the userinfo of every URL in it masked:
// "http://u:secret@host/x" becomes "http://u:******@host/x", and a userinfo
// without a password (often a token) becomes "******@". s may be one URL, a
// comma-separated list such as xxl-job.url, or one without a scheme.
//
// The userinfo is taken to run from a "://" (or the start of s) to the last
// '@' before the next "://", which is wider than RFC 3986's: a password
// holding an unescaped '/', '?', '#' or ',' is masked whole, and a path
// holding '@' is masked up to it. Masking more than needed only shortens
// what a log shows; masking less would leak. A password containing "://"
// is not recognised. RedactURL never fails and is idempotent.
func RedactURL(s string) string {
	if !strings.Contains(s, "@") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for {
		seg, rest, found := strings.Cut(s, "://")
		b.WriteString(maskUserinfo(seg))
		if !found {
			return b.String()
		}
		b.WriteString("://")
		s = rest
	}
}

// maskUserinfo masks what precedes the last '@' of seg, keeping a user
// name followed by ':'.
func maskUserinfo(seg string) string {
	at := strings.LastIndexByte(seg, '@')
	if at < 0 {
		return seg
	}
	if user, _, ok := strings.Cut(seg[:at], ":"); ok {
		return user + ":" + Mask + seg[at:]
	}
	return Mask + seg[at:]
}

// dsnParams are the go-sql-driver/mysql parameters whose values are
// settings, never credentials. connectionAttributes is left out: it is
// free text sent to the server. Any other name is a session variable
// (SET name=value) and may hold anything.
var dsnParams = map[string]bool{
	"allowAllFiles": true, "allowCleartextPasswords": true, "allowFallbackToPlaintext": true,
	"allowNativePasswords": true, "allowOldPasswords": true, "charset": true,
	"checkConnLiveness": true, "clientFoundRows": true, "collation": true,
	"columnsWithAlias": true, "compress": true, "interpolateParams": true, "loc": true,
	"maxAllowedPacket": true, "multiStatements": true, "parseTime": true,
	"readTimeout": true, "rejectReadOnly": true, "serverPubKey": true, "strict": true,
	"timeTruncate": true, "timeout": true, "tls": true, "writeTimeout": true,
}

// plainSetting is what a setting's value looks like once unescaped: a
// word, number, duration, charset list or zone name.
var plainSetting = regexp.MustCompile(`^[A-Za-z0-9_.,:/+-]*$`)

// plainName is what a parameter name looks like; any other piece is shown
// as Mask whole, since its name may be a pasted secret.
var plainName = regexp.MustCompile(`^[A-Za-z0-9_]+$`)

// maskDSNParams masks a MySQL DSN parameter string (database.params) for
// display. It keeps the driver's own settings (charset, parseTime, loc…)
// readable, since they are what one checks when a connection misbehaves,
// and masks every other value: session variables and connectionAttributes
// can carry anything, a denylist of secret-looking names would miss one.
// A setting whose value is not plain is masked too, and a piece without
// '=' or with an odd name is masked whole.
func maskDSNParams(s string) string {
	if s == "" {
		return s
	}
	parts := strings.Split(s, "&")
	for i, p := range parts {
		name, val, ok := strings.Cut(p, "=")
		switch {
		case p == "":
		case !ok || !plainName.MatchString(name):
			parts[i] = Mask
		case val == "" || dsnParams[name] && plainValue(val):
		default:
			parts[i] = name + "=" + Mask
		}
	}
	return strings.Join(parts, "&")
}

func plainValue(v string) bool {
	u, err := url.QueryUnescape(v)
	return err == nil && plainSetting.MatchString(u)
}

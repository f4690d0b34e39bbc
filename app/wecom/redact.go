package wecom

import (
	"regexp"
	"strings"
)

const masked = "******"

// keyParam matches the key query parameter in any URL-ish text.
var keyParam = regexp.MustCompile(`([?&]key=)[^&\s"']*`)

// redact removes the robot key from s: the key query parameter of any URL
// in it and, should WeCom ever echo it, the bare key too.
func redact(s, key string) string {
	s = keyParam.ReplaceAllString(s, "${1}"+masked)
	if key != "" {
		s = strings.ReplaceAll(s, key, masked)
	}
	return s
}

// scrubNetErr turns the error of a failed round trip, whose text holds the
// full URL with the key, into one whose text has the key masked.
func scrubNetErr(err error, key string) error {
	return &netError{msg: redact(err.Error(), key), err: err}
}

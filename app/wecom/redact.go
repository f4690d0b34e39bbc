package wecom

import (
	"errors"
	"net/url"
	"regexp"
	"strings"

	"gomicro/app/config"
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
// full URL with the key and any userinfo of wechat.robot_base_url, into one
// whose text has both masked. net/http's url.Error is rebuilt with the URL
// masked, so a cause walked by errors.Unwrap (ErrorText prints each) shows
// neither either; errors.Is and errors.As still reach its cause.
func scrubNetErr(err error, key string) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = &url.Error{Op: ue.Op, URL: redact(config.RedactURL(ue.URL), key), Err: ue.Err}
	}
	return &netError{msg: redact(err.Error(), key), err: err}
}

package wechat

import (
	"net/url"
	"strings"
)

// query returns the first value of key in a raw query string, as
// url.ParseQuery would read it (pairs with a semicolon or a bad escape
// skipped), without building its map: the callback reads five parameters
// of every message.
func query(raw, key string) string {
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if strings.Contains(pair, ";") {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		if strings.ContainsAny(k, "%+") {
			var err error
			if k, err = url.QueryUnescape(k); err != nil {
				continue
			}
		}
		if k != key {
			continue
		}
		if val, err := url.QueryUnescape(v); err == nil {
			return val
		}
	}
	return ""
}

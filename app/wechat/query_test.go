package wechat

import (
	"net/url"
	"testing"
)

// FuzzQuery checks query against url.ParseQuery, which gin would use.
func FuzzQuery(f *testing.F) {
	for _, s := range []string{
		"signature=abc&timestamp=1&nonce=2&openid=o", "a=1&a=2", "a=%zz&a=ok", "a;b=1&a=2", "a+b=c%20d&a%20b=x",
		"=v&a", "encrypt_type=aes&msg_signature=%41", "echostr=x+y%2B",
	} {
		f.Add(s, "a")
		f.Add(s, "a b")
		f.Add(s, "signature")
	}
	f.Fuzz(func(t *testing.T, raw, key string) {
		vals, _ := url.ParseQuery(raw)
		want := ""
		if v := vals[key]; len(v) > 0 {
			want = v[0]
		}
		if got := query(raw, key); got != want {
			t.Fatalf("query(%q, %q) = %q, url.ParseQuery has %q", raw, key, got, want)
		}
	})
}

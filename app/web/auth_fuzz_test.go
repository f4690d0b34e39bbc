package web

import (
	"strings"
	"testing"
)

// FuzzBearerToken checks the Authorization parser on any header value: a
// token it returns is non-empty and trimmed, came after a Bearer scheme in
// any case, and parses back to itself.
func FuzzBearerToken(f *testing.F) {
	for _, s := range []string{"Bearer abc", "bearer abc", "BEARER   abc  ", "\tBearer abc\t", "Bearer", "Bearer ", "Basic abc", "Bearerabc", "Bearer a b", "", " ", "Bearer \t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		token, ok := bearerToken(h)
		if !ok {
			if token != "" {
				t.Fatalf("%q: refused but token %q", h, token)
			}
			return
		}
		if token == "" || strings.Trim(token, " \t") != token {
			t.Fatalf("%q: token %q not trimmed", h, token)
		}
		scheme, _, _ := strings.Cut(strings.Trim(h, " \t"), " ")
		if !strings.EqualFold(scheme, "bearer") || !strings.HasSuffix(strings.Trim(h, " \t"), token) {
			t.Fatalf("%q: token %q not after a Bearer scheme", h, token)
		}
		if again, ok := bearerToken("Bearer " + token); !ok || again != token {
			t.Fatalf("%q: token %q does not parse back (%q, %v)", h, token, again, ok)
		}
	})
}

package chat

import (
	"encoding/json"
	"strconv"
	"testing"
	"unicode/utf8"
)

// FuzzParseClientFrame: any bytes a client sends either parse into a post
// that survives a round trip, or give an error with a code; never a panic.
func FuzzParseClientFrame(f *testing.F) {
	for _, seed := range []string{
		`{"type":"message","data":{"message":"hi"}}`,
		`{"type":"message","data":{"message":"hi","client_id":"c-1"}}`,
		`{"type":"message","data":{"message":""}}`,
		`{"type":"message","data":null}`,
		`{"type":"typing","data":{}}`,
		`{"type":"message","data":{"message":"\u0000\ud800"}}`,
		`[]`, `null`, `{`, `{"type":"message","data":{"message":"a"}} {}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := parseClientFrame(b)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("error without a message")
			}
			return
		}
		if p.ClientID != nil {
			if n := utf8.RuneCountInString(*p.ClientID); n < 1 || n > maxClientIDChars {
				t.Fatalf("client_id of %d characters accepted", n)
			}
		}
		again, _ := json.Marshal(map[string]any{"type": "message", "data": map[string]any{"message": p.Message, "client_id": p.ClientID}})
		q, err := parseClientFrame(again)
		if err != nil || q.Message != p.Message || (q.ClientID == nil) != (p.ClientID == nil) || (q.ClientID != nil && *q.ClientID != *p.ClientID) {
			// JSON replaces invalid UTF-8 with U+FFFD on the way out.
			if utf8.ValidString(p.Message) && (p.ClientID == nil || utf8.ValidString(*p.ClientID)) {
				t.Fatalf("round trip of %q: %+v, %v", b, q, err)
			}
		}
	})
}

// FuzzParseAfter: the socket's ?after= is a non-negative decimal or an
// error, and valid values print back to themselves.
func FuzzParseAfter(f *testing.F) {
	for _, seed := range []string{"0", "42", "-1", "", "9223372036854775808", "1e3", " 1", "+5", "007"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		n, err := parseAfter(raw)
		if err != nil {
			return
		}
		if n < 0 {
			t.Fatalf("%q gave %d", raw, n)
		}
		if back, _ := parseAfter(strconv.FormatInt(n, 10)); back != n {
			t.Fatalf("%q: %d does not round trip", raw, n)
		}
	})
}

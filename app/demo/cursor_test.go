package demo

import (
	"errors"
	"testing"
)

func TestCursorRoundTrip(t *testing.T) {
	for _, id := range []int64{1, 42, 1<<63 - 1} {
		got, err := decodeCursor(encodeCursor(id))
		if err != nil || got != id {
			t.Errorf("decode(encode(%d)) = %d, %v", id, got, err)
		}
	}
}

func FuzzDecodeCursor(f *testing.F) {
	for _, seed := range []string{encodeCursor(1), encodeCursor(99999), "", "djE6", "djE6MA", "djE6LTE", "djE6MDE", "!!", "djI6MQ"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := decodeCursor(s)
		if err != nil {
			if !errors.Is(err, ErrBadCursor) {
				t.Fatalf("decode(%q) error %v is not ErrBadCursor", s, err)
			}
			return
		}
		if id < 1 {
			t.Fatalf("decode(%q) = %d, want a positive id", s, id)
		}
		if again := encodeCursor(id); again != s {
			t.Fatalf("decode(%q) = %d, which encodes as %q: two spellings of one cursor", s, id, again)
		}
	})
}

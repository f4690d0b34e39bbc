package auth

import (
	"regexp"
	"testing"
	"unicode/utf8"
)

// usernames is the sign-up rule (controller.go's pattern).
var usernames = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// FuzzGuestFor: whatever an MQTT client sends as userName, an accepted
// guest name is valid UTF-8, fits the 32 characters of a message's author
// column, is recognised as a guest's, and is never a name an account can
// have.
func FuzzGuestFor(f *testing.F) {
	for _, seed := range []string{"小明", "alice", "a", "bot", "a b", "x (guest)", "", "123456789012345678901234", "1234567890123456789012345", "\xff", "é\u0301"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, name string) {
		g, err := guestFor(name)
		if err != nil {
			return
		}
		if !utf8.ValidString(g) || utf8.RuneCountInString(g) > 32 || !IsGuest(g) || usernames.MatchString(g) {
			t.Fatalf("guestFor(%q) = %q", name, g)
		}
	})
}

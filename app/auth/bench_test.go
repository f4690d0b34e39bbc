package auth_test

import (
	"net/http"
	"testing"

	"gomicro/app/db/dbtest"
)

// BenchmarkSignInFailure compares a wrong password for an existing user
// (the baseline) with an unknown username: both should cost one argon2id
// verification, so ns/op should match within noise.
func BenchmarkSignInFailure(b *testing.B) {
	gdb := openDB(b, dbtest.SQLite(b))
	h := newEngine(b, gdb, nil, "auth:\n  max_login_failures: 1000000000\n")
	signUp(b, h, "frank", "right password")
	for _, name := range []string{"frank", "nobody"} {
		b.Run(map[string]string{"frank": "wrong_password", "nobody": "unknown_user"}[name], func(b *testing.B) {
			for b.Loop() {
				if r := signIn(h, b, name, "wrong password"); r.status != http.StatusUnauthorized {
					b.Fatalf("status %d", r.status)
				}
			}
		})
	}
}

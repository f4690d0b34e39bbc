package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
)

// tokenBytes is the entropy of a bearer token: 256 bits.
const tokenBytes = 32

// newToken returns a random URL-safe token and the hash stored for it.
func newToken() (token, hash string) {
	b := make([]byte, tokenBytes)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token)
}

// hashToken is what the database keeps of a token. A fast hash is enough:
// tokens carry 256 random bits, so there is nothing to guess offline, and
// the lookup by hash leaks nothing about the token through timing.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Package auth is gomicro's accounts module: sign-up with a slow password
// hash, sign-in that issues random bearer tokens stored only as their hash,
// revocation, a per-username limit on failed sign-ins, and the bearer check
// other modules put in front of their operations and raw routes.
package auth

import (
	"time"

	"gomicro/app/errs"
)

// The module's errors. The web edge maps their codes to 401, 409 and 429
// and shows their messages to clients.
var (
	ErrUsernameTaken = errs.E(errs.Conflict, "this username is taken")
	// ErrBadCredentials is the one answer to a wrong username or a wrong
	// password, so a client cannot tell which.
	ErrBadCredentials  = errs.E(errs.Unauthorized, "wrong username or password")
	ErrTooManyFailures = errs.E(errs.TooManyRequests, "too many failed sign-ins for this username; wait a minute")
	// ErrUnauthenticated answers a missing, malformed, expired or revoked
	// bearer token.
	ErrUnauthenticated = errs.E(errs.Unauthorized, "missing, expired or revoked bearer token")
	ErrUserNotFound    = errs.E(errs.NotFound, "no such user")
)

// User is an account as other modules see it. Usernames never change, so
// modules may keep them next to the id.
type User struct {
	ID       int64
	Username string
}

// Token is a freshly issued bearer token; its clear text exists only here.
type Token struct {
	Token     string
	ExpiresAt time.Time
}

// Principal is the caller of an authenticated request: the user and the
// token it presented (so that token can be revoked).
type Principal struct {
	User    User
	TokenID int64
}

// userRow is one row of auth_users. UsernameKey is the lower-cased name:
// names are unique regardless of case, so "Alice" cannot pose as "alice".
type userRow struct {
	ID           int64
	Username     string
	UsernameKey  string
	Email        string
	PasswordHash string
	CreatedAt    time.Time
}

func (userRow) TableName() string { return "auth_users" }

// tokenRow is one row of auth_tokens: the SHA-256 of a token, never the
// token itself.
type tokenRow struct {
	ID        int64
	UserID    int64
	TokenHash string
	ExpiresAt time.Time
	CreatedAt time.Time
}

func (tokenRow) TableName() string { return "auth_tokens" }

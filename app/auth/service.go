package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"gomicro/app/config"
)

// Service holds the account rules: hashing, sign-in limits, token expiry.
type Service struct {
	store *Store
	cfg   *config.Store
	hash  *hasher
	fails *failures
	now   func() time.Time
}

// NewService returns a Service over store. rc may be nil: failed sign-ins
// are then counted per instance.
func NewService(store *Store, cfg *config.Store, rc *redis.Client) *Service {
	return &Service{
		store: store, cfg: cfg, hash: newHasher(),
		fails: newFailures(rc, cfg.Current().Redis.KeyPrefix),
		now:   func() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }, // MySQL keeps ms
	}
}

// NewUser is a sign-up as the controller validated it.
type NewUser struct {
	Username string
	Email    string
	Password string
}

// SignUp creates an account. It returns an error wrapping ErrUsernameTaken
// when the name (in any case) exists.
func (s *Service) SignUp(ctx context.Context, in NewUser) (User, error) {
	encoded, err := s.hash.hash(ctx, in.Password)
	if err != nil {
		return User{}, fmt.Errorf("hash password: %w", err)
	}
	row := &userRow{
		Username: in.Username, UsernameKey: strings.ToLower(in.Username), Email: in.Email,
		PasswordHash: encoded, CreatedAt: s.now().UTC(),
	}
	if err := s.store.createUser(ctx, row); err != nil {
		return User{}, err
	}
	return User{ID: row.ID, Username: row.Username}, nil
}

// SignIn checks a username and password (see CheckPassword) and issues a
// token valid for auth.token_ttl.
func (s *Service) SignIn(ctx context.Context, username, password string) (Token, error) {
	u, err := s.CheckPassword(ctx, username, password)
	if err != nil {
		return Token{}, err
	}
	clear, hash := newToken()
	now := s.now().UTC()
	row := &tokenRow{UserID: u.ID, TokenHash: hash, ExpiresAt: now.Add(s.cfg.Current().Auth.TokenTTL), CreatedAt: now}
	if err := s.store.createToken(ctx, row); err != nil {
		return Token{}, err
	}
	return Token{Token: clear, ExpiresAt: row.ExpiresAt}, nil
}

// CheckPassword returns the user called username (in any case) when
// password is theirs. A wrong password and an unknown user both return
// ErrBadCredentials after the same work (one argon2id verification); past
// auth.max_login_failures failures for the name within auth.login_window it
// returns ErrTooManyFailures without checking anything. Every sign-in path
// (REST, MQTT) goes through it, so they share one limit.
func (s *Service) CheckPassword(ctx context.Context, username, password string) (User, error) {
	cfg := s.cfg.Current().Auth
	key := strings.ToLower(username)
	if s.fails.attempt(ctx, key, cfg.LoginWindow) > cfg.MaxLoginFailures {
		return User{}, ErrTooManyFailures
	}
	u, err := s.store.userByKey(ctx, key)
	unknown := errors.Is(err, ErrUserNotFound)
	if err != nil && !unknown {
		s.fails.release(ctx, key)
		return User{}, err
	}
	ok, err2 := s.hash.verify(ctx, password, u.PasswordHash) // "" for an unknown user: the dummy
	if err2 != nil {
		s.fails.release(ctx, key)
		return User{}, fmt.Errorf("verify password: %w", err2)
	}
	if unknown || !ok {
		return User{}, ErrBadCredentials // the attempt stays counted
	}
	s.fails.release(ctx, key)
	return User{ID: u.ID, Username: u.Username}, nil
}

// Authenticate returns the caller presenting the Authorization header value
// header ("Bearer <token>"). It returns an error wrapping
// ErrUnauthenticated when the header is missing or malformed or the token
// unknown, expired or revoked.
func (s *Service) Authenticate(ctx context.Context, header string) (Principal, error) {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return Principal{}, ErrUnauthenticated
	}
	token = strings.TrimSpace(token)
	if token == "" || len(token) > 256 {
		return Principal{}, ErrUnauthenticated
	}
	return s.store.principal(ctx, hashToken(token), s.now().UTC())
}

// Revoke ends the token with id at once, on every instance (tokens live in
// the database).
func (s *Service) Revoke(ctx context.Context, tokenID int64) error {
	return s.store.deleteToken(ctx, tokenID)
}

// UserByName returns the user called name (in any case), or an error
// wrapping ErrUserNotFound.
func (s *Service) UserByName(ctx context.Context, name string) (User, error) {
	u, err := s.store.userByKey(ctx, strings.ToLower(name))
	if err != nil {
		return User{}, err
	}
	return User{ID: u.ID, Username: u.Username}, nil
}

// UserByID returns the user with id, or an error wrapping ErrUserNotFound.
func (s *Service) UserByID(ctx context.Context, id int64) (User, error) {
	u, err := s.store.userByID(ctx, id)
	if err != nil {
		return User{}, err
	}
	return User{ID: u.ID, Username: u.Username}, nil
}

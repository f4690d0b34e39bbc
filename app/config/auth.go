package config

import "time"

// Auth configures accounts and bearer tokens (app/auth).
type Auth struct {
	// TokenTTL is how long a token issued at sign-in stays valid.
	TokenTTL time.Duration `koanf:"token_ttl" json:"token_ttl" validate:"min=1m"`
	// MaxLoginFailures is how many wrong passwords one username may see
	// within LoginWindow; past it sign-in answers 429 until the window ends.
	MaxLoginFailures int           `koanf:"max_login_failures" json:"max_login_failures" validate:"min=1"`
	LoginWindow      time.Duration `koanf:"login_window" json:"login_window" validate:"min=1s"`
}

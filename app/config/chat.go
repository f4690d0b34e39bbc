package config

import (
	"net/url"
	"time"

	"github.com/go-playground/validator/v10"
)

// Chat configures the real-time chat module (app/chat).
type Chat struct {
	// MaxMessageChars bounds one message in characters (runes); the
	// database column holds 16000 of them.
	MaxMessageChars int `koanf:"max_message_chars" json:"max_message_chars" validate:"min=1,max=16000"`
	// AllowedOrigins are full origins ("https://app.example.com") whose
	// pages may open a socket besides the server's own origin.
	AllowedOrigins []string `koanf:"allowed_origins" json:"allowed_origins"`
	// PingInterval is how often each socket is pinged; a peer that does
	// not answer within the next interval is dropped.
	PingInterval time.Duration `koanf:"ping_interval" json:"ping_interval" validate:"min=100ms"`
	// SendBuffer is how many frames may wait for a slow socket before it
	// is closed with 1013 (it catches up on reconnect with after=).
	SendBuffer int `koanf:"send_buffer" json:"send_buffer" validate:"min=1,max=100000"`
	// TicketTTL is how long a one-use socket ticket stays valid.
	TicketTTL time.Duration `koanf:"ticket_ttl" json:"ticket_ttl" validate:"min=1s,max=1h"`
}

// chatOriginsValid refuses allowed_origins entries that are not bare
// origins: a path, a wildcard or a missing scheme would never match the
// Origin header a browser sends, and the mistake would only show as 403s.
func chatOriginsValid(sl validator.StructLevel) {
	c := sl.Current().Interface().(Chat)
	for _, o := range c.AllowedOrigins {
		if !isOrigin(o) {
			sl.ReportError(o, "allowed_origins", "AllowedOrigins", "origin", "")
		}
	}
}

// isOrigin reports whether s is http(s)://host[:port], a trailing slash
// allowed, and nothing else.
func isOrigin(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return false
	}
	switch u.Scheme {
	case "http", "https":
		return true
	}
	return false
}

package config

import "time"

// MQTT configures the gateway of cmd/server: an embedded MQTT broker whose
// publishes are routed to modules' handlers (Module/HD_Handler[/msgid]), as
// mqant's gate does, instead of being relayed to subscribers.
type MQTT struct {
	Enabled bool   `koanf:"enabled" json:"enabled"`
	Host    string `koanf:"host" json:"host"`
	// Port is the MQTT-over-TCP port (3563, mqant's gate port); 0 picks a
	// free one.
	Port int `koanf:"port" json:"port" validate:"min=0,max=65535"`
	// WSPort is the MQTT-over-WebSocket port (3653, any path); 0 picks a
	// free one.
	WSPort int `koanf:"ws_port" json:"ws_port" validate:"min=0,max=65535"`
	// MaxPayload bounds one publish's payload; a larger one is refused.
	MaxPayload int `koanf:"max_payload" json:"max_payload" validate:"min=64,max=268435455"`
	// MaxConnections bounds concurrent client connections.
	MaxConnections int `koanf:"max_connections" json:"max_connections" validate:"min=1"`
	// MaxInflight bounds the handler calls one connection has running; past
	// it a call is answered "the work queue is full!".
	MaxInflight int `koanf:"max_inflight" json:"max_inflight" validate:"min=1,max=65535"`
	// CallTimeout bounds one handler call.
	CallTimeout time.Duration `koanf:"call_timeout" json:"call_timeout" validate:"min=0"`
	// GuestLogin lets any userName log in as an unregistered guest, for
	// mqant's demo clients, which send a fixed password.
	GuestLogin bool `koanf:"guest_login" json:"guest_login"`
}

package module

import "context"

// Handler is one gateway handler: MQTT clients call it by publishing to
// Module/Name (fire and forget) or Module/Name/msgid (the result comes
// back on that topic), with a JSON body.
type Handler struct {
	Module string // "Chat"
	Name   string // "HD_Say": starts with HD_ (or mqant's older Handler_)
	// Public handlers may be called before the session has logged in
	// (Login/HD_Login); every other call then gets "Not Logined".
	Public bool
	// Serve runs the call; its result is sent as Result, its error's
	// client message (an errs.Error's) as Error. ctx carries the call's
	// trace id and logger, and ends with the call's timeout or the
	// connection.
	Serve func(ctx context.Context, s Session, body []byte) (any, error)
}

// Session is one client connection as handlers see it.
type Session interface {
	// ID is unique per connection, even when clients share a client id.
	ID() string
	// User is the logged-in user, "" before Login.
	User() string
	// Login binds user to this connection unless another user is bound
	// to it already, in one step; it reports whether user is bound now.
	Login(user string) bool
	// Push writes v as JSON to this connection only, on topic, at QoS 0;
	// the client need not subscribe. A json.RawMessage is sent as it is, so
	// a payload encoded once can go to many connections. It never blocks on
	// the network: a client that cannot keep up is disconnected.
	Push(topic string, v any) error
	// Done is closed when the connection ends (disconnect or keepalive
	// expiry).
	Done() <-chan struct{}
}

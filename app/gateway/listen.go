package gateway

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/mochi-mqtt/server/v2/listeners"
)

// tcpListener serves MQTT over a TCP listener opened by Start, so a bad
// port fails the start and port 0 reports the port it got.
type tcpListener struct {
	ln           net.Listener
	closeClients func(listener string)
	once         sync.Once
}

func newTCPListener(ln net.Listener, closeClients func(listener string)) *tcpListener {
	return &tcpListener{ln: ln, closeClients: closeClients}
}

func (l *tcpListener) ID() string              { return "tcp" }
func (l *tcpListener) Address() string         { return l.ln.Addr().String() }
func (l *tcpListener) Protocol() string        { return "tcp" }
func (l *tcpListener) Init(*slog.Logger) error { return nil }

// Serve accepts until the listener closes; each connection is one client.
func (l *tcpListener) Serve(establish listeners.EstablishFn) {
	for {
		conn, err := l.ln.Accept()
		if err != nil {
			return
		}
		go func() { _ = establish(l.ID(), conn) }()
	}
}

// Close stops accepting and closes the listener's clients. It ignores the
// broker's CloseFn: in mochi v2.7.9 that read-locks the client map twice
// (Clients.GetByListener calls Len), so a client disconnecting in between
// deadlocks it and shutdown hangs for good. The gateway closes them from
// its own sessions instead.
func (l *tcpListener) Close(listeners.CloseFn) {
	l.once.Do(func() { _ = l.ln.Close() })
	l.closeClients(l.ID())
}

// subprotocols are the WebSocket subprotocols MQTT clients offer: paho JS
// offers "mqtt" (3.1.1) or "mqttv3.1"; a browser aborts when the server
// does not echo the one it offered.
var subprotocols = []string{"mqtt", "mqttv3.1"}

// wsListener serves MQTT over WebSocket on any path, binary frames carrying
// the MQTT byte stream.
type wsListener struct {
	ln           net.Listener
	srv          *http.Server
	closeClients func(listener string)
	once         sync.Once
}

func newWSListener(ln net.Listener, closeClients func(listener string)) *wsListener {
	l := &wsListener{ln: ln, closeClients: closeClients}
	l.srv = &http.Server{Handler: http.HandlerFunc(l.upgrade), ReadHeaderTimeout: 10 * time.Second}
	return l
}

func (l *wsListener) ID() string              { return "ws" }
func (l *wsListener) Address() string         { return l.ln.Addr().String() }
func (l *wsListener) Protocol() string        { return "ws" }
func (l *wsListener) Init(*slog.Logger) error { return nil }

var establishKey = struct{ name string }{"establish"}

// Serve runs the HTTP server that upgrades every request.
func (l *wsListener) Serve(establish listeners.EstablishFn) {
	l.srv.BaseContext = func(net.Listener) context.Context {
		return context.WithValue(context.Background(), establishKey, establish)
	}
	if err := l.srv.Serve(l.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return
	}
}

func (l *wsListener) upgrade(w http.ResponseWriter, r *http.Request) {
	establish, _ := r.Context().Value(establishKey).(listeners.EstablishFn)
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		Subprotocols: subprotocols,
		// MQTT carries its own login; browsers on any origin may connect,
		// as with the TCP port.
		InsecureSkipVerify: true,
	})
	if err != nil || establish == nil {
		return
	}
	// The broker bounds packet sizes itself (mqtt.max_payload).
	c.SetReadLimit(-1)
	// The connection outlives the request; the broker's deadlines
	// (keepalive) bound it.
	ctx := context.WithoutCancel(r.Context())
	conn := websocket.NetConn(ctx, c, websocket.MessageBinary)
	_ = establish(l.ID(), conn)
}

// Close stops the HTTP server (hijacked connections are the broker's) and
// closes the listener's clients (not through the broker's CloseFn: see
// tcpListener.Close).
func (l *wsListener) Close(listeners.CloseFn) {
	l.once.Do(func() { _ = l.srv.Close() })
	l.closeClients(l.ID())
}

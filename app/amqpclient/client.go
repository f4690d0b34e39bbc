// Package amqpclient keeps the shared connection to the broker of the amqp
// config section (RabbitMQ): dialled again with backoff whenever it drops,
// a readiness check, and publishing with publisher confirms. Modules open
// channels on it for their own queues.
package amqpclient

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/url"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/rs/zerolog"

	"gomicro/app/config"
	"gomicro/app/module"
)

// ErrNotConnected is returned while the broker is unreachable.
var ErrNotConnected = errors.New("amqp: not connected")

// ErrClosed is returned once the client is closed.
var ErrClosed = errors.New("amqp: client closed")

// Backoff of the redial loop: from minBackoff, doubled after each failure up
// to maxBackoff, with up to a fifth of jitter so instances do not redial in
// step after a broker restart.
const (
	minBackoff  = 100 * time.Millisecond
	maxBackoff  = 5 * time.Second
	dialTimeout = 5 * time.Second
	heartbeat   = 10 * time.Second
)

// Client is one connection to the broker, kept up by a goroutine of its
// own: it is dialled again with backoff whenever it drops, and whoever needs
// it asks for the current one. It is safe for concurrent use.
type Client struct {
	url  string
	name string
	log  zerolog.Logger

	mu      sync.Mutex
	conn    *amqp.Connection
	changed chan struct{} // closed and replaced at every connect and loss
	closed  bool

	done     chan struct{} // closed by Close
	loopDone chan struct{}
}

// Open starts keeping a connection to cfg.URL (which must not be empty),
// named name in the broker's connection list. It waits for the first dial
// at most until ctx ends or the dial's own bound: an unreachable broker is
// logged and dialled again in the background, and Check reports it down
// meanwhile. Lines are logged through zerolog.Ctx(ctx).
func Open(ctx context.Context, cfg config.AMQP, name string) *Client {
	c := &Client{
		url: cfg.URL, name: name, log: *zerolog.Ctx(ctx),
		changed: make(chan struct{}), done: make(chan struct{}), loopDone: make(chan struct{}),
	}
	first := make(chan struct{})
	go c.loop(first)
	select {
	case <-first:
	case <-ctx.Done():
	}
	return c
}

// loop dials, holds the connection until it closes, and dials again.
func (c *Client) loop(first chan struct{}) {
	defer close(c.loopDone)
	delay := minBackoff
	for failures := 0; ; failures++ {
		conn, err := amqp.DialConfig(c.url, amqp.Config{
			Heartbeat:  heartbeat,
			Locale:     "en_US",
			Dial:       amqp.DefaultDial(dialTimeout),
			Properties: amqp.Table{"connection_name": c.name},
		})
		if first != nil {
			close(first)
			first = nil
		}
		if err != nil {
			// One line per failure is bounded by the backoff: at most one
			// every maxBackoff while the broker stays away.
			c.log.Warn().Err(err).Str("broker", c.Addr()).Dur("retry_in", delay).Msg("amqp dial failed")
			if !c.sleep(delay) {
				return
			}
			delay = min(2*delay, maxBackoff)
			continue
		}
		delay = minBackoff
		lost := conn.NotifyClose(make(chan *amqp.Error, 1))
		c.set(conn)
		c.log.Info().Str("broker", c.Addr()).Int("after_failures", failures).Msg("amqp connected")
		failures = -1
		select {
		case err := <-lost:
			c.set(nil)
			c.log.Warn().Str("broker", c.Addr()).Str("reason", errText(err)).Msg("amqp connection lost; dialling again")
		case <-c.done:
			c.set(nil)
			_ = conn.Close()
			return
		}
	}
}

func errText(err *amqp.Error) string {
	if err == nil {
		return "closed"
	}
	return err.Error()
}

// sleep waits d with jitter; false when the client closed meanwhile.
func (c *Client) sleep(d time.Duration) bool {
	t := time.NewTimer(d + rand.N(d/5+1))
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-c.done:
		return false
	}
}

func (c *Client) set(conn *amqp.Connection) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.conn = conn
	close(c.changed)
	c.changed = make(chan struct{})
}

// Current returns the open connection, or nil while the broker is
// unreachable. It never waits.
func (c *Client) Current() *amqp.Connection {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == nil || c.conn.IsClosed() {
		return nil
	}
	return c.conn
}

// Connection returns the open connection, waiting for one until ctx ends.
// Errors: ctx's, or ErrClosed once the client is closed.
func (c *Client) Connection(ctx context.Context) (*amqp.Connection, error) {
	for {
		c.mu.Lock()
		conn, changed, closed := c.conn, c.changed, c.closed
		c.mu.Unlock()
		switch {
		case closed:
			return nil, ErrClosed
		case conn != nil && !conn.IsClosed():
			return conn, nil
		}
		select {
		case <-changed:
		case <-c.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Addr is the broker's host:port, for logs and readiness: the URL without
// its userinfo or vhost.
func (c *Client) Addr() string {
	u, err := url.Parse(c.url)
	if err != nil {
		return config.RedactURL(c.url)
	}
	return u.Host
}

// Check is the /readyz probe of the connection.
func (c *Client) Check(name string, required bool) module.Check {
	return module.Check{Name: name, Required: required, Probe: func(context.Context) (string, error) {
		if c.Current() == nil {
			return c.Addr(), ErrNotConnected
		}
		return c.Addr(), nil
	}}
}

// Close ends the redial loop and closes the connection; channels on it
// close with it. It is safe to call more than once.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.mu.Unlock()
	close(c.done)
	<-c.loopDone
	return nil
}

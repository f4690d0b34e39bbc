package amqpclient

import (
	"context"
	"errors"
	"fmt"
	"sync"

	amqp "github.com/rabbitmq/amqp091-go"
)

// ErrNacked is returned when the broker refused a publish, or the channel
// closed before it confirmed one.
var ErrNacked = errors.New("amqp: publish not confirmed by the broker")

// Publisher publishes on one channel in confirm mode, opened on the client's
// current connection when first needed and again after it closed. It is
// safe for concurrent use; publishes share the channel.
type Publisher struct {
	c     *Client
	setup func(ch *amqp.Channel) error

	mu sync.Mutex
	ch *amqp.Channel
}

// NewPublisher returns a publisher on c. setup, when not nil, runs on every
// channel it opens before the first publish there (declaring the queues
// the publishes go to, so none is dropped as unroutable).
func (c *Client) NewPublisher(setup func(ch *amqp.Channel) error) *Publisher {
	return &Publisher{c: c, setup: setup}
}

// Publish sends msg, made persistent, to exchange with routing key, and
// waits for the broker's confirm until ctx ends. It does not wait for a
// connection: while the broker is unreachable it fails at once. Errors:
// ErrNotConnected, ErrNacked, a channel or setup error, or ctx's when the
// confirm did not come in time (the message may still be delivered).
func (p *Publisher) Publish(ctx context.Context, exchange, key string, msg amqp.Publishing) error {
	dc, err := p.PublishDeferred(ctx, exchange, key, msg)
	if err != nil {
		return err
	}
	acked, err := dc.WaitContext(ctx)
	switch {
	case err != nil:
		return fmt.Errorf("amqp confirm: %w", err)
	case !acked:
		return ErrNacked
	}
	return nil
}

// PublishDeferred sends msg, made persistent, to exchange with routing key
// and returns at once with the confirmation to come (Done, then Acked),
// for a caller with other things to wait for meanwhile. Like Publish it
// fails at once while the broker is unreachable. Errors: ErrNotConnected,
// a channel or setup error.
func (p *Publisher) PublishDeferred(ctx context.Context, exchange, key string, msg amqp.Publishing) (*amqp.DeferredConfirmation, error) {
	ch, err := p.channel()
	if err != nil {
		return nil, err
	}
	msg.DeliveryMode = amqp.Persistent
	dc, err := ch.PublishWithDeferredConfirmWithContext(ctx, exchange, key, false, false, msg)
	if err != nil {
		return nil, fmt.Errorf("amqp publish: %w", err)
	}
	return dc, nil
}

// channel returns the open confirm-mode channel, opening one when needed.
func (p *Publisher) channel() (*amqp.Channel, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ch != nil && !p.ch.IsClosed() {
		return p.ch, nil
	}
	p.ch = nil
	conn := p.c.Current()
	if conn == nil {
		return nil, ErrNotConnected
	}
	ch, err := conn.Channel()
	if err != nil {
		return nil, fmt.Errorf("amqp channel: %w", err)
	}
	if err := ch.Confirm(false); err != nil {
		_ = ch.Close()
		return nil, fmt.Errorf("amqp confirm mode: %w", err)
	}
	if p.setup != nil {
		if err := p.setup(ch); err != nil {
			_ = ch.Close()
			return nil, err
		}
	}
	p.ch = ch
	return ch, nil
}

// Close closes the publisher's channel.
func (p *Publisher) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ch == nil {
		return nil
	}
	err := p.ch.Close()
	p.ch = nil
	if err != nil && !errors.Is(err, amqp.ErrClosed) {
		return fmt.Errorf("amqp close channel: %w", err)
	}
	return nil
}

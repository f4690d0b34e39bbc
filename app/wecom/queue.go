package wecom

import (
	"context"
	"fmt"

	"github.com/rs/zerolog"

	"gomicro/app/trace"
)

// job is one Send: the parts of a message after splitting, the ctx whose
// logger and trace id go with it, and where a synchronous caller waits.
type job struct {
	ctx    context.Context
	robot  string
	parts  []Message
	result chan error // nil for an asynchronous send
}

func (j *job) done(err error) {
	if j.result != nil {
		j.result <- err
	}
}

// Send queues m for robot and returns without waiting for WeCom. Long text
// and markdown are split into several messages sent in order. The send is
// logged with the trace id of ctx; ctx's cancellation does not stop it. It
// returns an error wrapping ErrUnknownRobot or ErrInvalidMessage for a send
// that can never succeed, ErrQueueFull when the robot's queue is full and
// ErrClosed after Close; in the last two cases the message is logged whole.
func (c *Client) Send(ctx context.Context, robot string, m Message) error {
	ctx = c.withTrace(ctx)
	j, err := c.newJob(context.WithoutCancel(ctx), robot, m, nil)
	if err != nil {
		return err
	}
	return c.enqueue(j)
}

// SendSync is Send that waits for the result: nil once every part was
// accepted, else the first error, such as an *APIError carrying the
// errcode, or ctx's error when ctx ends first (the message is then not
// sent, and logged whole).
func (c *Client) SendSync(ctx context.Context, robot string, m Message) error {
	ctx = c.withTrace(ctx)
	j, err := c.newJob(ctx, robot, m, make(chan error, 1))
	if err != nil {
		return err
	}
	if err := c.enqueue(j); err != nil {
		return err
	}
	select {
	case err := <-j.result:
		return err
	case <-ctx.Done():
		return fmt.Errorf("wecom send to %s: %w", robot, ctx.Err())
	}
}

// withTrace makes sure ctx has a trace id and a logger carrying it, so that
// every send can be followed in the logs and at WeCom's end of the
// transport. A ctx with both is taken as it is: by convention the logger
// of a ctx with a trace id already has the trace_id field.
func (c *Client) withTrace(ctx context.Context) context.Context {
	l, id := zerolog.Ctx(ctx), trace.FromContext(ctx)
	hasLogger := l.GetLevel() != zerolog.Disabled
	if hasLogger && id != "" {
		return ctx
	}
	if !hasLogger {
		l = zerolog.Ctx(c.ctx)
	}
	if id == "" {
		id = trace.NewID()
		ctx = trace.NewContext(ctx, id)
	}
	ll := l.With().Str("trace_id", id).Logger()
	return ll.WithContext(ctx)
}

func (c *Client) newJob(ctx context.Context, robot string, m Message, result chan error) (*job, error) {
	if _, ok := c.cur.Load().robot(robot); !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownRobot, robot)
	}
	parts := []Message{m}
	if sp, ok := m.(splitter); ok {
		parts = sp.split()
	}
	if len(parts) == 0 {
		return nil, validate(m) // an empty content: report it as such
	}
	for _, p := range parts {
		if err := validate(p); err != nil {
			return nil, err
		}
	}
	return &job{ctx: ctx, robot: canonical(robot), parts: parts, result: result}, nil
}

// enqueue hands j to its robot's worker without ever blocking the caller.
func (c *Client) enqueue(j *job) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		err := fmt.Errorf("wecom send to %s: %w", j.robot, ErrClosed)
		c.logUnsent(j, 0, err)
		return err
	}
	w := c.workers[j.robot]
	if w == nil {
		w = c.startWorker(j.robot)
	}
	select {
	case w.queue <- j:
		c.mu.Unlock()
		return nil
	default:
		c.mu.Unlock()
		err := fmt.Errorf("wecom send to %s: %w (%d waiting)", j.robot, ErrQueueFull, cap(w.queue))
		c.logUnsent(j, 0, err)
		return err
	}
}

// startWorker must be called with c.mu held and c.closed false.
func (c *Client) startWorker(robot string) *worker {
	w := &worker{
		c:     c,
		robot: robot,
		queue: make(chan *job, c.cur.Load().queueSize),
		win:   newWindow(c.opts.PerMinute, c.opts.Window),
	}
	c.workers[robot] = w
	c.wg.Add(1)
	go w.run()
	return w
}

// Close stops taking messages and sends what is queued, paced as usual,
// until ctx ends; then every message still unsent is logged whole. It
// returns an error wrapping ErrClosed that counts the messages that were
// not sent during the flush, or nil when all went out.
func (c *Client) Close(ctx context.Context) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	before := c.unsent.Load()
	close(c.closing)
	c.mu.Unlock()

	done := make(chan struct{})
	go func() {
		c.wg.Wait()
		close(done)
	}()
	var cause error
	select {
	case <-done:
	case <-ctx.Done():
		cause = ctx.Err()
		c.abort()
		<-done
	}
	c.abort()
	n := c.unsent.Load() - before
	switch {
	case n > 0 && cause != nil:
		return fmt.Errorf("wecom flush: %w: %d messages not sent, each logged: %w", ErrClosed, n, cause)
	case n > 0:
		return fmt.Errorf("wecom flush: %w: %d messages not sent, each logged", ErrClosed, n)
	}
	return nil
}

package wecom

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/rs/zerolog"
)

// worker sends one robot's queue in order, paced to WeCom's limit. Only its
// goroutine touches win.
type worker struct {
	c     *Client
	robot string
	queue chan *job
	win   *window
}

func (w *worker) run() {
	defer w.c.wg.Done()
	for {
		select {
		case j := <-w.queue:
			w.deliver(j)
		case <-w.c.closing:
			for {
				select {
				case j := <-w.queue:
					w.deliver(j)
				default:
					return
				}
			}
		}
	}
}

func (w *worker) deliver(j *job) {
	for i, part := range j.parts {
		if err := w.sendPart(j.ctx, part); err != nil {
			err = fmt.Errorf("wecom send to %s: %w", w.robot, err)
			w.c.logUnsent(j, i, err)
			j.done(err)
			return
		}
	}
	j.done(nil)
}

// sendPart tries one message up to Attempts times: waiting for the window,
// backing off after a retryable error, giving up at once on a permanent one.
func (w *worker) sendPart(ctx context.Context, m Message) error {
	o := w.c.opts
	var err error
	for attempt := 1; attempt <= o.Attempts; attempt++ {
		if err := w.pace(ctx); err != nil {
			return err
		}
		start := o.Clock.Now()
		w.win.record(start)
		if m, err = w.c.post(ctx, w.robot, m); err == nil {
			zerolog.Ctx(ctx).Info().Str("robot", w.robot).Str("msgtype", m.MsgType()).
				Int("attempt", attempt).Dur("took", o.Clock.Now().Sub(start)).Msg("wecom message sent")
			return nil
		}
		if !retryable(err) || attempt == o.Attempts {
			break
		}
		delay := backoff(o.Backoff, attempt)
		if rateLimited(err) {
			delay = o.RateLimitWait
		}
		zerolog.Ctx(ctx).Warn().Err(err).Str("robot", w.robot).Int("attempt", attempt).
			Dur("retry_in", delay).Msg("wecom send retry")
		if err := w.sleep(ctx, delay); err != nil {
			return err
		}
	}
	return err
}

// backoff doubles base for each attempt after the first, up to a minute.
func backoff(base time.Duration, attempt int) time.Duration {
	d := base
	for i := 1; i < attempt && d < time.Minute; i++ {
		d *= 2
	}
	return min(d, time.Minute)
}

// pace waits until the robot's window allows one more message.
func (w *worker) pace(ctx context.Context) error {
	for {
		d := w.win.wait(w.c.opts.Clock.Now())
		if d <= 0 {
			return w.alive(ctx)
		}
		if err := w.sleep(ctx, d); err != nil {
			return err
		}
	}
}

func (w *worker) sleep(ctx context.Context, d time.Duration) error {
	if err := w.alive(ctx); err != nil {
		return err
	}
	select {
	case <-w.c.opts.Clock.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-w.c.stop.Done():
		return ErrClosed
	}
}

// alive reports why sending must stop: the caller gave up or the Close
// deadline passed.
func (w *worker) alive(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if w.c.stop.Err() != nil {
		return ErrClosed
	}
	return nil
}

// logUnsent logs every part of j from part from on, whole, so that nothing
// is dropped silently.
func (c *Client) logUnsent(j *job, from int, err error) {
	c.unsent.Add(1)
	for i := from; i < len(j.parts); i++ {
		zerolog.Ctx(j.ctx).Error().Err(err).Str("robot", j.robot).
			Int("part", i+1).Int("parts", len(j.parts)).
			RawJSON("payload", loggable(j.parts[i])).Msg("wecom message not sent")
	}
}

// loggable is the message as it would be posted; binary content is shown
// by size and checksum rather than megabytes of base64.
func loggable(m Message) []byte {
	var v any
	switch m := m.(type) {
	case Image:
		b, _ := m.body()
		img, _ := b.(imageBody)
		v = map[string]any{"msgtype": "image", "bytes": len(m.Data), "md5": img.MD5}
	case File:
		v = map[string]any{"msgtype": "file", "name": m.Name, "bytes": len(m.Data), "media_id": m.MediaID}
	default:
		b, _ := m.body()
		v = map[string]any{"msgtype": m.MsgType(), m.MsgType(): b}
	}
	out, err := json.Marshal(v)
	if err != nil {
		return []byte(`null`)
	}
	return out
}

package chat

import (
	"context"
	"encoding/json"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
)

// relay publishes events. Local sockets get an event at once from the hub;
// with Redis it also goes out on one channel, and what other instances
// published there is handed to this instance's hub. Redis carries only
// notifications: a lost one is made good from the database.
type relay struct {
	hub      *Hub
	rc       *redis.Client // nil: one instance, in process
	channel  string
	instance string
	metrics  *metrics
}

// envelope is an event on the wire, tagged with the publishing instance so
// it does not deliver its own events twice.
type envelope struct {
	Origin string `json:"origin"`
	Event  Event  `json:"event"`
}

func (r *relay) publish(ctx context.Context, ev Event) {
	r.hub.deliver(ev)
	if r.rc == nil {
		return
	}
	b, _ := json.Marshal(envelope{Origin: r.instance, Event: ev})
	if err := r.rc.Publish(ctx, r.channel, b).Err(); err != nil {
		r.metrics.published.WithLabelValues("error").Inc()
		zerolog.Ctx(ctx).Warn().Err(err).Str("event", ev.Type).Msg("chat: redis publish failed; other instances catch up once it is back")
		return
	}
	r.metrics.published.WithLabelValues("ok").Inc()
}

// run follows the channel until ctx ends. go-redis reconnects and
// resubscribes by itself; each subscription after the first means frames
// may have been missed meanwhile, so every socket catches up from the
// database.
func (r *relay) run(ctx context.Context, ready chan<- struct{}) {
	log := zerolog.Ctx(ctx)
	ps := r.rc.Subscribe(ctx, r.channel)
	// Receive does not return on ctx alone while it waits on the socket;
	// closing the subscription ends it.
	stop := context.AfterFunc(ctx, func() { _ = ps.Close() })
	defer stop()
	defer ps.Close()
	subscribed := false
	backoff := 50 * time.Millisecond
	for {
		msg, err := ps.Receive(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			log.Warn().Err(err).Msg("chat: redis subscription lost; retrying")
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 2*time.Second)
			continue
		}
		backoff = 50 * time.Millisecond
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind != "subscribe" {
				continue
			}
			if subscribed {
				log.Info().Msg("chat: redis subscription back; sockets catch up from the database")
				r.hub.resyncAll()
			} else if ready != nil {
				close(ready)
			}
			subscribed = true
		case *redis.Message:
			var env envelope
			if err := json.Unmarshal([]byte(m.Payload), &env); err != nil || env.Event.Chat == "" {
				log.Warn().Err(err).Msg("chat: ignoring a malformed event on the redis channel")
				continue
			}
			if env.Origin != r.instance {
				r.hub.deliver(env.Event)
			}
		}
	}
}

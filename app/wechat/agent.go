package wechat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"gomicro/app/amqpclient"
	"gomicro/app/config"
	"gomicro/app/module"
	"gomicro/app/trace"
)

// maxPublishWait bounds the wait for the broker's confirm; past it (or a
// quarter of the time left, if less) with no result yet, the message runs
// inline instead.
const maxPublishWait = time.Second

// agent is the server's side of wechat_oa.dispatch: amqp. It publishes
// each message for the workers and waits for the result in Redis, told by
// a pub/sub message on a channel of its own when one is stored.
type agent struct {
	// channel is where this agent hears its results, named once at start
	// so a reload of redis.key_prefix cannot move it away from the
	// subscription.
	channel string
	tp      topology
	client  *amqpclient.Client
	pub     *amqpclient.Publisher
	ho      handover
	ps      *redis.PubSub

	mu      sync.Mutex
	waiters map[string]chan struct{}
	stopped chan struct{} // the listener ended
}

// startAgent connects to the broker (not waiting for it beyond one bounded
// dial: messages run inline until it answers) and subscribes to the
// agent's results channel.
func (s *Service) startAgent(ctx context.Context, cfg *config.Config) {
	a := &agent{
		tp: topologyOf(cfg), ho: handover{rc: s.rc, prefix: s.prefix},
		waiters: map[string]chan struct{}{}, stopped: make(chan struct{}),
	}
	a.channel = a.ho.resultsChannel(newTaskID())
	a.client = amqpclient.Open(ctx, cfg.AMQP, cfg.App.Name+" wechat agent")
	a.pub = a.client.NewPublisher(a.tp.declare)
	a.ps = s.rc.Subscribe(context.WithoutCancel(ctx), a.channel)
	go a.listen()
	s.agent.Store(a)
	zerolog.Ctx(ctx).Info().Str("queue", a.tp.queue).Str("broker", a.client.Addr()).Msg("wechat messages dispatched to workers")
}

// listen wakes the waiter of each result announced. A notice lost while
// the subscription reconnects only delays that answer to its deadline,
// where the agent looks for the result anyway.
func (a *agent) listen() {
	defer close(a.stopped)
	for m := range a.ps.Channel() {
		a.mu.Lock()
		w := a.waiters[m.Payload]
		a.mu.Unlock()
		if w != nil {
			select {
			case w <- struct{}{}:
			default:
			}
		}
	}
}

func (a *agent) wait(id string) chan struct{} {
	w := make(chan struct{}, 1)
	a.mu.Lock()
	a.waiters[id] = w
	a.mu.Unlock()
	return w
}

func (a *agent) forget(id string) {
	a.mu.Lock()
	delete(a.waiters, id)
	a.mu.Unlock()
}

// stop closes the subscription and the broker connection.
func (a *agent) stop() error {
	err := a.ps.Close()
	<-a.stopped
	return errors.Join(err, a.pub.Close(), a.client.Close())
}

// check is the agent's /readyz entry for the broker: not required, since
// messages run inline while it is away.
func (s *Service) agentCheck() module.Check {
	return module.Check{Name: "amqp", Required: false, Probe: func(ctx context.Context) (string, error) {
		a := s.agent.Load()
		if a == nil {
			return "", errors.New("wechat agent not started")
		}
		return a.client.Check("amqp", false).Probe(ctx)
	}}
}

// dispatch publishes r's message to the workers and returns the answer
// by deadline: the worker's reply when it came in time, else nil
// ("success"; the worker then delivers through the customer-service API).
// When the broker is unreachable or does not confirm in time, the chain
// runs here instead.
func (s *Service) dispatch(ctx context.Context, a *agent, deadline time.Time, r *run, mode string) []byte {
	log := zerolog.Ctx(ctx)
	t := task{
		V: taskVersion, ID: newTaskID(), Account: r.acc.Name, TraceID: trace.FromContext(ctx),
		Deadline: deadline.UnixMilli(), Mode: mode, ReplyTo: a.channel, Message: r.msg,
	}
	body, err := json.Marshal(&t)
	if err != nil {
		log.Error().Err(err).Str("account", r.acc.Name).Msg("wechat dispatch: message not encodable; running the chain inline")
		return s.fallback(ctx, a, deadline, r, t.ID)
	}
	woken := a.wait(t.ID)
	defer a.forget(t.ID)
	start := time.Now()
	dc, err := a.pub.PublishDeferred(ctx, a.tp.exchange, a.tp.queue, amqp.Publishing{
		ContentType: "application/json", MessageId: t.ID, Timestamp: start, Type: "wechat.message", Body: body,
	})
	if err != nil {
		log.Warn().Err(err).Str("account", r.acc.Name).Msg("wechat dispatch: broker did not take the message; running the chain inline")
		return s.fallback(ctx, a, deadline, r, t.ID)
	}
	// The broker's confirm (written to disk) is awaited alongside the
	// result, which often comes first: a worker may take the message
	// before it is on disk.
	confirmed := dc.Done()
	confirmBound := time.NewTimer(min(maxPublishWait, time.Until(deadline)/4))
	defer confirmBound.Stop()
	unconfirmed := confirmBound.C
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	for {
		mode := "wait"
		select {
		case <-confirmed:
			confirmed, unconfirmed = nil, nil
			if !dc.Acked() {
				log.Warn().Str("account", r.acc.Name).Msg("wechat dispatch: broker refused the message; running the chain inline")
				return s.fallback(ctx, a, deadline, r, t.ID)
			}
			continue
		case <-unconfirmed:
			log.Warn().Str("account", r.acc.Name).Msg("wechat dispatch: broker did not confirm in time; running the chain inline")
			return s.fallback(ctx, a, deadline, r, t.ID)
		case <-woken:
		case <-timer.C:
			mode = "giveup"
		}
		kind, reply, err := a.ho.take(ctx, t.ID, mode)
		switch {
		case err != nil && mode == "wait":
			continue // the deadline's take tries again
		case err != nil:
			log.Error().Err(err).Str("account", r.acc.Name).Msg("wechat dispatch: result unavailable; answering success")
			s.metrics.dispatched(DispatchLate)
			return nil
		case kind == "reply":
			s.metrics.roundTrip.Observe(time.Since(start).Seconds())
			s.metrics.dispatched(DispatchReplied)
			return s.encodeResult(ctx, r, reply)
		case kind == "taken" || mode == "giveup":
			s.metrics.dispatched(DispatchLate)
			return nil
		}
	}
}

// fallback runs the chain here for a message the broker did not take,
// first claiming it, so that a worker that gets it after all (a confirm
// lost, not the message) leaves it alone.
func (s *Service) fallback(ctx context.Context, a *agent, deadline time.Time, r *run, id string) []byte {
	s.metrics.dispatched(DispatchFallback)
	kind, reply, err := a.ho.take(ctx, id, "own")
	switch {
	case err != nil:
		zerolog.Ctx(ctx).Warn().Err(err).Str("account", r.acc.Name).Msg("wechat dispatch: message not claimed; running the chain anyway")
	case kind == "reply":
		return s.encodeResult(ctx, r, reply)
	case kind == "taken":
		return nil
	}
	return s.chain(ctx, deadline, r)
}

// encodeResult turns a worker's reply (JSON; empty for none) into the
// plaintext reply XML.
func (s *Service) encodeResult(ctx context.Context, r *run, payload string) []byte {
	reply, err := decodeResult(payload)
	if err != nil {
		zerolog.Ctx(ctx).Error().Err(err).Str("account", r.acc.Name).Msg("wechat dispatch: unreadable result; answering success")
		return nil
	}
	if reply == nil {
		return nil
	}
	return EncodeReply(reply, r.msg.FromUserName, r.msg.ToUserName, time.Now().Unix())
}

func encodeResult(reply *Reply) (string, error) {
	if reply == nil {
		return "", nil
	}
	b, err := json.Marshal(reply)
	if err != nil {
		return "", fmt.Errorf("encode result: %w", err)
	}
	return string(b), nil
}

func decodeResult(payload string) (*Reply, error) {
	if payload == "" {
		return nil, nil
	}
	var reply Reply
	if err := json.Unmarshal([]byte(payload), &reply); err != nil {
		return nil, fmt.Errorf("decode result: %w", err)
	}
	return &reply, nil
}

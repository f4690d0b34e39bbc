package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"gomicro/app/errs"
	"gomicro/app/module"
	"gomicro/app/trace"
)

// Routing failures answered as mqant's gate answers them.
const (
	errNotLogined = clientError("Not Logined")
	errQueueFull  = clientError("the work queue is full!")
	errBadJSON    = clientError("The JSON format is incorrect")
	errInternal   = "internal error"
	errTimeout    = "call timed out"
)

// result is the body of every reply, mqant's resultInfo.
type result struct {
	Trace  string
	Error  string
	Result any
}

// dispatch routes one publish. It runs on the connection's read loop, so
// it only checks and queues: the handler runs on its own goroutine, at most
// mqtt.max_inflight of them per connection.
func (g *Gateway) dispatch(s *session, topic string, payload []byte) {
	id := trace.NewID()
	r, err := parseTopic(topic)
	// A topic without a handler part has no msgid to go by; mqant answers
	// it, and so does the gateway.
	wantReply := r.msgid != "" || errors.Is(err, clientError(errTopic))
	var h module.Handler
	if err == nil {
		h, err = g.lookup(s, r, payload)
	}
	if err == nil {
		select {
		case s.inflight <- struct{}{}:
		default:
			err = errQueueFull
		}
	}
	if err != nil {
		g.metrics.call(g.label(r), "refused")
		if wantReply {
			g.reply(s, topic, result{Trace: id, Error: err.Error()})
		}
		g.log.Debug().Str("trace_id", id).Str("topic", topic).Str("session", s.id).Str("refused", err.Error()).Msg("mqtt call refused")
		return
	}
	g.calls.Add(1)
	go g.call(s, id, topic, r, h, payload)
}

// lookup finds the handler of r and checks that s may call it with payload.
func (g *Gateway) lookup(s *session, r route, payload []byte) (module.Handler, error) {
	if max := g.store.Current().MQTT.MaxPayload; len(payload) > max {
		return module.Handler{}, clientError(fmt.Sprintf("payload over %d bytes", max))
	}
	names, ok := g.handlers[r.module]
	if !ok {
		return module.Handler{}, clientError(fmt.Sprintf("Service(type:%s) not found", r.module))
	}
	h, ok := names[r.name]
	if !ok {
		return module.Handler{}, clientError(fmt.Sprintf("Remote function(%s) not found", r.name))
	}
	if !h.Public && s.User() == "" {
		return module.Handler{}, errNotLogined
	}
	// As mqant: a body that looks like an object must be one.
	if n := len(payload); n > 0 && payload[0] == '{' && payload[n-1] == '}' && !json.Valid(payload) {
		return module.Handler{}, errBadJSON
	}
	return h, nil
}

// call runs one handler under the call timeout and a logger carrying the
// call's trace id, then replies when a msgid was given.
func (g *Gateway) call(s *session, id, topic string, r route, h module.Handler, payload []byte) {
	defer g.calls.Done()
	defer func() { <-s.inflight }()
	start := time.Now()
	ctx := trace.WithLogger(s.ctx, &g.log, id)
	if d := g.store.Current().MQTT.CallTimeout; d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	log := zerolog.Ctx(ctx)
	res, err := serve(ctx, h, s, payload)
	out := result{Trace: id, Result: res}
	outcome := "ok"
	if err != nil {
		outcome = "error"
		out.Result, out.Error = nil, g.clientMessage(ctx, err)
	}
	if r.msgid != "" {
		g.reply(s, topic, out)
	}
	g.metrics.done(g.label(r), outcome, time.Since(start))
	log.Info().Str("topic", topic).Str("session", s.id).Str("user", s.User()).Str("outcome", outcome).
		Dur("latency_ms", time.Since(start)).Msg("mqtt call")
}

// serve runs h, turning a panic into an error so one bad handler cannot
// take the broker down.
func serve(ctx context.Context, h module.Handler, s *session, payload []byte) (res any, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in %s/%s: %v", h.Module, h.Name, p)
		}
	}()
	return h.Serve(ctx, s, payload)
}

// clientMessage is the Error text of a failed call: an errs.Error's client
// message, or a generic one for anything internal, which is logged once.
func (g *Gateway) clientMessage(ctx context.Context, err error) string {
	if code, msg := errs.CodeOf(err); code != errs.Internal {
		return msg
	}
	if errors.Is(err, context.DeadlineExceeded) {
		zerolog.Ctx(ctx).Warn().Err(err).Msg("mqtt call timed out")
		return errTimeout
	}
	zerolog.Ctx(ctx).Error().Err(err).Msg("mqtt call failed")
	return errInternal
}

// reply queues the result for the connection that asked, on its topic.
func (g *Gateway) reply(s *session, topic string, out result) {
	b, err := json.Marshal(out)
	if err != nil {
		b, _ = json.Marshal(result{Trace: out.Trace, Error: errInternal})
	}
	_ = s.send(topic, b)
}

// label bounds metric labels to registered handlers: a client can publish
// to any topic, and each would otherwise become a time series.
func (g *Gateway) label(r route) string {
	if _, ok := g.handlers[r.module][r.name]; ok {
		return r.module + "/" + r.name
	}
	return "unknown"
}

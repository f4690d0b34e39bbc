package wechat

import (
	"context"
	"errors"
	"fmt"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/rs/zerolog"

	"gomicro/app/trace"
)

// maxErrorHeader bounds the error text a dead letter carries.
const maxErrorHeader = 1024

// handle takes one delivery: given back at once while stopping, dead-
// lettered when it is no task, else processed under the message's trace
// id, so its lines join the agent's.
func (w *Worker) handle(ctx context.Context, d amqp.Delivery) {
	if w.stopped() {
		w.requeue(ctx, d)
		return
	}
	t, err := decodeTask(d.Body)
	if err != nil {
		w.deadLetter(ctx, d, nil, 0, err)
		return
	}
	id := t.TraceID
	if !trace.ValidID(id) {
		id = trace.NewID()
	}
	w.process(trace.WithLogger(ctx, &w.d.Logger, id), d, t)
}

// process runs the chain of a task at most once to completion and hands
// its reply over; it acknowledges the delivery only once the reply is
// stored for the agent or sent.
func (w *Worker) process(ctx context.Context, d amqp.Delivery, t *task) {
	log := zerolog.Ctx(ctx)
	kind, attempt, claimed, err := w.ho.begin(ctx, t.ID)
	if err != nil {
		log.Error().Err(err).Str("account", t.Account).Msg("wechat worker: redis unavailable; message given back")
		w.requeueLater(ctx, d)
		return
	}
	switch kind {
	case "done":
		log.Info().Str("account", t.Account).Msg("wechat worker: message completed before; not run again")
		w.ack(ctx, d)
		return
	case "send":
		w.deliver(ctx, d, t, attempt, claimed)
		return
	}
	if limit := int64(w.s.store.Current().WeChatOA.MaxAttempts); attempt > limit {
		w.deadLetter(ctx, d, t, attempt, fmt.Errorf("delivered %d times without finishing (workers stopped or died holding it)", attempt-1))
		return
	}
	acc, err := w.s.accounts.find(ctx, t.Account)
	if err != nil {
		w.failed(ctx, d, t, attempt, err, errors.Is(err, ErrUnknownAccount))
		return
	}
	reply, unit, err := w.runChain(ctx, acc, t)
	if err != nil {
		w.failed(ctx, d, t, attempt, err, false)
		return
	}
	payload, err := encodeResult(reply)
	if err != nil {
		w.failed(ctx, d, t, attempt, err, true)
		return
	}
	stale := time.Now().After(t.deadline().Add(staleAfter))
	kind, claimed, err = w.ho.complete(ctx, t.ID, t.ReplyTo, payload, stale)
	if err != nil {
		w.failed(ctx, d, t, attempt, err, false)
		return
	}
	switch kind {
	case "stored":
		outcome := OutcomeSuccess
		if reply != nil {
			outcome = OutcomeReplied
		}
		w.s.metrics.message(acc.Name, typeLabel(t.Message), outcome)
		log.Info().Str("account", acc.Name).Str("unit", unit).Int64("attempt", attempt).Str("outcome", outcome).Msg("wechat worker: result stored for the agent")
		w.ack(ctx, d)
	case "send":
		w.deliver(ctx, d, t, attempt, claimed)
	default:
		w.s.metrics.message(acc.Name, typeLabel(t.Message), OutcomeSuccess)
		log.Info().Str("account", acc.Name).Str("unit", unit).Int64("attempt", attempt).Msg("wechat worker: nothing to reply; the agent answered success")
		w.ack(ctx, d)
	}
}

// runChain walks the account's chain for the task's message with the
// user's session, bounded as inline chains are.
func (w *Worker) runChain(ctx context.Context, acc *Account, t *task) (*Reply, string, error) {
	cfg := w.s.store.Current().WeChatOA
	cctx, cancel := context.WithTimeout(ctx, max(cfg.ReplyTimeout, cfg.ForwardTimeout))
	defer cancel()
	r := &run{acc: acc, msg: t.Message, typ: typeLabel(t.Message)}
	w.s.loadSession(cctx, r)
	reply, unit, err, _ := w.s.steps(cctx, r, false)
	w.s.saveSession(ctx, r)
	return reply, unit, err
}

// deliver sends a claimed reply through the customer-service API: the
// agent answered success before it came.
func (w *Worker) deliver(ctx context.Context, d amqp.Delivery, t *task, attempt int64, claimed string) {
	log := zerolog.Ctx(ctx)
	reply, err := decodeResult(claimed)
	if err != nil {
		w.failed(ctx, d, t, attempt, err, true)
		return
	}
	acc, err := w.s.accounts.find(ctx, t.Account)
	if err == nil {
		err = w.s.send(ctx, acc, t.Message.FromUserName, reply)
	}
	if err != nil {
		permanent := errors.Is(err, ErrUnknownAccount) || errors.Is(err, ErrNoCustomAPI) || errors.Is(err, ErrNotSendable)
		w.failed(ctx, d, t, attempt, fmt.Errorf("customer-service send: %w", err), permanent)
		return
	}
	if err := w.ho.sent(ctx, t.ID); err != nil {
		log.Warn().Err(err).Msg("wechat worker: delivery sent but not recorded")
	}
	w.s.metrics.message(acc.Name, typeLabel(t.Message), OutcomeAsync)
	log.Info().Str("account", acc.Name).Int64("attempt", attempt).Msg("wechat worker: late reply delivered through the customer-service API")
	w.ack(ctx, d)
}

// failed retries a failed attempt (the message goes back to the queue)
// until max_attempts, then dead-letters it; a permanent failure is
// dead-lettered at once. A chain cut short by Stop is given back without
// judgement.
func (w *Worker) failed(ctx context.Context, d amqp.Delivery, t *task, attempt int64, cause error, permanent bool) {
	log := zerolog.Ctx(ctx)
	if w.hard.Err() != nil {
		log.Warn().Err(cause).Str("account", t.Account).Msg("wechat worker: cut short at shutdown; message given back")
		w.requeue(ctx, d)
		return
	}
	if permanent || attempt >= int64(w.s.store.Current().WeChatOA.MaxAttempts) {
		w.deadLetter(ctx, d, t, attempt, cause)
		return
	}
	log.Warn().Err(cause).Str("account", t.Account).Int64("attempt", attempt).Msg("wechat worker: attempt failed; message given back for another")
	w.requeue(ctx, d)
}

// deadLetter moves a delivery to <queue>.dead with the error and attempts
// in its headers, then settles the message as answered without a reply, so
// an agent still waiting answers success.
func (w *Worker) deadLetter(ctx context.Context, d amqp.Delivery, t *task, attempt int64, cause error) {
	log := zerolog.Ctx(ctx)
	text := cause.Error()
	if len(text) > maxErrorHeader {
		text = text[:maxErrorHeader]
	}
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	err := w.pub.Publish(pctx, "", w.tp.dead(), amqp.Publishing{
		ContentType: d.ContentType, MessageId: d.MessageId, Type: d.Type, Timestamp: time.Now(), Body: d.Body,
		Headers: amqp.Table{"x-error": text, "x-attempts": attempt, "x-first-queue": w.tp.queue},
	})
	if err != nil {
		log.Error().Err(err).AnErr("cause", cause).Msg("wechat worker: dead letter not published; message given back")
		w.requeueLater(ctx, d)
		return
	}
	account := "unknown"
	if t != nil {
		account = t.Account
		stale := time.Now().After(t.deadline().Add(staleAfter))
		if _, _, err := w.ho.complete(pctx, t.ID, t.ReplyTo, "", stale); err != nil {
			log.Warn().Err(err).Msg("wechat worker: dead letter not recorded as answered")
		}
		w.s.metrics.message(t.Account, typeLabel(t.Message), OutcomeFailed)
	}
	w.s.metrics.dispatched(DispatchDead)
	log.Error().Err(cause).Str("account", account).Int64("attempts", attempt).Str("queue", w.tp.dead()).Msg("wechat worker: message dead-lettered")
	w.ack(ctx, d)
}

func (w *Worker) ack(ctx context.Context, d amqp.Delivery) {
	if err := d.Ack(false); err != nil {
		// The channel is gone: the broker redelivers, and the completion
		// recorded in Redis keeps the chain from running again.
		zerolog.Ctx(ctx).Warn().Err(err).Msg("wechat worker: ack failed")
	}
}

func (w *Worker) requeue(ctx context.Context, d amqp.Delivery) {
	if err := d.Nack(false, true); err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Msg("wechat worker: requeue failed (the broker requeues it with the channel)")
	}
}

// requeueLater gives a delivery back after a pause, so an outage of Redis
// or the broker does not spin it between queue and worker.
func (w *Worker) requeueLater(ctx context.Context, d amqp.Delivery) {
	t := time.NewTimer(time.Second)
	defer t.Stop()
	select {
	case <-t.C:
	case <-w.stopping:
	}
	w.requeue(ctx, d)
}

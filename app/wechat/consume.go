package wechat

import (
	"context"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/rs/zerolog"
)

// consume runs consumer sessions until Stop: one channel each, with
// amqp.prefetch messages in flight and wechat_oa.workers handlers. A
// session ends when its channel closes (the broker went away); the next
// begins once the client has reconnected.
func (w *Worker) consume(ctx context.Context) {
	defer close(w.loopDone)
	defer w.inflight.Wait()
	log := zerolog.Ctx(ctx)
	wait, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-w.stopping:
			cancel()
		case <-wait.Done():
		}
	}()
	delay := time.Second
	for {
		conn, err := w.client.Connection(wait)
		if err != nil {
			return // stopping
		}
		if err := w.session(ctx, conn); err != nil {
			log.Warn().Err(err).Dur("retry_in", delay).Msg("wechat worker: cannot consume")
			select {
			case <-time.After(delay):
			case <-wait.Done():
				return
			}
			delay = min(2*delay, 10*time.Second)
			continue
		}
		delay = time.Second
		if w.stopped() {
			return
		}
	}
}

// session consumes on one channel of conn until Stop or the channel's
// loss; the error says it could not begin.
func (w *Worker) session(ctx context.Context, conn *amqp.Connection) error {
	cfg := w.s.store.Current()
	ch, err := conn.Channel()
	if err != nil {
		return err
	}
	defer func() { _ = ch.Close() }() // what is still unacknowledged goes back to the queue
	if err := w.tp.declare(ch); err != nil {
		return err
	}
	if err := ch.Qos(cfg.AMQP.Prefetch, 0, false); err != nil {
		return err
	}
	tag := "wechat-worker-" + newTaskID()
	deliveries, err := ch.Consume(w.tp.queue, tag, false, false, false, false, nil)
	if err != nil {
		return err
	}
	lost := ch.NotifyClose(make(chan *amqp.Error, 1))
	w.consuming.Store(true)
	defer w.consuming.Store(false)
	log := zerolog.Ctx(ctx)
	log.Info().Str("queue", w.tp.queue).Msg("wechat worker consuming")
	var wg sync.WaitGroup
	for range cfg.WeChatOA.Workers {
		w.inflight.Add(1)
		wg.Go(func() {
			defer w.inflight.Done()
			for d := range deliveries {
				w.handle(ctx, d)
			}
		})
	}
	select {
	case <-w.stopping:
		// The broker sends no more; the ones already here are given back
		// by the handlers, which see the worker stopping.
		if err := ch.Cancel(tag, false); err != nil {
			log.Warn().Err(err).Msg("wechat worker: cancel consumer")
		}
		wg.Wait()
	case err := <-lost:
		// The broker requeued what this channel held; chains still
		// running on it finish in the background (their acks fail, their
		// completion is recorded) while a new session begins.
		log.Warn().Str("reason", errText(err)).Msg("wechat worker: channel lost; consuming again after reconnecting")
	}
	return nil
}

func errText(err *amqp.Error) string {
	if err == nil {
		return "closed"
	}
	return err.Error()
}

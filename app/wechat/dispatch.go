package wechat

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
)

// States of a run handed to a goroutine: the callback waits while
// pending; whichever of the chain's end and the reply deadline comes first
// moves it on, once.
const (
	runPending int32 = iota
	runOnTime
	runLate
)

// run is one message's walk down its account's chain, and the callback
// waiting for it. It holds the turn and the session too, so a message
// allocates them at once.
type run struct {
	acc      *Account
	msg      *Message
	typ      string // the type label, taken before voice_text turns voice into text
	key      string // the dedup key; "" without dedup
	sessKey  string
	loaded   bool // the session was read, so it may be saved
	sess     Session
	turn     Turn
	pinned   *Unit
	pinnedOK bool // the pinned unit has run
	next     int  // index in acc.chain of the next unit

	state  atomic.Int32
	done   chan struct{}
	answer []byte
}

// handle runs message m of account acc down its chain at most once per
// message and returns the plaintext reply XML, or nil for "success". It
// returns by deadline (the request's start plus reply_timeout) whatever
// the chain does; a reply found later goes out through the
// customer-service API.
//
// With sessions in process, the chain starts on the request's goroutine
// and stays there while its units are Quick, which never block; the first
// unit that may block, and everything after it, runs on a goroutine of its
// own that the deadline does not wait for. With Redis, the session is read
// there too.
//
// With wechat_oa.dispatch: amqp the message goes to the workers instead
// (see dispatch); mode is how the callback came (plain, compatible, safe).
func (s *Service) handle(ctx context.Context, deadline time.Time, acc *Account, m *Message, mode string) []byte {
	cfg := s.store.Current().WeChatOA
	r := &run{acc: acc, msg: m, typ: typeLabel(m), key: dedupKey(s.prefix(), acc.Name, m)}
	owner, err := s.dedup.claim(ctx, r.key, cfg.DedupTTL)
	if err != nil {
		// Answering beats dedup: without the store, run the chain anyway.
		zerolog.Ctx(ctx).Error().Err(err).Str("account", acc.Name).Msg("wechat dedup unavailable; running the chain unguarded")
		owner, r.key = true, ""
	}
	if !owner {
		return s.awaitFirst(ctx, deadline, r)
	}
	if a := s.agent.Load(); a != nil {
		answer := s.dispatch(ctx, a, deadline, r, mode)
		s.finish(ctx, r, answer)
		return answer
	}
	return s.chain(ctx, deadline, r)
}

// chain runs r's walk in this process and returns its answer by deadline,
// recording it for retries.
func (s *Service) chain(ctx context.Context, deadline time.Time, r *run) []byte {
	cfg := s.store.Current().WeChatOA
	if s.rc == nil {
		s.loadSession(ctx, r)
		if reply, unit, err, done := s.steps(ctx, r, true); done {
			answer := s.settle(ctx, r, reply, unit, err)
			s.finish(ctx, r, answer)
			return answer
		}
	}
	r.done = make(chan struct{})
	// The rest of the chain keeps the request's values, not its end, and is
	// bounded by the longer of reply_timeout and forward_timeout. It is not
	// the child of a module-wide context: registering every chain with one
	// parent cost more than the rest of the dispatch.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), max(cfg.ReplyTimeout, cfg.ForwardTimeout))
	s.runs.Add(1)
	go s.runChain(cctx, cancel, r)
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case <-r.done:
		return r.answer
	case <-timer.C:
		if r.state.CompareAndSwap(runPending, runLate) {
			return nil
		}
		<-r.done // the chain ended at the deadline's instant
		return r.answer
	}
}

// awaitFirst answers a retry with its first attempt's answer, waiting for
// it until the retry's own deadline.
func (s *Service) awaitFirst(ctx context.Context, deadline time.Time, r *run) []byte {
	s.metrics.waiting.Inc()
	defer s.metrics.waiting.Dec()
	wctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	answer, ok, err := s.dedup.wait(wctx, r.key)
	s.metrics.message(r.acc.Name, r.typ, OutcomeDuplicate)
	if err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Str("account", r.acc.Name).Msg("wechat retry: first answer unavailable; answering success")
	}
	if !ok || len(answer) == 0 {
		return nil
	}
	return answer
}

// runChain walks the rest of the chain on its own goroutine and settles
// the outcome: the answer for the waiting callback, or a late reply sent
// through the customer-service API.
func (s *Service) runChain(ctx context.Context, cancel context.CancelFunc, r *run) {
	defer s.runs.Done()
	defer cancel()
	if s.rc != nil {
		s.loadSession(ctx, r)
	}
	reply, unit, err, _ := s.steps(ctx, r, false)
	if r.state.CompareAndSwap(runPending, runOnTime) {
		r.answer = s.settle(ctx, r, reply, unit, err)
		close(r.done)
		s.finish(ctx, r, r.answer)
		return
	}
	close(r.done)
	s.finish(ctx, r, nil) // the callback answered success; retries get the same
	s.saveSession(ctx, r)
	log := zerolog.Ctx(ctx)
	outcome := outcomeOf(reply, err)
	switch outcome {
	case OutcomeFailed:
		log.Error().Err(err).Str("account", r.acc.Name).Str("unit", unit).Str("openid", r.msg.FromUserName).Msg("wechat chain failed; answered success")
	case OutcomeReplied:
		outcome = OutcomeAsync
		if serr := s.send(ctx, r.acc, r.msg.FromUserName, reply); serr != nil {
			outcome = OutcomeFailed
			log.Error().Err(serr).Str("account", r.acc.Name).Str("unit", unit).Msg("wechat late reply not delivered")
		} else {
			log.Info().Str("account", r.acc.Name).Str("unit", unit).Msg("wechat late reply delivered through the customer-service API")
		}
	}
	s.metrics.message(r.acc.Name, r.typ, outcome)
}

// settle ends a walk that finished in time: the session saved, a failure
// logged, the outcome counted (before the callback answers, so the count
// is there for whoever saw the answer) and the reply encoded.
func (s *Service) settle(ctx context.Context, r *run, reply *Reply, unit string, err error) []byte {
	s.saveSession(ctx, r)
	if err != nil {
		zerolog.Ctx(ctx).Error().Err(err).Str("account", r.acc.Name).Str("unit", unit).Str("openid", r.msg.FromUserName).Msg("wechat chain failed; answered success")
	}
	s.metrics.message(r.acc.Name, r.typ, outcomeOf(reply, err))
	if err != nil || reply == nil {
		return nil
	}
	return EncodeReply(reply, r.msg.FromUserName, r.msg.ToUserName, time.Now().Unix())
}

func outcomeOf(reply *Reply, err error) string {
	switch {
	case err != nil:
		return OutcomeFailed
	case reply != nil:
		return OutcomeReplied
	}
	return OutcomeSuccess
}

// finish records a message's answer for its retries.
func (s *Service) finish(ctx context.Context, r *run, answer []byte) {
	if r.key == "" {
		return
	}
	if err := s.dedup.finish(ctx, r.key, answer, s.store.Current().WeChatOA.DedupTTL); err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Str("account", r.acc.Name).Msg("wechat dedup: answer not recorded")
	}
}

// loadSession reads the user's session and finds the pinned unit; a
// session that cannot be read starts empty and is not saved.
func (s *Service) loadSession(ctx context.Context, r *run) {
	r.sessKey = s.prefix() + "wechat:session:" + r.acc.Name + ":" + r.msg.FromUserName
	if err := s.sessions.load(ctx, r.sessKey, &r.sess); err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Str("account", r.acc.Name).Msg("wechat session unavailable; this turn starts empty")
		r.sess = Session{}
	} else {
		r.loaded = true
	}
	r.turn = Turn{Account: r.acc, Message: r.msg, Session: &r.sess}
	if name := r.sess.Pinned(); name != "" {
		if r.pinned = r.acc.unit(name); r.pinned == nil {
			r.sess.pin("") // the unit is gone from this account
		}
	}
}

// saveSession writes the session when the walk changed it or it holds
// anything (which keeps it alive).
func (s *Service) saveSession(ctx context.Context, r *run) {
	if !r.loaded || !r.sess.dirty && r.sess.empty() {
		return
	}
	if err := s.sessions.save(ctx, r.sessKey, &r.sess, s.store.Current().WeChatOA.SessionTTL); err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Str("account", r.acc.Name).Msg("wechat session not saved")
	}
}

package wechat

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
)

// States of a run: the callback waits while pending; whichever of the
// chain's end and the reply deadline comes first moves it on, once.
const (
	runPending int32 = iota
	runOnTime
	runLate
)

// run is one chain on its own goroutine and the callback waiting for it.
type run struct {
	state  atomic.Int32
	done   chan struct{}
	answer []byte
}

// handle runs message m of account acc down its chain at most once per
// message and returns the plaintext reply XML, or nil for "success". It
// returns by deadline (the request's start plus reply_timeout) whatever
// the chain does; a reply found later goes out through the
// customer-service API.
func (s *Service) handle(ctx context.Context, deadline time.Time, acc *Account, m *Message) []byte {
	cfg := s.store.Current().WeChatOA
	typ := typeLabel(m) // before voice_text turns voice into text
	key := s.prefix() + "wechat:dedup:" + acc.Name + ":" + dedupKey(m)
	owner, err := s.dedup.claim(ctx, key, cfg.DedupTTL)
	if err != nil {
		// Answering beats dedup: without the store, run the chain anyway.
		zerolog.Ctx(ctx).Error().Err(err).Str("account", acc.Name).Msg("wechat dedup unavailable; running the chain unguarded")
		owner, key = true, ""
	}
	if !owner {
		return s.awaitFirst(ctx, deadline, acc, typ, key)
	}
	r := &run{done: make(chan struct{})}
	s.runs.Add(1)
	go s.runChain(ctx, acc, m, typ, key, r)
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
func (s *Service) awaitFirst(ctx context.Context, deadline time.Time, acc *Account, typ, key string) []byte {
	s.metrics.waiting.Inc()
	defer s.metrics.waiting.Dec()
	wctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	answer, ok, err := s.dedup.wait(wctx, key)
	s.metrics.message(acc.Name, typ, OutcomeDuplicate)
	if err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Str("account", acc.Name).Msg("wechat retry: first answer unavailable; answering success")
	}
	if !ok || len(answer) == 0 {
		return nil
	}
	return answer
}

// runChain walks the chain on behalf of handle, in a context of its own
// (the request's values, not its end) bounded by the longer of
// reply_timeout and forward_timeout and by Stop.
func (s *Service) runChain(reqCtx context.Context, acc *Account, m *Message, typ, key string, r *run) {
	defer s.runs.Done()
	cfg := s.store.Current().WeChatOA
	ctx, cancel := context.WithTimeout(context.WithoutCancel(reqCtx), max(cfg.ReplyTimeout, cfg.ForwardTimeout))
	defer cancel()
	defer context.AfterFunc(s.bg, cancel)()
	log := zerolog.Ctx(ctx)

	reply, unit, err := s.turn(ctx, acc, m)
	var answer []byte
	if err == nil && reply != nil {
		answer = EncodeReply(reply, m.FromUserName, m.ToUserName, time.Now().Unix())
	}
	onTime := r.state.CompareAndSwap(runPending, runOnTime)
	if onTime {
		r.answer = answer
	}
	close(r.done)
	stored := answer
	if !onTime {
		stored = nil // the callback answered success; retries get the same
	}
	if key != "" {
		if ferr := s.dedup.finish(ctx, key, stored, cfg.DedupTTL); ferr != nil {
			log.Warn().Err(ferr).Str("account", acc.Name).Msg("wechat dedup: answer not recorded")
		}
	}
	outcome := OutcomeSuccess
	switch {
	case err != nil:
		outcome = OutcomeFailed
		log.Error().Err(err).Str("account", acc.Name).Str("unit", unit).Str("openid", m.FromUserName).Msg("wechat chain failed; answered success")
	case reply != nil && onTime:
		outcome = OutcomeReplied
	case reply != nil:
		outcome = OutcomeAsync
		if serr := s.send(ctx, acc, m.FromUserName, reply); serr != nil {
			outcome = OutcomeFailed
			log.Error().Err(serr).Str("account", acc.Name).Str("unit", unit).Msg("wechat late reply not delivered")
		} else {
			log.Info().Str("account", acc.Name).Str("unit", unit).Msg("wechat late reply delivered through the customer-service API")
		}
	}
	s.metrics.message(acc.Name, typ, outcome)
}

// turn loads the user's session, walks the chain and saves the session
// when the walk changed it or it holds anything (which keeps it alive).
func (s *Service) turn(ctx context.Context, acc *Account, m *Message) (*Reply, string, error) {
	key := s.prefix() + "wechat:session:" + acc.Name + ":" + m.FromUserName
	sess, err := s.sessions.load(ctx, key)
	loaded := err == nil
	if err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Str("account", acc.Name).Msg("wechat session unavailable; this turn starts empty")
		sess = &Session{}
	}
	reply, unit, werr := s.walk(ctx, &Turn{Account: acc, Message: m, Session: sess})
	if loaded && (sess.dirty || !sess.empty()) {
		if err := s.sessions.save(ctx, key, sess, s.store.Current().WeChatOA.SessionTTL); err != nil {
			zerolog.Ctx(ctx).Warn().Err(err).Str("account", acc.Name).Msg("wechat session not saved")
		}
	}
	return reply, unit, werr
}

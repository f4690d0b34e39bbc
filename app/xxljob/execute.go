package xxljob

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"
	"unicode/utf8"

	"github.com/rs/zerolog"
	xxl "github.com/xxl-job/xxl-job-executor-go"

	"gomicro/app/trace"
)

// execute runs r's task with its run logger, timeout and panic guard, then
// reports the result. The cancellation cause decides over what the task
// returned: a killed or timed-out run is never reported as a success.
func (e *Executor) execute(r *run) {
	req := r.req
	id := runTraceID(req.LogID)
	rl, err := e.logs.open(req, id)
	if err != nil {
		zerolog.Ctx(e.base).Error().Err(err).Int64("log_id", req.LogID).Msg("xxl-job run log unavailable, logging to the service log")
	}
	logger := rl.logger(zerolog.Ctx(e.base), id)
	ctx := logger.WithContext(trace.NewContext(r.ctx, id))
	if req.ExecutorTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, time.Duration(req.ExecutorTimeout)*time.Second, errTimeout)
		defer cancel()
	}
	logger.Info().Int64("job_id", req.JobID).Str("handler", req.ExecutorHandler).
		Str("params", req.ExecutorParams).Int64("shard_index", req.BroadcastIndex).
		Int64("shard_total", req.BroadcastTotal).Msg("----------- xxl-job job execute start -----------")

	start := time.Now()
	var msg string
	var late <-chan struct{}
	if req.ExecutorTimeout > 0 {
		msg, late, err = callWithin(ctx, r.handler, req)
	} else {
		msg, err = call(ctx, r.handler, req)
	}
	dur := time.Since(start)
	code, msg := classify(ctx, msg, err)

	if late != nil {
		logger.Warn().Err(context.Cause(ctx)).Msg("reported at cancellation without waiting for the task; whatever it returns later is dropped")
	}
	ev := logger.Info()
	if code != codeOK {
		ev = logger.Error()
	}
	ev.Int64("handle_code", code).Str("handle_msg", msg).Dur("duration", dur).
		Msg("----------- xxl-job job execute end(finish) -----------")
	if late != nil {
		// the abandoned task may still log: its file closes when it returns
		go func() { <-late; rl.close() }()
	} else {
		rl.close()
	}
	r.cancel(nil)
	zerolog.Ctx(e.base).Info().Str("trace_id", id).Int64("log_id", req.LogID).Int64("job_id", req.JobID).
		Str("handler", req.ExecutorHandler).Int64("handle_code", code).Dur("duration", dur).Msg("xxl-job run finished")
	e.report(r, code, msg, dur)
}

// call runs h, turning a panic into an error carrying the panic text; the
// stack goes to the run log, where the admin UI shows it.
func call(ctx context.Context, h Handler, req *xxl.RunReq) (msg string, err error) {
	defer func() {
		if p := recover(); p != nil {
			zerolog.Ctx(ctx).Error().Str("stack", string(debug.Stack())).Msgf("task panic: %v", p)
			msg, err = "", fmt.Errorf("task panic: %v", p)
		}
	}()
	return h(ctx, req)
}

// callWithin runs h like call but returns as soon as ctx ends, with ctx's
// cause, even when the task ignores cancellation: as in the Java executor, a
// run with executorTimeout is reported at its deadline (or kill) and the job
// moves on to its next trigger. late is nil when the task returned; else it
// is closed when the abandoned task finally returns.
func callWithin(ctx context.Context, h Handler, req *xxl.RunReq) (msg string, late <-chan struct{}, err error) {
	type result struct {
		msg string
		err error
	}
	res := make(chan result, 1)
	returned := make(chan struct{})
	go func() {
		defer close(returned)
		m, err := call(ctx, h, req)
		res <- result{m, err}
	}()
	select {
	case r := <-res:
		return r.msg, nil, r.err
	case <-ctx.Done():
		return "", returned, context.Cause(ctx)
	}
}

func classify(ctx context.Context, msg string, err error) (int64, string) {
	cause := context.Cause(ctx)
	var k killError
	switch {
	case errors.As(cause, &k):
		return codeFail, k.reason + msgRunningKilled
	case errors.Is(cause, errTimeout):
		return codeTimeout, msgTimeout
	case err != nil:
		return codeFail, err.Error()
	}
	return codeOK, msg
}

// report hands r's result to the callback sender, once: a run reported
// killed by Stop and returning later is not reported again.
func (e *Executor) report(r *run, code int64, msg string, dur time.Duration) {
	if !r.reported.CompareAndSwap(false, true) {
		return
	}
	msg = truncate(msg, maxHandleMsg)
	e.metrics.observe(r.req.ExecutorHandler, code, dur)
	e.sender.enqueue(e.base, newCallback(r.req, code, msg))
}

// reportQueuedKill reports a trigger that was killed before it started.
func (e *Executor) reportQueuedKill(r *run, reason string) {
	e.report(r, codeFail, reason+msgQueuedKilled, 0)
}

// maxHandleMsg caps handleMsg as the Java executor does, so a huge task
// result or error cannot bloat the admin's log table.
const maxHandleMsg = 50000

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// runTraceID derives a run's trace id from its log id: 32 hex digits, a
// valid W3C trace-id, so a log id and its trace id map onto each other.
func runTraceID(logID int64) string { return fmt.Sprintf("%032x", uint64(logID)) }

// dupWindow is how many of the last triggers' log ids are refused when
// they come again, across restarts.
const dupWindow = 10000

// logIDSet remembers the log ids of the last n triggers so a repeated /run
// (an admin retry, say) is refused instead of running the task twice.
type logIDSet struct {
	ids  map[int64]struct{}
	ring []int64
	next int
}

func newLogIDSet(n int) *logIDSet {
	return &logIDSet{ids: make(map[int64]struct{}, n), ring: make([]int64, 0, n)}
}

func (s *logIDSet) has(id int64) bool { _, ok := s.ids[id]; return ok }

// add remembers id; when the set was full it returns the id it forgot.
func (s *logIDSet) add(id int64) (evicted int64, full bool) {
	if len(s.ring) < cap(s.ring) {
		s.ring = append(s.ring, id)
	} else {
		evicted, full = s.ring[s.next], true
		delete(s.ids, evicted)
		s.ring[s.next] = id
		s.next = (s.next + 1) % len(s.ring)
	}
	s.ids[id] = struct{}{}
	return evicted, full
}

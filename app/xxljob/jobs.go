package xxljob

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/rs/zerolog"
	xxl "github.com/xxl-job/xxl-job-executor-go"
)

// Block strategies as the admin sends them in executorBlockStrategy.
const (
	SerialExecution = "SERIAL_EXECUTION"
	DiscardLater    = "DISCARD_LATER"
	CoverEarly      = "COVER_EARLY"
)

// Result codes of a callback: the library's 200 and 500, plus the Java
// executor's 502 for a run that hit executorTimeout.
const (
	codeOK      = xxl.SuccessCode
	codeFail    = xxl.FailureCode
	codeTimeout = 502
)

// Messages the Java executor uses; the admin UI shows them as they are.
const (
	msgRunningKilled = " [job running, killed]"
	msgQueuedKilled  = " [job not executed, in the job queue, killed.]"
	msgTimeout       = "job execute timeout "
	reasonAdminKill  = "scheduling center kill job."
	reasonCover      = "block strategy effect：Cover Early"
	reasonNewHandler = "change jobhandler or glue type, and terminate the old job thread."
	msgIdleBusy      = "job thread is running or has trigger queue."
	msgDiscardLater  = "block strategy effect：Discard Later"
)

var (
	errTimeout  = errors.New("job execute timeout")
	errStopping = killError{reason: "executor stopping."}
)

// killError is the cancellation cause of a run stopped on purpose.
type killError struct{ reason string }

func (k killError) Error() string { return k.reason }

// run is one trigger, from /run to its callback.
type run struct {
	req      *xxl.RunReq
	handler  Handler
	ctx      context.Context
	cancel   context.CancelCauseFunc
	reported atomic.Bool
}

// worker is the queue of one job id, the equivalent of the Java executor's
// JobThread: triggers of the job run one after another in its goroutine.
type worker struct {
	jobID   int64
	handler string
	queue   []*run
	cur     *run
	killed  bool
}

func (w *worker) busy() bool { return w.cur != nil || len(w.queue) > 0 }

func (w *worker) takeQueue() []*run {
	q := w.queue
	w.queue = nil
	w.killed = true
	return q
}

// trigger accepts or refuses one /run. A refusal is answered at once and
// produces no callback, as in the Java executor. An accepted trigger is on
// disk before the answer (see runRecords), so a crash cannot lose it: the
// next start reports it. The fsync happens outside e.mu, so triggers of
// other jobs, and running workers, do not wait for each other's disk.
func (e *Executor) trigger(req *xxl.RunReq) (int64, string) {
	h, code, msg := e.reserve(req)
	if h == nil {
		return code, msg
	}
	err := e.records.accept(runRecord{LogID: req.LogID, LogDateTim: req.LogDateTime, JobID: req.JobID, Handler: req.ExecutorHandler})
	if err != nil {
		e.mu.Lock()
		delete(e.reserved, req.LogID)
		e.mu.Unlock()
		zerolog.Ctx(e.base).Error().Err(err).Int64("log_id", req.LogID).Msg("xxl-job trigger refused: it cannot be recorded")
		return codeFail, "trigger refused: the executor cannot record it on disk."
	}
	code, msg = e.enqueue(req, h)
	if code != codeOK {
		e.records.drop(req.LogID)
	}
	return code, msg
}

// reserve makes the checks that need no disk and holds req's log id while
// the trigger is recorded; it returns the task's handler, or nil with the
// refusal.
func (e *Executor) reserve(req *xxl.RunReq) (Handler, int64, string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	h := e.handlers[req.ExecutorHandler]
	_, recording := e.reserved[req.LogID]
	switch {
	case !e.started || e.stopping:
		return nil, codeFail, "executor is not running, trigger refused."
	case h == nil:
		return nil, codeFail, fmt.Sprintf("job handler [%s] not found.", req.ExecutorHandler)
	case recording || e.seen.has(req.LogID):
		return nil, codeFail, fmt.Sprintf("repeate trigger job, logId:%d", req.LogID)
	}
	if w := e.workers[req.JobID]; w != nil && w.handler == req.ExecutorHandler && w.busy() &&
		req.ExecutorBlockStrategy == DiscardLater {
		return nil, codeFail, msgDiscardLater // no record for the common refusal
	}
	e.reserved[req.LogID] = struct{}{}
	return h, codeOK, ""
}

// enqueue applies the block strategy to a recorded trigger and queues it;
// the state may have changed while it was recorded, so everything that
// depends on it is decided here.
func (e *Executor) enqueue(req *xxl.RunReq, h Handler) (int64, string) {
	e.mu.Lock()
	delete(e.reserved, req.LogID)
	if e.stopping {
		e.mu.Unlock()
		return codeFail, "executor is not running, trigger refused."
	}
	var killed []*run
	var reason string
	w := e.workers[req.JobID]
	if w != nil && w.handler != req.ExecutorHandler {
		reason = reasonNewHandler
		killed = e.killLocked(w, reason)
		w = nil
	}
	if w != nil && w.busy() {
		switch req.ExecutorBlockStrategy {
		case DiscardLater:
			e.mu.Unlock()
			return codeFail, msgDiscardLater
		case CoverEarly:
			reason = reasonCover
			killed = e.killLocked(w, reason)
			w = nil
		}
	}
	if w == nil {
		w = &worker{jobID: req.JobID, handler: req.ExecutorHandler}
		e.workers[req.JobID] = w
		e.runs.add()
		go e.work(w)
	}
	evicted, full := e.seen.add(req.LogID)
	w.queue = append(w.queue, &run{req: req, handler: h})
	e.mu.Unlock()
	if full {
		e.records.forget(evicted)
	}
	for _, r := range killed {
		e.reportQueuedKill(r, reason)
	}
	return codeOK, ""
}

// killLocked stops w: its queued triggers are returned for reporting and its
// running trigger is cancelled with reason. e.mu must be held.
func (e *Executor) killLocked(w *worker, reason string) []*run {
	if e.workers[w.jobID] == w {
		delete(e.workers, w.jobID)
	}
	if w.cur != nil {
		w.cur.cancel(killError{reason: reason})
	}
	return w.takeQueue()
}

// kill answers /kill: the job's running trigger is cancelled and its queued
// triggers are reported as killed.
func (e *Executor) kill(jobID int64) (int64, string) {
	e.mu.Lock()
	w := e.workers[jobID]
	if w == nil {
		e.mu.Unlock()
		return codeOK, "job thread already killed."
	}
	killed := e.killLocked(w, reasonAdminKill)
	e.mu.Unlock()
	for _, r := range killed {
		e.reportQueuedKill(r, reasonAdminKill)
	}
	return codeOK, ""
}

// idle answers /idleBeat: busy while the job runs or has queued triggers.
func (e *Executor) idle(jobID int64) (int64, string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if w := e.workers[jobID]; w != nil && w.busy() {
		return codeFail, msgIdleBusy
	}
	return codeOK, ""
}

// work runs w's triggers in order until its queue is empty or it is killed.
// It leaves the workers map and the run count in the same critical section
// that finds nothing left to do, so an idle job (/idleBeat) is also one
// Stop no longer waits for.
func (e *Executor) work(w *worker) {
	e.mu.Lock()
	for !w.killed && len(w.queue) > 0 {
		r := w.queue[0]
		w.queue = w.queue[1:]
		r.ctx, r.cancel = context.WithCancelCause(e.base)
		w.cur = r
		e.active[r] = struct{}{}
		e.mu.Unlock()

		e.execute(r)

		e.mu.Lock()
		w.cur = nil
		delete(e.active, r)
	}
	if e.workers[w.jobID] == w {
		delete(e.workers, w.jobID)
	}
	e.runs.done()
	e.mu.Unlock()
}

// running lists the runs executing now, including those of killed workers
// whose task has not returned yet. e.mu must be held.
func (e *Executor) running() []*run {
	rs := make([]*run, 0, len(e.active))
	for r := range e.active {
		rs = append(rs, r)
	}
	return rs
}

package xxljob

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rs/zerolog"
	xxl "github.com/xxl-job/xxl-job-executor-go"
)

// Start loads callbacks left on disk by an earlier process, reports the
// runs it accepted and never finished as failed (code 500, "executor
// restarted while the job ran"), takes over its duplicate window, and
// begins delivering callbacks, registering with the admin every Beat and
// removing old run logs. Runs and loops log through zerolog.Ctx(ctx);
// cancelling ctx does not stop them, Stop does. It returns an error when
// called twice or when the callback spool or the run records cannot be read.
func (e *Executor) Start(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.started {
		return errors.New("start executor: already started")
	}
	if e.cfg.AccessToken == "" {
		zerolog.Ctx(ctx).Warn().Msg("xxl-job.access_token is empty: executor endpoints accept any caller")
	}
	// Runs and the sender outlive ctx: Stop ends them in order.
	base := context.WithoutCancel(ctx)
	recs, err := e.records.load(dupWindow)
	if err != nil {
		return fmt.Errorf("start executor: %w", err)
	}
	spooled, err := e.sender.start(base)
	if err != nil {
		return fmt.Errorf("start executor: %w", err)
	}
	for _, id := range recs.ids {
		if !e.seen.has(id) {
			e.seen.add(id)
		}
	}
	e.reportLost(base, recs.open, spooled)
	loops, cancel := context.WithCancel(base)
	e.started, e.base, e.cancel = true, base, cancel
	e.loops.Add(2)
	go e.registryLoop(loops)
	go e.cleanLoop(loops)
	zerolog.Ctx(ctx).Info().Str("address", e.address).Strs("admins", e.admin.shown()).
		Str("app_name", e.cfg.AppName).Msg("xxl-job executor started")
	return nil
}

// reportLost reports failed the runs an earlier process accepted and never
// settled (it was killed, or the machine went down), through the sender
// like any result. A run whose result is on the spool already is only
// marked settled: that result goes to the admin instead.
func (e *Executor) reportLost(ctx context.Context, open []runRecord, spooled map[int64]bool) {
	var settled []Callback
	var lost []int64
	for _, rec := range open {
		if spooled[rec.LogID] {
			settled = append(settled, Callback{LogID: rec.LogID})
			continue
		}
		lost = append(lost, rec.LogID)
		e.metrics.observe(cmp.Or(rec.Handler, "unknown"), codeFail, 0)
		e.sender.enqueue(ctx, newCallback(&xxl.RunReq{LogID: rec.LogID, LogDateTime: rec.LogDateTim}, codeFail, msgRestarted))
	}
	if err := e.records.settle(settled); err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Msg("xxl-job run records not marked reported; a restart reports those runs once more")
	}
	if len(lost) > 0 {
		zerolog.Ctx(ctx).Warn().Ints64("log_ids", lost).
			Msg("xxl-job runs accepted before the last stop never finished; reported failed")
	}
}

// Stop shuts the executor down: it stops taking runs, deregisters from the
// admin, reports queued triggers as killed, lets running tasks finish for
// StopGrace, then cancels them and reports them killed, and finally hands
// every callback to the admin or leaves it on disk for the next start.
// After cancelling, runs get half of what is left of ctx's deadline to
// return; the other half is kept for delivering callbacks, so the kill
// reports of runs that never return still reach the admin. It returns an
// error wrapping ctx's error, or context.DeadlineExceeded while ctx is
// still live, when runs ignored cancellation (they are reported killed
// anyway).
func (e *Executor) Stop(ctx context.Context) error {
	e.mu.Lock()
	if !e.started || e.stopping {
		e.mu.Unlock()
		return nil
	}
	e.stopping = true
	var killed []*run
	for id, w := range e.workers {
		killed = append(killed, w.takeQueue()...)
		delete(e.workers, id)
	}
	e.mu.Unlock()

	log := zerolog.Ctx(e.base)
	e.cancel() // the registry and retention loops only
	e.loops.Wait()
	e.registryRemove(ctx)
	for _, r := range killed {
		e.reportQueuedKill(r, "executor stopping.")
	}

	var err error
	if !e.runs.wait(e.opts.StopGrace, ctx.Done()) {
		log.Warn().Msg("xxl-job stop: cancelling runs still going after the grace period")
		e.cancelRunning()
		if !e.runs.wait(halfLeft(ctx), ctx.Done()) {
			// ctx may still be live: the runs' half of it has run out
			err = fmt.Errorf("stop executor: runs ignored cancellation: %w", cmp.Or(ctx.Err(), context.DeadlineExceeded))
			e.reportStuck()
		}
	}
	e.sender.stop(ctx)
	log.Info().Msg("xxl-job executor stopped")
	return err
}

// halfLeft is half the time left before ctx's deadline, or -1 (no limit)
// when ctx has none.
func halfLeft(ctx context.Context) time.Duration {
	deadline, ok := ctx.Deadline()
	if !ok {
		return -1
	}
	return max(time.Until(deadline)/2, 0)
}

// cancelRunning cancels every run still executing after the grace period.
func (e *Executor) cancelRunning() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, r := range e.running() {
		r.cancel(errStopping)
	}
}

// reportStuck reports runs that did not return after cancellation; their
// late return is then dropped.
func (e *Executor) reportStuck() {
	e.mu.Lock()
	rs := e.running()
	e.mu.Unlock()
	for _, r := range rs {
		e.report(r, codeFail, "executor stopping. [job running, killed]", 0)
	}
}

// runGroup counts worker goroutines. Unlike sync.WaitGroup it can tell
// whether they have all finished at this moment, so a Stop whose deadline
// has already passed does not take finished runs for stuck ones.
type runGroup struct {
	mu   sync.Mutex
	n    int
	zero chan struct{} // closed while n == 0
}

func newRunGroup() *runGroup {
	zero := make(chan struct{})
	close(zero)
	return &runGroup{zero: zero}
}

func (g *runGroup) add() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.n == 0 {
		g.zero = make(chan struct{})
	}
	g.n++
}

func (g *runGroup) done() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.n--; g.n == 0 {
		close(g.zero)
	}
}

// wait waits until no worker is left, at most d (d < 0: no limit) and until
// done, and reports whether none is left. When d or done end the wait it
// looks once more: a select between ready channels picks at random.
func (g *runGroup) wait(d time.Duration, done <-chan struct{}) bool {
	g.mu.Lock()
	zero := g.zero
	g.mu.Unlock()
	var timeout <-chan time.Time
	if d >= 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-zero:
		return true
	case <-timeout:
	case <-done:
	}
	select {
	case <-zero:
		return true
	default:
		return false
	}
}

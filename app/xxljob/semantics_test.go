package xxljob_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	xxl "github.com/xxl-job/xxl-job-executor-go"

	"gomicro/app/xxljob"
)

// TestTwoJobsOnOneHandlerRunIndependently holds two jobs' runs of one
// handler until both have started, which only happens when they run at the
// same time, then checks each callback carries its own log id and result.
func TestTwoJobsOnOneHandlerRunIndependently(t *testing.T) {
	admin := newFakeAdmin(t, testToken)
	h := start(t, setup{admins: admin.srv.URL})
	h.mustTrigger(t, runReq(1, 101, "gate", "", "SERIAL_EXECUTION"))
	h.mustTrigger(t, runReq(2, 102, "gate", "", "SERIAL_EXECUTION"))
	h.gate.awaitStarts(t, 101, 102) // neither is released yet
	for _, job := range []int64{1, 2} {
		if ans := h.call(t, "/idleBeat", testToken, map[string]int64{"jobId": job}); ans.Code != 500 {
			t.Errorf("job %d idle while its run is held: %d %q", job, ans.Code, ans.Msg)
		}
	}
	h.gate.open(102)
	assertCallback(t, admin.awaitCallbacks(t, 102)[102], 200, "gate 102 released")
	if admin.count(101) != 0 {
		t.Error("job 1 reported while its run is still held")
	}
	h.gate.open(101)
	assertCallback(t, admin.awaitCallbacks(t, 101)[101], 200, "gate 101 released")

	a := runReq(1, 201, "demo_task", "", "SERIAL_EXECUTION")
	a.BroadcastIndex, a.BroadcastTotal = 0, 2
	b := runReq(2, 202, "demo_task", `{"lines":3}`, "SERIAL_EXECUTION")
	b.BroadcastIndex, b.BroadcastTotal = 1, 2
	b.LogDateTime = a.LogDateTime + 1
	h.mustTrigger(t, a)
	h.mustTrigger(t, b)
	cbs := admin.awaitCallbacks(t, 201, 202)
	assertCallback(t, cbs[201], 200, "shard 0/2, 0 lines")
	assertCallback(t, cbs[202], 200, "shard 1/2, 3 lines")
	if cbs[201].LogDateTim != a.LogDateTime || cbs[202].LogDateTim != b.LogDateTime {
		t.Errorf("callback logDateTim = %d and %d, want %d and %d",
			cbs[201].LogDateTim, cbs[202].LogDateTim, a.LogDateTime, b.LogDateTime)
	}
}

func TestBlockStrategies(t *testing.T) {
	t.Run("serial runs queued triggers in order", func(t *testing.T) {
		admin := newFakeAdmin(t, testToken)
		h := start(t, setup{admins: admin.srv.URL})
		h.mustTrigger(t, runReq(7, 1, "gate", "", "SERIAL_EXECUTION"))
		h.gate.awaitStart(t, 1)
		h.mustTrigger(t, runReq(7, 2, "gate", "", "SERIAL_EXECUTION"))
		h.mustTrigger(t, runReq(7, 3, "gate", "", "SERIAL_EXECUTION"))
		h.gate.open(1)
		assertCallback(t, admin.awaitCallbacks(t, 1)[1], 200, "gate 1 released")
		h.gate.awaitStart(t, 2)
		if admin.count(3) != 0 {
			t.Error("third trigger reported before the second finished")
		}
		h.gate.open(2)
		h.gate.awaitStart(t, 3)
		h.gate.open(3)
		cbs := admin.awaitCallbacks(t, 2, 3)
		assertCallback(t, cbs[2], 200, "gate 2 released")
		assertCallback(t, cbs[3], 200, "gate 3 released")
	})
	t.Run("discard later refuses while running", func(t *testing.T) {
		admin := newFakeAdmin(t, testToken)
		h := start(t, setup{admins: admin.srv.URL})
		h.mustTrigger(t, runReq(7, 1, "gate", "", "DISCARD_LATER"))
		h.gate.awaitStart(t, 1)
		if a := h.trigger(t, runReq(7, 2, "gate", "", "DISCARD_LATER")); a.Code != 500 || a.Msg != "block strategy effect：Discard Later" {
			t.Errorf("second trigger answered %d %q", a.Code, a.Msg)
		}
		h.gate.open(1)
		assertCallback(t, admin.awaitCallbacks(t, 1)[1], 200, "released")
		h.mustTrigger(t, runReq(7, 3, "demo_task", "", "DISCARD_LATER"))
		admin.awaitCallbacks(t, 3)
		if admin.count(2) != 0 {
			t.Error("discarded trigger was called back")
		}
	})
	t.Run("cover early kills running and queued", func(t *testing.T) {
		admin := newFakeAdmin(t, testToken)
		h := start(t, setup{admins: admin.srv.URL})
		h.mustTrigger(t, runReq(7, 1, "gate", "", "SERIAL_EXECUTION"))
		h.gate.awaitStart(t, 1)
		h.mustTrigger(t, runReq(7, 2, "gate", "", "SERIAL_EXECUTION"))
		h.mustTrigger(t, runReq(7, 3, "gate", "", "COVER_EARLY"))
		h.gate.awaitStart(t, 3)
		cbs := admin.awaitCallbacks(t, 1, 2)
		assertCallback(t, cbs[1], 500, "block strategy effect：Cover Early [job running, killed]")
		assertCallback(t, cbs[2], 500, "Cover Early [job not executed, in the job queue, killed.]")
		h.gate.open(3)
		assertCallback(t, admin.awaitCallbacks(t, 3)[3], 200, "gate 3 released")
	})
}

func TestTimeoutKillPanicDuplicate(t *testing.T) {
	admin := newFakeAdmin(t, testToken)
	h := start(t, setup{admins: admin.srv.URL})

	timeout := runReq(1, 11, "demo_task", `{"sleep_ms":60000}`, "")
	timeout.ExecutorTimeout = 1
	h.mustTrigger(t, timeout)

	h.mustTrigger(t, runReq(2, 21, "gate", "", ""))
	h.gate.awaitStart(t, 21)
	h.mustTrigger(t, runReq(2, 22, "gate", "", ""))
	if a := h.call(t, "/kill", testToken, map[string]int64{"jobId": 2}); a.Code != 200 {
		t.Errorf("kill answered %d %q", a.Code, a.Msg)
	}
	if a := h.call(t, "/kill", testToken, map[string]int64{"jobId": 2}); a.Code != 200 || a.Msg != "job thread already killed." {
		t.Errorf("second kill answered %d %q", a.Code, a.Msg)
	}

	h.mustTrigger(t, runReq(3, 31, "panic", "", ""))

	h.mustTrigger(t, runReq(4, 41, "demo_task", `{"lines":1}`, ""))
	if a := h.trigger(t, runReq(4, 41, "demo_task", "", "")); a.Code != 500 || a.Msg != "repeate trigger job, logId:41" {
		t.Errorf("duplicate answered %d %q", a.Code, a.Msg)
	}
	h.mustTrigger(t, runReq(5, 51, "demo_task", `{"fail":true}`, ""))
	h.mustTrigger(t, runReq(6, 61, "library", "p", ""))

	cbs := admin.awaitCallbacks(t, 11, 21, 22, 31, 41, 51, 61)
	assertCallback(t, cbs[11], 502, "job execute timeout")
	assertCallback(t, cbs[21], 500, "scheduling center kill job. [job running, killed]")
	assertCallback(t, cbs[22], 500, "scheduling center kill job. [job not executed, in the job queue, killed.]")
	assertCallback(t, cbs[31], 500, "task panic: boom in task")
	assertCallback(t, cbs[41], 200, "demo_task ok")
	assertCallback(t, cbs[51], 500, "fail=true")
	assertCallback(t, cbs[61], 200, "library task got p")
	if a := h.trigger(t, runReq(4, 41, "demo_task", "", "")); a.Code != 500 {
		t.Errorf("duplicate of a finished run answered %d %q", a.Code, a.Msg)
	}
	if n := admin.count(41); n != 1 {
		t.Errorf("log 41 called back %d times", n)
	}
}

func TestStopDrainsThenKills(t *testing.T) {
	admin := newFakeAdmin(t, testToken)
	h := start(t, setup{admins: admin.srv.URL, opts: xxljobOptionsGrace(50 * time.Millisecond)})
	h.mustTrigger(t, runReq(1, 1, "gate", "", ""))
	h.gate.awaitStart(t, 1)
	h.mustTrigger(t, runReq(1, 2, "gate", "", ""))
	h.mustTrigger(t, runReq(2, 3, "gate", "", ""))
	h.gate.awaitStart(t, 3)
	h.gate.open(3)
	admin.awaitCallbacks(t, 3) // finished before Stop, not cut off by the short grace
	if err := h.stop(t, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	// Stop returns after the last delivery attempt, so all are in.
	for id, want := range map[int64]struct {
		code int
		msg  string
	}{
		1: {500, "executor stopping. [job running, killed]"},
		2: {500, "executor stopping. [job not executed, in the job queue, killed.]"},
		3: {200, "gate 3 released"},
	} {
		if admin.count(id) != 1 {
			t.Fatalf("log %d called back %d times", id, admin.count(id))
		}
		assertCallback(t, admin.awaitCallbacks(t, id)[id], want.code, want.msg)
	}
	admin.mu.Lock()
	defer admin.mu.Unlock()
	if len(admin.removes) != 1 {
		t.Errorf("registryRemove %d times, want 1", len(admin.removes))
	}
}

// TestStopLetsRunningFinishWithinGrace releases a run only once Stop has
// begun (the admin saw the executor deregister): Stop waits for it rather
// than cancelling it, and returns as soon as it is done, long before the
// grace period ends.
func TestStopLetsRunningFinishWithinGrace(t *testing.T) {
	admin := newFakeAdmin(t, testToken)
	h := start(t, setup{admins: admin.srv.URL, opts: xxljobOptionsGrace(time.Minute)})
	h.mustTrigger(t, runReq(1, 1, "gate", "", ""))
	h.gate.awaitStart(t, 1)
	stopped := make(chan error, 1)
	go func() { stopped <- h.stop(t, 2*time.Minute) }()
	admin.await(t, "deregistration", func(a *fakeAdmin) bool { return len(a.removes) == 1 })
	h.gate.open(1)
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatalf("Stop = %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Stop still waiting after its run finished")
	}
	assertCallback(t, admin.awaitCallbacks(t, 1)[1], 200, "gate 1 released")
}

func TestStopReportsRunsIgnoringCancellation(t *testing.T) {
	admin := newFakeAdmin(t, testToken)
	h := start(t, setup{admins: admin.srv.URL, opts: xxljobOptionsGrace(10 * time.Millisecond)})
	h.mustTrigger(t, runReq(1, 1, "stuck", "", ""))
	h.gate.awaitStart(t, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := h.ex.Stop(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Stop = %v, want the deadline error", err)
	}
	// Stop keeps part of its deadline for the last delivery.
	if n := admin.count(1); n != 1 {
		t.Fatalf("stuck run's kill report delivered %d times by the time Stop returned, want 1", n)
	}
	assertCallback(t, admin.awaitCallbacks(t, 1)[1], 500, "executor stopping. [job running, killed]")
	h.unstick() // its late return must not produce a second callback
	eventually(t, 5*time.Second, "stuck run returned", func() bool {
		b, _ := os.ReadFile(filepath.Join(h.dir, time.Now().Format("2006-01-02"), "1.log"))
		return strings.Contains(string(b), "execute end")
	})
	if n := admin.count(1); n != 1 {
		t.Errorf("stuck run called back %d times", n)
	}
}

func xxljobOptionsGrace(d time.Duration) xxljob.Options { return xxljob.Options{StopGrace: d} }

func TestNewHandlerOnSameJobReplacesTheOld(t *testing.T) {
	admin := newFakeAdmin(t, testToken)
	h := start(t, setup{admins: admin.srv.URL})
	h.mustTrigger(t, runReq(8, 1, "gate", "", "SERIAL_EXECUTION"))
	h.gate.awaitStart(t, 1)
	h.mustTrigger(t, runReq(8, 2, "echo", "new handler", "SERIAL_EXECUTION"))
	cbs := admin.awaitCallbacks(t, 1, 2)
	assertCallback(t, cbs[1], 500, "change jobhandler or glue type, and terminate the old job thread. [job running, killed]")
	assertCallback(t, cbs[2], 200, "new handler")
}

func TestHandleMsgCappedLikeJava(t *testing.T) {
	admin := newFakeAdmin(t, testToken)
	h := start(t, setup{admins: admin.srv.URL})
	h.mustTrigger(t, runReq(9, 1, "echo", strings.Repeat("é", 30000), ""))
	cb := admin.awaitCallbacks(t, 1)[1]
	if len(cb.HandleMsg) != 50000+3 || !strings.HasSuffix(cb.HandleMsg, "...") || !utf8.ValidString(cb.HandleMsg) {
		t.Errorf("handleMsg of %d bytes, want 50000 valid UTF-8 bytes and ...", len(cb.HandleMsg))
	}
}

// TestTimeoutReportedWhenTaskIgnoresCancellation checks that a run with
// executorTimeout is reported 502 at its deadline even when its task never
// looks at ctx, and that the job's next queued trigger then runs, as the
// Java executor's JobThread does.
func TestTimeoutReportedWhenTaskIgnoresCancellation(t *testing.T) {
	admin := newFakeAdmin(t, testToken)
	hold, returned := make(chan struct{}), make(chan struct{})
	t.Cleanup(func() {
		select {
		case <-hold:
		default:
			close(hold)
		}
	})
	deaf := func(_ context.Context, req *xxl.RunReq) (string, error) {
		if req.ExecutorParams != "hang" {
			return "ran " + req.ExecutorParams, nil
		}
		defer close(returned)
		<-hold // ignores ctx on purpose
		return "late", nil
	}
	h := start(t, setup{admins: admin.srv.URL, tasks: map[string]xxljob.Handler{"deaf": deaf}})
	hung := runReq(1, 1, "deaf", "hang", "SERIAL_EXECUTION")
	hung.ExecutorTimeout = 1
	h.mustTrigger(t, hung)
	h.mustTrigger(t, runReq(1, 2, "deaf", "next", "SERIAL_EXECUTION"))

	cbs := admin.awaitCallbacks(t, 1, 2) // the first task is still held here
	assertCallback(t, cbs[1], 502, "job execute timeout")
	assertCallback(t, cbs[2], 200, "ran next")

	close(hold)
	select {
	case <-returned:
	case <-time.After(15 * time.Second):
		t.Fatal("held task did not return")
	}
	if err := h.stop(t, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if n := admin.count(1); n != 1 {
		t.Errorf("timed-out run called back %d times, want once", n)
	}
}

// TestStopPastDeadlineWithNothingRunningIsClean stops executors whose runs
// all finished with a ctx already past its deadline: with nothing left
// running, Stop must not claim that runs ignored cancellation. Several
// executors, because the wrong answer came from a random select.
func TestStopPastDeadlineWithNothingRunningIsClean(t *testing.T) {
	admin := newFakeAdmin(t, testToken)
	expired, cancel := context.WithCancel(context.Background())
	cancel()
	for i := range 10 {
		h := start(t, setup{admins: admin.srv.URL})
		id := int64(i + 1)
		h.mustTrigger(t, runReq(1, id, "demo_task", "", ""))
		admin.awaitCallbacks(t, id)
		eventually(t, 5*time.Second, "job idle", func() bool {
			return h.call(t, "/idleBeat", testToken, map[string]int64{"jobId": 1}).Code == 200
		})
		if err := h.ex.Stop(expired); err != nil {
			t.Fatalf("executor %d: Stop with nothing running = %v, want nil", i, err)
		}
	}
}

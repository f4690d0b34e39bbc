package xxljob_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// spoolFiles counts the callback batches spooled under logPath.
func spoolFiles(t testing.TB, logPath string) int {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(logPath, "callbacklog", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	return len(files)
}

func TestCallbackSurvivesAdminDownAndRestartExactlyOnce(t *testing.T) {
	admin := newFakeAdmin(t, testToken)
	admin.setDown(true)
	dir := t.TempDir()
	spooled := func() int { return spoolFiles(t, dir) }

	first := start(t, setup{admins: admin.srv.URL, logPath: dir})
	first.mustTrigger(t, runReq(1, 77, "demo_task", `{"lines":2}`, ""))
	eventually(t, 10*time.Second, "callback refused and spooled", func() bool {
		return spooled() == 1 && admin.attemptsOf("/api/callback") >= 2
	})
	if got := metric(t, first, "xxljob_callbacks_pending"); got != "1" {
		t.Errorf("xxljob_callbacks_pending = %s while the admin is down, want 1", got)
	}
	if err := first.stop(t, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if n := spooled(); n != 1 {
		t.Fatalf("%d spool files after stop, want the callback left on disk", n)
	}

	admin.setDown(false)
	second := start(t, setup{admins: admin.srv.URL, logPath: dir})
	cb := admin.awaitCallbacks(t, 77)[77]
	assertCallback(t, cb, 200, "demo_task ok")
	eventually(t, 5*time.Second, "spool file removed", func() bool { return spooled() == 0 })
	if a := second.trigger(t, runReq(1, 77, "demo_task", "", "")); a.Code != 500 || a.Msg != "repeate trigger job, logId:77" {
		t.Errorf("log 77 after a restart answered %d %q, want refused as a repeat", a.Code, a.Msg)
	}
	if err := second.stop(t, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	// A third start finds nothing left to send.
	third := start(t, setup{admins: admin.srv.URL, logPath: dir})
	if err := third.stop(t, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if n := admin.count(77); n != 1 {
		t.Errorf("callback of log 77 accepted %d times, want exactly once", n)
	}
}

func TestCallbackRetriedUntilAdminBack(t *testing.T) {
	admin := newFakeAdmin(t, testToken)
	admin.setDown(true)
	h := start(t, setup{admins: admin.srv.URL})
	h.mustTrigger(t, runReq(1, 5, "demo_task", "", ""))
	h.mustTrigger(t, runReq(2, 6, "demo_task", `{"fail":true}`, ""))
	eventually(t, 10*time.Second, "retries while down", func() bool { return admin.attemptsOf("/api/callback") >= 3 })
	admin.setDown(false)
	cbs := admin.awaitCallbacks(t, 5, 6)
	assertCallback(t, cbs[5], 200, "ok")
	assertCallback(t, cbs[6], 500, "fail=true")
	if err := h.stop(t, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if admin.count(5) != 1 || admin.count(6) != 1 {
		t.Errorf("callbacks accepted %d and %d times, want once each", admin.count(5), admin.count(6))
	}
	if n := spoolFiles(t, h.dir); n != 0 {
		t.Errorf("spool holds %d files after delivery", n)
	}
}

// TestStopKeepsItsDeadlineWhileAdminHangs checks that Stop returns by its
// ctx deadline when the admin never answers /api/callback, instead of
// waiting out the client timeout, and that the callback stays on disk.
func TestStopKeepsItsDeadlineWhileAdminHangs(t *testing.T) {
	arrived, release := make(chan struct{}, 10), make(chan struct{})
	admin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/callback" {
			arrived <- struct{}{}
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		_, _ = w.Write([]byte(`{"code":200}`))
	}))
	t.Cleanup(admin.Close)
	t.Cleanup(func() { close(release) }) // runs before admin.Close
	h := start(t, setup{admins: admin.URL})
	h.mustTrigger(t, runReq(1, 1, "demo_task", "", ""))
	select {
	case <-arrived:
	case <-time.After(15 * time.Second):
		t.Fatal("callback never reached the admin")
	}

	stopped := make(chan error, 1)
	go func() { stopped <- h.stop(t, 300*time.Millisecond) }()
	select {
	case err := <-stopped:
		if err != nil {
			t.Errorf("Stop = %v", err)
		}
	case <-time.After(3 * time.Second): // well below the 5 s client timeout
		t.Fatal("Stop overran its 300 ms deadline by seconds while the admin hung")
	}
	if n := spoolFiles(t, h.dir); n != 1 {
		t.Errorf("%d spool files after stop, want the undelivered callback kept", n)
	}
}

// TestPendingCallbacksCountedFromHandOver checks xxljob_callbacks_pending
// counts a result as soon as the run hands it over, while its first
// delivery is still in flight, and drops it once the admin accepted it.
func TestPendingCallbacksCountedFromHandOver(t *testing.T) {
	arrived, release := make(chan struct{}, 10), make(chan struct{})
	admin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/callback" {
			arrived <- struct{}{}
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
		_, _ = w.Write([]byte(`{"code":200}`))
	}))
	t.Cleanup(admin.Close)
	h := start(t, setup{admins: admin.URL})
	h.mustTrigger(t, runReq(1, 1, "demo_task", "", ""))
	select {
	case <-arrived:
	case <-time.After(15 * time.Second):
		t.Fatal("callback never reached the admin")
	}
	if got := metric(t, h, "xxljob_callbacks_pending"); got != "1" {
		t.Errorf("xxljob_callbacks_pending = %s while the first delivery is in flight, want 1", got)
	}
	close(release)
	eventually(t, 10*time.Second, "pending back to 0", func() bool {
		return metric(t, h, "xxljob_callbacks_pending") == "0"
	})
}

// TestTriggerRefusedWhenItCannotBeRecorded breaks the run records' place
// on disk: /run refuses the trigger instead of accepting a run a crash
// could lose, and the log id stays free for when the disk is back.
func TestTriggerRefusedWhenItCannotBeRecorded(t *testing.T) {
	admin := newFakeAdmin(t, testToken)
	h := start(t, setup{admins: admin.srv.URL})
	runs := filepath.Join(h.dir, "callbacklog", "runs")
	if err := os.Rename(runs, runs+".away"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(runs, nil, 0o644); err != nil { // a file where the dir was
		t.Fatal(err)
	}
	if a := h.trigger(t, runReq(1, 81, "demo_task", "", "")); a.Code != 500 || !strings.Contains(a.Msg, "cannot record") {
		t.Fatalf("trigger with no place to record it answered %d %q, want refused", a.Code, a.Msg)
	}
	if err := os.Remove(runs); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(runs+".away", runs); err != nil {
		t.Fatal(err)
	}
	h.mustTrigger(t, runReq(1, 81, "demo_task", "", ""))
	assertCallback(t, admin.awaitCallbacks(t, 81)[81], 200, "demo_task ok")
	if n := admin.count(81); n != 1 {
		t.Errorf("log 81 called back %d times", n)
	}
}

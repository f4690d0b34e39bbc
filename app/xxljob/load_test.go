package xxljob_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	xxl "github.com/xxl-job/xxl-job-executor-go"
)

// load fires n triggers of demo_task across jobs job ids (SERIAL_EXECUTION,
// from 8 concurrent callers, log ids first..first+n-1), waits for every
// callback and returns the trigger-to-callback latencies, sorted.
func load(t testing.TB, h *harness, admin *fakeAdmin, first int64, n, jobs int) []time.Duration {
	t.Helper()
	sent := make([]time.Time, n)
	var wg sync.WaitGroup
	next := make(chan int)
	for range 8 {
		wg.Go(func() {
			for i := range next {
				req := runReq(int64(i%jobs)+1, first+int64(i), "demo_task", `{"lines":1}`, "SERIAL_EXECUTION")
				sent[i] = time.Now()
				if a := h.call(t, "/run", testToken, req); a.Code != 200 {
					t.Errorf("trigger %d refused: %q", req.LogID, a.Msg)
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	admin.await(t, fmt.Sprintf("%d callbacks", n), func(a *fakeAdmin) bool {
		for i := range n {
			if len(a.callbacks[first+int64(i)]) == 0 {
				return false
			}
		}
		return true
	})
	admin.mu.Lock()
	defer admin.mu.Unlock()
	lat := make([]time.Duration, n)
	for i := range n {
		id := first + int64(i)
		if c := len(admin.callbacks[id]); c != 1 || admin.callbacks[id][0].HandleCode != 200 {
			t.Errorf("log %d: %d callbacks, first %+v", id, c, admin.callbacks[id][0])
		}
		lat[i] = admin.arrived[id].Sub(sent[i])
	}
	slices.Sort(lat)
	return lat
}

func pct(lat []time.Duration, p float64) time.Duration {
	return lat[min(len(lat)-1, int(float64(len(lat))*p))]
}

func TestLoadThousandTriggersFiftyJobsExactlyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	admin := newFakeAdmin(t, testToken)
	h := start(t, setup{admins: admin.srv.URL})
	lat := load(t, h, admin, 1, 1000, 50)
	if err := h.stop(t, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	for i := int64(1); i <= 1000; i++ {
		if n := admin.count(i); n != 1 {
			t.Fatalf("log %d accepted %d times after stop", i, n)
		}
	}
	t.Logf("trigger→callback latency p50=%v p90=%v p99=%v", pct(lat, .5), pct(lat, .9), pct(lat, .99))
}

// BenchmarkTriggerToCallback measures 1,000 triggers across 50 job ids per
// iteration. The baseline is the round trip of /beat on the same executor,
// so the ratio shows what queueing, the task, its log file and the
// callback add to one HTTP call.
func BenchmarkTriggerToCallback(b *testing.B) {
	admin := newFakeAdmin(b, testToken)
	h := start(b, setup{admins: admin.srv.URL})
	var base []time.Duration
	for range 200 {
		t0 := time.Now()
		h.call(b, "/beat", testToken, xxl.LogReq{})
		base = append(base, time.Since(t0))
	}
	slices.Sort(base)
	var all []time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		all = append(all, load(b, h, admin, int64(i)*1000+1, 1000, 50)...)
	}
	b.StopTimer()
	slices.Sort(all)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(pct(all, .5)), "p50-ms")
	b.ReportMetric(ms(pct(all, .9)), "p90-ms")
	b.ReportMetric(ms(pct(all, .99)), "p99-ms")
	b.ReportMetric(ms(pct(base, .5)), "beat-p50-ms")
	b.ReportMetric(float64(pct(all, .5))/float64(pct(base, .5)), "p50/beat")
}

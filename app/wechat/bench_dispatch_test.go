package wechat_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gomicro/app/redisclient/redistest"
	"gomicro/app/wechat"
)

// benchIDs numbers messages across every benchmark of the run, so dedup
// never sees one twice.
var benchIDs atomic.Int64

// timedServe serves one plain text message and returns how long it took;
// an answer without want fails b (from any goroutine).
func timedServe(b *testing.B, h http.Handler, content, want string) time.Duration {
	req := shop.request("shop", plainMode, textMsg(content, benchIDs.Add(1)))
	rec := httptest.NewRecorder()
	t0 := time.Now()
	h.ServeHTTP(rec, req)
	d := time.Since(t0)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), want) {
		b.Errorf("%d %s, want %q", rec.Code, rec.Body, want)
	}
	return d
}

func percentile(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

// BenchmarkDispatchRoundTrip serves the same keyword message, one at a
// time, through an agent whose chain runs on a worker (agent → RabbitMQ →
// worker → Redis → agent, all on loopback) and, interleaved, through a
// server running the chain inline with the same Redis (dedup and sessions
// there too), and reports p50 and p99 of each and their ratios.
func BenchmarkDispatchRoundTrip(b *testing.B) {
	inlineRedis := redistest.Config(b)
	inline := newEnv(b, envOptions{yaml: accountYAML(""), redis: &inlineRedis, noLogs: true})
	agent, _ := dispatchEnvWith(b, envOptions{yaml: accountYAML(""), noLogs: true})
	startWorkerWith(b, agent, nil, true)
	timedServe(b, agent.h, "hello", "world") // the worker's first session
	var viaInline, viaWorker []time.Duration
	for b.Loop() {
		viaInline = append(viaInline, timedServe(b, inline.h, "hello", "world"))
		viaWorker = append(viaWorker, timedServe(b, agent.h, "hello", "world"))
	}
	if replied := dispatchCount(b, agent.reg, wechat.DispatchReplied); int(replied) != len(viaWorker)+1 {
		b.Fatalf("%v of %d answered through the worker", replied, len(viaWorker)+1)
	}
	i50, i99, w50, w99 := percentile(viaInline, .5), percentile(viaInline, .99), percentile(viaWorker, .5), percentile(viaWorker, .99)
	b.ReportMetric(float64(i50.Microseconds()), "inline-p50-µs")
	b.ReportMetric(float64(i99.Microseconds()), "inline-p99-µs")
	b.ReportMetric(float64(w50.Microseconds()), "worker-p50-µs")
	b.ReportMetric(float64(w99.Microseconds()), "worker-p99-µs")
	b.ReportMetric(float64(w50)/float64(i50), "p50-ratio")
	b.ReportMetric(float64(w99)/float64(i99), "p99-ratio")
}

// ioUnit stands for a unit that waits on a backend for 5 ms.
func ioUnit() wechat.Unit {
	return wechat.Unit{Name: "backend", Order: 1, Common: true, Handle: func(ctx context.Context, t *wechat.Turn) (*wechat.Reply, error) {
		if t.Message.Content != "io" {
			return nil, nil
		}
		timer := time.NewTimer(5 * time.Millisecond)
		defer timer.Stop()
		select {
		case <-timer.C:
			return wechat.Text("done"), nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}}
}

// BenchmarkWorkersThroughput sends b.N messages from 64 concurrent senders
// through an agent with 1, 2 and 4 workers (each 4 handlers, in this
// process, each its own broker connection and Redis client), for a chain
// of keyword rules (CPU only) and one of a 5 ms backend wait, and reports
// messages per second; inline is the same load on a server running the
// chain itself.
func BenchmarkWorkersThroughput(b *testing.B) {
	for _, chain := range []struct{ name, content, want string }{{"keyword", "hello", "world"}, {"io5ms", "io", "done"}} {
		units := []wechat.Unit{ioUnit()}
		b.Run(chain.name+"/inline", func(b *testing.B) {
			rcfg := redistest.Config(b)
			e := newEnv(b, envOptions{yaml: accountYAML(""), redis: &rcfg, units: units, noLogs: true})
			flood(b, e.h, chain.content, chain.want)
		})
		for _, n := range []int{1, 2, 4} {
			b.Run(chain.name+"/workers="+strconv.Itoa(n), func(b *testing.B) {
				e, _ := dispatchEnvWith(b, envOptions{yaml: accountYAML("") + "  workers: 4\n", units: units, noLogs: true})
				for range n {
					startWorkerWith(b, e, units, true)
				}
				timedServe(b, e.h, chain.content, chain.want)
				flood(b, e.h, chain.content, chain.want)
				if late := dispatchCount(b, e.reg, wechat.DispatchLate); late > 0 {
					b.Logf("%v answers missed reply_timeout", late)
				}
			})
		}
	}
}

// flood serves b.N messages from 64 goroutines and reports messages/s.
func flood(b *testing.B, h http.Handler, content, want string) {
	const senders = 64
	next := make(chan struct{})
	var wg sync.WaitGroup
	for range senders {
		wg.Go(func() {
			for range next {
				timedServe(b, h, content, want)
			}
		})
	}
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		next <- struct{}{}
	}
	close(next)
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}

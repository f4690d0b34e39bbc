package wechat_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/rs/zerolog"

	"gomicro/app/amqpclient/amqptest"
	"gomicro/app/config"
	"gomicro/app/logging/logtest"
	"gomicro/app/redisclient"
	"gomicro/app/redisclient/redistest"
	"gomicro/app/wechat"
)

// dispatchEnv is the server's engine with wechat_oa.dispatch: amqp on the
// test broker and Redis, with a queue and key prefix of its own.
func dispatchEnv(t testing.TB, yaml string, units []wechat.Unit) (*env, config.AMQP) {
	t.Helper()
	return dispatchEnvWith(t, envOptions{yaml: yaml, units: units})
}

// dispatchEnvWith is dispatchEnv with more options (redis and amqp are
// set here).
func dispatchEnvWith(t testing.TB, o envOptions) (*env, config.AMQP) {
	t.Helper()
	url := amqptest.URL(t)
	rcfg := redistest.Config(t)
	q := config.AMQP{URL: url, Queue: amqptest.Queue(t, url), Prefetch: 32}
	o.redis, o.amqp = &rcfg, &q
	return newEnv(t, o), q
}

// testWorker is `server wechat-worker` in process: a service and worker of
// its own (registry, logs, Redis client) on the agent's config.
type testWorker struct {
	t    testing.TB
	w    *wechat.Worker
	reg  *prometheus.Registry
	logs *logtest.Buffer
}

func startWorker(t testing.TB, e *env, units []wechat.Unit) *testWorker {
	t.Helper()
	return startWorkerWith(t, e, units, false)
}

// startWorkerWith is startWorker, without logs when quiet (benchmarks).
func startWorkerWith(t testing.TB, e *env, units []wechat.Unit, quiet bool) *testWorker {
	t.Helper()
	tw := &testWorker{t: t, reg: prometheus.NewRegistry(), logs: &logtest.Buffer{}}
	logger := zerolog.New(tw.logs)
	if quiet {
		logger = zerolog.Nop()
	}
	ctx := logger.WithContext(context.Background())
	rc := redisclient.Open(ctx, e.store.Current().Redis)
	t.Cleanup(func() { _ = rc.Close() })
	svc := wechat.New(wechat.Deps{Store: e.store, Redis: rc, Metrics: tw.reg, Units: units})
	tw.w = wechat.NewWorker(svc, wechat.WorkerDeps{Logger: logger, Registry: tw.reg})
	if err := tw.w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tw.stop(t, 10*time.Second) })
	return tw
}

func (tw *testWorker) stop(t testing.TB, timeout time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := tw.w.Stop(ctx); err != nil {
		t.Errorf("worker stop: %v", err)
	}
}

func (tw *testWorker) counter(outcome string) float64 {
	return metricValue(tw.t, tw.reg, "wechat_messages_total", map[string]string{"account": "shop", "type": "text", "outcome": outcome})
}

func dispatchCount(t testing.TB, reg *prometheus.Registry, outcome string) float64 {
	return metricValue(t, reg, "wechat_dispatch_total", map[string]string{"outcome": outcome})
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestDispatchRepliesThroughWorker(t *testing.T) {
	e, _ := dispatchEnv(t, accountYAML(""), nil)
	wk := startWorker(t, e, nil)

	r := e.serve(shop.request("shop", safeMode, textMsg("hello", 1001)))
	if got := shop.reply(t, safeMode, r); got == nil || got.Content != "world" {
		t.Fatalf("reply = %+v, want the keyword's world sealed by the agent", got)
	}
	if n := dispatchCount(t, e.reg, wechat.DispatchReplied); n != 1 {
		t.Errorf("agent wechat_dispatch_total{replied} = %v, want 1", n)
	}
	if n := e.counter("shop", "text", wechat.OutcomeReplied); n != 0 {
		t.Errorf("the agent ran the chain itself (%v)", n)
	}
	waitFor(t, "the worker's count", func() bool { return wk.counter(wechat.OutcomeReplied) == 1 })

	// One trace id from the agent's access line to the worker's line.
	access := e.logs.Messages(t, "access")
	done := wk.logs.Messages(t, "wechat worker: result stored for the agent")
	if len(access) != 1 || len(done) != 1 {
		t.Fatalf("access lines %d, worker lines %d", len(access), len(done))
	}
	id, _ := access[0]["trace_id"].(string)
	if id == "" || done[0]["trace_id"] != id || r.header.Get("X-Trace-Id") != id || done[0]["unit"] != "keyword" {
		t.Errorf("trace ids: header %q, access %q, worker %v (unit %v)", r.header.Get("X-Trace-Id"), id, done[0]["trace_id"], done[0]["unit"])
	}

	ready := e.serve(httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if ready.status != 200 || !strings.Contains(string(ready.body), `"amqp":{"status":"up"`) {
		t.Errorf("agent readyz %d %s", ready.status, ready.body)
	}
	waitFor(t, "the worker's readiness", func() bool {
		code, body := get(t, "http://"+wk.w.Addr()+"/readyz")
		return code == 200 && strings.Contains(body, `"amqp":{"status":"up"`)
	})
	if code, body := get(t, "http://"+wk.w.Addr()+"/metrics"); code != 200 || !strings.Contains(body, `wechat_messages_total{account="shop",outcome="replied",type="text"} 1`) {
		t.Errorf("worker metrics %d: %s", code, body)
	}
	if code, _ := get(t, "http://"+wk.w.Addr()+"/healthz"); code != 200 {
		t.Errorf("worker healthz %d", code)
	}
}

// jitterUnit replies "re:<text>" after a delay set by the message's
// number, from none to twice reply_timeout, so results land before, at
// and after the agent's deadline.
func jitterUnit(replyTimeout time.Duration, runs *atomic.Int32) wechat.Unit {
	return wechat.Unit{Name: "jitter", Order: 1, Common: true, Handle: func(ctx context.Context, t *wechat.Turn) (*wechat.Reply, error) {
		runs.Add(1)
		n, _ := strconv.Atoi(strings.TrimPrefix(t.Message.Content, "m"))
		timer := time.NewTimer(time.Duration(n%21) * replyTimeout / 10)
		defer timer.Stop()
		select {
		case <-timer.C:
			return wechat.Text("re:" + t.Message.Content), nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}}
}

// sentTexts drains the fake API's deliveries and returns a function
// listing the texts sent so far.
func sentTexts(t *testing.T, api *fakeWeChat) func() []string {
	t.Helper()
	var mu sync.Mutex
	var texts []string
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	go func() {
		for {
			select {
			case m := <-api.delivered:
				mu.Lock()
				texts = append(texts, m.Text.Content)
				mu.Unlock()
			case <-stop:
				return
			}
		}
	}()
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), texts...)
	}
}

// Every message gets exactly one reply, in the HTTP answer or through the
// customer-service API, whichever side of the deadline its result lands.
func TestDispatchEachMessageRepliedOnce(t *testing.T) {
	api := newFakeWeChat(t, testAppID, "app-secret")
	sent := sentTexts(t, api)
	const replyTimeout = 200 * time.Millisecond
	var runs atomic.Int32
	units := []wechat.Unit{jitterUnit(replyTimeout, &runs)}
	e, _ := dispatchEnv(t, accountYAML("")+"  reply_timeout: 200ms\n  api_base_url: "+api.srv.URL+"\n", units)
	wk := startWorker(t, e, units)

	const n = 84
	inHTTP := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			r := e.serve(shop.request("shop", plainMode, textMsg("m"+strconv.Itoa(i), int64(2000+i))))
			if got := shop.reply(t, plainMode, r); got != nil {
				inHTTP[i] = got.Content
			}
		})
	}
	wg.Wait()
	http := 0
	for _, c := range inHTTP {
		if c != "" {
			http++
		}
	}
	// A message whose broker confirm came late ran where it first started
	// (inline or on the worker): the worker's counters need not reach n,
	// but every message is answered.
	waitFor(t, "a reply to every message", func() bool { return http+len(sent()) >= n })
	seen := map[string]int{}
	for _, c := range inHTTP {
		if c != "" {
			seen[c]++
		}
	}
	for _, c := range sent() {
		seen[c]++
	}
	for i := range n {
		if c := seen["re:m"+strconv.Itoa(i)]; c != 1 {
			t.Errorf("message m%d replied %d times", i, c)
		}
	}
	if len(seen) != n || runs.Load() != n {
		t.Errorf("%d distinct replies, unit ran %d times; want %d each", len(seen), runs.Load(), n)
	}
	late, replied := dispatchCount(t, e.reg, wechat.DispatchLate), dispatchCount(t, e.reg, wechat.DispatchReplied)
	inline := dispatchCount(t, e.reg, wechat.DispatchFallback)
	if late+replied+inline != n || int(replied) > http || replied == 0 || (inline == 0 && late == 0) {
		t.Errorf("agent counted %v replied, %v late, %v inline (%d answered in HTTP); want every message once and both paths taken", replied, late, inline, http)
	}
	_ = wk
}

func closedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	return port
}

// With the broker unreachable the agent answers by running the chain
// itself; readiness shows the broker down without failing.
func TestDispatchFallsBackInlineWithoutBroker(t *testing.T) {
	rcfg := redistest.Config(t)
	q := config.AMQP{URL: "amqp://guest:guest@127.0.0.1:" + strconv.Itoa(closedPort(t)) + "/", Queue: "unused", Prefetch: 1}
	e := newEnv(t, envOptions{yaml: accountYAML(""), redis: &rcfg, amqp: &q})
	start := time.Now()
	r := e.serve(shop.request("shop", compatibleMode, textMsg("hello", 3001)))
	if got := shop.reply(t, compatibleMode, r); got == nil || got.Content != "world" || time.Since(start) > time.Second {
		t.Fatalf("reply %+v after %s, want world from the inline chain at once", got, time.Since(start))
	}
	if f := dispatchCount(t, e.reg, wechat.DispatchFallback); f != 1 || e.counter("shop", "text", wechat.OutcomeReplied) != 1 {
		t.Errorf("fallback %v, inline replied %v; want 1 and 1", f, e.counter("shop", "text", wechat.OutcomeReplied))
	}
	ready := e.serve(httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if ready.status != 200 || !strings.Contains(string(ready.body), `"amqp":{"status":"down","required":false`) {
		t.Errorf("readyz %d %s", ready.status, ready.body)
	}
	if len(e.logs.Messages(t, "wechat dispatch: broker did not take the message; running the chain inline")) != 1 {
		t.Error("the fallback was not logged")
	}
}

// deadLetters reads every message of queue.
func deadLetters(t *testing.T, url, queue string) []amqp.Delivery {
	t.Helper()
	conn, err := amqp.Dial(url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	var out []amqp.Delivery
	for {
		d, ok, err := ch.Get(queue, true)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return out
		}
		out = append(out, d)
	}
}

// A chain that keeps failing runs max_attempts times, then the message
// goes to <queue>.dead with the error; WeChat gets success.
func TestDispatchDeadLettersAfterMaxAttempts(t *testing.T) {
	var runs atomic.Int32
	failing := []wechat.Unit{{Name: "flaky", Order: 1, Common: true, Handle: func(context.Context, *wechat.Turn) (*wechat.Reply, error) {
		runs.Add(1)
		return nil, errors.New("backend says no")
	}}}
	e, q := dispatchEnv(t, accountYAML(""), failing)
	wk := startWorker(t, e, failing)
	r := e.serve(shop.request("shop", plainMode, textMsg("anything", 4001)))
	if string(r.body) != "success" {
		t.Fatalf("answer %q, want success", r.body)
	}
	waitFor(t, "the dead letter", func() bool { return dispatchCount(t, wk.reg, wechat.DispatchDead) == 1 })
	if runs.Load() != 3 {
		t.Errorf("chain ran %d times, want max_attempts = 3", runs.Load())
	}
	dead := deadLetters(t, q.URL, q.Queue+".dead")
	if len(dead) != 1 {
		t.Fatalf("%d dead letters, want 1", len(dead))
	}
	h := dead[0].Headers
	if msg, _ := h["x-error"].(string); !strings.Contains(msg, "backend says no") || h["x-attempts"] != int64(3) {
		t.Errorf("dead letter headers %v", h)
	}
	if !strings.Contains(string(dead[0].Body), `"Content":"anything"`) {
		t.Errorf("dead letter body %s", dead[0].Body)
	}
	if amqptest.Depth(t, q.URL, q.Queue) != 0 || wk.counter(wechat.OutcomeFailed) != 1 {
		t.Errorf("queue depth %d, failed %v", amqptest.Depth(t, q.URL, q.Queue), wk.counter(wechat.OutcomeFailed))
	}
}

// countUnit replies to every text and counts its runs.
func countUnit(runs *atomic.Int32) wechat.Unit {
	return wechat.Unit{Name: "count", Order: 1, Common: true, Handle: func(_ context.Context, t *wechat.Turn) (*wechat.Reply, error) {
		runs.Add(1)
		return wechat.Text("counted " + t.Message.Content), nil
	}}
}

// A message delivered again after its chain completed (a worker lost it
// between recording the result and its ack) is not run again.
func TestRedeliveredCompletedMessageNotRunAgain(t *testing.T) {
	api := newFakeWeChat(t, testAppID, "app-secret")
	sent := sentTexts(t, api)
	var runs atomic.Int32
	units := []wechat.Unit{countUnit(&runs)}
	e, q := dispatchEnv(t, accountYAML("")+"  reply_timeout: 100ms\n  api_base_url: "+api.srv.URL+"\n", units)
	// No worker yet: the agent answers success, and this test takes the
	// message off the queue to deliver it twice.
	if r := e.serve(shop.request("shop", plainMode, textMsg("once", 5001))); string(r.body) != "success" {
		t.Fatalf("without a worker the answer is %q", r.body)
	}
	conn, err := amqp.Dial(q.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	d, ok, err := ch.Get(q.Queue, true)
	if err != nil || !ok {
		t.Fatalf("no message queued: %v", err)
	}
	publish := func() {
		t.Helper()
		if err := ch.Publish("", q.Queue, false, false, amqp.Publishing{Body: d.Body, DeliveryMode: amqp.Persistent}); err != nil {
			t.Fatal(err)
		}
	}
	wk := startWorker(t, e, units)
	publish()
	waitFor(t, "the late reply", func() bool { return len(sent()) == 1 })
	publish()
	waitFor(t, "the second delivery to be seen", func() bool {
		return len(wk.logs.Messages(t, "wechat worker: message completed before; not run again")) == 1
	})
	if runs.Load() != 1 || len(sent()) != 1 || sent()[0] != "counted once" {
		t.Errorf("chain ran %d times, sent %q; want once", runs.Load(), sent())
	}
}

// Stop takes no new message, lets the one in hand finish and gives the
// prefetched ones back to the queue, where the next worker finds them.
func TestWorkerStopFinishesInHandAndRequeuesTheRest(t *testing.T) {
	api := newFakeWeChat(t, testAppID, "app-secret")
	sent := sentTexts(t, api)
	g := newGate("slow", "late answer")
	units := []wechat.Unit{g.unit()}
	e, q := dispatchEnv(t, accountYAML("")+"  workers: 1\n  reply_timeout: 300ms\n  api_base_url: "+api.srv.URL+"\n", units)
	wk := startWorker(t, e, units)
	var wg sync.WaitGroup
	var inHTTP atomic.Int32
	for i := range 3 {
		wg.Go(func() {
			if r := e.serve(shop.request("shop", plainMode, textMsg("slow", int64(6000+i)))); string(r.body) != "success" {
				inHTTP.Add(1)
			}
		})
	}
	waitStarted(t, g)
	stopped := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		stopped <- wk.w.Stop(ctx)
	}()
	waitFor(t, "the worker to begin stopping", func() bool {
		return len(wk.logs.Messages(t, "wechat worker stopping: no new messages; finishing the ones in hand")) == 1
	})
	close(g.release)
	if err := <-stopped; err != nil {
		t.Fatalf("stop: %v", err)
	}
	wg.Wait()
	if n, depth := g.runs.Load(), amqptest.Depth(t, q.URL, q.Queue); n != 1 || depth != 2 {
		t.Fatalf("after stop: %d chains ran, %d messages queued; want 1 and 2", n, depth)
	}
	if n := int(inHTTP.Load()) + len(sent()); n != 1 {
		t.Errorf("the message in hand was not finished: %d replies", n)
	}
	startWorker(t, e, units)
	waitFor(t, "the requeued messages", func() bool { return int(inHTTP.Load())+len(sent()) == 3 })
	if g.runs.Load() != 3 {
		t.Errorf("chains ran %d times, want 3", g.runs.Load())
	}
}

// A message still in hand when the shutdown timeout ends is cut short and
// given back, not dead-lettered; Stop still succeeds.
func TestWorkerStopCutsShortAtTimeout(t *testing.T) {
	g := newGate("slow", "never")
	units := []wechat.Unit{g.unit()}
	e, q := dispatchEnv(t, accountYAML("")+"  reply_timeout: 100ms\n", units)
	wk := startWorker(t, e, units)
	e.serve(shop.request("shop", plainMode, textMsg("slow", 7001)))
	waitStarted(t, g)
	wk.stop(t, 200*time.Millisecond)
	if depth := amqptest.Depth(t, q.URL, q.Queue); depth != 1 {
		t.Errorf("%d messages queued after the cut, want 1", depth)
	}
	if len(wk.logs.Messages(t, "wechat worker: cut short at shutdown; message given back")) != 1 || amqptest.Depth(t, q.URL, q.Queue+".dead") != 0 {
		t.Errorf("the cut message was not given back: %s", wk.logs.String())
	}
}

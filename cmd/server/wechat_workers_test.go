package main

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gomicro/app/amqpclient/amqptest"
)

// checkOnce fails t unless every message 0..n-1 got exactly one reply
// ("re:m<i>"), counting the HTTP answers and the customer-service sends.
func checkOnce(t *testing.T, n int, answers []answer, sent []string) (inHTTP int) {
	t.Helper()
	seen := map[string]int{}
	for _, a := range answers {
		if a.content != "" {
			seen[a.content]++
			inHTTP++
		}
	}
	for _, s := range sent {
		seen[s]++
	}
	for i := range n {
		if c := seen["re:m"+strconv.Itoa(i)]; c != 1 {
			t.Errorf("message m%d got %d replies", i, c)
		}
	}
	if len(seen) != n {
		t.Errorf("%d distinct replies for %d messages", len(seen), n)
	}
	return inHTTP
}

// Agent and two workers: 1,000 messages from concurrent senders, some of
// whose chains outlast reply_timeout; each gets exactly one reply, in the
// HTTP answer or through the customer-service API.
func TestWeChatWorkersThousandMessagesOneReplyEach(t *testing.T) {
	rig := newWeChatRig(t, amqptest.URL(t), 2*time.Second)
	// Every 25th chain takes longer than reply_timeout: its reply goes out
	// through the customer-service API.
	rig.fwd.delay = func(content string) time.Duration {
		if n, _ := strconv.Atoi(strings.TrimPrefix(content, "m")); n%25 == 0 {
			return 2500 * time.Millisecond
		}
		return 0
	}
	agent := rig.startAgent()
	w1, w2 := rig.startWorker(), rig.startWorker()

	const n, senders = 1000, 32
	answers := make([]answer, n)
	next := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: senders}}
	for range senders {
		wg.Go(func() {
			for i := range next {
				a, err := rig.send(client, agent.addr, i)
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
				answers[i] = a
			}
		})
	}
	start := time.Now()
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	took := time.Since(start)
	if len(errs) > 0 {
		t.Fatalf("%d sends failed, first: %v", len(errs), errs[0])
	}
	for i, a := range answers {
		if a.elapsed > 2*time.Second+time.Second {
			t.Errorf("message %d answered after %s, past reply_timeout", i, a.elapsed)
		}
	}
	// Every message is answered once, in HTTP or through the
	// customer-service API. (A message whose broker confirm came late may
	// have run at the agent instead: the workers' counts need not reach n.)
	handled := func(w *process) float64 {
		return metric(t, w.addr, `wechat_messages_total{account="shop",outcome="replied",type="text"}`) +
			metric(t, w.addr, `wechat_messages_total{account="shop",outcome="async",type="text"}`)
	}
	inHTTP := 0
	for _, a := range answers {
		if a.content != "" {
			inHTTP++
		}
	}
	outcomes := func() string {
		var b strings.Builder
		for _, o := range []string{"replied", "late", "fallback"} {
			fmt.Fprintf(&b, " %s %.0f", o, metric(t, agent.addr, `wechat_dispatch_total{outcome="`+o+`"}`))
		}
		return fmt.Sprintf("agent:%s; workers handled %.0f and %.0f; %d answered in HTTP, %d sent", b.String(), handled(w1), handled(w2), inHTTP, len(rig.api.sent()))
	}
	deadline := time.Now().Add(60 * time.Second)
	for inHTTP+len(rig.api.sent()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("not every message answered after 60 s: %s", outcomes())
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not synchronisation
	}
	checkOnce(t, n, answers, rig.api.sent())
	h1, h2 := handled(w1), handled(w2)
	t.Logf("%d messages in %s: %s", n, took, outcomes())
	if h1 == 0 || h2 == 0 || len(rig.api.sent()) < n/25 {
		t.Errorf("both paths and both workers should carry messages: workers %.0f/%.0f, %d sent", h1, h2, len(rig.api.sent()))
	}
	// One trace id from the agent's answer to the worker's forward call.
	_, traces := rig.fwd.snapshot()
	for i, a := range answers {
		if got := traces["m"+strconv.Itoa(i)]; a.traceID == "" || got != a.traceID {
			t.Fatalf("message %d: the agent answered with trace %q, the worker's unit called out with %q", i, a.traceID, got)
		}
	}
	access := agent.lines.count(func(l map[string]any) bool { return l["message"] == "access" && l["trace_id"] == answers[1].traceID })
	unit := w1.lines.count(func(l map[string]any) bool { return l["trace_id"] == answers[1].traceID && l["unit"] == "forward" }) +
		w2.lines.count(func(l map[string]any) bool { return l["trace_id"] == answers[1].traceID && l["unit"] == "forward" })
	if access != 1 || unit != 1 {
		t.Errorf("trace %s: %d access lines at the agent, %d forward unit lines at the workers; want 1 and 1", answers[1].traceID, access, unit)
	}
}

// A worker killed while it holds messages: the broker gives them to the
// other worker, which answers every one.
func TestWeChatWorkerKilledMessagesAnsweredByTheOther(t *testing.T) {
	rig := newWeChatRig(t, amqptest.URL(t), 500*time.Millisecond)
	rig.fwd.hold()
	agent := rig.startAgent()
	four := []string{"APP_WECHAT_OA_WORKERS=4", "APP_AMQP_PREFETCH=4"}
	doomed := rig.startWorker(four...)

	const n = 4
	answers := make([]answer, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			a, err := rig.send(http.DefaultClient, agent.addr, i)
			if err != nil {
				t.Error(err)
			}
			answers[i] = a
		})
	}
	waitUntil(t, "the first worker to hold every message", 20*time.Second, func() bool { return rig.fwd.heldCalls() == n })
	wg.Wait() // the agent answered success for each at reply_timeout
	other := rig.startWorker(four...)
	if err := doomed.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = doomed.cmd.Wait()
	rig.fwd.unhold()

	waitUntil(t, "the other worker's replies", 30*time.Second, func() bool { return len(rig.api.sent()) == n })
	checkOnce(t, n, answers, rig.api.sent())
	calls, _ := rig.fwd.snapshot()
	for i := range n {
		if c := calls["m"+strconv.Itoa(i)]; c != 2 {
			t.Errorf("m%d forwarded %d times, want 2 (the killed worker's try, then the other's)", i, c)
		}
	}
	if got := metric(t, other.addr, `wechat_messages_total{account="shop",outcome="async",type="text"}`); got != n {
		t.Errorf("the surviving worker delivered %v, want %d", got, n)
	}
}

// No worker running: the agent answers success at reply_timeout, and the
// messages wait in the queue; a worker started 10 s later delivers every
// reply through the customer-service API. SIGTERM then stops it with 0.
func TestWeChatNoWorkerQueuedThenDeliveredLate(t *testing.T) {
	const replyTimeout = time.Second
	rig := newWeChatRig(t, amqptest.URL(t), replyTimeout)
	agent := rig.startAgent()
	const n = 5
	answers := make([]answer, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			a, err := rig.send(http.DefaultClient, agent.addr, i)
			if err != nil {
				t.Error(err)
			}
			answers[i] = a
		})
	}
	wg.Wait()
	answered := time.Now()
	for i, a := range answers {
		if a.content != "" || a.elapsed < replyTimeout || a.elapsed > replyTimeout+time.Second {
			t.Errorf("message %d: %q after %s, want success at reply_timeout (%s)", i, a.content, a.elapsed, replyTimeout)
		}
	}
	if depth := amqptest.Depth(t, rig.amqpURL, rig.queue); depth != n {
		t.Fatalf("%d messages queued, want %d", depth, n)
	}
	if got := metric(t, agent.addr, `wechat_dispatch_total{outcome="late"}`); got != n {
		t.Errorf("agent counted %v late, want %d", got, n)
	}
	time.Sleep(10*time.Second - time.Since(answered)) // the scenario: the worker comes 10 s later
	worker := rig.startWorker()
	waitUntil(t, "the late replies", 20*time.Second, func() bool { return len(rig.api.sent()) == n })
	checkOnce(t, n, answers, rig.api.sent())
	if depth := amqptest.Depth(t, rig.amqpURL, rig.queue); depth != 0 {
		t.Errorf("%d messages left in the queue", depth)
	}

	if err := worker.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := exitCode(t, worker.cmd); code != 0 {
		t.Errorf("worker exited %d after SIGTERM, want 0", code)
	}
}

// The broker stopped while the agent serves: answers keep coming from the
// inline chain; started again, agent and worker reconnect by themselves
// and messages go through the worker again. The broker is a private node:
// the shared one is never stopped.
func TestWeChatBrokerRestartFallbackThenResume(t *testing.T) {
	amqptest.URL(t) // the shared broker's presence says RabbitMQ runs here
	node := amqptest.StartNode(t)
	rig := newWeChatRig(t, node.URL(), 2*time.Second)
	agent := rig.startAgent()
	worker := rig.startWorker()
	viaWorker := func() float64 { return metric(t, agent.addr, `wechat_dispatch_total{outcome="replied"}`) }
	expect := func(i int) {
		t.Helper()
		a, err := rig.send(http.DefaultClient, agent.addr, i)
		if err != nil || a.content != "re:m"+strconv.Itoa(i) {
			t.Fatalf("message %d: %+v %v", i, a, err)
		}
	}
	expect(0)
	if viaWorker() != 1 {
		t.Fatalf("the first message did not go through the worker")
	}

	node.Stop()
	for i := 1; i <= 3; i++ {
		expect(i)
	}
	if got := metric(t, agent.addr, `wechat_dispatch_total{outcome="fallback"}`); got != 3 || viaWorker() != 1 {
		t.Errorf("while the broker is down: %v fallbacks, %v via the worker; want 3 and 1", got, viaWorker())
	}
	if code, body := readyz(t, agent.addr); code != 200 || !strings.Contains(body, `"amqp":{"status":"down"`) {
		t.Errorf("agent readyz while the broker is down: %d %s", code, body)
	}
	if code, _ := readyz(t, worker.addr); code != http.StatusServiceUnavailable {
		t.Errorf("worker readyz while the broker is down: %d, want 503", code)
	}

	node.Start()
	waitUntil(t, "the worker to consume again", 60*time.Second, func() bool { code, _ := readyz(t, worker.addr); return code == 200 })
	waitUntil(t, "the agent to reconnect", 60*time.Second, func() bool {
		_, body := readyz(t, agent.addr)
		return strings.Contains(body, `"amqp":{"status":"up"`)
	})
	for i := 4; i <= 6; i++ {
		expect(i)
	}
	if got := viaWorker(); got != 4 {
		t.Errorf("%v messages through the worker after the restart, want 4 (1 before, 3 after)", got)
	}
	if agent.cmd.ProcessState != nil || worker.cmd.ProcessState != nil {
		t.Error("a process exited during the restart")
	}
}

func TestWeChatWorkerConfigErrorsExitTwo(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{"agent without broker", nil, []string{"APP_WECHAT_OA_DISPATCH=amqp", "APP_REDIS_ADDR=127.0.0.1:6379"}, "amqp.url"},
		{"agent without redis", nil, []string{"APP_WECHAT_OA_DISPATCH=amqp", "APP_AMQP_URL=amqp://guest:guest@127.0.0.1:5672/"}, "redis.addr"},
		{"worker without broker", []string{"wechat-worker"}, nil, "wechat-worker needs amqp.url and redis.addr"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], tc.args...)
			cmd.Env = append(append(os.Environ(), testEnviron(t)...), append(tc.env, "GOMICRO_AS_SERVER=1")...)
			out, _ := cmd.CombinedOutput()
			if code := cmd.ProcessState.ExitCode(); code != 2 || !strings.Contains(string(out), tc.want) {
				t.Fatalf("exit %d, want 2 naming %s: %s", code, tc.want, out)
			}
		})
	}
}

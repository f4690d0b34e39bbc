package xxljob_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	xxl "github.com/xxl-job/xxl-job-executor-go"

	"gomicro/app/config"
	"gomicro/app/demo"
	"gomicro/app/xxljob"
)

const testToken = "s3cret-token"

// gate is a task that tells the test when a run started and holds it until
// released or cancelled, so tests order events without sleeping.
type gate struct {
	started chan int64 // log ids, in start order
	mu      sync.Mutex
	release map[int64]chan struct{}
}

func newGate() *gate {
	return &gate{started: make(chan int64, 100), release: map[int64]chan struct{}{}}
}

func (g *gate) ch(id int64) chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.release[id] == nil {
		g.release[id] = make(chan struct{})
	}
	return g.release[id]
}

func (g *gate) handler(ctx context.Context, req *xxl.RunReq) (string, error) {
	g.started <- req.LogID
	select {
	case <-g.ch(req.LogID):
		return fmt.Sprintf("gate %d released", req.LogID), nil
	case <-ctx.Done():
		return "", context.Cause(ctx)
	}
}

func (g *gate) open(id int64) { close(g.ch(id)) }

// awaitStart fails unless the run of log id want is the next to start.
func (g *gate) awaitStart(t testing.TB, want int64) {
	t.Helper()
	select {
	case got := <-g.started:
		if got != want {
			t.Fatalf("run %d started, want %d", got, want)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("run %d did not start", want)
	}
}

// awaitStarts fails unless the runs of log ids want are the next to start,
// in any order.
func (g *gate) awaitStarts(t testing.TB, want ...int64) {
	t.Helper()
	left := map[int64]bool{}
	for _, id := range want {
		left[id] = true
	}
	deadline := time.After(15 * time.Second)
	for len(left) > 0 {
		select {
		case got := <-g.started:
			if !left[got] {
				t.Fatalf("run %d started, want one of %v", got, want)
			}
			delete(left, got)
		case <-deadline:
			t.Fatalf("runs %v did not all start", left)
		}
	}
}

// harness is an executor under test, served on a real local port.
type harness struct {
	ex   *xxljob.Executor
	url  string
	gate *gate
	dir  string
	// unstick releases "stuck" runs, which ignore cancellation.
	unstick func()
}

type setup struct {
	admins  string // xxl-job.url
	logPath string
	opts    xxljob.Options
	retain  int
	tasks   map[string]xxljob.Handler // registered beside the built-in ones
}

// start builds, serves and starts an executor with demo_task, gate, panic
// and s.tasks registered; Stop runs at cleanup unless the test stopped it.
func start(t testing.TB, s setup) *harness {
	t.Helper()
	// The listener and server are the ones cmd/job builds.
	ln, err := xxljob.Listen(config.XxlJob{Host: "127.0.0.1", MaxConnections: 256})
	if err != nil {
		t.Fatal(err)
	}
	if s.logPath == "" {
		s.logPath = t.TempDir()
	}
	if s.opts.Beat == 0 {
		s.opts.Beat = time.Hour
	}
	if s.opts.Retry == 0 {
		s.opts.Retry = 20 * time.Millisecond
	}
	cfg := config.XxlJob{URL: s.admins, AppName: "gomicro-job-test", AccessToken: testToken,
		Address: ln.Addr().String(), LogPath: s.logPath, LogRetentionDays: s.retain}
	ex, err := xxljob.New(cfg, s.opts)
	if err != nil {
		t.Fatal(err)
	}
	g := newGate()
	stuck := make(chan struct{})
	for name, h := range map[string]xxljob.Handler{
		"demo_task": demo.Task,
		"gate":      g.handler,
		"panic": func(context.Context, *xxl.RunReq) (string, error) {
			panic("boom in task")
		},
		"library": xxljob.TaskFunc(func(_ context.Context, req *xxl.RunReq) string {
			return "library task got " + req.ExecutorParams
		}),
		"echo": func(_ context.Context, req *xxl.RunReq) (string, error) {
			return req.ExecutorParams, nil
		},
		"stuck": func(_ context.Context, req *xxl.RunReq) (string, error) {
			g.started <- req.LogID
			<-stuck
			return "late", nil
		},
	} {
		if err := ex.Register(name, h); err != nil {
			t.Fatal(err)
		}
	}
	for name, h := range s.tasks {
		if err := ex.Register(name, h); err != nil {
			t.Fatal(err)
		}
	}
	srv := ex.Server()
	served := make(chan struct{})
	go func() { defer close(served); _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close(); <-served })
	logger := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)
	if err := ex.Start(logger.WithContext(context.Background())); err != nil {
		t.Fatal(err)
	}
	var closeStuck sync.Once
	unstick := func() { closeStuck.Do(func() { close(stuck) }) }
	t.Cleanup(unstick)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = ex.Stop(ctx)
	})
	return &harness{ex: ex, url: "http://" + ln.Addr().String(), gate: g, dir: s.logPath, unstick: unstick}
}

// answer is an executor endpoint's reply, decoded as an object: decoding
// fails on the array the library answers refusals with.
type answer struct {
	Code    int64           `json:"code"`
	Msg     string          `json:"msg"`
	Content json.RawMessage `json:"content"`
}

func (h *harness) call(t testing.TB, path, token string, body any) answer {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, h.url+path, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("XXL-JOB-ACCESS-TOKEN", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: status %d", path, resp.StatusCode)
	}
	var a answer
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		t.Fatalf("%s: answer is not a {code,msg,content} object: %v", path, err)
	}
	return a
}

// runReq is a trigger as the admin sends it.
func runReq(jobID, logID int64, handler, params, strategy string) xxl.RunReq {
	return xxl.RunReq{JobID: jobID, LogID: logID, ExecutorHandler: handler, ExecutorParams: params,
		ExecutorBlockStrategy: strategy, LogDateTime: time.Now().UnixMilli(), GlueType: "BEAN"}
}

func (h *harness) trigger(t testing.TB, req xxl.RunReq) answer {
	t.Helper()
	return h.call(t, "/run", testToken, req)
}

func (h *harness) mustTrigger(t testing.TB, req xxl.RunReq) {
	t.Helper()
	if a := h.trigger(t, req); a.Code != 200 {
		t.Fatalf("run %d refused: %d %q", req.LogID, a.Code, a.Msg)
	}
}

func (h *harness) stop(t testing.TB, d time.Duration) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return h.ex.Stop(ctx)
}

func assertCallback(t testing.TB, cb javaCallback, code int, msgPart string) {
	t.Helper()
	if cb.HandleCode != code || !strings.Contains(cb.HandleMsg, msgPart) {
		t.Errorf("callback of log %d = %d %q, want %d containing %q", cb.LogID, cb.HandleCode, cb.HandleMsg, code, msgPart)
	}
}

// eventually polls cond until it holds, failing after d.
func eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s", what)
		case <-tick.C:
		}
	}
}

func (h *harness) callRaw(t testing.TB, path, body string) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("XXL-JOB-ACCESS-TOKEN", testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a answer
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		t.Fatalf("%s: answer is not an object: %v", path, err)
	}
	return a
}

func itoa(n int) string { return fmt.Sprint(n) }

// metric returns the value of an unlabelled series on /metrics.
func metric(t testing.TB, h *harness, name string) string {
	t.Helper()
	resp, err := http.Get(h.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return v
		}
	}
	t.Fatalf("/metrics has no %s", name)
	return ""
}

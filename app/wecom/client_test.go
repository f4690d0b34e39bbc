package wecom_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"gomicro/app/config"
	"gomicro/app/trace"
	"gomicro/app/wecom"
)

func textOf(r received) string {
	body, _ := r.Body["text"].(map[string]any)
	s, _ := body["content"].(string)
	return s
}

// TestPacing queues 45 messages to one robot: none is lost, order is kept
// and no 60 s window holds more than 20.
func TestPacing(t *testing.T) {
	s := newSetup(t, nil)
	const n = 45
	for i := range n {
		if err := s.client.Send(s.ctx, "DEFAULT", wecom.Text{Content: fmt.Sprintf("message %02d", i)}); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
	}
	// The last "sent" line is written after WeCom answered; wait for it too.
	waitFor(t, s.wecom, s.clock, true, func() bool { return len(s.logs.Messages(t, "wecom message sent")) >= n })
	reqs := s.wecom.requests()
	if len(reqs) != n {
		t.Fatalf("WeCom got %d messages, want %d", len(reqs), n)
	}
	for i, r := range reqs {
		if want := fmt.Sprintf("message %02d", i); textOf(r) != want {
			t.Fatalf("message %d is %q, want %q: order lost", i, textOf(r), want)
		}
		in := 0
		for _, o := range reqs[i:] {
			if o.At.Sub(r.At) <= time.Minute {
				in++
			}
		}
		if in > 20 {
			t.Fatalf("%d messages in the 60 s from %s", in, r.At)
		}
	}
	if span := reqs[n-1].At.Sub(reqs[0].At); span < 2*time.Minute {
		t.Errorf("45 messages went out within %s; pacing cannot have held", span)
	}
	if got := len(s.logs.Messages(t, "wecom message sent")); got != n {
		t.Errorf("%d 'sent' log lines, want %d", got, n)
	}
}

// TestRetries checks which answers are retried and that retries are bounded.
func TestRetries(t *testing.T) {
	tests := []struct {
		name     string
		answer   func(n int) (int, int)
		wantReqs int
		wantCode int // errcode of the final error; 0 for success
		wantErr  bool
	}{
		{"45009 then ok is retried", func(n int) (int, int) {
			if n == 1 {
				return http.StatusOK, wecom.CodeRateLimited
			}
			return http.StatusOK, 0
		}, 2, 0, false},
		{"system busy then ok is retried", func(n int) (int, int) {
			if n == 1 {
				return http.StatusOK, wecom.CodeBusy
			}
			return http.StatusOK, 0
		}, 2, 0, false},
		{"http 502 then ok is retried", func(n int) (int, int) {
			if n < 3 {
				return http.StatusBadGateway, 0
			}
			return http.StatusOK, 0
		}, 3, 0, false},
		{"93000 is not retried", func(int) (int, int) { return http.StatusOK, wecom.CodeInvalidWebhook }, 1, wecom.CodeInvalidWebhook, true},
		{"bad body errcode is not retried", func(int) (int, int) { return http.StatusOK, 40008 }, 1, 40008, true},
		{"http 404 is not retried", func(int) (int, int) { return http.StatusNotFound, 0 }, 1, 0, true},
		{"45009 forever stops after 5 attempts", func(int) (int, int) { return http.StatusOK, wecom.CodeRateLimited }, 5, wecom.CodeRateLimited, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSetup(t, nil)
			s.wecom.setAnswer(func(n int, _ received) (int, int) { return tt.answer(n) })
			done := make(chan error, 1)
			go func() { done <- s.client.SendSync(s.ctx, "DEFAULT", wecom.Text{Content: "disk full"}) }()
			err := result(t, s.wecom, s.clock, done)
			if got := s.wecom.count(); got != tt.wantReqs {
				t.Errorf("WeCom got %d requests, want %d", got, tt.wantReqs)
			}
			if (err != nil) != tt.wantErr {
				t.Fatalf("SendSync = %v, want error %v", err, tt.wantErr)
			}
			var api *wecom.APIError
			if tt.wantCode != 0 && (!errors.As(err, &api) || api.Code != tt.wantCode) {
				t.Errorf("SendSync = %v, want *APIError with errcode %d", err, tt.wantCode)
			}
			if err != nil {
				if strings.Contains(err.Error(), testKey) {
					t.Errorf("error shows the key: %v", err)
				}
				if len(s.logs.Messages(t, "wecom message not sent")) != 1 {
					t.Error("the failed message was not logged whole")
				}
			}
		})
	}
}

// TestRateLimitBackoff checks that a 45009 waits out the window before the
// retry.
func TestRateLimitBackoff(t *testing.T) {
	s := newSetup(t, nil)
	s.wecom.setAnswer(func(n int, _ received) (int, int) {
		if n == 1 {
			return http.StatusOK, wecom.CodeRateLimited
		}
		return http.StatusOK, 0
	})
	if err := s.client.Send(s.ctx, "DEFAULT", wecom.Text{Content: "x"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, s.wecom, s.clock, true, func() bool { return s.wecom.count() == 2 })
	reqs := s.wecom.requests()
	if gap := reqs[1].At.Sub(reqs[0].At); gap < time.Minute {
		t.Errorf("retried after %s, want at least a minute", gap)
	}
}

// TestNetworkErrorBounded points the client at a closed port: it retries a
// bounded number of times and never shows the key.
func TestNetworkErrorBounded(t *testing.T) {
	ctx, logs := logCtx(t)
	clock := newFakeClock()
	dead := newFakeWeCom(t, clock)
	dead.srv.Close()
	c, err := wecom.New(ctx, config.WeChat{
		RobotBaseURL:   dead.srv.URL,
		RobotTemplates: map[string]config.RobotTemplate{"DEFAULT": {Key: testKey}},
	}, wecom.Options{Clock: clock, Attempts: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	done := make(chan error, 1)
	go func() { done <- c.SendSync(ctx, "", wecom.Text{Content: "x"}) }()
	sendErr := result(t, dead, clock, done)
	if sendErr == nil || strings.Contains(sendErr.Error(), testKey) || !strings.Contains(sendErr.Error(), "key=******") {
		t.Errorf("SendSync = %v, want a network error with the key masked", sendErr)
	}
	if got := len(logs.Messages(t, "wecom send retry")); got != 2 {
		t.Errorf("%d retries logged, want 2", got)
	}
}

// TestCloseFlushes checks that Close sends what is queued, pacing included.
func TestCloseFlushes(t *testing.T) {
	s := newSetup(t, nil)
	for i := range 25 {
		if err := s.client.Send(s.ctx, "DEFAULT", wecom.Text{Content: fmt.Sprintf("m%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	closed := make(chan error, 1)
	go func() { closed <- s.client.Close(context.Background()) }()
	err := result(t, s.wecom, s.clock, closed)
	if err != nil {
		t.Errorf("Close = %v", err)
	}
	if got := s.wecom.count(); got != 25 {
		t.Errorf("WeCom got %d of 25", got)
	}
	if err := s.client.Send(s.ctx, "DEFAULT", wecom.Text{Content: "late"}); !errors.Is(err, wecom.ErrClosed) {
		t.Errorf("Send after Close = %v, want ErrClosed", err)
	}
	if got := len(s.logs.Messages(t, "wecom message not sent")); got != 1 {
		t.Errorf("%d unsent lines, want the late one", got)
	}
}

// TestCloseDeadlineLogsUnsent closes with a deadline that passes while the
// robot waits for its window: every unsent message is logged whole.
func TestCloseDeadlineLogsUnsent(t *testing.T) {
	s := newSetup(t, nil)
	for i := range 25 {
		if err := s.client.Send(s.ctx, "DEFAULT", wecom.Text{Content: fmt.Sprintf("queued message %d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	// 20 go out at once; then the worker waits for the window.
	waitFor(t, s.wecom, s.clock, false, func() bool { return s.wecom.count() == 20 && s.clock.waiting() > 0 })
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the deadline has passed already
	err := s.client.Close(ctx)
	if !errors.Is(err, wecom.ErrClosed) || !strings.Contains(err.Error(), "5 messages") {
		t.Errorf("Close = %v, want ErrClosed counting 5 messages", err)
	}
	lines := s.logs.Messages(t, "wecom message not sent")
	if len(lines) != 5 {
		t.Fatalf("%d unsent messages logged, want 5", len(lines))
	}
	for i, l := range lines {
		raw := fmt.Sprint(l["payload"])
		if want := fmt.Sprintf("queued message %d", 20+i); !strings.Contains(raw, want) {
			t.Errorf("unsent line %d does not hold %q: %s", i, want, raw)
		}
	}
	if s.wecom.count() != 20 {
		t.Errorf("WeCom got %d after the deadline", s.wecom.count())
	}
}

// TestQueueFull checks that a full queue is refused at once and logged.
func TestQueueFull(t *testing.T) {
	s := newSetup(t, func(c *config.WeChat) { c.QueueSize = 1 })
	release := make(chan struct{})
	s.wecom.mu.Lock()
	s.wecom.hold = release
	s.wecom.mu.Unlock()
	defer close(release)
	if err := s.client.Send(s.ctx, "DEFAULT", wecom.Text{Content: "first"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, s.wecom, s.clock, false, func() bool { return s.wecom.count() == 1 }) // the worker is busy
	if err := s.client.Send(s.ctx, "DEFAULT", wecom.Text{Content: "second"}); err != nil {
		t.Fatalf("second Send = %v, want queued", err)
	}
	start := time.Now()
	err := s.client.Send(s.ctx, "DEFAULT", wecom.Text{Content: "third"})
	if !errors.Is(err, wecom.ErrQueueFull) {
		t.Fatalf("third Send = %v, want ErrQueueFull", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("a full queue blocked the caller for %s", took)
	}
	lines := s.logs.Messages(t, "wecom message not sent")
	if len(lines) != 1 || !strings.Contains(fmt.Sprint(lines[0]["payload"]), "third") {
		t.Errorf("the refused message was not logged whole: %v", lines)
	}
}

// TestTraceID checks that a send carries the caller's trace id to WeCom and
// into its log line, and that a ctx without one gets one.
func TestTraceID(t *testing.T) {
	s := newSetup(t, nil)
	id := trace.NewID()
	ctx := trace.NewContext(s.ctx, id)
	if err := s.client.SendSync(ctx, "DEFAULT", wecom.Text{Content: "traced"}); err != nil {
		t.Fatal(err)
	}
	if err := s.client.SendSync(context.Background(), "ops", wecom.Text{Content: "untraced"}); err != nil {
		t.Fatal(err)
	}
	reqs := s.wecom.requests()
	if reqs[0].TraceID != id {
		t.Errorf("WeCom saw trace id %q, want %q", reqs[0].TraceID, id)
	}
	if !trace.ValidID(reqs[1].TraceID) {
		t.Errorf("a send without trace id went out without one")
	}
	lines := s.logs.Messages(t, "wecom message sent")
	if len(lines) != 2 || lines[1]["trace_id"] != reqs[1].TraceID {
		t.Errorf("sent lines %v do not carry the trace ids", lines)
	}
}

// TestDefaultRobot checks that "", "DEFAULT" and the config's "" entry all
// name the default robot.
func TestDefaultRobot(t *testing.T) {
	s := newSetup(t, func(c *config.WeChat) {
		c.RobotTemplates = map[string]config.RobotTemplate{"": {Key: testKey}}
	})
	for _, name := range []string{"", "DEFAULT"} {
		if err := s.client.SendSync(s.ctx, name, wecom.Text{Content: "to " + name}); err != nil {
			t.Errorf("SendSync(%q) = %v", name, err)
		}
	}
	if s.wecom.count() != 2 {
		t.Errorf("WeCom got %d, want 2", s.wecom.count())
	}
}

// TestSendSyncCancelled checks that a synchronous send whose caller gives
// up while queued returns the ctx error and is logged, not sent later.
func TestSendSyncCancelled(t *testing.T) {
	s := newSetup(t, nil)
	release := make(chan struct{})
	s.wecom.mu.Lock()
	s.wecom.hold = release
	s.wecom.mu.Unlock()
	if err := s.client.Send(s.ctx, "DEFAULT", wecom.Text{Content: "busy"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, s.wecom, s.clock, false, func() bool { return s.wecom.count() == 1 })
	ctx, cancel := context.WithCancel(s.ctx)
	done := make(chan error, 1)
	go func() { done <- s.client.SendSync(ctx, "DEFAULT", wecom.Text{Content: "given up"}) }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("SendSync = %v, want context.Canceled", err)
	}
	close(release)
	_ = s.client.Close(context.Background()) // drains the queue; the skip may happen before or during it
	if n := s.wecom.count(); n != 1 {
		t.Errorf("WeCom got %d messages, want only the first", n)
	}
	lines := s.logs.Messages(t, "wecom message not sent")
	if len(lines) != 1 || !strings.Contains(fmt.Sprint(lines[0]["payload"]), "given up") {
		t.Errorf("the abandoned message was not logged whole: %v", lines)
	}
}

package wecom_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"gomicro/app/config"
	"gomicro/app/trace"
	"gomicro/app/wecom"
)

func newAlerter(t *testing.T, s *setup, perMinute int) (*wecom.Alerter, zerolog.Logger) {
	t.Helper()
	a, err := wecom.NewAlerter(s.ctx, s.client,
		config.Alert{Enabled: true, Robot: "ops", Window: time.Minute, PerMinute: perMinute},
		wecom.AlertInfo{Service: "gomicro", Env: "uat", Host: "host-7"}, s.clock)
	if err != nil {
		t.Fatalf("NewAlerter: %v", err)
	}
	t.Cleanup(func() { _ = a.Close(context.Background()) })
	return a, zerolog.New(s.logs).Hook(a)
}

// TestAlertFolds logs 100 identical errors in a window: one alert goes out,
// with the count and where it came from.
func TestAlertFolds(t *testing.T) {
	s := newSetup(t, nil)
	a, log := newAlerter(t, s, 10)
	id := trace.NewID()
	ctx := trace.NewContext(context.Background(), id)
	for range 100 {
		log.Error().Ctx(ctx).Err(fmt.Errorf("dial tcp: refused")).Msg("order db down")
	}
	log.Warn().Msg("a warning is no alert")
	log.Error().Msg("wecom message not sent") // the client's own line: no alert, no loop
	waitFor(t, s.wecom, s.clock, true, func() bool { return s.wecom.count() >= 1 })
	reqs := s.wecom.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d alerts, want 1", len(reqs))
	}
	if reqs[0].Key != testKey+"-ops" {
		t.Error("alert went to the wrong robot")
	}
	got := markdownOf(reqs[0])
	for _, want := range []string{"order db down", "count: 100", "service: gomicro", "env: uat", "host: host-7", "trace_id: " + id, "ERROR"} {
		if !strings.Contains(got, want) {
			t.Errorf("alert lacks %q:\n%s", want, got)
		}
	}
	if reqs[0].TraceID != id {
		t.Errorf("alert request carries trace id %q, want %q", reqs[0].TraceID, id)
	}
	// Nothing else was pending: flushing everything adds no alert.
	s.clock.Advance(2 * time.Minute)
	if err := a.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.client.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := s.wecom.count(); n != 1 {
		t.Errorf("%d alerts after the window, want 1", n)
	}
}

// TestAlertRateLimit sends 5 distinct errors with per_minute 2: two alerts
// go out and the next one reports the three suppressed.
func TestAlertRateLimit(t *testing.T) {
	s := newSetup(t, nil)
	_, log := newAlerter(t, s, 2)
	for i := range 5 {
		log.Error().Msgf("failure %d", i)
	}
	waitFor(t, s.wecom, s.clock, true, func() bool { return s.wecom.count() >= 2 })
	if n := s.wecom.count(); n != 2 {
		t.Fatalf("%d alerts, want 2", n)
	}
	s.clock.Advance(time.Minute) // the rate limit frees up
	log.Error().Msg("later failure")
	waitFor(t, s.wecom, s.clock, true, func() bool { return s.wecom.count() >= 3 })
	got := markdownOf(s.wecom.requests()[2])
	if !strings.Contains(got, "later failure") || !strings.Contains(got, "suppressed by rate limit: 3") {
		t.Errorf("third alert:\n%s", got)
	}
}

// TestAlertCloseFlushes checks that Close sends what is pending without
// waiting for the window.
func TestAlertCloseFlushes(t *testing.T) {
	s := newSetup(t, nil)
	a, log := newAlerter(t, s, 10)
	log.Error().Msg("pending at shutdown")
	if err := a.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, s.wecom, s.clock, false, func() bool { return s.wecom.count() == 1 })
	if !strings.Contains(markdownOf(s.wecom.requests()[0]), "pending at shutdown") {
		t.Error("the pending alert was not sent")
	}
}

func TestAlertUnknownRobot(t *testing.T) {
	s := newSetup(t, nil)
	if _, err := wecom.NewAlerter(s.ctx, s.client, config.Alert{Robot: "nobody"}, wecom.AlertInfo{}, s.clock); err == nil {
		t.Error("NewAlerter accepted an unknown robot")
	}
}

// BenchmarkAlertHook measures what the hook adds to an error log line;
// compare ns/op of the two sub-benchmarks. WeCom is a local server that
// accepts at once, so the flush at the end costs one request, not retries
// with back-off; the flush must finish well within its deadline and send
// all the folded errors as one alert.
func BenchmarkAlertHook(b *testing.B) {
	var sent atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sent.Add(1)
		_, _ = io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
	}))
	defer srv.Close()
	ctx := zerolog.New(io.Discard).WithContext(context.Background())
	c, err := wecom.New(ctx, config.WeChat{
		RobotBaseURL:   srv.URL,
		RobotTemplates: map[string]config.RobotTemplate{"ops": {Key: "k"}},
	}, wecom.Options{Attempts: 1})
	if err != nil {
		b.Fatal(err)
	}
	a, err := wecom.NewAlerter(ctx, c, config.Alert{Robot: "ops", Window: time.Hour, PerMinute: 1}, wecom.AlertInfo{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	plain := zerolog.New(io.Discard)
	hooked := plain.Hook(a)
	b.Run("baseline", func(b *testing.B) {
		for b.Loop() {
			plain.Error().Str("k", "v").Msg("same error")
		}
	})
	b.Run("hooked", func(b *testing.B) {
		for b.Loop() {
			hooked.Error().Str("k", "v").Msg("same error")
		}
	})
	b.StopTimer()
	closeCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := a.Close(closeCtx); err != nil {
		b.Errorf("alerter Close: %v", err)
	}
	if err := c.Close(closeCtx); err != nil {
		b.Errorf("client Close: %v", err)
	}
	if n := sent.Load(); n != 1 {
		b.Errorf("%d alerts sent, want the folded one", n)
	}
}

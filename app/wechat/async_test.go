package wechat_test

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	xxl "github.com/xxl-job/xxl-job-executor-go"

	"gomicro/app/wechat"
)

// gate is a unit that, on the text it waits for, tells started and holds
// the chain until release closes (or its ctx ends), then replies.
type gate struct {
	on      string
	reply   string
	runs    atomic.Int32
	started chan struct{}
	release chan struct{}
}

func newGate(on, reply string) *gate {
	return &gate{on: on, reply: reply, started: make(chan struct{}, 8), release: make(chan struct{})}
}

func (g *gate) unit() wechat.Unit {
	return wechat.Unit{Name: "gate", Order: 1, Common: true, Handle: func(ctx context.Context, t *wechat.Turn) (*wechat.Reply, error) {
		if t.Message.Content != g.on {
			return nil, nil
		}
		g.runs.Add(1)
		g.started <- struct{}{}
		select {
		case <-g.release:
			return wechat.Text(g.reply), nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}}
}

func waitStarted(t *testing.T, g *gate) {
	t.Helper()
	select {
	case <-g.started:
	case <-time.After(5 * time.Second):
		t.Fatal("the unit never started")
	}
}

func TestSlowUnitAnsweredSuccessAndDeliveredLater(t *testing.T) {
	api := newFakeWeChat(t, testAppID, "app-secret")
	api.expireFirst = true // the first token is refused: 42001, refresh, retry
	g := newGate("slow", "late answer")
	const replyTimeout = 300 * time.Millisecond
	e := newEnv(t, envOptions{
		yaml:  accountYAML("") + "  reply_timeout: 300ms\n  api_base_url: " + api.srv.URL + "\n",
		units: []wechat.Unit{g.unit()},
	})
	msg := textMsg("slow", 501)
	start := time.Now()
	r := e.serve(shop.request("shop", safeMode, msg))
	elapsed := time.Since(start)
	if string(r.body) != "success" || r.status != 200 {
		t.Fatalf("slow chain answered %d %q, want success", r.status, r.body)
	}
	if elapsed < replyTimeout || elapsed > replyTimeout+250*time.Millisecond {
		t.Errorf("answered after %v, want just past reply_timeout %v", elapsed, replyTimeout)
	}
	waitStarted(t, g)
	close(g.release)
	select {
	case got := <-api.delivered:
		if got.ToUser != openID || got.MsgType != "text" || got.Text.Content != "late answer" {
			t.Errorf("customer-service message = %+v", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the late reply never reached the customer-service API")
	}
	asks, tokens := api.snapshot()
	if asks != 2 || !slices.Equal(tokens, []string{"T1", "T2"}) {
		t.Errorf("stable_token asked %d times, sends with %v; want 2 and [T1 T2] (expired token refreshed once)", asks, tokens)
	}
	waitFor(t, "the async outcome", func() bool { return e.counter("shop", "text", wechat.OutcomeAsync) == 1 })
	for _, c := range []struct {
		api, code string
		want      float64
	}{{"stable_token", "0", 2}, {"custom_send", "42001", 1}, {"custom_send", "0", 1}} {
		if got := metricValue(t, e.reg, "wechat_api_calls_total", map[string]string{"api": c.api, "errcode": c.code}); got != c.want {
			t.Errorf("wechat_api_calls_total{%s,%s} = %v, want %v", c.api, c.code, got, c.want)
		}
	}
	// WeChat got "success" and will not retry; should a retry come anyway,
	// it gets success again and the chain does not run twice.
	if r := e.serve(shop.request("shop", safeMode, msg)); string(r.body) != "success" || g.runs.Load() != 1 {
		t.Errorf("retry after the late delivery: %q, unit ran %d times", r.body, g.runs.Load())
	}
}

func TestSendAPIAndTask(t *testing.T) {
	api := newFakeWeChat(t, testAppID, "app-secret")
	e := newEnv(t, envOptions{yaml: accountYAML(`    nosecret:
      app_id: wx9
      token: t
`) + "  api_base_url: " + api.srv.URL + "\n"})
	ctx := context.Background()
	if err := e.svc.Send(ctx, "shop", "o1", wechat.News("t", "d", "http://p", "http://u")); err != nil {
		t.Fatal(err)
	}
	got := <-api.delivered
	if got.MsgType != "news" || len(got.News.Articles) != 1 || got.News.Articles[0].Title != "t" || got.News.Articles[0].URL != "http://u" {
		t.Errorf("news = %+v", got)
	}
	out, err := wechat.SendTask(e.svc)(ctx, &xxl.RunReq{ExecutorParams: `{"account":"shop","openid":"o2","text":"from a job"}`})
	if err != nil {
		t.Fatal(err)
	}
	if got := <-api.delivered; got.ToUser != "o2" || got.Text.Content != "from a job" || out == "" {
		t.Errorf("task sent %+v (%q)", got, out)
	}
	if asks, _ := api.snapshot(); asks != 1 {
		t.Errorf("stable_token asked %d times for two sends, want 1 (cached)", asks)
	}
	for _, tt := range []struct {
		app  string
		r    *wechat.Reply
		want error
	}{
		{"nope", wechat.Text("x"), wechat.ErrUnknownAccount},
		{"nosecret", wechat.Text("x"), wechat.ErrNoCustomAPI},
		{"shop", wechat.Transfer(""), wechat.ErrNotSendable},
	} {
		if err := e.svc.Send(ctx, tt.app, "o", tt.r); !errors.Is(err, tt.want) {
			t.Errorf("Send(%s, %s) = %v, want %v", tt.app, tt.r.Type, err, tt.want)
		}
	}
	if _, err := wechat.SendTask(e.svc)(ctx, &xxl.RunReq{ExecutorParams: `{"account":"shop"}`}); err == nil {
		t.Error("task without openid and text did not fail")
	}
}

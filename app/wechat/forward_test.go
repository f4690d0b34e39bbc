package wechat_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"gomicro/app/wechat"
)

// bot is a local HTTP service playing an outside bot for the forward unit.
type bot struct {
	srv      *httptest.Server
	mu       sync.Mutex
	got      []map[string]any
	traceIDs []string
	answer   func(w http.ResponseWriter, content string)
}

func newBot(t *testing.T, answer func(w http.ResponseWriter, content string)) *bot {
	b := &bot{answer: answer}
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req map[string]any
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		b.mu.Lock()
		b.got = append(b.got, req)
		b.traceIDs = append(b.traceIDs, r.Header.Get("X-Trace-Id"))
		b.mu.Unlock()
		content, _ := req["content"].(string)
		b.answer(w, content)
	}))
	t.Cleanup(b.srv.Close)
	return b
}

func forwardYAML(url, extra string) string {
	return accountYAML("      units: [forward]\n      forward_url: "+url+"\n") + extra
}

func TestForwardUnit(t *testing.T) {
	b := newBot(t, func(w http.ResponseWriter, content string) {
		switch content {
		case "empty":
			writeJSON(w, map[string]string{"reply": ""})
		case "boom":
			http.Error(w, "down", http.StatusBadGateway)
		case "junk":
			_, _ = w.Write([]byte("<html>"))
		default:
			writeJSON(w, map[string]string{"reply": "bot: " + content})
		}
	})
	e := newEnv(t, envOptions{yaml: forwardYAML(b.srv.URL, "")})
	r := e.serve(shop.request("shop", safeMode, textMsg("天气", 1)))
	if out := shop.reply(t, safeMode, r); out == nil || out.Content != "bot: 天气" {
		t.Fatalf("forwarded reply = %+v", out)
	}
	b.mu.Lock()
	req, traceID := b.got[0], b.traceIDs[0]
	b.mu.Unlock()
	raw, _ := req["raw"].(map[string]any)
	if req["account"] != "shop" || req["openid"] != openID || req["type"] != "text" || req["content"] != "天气" || raw["MsgId"] != "1" || raw["ToUserName"] != ghID {
		t.Errorf("forward request = %v", req)
	}
	if traceID == "" || traceID != r.header.Get("X-Trace-Id") {
		t.Errorf("forward call carries trace id %q, the callback's is %q", traceID, r.header.Get("X-Trace-Id"))
	}
	// Earlier units still come first: the keyword rule answers hello.
	if out := shop.reply(t, plainMode, e.serve(shop.request("shop", plainMode, textMsg("hello", 2)))); out == nil || out.Content != "world" {
		t.Errorf("hello = %+v", out)
	}
	if out := shop.reply(t, plainMode, e.serve(shop.request("shop", plainMode, textMsg("empty", 3)))); out != nil {
		t.Errorf("empty bot reply gave %+v, want success", out)
	}
	for i, text := range []string{"boom", "junk"} {
		if out := shop.reply(t, plainMode, e.serve(shop.request("shop", plainMode, textMsg(text, int64(10+i))))); out != nil {
			t.Errorf("%s: %+v, want success", text, out)
		}
	}
	if got := e.counter("shop", "text", wechat.OutcomeFailed); got != 2 {
		t.Errorf("failed = %v, want 2 (non-2xx and a body that is not JSON)", got)
	}
	if n := len(e.logs.Messages(t, "wechat chain failed; answered success")); n != 2 {
		t.Errorf("chain failures logged %d times, want 2", n)
	}
}

// TestForwardPastReplyTimeout: a bot slower than reply_timeout but within
// forward_timeout answers through the customer-service API; one slower
// than forward_timeout fails the chain.
func TestForwardPastReplyTimeout(t *testing.T) {
	api := newFakeWeChat(t, testAppID, "app-secret")
	release := make(chan struct{})
	b := newBot(t, func(w http.ResponseWriter, content string) {
		<-release
		writeJSON(w, map[string]string{"reply": "slow bot: " + content})
	})
	e := newEnv(t, envOptions{yaml: forwardYAML(b.srv.URL, "  reply_timeout: 100ms\n  forward_timeout: 10s\n  api_base_url: "+api.srv.URL+"\n")})
	if r := e.serve(shop.request("shop", plainMode, textMsg("slow", 1))); string(r.body) != "success" {
		t.Fatalf("slow bot: %q", r.body)
	}
	close(release)
	select {
	case got := <-api.delivered:
		if got.Text.Content != "slow bot: slow" {
			t.Errorf("delivered %+v", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the bot's late answer was not delivered")
	}
	waitFor(t, "async counted", func() bool { return e.counter("shop", "text", wechat.OutcomeAsync) == 1 })

	stuck := newBot(t, func(w http.ResponseWriter, _ string) { <-t.Context().Done() })
	e2 := newEnv(t, envOptions{yaml: forwardYAML(stuck.srv.URL, "  reply_timeout: 50ms\n  forward_timeout: 150ms\n  api_base_url: "+api.srv.URL+"\n")})
	if r := e2.serve(shop.request("shop", plainMode, textMsg("stuck", 2))); string(r.body) != "success" {
		t.Fatalf("stuck bot: %q", r.body)
	}
	waitFor(t, "the forward timeout to fail the chain", func() bool { return e2.counter("shop", "text", wechat.OutcomeFailed) == 1 })
}

package wechat_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gomicro/app/wechat"
)

// withQuery returns req with its query changed by edit.
func withQuery(req *http.Request, edit func(q url.Values)) *http.Request {
	q := req.URL.Query()
	edit(q)
	out := req.Clone(req.Context())
	out.URL.RawQuery = q.Encode()
	out.RequestURI = out.URL.RequestURI()
	return out
}

// signedAt is a plain-mode POST signed for a timestamp of its own.
func signedAt(p peer, ts time.Time, body string) *http.Request {
	t := strconv.FormatInt(ts.Unix(), 10)
	q := url.Values{"signature": {sha1Sorted(p.token, t, "n")}, "timestamp": {t}, "nonce": {"n"}}
	return httptest.NewRequest(http.MethodPost, "/wechat/shop?"+q.Encode(), strings.NewReader(body))
}

func TestRefusals(t *testing.T) {
	var ran atomic.Int32
	counting := wechat.Unit{Name: "counting", Order: 1, Common: true, Handle: func(context.Context, *wechat.Turn) (*wechat.Reply, error) {
		ran.Add(1)
		return nil, nil
	}}
	e := newEnv(t, envOptions{yaml: accountYAML(""), maxBody: 2048, units: []wechat.Unit{counting}})
	msg := textMsg("hello", 1)
	evil := peer{token: testToken, appID: "wx-not-this-account", key: testKey}
	tests := []struct {
		name   string
		req    *http.Request
		status int
	}{
		{"unknown account", shop.request("nope", plainMode, msg), http.StatusNotFound},
		{"wrong signature", withQuery(shop.request("shop", plainMode, msg), func(q url.Values) { q.Set("signature", strings.Repeat("a", 40)) }), http.StatusForbidden},
		{"no signature", withQuery(shop.request("shop", plainMode, msg), func(q url.Values) { q.Del("signature") }), http.StatusForbidden},
		{"wrong msg_signature", withQuery(shop.request("shop", safeMode, msg), func(q url.Values) { q.Set("msg_signature", strings.Repeat("b", 40)) }), http.StatusForbidden},
		{"appid mismatch", evil.request("shop", safeMode, msg), http.StatusForbidden},
		{"timestamp too old", signedAt(shop, time.Now().Add(-6*time.Minute), msg), http.StatusForbidden},
		{"timestamp in the future", signedAt(shop, time.Now().Add(6*time.Minute), msg), http.StatusForbidden},
		{"not XML", shop.request("shop", plainMode, `{"MsgType":"text"}`), http.StatusBadRequest},
		{"unclosed XML", shop.request("shop", plainMode, `<xml><Content>hi</xml>`), http.StatusBadRequest},
		{"DOCTYPE", shop.request("shop", plainMode, `<!DOCTYPE xml [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><Content>&e;</Content></xml>`), http.StatusBadRequest},
		{"DOCTYPE inside the sealed message", shop.request("shop", safeMode, `<!DOCTYPE x><xml><Content>hi</Content></xml>`), http.StatusBadRequest},
		{"entity declaration", shop.request("shop", plainMode, `<!ENTITY e "x"><xml/>`), http.StatusBadRequest},
		{"unknown encrypt_type", withQuery(shop.request("shop", plainMode, msg), func(q url.Values) { q.Set("encrypt_type", "rsa") }), http.StatusBadRequest},
		{"aes without Encrypt", withQuery(shop.request("shop", plainMode, msg), func(q url.Values) { q.Set("encrypt_type", "aes") }), http.StatusBadRequest},
		{"over the body limit", shop.request("shop", plainMode, textMsg(strings.Repeat("长", 1000), 2)), http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.logs.Messages(t, "wechat callback refused")
			rejected := 0.0
			for _, acc := range []string{"shop", "unknown"} {
				rejected += e.counter(acc, "unknown", wechat.OutcomeRejected)
			}
			r := e.serve(tt.req)
			if r.status != tt.status || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") || len(r.body) == 0 || len(r.body) > 100 {
				t.Fatalf("%d %q (%s), want %d in plain text", r.status, r.body, r.header.Get("Content-Type"), tt.status)
			}
			after := e.logs.Messages(t, "wechat callback refused")
			if len(after) != len(before)+1 {
				t.Fatalf("refusal logged %d times, want once", len(after)-len(before))
			}
			if line := after[len(after)-1]; line["trace_id"] != r.header.Get("X-Trace-Id") || line["trace_id"] == "" {
				t.Errorf("refusal line %v lacks the trace id %s", line, r.header.Get("X-Trace-Id"))
			}
			now := 0.0
			for _, acc := range []string{"shop", "unknown"} {
				now += e.counter(acc, "unknown", wechat.OutcomeRejected)
			}
			if now != rejected+1 {
				t.Errorf("rejected counted %v times, want once", now-rejected)
			}
		})
	}
	if ran.Load() != 0 {
		t.Errorf("a unit ran %d times on refused input", ran.Load())
	}
	if !strings.Contains(e.logs.String(), "wechat callback refused") || strings.Contains(e.logs.String(), testToken) {
		t.Error("the token appears in the log")
	}
	// The same engine still serves good messages.
	if r := shop.reply(t, plainMode, e.serve(shop.request("shop", plainMode, textMsg("x", 3)))); r != nil || ran.Load() != 1 {
		t.Errorf("good message after refusals: %+v, units ran %d", r, ran.Load())
	}
}

func TestTimestampCheckOff(t *testing.T) {
	e := newEnv(t, envOptions{yaml: accountYAML("") + "  timestamp_skew: 0s\n"})
	// timestamp_skew sits under wechat_oa; accountYAML ends inside it.
	if e.store.Current().WeChatOA.TimestampSkew != 0 {
		t.Fatal("timestamp_skew not 0")
	}
	r := e.serve(signedAt(shop, time.Now().Add(-48*time.Hour), textMsg("hello", 1)))
	if out := shop.reply(t, plainMode, r); out == nil || out.Content != "world" {
		t.Errorf("old timestamp with the check off: %+v", out)
	}
}

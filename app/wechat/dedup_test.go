package wechat_test

import (
	"net/http"
	"testing"

	"gomicro/app/redisclient/redistest"
	"gomicro/app/wechat"
)

// sendAsync serves req on e in a goroutine and hands back its response.
func sendAsync(e *env, req *http.Request) <-chan response {
	out := make(chan response, 1)
	go func() { out <- e.serve(req) }()
	return out
}

func waiting(e *env) float64 {
	return metricValue(e.t, e.reg, "wechat_retries_waiting", map[string]string{})
}

// retries drives one message to first and its retries to second (which
// may be the same instance): a retry while the chain runs waits for its
// result, a retry after it finished gets the same reply, the chain runs
// once.
func retries(t *testing.T, first, second *env, g *gate, m mode) {
	msg := textMsg(g.on, 9001)
	a := sendAsync(first, shop.request("shop", m, msg))
	waitStarted(t, g)
	b := sendAsync(second, shop.request("shop", m, msg))
	waitFor(t, "the retry to wait for the first attempt", func() bool { return waiting(second) == 1 })
	close(g.release)
	for name, ch := range map[string]<-chan response{"first": a, "concurrent retry": b} {
		if r := shop.reply(t, m, <-ch); r == nil || r.Content != g.reply {
			t.Errorf("%s got %+v, want %q", name, r, g.reply)
		}
	}
	if r := shop.reply(t, m, second.serve(shop.request("shop", m, msg))); r == nil || r.Content != g.reply {
		t.Errorf("later retry got %+v, want %q", r, g.reply)
	}
	if n := g.runs.Load(); n != 1 {
		t.Errorf("the chain ran %d times, want once", n)
	}
	dup := first.counter("shop", "text", wechat.OutcomeDuplicate)
	if first != second {
		dup += second.counter("shop", "text", wechat.OutcomeDuplicate)
	}
	if replied := first.counter("shop", "text", wechat.OutcomeReplied); replied != 1 || dup != 2 {
		t.Errorf("replied %v, duplicate %v; want 1 and 2", replied, dup)
	}
}

func TestDedupInProcess(t *testing.T) {
	for _, m := range []mode{plainMode, safeMode} {
		t.Run(string(m), func(t *testing.T) {
			g := newGate("gate", "once")
			e := newEnv(t, envOptions{yaml: accountYAML(""), units: []wechat.Unit{g.unit()}})
			retries(t, e, e, g, m)
		})
	}
}

func TestDedupOfEvents(t *testing.T) {
	e := newEnv(t, envOptions{yaml: accountYAML("")})
	ev := eventMsg("subscribe", "qrscene_7")
	for i := range 2 {
		if r := shop.reply(t, plainMode, e.serve(shop.request("shop", plainMode, ev))); r == nil || r.Content != "欢迎关注" {
			t.Fatalf("attempt %d: %+v", i, r)
		}
	}
	if e.counter("shop", "event:subscribe", wechat.OutcomeReplied) != 1 || e.counter("shop", "event:subscribe", wechat.OutcomeDuplicate) != 1 {
		t.Error("a repeated subscribe event was not deduplicated")
	}
	// Another event (another EventKey) is another message.
	if r := shop.reply(t, plainMode, e.serve(shop.request("shop", plainMode, eventMsg("subscribe", "qrscene_8")))); r == nil {
		t.Error("a different event got no welcome")
	}
}

// TestTwoInstancesShareRedis builds two engines from one config, sharing
// the real Redis: a message sent to both runs its chain once.
func TestTwoInstancesShareRedis(t *testing.T) {
	for _, m := range []mode{plainMode, safeMode} {
		t.Run(string(m), func(t *testing.T) {
			rcfg := redistest.Config(t)
			g := newGate("gate", "once across instances")
			opts := envOptions{yaml: accountYAML(""), redis: &rcfg, units: []wechat.Unit{g.unit()}}
			one, two := newEnv(t, opts), newEnv(t, opts)
			retries(t, one, two, g, m)
			keys := redistest.Client(t, rcfg).Keys(t.Context(), rcfg.KeyPrefix+"wechat:dedup:*").Val()
			if len(keys) != 1 {
				t.Errorf("dedup keys under the prefix: %v, want one", keys)
			}
		})
	}
}

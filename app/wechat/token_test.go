package wechat_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"gomicro/app/redisclient/redistest"
	"gomicro/app/wechat"
)

func TestTokenRefusalsRefreshOnce(t *testing.T) {
	for _, code := range []int{40001, 40014, 42001} {
		api := newFakeWeChat(t, testAppID, "app-secret")
		api.expireFirst, api.expiredCode = true, code
		e := newEnv(t, envOptions{yaml: accountYAML("") + "  api_base_url: " + api.srv.URL + "\n"})
		if err := e.svc.Send(context.Background(), "shop", "o", wechat.Text("x")); err != nil {
			t.Fatalf("errcode %d: %v", code, err)
		}
		if asks, tokens := api.snapshot(); asks != 2 || len(tokens) != 2 || tokens[1] != "T2" {
			t.Errorf("errcode %d: %d token asks, sends with %v; want a refresh and one retry", code, asks, tokens)
		}
	}
	// Any other errcode is the answer: no refresh, no retry.
	api := newFakeWeChat(t, testAppID, "app-secret")
	api.sendCode = 45015 // out of the 48-hour window
	e := newEnv(t, envOptions{yaml: accountYAML("") + "  api_base_url: " + api.srv.URL + "\n"})
	err := e.svc.Send(context.Background(), "shop", "o", wechat.Text("x"))
	var ae *wechat.APIError
	if !errors.As(err, &ae) || ae.Code != 45015 {
		t.Fatalf("err = %v, want APIError 45015", err)
	}
	if asks, tokens := api.snapshot(); asks != 1 || len(tokens) != 1 {
		t.Errorf("%d token asks, %d sends; want 1 and 1", asks, len(tokens))
	}
	// A wrong secret is stable_token's errcode, never a panic or a send.
	bad := newFakeWeChat(t, testAppID, "another-secret")
	e = newEnv(t, envOptions{yaml: accountYAML("") + "  api_base_url: " + bad.srv.URL + "\n"})
	if err := e.svc.Send(context.Background(), "shop", "o", wechat.Text("x")); !errors.As(err, &ae) || ae.Code != 40013 {
		t.Errorf("wrong secret: %v, want APIError 40013", err)
	}
}

// TestOneTokenRefreshAcrossInstances sends from two instances sharing
// Redis at once: stable_token is asked once.
func TestOneTokenRefreshAcrossInstances(t *testing.T) {
	rcfg := redistest.Config(t)
	api := newFakeWeChat(t, testAppID, "app-secret")
	api.hold = make(chan struct{})
	opts := envOptions{yaml: accountYAML("") + "  api_base_url: " + api.srv.URL + "\n", redis: &rcfg}
	one, two := newEnv(t, opts), newEnv(t, opts)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		e := []*env{one, two}[i%2]
		wg.Go(func() { errs <- e.svc.Send(context.Background(), "shop", "o", wechat.Text("x")) })
	}
	rc := redistest.Client(t, rcfg)
	lock := rcfg.KeyPrefix + "wechat:token:" + testAppID + ":lock"
	waitFor(t, "a refresh holding the lock", func() bool {
		asks, _ := api.snapshot()
		return asks == 1 && rc.Exists(t.Context(), lock).Val() == 1
	})
	close(api.hold)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if asks, tokens := api.snapshot(); asks != 1 || len(tokens) != 8 {
		t.Errorf("%d stable_token asks for 8 sends from 2 instances (%d sends), want 1", asks, len(tokens))
	}
	if ttl := rc.PTTL(t.Context(), rcfg.KeyPrefix+"wechat:token:"+testAppID).Val(); ttl <= 0 {
		t.Errorf("cached token has no lifetime: %v", ttl)
	}
}

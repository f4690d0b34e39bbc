package redisclient_test

import (
	"net"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"gomicro/app/config"
	"gomicro/app/redisclient"
	"gomicro/app/redisclient/redistest"
)

func TestCheckFollowsTheServer(t *testing.T) {
	ctx := zerolog.Nop().WithContext(t.Context())
	cfg := redistest.Config(t)
	rc := redisclient.Open(ctx, cfg)
	defer rc.Close()
	check := redisclient.Check(rc, cfg.Addr)
	if !check.Required || check.Name != "redis" {
		t.Fatalf("check %+v: want the required check named redis", check)
	}
	if detail, err := check.Probe(ctx); err != nil || detail != cfg.Addr {
		t.Fatalf("probe = %q, %v; want %q, nil", detail, err, cfg.Addr)
	}
	if err := rc.Set(ctx, cfg.KeyPrefix+"k", "v", time.Minute).Err(); err != nil {
		t.Fatalf("set through the opened client: %v", err)
	}
}

func TestOpenDoesNotWaitForAnAbsentServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	ctx := zerolog.Nop().WithContext(t.Context())
	start := time.Now()
	rc := redisclient.Open(ctx, config.Redis{Addr: addr, DialTimeout: 200 * time.Millisecond})
	defer rc.Close()
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Fatalf("Open took %s with Redis absent", elapsed)
	}
	if _, err := redisclient.Check(rc, addr).Probe(ctx); err == nil {
		t.Fatal("probe of an absent server reported up")
	}
}

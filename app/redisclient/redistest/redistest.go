// Package redistest gives tests the real Redis server with a key prefix of
// their own, removed when the test ends.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"gomicro/app/config"
)

// Addr returns the address of the test Redis: TEST_REDIS_ADDR, else
// 127.0.0.1:6379. It skips t when nothing answers there, or fails it when
// CI=true, where Redis is required.
func Addr(t testing.TB) string {
	t.Helper()
	addr := os.Getenv("TEST_REDIS_ADDR")
	if addr == "" {
		addr = "127.0.0.1:6379"
	}
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("redis at %s is required when CI=true: %v", addr, err)
		}
		t.Skipf("no redis at %s: %v", addr, err)
	}
	_ = conn.Close()
	return addr
}

// Config returns a redis section for the test Redis with a fresh key
// prefix; every key under it is deleted when t ends.
func Config(t testing.TB) config.Redis {
	t.Helper()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	cfg := config.Redis{Addr: Addr(t), KeyPrefix: "gomicro-test:" + hex.EncodeToString(b) + ":", DialTimeout: 2 * time.Second}
	t.Cleanup(func() { cleanup(t, cfg) })
	return cfg
}

// Client returns a plain client on cfg's server, closed when t ends.
func Client(t testing.TB, cfg config.Redis) *redis.Client {
	t.Helper()
	rc := redis.NewClient(&redis.Options{Addr: cfg.Addr, DB: cfg.DB, DisableIdentity: true})
	t.Cleanup(func() { _ = rc.Close() })
	return rc
}

func cleanup(t testing.TB, cfg config.Redis) {
	rc := redis.NewClient(&redis.Options{Addr: cfg.Addr, DB: cfg.DB, DisableIdentity: true})
	defer rc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	iter := rc.Scan(ctx, 0, cfg.KeyPrefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		rc.Del(ctx, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Logf("redis cleanup of %s*: %v", cfg.KeyPrefix, err)
	}
}

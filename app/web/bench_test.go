package web

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humagin"
	"github.com/gin-gonic/gin"

	"gomicro/app/config"
	"gomicro/app/demo"
	"gomicro/app/logging"
	"gomicro/app/module"
)

func benchStore(b *testing.B) *config.Store {
	b.Helper()
	cfg := &config.Config{Env: "test"}
	cfg.App.Timezone = "Asia/Shanghai"
	cfg.Server.MaxBodyBytes = 1 << 20
	return config.NewStore(cfg, config.Meta{Source: config.SourceLocal})
}

// bareEngine serves the very same hello operation on gin.New() with no
// middleware at all: the baseline.
func bareEngine(store *config.Store) http.Handler {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	cfg := huma.DefaultConfig("bare", "0")
	cfg.CreateHooks = nil
	demo.RegisterHello(humagin.New(r, cfg), store)
	return r
}

// fullEngine is the engine the binary serves, logging JSON lines to a dated
// file through the production logger.
func fullEngine(b *testing.B, store *config.Store) (http.Handler, func()) {
	b.Helper()
	cfg := &config.Config{Env: "prod", Log: config.Log{Level: "info", Dir: b.TempDir(), BufferSize: 100000}}
	cfg.App.Timezone = "Asia/Shanghai"
	logs, err := logging.New(cfg, logging.Options{Bin: "server"})
	if err != nil {
		b.Fatal(err)
	}
	hello := module.Spec{Name: "hello", API: func(api huma.API) { demo.RegisterHello(api, store) }}
	h, err := NewEngine(Deps{Store: store, Logger: logs.Logger(), Registry: NewRegistry(), Modules: []module.Spec{hello}})
	if err != nil {
		b.Fatal(err)
	}
	return h, func() { _ = logs.Close() }
}

func serveLoop(h http.Handler) func(b *testing.B) {
	return func(b *testing.B) {
		req := httptest.NewRequest(http.MethodGet, "/demo/hello", nil)
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d", rec.Code)
			}
		}
	}
}

// BenchmarkHello serves /demo/hello on bare Gin and on the full stack.
func BenchmarkHello(b *testing.B) {
	store := benchStore(b)
	full, closeLogs := fullEngine(b, store)
	defer closeLogs()
	b.Run("bare", serveLoop(bareEngine(store)))
	b.Run("full", serveLoop(full))
}

// BenchmarkHelloOverhead interleaves bare and full requests in one loop, so
// both see the same machine state, and reports what the middleware stack
// adds per request: extra-ns/op and extra-allocs/op (budget: 2.5 µs and 12
// allocs), and full/bare as time-ratio.
func BenchmarkHelloOverhead(b *testing.B) {
	store := benchStore(b)
	full, closeLogs := fullEngine(b, store)
	defer closeLogs()
	bare := bareEngine(store)
	req := httptest.NewRequest(http.MethodGet, "/demo/hello", nil)
	serve := func(h http.Handler) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
	var bareNs, fullNs time.Duration
	for b.Loop() {
		t0 := time.Now()
		serve(bare)
		t1 := time.Now()
		serve(full)
		bareNs += t1.Sub(t0)
		fullNs += time.Since(t1)
	}
	n := float64(b.N)
	b.ReportMetric(float64(fullNs-bareNs)/n, "extra-ns/op")
	b.ReportMetric(float64(fullNs)/float64(bareNs), "time-ratio")
	b.ReportMetric(testing.AllocsPerRun(1000, func() { serve(full) })-testing.AllocsPerRun(1000, func() { serve(bare) }), "extra-allocs/op")
}

package demo_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"gomicro/app/config"
	"gomicro/app/db/dbtest"
)

// BenchmarkGetItem measures GET /api/v1/demo/items/{id} through the whole
// engine (middleware, huma, service, store, driver) on each database, with
// GET /demo/hello on the same engine as the baseline, run first; each
// database's result is reported as x-hello, its ratio to that baseline: the
// cost the data layer adds to a request. Run with -v for a summary line.
func BenchmarkGetItem(b *testing.B) {
	nsPerOp := map[string]float64{}
	// target "" means the item the sub-benchmark creates.
	run := func(name string, cfg func(testing.TB) config.Database, target string) {
		b.Run(name, func(b *testing.B) {
			h := newEngine(b, cfg(b))
			created := do(b, h, http.MethodPost, "/api/v1/demo/items", `{"name":"bench","price_cents":100,"description":"benchmark item"}`)
			if created.status != http.StatusCreated {
				b.Fatalf("create: %d %s", created.status, created.body)
			}
			if target == "" {
				target = created.header.Get("Location")
			}
			req := httptest.NewRequest(http.MethodGet, target, nil)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
			nsPerOp[name] = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			if base := nsPerOp["hello"]; name != "hello" && base > 0 {
				b.ReportMetric(nsPerOp[name]/base, "x-hello")
			}
		})
	}
	run("hello", dbtest.SQLite, "/demo/hello")
	run("sqlite", dbtest.SQLite, "")
	run("mysql", dbtest.MySQL, "")
	base := nsPerOp["hello"]
	for _, name := range []string{"sqlite", "mysql"} {
		if ns, ok := nsPerOp[name]; ok && base > 0 {
			b.Logf("%s: %.0f ns/op = %.1fx /demo/hello (%.0f ns/op)", name, ns, ns/base, base)
		}
	}
}

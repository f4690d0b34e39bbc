package wechat_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/prometheus/client_golang/prometheus"

	"gomicro/app/config"
	"gomicro/app/config/configtest"
	"gomicro/app/demo"
	"gomicro/app/logging"
	"gomicro/app/module"
	"gomicro/app/web"
	"gomicro/app/wechat"
)

// benchEngine is one engine serving /demo/hello and the wechat module,
// logging JSON lines to a dated file through the production logger, as
// the binary does.
func benchEngine(b *testing.B) http.Handler {
	b.Helper()
	_, cfg := configtest.Load(b, "log:\n  dir: \"\"\n"+accountYAML(""))
	store := config.NewStore(cfg, config.Meta{Source: config.SourceLocal})
	lcfg := &config.Config{Env: "prod", App: cfg.App, Log: config.Log{Level: "info", Dir: b.TempDir(), BufferSize: 100000}}
	logs, err := logging.New(lcfg, logging.Options{Bin: "server"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = logs.Close() })
	reg := prometheus.NewRegistry()
	oa := wechat.New(wechat.Deps{Store: store, Metrics: reg})
	hello := module.Spec{Name: "hello", API: func(api huma.API) { demo.RegisterHello(api, store) }}
	h, err := web.NewEngine(web.Deps{Store: store, Logger: logs.Logger(), Registry: reg, Modules: []module.Spec{hello, oa.Spec()}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = oa.Stop(context.Background()) })
	return h
}

// BenchmarkCallback serves a plain and a safe-mode text message, each a
// new MsgId answered by a keyword rule, interleaved with /demo/hello on the
// same engine, and reports each one's time and allocations and the ratios
// plain/hello (target at most 4) and safe/hello (at most 6). Building and
// sealing the requests is outside the timed part.
func BenchmarkCallback(b *testing.B) {
	h := benchEngine(b)
	plainBody := strings.Replace(textMsg("hello", 0), "<MsgId>0</MsgId>", "<MsgId>%d</MsgId>", 1)
	var id int64
	build := func(m mode) *http.Request {
		id++
		return shop.request("shop", m, strings.Replace(plainBody, "%d", strconv.FormatInt(id, 10), 1))
	}
	hello := func() *http.Request { return httptest.NewRequest(http.MethodGet, "/demo/hello", nil) }
	serve := func(req *http.Request, want string) time.Duration {
		rec := httptest.NewRecorder()
		t0 := time.Now()
		h.ServeHTTP(rec, req)
		d := time.Since(t0)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), want) {
			b.Fatalf("%s: %d %s", req.URL.Path, rec.Code, rec.Body)
		}
		return d
	}
	var helloNs, plainNs, safeNs time.Duration
	for b.Loop() {
		helloNs += serve(hello(), `"msg"`)
		plainNs += serve(build(plainMode), "world")
		safeNs += serve(build(safeMode), "<Encrypt>")
	}
	n := float64(b.N)
	b.ReportMetric(float64(helloNs)/n, "hello-ns/op")
	b.ReportMetric(float64(plainNs)/n, "plain-ns/op")
	b.ReportMetric(float64(safeNs)/n, "safe-ns/op")
	b.ReportMetric(float64(plainNs)/float64(helloNs), "plain/hello")
	b.ReportMetric(float64(safeNs)/float64(helloNs), "safe/hello")
	allocs := func(req func() *http.Request, want string) float64 {
		return testing.AllocsPerRun(200, func() { serve(req(), want) }) - testing.AllocsPerRun(200, func() { _ = req(); _ = httptest.NewRecorder() })
	}
	b.ReportMetric(allocs(hello, `"msg"`), "hello-allocs/op")
	b.ReportMetric(allocs(func() *http.Request { return build(plainMode) }, "world"), "plain-allocs/op")
	b.ReportMetric(allocs(func() *http.Request { return build(safeMode) }, "<Encrypt>"), "safe-allocs/op")
}

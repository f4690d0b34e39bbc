package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/danielgtaylor/huma/v2"
	"github.com/rs/zerolog"

	"gomicro/app/config"
	"gomicro/app/config/configtest"
	"gomicro/app/demo"
	"gomicro/app/errs"
	"gomicro/app/logging/logtest"
	"gomicro/app/module"
	"gomicro/app/web"
)

// testModule is a small business module registered through the same public
// Registrar interface real modules use.
type testModule struct{}

type echoInput struct {
	Body struct {
		Name  string `json:"name" minLength:"1" maxLength:"8"`
		Count int    `json:"count" minimum:"0"`
	}
}

type echoOutput struct {
	Body struct {
		Name string `json:"name"`
	}
}

var errGone = errs.E(errs.NotFound, "thing not found")

func (testModule) Register(api huma.API) {
	huma.Post(api, "/t/echo", func(ctx context.Context, in *echoInput) (*echoOutput, error) {
		out := &echoOutput{}
		out.Body.Name = in.Body.Name
		return out, nil
	})
	huma.Get(api, "/t/panic", func(ctx context.Context, _ *struct{}) (*echoOutput, error) {
		panic("secret internal detail")
	})
	huma.Get(api, "/t/internal", func(ctx context.Context, _ *struct{}) (*echoOutput, error) {
		return nil, errors.New("dial tcp 10.0.0.9:3306: secret internal detail")
	})
	huma.Get(api, "/t/huma500", func(ctx context.Context, _ *struct{}) (*echoOutput, error) {
		return nil, huma.Error500InternalServerError("save thing", errors.New("write /data/x: secret internal detail"))
	})
	huma.Get(api, "/t/gone", func(ctx context.Context, _ *struct{}) (*echoOutput, error) {
		return nil, fmt.Errorf("load thing 7: %w", errGone)
	})
	huma.Get(api, "/t/huma404", func(ctx context.Context, _ *struct{}) (*echoOutput, error) {
		return nil, huma.Error404NotFound("no such thing")
	})
	huma.Get(api, "/t/custom", func(ctx context.Context, _ *struct{}) (*echoOutput, error) {
		return nil, errs.E("quota_exceeded", "daily quota used up")
	})
	huma.Get(api, "/t/log", func(ctx context.Context, _ *struct{}) (*echoOutput, error) {
		zerolog.Ctx(ctx).Info().Msg("from handler")
		return &echoOutput{}, nil
	})
}

type opsModule struct{}

func (opsModule) Register(api huma.API) {
	huma.Register(api, huma.Operation{OperationID: "ops-ping", Method: http.MethodGet, Path: "/ops/ping"},
		func(ctx context.Context, _ *struct{}) (*echoOutput, error) { return &echoOutput{}, nil })
}

type env struct {
	h    http.Handler
	logs *logtest.Buffer
}

func newEnv(t *testing.T, yaml string, checks ...module.Check) env {
	t.Helper()
	_, cfg := configtest.Load(t, yaml)
	logs := &logtest.Buffer{}
	store := config.NewStore(cfg, config.Meta{Source: config.SourceLocal})
	h, err := web.NewEngine(web.Deps{
		Store:    store,
		Logger:   zerolog.New(logs),
		Registry: web.NewRegistry(),
		Checks:   checks,
		Modules: []module.Spec{
			{Name: "test", API: testModule{}.Register, Ops: opsModule{}.Register},
			{Name: "hello", API: func(api huma.API) { demo.RegisterHello(api, store) }},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return env{h: h, logs: logs}
}

func (e env) do(t *testing.T, method, target string, body io.Reader, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, body)
	for k, v := range hdr {
		if k == "RemoteAddr" {
			req.RemoteAddr = v
			continue
		}
		req.Header.Set(k, v)
	}
	if body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec
}

var hex32 = regexp.MustCompile(`^[0-9a-f]{32}$`)

func TestTraceID(t *testing.T) {
	e := newEnv(t, "{}\n")
	tests := []struct {
		name   string
		hdr    map[string]string
		want   string // exact id expected, or "" for a fresh 32-hex one
		notOld string // an id that must not be echoed
	}{
		{name: "generated when absent"},
		{name: "echoed when valid", hdr: map[string]string{"X-Trace-Id": "order-42.a_b"}, want: "order-42.a_b"},
		{name: "X-Request-ID accepted", hdr: map[string]string{"X-Request-ID": "req-1"}, want: "req-1"},
		{name: "X-Trace-Id preferred", hdr: map[string]string{"X-Trace-Id": "t1", "X-Request-ID": "r1"}, want: "t1"},
		{name: "replaced when invalid", hdr: map[string]string{"X-Trace-Id": "bad id<script>"}, notOld: "bad id<script>"},
		{name: "replaced when too long", hdr: map[string]string{"X-Trace-Id": strings.Repeat("a", 65)}, notOld: strings.Repeat("a", 65)},
		{name: "from traceparent", hdr: map[string]string{"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}, want: "4bf92f3577b34da6a3ce929d0e0e4736"},
		{name: "invalid id falls to traceparent", hdr: map[string]string{"X-Trace-Id": "a b", "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}, want: "4bf92f3577b34da6a3ce929d0e0e4736"},
		{name: "bad traceparent ignored", hdr: map[string]string{"traceparent": "00-zz-00f067aa0ba902b7-01"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := e.do(t, http.MethodGet, "/t/log", nil, tt.hdr)
			id := rec.Header().Get("X-Trace-Id")
			switch {
			case tt.want != "" && id != tt.want:
				t.Fatalf("X-Trace-Id = %q, want %q", id, tt.want)
			case tt.want == "" && !hex32.MatchString(id):
				t.Fatalf("X-Trace-Id = %q, want fresh 32-hex", id)
			case tt.notOld != "" && id == tt.notOld:
				t.Fatal("invalid id echoed")
			}
			var access, handler bool
			for _, l := range e.logs.Lines(t) {
				if l["trace_id"] != id {
					continue
				}
				access = access || (l["message"] == "access" && l["route"] == "/t/log" && l["method"] == "GET" && l["status"] == float64(200) && l["client_ip"] != nil && l["latency_ms"] != nil && l["bytes"] != nil)
				handler = handler || l["message"] == "from handler"
			}
			if !access || !handler {
				t.Fatalf("access line %v / handler line %v with trace_id %s missing", access, handler, id)
			}
		})
	}
}

func decodeError(t *testing.T, rec *httptest.ResponseRecorder) web.ErrorBody {
	t.Helper()
	var b web.ErrorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil {
		t.Fatalf("error body not JSON: %q", rec.Body.String())
	}
	if b.TraceID == "" || b.TraceID != rec.Header().Get("X-Trace-Id") {
		t.Fatalf("error trace_id %q vs header %q", b.TraceID, rec.Header().Get("X-Trace-Id"))
	}
	if b.Status != rec.Code || b.Code == "" || b.Message == "" {
		t.Fatalf("incomplete error body %+v for status %d", b, rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("content type %q", ct)
	}
	return b
}

func TestErrorModel(t *testing.T) {
	e := newEnv(t, "server: {max_body_bytes: 1024}\n")
	big := `{"name":"` + strings.Repeat("x", 2000) + `"}`
	tests := []struct {
		name   string
		method string
		path   string
		body   string
		status int
		code   errs.Code
	}{
		{"404 unknown route", http.MethodGet, "/nope", "", 404, errs.NotFound},
		{"405 wrong method", http.MethodDelete, "/healthz", "", 405, "method_not_allowed"},
		{"413 oversize body", http.MethodPost, "/t/echo", big, 413, errs.TooLarge},
		{"400 malformed json", http.MethodPost, "/t/echo", `{"name":`, 400, errs.BadRequest},
		{"422 invalid input", http.MethodPost, "/t/echo", `{"name":"","count":-1}`, 422, errs.Invalid},
		{"415 wrong content type", http.MethodPost, "/t/echo", `name=x`, 415, errs.Unsupported},
		{"500 panic", http.MethodGet, "/t/panic", "", 500, errs.Internal},
		{"500 internal error", http.MethodGet, "/t/internal", "", 500, errs.Internal},
		{"404 from module sentinel", http.MethodGet, "/t/gone", "", 404, errs.NotFound},
		{"404 from huma helper", http.MethodGet, "/t/huma404", "", 404, errs.NotFound},
		{"module code without a status", http.MethodGet, "/t/custom", "", 400, "quota_exceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			var hdr map[string]string
			if tt.status == 415 {
				hdr = map[string]string{"Content-Type": "text/plain"}
			}
			rec := e.do(t, tt.method, tt.path, body, hdr)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			b := decodeError(t, rec)
			if b.Code != tt.code {
				t.Fatalf("code %q, want %q", b.Code, tt.code)
			}
			if strings.Contains(rec.Body.String(), "secret internal detail") || strings.Contains(rec.Body.String(), "10.0.0.9") {
				t.Fatalf("internal text leaked: %s", rec.Body)
			}
			if tt.status == 422 && len(b.Errors) != 2 {
				t.Fatalf("want both offending fields listed, got %+v", b.Errors)
			}
		})
	}
}

func TestPanicLoggedOnceWithStackAndTraceID(t *testing.T) {
	e := newEnv(t, "{}\n")
	rec := e.do(t, http.MethodGet, "/t/panic", nil, map[string]string{"X-Trace-Id": "panic-1"})
	if rec.Code != 500 || rec.Header().Get("X-Trace-Id") != "panic-1" {
		t.Fatalf("status %d id %q", rec.Code, rec.Header().Get("X-Trace-Id"))
	}
	var panics, access int
	for _, l := range e.logs.Lines(t) {
		if l["message"] == "panic recovered" {
			panics++
			if l["trace_id"] != "panic-1" || !strings.Contains(fmt.Sprint(l["stack"]), "goroutine") || l["panic"] != "secret internal detail" {
				t.Fatalf("panic line incomplete: %v", l)
			}
		}
		if l["message"] == "access" && l["trace_id"] == "panic-1" && l["status"] == float64(500) {
			access++
		}
	}
	if panics != 1 || access != 1 {
		t.Fatalf("panic logged %d times, access %d times", panics, access)
	}
}

func TestBodyLimitIsConfigurable(t *testing.T) {
	e := newEnv(t, "server: {max_body_bytes: 3145728}\n") // 3 MiB, above huma's 1 MiB default
	body := `{"name":"ok","count":1` + strings.Repeat(" ", 2<<20) + `}`
	rec := e.do(t, http.MethodPost, "/t/echo", strings.NewReader(body), nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("2 MiB body under a 3 MiB limit: %d %s", rec.Code, rec.Body.String()[:min(200, rec.Body.Len())])
	}
}

func TestHealthAndReadiness(t *testing.T) {
	down := errors.New("connection refused")
	e := newEnv(t, "{}\n",
		module.Check{Name: "database", Required: true, Probe: func(context.Context) (string, error) { return "sqlite", nil }},
		module.Check{Name: "nacos", Required: false, Probe: func(context.Context) (string, error) { return "snapshot", down }},
	)
	if rec := e.do(t, http.MethodGet, "/healthz", nil, nil); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"ok"`) {
		t.Fatalf("healthz %d %s", rec.Code, rec.Body)
	}
	rec := e.do(t, http.MethodGet, "/readyz", nil, nil)
	var rb web.ReadyBody
	if err := json.Unmarshal(rec.Body.Bytes(), &rb); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(rec.Body.String(), "connection refused") {
		t.Fatalf("probe error text sent to the client: %s", rec.Body)
	}
	if rec.Code != 200 || rb.Status != "ready" || rb.Components["database"].Status != "up" || rb.Components["nacos"].Status != "down" || rb.Components["nacos"].Detail != "snapshot" {
		t.Fatalf("optional down must not fail readiness: %d %+v", rec.Code, rb)
	}

	e = newEnv(t, "{}\n", module.Check{Name: "database", Required: true, Probe: func(context.Context) (string, error) { return "", down }})
	rec = e.do(t, http.MethodGet, "/readyz", nil, nil)
	if rec.Code != 503 || !strings.Contains(rec.Body.String(), "not_ready") {
		t.Fatalf("required down: %d %s", rec.Code, rec.Body)
	}
}

func TestMetrics(t *testing.T) {
	e := newEnv(t, "{}\n")
	e.do(t, http.MethodGet, "/demo/hello", nil, nil)
	e.do(t, http.MethodGet, "/nope", nil, nil)
	e.do(t, "FROBNICATE", "/nope", nil, nil)
	rec := e.do(t, http.MethodGet, "/metrics", nil, nil)
	body := rec.Body.String()
	if strings.Contains(body, "FROBNICATE") {
		t.Error("a client-chosen method became a metric label")
	}
	for _, want := range []string{
		`http_requests_total{method="GET",route="/demo/hello",status="200"} 1`,
		`http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`http_requests_total{method="other",route="unmatched",status="404"} 1`,
		`http_request_duration_seconds_bucket{method="GET",route="/demo/hello",status="200",le="0.0005"}`,
		"go_goroutines",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestHello(t *testing.T) {
	e := newEnv(t, "app: {timezone: Asia/Shanghai}\n")
	for _, path := range []string{"/demo/hello", "/demo/hell/world"} {
		rec := e.do(t, http.MethodGet, path, nil, nil)
		var b demo.HelloBody
		if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil || rec.Code != 200 {
			t.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
		}
		if b.Msg == "" || b.Host == "" || !regexp.MustCompile(`^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$`).MatchString(b.Time) {
			t.Fatalf("%s: %+v", path, b)
		}
	}
}

func TestOpsAuth(t *testing.T) {
	withToken := newEnv(t, "server: {admin_token: s3cret-token}\n")
	noToken := newEnv(t, "{}\n")
	behindProxy := newEnv(t, "server: {trusted_proxies: [10.0.0.0/8, 127.0.0.1/32]}\n")
	tests := []struct {
		name   string
		e      env
		hdr    map[string]string
		status int
		client string // client_ip the access log must show, when set
	}{
		{name: "missing token", e: withToken, status: 401},
		{name: "wrong token", e: withToken, hdr: map[string]string{"Authorization": "Bearer nope"}, status: 401},
		{name: "wrong scheme", e: withToken, hdr: map[string]string{"Authorization": "Basic s3cret-token"}, status: 401},
		{name: "scheme only", e: withToken, hdr: map[string]string{"Authorization": "Bearer "}, status: 401},
		{name: "scheme glued to token", e: withToken, hdr: map[string]string{"Authorization": "Bearers3cret-token"}, status: 401},
		{name: "token with a tail", e: withToken, hdr: map[string]string{"Authorization": "Bearer s3cret-token x"}, status: 401},
		{name: "right token", e: withToken, hdr: map[string]string{"Authorization": "Bearer s3cret-token"}, status: 200},
		{name: "scheme in lower case", e: withToken, hdr: map[string]string{"Authorization": "bearer s3cret-token"}, status: 200},
		{name: "scheme in upper case", e: withToken, hdr: map[string]string{"Authorization": "BEARER s3cret-token"}, status: 200},
		{name: "surrounding whitespace", e: withToken, hdr: map[string]string{"Authorization": " \tBearer   s3cret-token \t"}, status: 200},
		{name: "no token configured, loopback", e: noToken, hdr: map[string]string{"RemoteAddr": "127.0.0.1:5000"}, status: 200},
		{name: "no token configured, ipv6 loopback", e: noToken, hdr: map[string]string{"RemoteAddr": "[::1]:5000"}, status: 200},
		{name: "no token configured, remote", e: noToken, hdr: map[string]string{"RemoteAddr": "10.1.2.3:5000"}, status: 403},
		{name: "untrusted X-Forwarded-For ignored", e: noToken, hdr: map[string]string{"RemoteAddr": "127.0.0.1:5000", "X-Forwarded-For": "8.8.8.8"}, status: 200, client: "127.0.0.1"},
		{name: "remote client through a trusted proxy", e: behindProxy, hdr: map[string]string{"RemoteAddr": "10.0.0.5:5000", "X-Forwarded-For": "8.8.8.8"}, status: 403, client: "8.8.8.8"},
		{name: "remote client through a same-host proxy", e: behindProxy, hdr: map[string]string{"RemoteAddr": "127.0.0.1:5000", "X-Forwarded-For": "8.8.8.8"}, status: 403, client: "8.8.8.8"},
		{name: "same-host proxy, no forwarded client", e: behindProxy, hdr: map[string]string{"RemoteAddr": "127.0.0.1:5000"}, status: 200, client: "127.0.0.1"},
		{name: "loopback client through a trusted proxy", e: behindProxy, hdr: map[string]string{"RemoteAddr": "10.0.0.5:5000", "X-Forwarded-For": "127.0.0.1"}, status: 200, client: "127.0.0.1"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := fmt.Sprintf("ops-%d", i)
			hdr := map[string]string{"X-Trace-Id": id}
			maps.Copy(hdr, tt.hdr)
			rec := tt.e.do(t, http.MethodGet, "/ops/ping", nil, hdr)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if tt.status != 200 {
				decodeError(t, rec)
			}
			if strings.Contains(rec.Body.String(), "s3cret-token") {
				t.Fatal("token echoed")
			}
			if tt.client == "" {
				return
			}
			var logged []any
			for _, l := range tt.e.logs.Messages(t, "access") {
				if l["trace_id"] == id {
					logged = append(logged, l["client_ip"])
				}
			}
			if len(logged) != 1 || logged[0] != tt.client {
				t.Errorf("access log client_ip %v, want [%s]", logged, tt.client)
			}
		})
	}
}

func TestOpenAPIListsRoutes(t *testing.T) {
	e := newEnv(t, "{}\n")
	rec := e.do(t, http.MethodGet, "/openapi.json", nil, nil)
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}
	for _, p := range []string{"/healthz", "/readyz", "/metrics", "/demo/hello", "/ops/ping"} {
		if doc.Paths[p]["get"] == nil {
			t.Errorf("%s missing from OpenAPI", p)
		}
	}
	if sec := doc.Paths["/ops/ping"]["get"]["security"]; sec == nil {
		t.Error("ops endpoint does not declare its auth")
	}
	if rec := e.do(t, http.MethodGet, "/docs", nil, nil); rec.Code != 200 {
		t.Errorf("/docs %d", rec.Code)
	}
}

// The access line names the peer, or what a trusted proxy says it forwarded.
func TestAccessLineClientIP(t *testing.T) {
	for _, tt := range []struct{ yaml, want string }{
		{"{}\n", "10.1.2.3"},
		{"server:\n  trusted_proxies: [\"10.0.0.0/8\"]\n", "6.6.6.6"},
	} {
		e := newEnv(t, tt.yaml)
		e.do(t, http.MethodGet, "/healthz", nil, map[string]string{"RemoteAddr": "[::ffff:10.1.2.3]:4000", "X-Forwarded-For": "6.6.6.6"})
		lines := e.logs.Messages(t, "access")
		if len(lines) != 1 || lines[0]["client_ip"] != tt.want {
			t.Errorf("%q: access lines %v, want client_ip %s", tt.yaml, lines, tt.want)
		}
	}
}

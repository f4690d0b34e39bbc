package nacos_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"gomicro/app/config"
	"gomicro/app/module"
	"gomicro/app/nacos"
	"gomicro/app/web"
)

// newEngine serves the module on the service's real engine: its
// controller is an ops module behind the admin token.
func newEngine(t *testing.T, store *config.Store, c *nacos.Client) http.Handler {
	t.Helper()
	h, err := web.NewEngine(web.Deps{
		Store: store, Logger: zerolog.Nop(), Registry: prometheus.NewRegistry(),
		Modules: []module.Spec{nacos.Module(c)},
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// request is one call: from is the client address, token the bearer token
// ("" for none).
type request struct {
	method, path, from, token string
}

func do(t *testing.T, h http.Handler, r request) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequestWithContext(context.Background(), r.method, r.path, nil)
	req.RemoteAddr = r.from
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

const (
	loopback = "127.0.0.1:40000"
	remote   = "192.0.2.10:40000"
)

func TestControllerWithNacosOff(t *testing.T) {
	store := localStore(t, "database:\n  password: local-db-pass\n  params: parseTime=true&app_secret=local-param-pass\n"+
		"xxl-job:\n  url: http://u:local-xxl-pass@xxl.internal/xxl-job-admin\n"+
		"wechat:\n  robot_base_url: https://w:local-wecom-pass@qyapi.internal\n")
	c, err := nacos.New(context.Background(), config.Nacos{}, nil, store)
	if err != nil {
		t.Fatal(err)
	}
	h := newEngine(t, store, c)

	rec := do(t, h, request{http.MethodGet, "/nacos/getConfig", loopback, ""})
	if rec.Code != http.StatusOK {
		t.Fatalf("GET from loopback without a configured token: %d %s", rec.Code, rec.Body)
	}
	for _, secret := range []string{"local-db-pass", "local-param-pass", "local-xxl-pass", "local-wecom-pass"} {
		if strings.Contains(rec.Body.String(), secret) {
			t.Errorf("response leaks %s: %s", secret, rec.Body)
		}
	}
	if !strings.Contains(rec.Body.String(), "http://u:******@xxl.internal/xxl-job-admin") {
		t.Errorf("xxl-job.url not shown masked: %s", rec.Body)
	}
	var view nacos.ConfigView
	if err := json.Unmarshal(rec.Body.Bytes(), &view); err != nil {
		t.Fatal(err)
	}
	if view.Source != config.SourceLocal || view.Degraded {
		t.Errorf("source %q degraded %v, want local and not degraded (Nacos is off)", view.Source, view.Degraded)
	}

	cases := []struct {
		name string
		req  request
		want int
	}{
		{"GET from elsewhere, no token configured", request{http.MethodGet, "/nacos/getConfig", remote, ""}, http.StatusForbidden},
		{"POST from elsewhere, no token configured", request{http.MethodPost, "/nacos/refresh", remote, ""}, http.StatusForbidden},
		{"refresh with Nacos off", request{http.MethodPost, "/nacos/refresh", loopback, ""}, http.StatusConflict},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if rec := do(t, h, tc.req); rec.Code != tc.want {
				t.Errorf("status %d, want %d: %s", rec.Code, tc.want, rec.Body)
			}
		})
	}
}

func TestOperationsAreDocumented(t *testing.T) {
	store := localStore(t, "")
	c, err := nacos.New(context.Background(), config.Nacos{}, nil, store)
	if err != nil {
		t.Fatal(err)
	}
	rec := do(t, newEngine(t, store, c), request{http.MethodGet, "/openapi.json", loopback, ""})
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string                `json:"operationId"`
			Summary     string                `json:"summary"`
			Tags        []string              `json:"tags"`
			Security    []map[string][]string `json:"security"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatalf("openapi: %v", err)
	}
	for path, method := range map[string]string{"/nacos/getConfig": "get", "/nacos/refresh": "post"} {
		op, ok := doc.Paths[path][method]
		if !ok || op.OperationID == "" || op.Summary == "" || len(op.Tags) == 0 || len(op.Security) == 0 {
			t.Errorf("%s %s in OpenAPI = %+v (present %v); want id, summary, tags and security", method, path, op, ok)
		}
	}
}

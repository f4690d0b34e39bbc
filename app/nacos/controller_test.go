package nacos_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humagin"
	"github.com/gin-gonic/gin"

	"gomicro/app/config"
	"gomicro/app/nacos"
)

// newAPI serves the controller on a bare humagin API.
func newAPI(t *testing.T, c *nacos.Controller) http.Handler {
	t.Helper()
	r := gin.New()
	api := humagin.New(r, huma.DefaultConfig("test", "1"))
	c.Register(api)
	return r
}

func do(t *testing.T, h http.Handler, method, path string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequestWithContext(context.Background(), method, path, nil))
	return rec
}

func TestControllerWithNacosOffShowsLocalConfigMasked(t *testing.T) {
	store := localStore(t, "database:\n  password: local-db-pass\n")
	c, err := nacos.New(context.Background(), config.Nacos{}, nil, store)
	if err != nil {
		t.Fatal(err)
	}
	rec := do(t, newAPI(t, nacos.NewController(c)), http.MethodGet, "/nacos/getConfig")
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if strings.Contains(rec.Body.String(), "local-db-pass") {
		t.Error("response leaks database.password")
	}
	var view nacos.ConfigView
	if err := json.Unmarshal(rec.Body.Bytes(), &view); err != nil {
		t.Fatal(err)
	}
	if view.Source != config.SourceLocal || view.Degraded {
		t.Errorf("source %q degraded %v, want local and not degraded (Nacos is off)", view.Source, view.Degraded)
	}
}

func TestOperationsAreDocumented(t *testing.T) {
	r := gin.New()
	api := humagin.New(r, huma.DefaultConfig("test", "1"))
	store := localStore(t, "")
	c, err := nacos.New(context.Background(), config.Nacos{}, nil, store)
	if err != nil {
		t.Fatal(err)
	}
	nacos.NewController(c).Register(api)
	paths := api.OpenAPI().Paths
	for path, method := range map[string]string{"/nacos/getConfig": http.MethodGet, "/nacos/refresh": http.MethodPost} {
		item, ok := paths[path]
		if !ok {
			t.Errorf("%s missing from OpenAPI", path)
			continue
		}
		op := map[string]*huma.Operation{http.MethodGet: item.Get, http.MethodPost: item.Post}[method]
		if op == nil || op.OperationID == "" || op.Summary == "" || len(op.Tags) == 0 {
			t.Errorf("%s %s: operation %+v lacks id, summary or tags", method, path, op)
		}
	}
}

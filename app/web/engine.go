// Package web builds the service's Gin engine: our middleware only, one
// error model, huma-typed operations that generate the OpenAPI document,
// health, readiness and metrics.
package web

import (
	"errors"
	"net/http"
	"sync"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humagin"
	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"gomicro/app/config"
)

// Registrar is a module's set of HTTP operations.
type Registrar interface {
	Register(api huma.API)
}

// Deps is what the engine needs. Store, Logger and Registry are required.
type Deps struct {
	Store    *config.Store
	Logger   zerolog.Logger
	Registry *prometheus.Registry
	Version  string
	// Checks are probed by /readyz.
	Checks []Check
	// Modules are business modules, registered on the public API.
	Modules []Registrar
	// Ops are operator endpoints, registered behind the admin token.
	Ops []Registrar
}

var ginOnce sync.Once

// NewEngine returns the engine both the binary and the tests serve. The
// error reports a metrics registration clash.
func NewEngine(d Deps) (*gin.Engine, error) {
	if d.Store == nil || d.Registry == nil {
		return nil, errors.New("web: Store and Registry are required")
	}
	// Gin's mode is process-wide; release mode stops its debug route dump.
	ginOnce.Do(func() { gin.SetMode(gin.ReleaseMode) })
	installErrorModel()

	m, err := newHTTPMetrics(d.Registry)
	if err != nil {
		return nil, err
	}
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.ContextWithFallback = true
	trusted := d.Store.Current().Server.TrustedProxies
	if err := r.SetTrustedProxies(trusted); err != nil {
		return nil, err
	}
	maxBody := func() int64 { return d.Store.Current().Server.MaxBodyBytes }
	r.Use(observe(d.Logger, m, maxBody, clientIPFunc(r, trusted)))
	r.NoRoute(func(c *gin.Context) { abort(c, http.StatusNotFound, "no such route") })
	r.NoMethod(func(c *gin.Context) { abort(c, http.StatusMethodNotAllowed, "method not allowed on this route") })

	routes(r, newAPI(r, d.Version), d)
	return r, nil
}

func newAPI(r *gin.Engine, version string) *huma.Group {
	cfg := huma.DefaultConfig("gomicro API", version)
	cfg.CreateHooks = nil // no $schema links in bodies: plain JSON for clients
	cfg.Transformers = append(cfg.Transformers, fillTraceID)
	cfg.Info.Description = "Errors share one model: `{status, code, message, trace_id, errors?}`. Every response carries `X-Trace-Id`."
	cfg.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		adminScheme: {Type: "http", Scheme: "bearer", Description: "server.admin_token"},
	}
	api := huma.NewGroup(humagin.New(r, cfg))
	// The body limit is enforced (and reloadable) in observe; huma's fixed
	// per-operation limit would shadow a larger configured one.
	api.UseSimpleModifier(func(op *huma.Operation) { op.MaxBodyBytes = -1 })
	return api
}

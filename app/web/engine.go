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
	"gomicro/app/module"
)

// Deps is what the engine needs. Store, Logger and Registry are required.
type Deps struct {
	Store    *config.Store
	Logger   zerolog.Logger
	Registry *prometheus.Registry
	Version  string
	// Checks are probed by /readyz, with every module's own.
	Checks []module.Check
	// Modules contribute operations (public and behind the admin token)
	// and raw routes.
	Modules []module.Spec
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
	// Served by routes instead: huma's docs page loads its viewer from a
	// public CDN, and its schema route answers 200 null for unknown names.
	cfg.DocsPath, cfg.SchemasPath = "", ""
	cfg.Transformers = append(cfg.Transformers, finishError)
	// A query parameter an operation does not declare (a typo, a renamed
	// filter) answers 422 naming it, instead of being silently ignored.
	cfg.RejectUnknownQueryParameters = true
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

package web

import (
	"net/http"
	"slices"

	"github.com/danielgtaylor/huma/v2"
	"github.com/gin-gonic/gin"
)

// routes lists every route of the service: health, schemas, docs and
// metrics, then what each module contributes. The OpenAPI documents
// (/openapi.json, /openapi.yaml and their 3.0 forms) are served by huma.
func routes(r *gin.Engine, api *huma.Group, d Deps) {
	checks := slices.Clone(d.Checks)
	for _, m := range d.Modules {
		checks = append(checks, m.Checks...)
	}
	registerHealth(api, checks)

	r.GET("/schemas/:name", schemasHandler(api))
	registerDocs(r, api.OpenAPI().Info.Title)
	r.GET("/metrics", metricsHandler(d.Registry))
	api.OpenAPI().AddOperation(&huma.Operation{
		OperationID: "metrics",
		Method:      http.MethodGet,
		Path:        "/metrics",
		Summary:     "Prometheus metrics",
		Description: "Prometheus text exposition: http_requests_total and http_request_duration_seconds by method, route and status, plus Go runtime and process metrics. No auth; keep it off the public ingress.",
		Tags:        []string{"health"},
		Responses: map[string]*huma.Response{
			"200": {Description: "Prometheus text format", Content: map[string]*huma.MediaType{"text/plain": {}}},
		},
	})

	ops := opsGroup(api, d.Store)
	for _, m := range d.Modules {
		if m.API != nil {
			m.API(api)
		}
		if m.Ops != nil {
			m.Ops(ops)
		}
		if m.Routes != nil {
			m.Routes(r)
		}
	}
}

package auth

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
)

// SecurityScheme names the bearer scheme in the OpenAPI document.
const SecurityScheme = "bearerAuth"

type principalKey struct{}

// NewContext returns ctx carrying p, as Protect does for its operations.
func NewContext(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the caller that Protect authenticated.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// Protect returns a group of api whose operations require
// "Authorization: Bearer <token>": a missing or bad token is answered 401
// in the error model before the handler runs, and the handler's ctx
// carries the caller (FromContext). The scheme is declared in the OpenAPI
// document and on each operation.
func (s *Service) Protect(api huma.API) huma.API {
	oapi := api.OpenAPI()
	if oapi.Components.SecuritySchemes == nil {
		oapi.Components.SecuritySchemes = map[string]*huma.SecurityScheme{}
	}
	oapi.Components.SecuritySchemes[SecurityScheme] = &huma.SecurityScheme{
		Type: "http", Scheme: "bearer",
		Description: "A token from POST /api/v1/auth/tokens",
	}
	g := huma.NewGroup(api)
	g.UseSimpleModifier(func(op *huma.Operation) {
		op.Security = []map[string][]string{{SecurityScheme: {}}}
		if op.Responses == nil {
			op.Responses = map[string]*huma.Response{}
		}
		if _, ok := op.Responses["401"]; !ok {
			op.Responses["401"] = &huma.Response{Description: "Missing, expired or revoked bearer token"}
		}
	})
	g.UseMiddleware(func(ctx huma.Context, next func(huma.Context)) {
		p, err := s.Authenticate(ctx.Context(), ctx.Header("Authorization"))
		if err != nil {
			ctx.SetHeader("WWW-Authenticate", `Bearer realm="api"`)
			_ = huma.WriteErr(api, ctx, http.StatusUnauthorized, "unauthorized", err)
			return
		}
		next(huma.WithContext(ctx, NewContext(ctx.Context(), p)))
	})
	return g
}

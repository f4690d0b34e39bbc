package web

import (
	"crypto/subtle"
	"net"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humagin"

	"gomicro/app/config"
)

const adminScheme = "adminToken"

// opsGroup returns the API group for ops endpoints: each request must carry
// "Authorization: Bearer <server.admin_token>" (compared in constant time),
// or, when no token is configured, come from loopback. The token is read
// per request, so a reloaded token applies at once.
func opsGroup(api huma.API, store *config.Store) *huma.Group {
	g := huma.NewGroup(api)
	g.UseSimpleModifier(func(op *huma.Operation) {
		op.Security = []map[string][]string{{adminScheme: {}}}
		op.Description += " Requires `Authorization: Bearer <server.admin_token>`; with no token configured, only loopback clients are answered."
		if op.Responses == nil {
			op.Responses = map[string]*huma.Response{}
		}
		op.Responses["401"] = &huma.Response{Description: "Missing or wrong admin token"}
		op.Responses["403"] = &huma.Response{Description: "No admin token configured and the client is not on loopback"}
	})
	g.UseMiddleware(func(ctx huma.Context, next func(huma.Context)) {
		want := store.Current().Server.AdminToken
		if want == "" {
			// The client as the access log names it: behind a trusted proxy
			// (server.trusted_proxies) that is the forwarded address.
			if !isLoopback(humagin.Unwrap(ctx).ClientIP()) {
				_ = huma.WriteErr(api, ctx, http.StatusForbidden, "ops endpoints answer loopback only while server.admin_token is empty")
				return
			}
			next(ctx)
			return
		}
		got, ok := bearerToken(ctx.Header("Authorization"))
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
			ctx.SetHeader("WWW-Authenticate", `Bearer realm="ops"`)
			_ = huma.WriteErr(api, ctx, http.StatusUnauthorized, "missing or wrong admin token")
			return
		}
		next(ctx)
	})
	return g
}

// bearerToken returns the credentials of an Authorization value of the
// Bearer scheme. The scheme is case-insensitive (RFC 7235 §2.1) and
// whitespace around the value and between scheme and token is allowed.
func bearerToken(h string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.Trim(h, " \t"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.Trim(token, " \t")
	return token, token != ""
}

func isLoopback(clientIP string) bool {
	ip := net.ParseIP(clientIP)
	return ip != nil && ip.IsLoopback()
}

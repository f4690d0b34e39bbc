package web

import (
	"crypto/subtle"
	"net"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

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
			if !isLoopback(ctx.RemoteAddr()) {
				_ = huma.WriteErr(api, ctx, http.StatusForbidden, "ops endpoints answer loopback only while server.admin_token is empty")
				return
			}
			next(ctx)
			return
		}
		got, ok := strings.CutPrefix(ctx.Header("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
			ctx.SetHeader("WWW-Authenticate", `Bearer realm="ops"`)
			_ = huma.WriteErr(api, ctx, http.StatusUnauthorized, "missing or wrong admin token")
			return
		}
		next(ctx)
	})
	return g
}

func isLoopback(remoteAddr string) bool {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

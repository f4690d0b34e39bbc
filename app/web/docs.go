package web

import (
	"embed"
	"html"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/gin-gonic/gin"
)

// The docs page and the viewer it loads (Swagger UI, built files of the
// swagger-ui-dist package; version in the README) are in the binary, so
// /docs works on a box with no internet.
var (
	//go:embed docsui/docs.html
	docsPage string
	//go:embed docsui/assets
	docsAssets embed.FS
)

// docsCSP lets the page load only what this server serves.
const docsCSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; font-src 'self' data:; connect-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// registerDocs serves the docs page at /docs and its assets under
// /docs/assets/.
func registerDocs(r *gin.Engine, title string) {
	page := []byte(strings.Replace(docsPage, "{{title}}", html.EscapeString(title), 1))
	assets, _ := fs.Sub(docsAssets, "docsui/assets") // a valid literal path: cannot fail
	r.GET("/docs", func(c *gin.Context) {
		c.Header("Content-Security-Policy", docsCSP)
		c.Data(http.StatusOK, "text/html; charset=utf-8", page)
	})
	r.GET("/docs/assets/*file", func(c *gin.Context) {
		name := strings.TrimPrefix(path.Clean(c.Param("file")), "/")
		if st, err := fs.Stat(assets, name); err != nil || st.IsDir() {
			abort(c, http.StatusNotFound, "no such docs asset")
			return
		}
		c.Header("X-Content-Type-Options", "nosniff")
		http.ServeFileFS(c.Writer, c.Request, assets, name)
	})
}

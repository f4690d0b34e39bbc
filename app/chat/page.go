package chat

import (
	"embed"
	"io/fs"
	"net/http"

	"github.com/gin-gonic/gin"
)

// pageFiles is the chat page: plain HTML, CSS and JS, no build step.
//
//go:embed page
var pageFiles embed.FS

// registerPage serves the page under /chat/.
func registerPage(r gin.IRoutes) {
	sub, _ := fs.Sub(pageFiles, "page")
	files := http.StripPrefix("/chat", http.FileServerFS(sub))
	r.GET("/chat/*file", func(c *gin.Context) {
		c.Header("Cache-Control", "no-cache")
		c.Header("X-Content-Type-Options", "nosniff")
		c.Header("Content-Security-Policy", "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:")
		files.ServeHTTP(c.Writer, c.Request)
	})
}

package web

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
)

// ipEngine answers the client IP both ways, as headers.
func ipEngine(t testing.TB) *gin.Engine {
	r := gin.New()
	if err := r.SetTrustedProxies(nil); err != nil {
		t.Fatal(err)
	}
	r.GET("/", func(c *gin.Context) {
		c.Header("X-Peer", peerIP(c))
		c.Header("X-Gin", c.ClientIP())
	})
	return r
}

// With no proxy trusted, peerIP names the client exactly as Gin would.
func TestPeerIPMatchesGin(t *testing.T) {
	r := ipEngine(t)
	for _, addr := range []string{
		"127.0.0.1:5000", "[::1]:5000", "[::ffff:10.1.2.3]:80", "[2001:DB8::1]:1", "[2001:db8:0:0:0:0:0:1]:1",
		"[fe80::1%eth0]:9", "10.0.0.1", "garbage", "", " 192.168.0.1:7 ", "[::]:0",
		"255.255.255.255:1", "256.1.1.1:1", "01.2.3.4:1", "1.2.3:1", "1.2.3.4.5:1", "1.2.3.4.:1", "0.0.0.0:0",
		"1.2.3.4:5:6", "1.2.3.4:", "1..3.4:1", "1234.1.1.1:1",
	} {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.RemoteAddr = addr
		req.Header.Set("X-Forwarded-For", "6.6.6.6")
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		if got, want := rec.Header().Get("X-Peer"), rec.Header().Get("X-Gin"); got != want {
			t.Errorf("%q: peerIP %q, ClientIP %q", addr, got, want)
		}
	}
}

package web

import (
	"net/netip"

	"github.com/gin-gonic/gin"
)

// clientIPFunc returns how the access line names the client. With proxies
// trusted, or a trusted platform header, that is Gin's ClientIP. With
// neither, Gin answers the peer address, parsed and formatted again (an
// allocation and a good part of the access line's cost); peerIP gives the
// same answer and allocates only when the peer address is not already in
// that form.
func clientIPFunc(r *gin.Engine, trusted []string) func(*gin.Context) string {
	if len(trusted) > 0 || r.TrustedPlatform != "" {
		return (*gin.Context).ClientIP
	}
	return peerIP
}

func peerIP(c *gin.Context) string {
	host := c.RemoteIP()
	ip, err := netip.ParseAddr(host)
	if err != nil || ip.Zone() != "" {
		return c.ClientIP() // let Gin judge what net.ParseIP would
	}
	var buf [64]byte
	b := ip.Unmap().AppendTo(buf[:0])
	if string(b) == host {
		return host
	}
	return string(b)
}

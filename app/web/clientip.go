package web

import (
	"net/netip"
	"strings"

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
	addr := c.Request.RemoteAddr
	if i := strings.LastIndexByte(addr, ':'); i > 0 && isCanonicalIPv4(addr[:i]) {
		return addr[:i] // the usual case, as Gin would print it
	}
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

// isCanonicalIPv4 reports whether s is a dotted IPv4 address exactly as
// net.IP.String prints it: four decimal parts of at most 255, no leading
// zeros.
func isCanonicalIPv4(s string) bool {
	parts := 0
	for len(s) > 0 {
		n, v := 0, 0
		for n < len(s) && s[n] >= '0' && s[n] <= '9' {
			v = v*10 + int(s[n]-'0')
			n++
			if n > 3 {
				return false
			}
		}
		if n == 0 || v > 255 || (n > 1 && s[0] == '0') {
			return false
		}
		parts++
		s = s[n:]
		if len(s) > 0 {
			if s[0] != '.' || parts == 4 {
				return false
			}
			s = s[1:]
			if len(s) == 0 {
				return false
			}
		}
	}
	return parts == 4
}

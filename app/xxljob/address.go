package xxljob

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/go-basic/ipv4"

	"gomicro/app/config"
)

// advertise returns the registryValue, "http://host:port/": xxl-job.address
// when set (behind NAT or in Docker the admin must use that), else the
// first non-loopback IPv4 address with port. Without an admin nobody calls
// back, so a machine with no network advertises loopback rather than fail.
// Errors wrap config.ErrInvalid.
func advertise(address string, port int, haveAdmin bool) (string, error) {
	if address != "" {
		if !strings.Contains(address, "://") {
			address = "http://" + address
		}
		u, err := url.Parse(address)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return "", fmt.Errorf("%w: xxl-job.address: %q is not host:port or an http(s) URL", config.ErrInvalid, address)
		}
		return strings.TrimSuffix(address, "/") + "/", nil
	}
	// ipv4.LocalIP panics when there is none; the list form does not.
	ips, err := ipv4.LocalIPv4s()
	switch {
	case err == nil && len(ips) > 0:
	case !haveAdmin:
		ips = []string{"127.0.0.1"}
	default:
		return "", fmt.Errorf("%w: xxl-job.address is empty and no non-loopback IPv4 address was found: set it", config.ErrInvalid)
	}
	return "http://" + net.JoinHostPort(ips[0], strconv.Itoa(port)) + "/", nil
}

package nacos

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"gomicro/app/config"
)

// defaultPort is Nacos' HTTP port when nacos.host names none; the SDK adds
// 1000 for gRPC unless nacos.grpc_port says otherwise.
const defaultPort = 8848

// server is one Nacos address.
type server struct {
	Host     string
	Port     int
	GRPCPort int
}

// parseHosts reads nacos.host: one or several host[:port] separated by
// commas, each optionally with an http:// or https:// prefix and a trailing
// path (as the Python template's server_addresses allowed). grpcPort, when
// not zero, applies to every host. The error wraps config.ErrInvalid.
func parseHosts(list string, grpcPort int) ([]server, error) {
	var out []server
	for part := range strings.SplitSeq(list, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		s, err := parseHost(part)
		if err != nil {
			return nil, fmt.Errorf("%w: nacos.host %q: %w", config.ErrInvalid, withoutUserinfo(part), err)
		}
		s.GRPCPort = grpcPort
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: nacos.host %q: no address", config.ErrInvalid, withoutUserinfo(list))
	}
	return out, nil
}

// withoutUserinfo replaces any user:password@ in an address with ***@ so an
// error quoting nacos.host never carries a credential to stderr or a log.
// Nacos credentials belong in nacos.username and nacos.password.
func withoutUserinfo(s string) string {
	var b strings.Builder
	for part := range strings.SplitSeq(s, ",") {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		if at := strings.LastIndexByte(part, '@'); at >= 0 {
			start := 0
			if i := strings.Index(part, "://"); i >= 0 && i < at {
				start = i + 3
			}
			part = part[:start] + "***" + part[at:]
		}
		b.WriteString(part)
	}
	return b.String()
}

func parseHost(s string) (server, error) {
	if i := strings.Index(s, "://"); i >= 0 {
		scheme := strings.ToLower(s[:i])
		if scheme != "http" && scheme != "https" {
			return server{}, fmt.Errorf("scheme %q: want http or https", scheme)
		}
		s = s[i+3:]
	}
	if strings.Contains(s, "@") {
		// Not quoted: what precedes the @ is likely a password.
		return server{}, errors.New("user:password@ is not supported; set nacos.username and nacos.password")
	}
	if i := strings.IndexByte(s, '/'); i >= 0 {
		s = s[:i]
	}
	host, port := s, defaultPort
	if h, p, err := net.SplitHostPort(s); err == nil {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return server{}, fmt.Errorf("port %q: want 1-65535", p)
		}
		host, port = h, n
	} else if strings.Count(s, ":") == 1 {
		return server{}, err
	}
	host = strings.Trim(host, "[]")
	if host == "" || strings.ContainsAny(host, " \t@?#") {
		return server{}, fmt.Errorf("bad host %q", host)
	}
	return server{Host: host, Port: port}, nil
}

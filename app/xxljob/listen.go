package xxljob

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"golang.org/x/net/netutil"

	"gomicro/app/config"
)

// Listen opens the executor's TCP listener on xxl-job.host and
// xxl-job.port. At most xxl-job.max_connections connections are served at
// once: past that, a new one waits in the kernel's accept queue until one
// closes, so a flood of connections costs a queue slot each instead of a
// goroutine and buffers. Errors wrap config.ErrInvalid for a cap below 1;
// otherwise they are the bind error (address in use, host not local).
func Listen(cfg config.XxlJob) (net.Listener, error) {
	if cfg.MaxConnections < 1 {
		return nil, fmt.Errorf("%w: xxl-job.max_connections: must be at least 1 (got %d)", config.ErrInvalid, cfg.MaxConnections)
	}
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on xxl-job.host:port %s: %w", addr, err)
	}
	return netutil.LimitListener(ln, cfg.MaxConnections), nil
}

// Server returns the HTTP server of Handler with the xxl-job.* read, write
// and idle timeouts, so neither a slow client nor an idle keep-alive
// connection holds one of the max_connections slots for long.
func (e *Executor) Server() *http.Server {
	return &http.Server{
		Handler:           e.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       e.cfg.ReadTimeout,
		WriteTimeout:      e.cfg.WriteTimeout,
		IdleTimeout:       e.cfg.IdleTimeout,
	}
}

//go:build !race

package nacos_test

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gomicro/app/nacos"
	"gomicro/app/nacos/nacostest"
)

// cutProxy forwards TCP from a loopback port to target. While cut it
// swallows every byte in both directions without closing anything, as a
// network that drops packets does; no RST tells either side.
type cutProxy struct {
	ln  net.Listener
	cut atomic.Bool

	mu    sync.Mutex
	conns []net.Conn
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln}
	go p.serve(target)
	t.Cleanup(func() {
		_ = ln.Close()
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, c := range p.conns {
			_ = c.Close()
		}
	})
	return p
}

func (p *cutProxy) port() int { return p.ln.Addr().(*net.TCPAddr).Port }

func (p *cutProxy) serve(target string) {
	for {
		down, err := p.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", target)
		if err != nil {
			_ = down.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, down, up)
		p.mu.Unlock()
		go p.pipe(up, down)
		go p.pipe(down, up)
	}
}

// pipe copies src to dst, dropping what it reads while cut. When either
// side closes, both are closed, so each end sees the other go.
func (p *cutProxy) pipe(dst, src net.Conn) {
	defer func() { _ = dst.Close(); _ = src.Close() }()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !p.cut.Load() {
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// A cut that drops packets without closing anything (no RST, no FIN) and
// then heals: the change pushed into the cut is picked up, and pushes
// reach the client again.
func TestPicksUpChangeAfterNetworkCutHeals(t *testing.T) {
	e := newEnv(t)
	fake := startFake(t, "127.0.0.1:0")
	fake.SetConfig(e.key, remoteA)
	proxy := newCutProxy(t, fake.Addr())
	cfg := e.nacosConfig(proxy.port())
	cfg.TimeoutMS = 500
	c := e.open(cfg, nacos.WithContactCheck(300*time.Millisecond))
	e.settle(fake)

	proxy.cut.Store(true)
	fake.SetConfig(e.key, remoteB) // the push is swallowed by the cut
	eventually(t, 10*time.Second, "the cut shows as degraded", func() bool { return c.Status().Degraded() })
	if lvl := e.store.Current().Log.Level; lvl != "warn" {
		t.Fatalf("log.level = %q during the cut, want A's warn", lvl)
	}

	proxy.cut.Store(false)
	eventually(t, 30*time.Second, "B picked up after the cut healed", func() bool {
		return e.store.Current().Log.Level == "error" && c.Status().MD5 == nacostest.MD5(remoteB) && !c.Status().Degraded()
	})

	// Pushes arrive again: the client acks one on a live stream.
	eventually(t, 10*time.Second, "client listens again", func() bool { return fake.Listening(e.key) > 0 })
	acks := fake.Requests("NotifySubscriberResponse")
	fake.SetConfig(e.key, remoteA)
	eventually(t, 5*time.Second, "push after the cut acked and applied", func() bool {
		return fake.Requests("NotifySubscriberResponse") > acks && e.store.Current().Log.Level == "warn"
	})
}

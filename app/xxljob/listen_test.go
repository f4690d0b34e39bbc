package xxljob_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"gomicro/app/config"
	"gomicro/app/xxljob"
)

// serveListener builds an executor on Listen and Server as cmd/job does,
// with cfg's listener settings, and serves it until the test ends. edit
// may adjust the server before it serves (a ConnState hook).
func serveListener(t *testing.T, cfg config.XxlJob, edit func(*http.Server)) net.Listener {
	t.Helper()
	cfg.AppName, cfg.AccessToken, cfg.LogPath = "gomicro-job-test", testToken, t.TempDir()
	ln, err := xxljob.Listen(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Address = ln.Addr().String()
	ex, err := xxljob.New(cfg, xxljob.Options{Beat: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	srv := ex.Server()
	if edit != nil {
		edit(srv)
	}
	served := make(chan struct{})
	go func() { defer close(served); _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close(); <-served })
	if err := ex.Start(zerolog.Nop().WithContext(context.Background())); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ex.Stop(context.Background()) })
	return ln
}

// beatConn is a raw keep-alive connection to the executor.
type beatConn struct {
	net.Conn
	r *bufio.Reader
}

func dialBeat(t *testing.T, addr string) *beatConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return &beatConn{Conn: c, r: bufio.NewReader(c)}
}

// send writes one POST /beat, keeping the connection open.
func (c *beatConn) send(t *testing.T) {
	t.Helper()
	req := "POST /beat HTTP/1.1\r\nHost: x\r\nXXL-JOB-ACCESS-TOKEN: " + testToken +
		"\r\nContent-Length: 2\r\n\r\n{}"
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
}

// answer reads the answer to a /beat sent before, within 10 s.
func (c *beatConn) answer(t *testing.T) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(c.r, nil)
	if err != nil {
		t.Fatalf("no answer to /beat: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "{\"code\":200,\"msg\":\"\",\"content\":null}\n" {
		t.Fatalf("/beat answered %d %s", resp.StatusCode, body)
	}
}

func (c *beatConn) beat(t *testing.T) {
	t.Helper()
	c.send(t)
	c.answer(t)
}

// TestIdleConnectionClosedAfterIdleTimeout keeps a connection idle after
// one request: the executor closes it once xxl-job.idle_timeout has passed,
// though the read timeout is far longer.
func TestIdleConnectionClosedAfterIdleTimeout(t *testing.T) {
	ln := serveListener(t, config.XxlJob{Host: "127.0.0.1", MaxConnections: 4,
		ReadTimeout: time.Minute, IdleTimeout: 100 * time.Millisecond}, nil)
	c := dialBeat(t, ln.Addr().String())
	c.beat(t)
	idle := time.Now()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, err := c.r.Read(make([]byte, 1))
	if !errors.Is(err, io.EOF) {
		t.Fatalf("idle connection: read %d bytes, %v; want it closed by the executor", n, err)
	}
	if d := time.Since(idle); d < 100*time.Millisecond {
		t.Errorf("closed %v after the answer, before the idle timeout", d)
	}
}

// TestConnectionCapHolds fills xxl-job.max_connections with two open
// keep-alive connections: a third one, whose request is on the wire, is
// not taken while they stay open (both keep being served meanwhile), and
// is served once one of them closes.
func TestConnectionCapHolds(t *testing.T) {
	var third atomic.Value // the third connection's address, as the server sees it
	third.Store("")
	var closedOne atomic.Bool
	var mu sync.Mutex
	var early []string
	ln := serveListener(t, config.XxlJob{Host: "127.0.0.1", MaxConnections: 2, IdleTimeout: time.Minute},
		func(srv *http.Server) {
			srv.ConnState = func(c net.Conn, s http.ConnState) {
				if s == http.StateNew && c.RemoteAddr().String() == third.Load().(string) && !closedOne.Load() {
					mu.Lock()
					early = append(early, c.RemoteAddr().String())
					mu.Unlock()
				}
			}
		})
	addr := ln.Addr().String()
	a, b := dialBeat(t, addr), dialBeat(t, addr)
	a.beat(t)
	b.beat(t)

	c := dialBeat(t, addr) // the kernel completes the handshake; the executor must not take it
	third.Store(c.LocalAddr().String())
	c.send(t)
	for range 20 { // the executor keeps serving the two it holds
		a.beat(t)
		b.beat(t)
	}
	mu.Lock()
	taken := len(early)
	mu.Unlock()
	if taken > 0 {
		t.Fatal("a third connection was taken while two were open, over max_connections 2")
	}
	closedOne.Store(true)
	_ = a.Close()
	c.answer(t)
	mu.Lock()
	defer mu.Unlock()
	if len(early) > 0 {
		t.Fatal("the third connection was taken before one of the two closed")
	}
}

// TestListenBindsHost listens on one loopback address and checks that it is
// served there and not on another one of the same machine; 0.0.0.0 takes
// both.
func TestListenBindsHost(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("needs all of 127.0.0.0/8 on the loopback device, as Linux has it")
	}
	for _, tc := range []struct {
		host      string
		served    []string
		notServed []string
	}{
		{"127.0.0.1", []string{"127.0.0.1"}, []string{"127.0.0.2"}},
		{"127.0.0.2", []string{"127.0.0.2"}, []string{"127.0.0.1"}},
		{"0.0.0.0", []string{"127.0.0.1", "127.0.0.2"}, nil},
	} {
		t.Run(tc.host, func(t *testing.T) {
			ln := serveListener(t, config.XxlJob{Host: tc.host, MaxConnections: 4}, nil)
			tcp := ln.Addr().(*net.TCPAddr)
			if tc.host != "0.0.0.0" && tcp.IP.String() != tc.host {
				t.Fatalf("listening on %s, want %s", tcp, tc.host)
			}
			for _, ip := range tc.served {
				dialBeat(t, net.JoinHostPort(ip, strconv.Itoa(tcp.Port))).beat(t)
			}
			for _, ip := range tc.notServed {
				c, err := net.Dial("tcp", net.JoinHostPort(ip, strconv.Itoa(tcp.Port)))
				if err == nil {
					c.Close()
					t.Fatalf("%s:%d accepted a connection; the executor should listen on %s only", ip, tcp.Port, tc.host)
				}
				if !errors.Is(err, syscall.ECONNREFUSED) {
					t.Fatalf("dial %s: %v, want connection refused", ip, err)
				}
			}
		})
	}
	if _, err := xxljob.Listen(config.XxlJob{Host: "127.0.0.1"}); !errors.Is(err, config.ErrInvalid) {
		t.Errorf("Listen with max_connections 0 = %v, want config.ErrInvalid", err)
	}
}

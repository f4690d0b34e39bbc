package chat_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gomicro/app/db/dbtest"
)

// BenchmarkFanout posts one message per iteration (REST, loopback) to a
// chat with n open sockets and measures, per socket, the time from the
// post to the frame's arrival. sockets=1 is the baseline: the same path
// with no fan-out. Reported: p50 and p99 over every delivery.
func BenchmarkFanout(b *testing.B) {
	for _, n := range []int{1, 1000} {
		b.Run(fmt.Sprintf("sockets=%d", n), func(b *testing.B) {
			s := startServer(b, dbtest.SQLite(b), options{yaml: "chat:\n  send_buffer: 256\n"})
			_, tok := s.user("fan")
			c := s.newChat(tok)
			arrivals := make(chan time.Time, n)
			for range n {
				ws := s.dial(tok, c.URI, "")
				ws.presence(wait)
				go func() {
					for {
						_, data, err := ws.conn.Read(context.Background())
						if err != nil {
							return
						}
						if bytes.HasPrefix(data, []byte(`{"type":"message"`)) {
							arrivals <- time.Now()
						}
					}
				}()
			}
			var lat []time.Duration
			b.ResetTimer()
			for b.Loop() {
				start := time.Now()
				s.post(tok, c.URI, "fan-out")
				for range n {
					lat = append(lat, (<-arrivals).Sub(start))
				}
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}

// BenchmarkPost measures posts per second over loopback HTTP with 8
// concurrent clients, next to the baseline of an authenticated no-op
// (GET /api/v1/auth/users/me: the same bearer check, no write).
func BenchmarkPost(b *testing.B) {
	s := startServer(b, dbtest.SQLite(b), options{})
	_, tok := s.user("poster")
	c := s.newChat(tok)
	for _, bc := range []struct{ name, method, path, body string }{
		{"baseline_me", http.MethodGet, "/api/v1/auth/users/me", ""},
		{"post", http.MethodPost, "/api/v1/chats/" + c.URI + "/messages", `{"message":"benchmark"}`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetParallelism(4) // 2 cores × 4 = 8 clients
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req, _ := http.NewRequest(bc.method, s.url+bc.path, strings.NewReader(bc.body))
					req.Header.Set("Authorization", "Bearer "+tok)
					req.Header.Set("Content-Type", "application/json")
					resp, err := s.client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					resp.Body.Close()
					if resp.StatusCode >= 300 {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
		})
	}
}

// BenchmarkIdleSocketMemory opens 1,000 idle sockets and reports the heap
// and stack they hold, per socket. The baseline is the least a Go server
// can hold per connection: an accepted TCP connection with one goroutine
// blocked reading it. In both, the client side is a bare TCP connection
// that did the handshake by hand, so it weighs the same in each.
func BenchmarkIdleSocketMemory(b *testing.B) {
	const n = 1000
	b.Run("baseline_tcp_goroutine", func(b *testing.B) {
		for b.Loop() {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			var accepted atomic.Int64
			go func() {
				for {
					c, err := ln.Accept()
					if err != nil {
						return
					}
					accepted.Add(1)
					go func() { _, _ = c.Read(make([]byte, 1)); c.Close() }()
				}
			}()
			perConn := measure(b, n, func() net.Conn {
				c, err := net.Dial("tcp", ln.Addr().String())
				if err != nil {
					b.Fatal(err)
				}
				return c
			}, func() {
				for accepted.Load() < int64(n) {
					time.Sleep(10 * time.Millisecond)
				}
				accepted.Store(0)
			})
			ln.Close()
			b.ReportMetric(perConn/1024, "KiB/conn")
		}
	})
	b.Run("chat_socket", func(b *testing.B) {
		s := startServer(b, dbtest.SQLite(b), options{})
		_, tok := s.user("idle")
		c := s.newChat(tok)
		addr := strings.TrimPrefix(s.url, "http://")
		for b.Loop() {
			before := s.metric("chat_sockets")
			perConn := measure(b, n, func() net.Conn { return handshake(b, addr, c.URI, tok) }, func() {
				for s.metric("chat_sockets") < before+n {
					time.Sleep(10 * time.Millisecond)
				}
			})
			b.ReportMetric(perConn/1024, "KiB/socket")
			for s.metric("chat_sockets") > before {
				time.Sleep(10 * time.Millisecond)
			}
		}
	})
}

// measure opens n connections with open, waits for settle, and returns the
// growth of heap and stacks per connection; it closes them afterwards.
func measure(b *testing.B, n int, open func() net.Conn, settle func()) float64 {
	b.Helper()
	before := inUse()
	conns := make([]net.Conn, n)
	for i := range conns {
		conns[i] = open()
	}
	settle()
	after := inUse()
	for _, c := range conns {
		c.Close()
	}
	return (float64(after) - float64(before)) / float64(n)
}

func inUse() uint64 {
	var m runtime.MemStats
	for range 2 {
		runtime.GC()
	}
	runtime.ReadMemStats(&m)
	return m.HeapAlloc + m.StackInuse
}

// handshake opens a chat socket over a bare TCP connection and returns it
// once the server answered 101; no goroutine and no buffer stay behind.
func handshake(b *testing.B, addr, uri, token string) net.Conn {
	b.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	fmt.Fprintf(conn, "GET /api/v1/chats/%s/ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer %s\r\n\r\n", uri, addr, token)
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || !strings.Contains(line, strconv.Itoa(http.StatusSwitchingProtocols)) {
		b.Fatalf("handshake: %q %v", line, err)
	}
	return conn
}

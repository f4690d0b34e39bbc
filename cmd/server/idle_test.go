package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// TestIdleConnectionClosedAfterIdleTimeout keeps a connection idle after
// one request: the server closes it once server.idle_timeout has passed,
// though its read timeout is far longer.
func TestIdleConnectionClosedAfterIdleTimeout(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	lines := watch(pr)
	done := make(chan error, 1)
	environ := append(testEnviron(t), "APP_SERVER_IDLE_TIMEOUT=100ms", "APP_SERVER_READ_TIMEOUT=1m")
	go func() { done <- run(ctx, nil, environ, pw, io.Discard); pw.Close() }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run returned %v", err)
		}
	}()
	addr := lines.wait(t, "listening", 5*time.Second)["addr"].(string)

	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(c)
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Close {
		t.Fatalf("healthz %d, close %v; want 200 on a kept-alive connection", resp.StatusCode, resp.Close)
	}
	if n, err := r.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Fatalf("idle connection: read %d bytes, %v; want it closed by the server", n, err)
	}
}

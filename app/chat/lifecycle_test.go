package chat_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"gomicro/app/db/dbtest"
)

// TestSlowClientIsDroppedWith1013: a socket that stops reading fills its
// send buffer and is closed with 1013, while another socket of the chat
// gets every message in order; the slow one catches up with after=.
func TestSlowClientIsDroppedWith1013(t *testing.T) {
	s := startServer(t, dbtest.SQLite(t), options{yaml: "chat:\n  send_buffer: 4\n  max_message_chars: 16000\n"})
	_, tok := s.user("alice")
	c := s.newChat(tok)
	slow := s.dial(tok, c.URI, "")
	slow.presence(wait)
	fast := s.dial(tok, c.URI, "")
	fast.presence(wait)

	fastIDs := make(chan int64, 4096)
	go func() {
		for {
			f, err := fast.read(30 * time.Second)
			if err != nil {
				close(fastIDs)
				return
			}
			if f.Type == "message" {
				var m struct{ ID int64 }
				_ = jsonUnmarshal(f.Data, &m)
				fastIDs <- m.ID
			}
		}
	}()
	big := strings.Repeat("x", 16000)
	var posted int64
	for posted < 3000 && s.metric("chat_slow_socket_drops_total") == 0 {
		posted = s.post(tok, c.URI, big).ID
	}
	if s.metric("chat_slow_socket_drops_total") == 0 {
		t.Fatalf("no drop after %d posts of 16 kB", posted)
	}
	for want := int64(1); want <= posted; want++ {
		select {
		case id := <-fastIDs:
			if id != want {
				t.Fatalf("fast socket got id %d, want %d", id, want)
			}
		case <-time.After(wait):
			t.Fatalf("fast socket stuck before id %d of %d", want, posted)
		}
	}
	var last int64
	for {
		f, err := slow.read(wait)
		if err != nil {
			if code := websocket.CloseStatus(err); code != websocket.StatusTryAgainLater {
				t.Fatalf("slow socket ended with %v (code %d), want 1013", err, code)
			}
			break
		}
		if f.Type == "message" {
			var m struct{ ID int64 }
			_ = jsonUnmarshal(f.Data, &m)
			last = m.ID
		}
	}
	if last >= posted {
		t.Fatalf("slow socket read every message (%d) yet was dropped", last)
	}
	again := s.dial(tok, c.URI, fmt.Sprintf("after=%d", last))
	again.presence(wait)
	for want := last + 1; want <= posted; want++ {
		if m := again.message(wait); m.ID != want {
			t.Fatalf("catch-up got %d, want %d", m.ID, want)
		}
	}
}

// TestSocketOutlivesServerTimeouts: http.Server's read and write deadlines
// (server.read_timeout, write_timeout) do not end a socket older than them.
func TestSocketOutlivesServerTimeouts(t *testing.T) {
	s := startServer(t, dbtest.SQLite(t), options{readTimeout: 300 * time.Millisecond, writeTimeout: 300 * time.Millisecond})
	_, tok := s.user("alice")
	c := s.newChat(tok)
	ws := s.dial(tok, c.URI, "")
	ws.presence(wait)
	// Age the socket past both deadlines (the client does not read
	// meanwhile, so no ping of the 30 s interval may fall in here).
	time.Sleep(1200 * time.Millisecond)
	s.post(tok, c.URI, "still here")
	if m := ws.message(wait); m.Message != "still here" {
		t.Fatalf("got %+v", m)
	}
	ws.send(map[string]any{"type": "message", "data": map[string]any{"message": "and me"}})
	if m := ws.message(wait); m.Message != "and me" {
		t.Fatalf("got %+v", m)
	}
}

// TestDeadPeerIsDropped: a peer that stops answering pings is dropped
// within about two ping intervals; the others see it leave.
func TestDeadPeerIsDropped(t *testing.T) {
	s := startServer(t, dbtest.SQLite(t), options{yaml: "chat:\n  ping_interval: 200ms\n"})
	_, aliceTok := s.user("alice")
	bob, bobTok := s.user("bob")
	c := s.newChat(aliceTok)
	s.join(bobTok, c.URI)
	a := s.dial(aliceTok, c.URI, "")
	a.presence(wait)
	// bob's client never reads again, so it never answers a ping.
	_ = s.dial(bobTok, c.URI, "")
	expectUserFrame(t, a, "join", bob)
	start := time.Now()
	expectUserFrame(t, a, "leave", bob)
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("dead peer dropped after %s", d)
	}
	if n := s.metric("chat_sockets"); n != 1 {
		t.Fatalf("chat_sockets = %v, want 1", n)
	}
}

// TestShutdownClosesWith1001: stopping the module (after the HTTP drain)
// closes every socket with 1001 and refuses new ones.
func TestShutdownClosesWith1001(t *testing.T) {
	s := startServer(t, dbtest.SQLite(t), options{})
	_, tok := s.user("alice")
	c := s.newChat(tok)
	var socks []*wsClient
	for range 3 {
		ws := s.dial(tok, c.URI, "")
		ws.presence(wait)
		socks = append(socks, ws)
	}
	done := make(chan error, 1)
	go func() { done <- s.shutdown() }()
	for _, ws := range socks {
		if code := ws.closeCode(wait); code != websocket.StatusGoingAway {
			t.Fatalf("close code %d, want 1001", code)
		}
	}
	if err := <-done; err != nil {
		t.Fatalf("stop: %v", err)
	}
	if _, resp, err := s.dialRaw(tok, c.URI, "", nil); err == nil {
		t.Fatal("a socket opened after shutdown")
	} else if resp != nil && resp.StatusCode != 503 {
		t.Fatalf("after shutdown: %d", resp.StatusCode)
	}
}

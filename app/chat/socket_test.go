package chat_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"gomicro/app/chat"
	"gomicro/app/config"
	"gomicro/app/db/dbtest"
)

const wait = 5 * time.Second

func TestSocketReplayThenLive(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, cfg config.Database) {
		s := startServer(t, cfg, options{})
		alice, aliceTok := s.user("alice")
		bob, bobTok := s.user("bob")
		c := s.newChat(aliceTok)
		s.join(bobTok, c.URI)
		for i := range 3 {
			s.post(aliceTok, c.URI, fmt.Sprintf("old %d", i))
		}

		ws := s.dial(bobTok, c.URI, "after=1")
		if users := ws.presence(wait); !slices.Equal(users, []string{bob}) {
			t.Fatalf("presence = %v", users)
		}
		for _, want := range []int64{2, 3} {
			f := ws.next(wait)
			var m chat.Message
			if err := json.Unmarshal(f.Data, &m); f.Type != "message" || err != nil || m.ID != want {
				t.Fatalf("replay frame = %s %s, want message %d", f.Type, f.Data, want)
			}
		}
		live := s.post(aliceTok, c.URI, "live")
		if m := ws.message(wait); m.ID != 4 || m.Message != "live" || m.User != alice || m.URI != c.URI {
			t.Fatalf("live = %+v (posted %+v)", m, live)
		}

		// A socket post comes back to its sender, matched by client_id.
		ws.send(map[string]any{"type": "message", "data": map[string]any{"message": "from socket", "client_id": "s-1"}})
		m := ws.message(wait)
		if m.ID != 5 || m.User != bob || m.ClientID == nil || *m.ClientID != "s-1" {
			t.Fatalf("own message = %+v", m)
		}
		// The same client_id again stores nothing and gets the original
		// back (REST answers 200 with it).
		ws.send(map[string]any{"type": "message", "data": map[string]any{"message": "again", "client_id": "s-1"}})
		if m := ws.message(wait); m.ID != 5 || m.Message != "from socket" {
			t.Fatalf("repeat answered with %+v, want message 5 again", m)
		}
		r := s.do(http.MethodPost, "/api/v1/chats/"+c.URI+"/messages", bobTok, `{"message":"rest","client_id":"s-1"}`)
		expect(t, r, http.StatusOK)
		s.post(aliceTok, c.URI, "next")
		if m := ws.message(wait); m.ID != 6 || m.Message != "next" {
			t.Fatalf("after duplicate: %+v", m)
		}

		// Without after, only live messages follow the presence.
		fresh := s.dial(aliceTok, c.URI, "")
		fresh.presence(wait)
		s.post(bobTok, c.URI, "for both")
		if m := fresh.message(wait); m.ID != 7 {
			t.Fatalf("fresh socket got %+v, want only id 7", m)
		}
		if m := ws.message(wait); m.ID != 7 {
			t.Fatalf("bob got %+v", m)
		}
	})
}

// TestReplayAndLiveHaveNoGapOrRepeat connects sockets while messages keep
// arriving: each socket must see every id after its after= exactly once,
// in order, whatever moment it connected at.
func TestReplayAndLiveHaveNoGapOrRepeat(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, cfg config.Database) {
		s := startServer(t, cfg, options{})
		_, tok := s.user("writer")
		c := s.newChat(tok)
		const total = 60
		var wg sync.WaitGroup
		wg.Go(func() {
			for i := range total {
				s.post(tok, c.URI, fmt.Sprintf("m%d", i))
			}
		})
		type result struct {
			after int64
			got   []int64
		}
		results := make(chan result, 6)
		for k := range 6 {
			after := int64(k * 5)
			wg.Go(func() {
				ws := s.dial(tok, c.URI, fmt.Sprintf("after=%d", after))
				ws.presence(wait)
				var got []int64
				for len(got) == 0 || got[len(got)-1] < total {
					got = append(got, ws.message(wait).ID)
				}
				results <- result{after, got}
			})
		}
		wg.Wait()
		close(results)
		for r := range results {
			var want []int64
			for id := r.after + 1; id <= total; id++ {
				want = append(want, id)
			}
			if !slices.Equal(r.got, want) {
				t.Errorf("after=%d: got %v", r.after, r.got)
			}
		}
	})
}

func TestSocketRefusals(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, cfg config.Database) {
		s := startServer(t, cfg, options{yaml: "chat:\n  allowed_origins: [\"https://app.example.com\"]\n"})
		_, aliceTok := s.user("alice")
		_, eveTok := s.user("eve")
		c := s.newChat(aliceTok)
		other := s.newChat(aliceTok)

		refused := func(t *testing.T, token, uri, q string, header http.Header, status int, code string) {
			t.Helper()
			_, resp, err := s.dialRaw(token, uri, q, header)
			if err == nil {
				t.Fatalf("dial %s?%s accepted", uri, q)
			}
			if resp == nil || resp.StatusCode != status {
				t.Fatalf("dial %s?%s: %v, want %d", uri, q, resp, status)
			}
			body, _ := io.ReadAll(resp.Body)
			var e struct {
				Code    string
				TraceID string `json:"trace_id"`
			}
			if json.Unmarshal(body, &e) != nil || e.Code != code || e.TraceID == "" {
				t.Fatalf("dial %s?%s: body %s, want the error model with code %s", uri, q, body, code)
			}
		}
		t.Run("credentials", func(t *testing.T) {
			refused(t, "", c.URI, "", nil, http.StatusUnauthorized, "unauthorized")
			refused(t, "bogus", c.URI, "", nil, http.StatusUnauthorized, "unauthorized")
			refused(t, "", c.URI, "ticket=bogus", nil, http.StatusUnauthorized, "unauthorized")
			refused(t, "", c.URI, "token="+aliceTok, nil, http.StatusUnauthorized, "unauthorized")
		})
		t.Run("non-member and unknown chat", func(t *testing.T) {
			refused(t, eveTok, c.URI, "", nil, http.StatusForbidden, "forbidden")
			refused(t, aliceTok, "nope", "", nil, http.StatusNotFound, "not_found")
			refused(t, aliceTok, c.URI, "after=-1", nil, http.StatusUnprocessableEntity, "invalid")
		})
		t.Run("origins", func(t *testing.T) {
			for _, o := range []string{"https://evil.example.com", "http://app.example.com", "https://app.example.com.evil.com", "null"} {
				refused(t, aliceTok, c.URI, "", http.Header{"Origin": {o}}, http.StatusForbidden, "forbidden")
			}
			host := strings.TrimPrefix(s.url, "http://")
			for _, o := range []string{"https://app.example.com", "http://" + host} {
				ws, _, err := s.dialRaw(aliceTok, c.URI, "", http.Header{"Origin": {o}})
				if err != nil {
					t.Fatalf("origin %s refused: %v", o, err)
				}
				ws.presence(wait)
			}
		})
		t.Run("tickets are one use and for one chat", func(t *testing.T) {
			r := s.do(http.MethodPost, "/api/v1/chats/"+c.URI+"/tickets", aliceTok, "")
			expect(t, r, http.StatusCreated)
			tk := decode[struct {
				Ticket    string
				ExpiresAt time.Time `json:"expires_at"`
			}](t, r)
			if len(tk.Ticket) < 40 || time.Until(tk.ExpiresAt) > 61*time.Second || time.Until(tk.ExpiresAt) < 50*time.Second {
				t.Fatalf("ticket = %+v", tk)
			}
			refused(t, "", other.URI, "ticket="+url.QueryEscape(tk.Ticket), nil, http.StatusUnauthorized, "unauthorized")
			// A ticket tried on the wrong chat is spent too.
			tk2 := decode[struct{ Ticket string }](t, s.do(http.MethodPost, "/api/v1/chats/"+c.URI+"/tickets", aliceTok, ""))
			ws, _, err := s.dialRaw("", c.URI, "ticket="+url.QueryEscape(tk2.Ticket), nil)
			if err != nil {
				t.Fatal(err)
			}
			ws.presence(wait)
			refused(t, "", c.URI, "ticket="+url.QueryEscape(tk2.Ticket), nil, http.StatusUnauthorized, "unauthorized")
		})
	})
}

func TestSocketBadFramesKeepItOpen(t *testing.T) {
	s := startServer(t, dbtest.SQLite(t), options{yaml: "chat:\n  max_message_chars: 20\n"})
	_, tok := s.user("alice")
	c := s.newChat(tok)
	ws := s.dial(tok, c.URI, "")
	ws.presence(wait)
	cases := []struct {
		frame string
		code  string
	}{
		{`not json`, "bad_request"},
		{`{"type":"message","data":{"message":"a"}} trailing`, "bad_request"},
		{`{"type":"typing","data":{}}`, "invalid"},
		{`{"type":"message"}`, "invalid"},
		{`{"type":"message","data":{"message":42}}`, "invalid"},
		{`{"type":"message","data":{"message":""}}`, "invalid"},
		{`{"type":"message","data":{"message":"` + strings.Repeat("x", 21) + `"}}`, "invalid"},
		{`{"type":"message","data":{"message":"ok","client_id":""}}`, "invalid"},
		{`{"type":"message","data":{"message":"` + strings.Repeat("x", 5000) + `"}}`, "too_large"},
	}
	for _, tc := range cases {
		ctx, cancel := contextWithTimeout()
		if err := ws.conn.Write(ctx, websocket.MessageText, []byte(tc.frame)); err != nil {
			t.Fatal(err)
		}
		cancel()
		f := ws.next(wait)
		var e struct{ Code, Message string }
		_ = json.Unmarshal(f.Data, &e)
		if f.Type != "error" || e.Code != tc.code || e.Message == "" {
			t.Errorf("%.40s: got %s %s, want error %s", tc.frame, f.Type, f.Data, tc.code)
		}
	}
	ctx, cancel := contextWithTimeout()
	_ = ws.conn.Write(ctx, websocket.MessageBinary, []byte(`{"type":"message","data":{"message":"bin"}}`))
	cancel()
	if f := ws.next(wait); f.Type != "error" {
		t.Errorf("binary frame: %s %s", f.Type, f.Data)
	}
	ws.send(map[string]any{"type": "message", "data": map[string]any{"message": "still open"}})
	if m := ws.message(wait); m.Message != "still open" || m.ID != 1 {
		t.Fatalf("after bad frames: %+v", m)
	}
}

// TestSocketRepeatedClientIDGetsTheOriginal: a frame repeating a client_id
// (a client retrying after a lost connection, say) is answered with the
// message stored first, as REST answers 200 with it; nothing is stored or
// fanned out twice.
func TestSocketRepeatedClientIDGetsTheOriginal(t *testing.T) {
	s := startServer(t, dbtest.SQLite(t), options{})
	_, tok := s.user("alice")
	c := s.newChat(tok)
	ws := s.dial(tok, c.URI, "")
	ws.presence(wait)
	ws.send(map[string]any{"type": "message", "data": map[string]any{"message": "once", "client_id": "c-7"}})
	first := ws.message(wait)
	ws.send(map[string]any{"type": "message", "data": map[string]any{"message": "twice", "client_id": "c-7"}})
	again := ws.message(wait)
	if first.Message != "once" || again.ID != first.ID || again.Message != "once" || again.ClientID == nil || *again.ClientID != "c-7" {
		t.Fatalf("first %+v, repeat answered with %+v; want the original again", first, again)
	}
	ws.send(map[string]any{"type": "message", "data": map[string]any{"message": "next"}})
	if m := ws.message(wait); m.Message != "next" || m.ID != first.ID+1 {
		t.Fatalf("after the repeat: %+v, want the next id", m)
	}
}

func TestPresenceJoinLeave(t *testing.T) {
	s := startServer(t, dbtest.SQLite(t), options{})
	alice, aliceTok := s.user("alice")
	bob, bobTok := s.user("bob")
	c := s.newChat(aliceTok)
	s.join(bobTok, c.URI)

	a := s.dial(aliceTok, c.URI, "")
	a.presence(wait)
	b1 := s.dial(bobTok, c.URI, "")
	if users := b1.presence(wait); !slices.Equal(users, sorted(alice, bob)) {
		t.Fatalf("presence = %v", users)
	}
	expectUserFrame(t, a, "join", bob)
	// A second socket of bob is no news; closing one of two neither.
	b2 := s.dial(bobTok, c.URI, "")
	b2.presence(wait)
	_ = b2.conn.Close(websocket.StatusNormalClosure, "")
	_ = b1.conn.Close(websocket.StatusNormalClosure, "")
	expectUserFrame(t, a, "leave", bob)
	s.post(aliceTok, c.URI, "after leave")
	if m := a.message(wait); m.Message != "after leave" {
		t.Fatalf("got %+v", m)
	}
}

func TestLeavingClosesSockets(t *testing.T) {
	s := startServer(t, dbtest.SQLite(t), options{})
	_, aliceTok := s.user("alice")
	_, bobTok := s.user("bob")
	c := s.newChat(aliceTok)
	s.join(bobTok, c.URI)
	b := s.dial(bobTok, c.URI, "")
	b.presence(wait)
	expect(t, s.do(http.MethodDelete, "/api/v1/chats/"+c.URI+"/members/me", bobTok, ""), http.StatusNoContent)
	if code := b.closeCode(wait); code != websocket.StatusPolicyViolation {
		t.Fatalf("close code %d, want 1008", code)
	}
}

func expectUserFrame(t *testing.T, c *wsClient, typ, user string) {
	t.Helper()
	f := c.next(wait)
	var d struct{ User string }
	_ = json.Unmarshal(f.Data, &d)
	if f.Type != typ || d.User != user {
		t.Fatalf("frame %s %s, want %s of %s", f.Type, f.Data, typ, user)
	}
}

func sorted(s ...string) []string { slices.Sort(s); return s }

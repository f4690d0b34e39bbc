package chat_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"gomicro/app/chat"
	"gomicro/app/config"
	"gomicro/app/db/dbtest"
	"gomicro/app/redisclient/redistest"
)

// TestMQTTChat drives the chat handlers with paho at MQTT 3.1 and 3.1.1:
// login by password and by token, join (creating a public chat by name),
// say to everyone, a private say, leave, and every error reply; a
// WebSocket member of the same chat sees what it should and no more.
func TestMQTTChat(t *testing.T) {
	for _, version := range []uint{mqtt31, mqtt311} {
		t.Run(fmt.Sprintf("v%d", version), func(t *testing.T) {
			s := startServer(t, dbtest.SQLite(t), options{mqtt: "guest_login: false"})
			alice, _ := s.user("alice")
			bob, bobTok := s.user("bob")
			carol, carolTok := s.user("carol")
			a := s.mqtt("111", version)
			b := s.mqtt("111", version) // mqant's browsers all use this id

			a.refused("Chat/HD_JoinChat/1", `{"roomName":"mqant"}`, "Not Logined")
			a.refused("Login/HD_Login/2", `{"userName":"`+alice+`","passWord":"Hello,anyone!"}`, "wrong username or password")
			a.refused("Login/HD_Login/3", `{"userName":"nobody","passWord":"password1"}`, "wrong username or password")
			a.refused("Login/HD_Login/4", `{"passWord":"password1"}`, `Login takes {"userName","passWord"} or {"token"}`)
			a.refused("Login/HD_Login/5", `{"token":"not-a-token"}`, "missing, expired or revoked bearer token")
			a.login(alice, "password1")
			a.refused("Login/HD_Login/6", `{"token":"`+bobTok+`"}`, "this connection is logged in as another user; reconnect to change user")
			if r := b.ok("Login/HD_Login/1", `{"token":"`+bobTok+`"}`); string(r) != `"login success `+bob+`"` {
				t.Fatalf("token login: %s", r)
			}

			a.refused("Chat/HD_JoinChat/7", `{"roomName":"x"}`, "roomName must be 3-64 of A-Z a-z 0-9 _ -")
			a.refused("Chat/HD_JoinChat/8", `{"roomName":"no/slash"}`, "roomName must be 3-64 of A-Z a-z 0-9 _ -")
			a.refused("Chat/HD_Say/9", `{"roomName":"mqant","content":"hi","target":"*"}`, "No room")
			if users := a.join("mqant"); !slices.Equal(users, []string{alice}) {
				t.Fatalf("join users = %v", users)
			}
			// The room is a chat: alice created and owns it.
			got := decode[chat.ChatBody](t, s.do(http.MethodGet, "/api/v1/chats/mqant", carolTok, ""))
			if got.Owner != alice || !slices.Equal(got.Members, []string{alice}) {
				t.Fatalf("chat mqant = %+v", got)
			}
			b.refused("Chat/HD_Say/10", `{"roomName":"mqant","content":"hi","target":"*"}`, "You haven't been in the room yet")
			b.refused("Chat/HD_Leave/11", `{"roomName":"mqant"}`, "You haven't been in the room yet")
			if users := b.join("mqant"); !slices.Equal(users, sorted(alice, bob)) {
				t.Fatalf("join users = %v", users)
			}
			if u := a.presence("Chat/OnJoin", "mqant"); u != bob {
				t.Fatalf("OnJoin of %s", u)
			}
			// carol joins by REST and opens a socket: the same chat.
			s.join(carolTok, "mqant")
			ws := s.dial(carolTok, "mqant", "")
			if users := ws.presence(wait); !slices.Equal(users, sorted(alice, bob, carol)) {
				t.Fatalf("socket presence = %v", users)
			}
			for _, c := range []*mqttClient{a, b} {
				if u := c.presence("Chat/OnJoin", "mqant"); u != carol {
					t.Fatalf("OnJoin of %s, want %s", u, carol)
				}
			}

			a.say("mqant", "*", "hello all")
			for _, c := range []*mqttClient{a, b} { // the sender included
				if m := c.chat(); m != (onChat{RoomName: "mqant", From: alice, Target: "*", Msg: "hello all"}) {
					t.Fatalf("OnChat %+v", m)
				}
			}
			if m := ws.message(wait); m.User != alice || m.Message != "hello all" || m.Target != nil || m.ID != 1 {
				t.Fatalf("socket got %+v", m)
			}
			// A REST post reaches the MQTT members.
			s.post(carolTok, "mqant", "from rest")
			for _, c := range []*mqttClient{a, b} {
				if m := c.chat(); m != (onChat{RoomName: "mqant", From: carol, Target: "*", Msg: "from rest"}) {
					t.Fatalf("OnChat %+v", m)
				}
			}
			ws.message(wait)

			// Private: only the target gets it over MQTT; the socket of a
			// third member sees nothing, nor does its history.
			b.say("mqant", alice, "psst")
			if m := a.chat(); m != (onChat{RoomName: "mqant", From: bob, Target: alice, Msg: "psst"}) {
				t.Fatalf("private OnChat %+v", m)
			}
			b.quiet("Chat/OnChat")
			a.refused("Chat/HD_Say/12", `{"roomName":"mqant","content":"hi","target":"nobody"}`, "This user haven't been in the room yet")
			a.refused("Chat/HD_Say/13", `{"roomName":"mqant","content":"","target":"*"}`, "message must be 1 to chat.max_message_chars characters")
			a.say("mqant", "*", "after the secret")
			if m := ws.message(wait); m.Message != "after the secret" || m.ID != 4 {
				t.Fatalf("carol's socket got %+v, want id 4 (3 was private to others)", m)
			}
			a.chat()
			b.chat()
			h := decode[history](t, s.do(http.MethodGet, "/api/v1/chats/mqant/messages?after=0", carolTok, ""))
			if !slices.Equal(ids(h.Messages), []int64{1, 2, 4}) {
				t.Fatalf("carol's history ids %v", ids(h.Messages))
			}
			aliceTok := s.token(alice)
			h = decode[history](t, s.do(http.MethodGet, "/api/v1/chats/mqant/messages?after=0", aliceTok, ""))
			if len(h.Messages) != 4 || h.Messages[2].Target == nil || *h.Messages[2].Target != alice || h.Messages[2].User != bob {
				t.Fatalf("alice's history %+v", h.Messages)
			}

			// Bot commands work from MQTT; the answer reaches everyone.
			a.say("mqant", "*", "/echo ping")
			if m := a.chat(); m.Msg != "/echo ping" {
				t.Fatalf("own command %+v", m)
			}
			if m := a.chat(); m.From != chat.BotName || m.Msg != "ping" {
				t.Fatalf("bot answer %+v", m)
			}
			// /stats counts public messages: bob's only one was private, and
			// its count would tell others that he sent it.
			a.say("mqant", "*", "/stats")
			a.chat()
			if m := a.chat(); m.From != chat.BotName || !strings.Contains(m.Msg, bob+": 0") || !strings.Contains(m.Msg, alice+": 4") {
				t.Fatalf("/stats answer %+v", m)
			}

			// Leave: the others see it, and the session can no longer say.
			if r := b.ok("Chat/HD_Leave/14", `{"roomName":"mqant"}`); string(r) != `{"leave":"leave success"}` {
				t.Fatalf("leave: %s", r)
			}
			if u := a.presence("Chat/OnLeave", "mqant"); u != bob {
				t.Fatalf("OnLeave of %s", u)
			}
			expectLeaveFrame(t, ws, bob)
			b.refused("Chat/HD_Say/15", `{"roomName":"mqant","content":"hi","target":"*"}`, "You haven't been in the room yet")
			b.refused("Chat/HD_Leave/16", `{"roomName":"nope-room"}`, "No room")
			b.refused("Chat/HD_Say/17", `not json`, `Say takes {"roomName","content","target"}`)
			b.refused("Chat/HD_Say/18", `{"roomName":}`, "The JSON format is incorrect")

			// A disconnect removes the presence at once.
			a.c.Disconnect(0)
			expectLeaveFrame(t, ws, alice)
		})
	}
}

// expectLeaveFrame skips message frames until user's leave frame.
func expectLeaveFrame(t *testing.T, ws *wsClient, user string) {
	t.Helper()
	f := ws.nextOf("leave", wait)
	var d struct{ User string }
	if err := json.Unmarshal(f.Data, &d); err != nil || d.User != user {
		t.Fatalf("leave frame %s, want %s", f.Data, user)
	}
}

// TestMQTTGuests: with mqtt.guest_login any new name logs in as a guest
// named "<name> (guest)", which no account can be called; names of
// accounts still need their password. Guests take part in public chats
// only, next to WebSocket members.
func TestMQTTGuests(t *testing.T) {
	s := startServer(t, dbtest.SQLite(t), options{mqtt: "guest_login: true"})
	alice, aliceTok := s.user("alice")
	g := s.mqtt("111", mqtt31)
	g.refused("Login/HD_Login/1", `{"userName":"`+alice+`","passWord":"Hello,anyone!"}`, "wrong username or password")
	g.refused("Login/HD_Login/2", `{"userName":"two words","passWord":"Hello,anyone!"}`, "a guest name is 1-24 letters, digits, _ . or -")
	g.refused("Login/HD_Login/3", `{"userName":"bot","passWord":"Hello,anyone!"}`, "wrong username or password")
	if r := g.ok("Login/HD_Login/4", `{"userName":"小明","passWord":"Hello,anyone!"}`); string(r) != `"login success 小明 (guest)"` {
		t.Fatalf("guest login: %s", r)
	}
	const guest = "小明 (guest)"
	if users := g.join("mqant"); !slices.Equal(users, []string{guest}) {
		t.Fatalf("users %v", users)
	}
	// A chat made by a guest has no owner and no account member.
	if c := decode[chat.ChatBody](t, s.do(http.MethodGet, "/api/v1/chats/mqant", aliceTok, "")); c.Owner != "" || len(c.Members) != 0 {
		t.Fatalf("guest's chat %+v", c)
	}
	private := s.newChat(aliceTok)
	g.refused("Chat/HD_JoinChat/5", `{"roomName":"`+private.URI+`"}`, "guests may join public chats only")

	s.join(aliceTok, "mqant")
	ws := s.dial(aliceTok, "mqant", "")
	if users := ws.presence(wait); !slices.Equal(users, sorted(alice, guest)) {
		t.Fatalf("socket presence %v", users)
	}
	if u := g.presence("Chat/OnJoin", "mqant"); u != alice {
		t.Fatalf("OnJoin %s", u)
	}
	g.say("mqant", "*", "你好")
	if m := ws.message(wait); m.User != guest || m.Message != "你好" {
		t.Fatalf("socket got %+v", m)
	}
	g.chat()
	s.post(aliceTok, "mqant", "hi guest")
	if m := g.chat(); m.From != alice || m.Msg != "hi guest" {
		t.Fatalf("guest got %+v", m)
	}
	ws.message(wait)

	// Private both ways between an account (socket and MQTT) and a guest.
	a := s.mqtt("111", mqtt311)
	a.login(alice, "password1")
	a.join("mqant")
	a.say("mqant", guest, "for you")
	if m := g.chat(); m.Target != guest || m.Msg != "for you" {
		t.Fatalf("guest's private %+v", m)
	}
	if m := ws.message(wait); m.Target == nil || *m.Target != guest || m.User != alice {
		t.Fatalf("the sender's socket got %+v", m)
	}
	g.say("mqant", alice, "back to you")
	if m := a.chat(); m.From != guest || m.Target != alice {
		t.Fatalf("alice's private %+v", m)
	}
	if m := ws.message(wait); m.User != guest || *m.Target != alice {
		t.Fatalf("the target's socket got %+v", m)
	}
	// The bot's /members names the guest among those online.
	a.say("mqant", "*", "/members")
	a.chat()
	if m := a.chat(); m.From != chat.BotName || m.Msg != "1 members: "+alice+" (online); guests online: "+guest {
		t.Fatalf("/members = %+v", m)
	}
	g.refused("Login/HD_Login/6", `{"userName":"other","passWord":"x"}`, "this connection is logged in as another user; reconnect to change user")
	g.ok("Login/HD_Login/7", `{"userName":"小明","passWord":"x"}`) // the same name again is fine
}

// TestMQTTSessionLeavesWhenLeftByREST: leaving the chat over REST takes
// the user's MQTT sessions out of it too; they are told with their own
// Chat/OnLeave.
func TestMQTTSessionLeavesWhenLeftByREST(t *testing.T) {
	s := startServer(t, dbtest.SQLite(t), options{mqtt: "guest_login: false"})
	alice, aliceTok := s.user("alice")
	a := s.mqtt("a", mqtt311)
	a.login(alice, "password1")
	a.join("lobby")
	expect(t, s.do(http.MethodDelete, "/api/v1/chats/lobby/members/me", aliceTok, ""), http.StatusNoContent)
	if u := a.presence("Chat/OnLeave", "lobby"); u != alice {
		t.Fatalf("OnLeave of %s", u)
	}
	a.refused("Chat/HD_Say/1", `{"roomName":"lobby","content":"hi","target":"*"}`, "You haven't been in the room yet")
	if users := a.join("lobby"); !slices.Equal(users, []string{alice}) { // rejoining makes her a member again
		t.Fatalf("users %v", users)
	}
	a.say("lobby", "*", "back")
	a.chat()
}

// TestMQTTKeepaliveExpiryLeaves: a client that goes silent past its
// keepalive is dropped by the broker, and its presence goes with it.
func TestMQTTKeepaliveExpiryLeaves(t *testing.T) {
	s := startServer(t, dbtest.SQLite(t), options{mqtt: "guest_login: false"})
	_, aliceTok := s.user("alice")
	bob, bobTok := s.user("bob")
	raw := dialRawMQTT(t, s.gateway.Addr().String(), 1) // keepalive 1 s
	raw.call(t, "Login/HD_Login/1", `{"token":"`+bobTok+`"}`)
	raw.call(t, "Chat/HD_JoinChat/2", `{"roomName":"quiet"}`)
	s.join(aliceTok, "quiet")
	ws := s.dial(aliceTok, "quiet", "")
	if users := ws.presence(wait); !slices.Contains(users, bob) {
		t.Fatalf("presence %v lacks %s", users, bob)
	}
	start := time.Now()
	expectLeaveFrame(t, ws, bob) // the client sends nothing more, not even PINGREQ
	if d := time.Since(start); d > 4*time.Second {
		t.Fatalf("leave %s after the last packet", d)
	}
}

// TestMQTTLoginSharesTheSignInLimit: failed MQTT logins count toward
// auth.max_login_failures like REST sign-ins, and past it both refuse even
// the right password.
func TestMQTTLoginSharesTheSignInLimit(t *testing.T) {
	s := startServer(t, dbtest.SQLite(t), options{mqtt: "guest_login: true", yaml: "auth:\n  max_login_failures: 3\n"})
	alice, _ := s.user("alice")
	c := s.mqtt("c", mqtt311)
	for range 3 {
		c.refused("Login/HD_Login/1", `{"userName":"`+alice+`","passWord":"wrong"}`, "wrong username or password")
	}
	c.refused("Login/HD_Login/2", `{"userName":"`+alice+`","passWord":"password1"}`, "too many failed sign-ins for this username; wait a minute")
	r := s.do(http.MethodPost, "/api/v1/auth/tokens", "", `{"username":"`+alice+`","password":"password1"}`)
	expectError(t, r, http.StatusTooManyRequests, "too_many_requests")
}

// TestMQTTRoomsOnBothDrivers: room names up to 64 characters are chats on
// SQLite and MariaDB alike (the uri column was widened for them).
func TestMQTTRoomsOnBothDrivers(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, cfg config.Database) {
		s := startServer(t, cfg, options{mqtt: "guest_login: false"})
		alice, aliceTok := s.user("alice")
		c := s.mqtt("c", mqtt311)
		c.login(alice, "password1")
		long := strings.Repeat("r", 64)
		c.join(long)
		c.say(long, alice, "note to self")
		if m := c.chat(); m.Target != alice || m.Msg != "note to self" {
			t.Fatalf("OnChat %+v", m)
		}
		h := decode[history](t, s.do(http.MethodGet, "/api/v1/chats/"+long+"/messages", aliceTok, ""))
		if len(h.Messages) != 1 || h.Messages[0].URI != long || *h.Messages[0].Target != alice {
			t.Fatalf("history %+v", h.Messages)
		}
		c.refused("Chat/HD_JoinChat/1", `{"roomName":"`+long+`r"}`, "roomName must be 3-64 of A-Z a-z 0-9 _ -")
	})
}

// TestMQTTAndWebSocketAcrossInstances: two instances on one MariaDB
// database and the real Redis; an MQTT client on A and a WebSocket client
// on B meet in one chat: presence, messages both ways, a private message.
func TestMQTTAndWebSocketAcrossInstances(t *testing.T) {
	dbcfg := dbtest.MySQL(t)
	rcfg := redistest.Config(t)
	gdb := openDB(t, dbcfg)
	a := startServer(t, dbcfg, options{gdb: gdb, redis: &rcfg, mqtt: "guest_login: true"})
	b := startServer(t, dbcfg, options{gdb: gdb, redis: &rcfg})
	bob, bobTok := b.user("bob")

	m := a.mqtt("111", mqtt31)
	m.ok("Login/HD_Login/1", `{"userName":"ann","passWord":"Hello,anyone!"}`)
	const ann = "ann (guest)"
	m.join("mqant")
	b.join(bobTok, "mqant")
	ws := b.dial(bobTok, "mqant", "")
	if users := ws.presence(wait); !slices.Equal(users, sorted(ann, bob)) {
		t.Fatalf("presence on B = %v, want the guest on A and bob", users)
	}
	if u := m.presence("Chat/OnJoin", "mqant"); u != bob {
		t.Fatalf("OnJoin on A of %s", u)
	}
	for i := range 3 {
		text := fmt.Sprintf("A→B %d", i)
		m.say("mqant", "*", text)
		if got := ws.message(time.Second); got.User != ann || got.Message != text {
			t.Fatalf("B got %+v", got)
		}
		m.chat()
		text = fmt.Sprintf("B→A %d", i)
		ws.send(map[string]any{"type": "message", "data": map[string]any{"message": text}})
		if got := m.chat(); got.From != bob || got.Msg != text || got.Target != "*" {
			t.Fatalf("A got %+v", got)
		}
		ws.message(time.Second)
	}
	m.say("mqant", bob, "just for bob")
	if got := ws.message(time.Second); got.Target == nil || *got.Target != bob || got.User != ann {
		t.Fatalf("private on B: %+v", got)
	}
	_ = ws.conn.CloseNow()
	if u := m.presence("Chat/OnLeave", "mqant"); u != bob {
		t.Fatalf("OnLeave on A of %s", u)
	}
	// The guest's disconnect on A reaches B at once.
	ws2 := b.dial(bobTok, "mqant", "")
	ws2.presence(wait)
	m.presence("Chat/OnJoin", "mqant")
	m.c.Disconnect(0)
	expectLeaveFrame(t, ws2, ann)
}

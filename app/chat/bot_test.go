package chat_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"gomicro/app/chat"
	"gomicro/app/config"
	"gomicro/app/db/dbtest"
	"gomicro/app/module"
)

// botReply posts text and returns the bot's answer as a socket sees it.
func botReply(t *testing.T, s *server, ws *wsClient, tok, uri, text string) chat.Message {
	t.Helper()
	s.post(tok, uri, text)
	for {
		m := ws.message(wait)
		if m.User == chat.BotName {
			return m
		}
	}
}

func TestBot(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, cfg config.Database) {
		// Another module adds a command with one line in its Spec.
		extra := module.Spec{Name: "extra", Commands: []module.Command{
			{Name: "shout", Usage: "/shout TEXT", Summary: "upper-cases TEXT", Run: func(_ context.Context, in module.Invocation) (string, error) {
				return strings.ToUpper(in.Args) + " (asked by " + in.User + ")", nil
			}},
			{Name: "broken", Usage: "/broken", Summary: "always fails", Run: func(context.Context, module.Invocation) (string, error) {
				return "", errors.New("secret internal detail")
			}},
		}}
		s := startServer(t, cfg, options{extra: []module.Spec{extra}})
		alice, aliceTok := s.user("alice")
		bob, bobTok := s.user("bob")
		c := s.newChat(aliceTok)
		s.join(bobTok, c.URI)
		ws := s.dial(aliceTok, c.URI, "")
		ws.presence(wait)

		help := botReply(t, s, ws, aliceTok, c.URI, "/help")
		for _, want := range []string{"/help", "/echo TEXT", "/time", "/members", "/stats", "/shout TEXT"} {
			if !strings.Contains(help.Message, want) {
				t.Errorf("/help lacks %s: %q", want, help.Message)
			}
		}
		if m := botReply(t, s, ws, aliceTok, c.URI, "/echo hello  world"); m.Message != "hello  world" {
			t.Errorf("/echo = %q", m.Message)
		}
		if m := botReply(t, s, ws, aliceTok, c.URI, "/echo\nline two"); m.Message != "line two" {
			t.Errorf("/echo on the next line = %q", m.Message)
		}
		if m := botReply(t, s, ws, bobTok, c.URI, "/shout hi"); m.Message != "HI (asked by "+bob+")" {
			t.Errorf("/shout = %q", m.Message)
		}
		if m := botReply(t, s, ws, aliceTok, c.URI, "/time"); !strings.Contains(m.Message, ":") || !strings.Contains(m.Message, "20") {
			t.Errorf("/time = %q", m.Message)
		}
		if m := botReply(t, s, ws, aliceTok, c.URI, "/members"); !strings.Contains(m.Message, alice+" (owner) (online)") || !strings.Contains(m.Message, bob) || strings.Contains(m.Message, bob+" (online)") {
			t.Errorf("/members = %q", m.Message)
		}
		if m := botReply(t, s, ws, aliceTok, c.URI, "/nope"); !strings.Contains(m.Message, "/help") || !strings.Contains(m.Message, "/nope") {
			t.Errorf("unknown command answer = %q", m.Message)
		}
		if m := botReply(t, s, ws, aliceTok, c.URI, "/broken"); strings.Contains(m.Message, "secret") || !strings.Contains(m.Message, "/broken") {
			t.Errorf("failing command answer = %q", m.Message)
		}
		// The bot never answers itself: its "/help" (from /echo) is no command.
		if m := botReply(t, s, ws, aliceTok, c.URI, "/echo /help"); m.Message != "/help" {
			t.Errorf("/echo /help = %q", m.Message)
		}
		if m := botReply(t, s, ws, aliceTok, c.URI, "/echo done"); m.Message != "done" {
			t.Fatalf("after the bot's /help came %q, not the next answer", m.Message)
		}
		stats := botReply(t, s, ws, aliceTok, c.URI, "/stats")
		// alice posted 9 commands before /stats and /stats itself, bob 1; the
		// bot is no member, so it is not listed.
		if strings.Contains(stats.Message, chat.BotName) || !strings.Contains(stats.Message, alice+": 10") || !strings.Contains(stats.Message, bob+": 1") {
			t.Errorf("/stats = %q", stats.Message)
		}

		// Answers are stored and paged like any message.
		h := decode[history](t, s.do(http.MethodGet, "/api/v1/chats/"+c.URI+"/messages?after=0&limit=100", bobTok, ""))
		var fromBot int
		for i, m := range h.Messages {
			if m.ID != int64(i+1) {
				t.Fatalf("ids %v", ids(h.Messages))
			}
			if m.User == chat.BotName {
				fromBot++
			}
		}
		if fromBot != 11 || len(h.Messages) != 22 {
			t.Fatalf("history: %d messages, %d from the bot; want 22 and 11", len(h.Messages), fromBot)
		}
	})
}

// TestBotAccountIsReserved: nobody can sign up or sign in as the bot.
func TestBotAccountIsReserved(t *testing.T) {
	s := startServer(t, dbtest.SQLite(t), options{})
	for _, name := range []string{"bot", "BOT"} {
		expectError(t, s.do(http.MethodPost, "/api/v1/auth/users", "", `{"username":"`+name+`","password":"password1"}`), http.StatusConflict, "conflict")
	}
	for _, pw := range []string{"!", "", "password1"} {
		r := s.do(http.MethodPost, "/api/v1/auth/tokens", "", `{"username":"bot","password":"`+pw+`"}`)
		if r.status != http.StatusUnauthorized && r.status != http.StatusUnprocessableEntity {
			t.Fatalf("sign in as bot with %q: %d", pw, r.status)
		}
	}
}

// TestDuplicateCommandNamesFailStart: two modules claiming one command is
// a start-up error, not a silent choice.
func TestDuplicateCommandNamesFailStart(t *testing.T) {
	gdb := openDB(t, dbtest.SQLite(t))
	dup := module.Command{Name: "echo", Usage: "/echo", Summary: "x", Run: func(context.Context, module.Invocation) (string, error) { return "", nil }}
	_, cfg := loadConfig(t, "")
	store := config.NewStore(cfg, config.Meta{})
	spec := chat.Module(chat.Deps{Store: store, DB: gdb, Users: nil, Commands: func() []module.Command {
		return append(chat.Module(chat.Deps{Store: store, DB: gdb}).Commands, dup)
	}})
	if err := spec.Start(context.Background()); err == nil || !strings.Contains(err.Error(), "/echo") {
		t.Fatalf("start = %v, want a duplicate /echo error", err)
	}
}

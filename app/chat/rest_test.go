package chat_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"gomicro/app/chat"
	"gomicro/app/config"
	"gomicro/app/db/dbtest"
)

type history struct {
	Messages []chat.Message `json:"messages"`
	HasMore  bool           `json:"has_more"`
}

func ids(ms []chat.Message) []int64 {
	out := make([]int64, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

func TestChatREST(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, cfg config.Database) {
		s := startServer(t, cfg, options{yaml: "chat:\n  max_message_chars: 10\n"})
		alice, aliceTok := s.user("alice")
		bob, bobTok := s.user("bob")
		_, eveTok := s.user("eve")

		c := s.newChat(aliceTok)
		if len(c.URI) < 22 || strings.ContainsAny(c.URI, "+/=") || c.Owner != alice || !slices.Equal(c.Members, []string{alice}) || c.CreatedAt.IsZero() {
			t.Fatalf("created = %+v", c)
		}
		if other := s.newChat(aliceTok); other.URI == c.URI {
			t.Fatal("two chats share a uri")
		}
		base := "/api/v1/chats/" + c.URI

		t.Run("without a token every call is 401", func(t *testing.T) {
			for _, r := range []struct{ method, path string }{
				{http.MethodPost, "/api/v1/chats"}, {http.MethodGet, "/api/v1/chats"}, {http.MethodGet, base},
				{http.MethodPost, base + "/members"}, {http.MethodDelete, base + "/members/me"},
				{http.MethodPost, base + "/messages"}, {http.MethodGet, base + "/messages"}, {http.MethodPost, base + "/tickets"},
			} {
				expectError(t, s.do(r.method, r.path, "", ""), http.StatusUnauthorized, "unauthorized")
				expectError(t, s.do(r.method, r.path, "not-a-token", ""), http.StatusUnauthorized, "unauthorized")
			}
		})
		t.Run("unknown uri is 404", func(t *testing.T) {
			for _, r := range []struct{ method, path string }{
				{http.MethodGet, "/api/v1/chats/nope"}, {http.MethodPost, "/api/v1/chats/nope/members"},
				{http.MethodGet, "/api/v1/chats/nope/messages"}, {http.MethodPost, "/api/v1/chats/nope/tickets"},
				{http.MethodDelete, "/api/v1/chats/nope/members/me"},
			} {
				expectError(t, s.do(r.method, r.path, bobTok, ""), http.StatusNotFound, "not_found")
			}
			expectError(t, s.do(http.MethodPost, "/api/v1/chats/nope/messages", bobTok, `{"message":"hi"}`), http.StatusNotFound, "not_found")
		})
		t.Run("non-members may look but not read or post", func(t *testing.T) {
			expect(t, s.do(http.MethodGet, base, eveTok, ""), http.StatusOK)
			expectError(t, s.do(http.MethodGet, base+"/messages", eveTok, ""), http.StatusForbidden, "forbidden")
			expectError(t, s.do(http.MethodPost, base+"/messages", eveTok, `{"message":"hi"}`), http.StatusForbidden, "forbidden")
			expectError(t, s.do(http.MethodPost, base+"/tickets", eveTok, ""), http.StatusForbidden, "forbidden")
		})
		t.Run("join is idempotent and lists owner first", func(t *testing.T) {
			for range 2 {
				r := s.do(http.MethodPost, base+"/members", bobTok, "")
				expect(t, r, http.StatusOK)
				if got := decode[struct{ Members []string }](t, r).Members; !slices.Equal(got, []string{alice, bob}) {
					t.Fatalf("members = %v", got)
				}
			}
			got := decode[chat.ChatBody](t, s.do(http.MethodGet, base, bobTok, ""))
			if got.URI != c.URI || got.Owner != alice || !slices.Equal(got.Members, []string{alice, bob}) {
				t.Fatalf("chat = %+v", got)
			}
			list := decode[struct {
				Chats   []chat.ChatBody
				HasMore bool `json:"has_more"`
			}](t, s.do(http.MethodGet, "/api/v1/chats", bobTok, ""))
			if len(list.Chats) != 1 || list.Chats[0].URI != c.URI || list.HasMore {
				t.Fatalf("bob's chats = %+v", list)
			}
			aliceList := decode[struct{ Chats []chat.ChatBody }](t, s.do(http.MethodGet, "/api/v1/chats?limit=1", aliceTok, ""))
			if len(aliceList.Chats) != 1 {
				t.Fatalf("limit ignored: %+v", aliceList)
			}
		})
		t.Run("message length limits are 422", func(t *testing.T) {
			expectError(t, s.do(http.MethodPost, base+"/messages", bobTok, `{"message":""}`), http.StatusUnprocessableEntity, "invalid")
			expectError(t, s.do(http.MethodPost, base+"/messages", bobTok, `{"message":"12345678901"}`), http.StatusUnprocessableEntity, "invalid")
			expectError(t, s.do(http.MethodPost, base+"/messages", bobTok, `{}`), http.StatusUnprocessableEntity, "invalid")
			// Characters, not bytes: ten CJK characters are 30 bytes.
			m := s.post(bobTok, c.URI, strings.Repeat("字", 10))
			if m.Message != strings.Repeat("字", 10) || m.User != bob || m.URI != c.URI || m.ClientID != nil {
				t.Fatalf("posted = %+v", m)
			}
		})
		t.Run("a repeated client_id returns the original", func(t *testing.T) {
			first := s.do(http.MethodPost, base+"/messages", bobTok, `{"message":"once","client_id":"c-1"}`)
			expect(t, first, http.StatusCreated)
			again := s.do(http.MethodPost, base+"/messages", bobTok, `{"message":"twice","client_id":"c-1"}`)
			expect(t, again, http.StatusOK)
			a, b := decode[chat.Message](t, first), decode[chat.Message](t, again)
			if a.ID != b.ID || b.Message != "once" || b.ClientID == nil || *b.ClientID != "c-1" || !a.CreatedAt.Equal(b.CreatedAt) {
				t.Fatalf("first %+v, again %+v", a, b)
			}
			// The same client_id from another user is another message.
			expect(t, s.do(http.MethodPost, base+"/messages", aliceTok, `{"message":"mine","client_id":"c-1"}`), http.StatusCreated)
			expectError(t, s.do(http.MethodPost, base+"/messages", bobTok, `{"message":"x","client_id":"`+strings.Repeat("x", 65)+`"}`), http.StatusUnprocessableEntity, "invalid")
		})
		t.Run("history pages in ascending id order", func(t *testing.T) {
			for i := range 7 {
				s.post(aliceTok, c.URI, fmt.Sprintf("m%d", i))
			}
			all := decode[history](t, s.do(http.MethodGet, base+"/messages?after=0&limit=100", bobTok, ""))
			if len(all.Messages) != 10 || all.HasMore {
				t.Fatalf("all = %d messages, more %v: %+v", len(all.Messages), all.HasMore, all.Messages)
			}
			for i, m := range all.Messages {
				if m.ID != int64(i+1) {
					t.Fatalf("ids = %v, want 1..10", ids(all.Messages))
				}
			}
			cases := []struct {
				query string
				want  []int64
				more  bool
			}{
				{"after=0&limit=3", []int64{1, 2, 3}, true},
				{"after=3&limit=3", []int64{4, 5, 6}, true},
				{"after=7", []int64{8, 9, 10}, false},
				{"limit=3", []int64{8, 9, 10}, true},
				{"before=8&limit=3", []int64{5, 6, 7}, true},
				{"before=3", []int64{1, 2}, false},
				{"after=2&before=6", []int64{3, 4, 5}, false},
				{"after=2&before=6&limit=2", []int64{3, 4}, true},
				{"after=10", []int64{}, false},
			}
			for _, tc := range cases {
				h := decode[history](t, s.do(http.MethodGet, base+"/messages?"+tc.query, bobTok, ""))
				if !slices.Equal(ids(h.Messages), tc.want) || h.HasMore != tc.more {
					t.Errorf("%s: ids %v more %v, want %v %v", tc.query, ids(h.Messages), h.HasMore, tc.want, tc.more)
				}
			}
			for _, q := range []string{"limit=101", "limit=0", "after=-1", "before=-1", "after=x"} {
				expectError(t, s.do(http.MethodGet, base+"/messages?"+q, bobTok, ""), http.StatusUnprocessableEntity, "invalid")
			}
			if def := decode[history](t, s.do(http.MethodGet, base+"/messages", bobTok, "")); len(def.Messages) != 10 {
				t.Errorf("default page has %d messages", len(def.Messages))
			}
		})
		t.Run("leave ends reading and posting", func(t *testing.T) {
			expect(t, s.do(http.MethodDelete, base+"/members/me", bobTok, ""), http.StatusNoContent)
			expect(t, s.do(http.MethodDelete, base+"/members/me", bobTok, ""), http.StatusNoContent)
			expectError(t, s.do(http.MethodGet, base+"/messages", bobTok, ""), http.StatusForbidden, "forbidden")
			if got := decode[chat.ChatBody](t, s.do(http.MethodGet, base, aliceTok, "")); !slices.Equal(got.Members, []string{alice}) {
				t.Fatalf("members after leave = %v", got.Members)
			}
		})
		t.Run("the OpenAPI document has every call with bearer auth", func(t *testing.T) {
			doc := string(s.do(http.MethodGet, "/openapi.json", "", "").body)
			for _, want := range []string{`"/api/v1/chats/{uri}/messages"`, `"/api/v1/chats/{uri}/tickets"`, `"/api/v1/chats/{uri}/members/me"`, `"/api/v1/auth/tokens"`, `"bearerAuth"`, `"too_many_requests"`} {
				if !strings.Contains(doc, want) {
					t.Errorf("openapi.json lacks %s", want)
				}
			}
		})
	})
}

// TestConcurrentPostsGetConsecutiveIDs: racing writers in one chat get ids
// 1..n with no gap or repeat, and racing repeats of one client_id store
// one message.
func TestConcurrentPostsGetConsecutiveIDs(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, cfg config.Database) {
		s := startServer(t, cfg, options{})
		_, tok := s.user("racer")
		c := s.newChat(tok)
		const writers, each = 4, 10
		done := make(chan []int, writers)
		for w := range writers {
			go func() {
				var statuses []int
				for i := range each {
					body := fmt.Sprintf(`{"message":"w%d-%d"}`, w, i)
					if i%2 == 0 {
						body = fmt.Sprintf(`{"message":"dup","client_id":"same-%d"}`, i)
					}
					statuses = append(statuses, s.do(http.MethodPost, "/api/v1/chats/"+c.URI+"/messages", tok, body).status)
				}
				done <- statuses
			}()
		}
		for range writers {
			for _, st := range <-done {
				if st != http.StatusCreated && st != http.StatusOK {
					t.Fatalf("status %d", st)
				}
			}
		}
		h := decode[history](t, s.do(http.MethodGet, "/api/v1/chats/"+c.URI+"/messages?after=0&limit=100", tok, ""))
		want := writers*each/2 + each/2 // odd posts all stored; each even client_id once
		if len(h.Messages) != want {
			t.Fatalf("%d messages, want %d", len(h.Messages), want)
		}
		for i, m := range h.Messages {
			if m.ID != int64(i+1) {
				t.Fatalf("ids = %v", ids(h.Messages))
			}
		}
	})
}

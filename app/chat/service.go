package chat

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gomicro/app/auth"
	"gomicro/app/config"
	"gomicro/app/db"
)

// uriBytes is the randomness of a chat's uri: 128 bits, so the invitation
// cannot be guessed.
const uriBytes = 16

// Service holds the chat rules: who may read and post where, message
// limits, idempotent posts, and the events each change publishes.
type Service struct {
	store    *Store
	cfg      *config.Store
	relay    *relay
	presence *presence
	bot      *Bot
	metrics  *metrics
	now      func() time.Time
}

// CreateChat makes a chat owned by owner, its first member.
func (s *Service) CreateChat(ctx context.Context, owner auth.User) (Chat, error) {
	for attempt := 0; ; attempt++ {
		b := make([]byte, uriBytes)
		_, _ = rand.Read(b)
		row := &chatRow{URI: base64.RawURLEncoding.EncodeToString(b), OwnerID: owner.ID, CreatedAt: s.now().UTC()}
		err := s.store.createChat(ctx, row)
		if db.IsUniqueViolation(err) && attempt < 3 {
			continue // a 128-bit clash: take another
		}
		if err != nil {
			return Chat{}, fmt.Errorf("create chat: %w", err)
		}
		return toChat(*row, roster{Owner: owner.Username, Members: []string{owner.Username}}), nil
	}
}

// Chat returns the chat at uri with its members; anyone who has the uri
// may see it (it is the invitation). Unknown: ErrChatNotFound.
func (s *Service) Chat(ctx context.Context, uri string) (Chat, error) {
	row, err := s.store.chatByURI(ctx, uri)
	if err != nil {
		return Chat{}, err
	}
	members, err := s.store.members(ctx, []chatRow{row})
	if err != nil {
		return Chat{}, err
	}
	return toChat(row, members[row.ID]), nil
}

// Chats returns a page of the user's chats, most recently joined first.
func (s *Service) Chats(ctx context.Context, user auth.User, offset, limit int) ([]Chat, bool, error) {
	rows, more, err := s.store.chatsOf(ctx, user.ID, offset, limit)
	if err != nil || len(rows) == 0 {
		return nil, more, err
	}
	members, err := s.store.members(ctx, rows)
	if err != nil {
		return nil, false, err
	}
	out := make([]Chat, len(rows))
	for i, r := range rows {
		out[i] = toChat(r, members[r.ID])
	}
	return out, more, nil
}

// Join makes user a member of the chat at uri (again: no change) and
// returns the members.
func (s *Service) Join(ctx context.Context, user auth.User, uri string) ([]string, error) {
	row, err := s.store.chatByURI(ctx, uri)
	if err != nil {
		return nil, err
	}
	if _, err := s.store.join(ctx, row.ID, user.ID, s.now().UTC()); err != nil {
		return nil, err
	}
	members, err := s.store.members(ctx, []chatRow{row})
	return members[row.ID].Members, err
}

// Leave ends user's membership of the chat at uri and closes their sockets
// on it, on every instance. Leaving a chat one is not in is no error.
func (s *Service) Leave(ctx context.Context, user auth.User, uri string) error {
	row, err := s.store.chatByURI(ctx, uri)
	if err != nil {
		return err
	}
	left, err := s.store.leave(ctx, row.ID, user.ID)
	if err == nil && left {
		s.relay.publish(ctx, Event{Type: EventKick, Chat: row.URI, User: user.Username})
	}
	return err
}

// member returns the chat at uri when user belongs to it, else an error
// wrapping ErrChatNotFound or ErrNotMember.
func (s *Service) member(ctx context.Context, user auth.User, uri string) (chatRow, error) {
	row, err := s.store.chatByURI(ctx, uri)
	if err != nil {
		return chatRow{}, err
	}
	ok, err := s.store.isMember(ctx, row.ID, user.ID)
	if err != nil {
		return chatRow{}, err
	}
	if !ok {
		return chatRow{}, ErrNotMember
	}
	return row, nil
}

// Post stores a member's message and pushes it to the chat's sockets. A
// client_id the user already used in this chat returns that message with
// created false, and nothing is stored or pushed. A message starting with
// "/" is also handed to the bot, which answers asynchronously. Errors wrap
// ErrChatNotFound, ErrNotMember or ErrMessageSize.
func (s *Service) Post(ctx context.Context, user auth.User, uri, text string, clientID *string) (Message, bool, error) {
	row, err := s.member(ctx, user, uri)
	if err != nil {
		return Message{}, false, err
	}
	m, created, err := s.post(ctx, row, user, text, clientID, nil)
	if err == nil && created {
		s.command(ctx, row, user, text)
	}
	return m, created, err
}

// command hands a chat message starting with "/" to the bot, which
// answers asynchronously; the bot's own messages are never commands.
func (s *Service) command(ctx context.Context, row chatRow, user auth.User, text string) {
	if user.Username != BotName && strings.HasPrefix(text, "/") {
		s.bot.enqueue(ctx, row, user.Username, text)
	}
}

// post is the one path every message takes, the bot's included. target
// (a username) makes the message private to its author and target.
func (s *Service) post(ctx context.Context, row chatRow, user auth.User, text string, clientID, target *string) (Message, bool, error) {
	if n := utf8.RuneCountInString(text); n < 1 || n > s.cfg.Current().Chat.MaxMessageChars || !utf8.ValidString(text) {
		return Message{}, false, ErrMessageSize
	}
	stored, created, err := s.store.post(ctx, messageRow{
		ChatID: row.ID, UserID: user.ID, Username: user.Username, Body: text, ClientID: clientID, Target: target, CreatedAt: s.now().UTC(),
	})
	if err != nil {
		return Message{}, false, err
	}
	m := toMessage(stored, row.URI)
	if created {
		s.metrics.messages.Inc()
		s.relay.publish(ctx, Event{Type: EventMessage, Chat: row.URI, Message: &m})
	}
	return m, created, nil
}

// History returns a page of the chat's messages in ascending id order; see
// page for the selection. Non-members get ErrNotMember.
func (s *Service) History(ctx context.Context, user auth.User, uri string, p page) ([]Message, bool, error) {
	if p.After < 0 || p.Before < 0 || p.Limit < 1 || p.Limit > 100 {
		return nil, false, ErrBadRange
	}
	row, err := s.member(ctx, user, uri)
	if err != nil {
		return nil, false, err
	}
	p.Viewer = user.Username
	rows, more, err := s.store.messages(ctx, row.ID, p)
	if err != nil {
		return nil, false, err
	}
	out := make([]Message, len(rows))
	for i, r := range rows {
		out[i] = toMessage(r, row.URI)
	}
	return out, more, nil
}

// Ticket issues a one-use socket ticket for a member, valid chat.ticket_ttl:
// browsers cannot set the Authorization header on a WebSocket, and a token
// must never travel in a URL.
func (s *Service) Ticket(ctx context.Context, user auth.User, uri string) (string, time.Time, error) {
	row, err := s.member(ctx, user, uri)
	if err != nil {
		return "", time.Time{}, err
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	ticket := base64.RawURLEncoding.EncodeToString(b)
	now := s.now().UTC()
	expires := now.Add(s.cfg.Current().Chat.TicketTTL)
	if err := s.store.createTicket(ctx, ticketRow{Hash: hashTicket(ticket), ChatID: row.ID, UserID: user.ID, ExpiresAt: expires}, now); err != nil {
		return "", time.Time{}, err
	}
	return ticket, expires, nil
}

// useTicket spends a ticket for the chat at chatID and returns its user id.
func (s *Service) useTicket(ctx context.Context, ticket string, chatID int64) (int64, error) {
	if ticket == "" || len(ticket) > 128 {
		return 0, ErrBadTicket
	}
	t, err := s.store.consumeTicket(ctx, hashTicket(ticket), s.now().UTC())
	if err != nil {
		return 0, err
	}
	if t.ChatID != chatID {
		return 0, ErrBadTicket
	}
	return t.UserID, nil
}

func hashTicket(t string) string {
	sum := sha256.Sum256([]byte(t))
	return hex.EncodeToString(sum[:])
}

func toChat(r chatRow, ro roster) Chat {
	return Chat{ID: r.ID, URI: r.URI, OwnerID: r.OwnerID, Owner: ro.Owner, Members: ro.Members, LastMessageID: r.LastMessageID, Public: r.Public, CreatedAt: r.CreatedAt.UTC()}
}

func toMessage(r messageRow, uri string) Message {
	return Message{ChatID: r.ChatID, ID: r.ID, URI: uri, UserID: r.UserID, User: r.Username, Message: r.Body, ClientID: r.ClientID, Target: r.Target, CreatedAt: r.CreatedAt.UTC()}
}

// Package chat is the real-time chat module: chats addressed by a random
// URI that doubles as the invitation, members, paged history with ids that
// grow by one per chat, WebSocket push through a hub (in process, or across
// instances over Redis pub/sub), a "/" command bot and an embedded page.
// The database is the source of truth: a socket that missed frames (a slow
// client, a Redis outage) catches up from history, by itself or on
// reconnect with after=.
package chat

import (
	"encoding/json"
	"time"

	"gomicro/app/errs"
)

// The module's errors. The web edge maps their codes to 403, 404 and 422;
// on a socket they become error frames with the same codes.
var (
	ErrChatNotFound = errs.E(errs.NotFound, "chat not found")
	ErrNotMember    = errs.E(errs.Forbidden, "join this chat first")
	ErrMessageSize  = errs.E(errs.Invalid, "message must be 1 to chat.max_message_chars characters")
	ErrBadRange     = errs.E(errs.Invalid, "after and before must be at least 0, and limit 1-100")
	ErrBadTicket    = errs.E(errs.Unauthorized, "unknown, used or expired ticket")
	ErrClosing      = errs.E(errs.Unavailable, "the server is shutting down")

	// The MQTT handlers' errors, in mqant's words where mqant has them.
	ErrNoRoom       = errs.E(errs.NotFound, "No room")
	ErrNotInRoom    = errs.E(errs.Forbidden, "You haven't been in the room yet")
	ErrTargetAbsent = errs.E(errs.NotFound, "This user haven't been in the room yet")
	ErrRoomName     = errs.E(errs.Invalid, "roomName must be 3-64 of A-Z a-z 0-9 _ -")
	ErrGuestRoom    = errs.E(errs.Forbidden, "guests may join public chats only")
	ErrSayBody      = errs.E(errs.Invalid, `Say takes {"roomName","content","target"}`)
	ErrRoomBody     = errs.E(errs.Invalid, `this handler takes {"roomName"}`)
)

// BotName is the user the bot posts as; the account exists from the
// module's migration on and cannot sign in.
const BotName = "bot"

// Chat is one chat session. Members lists usernames, owner first.
type Chat struct {
	ID            int64
	URI           string
	OwnerID       int64
	Owner         string
	Members       []string
	LastMessageID int64
	Public        bool // created by name (MQTT's HD_JoinChat), open to guests
	CreatedAt     time.Time
}

// Message is one stored message. ID counts up by one per chat from 1, in
// commit order, so a client knows from ids alone whether it missed one.
type Message struct {
	ChatID   int64   `json:"-"`
	ID       int64   `json:"id" example:"1" doc:"1, 2, 3… within the chat"`
	URI      string  `json:"uri" doc:"The chat's uri"`
	UserID   int64   `json:"-"`
	User     string  `json:"user" example:"alice" doc:"Username of the author; bot for the bot's answers"`
	Message  string  `json:"message"`
	ClientID *string `json:"client_id" required:"true" nullable:"true" doc:"The author's client_id, null when none was given"`
	// Target is set on a private message: only the author and the target
	// see it, in history and live.
	Target    *string   `json:"target,omitempty" doc:"Present on a private message: the one member it is for (only they and the author see it)"`
	CreatedAt time.Time `json:"created_at" doc:"When it was stored (UTC)"`
}

// visibleTo reports whether user may see m: everyone sees a chat message,
// only its two parties a private one.
func (m *Message) visibleTo(user string) bool {
	return m.Target == nil || m.User == user || *m.Target == user
}

// Event is what the hub fans out to the sockets of a chat: a new message,
// a user's first socket opening (join) or last one closing (leave), or a
// member leaving the chat (kick: that user's sockets close).
type Event struct {
	Type    string   `json:"type"`
	Chat    string   `json:"chat"`
	Message *Message `json:"message,omitempty"`
	User    string   `json:"user,omitempty"`

	// frame is the event as sockets receive it and mqtt as MQTT sessions
	// do (its payload), each encoded once per event rather than once per
	// subscriber.
	frame []byte
	mqtt  json.RawMessage
	// echo marks a message sent again to the one socket that repeated
	// its client_id: the client is owed its message back.
	echo bool
}

// withFrame returns ev with its client frame encoded.
func (ev Event) withFrame() Event {
	var data, push any
	switch ev.Type {
	case EventMessage:
		data = ev.Message
		target := "*"
		if ev.Message.Target != nil {
			target = *ev.Message.Target
		}
		push = onChat{RoomName: ev.Chat, From: ev.Message.User, Target: target, Msg: ev.Message.Message}
	case EventJoin, EventLeave:
		data = map[string]string{"user": ev.User}
		push = onPresence{RoomName: ev.Chat, User: ev.User}
	default:
		return ev
	}
	ev.frame, _ = json.Marshal(frame{Type: ev.Type, Data: data})
	ev.mqtt, _ = json.Marshal(push)
	return ev
}

// onChat is the payload of Chat/OnChat, as mqant's chat sends it.
type onChat struct {
	RoomName string `json:"roomName"`
	From     string `json:"from"`
	Target   string `json:"target"`
	Msg      string `json:"msg"`
}

// onPresence is the payload of Chat/OnJoin and Chat/OnLeave.
type onPresence struct {
	RoomName string `json:"roomName"`
	User     string `json:"user"`
}

func (ev Event) encoded() []byte { return ev.frame }

// Event types; kick never reaches a client as such.
const (
	EventMessage = "message"
	EventJoin    = "join"
	EventLeave   = "leave"
	EventKick    = "kick"
)

type chatRow struct {
	ID            int64
	URI           string
	OwnerID       int64
	LastMessageID int64
	Public        bool
	CreatedAt     time.Time
}

func (chatRow) TableName() string { return "chat_chats" }

type memberRow struct {
	ChatID   int64
	UserID   int64
	JoinedAt time.Time
}

func (memberRow) TableName() string { return "chat_members" }

type messageRow struct {
	ChatID    int64 `gorm:"primaryKey;autoIncrement:false"`
	ID        int64 `gorm:"primaryKey;autoIncrement:false"`
	UserID    int64
	Username  string
	Body      string
	ClientID  *string
	Target    *string // username of a private message's one reader
	CreatedAt time.Time
}

func (messageRow) TableName() string { return "chat_messages" }

type ticketRow struct {
	Hash      string `gorm:"primaryKey"`
	ChatID    int64
	UserID    int64
	ExpiresAt time.Time
}

func (ticketRow) TableName() string { return "chat_tickets" }

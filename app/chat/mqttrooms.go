package chat

import (
	"context"
	"sync"

	"gomicro/app/auth"
	"gomicro/app/errs"
	"gomicro/app/module"
)

// errSessionEnded answers a join racing the end of its connection; no
// reply reaches anyone then.
var errSessionEnded = errs.E(errs.Unavailable, "the connection has ended")

// MQTT topics the chat pushes to, mqant's.
const (
	topicOnChat  = "Chat/OnChat"
	topicOnJoin  = "Chat/OnJoin"
	topicOnLeave = "Chat/OnLeave"
)

// rooms knows which chats the MQTT sessions on this instance joined. A
// session in a chat is one subscriber of the hub beside the WebSockets,
// and one presence entry like a socket: joining is opening a socket,
// HD_Leave and the end of the connection are closing it.
type rooms struct {
	svc   *Service
	hub   *Hub
	users *auth.Service

	mu       sync.Mutex
	base     context.Context // logger of the module, for work after a session ended
	sessions map[string]*roomSession
}

func newRooms(svc *Service, hub *Hub, users *auth.Service) *rooms {
	return &rooms{svc: svc, hub: hub, users: users, base: context.Background(), sessions: map[string]*roomSession{}}
}

// setBase gives the work done after a connection ended (its leaves) the
// module's logger.
func (r *rooms) setBase(ctx context.Context) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.base = context.WithoutCancel(ctx)
}

// roomSession is one MQTT connection's part in chats.
type roomSession struct {
	sess  module.Session
	user  auth.User
	mu    sync.Mutex
	in    map[string]*member // by chat uri
	ended bool
}

// member is one MQTT session in one chat: a hub subscriber pushing
// Chat/OnChat, Chat/OnJoin and Chat/OnLeave to the connection.
type member struct {
	rooms *rooms
	rs    *roomSession
	uri   string
}

// session returns the chat state of sess, made on its first chat call: the
// logged-in user (a guest, by name, or an account) and, until the
// connection ends, the chats it joined.
func (r *rooms) session(ctx context.Context, sess module.Session) (*roomSession, error) {
	r.mu.Lock()
	rs := r.sessions[sess.ID()]
	r.mu.Unlock()
	if rs != nil {
		return rs, nil
	}
	user := auth.User{Username: sess.User()}
	if !auth.IsGuest(user.Username) {
		u, err := r.users.UserByName(ctx, user.Username)
		if err != nil {
			return nil, err
		}
		user = u
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if rs := r.sessions[sess.ID()]; rs != nil {
		return rs, nil // a concurrent call of the same session made it
	}
	rs = &roomSession{sess: sess, user: user, in: map[string]*member{}}
	r.sessions[sess.ID()] = rs
	go func() {
		<-sess.Done()
		r.end(rs)
	}()
	return rs, nil
}

// join puts rs into the chat row (again: no change); the others learn of
// it as of a socket opening (join when it is the user's first presence).
func (r *rooms) join(ctx context.Context, rs *roomSession, row chatRow) error {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.ended {
		return errSessionEnded
	}
	if rs.in[row.URI] != nil {
		return nil
	}
	m := &member{rooms: r, rs: rs, uri: row.URI}
	if err := r.hub.add(row.URI, m); err != nil {
		return err
	}
	rs.in[row.URI] = m
	if r.svc.presence.add(ctx, row.URI, rs.user.Username) {
		r.svc.relay.publish(ctx, Event{Type: EventJoin, Chat: row.URI, User: rs.user.Username})
	}
	return nil
}

// joined reports whether rs is in the chat at uri.
func (rs *roomSession) joined(uri string) bool {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.in[uri] != nil
}

// leave takes rs out of the chat at uri. Errors: ErrNotInRoom.
func (r *rooms) leave(ctx context.Context, rs *roomSession, uri string) error {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	m := rs.in[uri]
	if m == nil {
		return ErrNotInRoom
	}
	r.leaveLocked(ctx, m)
	return nil
}

func (r *rooms) leaveLocked(ctx context.Context, m *member) {
	delete(m.rs.in, m.uri)
	r.hub.remove(m.uri, m)
	if r.svc.presence.remove(ctx, m.uri, m.rs.user.Username) {
		r.svc.relay.publish(ctx, Event{Type: EventLeave, Chat: m.uri, User: m.rs.user.Username})
	}
}

// end leaves every chat of a connection that ended, at once: the others
// see the leave without waiting for any timeout.
func (r *rooms) end(rs *roomSession) {
	r.mu.Lock()
	delete(r.sessions, rs.sess.ID())
	ctx := r.base
	r.mu.Unlock()
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.ended = true
	for _, m := range rs.in {
		r.leaveLocked(ctx, m)
	}
}

// kicked follows the user leaving the chat (REST): this session is out of
// it too, and told so with its own Chat/OnLeave.
func (r *rooms) kicked(m *member) {
	r.mu.Lock()
	ctx := r.base
	r.mu.Unlock()
	m.rs.mu.Lock()
	defer m.rs.mu.Unlock()
	if m.rs.in[m.uri] != m {
		return
	}
	r.leaveLocked(ctx, m)
	_ = m.rs.sess.Push(topicOnLeave, onPresence{RoomName: m.uri, User: m.rs.user.Username})
}

// deliver implements subscriber. Every member gets a chat message, the
// sender included (mqant's clients show their messages from it); a
// private message only its target (the sender's client shows it from the
// reply, as with mqant); joins and leaves the others.
func (m *member) deliver(ev *Event) {
	self := m.rs.user.Username
	switch ev.Type {
	case EventMessage:
		if t := ev.Message.Target; t == nil || *t == self {
			_ = m.rs.sess.Push(topicOnChat, ev.mqtt)
		}
	case EventJoin:
		if ev.User != self {
			_ = m.rs.sess.Push(topicOnJoin, ev.mqtt)
		}
	case EventLeave:
		if ev.User != self {
			_ = m.rs.sess.Push(topicOnLeave, ev.mqtt)
		}
	case EventKick:
		if ev.User == self {
			go m.rooms.kicked(m) // the hub's lock is held here
		}
	}
}

// resync implements subscriber: MQTT clients keep no history to catch up.
func (m *member) resync() {}

// shutdown implements subscriber: the gateway closes the connections.
func (m *member) shutdown() {}

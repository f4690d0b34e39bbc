package chat

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/coder/websocket"
	"github.com/rs/zerolog"

	"gomicro/app/errs"
)

// write drains the queue, then lets the socket idle without a writer. Only
// the writer writes data frames, so each socket sees messages in id order;
// it remembers the last id sent, so live events, replay and catch-up never
// repeat or skip one.
func (s *socket) write() {
	for {
		s.mu.Lock()
		if s.dropCode != 0 {
			// A drop wins over queued events: a slow socket is closed,
			// not fed. writing stays set, so no writer follows.
			code, why := s.dropCode, s.dropWhy
			s.mu.Unlock()
			_ = s.conn.Close(code, why)
			s.cancel()
			return
		}
		if s.resyncing {
			s.resyncing = false
			s.mu.Unlock()
			if err := s.catchUpAfterLoss(); err != nil {
				s.fail(err)
				return
			}
			continue
		}
		batch := s.queue
		s.queue = nil
		if len(batch) == 0 {
			s.writing = false
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		for _, ev := range batch {
			if s.dropped.Load() {
				break // the drop is handled at the top
			}
			if err := s.event(ev); err != nil {
				s.fail(err)
				return
			}
		}
	}
}

// frame writes one data frame within the write bound: replay, catch-up,
// presence and error frames.
func (s *socket) frame(b []byte) error {
	ctx, cancel := context.WithTimeout(s.ctx, s.timeout)
	defer cancel()
	return s.conn.Write(ctx, websocket.MessageText, b)
}

// live writes one frame of a fan-out. It carries no deadline of its own:
// arming and clearing one per frame was a quarter of a fan-out's cost per
// socket. A peer that stops reading still cannot hold the writer for long:
// the next ping cannot get the connection's write lock within the ping
// interval, and keepAlive then closes the connection, which ends the
// blocked write.
func (s *socket) live(b []byte) error {
	return s.conn.Write(context.Background(), websocket.MessageText, b)
}

func (s *socket) encoded(typ string, data any) error {
	b, err := json.Marshal(frame{Type: typ, Data: data})
	if err != nil {
		return err
	}
	return s.frame(b)
}

// start sends the presence, then every message after after (when given),
// and sets the point from which live messages follow.
//
// Live messages follow from the newest id stored before the presence frame
// is sent: a client that posts once it has the presence frame gets that
// message, whichever instance stores it.
func (s *socket) start(after *int64) error {
	if after != nil {
		s.last = *after
	} else {
		last, err := s.svc.store.lastMessageID(s.ctx, s.chat.ID)
		if err != nil {
			return err
		}
		s.last = last
	}
	if err := s.presence(); err != nil {
		return err
	}
	if after != nil {
		return s.catchUp()
	}
	return nil
}

func (s *socket) presence() error {
	return s.encoded("presence", map[string][]string{"users": s.svc.presence.users(s.ctx, s.chat.URI)})
}

// catchUp sends what the database holds after the last id sent.
func (s *socket) catchUp() error {
	for {
		rows, more, err := s.svc.store.messages(s.ctx, s.chat.ID, page{After: s.last, Limit: 100, Viewer: s.user.Username})
		if err != nil {
			return err
		}
		for _, r := range rows {
			m := toMessage(r, s.chat.URI)
			if err := s.encoded(EventMessage, &m); err != nil {
				return err
			}
			s.last = r.ID
		}
		if !more {
			return nil
		}
	}
}

// event writes one live event. A message already sent is skipped; one that
// skips ids (published out of order, or after lost notifications) is
// preceded by the missing ones from the database.
func (s *socket) event(ev *Event) error {
	switch ev.Type {
	case EventMessage:
		if ev.echo {
			if ev.Message.ID > s.last {
				return nil // not sent yet: it comes in its place
			}
			return s.live(ev.encoded())
		}
		switch id := ev.Message.ID; {
		case id <= s.last:
			return nil
		case id > s.last+1:
			return s.catchUp()
		}
		s.last = ev.Message.ID
		if !ev.Message.visibleTo(s.user.Username) {
			return nil // a private message of two others: its id is passed over
		}
		return s.live(ev.encoded())
	case EventJoin, EventLeave:
		if ev.Type == EventJoin && ev.User == s.user.Username {
			return nil // the presence frame already listed this socket's user
		}
		return s.live(ev.encoded())
	}
	return nil
}

// catchUpAfterLoss follows a possible loss of events: the user may have
// left the chat meanwhile; otherwise fresh presence and the messages
// missed.
func (s *socket) catchUpAfterLoss() error {
	ok, err := s.svc.store.isMember(s.ctx, s.chat.ID, s.user.ID)
	if err != nil {
		return err
	}
	if !ok {
		return ErrNotMember
	}
	if err := s.presence(); err != nil {
		return err
	}
	return s.catchUp()
}

// errorFrame tells the client what was wrong with its frame; an internal
// error is logged and shown only as "internal".
func (s *socket) errorFrame(err error) error {
	code, msg := errs.CodeOf(err)
	if code == errs.Internal {
		zerolog.Ctx(s.ctx).Error().Err(err).Msg("chat: socket post failed")
		msg = "internal error"
	}
	return s.encoded("error", errorData{Code: code, Message: msg})
}

// fail ends the socket after an error of the server's side or a refusal.
// The writer stays marked busy, so nothing more is written.
func (s *socket) fail(err error) {
	defer s.cancel()
	if s.ctx.Err() != nil || errors.Is(err, context.Canceled) {
		return
	}
	if errors.Is(err, ErrNotMember) {
		_ = s.conn.Close(websocket.StatusPolicyViolation, "you left this chat")
		return
	}
	var ce websocket.CloseError
	if !errors.As(err, &ce) {
		zerolog.Ctx(s.ctx).Warn().Err(err).Msg("chat: socket ended by an error")
		_ = s.conn.Close(websocket.StatusInternalError, "internal error")
	}
}

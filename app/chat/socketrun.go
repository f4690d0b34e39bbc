package chat

import (
	"context"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"gomicro/app/auth"
	"gomicro/app/config"
)

// socket is one open WebSocket of a chat. While it idles it holds one
// goroutine, the reader; a writer goroutine runs only while frames are
// queued, and a ping runs from a timer. That keeps an idle socket small
// and lets one fan-out wake exactly the sockets it writes to.
type socket struct {
	conn    *websocket.Conn
	svc     *Service
	hub     *Hub
	chat    chatRow
	user    auth.User
	ctx     context.Context // ends with the socket
	cancel  context.CancelFunc
	timeout time.Duration // bound of one replay or catch-up write
	buffer  int           // chat.send_buffer
	ping    time.Duration // chat.ping_interval
	pinger  *time.Timer

	mu        sync.Mutex
	queue     []*Event // events for the writer, in order
	writing   bool     // a writer goroutine owns the connection's data frames
	resyncing bool     // the writer is to catch up from the database
	dropCode  websocket.StatusCode
	dropWhy   string
	closed    bool // no more pings

	dropped atomic.Bool // dropCode is set: the writer stops mid-batch

	last int64 // id of the last message sent; the writer's alone
}

func newSocket(ctx context.Context, conn *websocket.Conn, svc *Service, hub *Hub, row chatRow, user auth.User, cfg config.Chat) *socket {
	ctx, cancel := context.WithCancel(ctx)
	return &socket{
		conn: conn, svc: svc, hub: hub, chat: row, user: user, ctx: ctx, cancel: cancel,
		timeout: max(cfg.PingInterval, 5*time.Second), buffer: cfg.SendBuffer, ping: cfg.PingInterval,
		// run is the first writer: events queue until the presence frame
		// and the replay are out.
		writing: true,
	}
}

// run is the socket's start: registration, presence and replay; then it
// starts the reader, which owns the rest of the socket's life, and writes
// what queued meanwhile.
func (s *socket) run(after *int64) {
	if err := s.hub.add(s.chat.URI, s); err != nil {
		_ = s.conn.Close(websocket.StatusGoingAway, "server shutting down")
		s.cancel()
		s.hub.end()
		return
	}
	// Presence outlives the socket's cancellation, so a leave is always
	// published.
	pctx := context.WithoutCancel(s.ctx)
	if s.svc.presence.add(pctx, s.chat.URI, s.user.Username) {
		s.svc.relay.publish(pctx, Event{Type: EventJoin, Chat: s.chat.URI, User: s.user.Username})
	}
	if err := s.start(after); err != nil {
		s.fail(err)
		s.close()
		return
	}
	s.mu.Lock()
	s.pinger = time.AfterFunc(s.ping, s.keepAlive)
	s.mu.Unlock()
	go s.read()
	s.write()
}

// close ends the socket: out of the hub, presence dropped (leave when it
// was the user's last socket anywhere), connection closed.
func (s *socket) close() {
	s.mu.Lock()
	s.closed = true
	if s.pinger != nil {
		s.pinger.Stop()
	}
	s.mu.Unlock()
	s.hub.remove(s.chat.URI, s)
	pctx := context.WithoutCancel(s.ctx)
	if s.svc.presence.remove(pctx, s.chat.URI, s.user.Username) {
		s.svc.relay.publish(pctx, Event{Type: EventLeave, Chat: s.chat.URI, User: s.user.Username})
	}
	s.cancel()
	_ = s.conn.CloseNow()
	s.hub.end()
}

// read handles the client's frames until the socket ends, then closes it.
// A bad frame gets an error frame; the socket stays open.
func (s *socket) read() {
	defer s.close()
	limit := int64(s.svc.cfg.Current().Chat.MaxMessageChars)*6 + 1024 // JSON may escape a character to 6 bytes
	for {
		typ, r, err := s.conn.Reader(s.ctx)
		if err != nil {
			return
		}
		b, err := io.ReadAll(io.LimitReader(r, limit+1))
		if err != nil {
			return
		}
		switch {
		case int64(len(b)) > limit:
			if _, err := io.Copy(io.Discard, r); err != nil {
				return
			}
			err = errFrameTooBig
		case typ != websocket.MessageText:
			err = errFrameBinary
		default:
			var p clientPost
			if p, err = parseClientFrame(b); err == nil {
				var m Message
				var created bool
				if m, created, err = s.svc.Post(s.ctx, s.user, s.chat.URI, p.Message, p.ClientID); err == nil && !created {
					// A repeated client_id: REST answers with the message
					// stored first, and so does the socket.
					ev := Event{Type: EventMessage, Chat: s.chat.URI, Message: &m}.withFrame()
					ev.echo = true
					s.deliver(&ev)
				}
			}
		}
		if err != nil && s.errorFrame(err) != nil {
			return
		}
	}
}

// keepAlive pings the peer from the timer's goroutine and drops it when
// it does not answer within the interval; then it arms the next ping. An
// idle socket so holds a timer, not a pinging goroutine.
func (s *socket) keepAlive() {
	ctx, cancel := context.WithTimeout(s.ctx, s.ping)
	defer cancel()
	if err := s.conn.Ping(ctx); err != nil {
		s.cancel()
		_ = s.conn.CloseNow()
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.pinger.Reset(s.ping)
	}
}

// drop asks the writer to close the socket with code; the first reason
// wins and queued events are discarded.
func (s *socket) drop(code websocket.StatusCode, why string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropLocked(code, why)
}

func (s *socket) dropLocked(code websocket.StatusCode, why string) {
	if s.dropCode != 0 {
		return
	}
	s.dropCode, s.dropWhy = code, why
	s.dropped.Store(true)
	s.queue = nil
	s.wakeLocked()
}

// wakeLocked starts a writer unless one is running.
func (s *socket) wakeLocked() {
	if !s.writing {
		s.writing = true
		go s.write()
	}
}

// deliver implements subscriber: queue the event for the writer without
// waiting. A full queue drops the socket (1013): the client catches up on
// reconnect with after=.
func (s *socket) deliver(ev *Event) {
	if ev.Type == EventKick {
		if ev.User == s.user.Username {
			s.drop(websocket.StatusPolicyViolation, "you left this chat")
		}
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dropCode != 0 {
		return
	}
	if len(s.queue) >= s.buffer {
		s.hub.metrics.slowDrops.Inc()
		s.dropLocked(websocket.StatusTryAgainLater, "too slow: reconnect with after=<last id>")
		return
	}
	s.queue = append(s.queue, ev)
	s.wakeLocked()
}

// resync implements subscriber.
func (s *socket) resync() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resyncing = true
	s.wakeLocked()
}

// shutdown implements subscriber: close with 1001.
func (s *socket) shutdown() { s.drop(websocket.StatusGoingAway, "server shutting down") }

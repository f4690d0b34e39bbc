package chat

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"
	"github.com/gin-gonic/gin"
	"github.com/rs/zerolog"

	"gomicro/app/auth"
	"gomicro/app/config"
	"gomicro/app/errs"
	"gomicro/app/web"
)

// hardReadLimit closes a socket (1009) whose client sends a frame over
// 1 MiB; frames between the message limit and this are read off and
// answered with an error frame, the socket staying open.
const hardReadLimit = 1 << 20

// sockets serves GET /api/v1/chats/:uri/ws.
type sockets struct {
	svc   *Service
	users *auth.Service
	hub   *Hub
	cfg   *config.Store
}

// serve checks the upgrade (origin, credentials, chat, membership) and
// answers refusals in the error model; then the socket lives in session.
func (s *sockets) serve(c *gin.Context) {
	ctx := c.Request.Context()
	cfg := s.cfg.Current().Chat
	if !originAllowed(c.Request, cfg.AllowedOrigins) {
		web.Abort(c, http.StatusForbidden, "origin not allowed", errs.E(errs.Forbidden, "this Origin may not open chat sockets; see chat.allowed_origins"))
		return
	}
	if s.hub.isClosing() {
		web.Abort(c, http.StatusServiceUnavailable, "shutting down", ErrClosing)
		return
	}
	var after *int64
	if raw, ok := c.GetQuery("after"); ok {
		n, err := parseAfter(raw)
		if err != nil {
			web.Abort(c, http.StatusUnprocessableEntity, "bad after", err)
			return
		}
		after = &n
	}
	user, ticketChat, err := s.caller(ctx, c)
	if err != nil {
		c.Header("WWW-Authenticate", `Bearer realm="api"`)
		web.Abort(c, http.StatusUnauthorized, "unauthorized", err)
		return
	}
	row, err := s.svc.member(ctx, user, c.Param("uri"))
	if err == nil && ticketChat != 0 && ticketChat != row.ID {
		err = ErrBadTicket
	}
	if err != nil {
		web.Abort(c, http.StatusInternalServerError, "internal error", err)
		return
	}

	// A socket must outlive server.read_timeout and write_timeout. net/http
	// documents that a hijacked connection may keep those deadlines (Go
	// 1.26 happens to clear them in Hijack); clear them ourselves.
	rc := http.NewResponseController(c.Writer)
	_ = rc.SetReadDeadline(time.Time{}) // ErrNotSupported off a real server: nothing to clear
	_ = rc.SetWriteDeadline(time.Time{})
	conn, err := websocket.Accept(c.Writer, c.Request, &websocket.AcceptOptions{
		InsecureSkipVerify: true, // the origin was checked above, against full origins
		CompressionMode:    websocket.CompressionDisabled,
	})
	if err != nil {
		zerolog.Ctx(ctx).Debug().Err(err).Msg("chat: websocket upgrade failed")
		return
	}
	conn.SetReadLimit(hardReadLimit)
	// The socket lives on in a goroutine of its own and the handler
	// returns: the request's deep stack, gin context and buffers are not
	// held for the socket's lifetime (about half of an idle socket's
	// memory), and the access log line tells when the upgrade happened.
	// The session keeps the request's logger and trace id, not its end.
	sctx := context.WithoutCancel(ctx)
	if !s.hub.begin() {
		_ = conn.Close(websocket.StatusGoingAway, "server shutting down")
		return
	}
	go func() {
		defer s.hub.end()
		s.session(sctx, conn, row, user, after)
	}()
}

var errBadAfter = errs.E(errs.Invalid, "after must be a message id (an integer >= 0)")

// parseAfter reads the socket's ?after= cursor: a decimal id, 0 or more.
func parseAfter(raw string) (int64, error) {
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || n < 0 {
		return 0, errBadAfter
	}
	return n, nil
}

// caller authenticates the upgrade by Authorization header or, for
// browsers, a one-use ?ticket= (whose chat id it also returns). A token is
// never taken from the URL.
func (s *sockets) caller(ctx context.Context, c *gin.Context) (auth.User, int64, error) {
	if h := c.GetHeader("Authorization"); h != "" {
		p, err := s.users.Authenticate(ctx, h)
		return p.User, 0, err
	}
	ticket := c.Query("ticket")
	if ticket == "" {
		return auth.User{}, 0, auth.ErrUnauthenticated
	}
	row, err := s.svc.store.chatByURI(ctx, c.Param("uri"))
	if err != nil {
		return auth.User{}, 0, ErrBadTicket // do not tell a ticket holder which uris exist
	}
	uid, err := s.svc.useTicket(ctx, ticket, row.ID)
	if err != nil {
		return auth.User{}, 0, err
	}
	u, err := s.users.UserByID(ctx, uid)
	return u, row.ID, err
}

// originAllowed accepts no Origin (not a browser), the server's own origin
// (same host as the request), and the configured full origins.
func originAllowed(r *http.Request, allowed []string) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	for _, a := range allowed {
		if strings.EqualFold(strings.TrimSuffix(a, "/"), u.Scheme+"://"+u.Host) {
			return true
		}
	}
	return false
}

// session is one socket's life: presence and replay, then live events,
// with a reader for the client's frames and a pinger beside it. Only this
// goroutine writes data frames, so each socket sees messages in id order.
func (s *sockets) session(reqCtx context.Context, conn *websocket.Conn, row chatRow, user auth.User, after *int64) {
	defer conn.CloseNow()
	cfg := s.cfg.Current().Chat
	cl := newClient(row.URI, user.Username, cfg.SendBuffer)
	if err := s.hub.add(cl); err != nil {
		_ = conn.Close(websocket.StatusGoingAway, "server shutting down")
		return
	}
	defer s.hub.remove(cl)
	// Presence outlives the request's cancellation, so a leave is always
	// published.
	pctx := context.WithoutCancel(reqCtx)
	if s.svc.presence.add(pctx, row.URI, user.Username) {
		s.svc.relay.publish(pctx, Event{Type: EventJoin, Chat: row.URI, User: user.Username})
	}
	defer func() {
		if s.svc.presence.remove(pctx, row.URI, user.Username) {
			s.svc.relay.publish(pctx, Event{Type: EventLeave, Chat: row.URI, User: user.Username})
		}
	}()

	ctx, cancel := context.WithCancel(reqCtx)
	defer cancel()
	w := &socketWriter{conn: conn, svc: s.svc, chat: row, user: user, timeout: max(cfg.PingInterval, 5*time.Second)}
	go func() { defer cancel(); s.read(ctx, conn, w, row, user) }()
	pinger := time.NewTicker(cfg.PingInterval)
	defer pinger.Stop()

	if err := w.start(ctx, after); err != nil {
		w.fail(ctx, err)
		return
	}
	for {
		// A drop wins over queued events: a slow socket is closed, not fed.
		select {
		case <-cl.dropped:
			_ = conn.Close(cl.code, cl.reason)
			return
		default:
		}
		select {
		case <-ctx.Done():
			return
		case <-cl.dropped:
			_ = conn.Close(cl.code, cl.reason)
			return
		case <-pinger.C:
			go ping(ctx, cancel, conn, cfg.PingInterval)
		case <-cl.resync:
			if err := w.resync(ctx); err != nil {
				w.fail(ctx, err)
				return
			}
		case ev := <-cl.events:
			if err := w.event(ctx, *ev); err != nil {
				w.fail(ctx, err)
				return
			}
		}
	}
}

// read handles the client's frames until the socket ends. A bad frame gets
// an error frame; the socket stays open.
func (s *sockets) read(ctx context.Context, conn *websocket.Conn, w *socketWriter, row chatRow, user auth.User) {
	limit := int64(s.cfg.Current().Chat.MaxMessageChars)*6 + 1024 // JSON may escape a character to 6 bytes
	for {
		typ, r, err := conn.Reader(ctx)
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
				_, _, err = s.svc.Post(ctx, user, row.URI, p.Message, p.ClientID)
			}
		}
		if err != nil && w.errorFrame(ctx, err) != nil {
			return
		}
	}
}

// ping keeps the connection alive through proxies and drops a peer that
// does not answer within the interval. It runs in a goroutine of its own
// only while a ping is out, so an idle socket holds no pinger goroutine.
func ping(ctx context.Context, drop context.CancelFunc, conn *websocket.Conn, within time.Duration) {
	pctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	if err := conn.Ping(pctx); err != nil {
		drop()
	}
}

// socketWriter writes frames to one socket and remembers the last message
// id it sent, so live events, replay and catch-up never repeat or skip one.
type socketWriter struct {
	conn    *websocket.Conn
	svc     *Service
	chat    chatRow
	user    auth.User
	timeout time.Duration
	last    int64
}

func (w *socketWriter) write(ctx context.Context, b []byte) error {
	wctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	return w.conn.Write(wctx, websocket.MessageText, b)
}

func (w *socketWriter) frame(ctx context.Context, typ string, data any) error {
	b, err := json.Marshal(frame{Type: typ, Data: data})
	if err != nil {
		return err
	}
	return w.write(ctx, b)
}

// start sends the presence, then every message after after (when given),
// and sets the point from which live messages follow.
//
// Live messages follow from the newest id stored before the presence frame
// is sent: a client that posts once it has the presence frame gets that
// message, whichever instance stores it.
func (w *socketWriter) start(ctx context.Context, after *int64) error {
	if after != nil {
		w.last = *after
	} else {
		last, err := w.svc.store.lastMessageID(ctx, w.chat.ID)
		if err != nil {
			return err
		}
		w.last = last
	}
	if err := w.presence(ctx); err != nil {
		return err
	}
	if after != nil {
		return w.catchUp(ctx)
	}
	return nil
}

func (w *socketWriter) presence(ctx context.Context) error {
	return w.frame(ctx, "presence", map[string][]string{"users": w.svc.presence.users(ctx, w.chat.URI)})
}

// catchUp sends what the database holds after the last id sent.
func (w *socketWriter) catchUp(ctx context.Context) error {
	for {
		rows, more, err := w.svc.store.messages(ctx, w.chat.ID, page{After: w.last, Limit: 100})
		if err != nil {
			return err
		}
		for _, r := range rows {
			m := toMessage(r, w.chat.URI)
			if err := w.frame(ctx, EventMessage, &m); err != nil {
				return err
			}
			w.last = r.ID
		}
		if !more {
			return nil
		}
	}
}

// event writes one live event. A message already sent is skipped; one that
// skips ids (published out of order, or after lost notifications) is
// preceded by the missing ones from the database.
func (w *socketWriter) event(ctx context.Context, ev Event) error {
	switch ev.Type {
	case EventMessage:
		switch id := ev.Message.ID; {
		case id <= w.last:
			return nil
		case id > w.last+1:
			return w.catchUp(ctx)
		}
		w.last = ev.Message.ID
		return w.write(ctx, ev.encoded())
	case EventJoin, EventLeave:
		if ev.Type == EventJoin && ev.User == w.user.Username {
			return nil // the presence frame already listed this socket's user
		}
		return w.write(ctx, ev.encoded())
	}
	return nil
}

// resync follows a possible loss of events: the user may have left the
// chat meanwhile; otherwise fresh presence and the messages missed.
func (w *socketWriter) resync(ctx context.Context) error {
	ok, err := w.svc.store.isMember(ctx, w.chat.ID, w.user.ID)
	if err != nil {
		return err
	}
	if !ok {
		return ErrNotMember
	}
	if err := w.presence(ctx); err != nil {
		return err
	}
	return w.catchUp(ctx)
}

// errorFrame tells the client what was wrong with its frame; an internal
// error is logged and shown only as "internal".
func (w *socketWriter) errorFrame(ctx context.Context, err error) error {
	code, msg := errs.CodeOf(err)
	if code == errs.Internal {
		zerolog.Ctx(ctx).Error().Err(err).Msg("chat: socket post failed")
		msg = "internal error"
	}
	return w.frame(ctx, "error", errorData{Code: code, Message: msg})
}

// fail ends the socket after an error of the server's side or a refusal.
func (w *socketWriter) fail(ctx context.Context, err error) {
	if ctx.Err() != nil || errors.Is(err, context.Canceled) {
		return
	}
	if errors.Is(err, ErrNotMember) {
		_ = w.conn.Close(websocket.StatusPolicyViolation, "you left this chat")
		return
	}
	var ce websocket.CloseError
	if !errors.As(err, &ce) {
		zerolog.Ctx(ctx).Warn().Err(err).Msg("chat: socket ended by an error")
		_ = w.conn.Close(websocket.StatusInternalError, "internal error")
	}
}

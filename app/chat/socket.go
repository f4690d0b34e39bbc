package chat

import (
	"bufio"
	"context"
	"net"
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
	conn, err := websocket.Accept(smallBuffers{c.Writer}, c.Request, &websocket.AcceptOptions{
		InsecureSkipVerify: true, // the origin was checked above, against full origins
		CompressionMode:    websocket.CompressionDisabled,
	})
	if err != nil {
		zerolog.Ctx(ctx).Debug().Err(err).Msg("chat: websocket upgrade failed")
		return
	}
	conn.SetReadLimit(hardReadLimit)
	// The socket lives on in goroutines of its own and the handler
	// returns: the request's deep stack, gin context and buffers are not
	// held for the socket's lifetime, and the access log line tells when
	// the upgrade happened. The socket keeps the request's logger and
	// trace id, not its end.
	if !s.hub.begin() {
		_ = conn.Close(websocket.StatusGoingAway, "server shutting down")
		return
	}
	sock := newSocket(context.WithoutCancel(ctx), conn, s.svc, s.hub, row, user, cfg)
	go sock.run(after)
}

// smallBuffers hands the WebSocket smaller buffers than net/http's 4 KiB
// reader and writer: an idle socket holds its buffers for its whole life,
// and chat frames are a few hundred bytes (a larger one is read or written
// straight through). Bytes the client sent before the upgrade was answered
// stay with the original reader.
type smallBuffers struct{ gin.ResponseWriter }

const socketBufferSize = 1024

// Hijack implements http.Hijacker.
func (w smallBuffers) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := w.ResponseWriter.Hijack()
	if err != nil {
		return nil, nil, err
	}
	r := brw.Reader
	if r.Buffered() == 0 {
		r = bufio.NewReaderSize(conn, socketBufferSize)
	}
	return conn, bufio.NewReadWriter(r, bufio.NewWriterSize(conn, socketBufferSize)), nil
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

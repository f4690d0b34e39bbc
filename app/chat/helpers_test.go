package chat_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"gomicro/app/auth"
	"gomicro/app/chat"
	"gomicro/app/config"
	"gomicro/app/config/configtest"
	"gomicro/app/db"
	"gomicro/app/gateway"
	"gomicro/app/module"
	"gomicro/app/redisclient"
	"gomicro/app/web"
)

// options shape one test server.
type options struct {
	yaml         string        // extra config (chat:, server:, …)
	redis        *config.Redis // nil: no Redis
	gdb          *gorm.DB      // share a database with another instance
	extra        []module.Spec // more modules (bot commands)
	readTimeout  time.Duration // http.Server timeouts of the test server
	writeTimeout time.Duration
	// mqtt runs the MQTT gateway over the modules' handlers, with these
	// extra keys of the mqtt section ("guest_login: true"); "" runs none.
	mqtt string
}

// server is one instance: the engine the binary builds with the auth and
// chat modules, started, behind a real HTTP server on loopback.
type server struct {
	t        testing.TB
	url      string
	gdb      *gorm.DB
	registry *prometheus.Registry
	gateway  *gateway.Gateway // nil without options.mqtt
	stop     func(context.Context) error
	stopped  atomic.Bool
	srv      *httptest.Server
	client   *http.Client
}

func openDB(t testing.TB, cfg config.Database) *gorm.DB {
	t.Helper()
	ctx := zerolog.Nop().WithContext(context.Background())
	gdb, err := db.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if s, err := gdb.DB(); err == nil {
			_ = s.Close()
		}
	})
	if err := db.Migrate(ctx, gdb, append(auth.Migrations(), chat.Migrations()...)); err != nil {
		t.Fatal(err)
	}
	return gdb
}

func startServer(t testing.TB, dbcfg config.Database, o options) *server {
	t.Helper()
	gdb := o.gdb
	if gdb == nil {
		gdb = openDB(t, dbcfg)
	}
	yaml := "log:\n  dir: \"\"\n" + o.yaml
	var rc *redis.Client
	ctx := zerolog.Nop().WithContext(context.Background())
	if o.redis != nil {
		yaml += fmt.Sprintf("redis:\n  addr: %q\n  key_prefix: %q\n  dial_timeout: 1s\n", o.redis.Addr, o.redis.KeyPrefix)
		rc = redisclient.Open(ctx, *o.redis)
		t.Cleanup(func() { _ = rc.Close() })
	}
	if o.mqtt != "" {
		yaml += "mqtt: {enabled: true, host: 127.0.0.1, port: 0, ws_port: 0, " + o.mqtt + "}\n"
	}
	_, cfg := configtest.Load(t, yaml)
	store := config.NewStore(cfg, config.Meta{Source: config.SourceLocal})
	users := auth.New(auth.Deps{Store: store, DB: gdb, Redis: rc})
	reg := web.NewRegistry()
	var specs []module.Spec
	specs = append(specs, auth.Module(users),
		chat.Module(chat.Deps{Store: store, DB: gdb, Users: users, Redis: rc, Metrics: reg, Commands: func() []module.Command { return module.Commands(specs) }}))
	specs = append(specs, o.extra...)
	var gw *gateway.Gateway
	if o.mqtt != "" {
		gw = gateway.New(gateway.Deps{Store: store, Metrics: reg, Handlers: module.Handlers(specs)})
		specs = append(specs, gateway.Module(gw))
	}
	engine, err := web.NewEngine(web.Deps{Store: store, Logger: zerolog.Nop(), Registry: reg, Version: "test", Modules: specs})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range specs {
		if s.Start != nil {
			if err := s.Start(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	s := &server{t: t, gdb: gdb, registry: reg, gateway: gw}
	s.stop = func(ctx context.Context) error {
		var errs []error
		for _, sp := range slices.Backward(specs) { // as the server does: last first
			if sp.Stop != nil {
				errs = append(errs, sp.Stop(ctx))
			}
		}
		for _, e := range errs {
			if e != nil {
				return e
			}
		}
		return nil
	}
	t.Cleanup(func() {
		if err := s.shutdown(); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	srv := httptest.NewUnstartedServer(engine)
	srv.Config.ReadTimeout, srv.Config.WriteTimeout = o.readTimeout, o.writeTimeout
	srv.Start()
	t.Cleanup(srv.Close)
	s.srv, s.url = srv, srv.URL
	// With short server timeouts an idle keep-alive connection may be
	// closed just as it is reused; such tests dial afresh each call.
	s.client = &http.Client{Transport: &http.Transport{DisableKeepAlives: o.readTimeout > 0}}
	t.Cleanup(s.client.CloseIdleConnections)
	return s
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (s *server) do(method, path, token, body string) response {
	s.t.Helper()
	req, err := http.NewRequest(method, s.url+path, strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, b}
}

func decode[T any](t testing.TB, r response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("body %s: %v", r.body, err)
	}
	return v
}

func expect(t testing.TB, r response, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.body)
	}
}

func expectError(t testing.TB, r response, status int, code string) {
	t.Helper()
	expect(t, r, status)
	e := decode[web.ErrorBody](t, r)
	if string(e.Code) != code || e.TraceID == "" || e.Message == "" {
		t.Fatalf("error body = %s, want code %s with trace id and message", r.body, code)
	}
}

var userSeq atomic.Int64

// user signs up a fresh account and returns its name and token.
func (s *server) user(prefix string) (string, string) {
	s.t.Helper()
	name := fmt.Sprintf("%s%d", prefix, userSeq.Add(1))
	expect(s.t, s.do(http.MethodPost, "/api/v1/auth/users", "", fmt.Sprintf(`{"username":%q,"password":"password1"}`, name)), http.StatusCreated)
	return name, s.token(name)
}

func (s *server) token(name string) string {
	s.t.Helper()
	r := s.do(http.MethodPost, "/api/v1/auth/tokens", "", fmt.Sprintf(`{"username":%q,"password":"password1"}`, name))
	expect(s.t, r, http.StatusCreated)
	return decode[auth.TokenBody](s.t, r).Token
}

func (s *server) newChat(token string) chat.ChatBody {
	s.t.Helper()
	r := s.do(http.MethodPost, "/api/v1/chats", token, "")
	expect(s.t, r, http.StatusCreated)
	return decode[chat.ChatBody](s.t, r)
}

func (s *server) join(token, uri string) {
	s.t.Helper()
	expect(s.t, s.do(http.MethodPost, "/api/v1/chats/"+uri+"/members", token, ""), http.StatusOK)
}

func (s *server) post(token, uri, text string) chat.Message {
	s.t.Helper()
	b, _ := json.Marshal(map[string]string{"message": text})
	r := s.do(http.MethodPost, "/api/v1/chats/"+uri+"/messages", token, string(b))
	expect(s.t, r, http.StatusCreated)
	return decode[chat.Message](s.t, r)
}

// wsURL is the socket address of uri with query q.
func (s *server) wsURL(uri, q string) string {
	u := "ws" + strings.TrimPrefix(s.url, "http") + "/api/v1/chats/" + uri + "/ws"
	if q != "" {
		u += "?" + q
	}
	return u
}

// dial opens a socket with the bearer header; the test fails on refusal.
func (s *server) dial(token, uri, q string) *wsClient {
	s.t.Helper()
	c, resp, err := s.dialRaw(token, uri, q, nil)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		s.t.Fatalf("dial %s: %v (status %d)", uri, err, status)
	}
	return c
}

func (s *server) dialRaw(token, uri, q string, header http.Header) (*wsClient, *http.Response, error) {
	if header == nil {
		header = http.Header{}
	}
	if token != "" {
		header.Set("Authorization", "Bearer "+token)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, resp, err := websocket.Dial(ctx, s.wsURL(uri, q), &websocket.DialOptions{HTTPHeader: header})
	if err != nil {
		return nil, resp, err
	}
	conn.SetReadLimit(4 << 20)
	c := &wsClient{t: s.t, conn: conn}
	s.t.Cleanup(func() { _ = conn.CloseNow() })
	return c, resp, nil
}

// wsClient reads frames of one socket.
type wsClient struct {
	t    testing.TB
	conn *websocket.Conn
}

type frame struct {
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
}

// next returns the next frame, failing the test after timeout.
func (c *wsClient) next(timeout time.Duration) frame {
	c.t.Helper()
	f, err := c.read(timeout)
	if err != nil {
		c.t.Fatalf("read frame: %v", err)
	}
	return f
}

func (c *wsClient) read(timeout time.Duration) (frame, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	_, b, err := c.conn.Read(ctx)
	if err != nil {
		return frame{}, err
	}
	var f frame
	if err := json.Unmarshal(b, &f); err != nil {
		return frame{}, fmt.Errorf("frame %s: %w", b, err)
	}
	return f, nil
}

// nextOf skips frames of other types until one of typ arrives.
func (c *wsClient) nextOf(typ string, timeout time.Duration) frame {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		f := c.next(time.Until(deadline))
		if f.Type == typ {
			return f
		}
	}
}

func (c *wsClient) message(timeout time.Duration) chat.Message {
	c.t.Helper()
	f := c.nextOf("message", timeout)
	var m chat.Message
	if err := json.Unmarshal(f.Data, &m); err != nil {
		c.t.Fatal(err)
	}
	return m
}

func (c *wsClient) presence(timeout time.Duration) []string {
	c.t.Helper()
	f := c.next(timeout)
	if f.Type != "presence" {
		c.t.Fatalf("first frame = %s %s, want presence", f.Type, f.Data)
	}
	var p struct{ Users []string }
	if err := json.Unmarshal(f.Data, &p); err != nil {
		c.t.Fatal(err)
	}
	return p.Users
}

func (c *wsClient) send(v any) {
	c.t.Helper()
	b, _ := json.Marshal(v)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.conn.Write(ctx, websocket.MessageText, b); err != nil {
		c.t.Fatal(err)
	}
}

// closeCode waits for the server to close the socket and returns its code.
func (c *wsClient) closeCode(timeout time.Duration) websocket.StatusCode {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		_, err := c.read(time.Until(deadline))
		if err != nil {
			code := websocket.CloseStatus(err)
			if code == -1 {
				c.t.Fatalf("socket ended without a close frame: %v", err)
			}
			return code
		}
	}
}

func jsonBody(v any) string {
	var buf bytes.Buffer
	_ = json.NewEncoder(&buf).Encode(v)
	return buf.String()
}

func contextWithTimeout() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 5*time.Second)
}

// shutdown stops the modules as the server does after its HTTP drain; only
// the first call does anything.
func (s *server) shutdown() error {
	if !s.stopped.CompareAndSwap(false, true) {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return s.stop(ctx)
}

// metric returns the value of a counter or gauge of the server's registry.
func (s *server) metric(name string) float64 {
	s.t.Helper()
	mfs, err := s.registry.Gather()
	if err != nil {
		s.t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		var sum float64
		for _, m := range mf.GetMetric() {
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
		return sum
	}
	return 0
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func loadConfig(t testing.TB, yaml string) (*config.Loader, *config.Config) {
	return configtest.Load(t, "log:\n  dir: \"\"\n"+yaml)
}

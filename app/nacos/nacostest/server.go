// Package nacostest is an in-process fake of a Nacos 2.x server speaking the
// real gRPC wire protocol, so the Nacos SDK can be tested against it over
// loopback. It keeps configs and ephemeral instances in memory, answers the
// requests the SDK sends for config and naming, and pushes config changes on
// the bi-directional stream the way the real server does.
package nacostest

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	pb "github.com/nacos-group/nacos-sdk-go/v2/api/grpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/peer"
)

// Key names one config: namespace (tenant), group and dataId, echoed to the
// client exactly as it sent them.
type Key struct {
	Tenant string
	Group  string
	DataID string
}

// Instance is one registered naming instance.
type Instance struct {
	Namespace string
	Service   string
	Group     string
	IP        string
	Port      int
	Ephemeral bool
	Metadata  map[string]string
	conn      string
}

// Server is a running fake. All methods are safe for concurrent use.
type Server struct {
	lis net.Listener
	gs  *grpc.Server

	mu        sync.Mutex
	configs   map[Key]string
	conns     map[string]*conn
	instances map[string]Instance
	counts    map[string]int
	lastReq   time.Time
	nextReq   int
	hold      map[Key]bool
	held      map[Key][]chan struct{}
	holdInst  bool
	heldInst  []chan struct{}

	stopOnce sync.Once
	stopped  chan struct{}
}

// conn is one client connection, keyed by its remote address: the SDK sends
// unary requests and opens its stream over the same HTTP/2 connection, which
// is how the fake knows which stream a listen request belongs to.
type conn struct {
	id      string
	sendMu  sync.Mutex
	stream  pb.BiRequestStream_RequestBiStreamServer
	listens map[Key]bool
	md5s    map[Key]string // md5 the client sent in its last listen
}

// Start listens on addr ("127.0.0.1:0" for any free port) and serves until
// Stop. The error comes from net.Listen.
func Start(addr string) (*Server, error) {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("nacostest: listen %s: %w", addr, err)
	}
	s := &Server{
		lis:       lis,
		gs:        grpc.NewServer(),
		configs:   map[Key]string{},
		conns:     map[string]*conn{},
		instances: map[string]Instance{},
		counts:    map[string]int{},
		hold:      map[Key]bool{},
		held:      map[Key][]chan struct{}{},
		stopped:   make(chan struct{}),
	}
	pb.RegisterRequestServer(s.gs, requestService{s: s})
	pb.RegisterBiRequestStreamServer(s.gs, streamService{s: s})
	go func() { _ = s.gs.Serve(lis) }()
	return s, nil
}

// Addr returns the host:port the fake listens on.
func (s *Server) Addr() string { return s.lis.Addr().String() }

// Port returns the port the fake listens on.
func (s *Server) Port() int { return s.lis.Addr().(*net.TCPAddr).Port }

// Stop closes the listener and every connection at once, as a crash or a
// network cut would; ephemeral instances are dropped with their connections.
func (s *Server) Stop() {
	s.stopOnce.Do(func() { close(s.stopped) })
	s.gs.Stop()
}

// HoldQueries makes every later query of k read the content when it
// arrives and then wait, unanswered, until ReleaseNewest or ReleaseQueries
// lets it go: how a test puts a slow answer on the wire in a chosen order.
func (s *Server) HoldQueries(k Key) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hold[k] = true
}

// HeldQueries returns how many queries of k are waiting.
func (s *Server) HeldQueries(k Key) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.held[k])
}

// ReleaseNewest answers the query of k that arrived last among those
// waiting, and reports whether there was one.
func (s *Server) ReleaseNewest(k Key) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.held[k]
	if len(q) == 0 {
		return false
	}
	close(q[len(q)-1])
	s.held[k] = q[:len(q)-1]
	return true
}

// ReleaseQueries answers every waiting query of k and stops holding them.
func (s *Server) ReleaseQueries(k Key) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ch := range s.held[k] {
		close(ch)
	}
	delete(s.held, k)
	delete(s.hold, k)
}

// HoldInstanceRequests makes every later register or deregister request
// wait, unanswered and not yet applied, until ReleaseInstanceRequests.
func (s *Server) HoldInstanceRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.holdInst = true
}

// HeldInstanceRequests returns how many register or deregister requests
// are waiting.
func (s *Server) HeldInstanceRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.heldInst)
}

// ReleaseInstanceRequests applies and answers the waiting register and
// deregister requests and stops holding them.
func (s *Server) ReleaseInstanceRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ch := range s.heldInst {
		close(ch)
	}
	s.heldInst, s.holdInst = nil, false
}

// waitInstance blocks an instance request while they are held.
func (s *Server) waitInstance() {
	s.mu.Lock()
	if !s.holdInst {
		s.mu.Unlock()
		return
	}
	ch := make(chan struct{})
	s.heldInst = append(s.heldInst, ch)
	s.mu.Unlock()
	select {
	case <-ch:
	case <-s.stopped:
	}
}

// wait blocks a query of k while queries of k are held.
func (s *Server) wait(k Key) {
	s.mu.Lock()
	if !s.hold[k] {
		s.mu.Unlock()
		return
	}
	ch := make(chan struct{})
	s.held[k] = append(s.held[k], ch)
	s.mu.Unlock()
	select {
	case <-ch:
	case <-s.stopped:
	}
}

// SetConfig stores content and pushes a change notice to every connection
// listening to the key, as a publish in the Nacos console does.
func (s *Server) SetConfig(k Key, content string) {
	s.mu.Lock()
	s.configs[k] = content
	targets := s.listenersLocked(k)
	s.mu.Unlock()
	s.notify(k, targets)
}

// RemoveConfig deletes k and pushes a change notice to its listeners, as a
// delete in the Nacos console does.
func (s *Server) RemoveConfig(k Key) {
	s.mu.Lock()
	delete(s.configs, k)
	targets := s.listenersLocked(k)
	s.mu.Unlock()
	s.notify(k, targets)
}

// SetConfigSilently stores content without pushing anything: the change a
// client sees only when it asks, like a push lost on the way.
func (s *Server) SetConfigSilently(k Key, content string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.configs[k] = content
}

// Config returns the stored content of k and whether it exists.
func (s *Server) Config(k Key) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.configs[k]
	return c, ok
}

// Listening returns how many connections currently listen to k.
func (s *Server) Listening(k Key) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.listenersLocked(k))
}

// InSync reports whether a connection listens to k and its last listen
// request carried the md5 of k's current content: the client holds what
// the server holds and has said so.
func (s *Server) InSync(k Key) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	want := MD5(s.configs[k])
	for _, c := range s.listenersLocked(k) {
		if c.md5s[k] == want {
			return true
		}
	}
	return false
}

// Instances returns the registered instances of service in group.
func (s *Server) Instances(service, group string) []Instance {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Instance
	for _, in := range s.instances {
		if in.Service == service && in.Group == group {
			out = append(out, in)
		}
	}
	return out
}

// Quiet reports whether no request has arrived for at least d.
func (s *Server) Quiet(d time.Duration) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Since(s.lastReq) >= d
}

// Requests returns how many requests of the given type (e.g.
// "ConfigQueryRequest") the fake has answered.
func (s *Server) Requests(typ string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[typ]
}

func (s *Server) listenersLocked(k Key) []*conn {
	var out []*conn
	for _, c := range s.conns {
		if c.listens[k] && c.stream != nil {
			out = append(out, c)
		}
	}
	return out
}

// connFor returns the connection record of the caller, creating it on first
// sight.
func (s *Server) connFor(ctx context.Context) *conn {
	id := "unknown"
	if p, ok := peer.FromContext(ctx); ok {
		id = p.Addr.String()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.conns[id]
	if !ok {
		c = &conn{id: id, listens: map[Key]bool{}, md5s: map[Key]string{}}
		s.conns[id] = c
	}
	return c
}

func (s *Server) notify(k Key, targets []*conn) {
	for _, c := range targets {
		s.mu.Lock()
		s.nextReq++
		id := strconv.Itoa(s.nextReq)
		s.mu.Unlock()
		p := encode("ConfigChangeNotifyRequest", configContext{
			RequestID: id, Group: k.Group, DataID: k.DataID, Tenant: k.Tenant, Module: "config",
		})
		c.sendMu.Lock()
		_ = c.stream.Send(p)
		c.sendMu.Unlock()
	}
}

// dropConn forgets a connection and the ephemeral instances it registered,
// as the real server does when a client goes away.
func (s *Server) dropConn(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, id)
	for k, in := range s.instances {
		if in.conn == id && in.Ephemeral {
			delete(s.instances, k)
		}
	}
}

type streamService struct {
	pb.UnimplementedBiRequestStreamServer
	s *Server
}

// RequestBiStream keeps the server-push channel of one connection: it
// records the stream so pushes can reach it and reads the client's setup
// request and its acks until the connection ends.
func (st streamService) RequestBiStream(stream pb.BiRequestStream_RequestBiStreamServer) error {
	c := st.s.connFor(stream.Context())
	st.s.mu.Lock()
	c.stream = stream
	st.s.mu.Unlock()
	defer st.s.dropConn(c.id)
	for {
		p, err := stream.Recv()
		if err != nil {
			// The client went away or the server stopped; either ends
			// the connection, which is all the fake needs to know.
			return nil
		}
		st.s.mu.Lock()
		st.s.counts[p.GetMetadata().GetType()]++
		st.s.mu.Unlock()
	}
}

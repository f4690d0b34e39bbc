package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"sync"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// outQueue bounds the publishes waiting for one connection's writer. A
// reply or push that finds it full disconnects the client: it cannot keep
// up, and waiting would slow whoever pushes to many connections.
const outQueue = 128

// ErrSlowClient is the cause a connection is closed with when its queue of
// outgoing publishes is full.
var ErrSlowClient = errors.New("mqtt client cannot keep up: outgoing queue full")

// ErrClosed is returned by Push on a connection that has ended.
var ErrClosed = errors.New("mqtt connection closed")

type outgoing struct {
	topic   string
	payload []byte
}

// session is one client connection: the module.Session handlers see, its
// in-flight call slots, and the queue of publishes for it. A writer
// goroutine runs only while publishes are queued: an idle connection holds
// no writer, and a fan-out wakes exactly the connections it writes to.
type session struct {
	id       string
	clientID string // as the client sent it; several sessions may share it
	cl       *mqtt.Client
	inflight chan struct{}   // one token per running call
	ctx      context.Context // parent of the connection's calls
	cancel   context.CancelFunc
	done     chan struct{}
	once     sync.Once

	mu      sync.Mutex
	user    string
	queue   []outgoing // in order, at most outQueue
	writing bool       // a writer goroutine owns the queue
}

func newSession(id, clientID string, cl *mqtt.Client, maxInflight int) *session {
	ctx, cancel := context.WithCancel(context.Background())
	return &session{
		id: id, clientID: clientID, cl: cl,
		inflight: make(chan struct{}, maxInflight),
		ctx:      ctx, cancel: cancel,
		done: make(chan struct{}),
	}
}

// ID implements module.Session.
func (s *session) ID() string { return s.id }

// User implements module.Session.
func (s *session) User() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.user
}

// Login implements module.Session.
func (s *session) Login(user string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.user != "" && s.user != user {
		return false
	}
	s.user = user
	return true
}

// Done implements module.Session.
func (s *session) Done() <-chan struct{} { return s.done }

// Push implements module.Session: v as JSON on topic, QoS 0, not retained.
// A json.RawMessage is sent as it is.
func (s *session) Push(topic string, v any) error {
	if raw, ok := v.(json.RawMessage); ok {
		return s.send(topic, raw)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.send(topic, b)
}

// send queues payload for the writer without ever waiting.
func (s *session) send(topic string, payload []byte) error {
	select {
	case <-s.done:
		return ErrClosed
	default:
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queue) >= outQueue {
		s.cl.Stop(ErrSlowClient)
		return ErrSlowClient
	}
	s.queue = append(s.queue, outgoing{topic, payload})
	if !s.writing {
		s.writing = true
		go s.write()
	}
	return nil
}

// write hands queued publishes to the broker's client, in order, until the
// queue is empty or the connection ends. The client's own deadline
// (keepalive × 1.5) bounds a write to a peer that stopped reading.
func (s *session) write() {
	for {
		s.mu.Lock()
		batch := s.queue
		s.queue = nil
		if len(batch) == 0 {
			s.writing = false
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		for _, o := range batch {
			if s.cl.Closed() {
				return // writing stays set: nothing more is written
			}
			pk := packets.Packet{
				FixedHeader: packets.FixedHeader{Type: packets.Publish},
				TopicName:   o.topic,
				Payload:     o.payload,
			}
			if err := s.cl.WritePacket(pk); err != nil {
				s.cl.Stop(err)
				return
			}
		}
	}
}

// end marks the connection over: calls are cancelled, Done is closed.
func (s *session) end() {
	s.once.Do(func() {
		s.cancel()
		close(s.done)
	})
}

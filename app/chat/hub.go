package chat

import (
	"context"
	"sync"

	"github.com/coder/websocket"
)

// client is one socket's place in the hub: a bounded queue of events for
// its writer and a signal to catch up from the database.
type client struct {
	uri    string
	user   string
	events chan *Event
	resync chan struct{}

	dropOnce sync.Once
	dropped  chan struct{}
	code     websocket.StatusCode // set before dropped closes
	reason   string
}

func newClient(uri, user string, buffer int) *client {
	return &client{uri: uri, user: user, events: make(chan *Event, buffer), resync: make(chan struct{}, 1), dropped: make(chan struct{})}
}

// drop asks the socket to close with code; the first reason wins.
func (c *client) drop(code websocket.StatusCode, reason string) {
	c.dropOnce.Do(func() {
		c.code, c.reason = code, reason
		close(c.dropped)
	})
}

// Hub fans events out to this instance's sockets. Delivery never blocks:
// a socket whose queue is full is dropped with 1013 and catches up on
// reconnect, so one slow client never slows the others.
type Hub struct {
	mu       sync.RWMutex
	chats    map[string]map[*client]struct{}
	closing  bool
	sockets  sync.WaitGroup
	sessions sync.WaitGroup // session goroutines, begin to end
	metrics  *metrics
}

func newHub(m *metrics) *Hub { return &Hub{chats: map[string]map[*client]struct{}{}, metrics: m} }

// begin counts a session about to start; false once shutdown began.
// shutdown waits for every counted session to end.
func (h *Hub) begin() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return false
	}
	h.sessions.Add(1)
	return true
}

func (h *Hub) end() { h.sessions.Done() }

// add registers c; it fails with ErrClosing once shutdown began.
func (h *Hub) add(c *client) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return ErrClosing
	}
	set := h.chats[c.uri]
	if set == nil {
		set = map[*client]struct{}{}
		h.chats[c.uri] = set
	}
	set[c] = struct{}{}
	h.sockets.Add(1)
	h.metrics.sockets.Inc()
	return nil
}

func (h *Hub) isClosing() bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.closing
}

func (h *Hub) remove(c *client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	set := h.chats[c.uri]
	if _, ok := set[c]; !ok {
		return
	}
	delete(set, c)
	if len(set) == 0 {
		delete(h.chats, c.uri)
	}
	h.sockets.Done()
	h.metrics.sockets.Dec()
}

// deliver hands ev to every local socket of its chat.
func (h *Hub) deliver(ev Event) {
	if ev.frame == nil {
		ev = ev.withFrame()
	}
	shared := &ev // one immutable event for every socket
	h.mu.RLock()
	defer h.mu.RUnlock()
	for c := range h.chats[ev.Chat] {
		if ev.Type == EventKick {
			if c.user == ev.User {
				c.drop(websocket.StatusPolicyViolation, "you left this chat")
			}
			continue
		}
		select {
		case c.events <- shared:
		default:
			h.metrics.slowDrops.Inc()
			c.drop(websocket.StatusTryAgainLater, "too slow: reconnect with after=<last id>")
		}
	}
}

// resyncAll asks every socket to catch up from the database, after frames
// may have been missed (the Redis subscription was re-established).
func (h *Hub) resyncAll() {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, set := range h.chats {
		for c := range set {
			select {
			case c.resync <- struct{}{}:
			default: // one pending catch-up covers this one too
			}
		}
	}
}

// shutdown refuses new sockets, closes the open ones with 1001 and waits
// for them to finish within ctx.
func (h *Hub) shutdown(ctx context.Context) error {
	h.mu.Lock()
	h.closing = true
	for _, set := range h.chats {
		for c := range set {
			c.drop(websocket.StatusGoingAway, "server shutting down")
		}
	}
	h.mu.Unlock()
	done := make(chan struct{})
	go func() { h.sockets.Wait(); h.sessions.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

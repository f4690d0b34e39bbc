package chat

import (
	"context"
	"sync"
)

// subscriber is one connection's place in a chat on this instance: a
// WebSocket, or an MQTT session that joined the chat. The hub hands it
// events from whatever goroutine publishes them, so deliver must never
// block: a subscriber that cannot keep up drops itself.
type subscriber interface {
	// deliver takes one event of the subscriber's chat (kicks included);
	// ev is shared by every subscriber and must not be changed.
	deliver(ev *Event)
	// resync follows a possible loss of events (the Redis subscription
	// came back): catch up from the database.
	resync()
	// shutdown ends the subscriber because the server stops.
	shutdown()
}

// Hub fans events out to this instance's subscribers. Delivery never
// blocks: a socket whose queue is full is dropped with 1013 and catches up
// on reconnect, so one slow client never slows the others.
type Hub struct {
	mu       sync.RWMutex
	chats    map[string]map[subscriber]struct{}
	closing  bool
	sockets  sync.WaitGroup // WebSockets from add to remove
	sessions sync.WaitGroup // WebSocket goroutines, begin to end
	metrics  *metrics
}

func newHub(m *metrics) *Hub { return &Hub{chats: map[string]map[subscriber]struct{}{}, metrics: m} }

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

// add registers s on chat; it fails with ErrClosing once shutdown began.
// WebSockets are counted, and shutdown waits for them to be removed.
func (h *Hub) add(chat string, s subscriber) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return ErrClosing
	}
	set := h.chats[chat]
	if set == nil {
		set = map[subscriber]struct{}{}
		h.chats[chat] = set
	}
	set[s] = struct{}{}
	if _, ok := s.(*socket); ok {
		h.sockets.Add(1)
		h.metrics.sockets.Inc()
	} else {
		h.metrics.mqttMembers.Inc()
	}
	return nil
}

func (h *Hub) isClosing() bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.closing
}

// remove unregisters s from chat; removing it twice is no error.
func (h *Hub) remove(chat string, s subscriber) {
	h.mu.Lock()
	defer h.mu.Unlock()
	set := h.chats[chat]
	if _, ok := set[s]; !ok {
		return
	}
	delete(set, s)
	if len(set) == 0 {
		delete(h.chats, chat)
	}
	if _, ok := s.(*socket); ok {
		h.sockets.Done()
		h.metrics.sockets.Dec()
	} else {
		h.metrics.mqttMembers.Dec()
	}
}

// deliver hands ev to every local subscriber of its chat, encoded once
// for all of them.
func (h *Hub) deliver(ev Event) {
	if ev.frame == nil {
		ev = ev.withFrame()
	}
	shared := &ev // one immutable event for every subscriber
	h.mu.RLock()
	defer h.mu.RUnlock()
	for s := range h.chats[ev.Chat] {
		s.deliver(shared)
	}
}

// resyncAll asks every subscriber to catch up from the database, after
// frames may have been missed (the Redis subscription was re-established).
func (h *Hub) resyncAll() {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, set := range h.chats {
		for s := range set {
			s.resync()
		}
	}
}

// shutdown refuses new sockets, closes the open ones with 1001 and waits
// for them to finish within ctx.
func (h *Hub) shutdown(ctx context.Context) error {
	h.mu.Lock()
	h.closing = true
	for _, set := range h.chats {
		for s := range set {
			s.shutdown()
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

package gateway

import (
	"bytes"
	"strconv"
	"strings"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// hook turns the broker into a gateway: every connection gets a session
// of its own, every publish is routed to a handler and never relayed.
type hook struct {
	mqtt.HookBase
	g *Gateway
}

func (h *hook) ID() string { return "gomicro-gateway" }

func (h *hook) Provides(b byte) bool {
	return bytes.Contains([]byte{
		mqtt.OnConnect, mqtt.OnConnectAuthenticate, mqtt.OnSessionEstablished, mqtt.OnACLCheck, mqtt.OnDisconnect,
		mqtt.OnPublish, mqtt.OnSelectSubscribers,
	}, []byte{b})
}

// OnConnect gives the connection a unique id: mqant's browser clients all
// connect as "111", and a broker would otherwise take the older session
// over. Wills are dropped: the gateway relays nothing, a will included.
func (h *hook) OnConnect(cl *mqtt.Client, _ packets.Packet) error {
	h.g.mu.Lock()
	h.g.seq++
	seq := h.g.seq
	h.g.mu.Unlock()
	cl.ID += "#" + strconv.FormatUint(seq, 10)
	cl.Properties.Will = mqtt.Will{}
	h.g.metrics.connects.Inc()
	return nil
}

// OnSessionEstablished opens the gateway's session once the CONNACK is
// out. Not at OnConnect: a client gone before its CONNACK gets no
// OnDisconnect from the broker, and its session would be held for ever.
func (h *hook) OnSessionEstablished(cl *mqtt.Client, _ packets.Packet) {
	id := cl.ID
	clientID := id[:strings.LastIndexByte(id, '#')] // as the client sent it
	s := newSession(id, clientID, cl, h.g.store.Current().MQTT.MaxInflight)
	h.g.mu.Lock()
	h.g.sessions[id] = s
	h.g.mu.Unlock()
	h.g.metrics.connections.Inc()
}

// OnConnectAuthenticate admits every client: users log in through the
// Login handler, bound to the session.
func (h *hook) OnConnectAuthenticate(*mqtt.Client, packets.Packet) bool { return true }

// OnACLCheck allows publishing and subscribing; subscriptions receive
// nothing, since nothing is relayed.
func (h *hook) OnACLCheck(*mqtt.Client, string, bool) bool { return true }

// OnDisconnect ends the session at once (disconnect or keepalive expiry),
// so modules drop the user's presence.
func (h *hook) OnDisconnect(cl *mqtt.Client, _ error, _ bool) {
	h.g.mu.Lock()
	s := h.g.sessions[cl.ID]
	delete(h.g.sessions, cl.ID)
	h.g.mu.Unlock()
	if s != nil {
		s.end()
		h.g.metrics.connections.Dec()
	}
}

// OnPublish routes the publish and consumes it. CodeSuccessIgnore, not
// ErrRejectPacket, so QoS 1 publishes are still acknowledged.
func (h *hook) OnPublish(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	h.g.mu.Lock()
	s := h.g.sessions[cl.ID]
	h.g.mu.Unlock()
	if s != nil {
		h.g.dispatch(s, pk.TopicName, pk.Payload)
	}
	return pk, packets.CodeSuccessIgnore
}

// OnSelectSubscribers selects no one for anything the broker would
// deliver (retained, $SYS): a client sees only its replies and pushes.
func (h *hook) OnSelectSubscribers(*mqtt.Subscribers, packets.Packet) *mqtt.Subscribers {
	return &mqtt.Subscribers{
		Shared:              map[string]map[string]packets.Subscription{},
		SharedSelected:      map[string]packets.Subscription{},
		Subscriptions:       map[string]packets.Subscription{},
		InlineSubscriptions: map[int]mqtt.InlineSubscription{},
	}
}

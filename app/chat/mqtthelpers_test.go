package chat_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/mochi-mqtt/server/v2/packets"
)

// MQTT protocol levels paho speaks.
const (
	mqtt31  = 3
	mqtt311 = 4
)

// mqttClient is a paho client of the server's gateway; every publish it
// receives, subscribed to or not, is kept until a test takes it.
type mqttClient struct {
	t       testing.TB
	c       paho.Client
	mu      sync.Mutex
	got     []paho.Message
	arrived chan struct{}
}

// mqtt connects a client with id at protocol version.
func (s *server) mqtt(id string, version uint) *mqttClient {
	s.t.Helper()
	if s.gateway == nil {
		s.t.Fatal("server started without options.mqtt")
	}
	c := &mqttClient{t: s.t, arrived: make(chan struct{}, 1)}
	opts := paho.NewClientOptions().AddBroker("tcp://" + s.gateway.Addr().String()).SetClientID(id).
		SetProtocolVersion(version).SetAutoReconnect(false).SetConnectRetry(false).SetKeepAlive(30 * time.Second).
		SetOrderMatters(true).SetDefaultPublishHandler(func(_ paho.Client, m paho.Message) {
		c.mu.Lock()
		c.got = append(c.got, m)
		c.mu.Unlock()
		select {
		case c.arrived <- struct{}{}:
		default:
		}
	})
	c.c = paho.NewClient(opts)
	if tok := c.c.Connect(); !tok.WaitTimeout(wait) || tok.Error() != nil {
		s.t.Fatalf("mqtt connect %s v%d: %v", id, version, tok.Error())
	}
	s.t.Cleanup(func() { c.c.Disconnect(0) })
	return c
}

func (c *mqttClient) publish(topic, body string) {
	c.t.Helper()
	if tok := c.c.Publish(topic, 0, false, body); !tok.WaitTimeout(wait) || tok.Error() != nil {
		c.t.Fatalf("publish %s: %v", topic, tok.Error())
	}
}

// take removes and returns the first publish received on topic, waiting
// for it.
func (c *mqttClient) take(topic string) paho.Message {
	c.t.Helper()
	deadline := time.After(wait)
	for {
		c.mu.Lock()
		i := slices.IndexFunc(c.got, func(m paho.Message) bool { return m.Topic() == topic })
		if i >= 0 {
			m := c.got[i]
			c.got = slices.Delete(c.got, i, i+1)
			c.mu.Unlock()
			return m
		}
		c.mu.Unlock()
		select {
		case <-c.arrived:
		case <-deadline:
			c.t.Fatalf("nothing on %s within %s", topic, wait)
		}
	}
}

type mqttReply struct {
	Trace  string
	Error  string
	Result json.RawMessage
}

// call publishes body to topic (with a msgid) and returns the reply.
func (c *mqttClient) call(topic, body string) mqttReply {
	c.t.Helper()
	c.publish(topic, body)
	var r mqttReply
	if m := c.take(topic); json.Unmarshal(m.Payload(), &r) != nil {
		c.t.Fatalf("reply on %s: %s", topic, m.Payload())
	}
	return r
}

// ok calls and fails the test on an Error; it returns the Result.
func (c *mqttClient) ok(topic, body string) json.RawMessage {
	c.t.Helper()
	r := c.call(topic, body)
	if r.Error != "" {
		c.t.Fatalf("%s %s: Error %q", topic, body, r.Error)
	}
	return r.Result
}

// refused calls and checks the Error.
func (c *mqttClient) refused(topic, body, want string) {
	c.t.Helper()
	if r := c.call(topic, body); r.Error != want || string(r.Result) != "null" {
		c.t.Fatalf("%s %s: %+v, want Error %q and Result null", topic, body, r, want)
	}
}

type onChat struct {
	RoomName, From, Target, Msg string
}

func (c *mqttClient) chat() onChat {
	c.t.Helper()
	var v onChat
	if m := c.take("Chat/OnChat"); json.Unmarshal(m.Payload(), &v) != nil {
		c.t.Fatalf("Chat/OnChat %s", m.Payload())
	}
	return v
}

// presence takes the next Chat/OnJoin or Chat/OnLeave and returns its user.
func (c *mqttClient) presence(topic, room string) string {
	c.t.Helper()
	var v struct{ RoomName, User string }
	if m := c.take(topic); json.Unmarshal(m.Payload(), &v) != nil || v.RoomName != room {
		c.t.Fatalf("%s %s, want room %s", topic, m.Payload(), room)
	}
	return v.User
}

// quiet checks that nothing arrived on topic: a call is made first, and
// its reply comes after anything pushed to this client before it.
func (c *mqttClient) quiet(topic string) {
	c.t.Helper()
	c.call("Chat/HD_Leave/marker", `{"roomName":"no-such-room-marker"}`)
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range c.got {
		if m.Topic() == topic {
			c.t.Fatalf("unexpected %s: %s", topic, m.Payload())
		}
	}
}

func (c *mqttClient) login(user, password string) {
	c.t.Helper()
	b, _ := json.Marshal(map[string]string{"userName": user, "passWord": password})
	if r := c.ok("Login/HD_Login/login", string(b)); string(r) != `"login success `+user+`"` {
		c.t.Fatalf("login %s: %s", user, r)
	}
}

func (c *mqttClient) join(room string) []string {
	c.t.Helper()
	var res struct{ Users []string }
	if err := json.Unmarshal(c.ok("Chat/HD_JoinChat/join", `{"roomName":"`+room+`"}`), &res); err != nil {
		c.t.Fatal(err)
	}
	return res.Users
}

func (c *mqttClient) say(room, target, text string) {
	c.t.Helper()
	b, _ := json.Marshal(map[string]string{"roomName": room, "target": target, "content": text, "from": "someone else"})
	if r := c.ok("Chat/HD_Say/say", string(b)); string(r) != `{"say":"say success"}` {
		c.t.Fatalf("say: %s", r)
	}
}

// rawMQTT is an MQTT 3.1.1 client written by hand on a TCP connection, for
// what paho will not do: stay silent past its keepalive.
type rawMQTT struct {
	conn net.Conn
	r    *bufio.Reader
}

func dialRawMQTT(t *testing.T, addr string, keepalive uint16) *rawMQTT {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	c := &rawMQTT{conn: conn, r: bufio.NewReader(conn)}
	c.send(t, packets.Packet{
		FixedHeader: packets.FixedHeader{Type: packets.Connect}, ProtocolVersion: 4,
		Connect: packets.ConnectParams{ProtocolName: []byte("MQTT"), Clean: true, Keepalive: keepalive, ClientIdentifier: "raw"},
	})
	if typ, _ := c.read(t); typ != packets.Connack {
		t.Fatalf("got packet type %d, want CONNACK", typ)
	}
	return c
}

func (c *rawMQTT) send(t *testing.T, pk packets.Packet) {
	t.Helper()
	var buf bytes.Buffer
	var err error
	switch pk.FixedHeader.Type {
	case packets.Connect:
		err = pk.ConnectEncode(&buf)
	default:
		err = pk.PublishEncode(&buf)
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.conn.Write(buf.Bytes()); err != nil {
		t.Fatal(err)
	}
}

// read returns the type and body of the next packet.
func (c *rawMQTT) read(t *testing.T) (byte, []byte) {
	t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(wait))
	first, err := c.r.ReadByte()
	if err != nil {
		t.Fatal(err)
	}
	n, _, err := packets.DecodeLength(c.r)
	if err != nil {
		t.Fatal(err)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(c.r, body); err != nil {
		t.Fatal(err)
	}
	return first >> 4, body
}

// call publishes body to topic at QoS 0 and waits for the reply on it.
func (c *rawMQTT) call(t *testing.T, topic, body string) {
	t.Helper()
	c.send(t, packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Publish}, TopicName: topic, Payload: []byte(body)})
	for {
		typ, b := c.read(t)
		var pk packets.Packet
		pk.FixedHeader.Type = packets.Publish
		if typ != packets.Publish || pk.PublishDecode(b) != nil || pk.TopicName != topic {
			continue // a push
		}
		var r mqttReply
		if json.Unmarshal(pk.Payload, &r) != nil || r.Error != "" {
			t.Fatalf("%s: %s", topic, pk.Payload)
		}
		return
	}
}

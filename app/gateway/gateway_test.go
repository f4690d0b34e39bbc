package gateway_test

import (
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"
)

const (
	mqtt31  = 3
	mqtt311 = 4
)

func TestLoginGatesHandlersAndRepliesCarryResults(t *testing.T) {
	for _, version := range []uint{mqtt31, mqtt311} {
		e := start(t, "")
		c := e.connect(t, "111", version)
		if r := c.call(t, "Echo/HD_Echo/1", `{"a":1}`); r.Error != "Not Logined" || string(r.Result) != "null" {
			t.Fatalf("v%d before login: %+v, want Error Not Logined and Result null", version, r)
		}
		r := c.call(t, "Login/HD_Login/2", `{"userName":"alice","passWord":"x"}`)
		if r.Error != "" || string(r.Result) != `"login success alice"` {
			t.Fatalf("v%d login: %+v", version, r)
		}
		if r := c.call(t, "Echo/HD_Echo/3", `{"a":1}`); r.Error != "" || string(r.Result) != `{"a":1}` {
			t.Fatalf("v%d echo: %+v", version, r)
		}
		if r := c.call(t, "Echo@node7/HD_Echo/4", `{"b":2}`); r.Error != "" || string(r.Result) != `{"b":2}` {
			t.Fatalf("v%d echo with a node: %+v", version, r)
		}
	}
}

func TestEveryRoutingFailureIsAReplyWithAMsgid(t *testing.T) {
	e := start(t, "")
	c := e.connect(t, "errs", mqtt311)
	for _, tt := range []struct{ topic, body, wantErr string }{
		{"Echo/HD_Echo/1", `{}`, "Not Logined"},
		{"Login/HD_Login/2", `{"userName":"bob"}`, ""},
		{"Chat", `{}`, "Topic must be [moduleType@moduleID]/[handler]|[moduleType@moduleID]/[handler]/[msgid]"},
		{"Echo/Say/3", `{}`, "Method(Say) must begin with 'HD_'"},
		{"Nope/HD_Say/4", `{}`, "Service(type:Nope) not found"},
		{"Echo/HD_Nope/5", `{}`, "Remote function(HD_Nope) not found"},
		{"Echo/HD_Echo/6", `{"a":}`, "The JSON format is incorrect"},
		{"Echo/HD_Fail/7", `{}`, "No room"},
		{"Echo/HD_Internal/8", `{}`, "internal error"},
	} {
		r := c.call(t, tt.topic, tt.body)
		if r.Error != tt.wantErr {
			t.Errorf("%s: Error %q, want %q", tt.topic, r.Error, tt.wantErr)
		}
		if strings.Contains(r.Error, "secret") {
			t.Errorf("%s: internal text reached the client: %q", tt.topic, r.Error)
		}
	}
}

// TestFailuresWithoutMsgidAreDroppedAndCounted: a refused or failing call
// without a msgid gets no reply; the next call's reply is the next publish.
func TestFailuresWithoutMsgidAreDroppedAndCounted(t *testing.T) {
	e := start(t, "")
	c := e.connect(t, "quiet", mqtt311)
	c.publish(t, "Echo/HD_Echo", 0, `{}`) // not logged in: refused
	c.login(t, "carol")
	c.publish(t, "Nope/HD_Say", 0, `{}`)
	c.publish(t, "Echo/Say", 0, `{}`)
	c.publish(t, "Echo/HD_Fail", 0, `{}`)
	e.waitCount(t, "Echo/HD_Fail", "error", 1)
	e.waitCount(t, "unknown", "refused", 2)
	e.waitCount(t, "Echo/HD_Echo", "refused", 1)
	if r := c.call(t, "Echo/HD_Echo/marker", `{"m":1}`); string(r.Result) != `{"m":1}` {
		t.Fatalf("marker reply %+v", r)
	}
}

func TestQoS1PublishesAreAcknowledged(t *testing.T) {
	e := start(t, "")
	c := e.connect(t, "qos1", mqtt311)
	c.publish(t, "Login/HD_Login/1", 1, `{"userName":"dave"}`) // waits for the PUBACK
	if m := c.next(t); m.Topic() != "Login/HD_Login/1" {
		t.Fatalf("reply on %q", m.Topic())
	}
}

func TestSameClientIDTwiceBothStayConnected(t *testing.T) {
	e := start(t, "")
	a := e.connect(t, "111", mqtt311)
	b := e.connect(t, "111", mqtt311)
	a.login(t, "ann")
	b.login(t, "ben")
	for _, c := range []*client{a, b, a} {
		c.publish(t, "Echo/HD_Push/1", 0, `{}`)
		// The push comes to the caller alone, unsubscribed, at QoS 0,
		// before the reply of the call that pushed it.
		if m := c.next(t); m.Topic() != "Echo/OnPush" || m.Qos() != 0 {
			t.Fatalf("push on %q qos %d", m.Topic(), m.Qos())
		}
		if m := c.next(t); m.Topic() != "Echo/HD_Push/1" {
			t.Fatalf("reply on %q", m.Topic())
		}
	}
	if !a.c.IsConnectionOpen() || !b.c.IsConnectionOpen() {
		t.Fatal("a second connection with the same client id closed the first")
	}
}

// TestNothingIsRelayed: a client subscribed to # receives only what is
// meant for it, never another client's publishes, replies or pushes.
func TestNothingIsRelayed(t *testing.T) {
	e := start(t, "")
	spy := e.connect(t, "spy", mqtt311)
	if tok := spy.c.Subscribe("#", 1, nil); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	other := e.connect(t, "other", mqtt311)
	other.login(t, "olga")
	other.publish(t, "Echo/HD_Push/1", 0, `{}`)
	other.next(t) // its push
	other.next(t) // its reply
	other.publish(t, "some/plain/topic", 1, "hello")
	other.publish(t, "Echo/HD_Echo", 1, `{}`)
	e.waitCount(t, "Echo/HD_Echo", "ok", 1)
	// The spy's own call: its reply must be the first thing it receives.
	if r := spy.call(t, "Login/HD_Login/mine", `{"userName":"sam"}`); r.Error != "" {
		t.Fatalf("spy login: %+v", r)
	}
	select {
	case m := <-spy.got:
		t.Fatalf("the spy received %q on %q", m.Payload(), m.Topic())
	default:
	}
}

func TestFullQueueIsRefused(t *testing.T) {
	e := start(t, "max_inflight: 2")
	c := e.connect(t, "busy", mqtt311)
	c.login(t, "eve")
	c.publish(t, "Echo/HD_Slow/1", 0, `{}`)
	c.publish(t, "Echo/HD_Slow/2", 0, `{}`)
	<-e.entered
	<-e.entered
	if r := c.call(t, "Echo/HD_Slow/3", `{}`); r.Error != "the work queue is full!" {
		t.Fatalf("third call: %+v", r)
	}
	close(e.slow)
	for range 2 {
		var r reply
		if err := json.Unmarshal(c.next(t).Payload(), &r); err != nil || string(r.Result) != `"done"` {
			t.Fatalf("released call: %+v %v", r, err)
		}
	}
	// Slots are free again.
	e.slow = make(chan struct{})
	c.publish(t, "Echo/HD_Slow/4", 0, `{}`)
	<-e.entered
}

func TestOversizedPayloadHarmsNoNeighbour(t *testing.T) {
	e := start(t, "max_payload: 1024")
	big := e.connect(t, "big", mqtt311)
	neighbour := e.connect(t, "neighbour", mqtt311)
	big.login(t, "bigby")
	neighbour.login(t, "nina")

	// Over max_payload but within a packet: refused, connection kept.
	if r := big.call(t, "Echo/HD_Echo/1", `{"x":"`+strings.Repeat("a", 2000)+`"}`); r.Error != "payload over 1024 bytes" {
		t.Fatalf("oversized payload: %+v", r)
	}
	if r := big.call(t, "Echo/HD_Echo/2", `{}`); r.Error != "" {
		t.Fatalf("after a refused payload: %+v", r)
	}
	// Far over: that connection is closed before the body is read.
	big.c.Publish("Echo/HD_Echo/3", 0, false, strings.Repeat("a", 100_000))
	deadline := time.Now().Add(5 * time.Second)
	for big.c.IsConnectionOpen() {
		if time.Now().After(deadline) {
			t.Fatal("a packet far over the limit left its connection open")
		}
		time.Sleep(5 * time.Millisecond) // polling interval, not synchronisation
	}
	if r := neighbour.call(t, "Echo/HD_Echo/1", `{"still":"here"}`); string(r.Result) != `{"still":"here"}` {
		t.Fatalf("neighbour after the oversized packet: %+v", r)
	}
}

func TestDisconnectEndsTheSession(t *testing.T) {
	e := start(t, "")
	c := e.connect(t, "leaver", mqtt311)
	c.login(t, "lee")
	c.c.Disconnect(0)
	select {
	case s := <-e.ended:
		if s.User() != "lee" {
			t.Fatalf("ended session of %q", s.User())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the session did not end after the disconnect")
	}
}

// TestClientsGoneBeforeConnackLeaveNothing: clients that send CONNECT and
// reset the connection at once (the CONNACK write fails, and the broker
// calls no OnDisconnect for them) hold no session afterwards.
func TestClientsGoneBeforeConnackLeaveNothing(t *testing.T) {
	e := start(t, "")
	connect := []byte{0x10, 13, 0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 60, 0, 1, 'r'} // 3.1.1, clean, id "r"
	const n = 200
	for range n {
		c, err := net.Dial("tcp", e.g.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		_ = c.(*net.TCPConn).SetLinger(0) // close sends RST
		if _, err := c.Write(connect); err != nil {
			t.Fatal(err)
		}
		_ = c.Close()
	}
	e.waitMetric(t, "mqtt_connects_total", func(v float64) bool { return v >= n })
	e.waitMetric(t, "mqtt_connections", func(v float64) bool { return v == 0 })
	// The gateway still serves.
	c := e.connect(t, "after", mqtt311)
	c.login(t, "after")
	if got := e.metricValue("mqtt_connections"); got != 1 {
		t.Errorf("mqtt_connections = %v with one client, want 1", got)
	}
}

// TestLoginBindsOneUser: a connection logged in as one user cannot log in
// as another (the check and the binding are one step); the same user again
// is fine.
func TestLoginBindsOneUser(t *testing.T) {
	e := start(t, "")
	c := e.connect(t, "one", mqtt311)
	c.login(t, "ann")
	if r := c.call(t, "Login/HD_Login/2", `{"userName":"ben"}`); r.Error != "logged in as ann" {
		t.Fatalf("second login as another user: %+v", r)
	}
	c.login(t, "ann")
}

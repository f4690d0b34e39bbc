package gateway_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/eclipse/paho.golang/paho"
	pahov3 "github.com/eclipse/paho.mqtt.golang"
)

// TestWebSocketWithEachSubprotocol connects over ws_port as paho JS does,
// on /mqtt and on another path, offering each subprotocol browsers use:
// the server must echo the one offered.
func TestWebSocketWithEachSubprotocol(t *testing.T) {
	e := start(t, "")
	for _, tt := range []struct {
		path, sub string
		version   uint
	}{
		{"/mqtt", "mqttv3.1", mqtt31},
		{"/mqtt", "mqtt", mqtt311},
		{"/any/path", "mqtt", mqtt311},
	} {
		var negotiated string
		opts := pahov3.NewClientOptions().AddBroker("ws://" + e.g.WSAddr().String() + tt.path)
		opts.SetCustomOpenConnectionFn(func(u *url.URL, _ pahov3.ClientOptions) (net.Conn, error) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			c, _, err := websocket.Dial(ctx, u.String(), &websocket.DialOptions{
				Subprotocols: []string{tt.sub},
				HTTPHeader:   http.Header{"Origin": {"http://app.example.com"}},
			})
			if err != nil {
				return nil, err
			}
			negotiated = c.Subprotocol()
			return websocket.NetConn(context.Background(), c, websocket.MessageBinary), nil
		})
		c := connectWith(t, opts, "111", tt.version)
		if negotiated != tt.sub {
			t.Fatalf("%s offering %q: server chose %q", tt.path, tt.sub, negotiated)
		}
		if r := c.call(t, "Login/HD_Login/1", `{"userName":"web"}`); string(r.Result) != `"login success web"` {
			t.Fatalf("%s %s login over WebSocket: %+v", tt.path, tt.sub, r)
		}
	}
}

// TestMQTT5ClientConnectsAndCalls drives the gateway with paho's MQTT 5
// client.
func TestMQTT5ClientConnectsAndCalls(t *testing.T) {
	e := start(t, "")
	conn, err := net.Dial("tcp", e.g.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan *paho.Publish, 10)
	c := paho.NewClient(paho.ClientConfig{
		Conn: conn,
		OnPublishReceived: []func(paho.PublishReceived) (bool, error){func(p paho.PublishReceived) (bool, error) {
			got <- p.Packet
			return true, nil
		}},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ack, err := c.Connect(ctx, &paho.Connect{ClientID: "111", KeepAlive: 30, CleanStart: true})
	if err != nil || ack.ReasonCode != 0 {
		t.Fatalf("connect v5: %v %+v", err, ack)
	}
	defer c.Disconnect(&paho.Disconnect{})
	if _, err := c.Publish(ctx, &paho.Publish{Topic: "Login/HD_Login/5", QoS: 1, Payload: []byte(`{"userName":"five"}`)}); err != nil {
		t.Fatalf("publish v5: %v", err)
	}
	select {
	case p := <-got:
		var r reply
		if err := json.Unmarshal(p.Payload, &r); err != nil || p.Topic != "Login/HD_Login/5" || string(r.Result) != `"login success five"` {
			t.Fatalf("v5 reply on %q: %s %v", p.Topic, p.Payload, err)
		}
	case <-ctx.Done():
		t.Fatal("no v5 reply")
	}
}

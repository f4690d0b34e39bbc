package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	paho "github.com/eclipse/paho.mqtt.golang"
)

// TestServerRunsTheMQTTGateway: the server starts the gateway on its
// configured ports, a paho client gets routed replies, and stopping the
// server closes the client's connection.
func TestServerRunsTheMQTTGateway(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	lines := watch(pr)
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, testEnviron(t), pw, io.Discard); pw.Close() }()
	addr := lines.wait(t, "mqtt listening", 10*time.Second)["addr"].(string)
	lines.wait(t, "listening", 10*time.Second)

	got := make(chan paho.Message, 10)
	lost := make(chan struct{})
	opts := paho.NewClientOptions().AddBroker("tcp://" + addr).SetClientID("111").SetAutoReconnect(false).
		SetDefaultPublishHandler(func(_ paho.Client, m paho.Message) { got <- m }).
		SetConnectionLostHandler(func(paho.Client, error) { close(lost) })
	c := paho.NewClient(opts)
	if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	c.Publish("Nope/HD_Say/1", 0, false, `{}`)
	select {
	case m := <-got:
		var r struct{ Trace, Error string }
		if err := json.Unmarshal(m.Payload(), &r); err != nil || r.Error != "Service(type:Nope) not found" || m.Topic() != "Nope/HD_Say/1" {
			t.Fatalf("reply on %q: %s", m.Topic(), m.Payload())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no reply from the gateway")
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	select {
	case <-lost:
	case <-time.After(5 * time.Second):
		t.Fatal("the MQTT connection outlived the server")
	}
}

// startServer runs the real server in process with extra environment and
// returns the HTTP, MQTT and MQTT-over-WebSocket addresses; the server
// stops when the test ends.
func startServer(t *testing.T, extra ...string) (httpAddr, mqttAddr, wsAddr string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	lines := watch(pr)
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, append(testEnviron(t), extra...), pw, io.Discard); pw.Close() }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	l := lines.wait(t, "mqtt listening", 10*time.Second)
	httpAddr = lines.wait(t, "listening", 10*time.Second)["addr"].(string)
	return httpAddr, l["addr"].(string), l["ws_addr"].(string)
}

// TestMqantPythonClient runs the flow of mqant's demo Python client with
// Debian's python3-paho-mqtt at MQTT 3.1 against the real server with
// mqtt.guest_login on; a paho Go client in the same room sees its message.
func TestMqantPythonClient(t *testing.T) {
	const python = "/usr/bin/python3" // Debian's, with python3-paho-mqtt
	if err := exec.Command(python, "-c", "import paho.mqtt.client").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s with paho.mqtt is required when CI=true (apt-get install python3-paho-mqtt): %v", python, err)
		}
		t.Skipf("no %s with paho.mqtt: %v", python, err)
	}
	_, mqttAddr, _ := startServer(t, "APP_MQTT_GUEST_LOGIN=true")

	got := make(chan paho.Message, 10)
	other := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + mqttAddr).SetClientID("111").
		SetAutoReconnect(false).SetOrderMatters(true).
		SetDefaultPublishHandler(func(_ paho.Client, m paho.Message) { got <- m }))
	if tok := other.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	defer other.Disconnect(0)
	for _, call := range []struct{ topic, body string }{
		{"Login/HD_Login/1", `{"userName":"gopher","passWord":"Hello,anyone!"}`},
		{"Chat/HD_JoinChat/2", `{"roomName":"mqant"}`},
	} {
		other.Publish(call.topic, 0, false, call.body)
		if m := receive(t, got); m.Topic() != call.topic || !strings.Contains(string(m.Payload()), `"Error":""`) {
			t.Fatalf("%s: %s", m.Topic(), m.Payload())
		}
	}

	host, port, _ := net.SplitHostPort(mqttAddr)
	out, err := exec.Command(python, "testdata/mqant_chat_client.py", host, port, "小明", "大家好!!").Output()
	if err != nil {
		t.Fatalf("python client: %v\n%s", err, out)
	}
	type line struct{ Topic, Payload string }
	seen := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var v line
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		seen[v.Topic] = v.Payload
	}
	const guest = "小明 (guest)"
	reply := func(topic string) (r struct {
		Trace, Error string
		Result       json.RawMessage
	}) {
		t.Helper()
		if err := json.Unmarshal([]byte(seen[topic]), &r); err != nil || r.Error != "" || len(r.Trace) != 32 {
			t.Fatalf("%s: %s", topic, seen[topic])
		}
		return r
	}
	if seen["$connack"] != "0" {
		t.Fatalf("connack %s", seen["$connack"])
	}
	if r := reply("Login/HD_Login/1"); string(r.Result) != `"login success `+guest+`"` {
		t.Fatalf("login result %s", r.Result)
	}
	var join struct{ Users []string }
	if err := json.Unmarshal(reply("Chat/HD_JoinChat/2").Result, &join); err != nil || !slices.Equal(join.Users, []string{"gopher (guest)", guest}) {
		t.Fatalf("join result %s", reply("Chat/HD_JoinChat/2").Result)
	}
	if r := reply("Chat/HD_Say/2"); string(r.Result) != `{"say":"say success"}` {
		t.Fatalf("say result %s", r.Result)
	}
	want := `{"roomName":"mqant","from":"` + guest + `","target":"*","msg":"大家好!!"}`
	if seen["Chat/OnChat"] != want {
		t.Fatalf("python client's OnChat %s, want %s", seen["Chat/OnChat"], want)
	}
	// The Go client saw it join, say, and leave.
	for _, topic := range []string{"Chat/OnJoin", "Chat/OnChat", "Chat/OnLeave"} {
		if m := receive(t, got); m.Topic() != topic || !strings.Contains(string(m.Payload()), guest) {
			t.Fatalf("Go client got %s %s, want %s", m.Topic(), m.Payload(), topic)
		}
	}
}

func receive(t *testing.T, got <-chan paho.Message) paho.Message {
	t.Helper()
	select {
	case m := <-got:
		return m
	case <-time.After(5 * time.Second):
		t.Fatal("nothing received within 5s")
		return nil
	}
}

// TestMQTTOverWebSocketChat: through the real server's ws_port, offering
// the subprotocol mqttv3.1 as paho JS does for MQTT 3.1, an account logs
// in, joins, says and gets its Chat/OnChat.
func TestMQTTOverWebSocketChat(t *testing.T) {
	httpAddr, _, wsAddr := startServer(t)
	resp, err := http.Post("http://"+httpAddr+"/api/v1/auth/users", "application/json", strings.NewReader(`{"username":"webby","password":"password1"}`))
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("sign up: %v %v", err, resp)
	}
	resp.Body.Close()

	var negotiated string
	got := make(chan paho.Message, 10)
	opts := paho.NewClientOptions().AddBroker("ws://" + wsAddr + "/mqtt").SetClientID("111").SetProtocolVersion(3).
		SetAutoReconnect(false).SetOrderMatters(true).
		SetDefaultPublishHandler(func(_ paho.Client, m paho.Message) { got <- m })
	opts.SetCustomOpenConnectionFn(func(u *url.URL, _ paho.ClientOptions) (net.Conn, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c, _, err := websocket.Dial(ctx, u.String(), &websocket.DialOptions{Subprotocols: []string{"mqttv3.1"}})
		if err != nil {
			return nil, err
		}
		negotiated = c.Subprotocol()
		return websocket.NetConn(context.Background(), c, websocket.MessageBinary), nil
	})
	c := paho.NewClient(opts)
	if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("connect over WebSocket: %v", tok.Error())
	}
	defer c.Disconnect(0)
	if negotiated != "mqttv3.1" {
		t.Fatalf("subprotocol %q", negotiated)
	}
	for _, call := range []struct{ topic, body, result string }{
		{"Login/HD_Login/1", `{"userName":"webby","passWord":"password1"}`, `"login success webby"`},
		{"Chat/HD_JoinChat/2", `{"roomName":"web-room"}`, `{"users":["webby"]}`},
		{"Chat/HD_Say/3", `{"roomName":"web-room","content":"over ws","target":"*"}`, `{"say":"say success"}`},
	} {
		c.Publish(call.topic, 0, false, call.body)
		m := receive(t, got)
		if m.Topic() == "Chat/OnChat" {
			if string(m.Payload()) != `{"roomName":"web-room","from":"webby","target":"*","msg":"over ws"}` {
				t.Fatalf("OnChat %s", m.Payload())
			}
			m = receive(t, got)
		}
		var r struct{ Error, Result json.RawMessage }
		if err := json.Unmarshal(m.Payload(), &r); err != nil || m.Topic() != call.topic || string(r.Error) != `""` || string(r.Result) != call.result {
			t.Fatalf("%s: %s", m.Topic(), m.Payload())
		}
	}
}

package main

import (
	"context"
	"encoding/json"
	"io"
	"testing"
	"time"

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

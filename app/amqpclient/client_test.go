package amqpclient_test

import (
	"context"
	"errors"
	"net"
	"strconv"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/rs/zerolog"

	"gomicro/app/amqpclient"
	"gomicro/app/amqpclient/amqptest"
	"gomicro/app/config"
)

func open(t *testing.T, url string) *amqpclient.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(zerolog.New(zerolog.NewTestWriter(t)).WithContext(context.Background()), 10*time.Second)
	defer cancel()
	c := amqpclient.Open(ctx, config.AMQP{URL: url}, "gomicro-test")
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// declare is a publisher's setup: the test queue, durable.
func declare(queue string) func(ch *amqp.Channel) error {
	return func(ch *amqp.Channel) error {
		_, err := ch.QueueDeclare(queue, true, false, false, false, nil)
		return err
	}
}

// get takes one message off queue with its own connection.
func get(t *testing.T, url, queue string) (amqp.Delivery, bool) {
	t.Helper()
	conn, err := amqp.Dial(url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	d, ok, err := ch.Get(queue, true)
	if err != nil {
		t.Fatal(err)
	}
	return d, ok
}

func TestPublishIsConfirmedAndPersistent(t *testing.T) {
	url := amqptest.URL(t)
	queue := amqptest.Queue(t, url)
	c := open(t, url)
	if c.Current() == nil {
		t.Fatal("Open returned before the first dial to a reachable broker")
	}
	if detail, err := c.Check("amqp", true).Probe(context.Background()); err != nil || detail == "" {
		t.Fatalf("check = %q, %v", detail, err)
	}
	p := c.NewPublisher(declare(queue))
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.Publish(ctx, "", queue, amqp.Publishing{MessageId: "m1", Body: []byte("hello")}); err != nil {
		t.Fatal(err)
	}
	d, ok := get(t, url, queue)
	if !ok || string(d.Body) != "hello" || d.MessageId != "m1" || d.DeliveryMode != amqp.Persistent {
		t.Fatalf("got %v %q %q mode %d", ok, d.Body, d.MessageId, d.DeliveryMode)
	}
}

func TestPublishFailsAtOnceWithoutBroker(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	c := open(t, "amqp://guest:guest@127.0.0.1:"+strconv.Itoa(port)+"/")
	start := time.Now()
	err = c.NewPublisher(nil).Publish(context.Background(), "", "q", amqp.Publishing{Body: []byte("x")})
	if !errors.Is(err, amqpclient.ErrNotConnected) || time.Since(start) > 100*time.Millisecond {
		t.Fatalf("publish = %v after %s, want ErrNotConnected at once", err, time.Since(start))
	}
	if _, err := c.Check("amqp", false).Probe(context.Background()); err == nil {
		t.Fatal("check reports a broker that is not there as up")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.Connection(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Connection = %v, want the deadline", err)
	}
	_ = c.Close()
	if _, err := c.Connection(context.Background()); !errors.Is(err, amqpclient.ErrClosed) {
		t.Fatalf("Connection after Close = %v, want ErrClosed", err)
	}
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The client redials a broker that was stopped and started again, and a
// publisher carries on over the new connection; persistent messages
// published before the stop are still queued.
func TestReconnectsAfterBrokerRestart(t *testing.T) {
	node := amqptest.StartNode(t)
	c := open(t, node.URL())
	p := c.NewPublisher(declare("restart"))
	defer p.Close()
	publish := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return p.Publish(ctx, "", "restart", amqp.Publishing{Body: []byte("m")})
	}
	if err := publish(); err != nil {
		t.Fatal(err)
	}
	node.Stop()
	waitFor(t, "the connection to be seen lost", 10*time.Second, func() bool { return c.Current() == nil })
	if err := publish(); !errors.Is(err, amqpclient.ErrNotConnected) {
		t.Fatalf("publish while stopped = %v, want ErrNotConnected", err)
	}
	node.Start()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := c.Connection(ctx); err != nil {
		t.Fatalf("no reconnection after the broker came back: %v", err)
	}
	if err := publish(); err != nil {
		t.Fatalf("publish after the restart: %v", err)
	}
	for i := range 2 {
		if _, ok := get(t, node.URL(), "restart"); !ok {
			t.Fatalf("message %d of 2 lost across the restart", i+1)
		}
	}
}

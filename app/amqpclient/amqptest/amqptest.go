// Package amqptest gives tests the real RabbitMQ: its URL, a queue name of
// their own (deleted with its dead-letter queue when the test ends) and a
// private broker node to stop and start without touching the shared one.
package amqptest

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/url"
	"os"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// URL returns the test broker: TEST_AMQP_URL. It skips t when the variable
// is unset or nothing answers there, or fails it when CI=true, where the
// broker is required.
func URL(t testing.TB) string {
	t.Helper()
	raw := os.Getenv("TEST_AMQP_URL")
	if raw == "" {
		missing(t, "TEST_AMQP_URL is not set")
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("TEST_AMQP_URL: %v", err)
	}
	conn, err := net.DialTimeout("tcp", u.Host, time.Second)
	if err != nil {
		missing(t, "no broker at "+u.Host+": "+err.Error())
	}
	_ = conn.Close()
	return raw
}

func missing(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("RabbitMQ is required when CI=true: %s", why)
	}
	t.Skip(why)
}

// Queue returns a fresh queue name ("gomicro-test.<hex>.wechat.messages");
// the queue and its ".dead" queue are deleted from the broker at rawURL
// when t ends.
func Queue(t testing.TB, rawURL string) string {
	t.Helper()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	name := "gomicro-test." + hex.EncodeToString(b) + ".wechat.messages"
	t.Cleanup(func() { DeleteQueues(t, rawURL, name, name+".dead") })
	return name
}

// DeleteQueues removes queues from the broker at rawURL; a failure is
// logged, not fatal, since the test itself is over.
func DeleteQueues(t testing.TB, rawURL string, names ...string) {
	conn, err := amqp.DialConfig(rawURL, amqp.Config{Dial: amqp.DefaultDial(2 * time.Second)})
	if err != nil {
		t.Logf("amqp cleanup of %v: %v", names, err)
		return
	}
	defer conn.Close()
	for _, n := range names {
		ch, err := conn.Channel()
		if err != nil {
			t.Logf("amqp cleanup of %s: %v", n, err)
			return
		}
		if _, err := ch.QueueDelete(n, false, false, false); err != nil {
			t.Logf("amqp cleanup of %s: %v", n, err)
		}
		_ = ch.Close()
	}
}

// Depth returns the ready messages of queue (0 when it does not exist).
func Depth(t testing.TB, rawURL, queue string) int {
	t.Helper()
	conn, err := amqp.DialConfig(rawURL, amqp.Config{Dial: amqp.DefaultDial(2 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	q, err := ch.QueueDeclarePassive(queue, true, false, false, false, nil)
	if err != nil {
		return 0
	}
	return q.Messages
}

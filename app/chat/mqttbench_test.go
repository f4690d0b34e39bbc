package chat_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/mochi-mqtt/server/v2/packets"

	"gomicro/app/db/dbtest"
)

// BenchmarkMQTTFanout measures Chat/HD_Say → Chat/OnChat to 1,000 MQTT
// clients in one chat, and beside it, in the same iterations, the same
// fan-out through the machine's Mosquitto (TEST_MOSQUITTO_ADDR, default
// 127.0.0.1:1883): one plain publish to 1,000 subscribers of a topic, with
// the payload gomicro pushes. Both sides use the same receivers: bare
// MQTT 3.1.1 connections in this process, one reading goroutine each, that
// note the time a PUBLISH of the topic arrives. Each iteration does one
// fan-out on each side, alternating which goes first. Reported: p50 and
// p99 over every delivery, for each, and gomicro's p99 over Mosquitto's.
func BenchmarkMQTTFanout(b *testing.B) {
	const n = 1000
	mosq := os.Getenv("TEST_MOSQUITTO_ADDR")
	if mosq == "" {
		mosq = "127.0.0.1:1883"
	}
	if c, err := net.DialTimeout("tcp", mosq, time.Second); err != nil {
		if os.Getenv("CI") == "true" {
			b.Fatalf("Mosquitto on %s is required when CI=true: %v", mosq, err)
		}
		b.Skipf("no Mosquitto on %s: %v", mosq, err)
	} else {
		c.Close()
	}
	s := startServer(b, dbtest.SQLite(b), options{mqtt: "guest_login: true, max_connections: 5000"})
	gw := s.gateway.Addr().String()
	room := fmt.Sprintf("bench%d", time.Now().UnixNano())
	topic := "gomicro-bench/" + room

	arrivals := make(chan time.Time, 2*n)
	for i := range n {
		r := dialBench(b, gw, fmt.Sprintf("g%d", i))
		r.call(b, "Login/HD_Login/1", fmt.Sprintf(`{"userName":"m%d"}`, i))
		r.call(b, "Chat/HD_JoinChat/2", `{"roomName":"`+room+`"}`)
		go r.collect("Chat/OnChat", arrivals)
		m := dialBench(b, mosq, fmt.Sprintf("gomicro-bench-%s-%d", room, i))
		m.subscribe(b, topic)
		go m.collect(topic, arrivals)
	}
	sender := dialBench(b, gw, "sender")
	sender.call(b, "Login/HD_Login/1", `{"userName":"sender"}`)
	sender.call(b, "Chat/HD_JoinChat/2", `{"roomName":"`+room+`"}`)
	go sender.collect("Chat/HD_Say/3", arrivals) // the reply, so the say is done
	publisher := dialBench(b, mosq, "gomicro-bench-pub-"+room)
	payload, _ := json.Marshal(map[string]string{"roomName": room, "from": "sender (guest)", "target": "*", "msg": "fan-out"})

	sides := []struct {
		name string
		send func()
		want int
		lat  []time.Duration
	}{
		{name: "gomicro", want: n + 1, send: func() {
			sender.publish(b, "Chat/HD_Say/3", []byte(`{"roomName":"`+room+`","content":"fan-out","target":"*"}`))
		}},
		{name: "mosquitto", want: n, send: func() { publisher.publish(b, topic, payload) }},
	}
	b.ResetTimer()
	i := 0
	for b.Loop() {
		for k := range sides {
			side := &sides[(i+k)%2]
			start := time.Now()
			side.send()
			timeout := time.NewTimer(10 * time.Second)
			for got := range side.want {
				select {
				case at := <-arrivals:
					side.lat = append(side.lat, at.Sub(start))
				case <-timeout.C:
					b.Fatalf("%s: %d of %d deliveries within 10 s (mqtt_connections %v, slow-client drops are disconnects)",
						side.name, got, side.want, s.metric("mqtt_connections"))
				}
			}
			timeout.Stop()
		}
		i++
	}
	b.StopTimer()
	var p99 [2]float64
	for k, side := range sides {
		slices.Sort(side.lat)
		p50 := float64(side.lat[len(side.lat)/2].Microseconds()) / 1000
		p99[k] = float64(side.lat[len(side.lat)*99/100].Microseconds()) / 1000
		b.ReportMetric(p50, side.name+"-p50-ms")
		b.ReportMetric(p99[k], side.name+"-p99-ms")
	}
	b.ReportMetric(p99[0]/p99[1], "p99-ratio")
}

// benchConn is a bare MQTT 3.1.1 connection: the same receiver for the
// gateway and for Mosquitto.
type benchConn struct {
	conn net.Conn
	r    *bufio.Reader
}

func dialBench(b *testing.B, addr, id string) *benchConn {
	b.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = conn.Close() })
	c := &benchConn{conn: conn, r: bufio.NewReader(conn)}
	var buf bytes.Buffer
	pk := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Connect}, ProtocolVersion: 4,
		Connect: packets.ConnectParams{ProtocolName: []byte("MQTT"), Clean: true, Keepalive: 300, ClientIdentifier: id}}
	if err := pk.ConnectEncode(&buf); err != nil {
		b.Fatal(err)
	}
	c.write(b, buf.Bytes())
	if typ, _, err := c.read(); err != nil || typ != packets.Connack {
		b.Fatalf("connect %s: packet %d, %v", addr, typ, err)
	}
	return c
}

func (c *benchConn) write(b *testing.B, p []byte) {
	if _, err := c.conn.Write(p); err != nil {
		b.Error(err)
	}
}

func (c *benchConn) read() (byte, []byte, error) {
	first, err := c.r.ReadByte()
	if err != nil {
		return 0, nil, err
	}
	n, _, err := packets.DecodeLength(c.r)
	if err != nil {
		return 0, nil, err
	}
	body := make([]byte, n)
	_, err = io.ReadFull(c.r, body)
	return first >> 4, body, err
}

func (c *benchConn) publish(b *testing.B, topic string, payload []byte) {
	var buf bytes.Buffer
	pk := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Publish}, ProtocolVersion: 4, TopicName: topic, Payload: payload}
	if err := pk.PublishEncode(&buf); err != nil {
		b.Fatal(err)
	}
	c.write(b, buf.Bytes())
}

func (c *benchConn) subscribe(b *testing.B, topic string) {
	b.Helper()
	var buf bytes.Buffer
	pk := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Subscribe, Qos: 1}, ProtocolVersion: 4, PacketID: 1,
		Filters: packets.Subscriptions{{Filter: topic}}}
	if err := pk.SubscribeEncode(&buf); err != nil {
		b.Fatal(err)
	}
	c.write(b, buf.Bytes())
	if typ, _, err := c.read(); err != nil || typ != packets.Suback {
		b.Fatalf("subscribe: packet %d, %v", typ, err)
	}
}

// call publishes to topic and reads until the reply on it.
func (c *benchConn) call(b *testing.B, topic, body string) {
	b.Helper()
	c.publish(b, topic, []byte(body))
	for {
		typ, body, err := c.read()
		if err != nil {
			b.Fatal(err)
		}
		if t, _ := publishTopic(typ, body); t == topic {
			return
		}
	}
}

// collect sends the arrival time of every PUBLISH on topic until the
// connection ends.
func (c *benchConn) collect(topic string, arrivals chan<- time.Time) {
	for {
		typ, body, err := c.read()
		if err != nil {
			return
		}
		if t, ok := publishTopic(typ, body); ok && t == topic {
			arrivals <- time.Now()
		}
	}
}

// publishTopic returns the topic of a QoS 0 PUBLISH body.
func publishTopic(typ byte, body []byte) (string, bool) {
	if typ != packets.Publish || len(body) < 2 {
		return "", false
	}
	n := int(body[0])<<8 | int(body[1])
	if len(body) < 2+n {
		return "", false
	}
	return string(body[2 : 2+n]), true
}

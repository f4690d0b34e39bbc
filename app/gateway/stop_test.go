package gateway_test

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"gomicro/app/config"
	"gomicro/app/config/configtest"
	"gomicro/app/gateway"
)

// TestStopWhileClientsDisconnect: stopping the gateway while clients are
// disconnecting returns, every time. (mochi v2.7.9's own way of closing a
// listener's clients read-locks its client map twice, and a disconnect
// between the two deadlocks it: Stop then hung forever.)
func TestStopWhileClientsDisconnect(t *testing.T) {
	for round := range 10 {
		_, cfg := configtest.Load(t, "mqtt: {enabled: true, host: 127.0.0.1, port: 0, ws_port: 0}\n")
		g := gateway.New(gateway.Deps{Store: config.NewStore(cfg, config.Meta{Source: config.SourceLocal})})
		ctx := zerolog.Nop().WithContext(context.Background())
		if err := g.Start(ctx); err != nil {
			t.Fatal(err)
		}
		conns := make([]net.Conn, 1000)
		for i := range conns {
			conns[i] = rawConnect(t, g.Addr().String())
		}
		// Disconnects keep coming, from two goroutines, while Stop runs.
		var wg sync.WaitGroup
		half := make(chan struct{})
		for k := range 4 {
			wg.Go(func() {
				for i := k; i < len(conns); i += 4 {
					_ = conns[i].Close()
					if i == len(conns)/4 {
						close(half)
					}
				}
			})
		}
		<-half
		stopped := make(chan error, 1)
		go func() {
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			stopped <- g.Stop(sctx)
		}()
		select {
		case err := <-stopped:
			if err != nil {
				t.Fatalf("round %d: stop: %v", round, err)
			}
		case <-time.After(15 * time.Second):
			t.Fatalf("round %d: Stop did not return while clients disconnected", round)
		}
		wg.Wait()
	}
}

// rawConnect opens a connection and completes an MQTT 3.1.1 CONNECT.
func rawConnect(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	// CONNECT: protocol "MQTT" level 4, clean session, keepalive 60, client id "s".
	connect := []byte{0x10, 13, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 60, 0, 1, 's'}
	if _, err := c.Write(connect); err != nil {
		t.Fatal(err)
	}
	ack := make([]byte, 4)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(ack); err != nil || ack[0] != 0x20 {
		t.Fatalf("connack %x: %v", ack, err)
	}
	return c
}

package chat_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"gomicro/app/config"
	"gomicro/app/db/dbtest"
	"gomicro/app/redisclient/redistest"
)

// TestTwoInstancesShareMessages: two instances on one MariaDB database and
// the real Redis: a message posted on one reaches a socket on the other
// within a second, both ways, and presence spans both.
func TestTwoInstancesShareMessages(t *testing.T) {
	dbcfg := dbtest.MySQL(t)
	rcfg := redistest.Config(t)
	gdb := openDB(t, dbcfg)
	a := startServer(t, dbcfg, options{gdb: gdb, redis: &rcfg})
	b := startServer(t, dbcfg, options{gdb: gdb, redis: &rcfg})

	alice, aliceTok := a.user("alice")
	bob, bobTok := a.user("bob")
	c := a.newChat(aliceTok)
	b.join(bobTok, c.URI) // a token from A works on B: tokens live in the database

	onA := a.dial(aliceTok, c.URI, "")
	onA.presence(wait)
	onB := b.dial(bobTok, c.URI, "")
	if users := onB.presence(wait); len(users) != 2 || users[0] != alice && users[1] != alice {
		t.Fatalf("presence on B = %v, want alice (on A) and bob", users)
	}
	expectUserFrame(t, onA, "join", bob)

	for i := range 5 {
		start := time.Now()
		posted := a.post(aliceTok, c.URI, fmt.Sprintf("A→B %d", i))
		if m := onB.message(time.Second); m.ID != posted.ID {
			t.Fatalf("B got %+v, want id %d", m, posted.ID)
		}
		if d := time.Since(start); d > time.Second {
			t.Fatalf("A→B took %s", d)
		}
		if m := onA.message(time.Second); m.ID != posted.ID {
			t.Fatalf("A's own socket got %+v", m)
		}
		posted = b.post(bobTok, c.URI, fmt.Sprintf("B→A %d", i))
		if m := onA.message(time.Second); m.ID != posted.ID {
			t.Fatalf("A got %+v, want id %d", m, posted.ID)
		}
		onB.message(time.Second)
	}
	_ = onB.conn.CloseNow()
	expectUserFrame(t, onA, "leave", bob)
}

// TestRedisRestartResumesDelivery: with a private Redis that is killed and
// started again on the same port, the instances resubscribe by themselves;
// a socket that missed a message during the outage gets it from history
// once Redis is back, and live delivery resumes, without restarting either
// instance.
func TestRedisRestartResumesDelivery(t *testing.T) {
	dbcfg := dbtest.MySQL(t)
	redisSrv := startPrivateRedis(t)
	rcfg := config.Redis{Addr: redisSrv.addr, KeyPrefix: "gomicro-test:restart:", DialTimeout: time.Second}
	gdb := openDB(t, dbcfg)
	a := startServer(t, dbcfg, options{gdb: gdb, redis: &rcfg})
	b := startServer(t, dbcfg, options{gdb: gdb, redis: &rcfg})
	_, tok := a.user("alice")
	c := a.newChat(tok)
	onB := b.dial(tok, c.URI, "")
	onB.presence(wait)
	first := a.post(tok, c.URI, "before the outage")
	if m := onB.message(time.Second); m.ID != first.ID {
		t.Fatalf("B got %+v", m)
	}

	redisSrv.stop(t)
	during := a.post(tok, c.URI, "during the outage") // stored; the publish fails
	redisSrv.start(t)

	// B resubscribes and catches up from the database on its own.
	if m := onB.message(15 * time.Second); m.ID != during.ID || m.Message != "during the outage" {
		t.Fatalf("after the restart B got %+v, want id %d", m, during.ID)
	}
	// Live delivery over Redis works again, within a second.
	deadline := time.Now().Add(10 * time.Second)
	for {
		start := time.Now()
		after := a.post(tok, c.URI, "after the outage")
		m := onB.message(wait)
		if m.ID != after.ID {
			t.Fatalf("B got %+v, want id %d", m, after.ID)
		}
		if time.Since(start) < time.Second {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("delivery over Redis did not resume within 10 s")
		}
	}
}

// privateRedis is a redis-server of this test's own, so killing it
// disturbs no other test.
type privateRedis struct {
	addr string
	port int
	cmd  *exec.Cmd
}

func startPrivateRedis(t *testing.T) *privateRedis {
	t.Helper()
	if _, err := os.Stat("/usr/bin/redis-server"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("/usr/bin/redis-server is required when CI=true")
		}
		t.Skip("no /usr/bin/redis-server")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	r := &privateRedis{addr: "127.0.0.1:" + strconv.Itoa(port), port: port}
	r.start(t)
	t.Cleanup(func() { r.stop(t) })
	return r
}

func (r *privateRedis) start(t *testing.T) {
	t.Helper()
	r.cmd = exec.Command("/usr/bin/redis-server", "--port", strconv.Itoa(r.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", t.TempDir())
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", r.addr, 200*time.Millisecond)
		if err == nil {
			_ = conn.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server on %s did not come up: %v", r.addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (r *privateRedis) stop(t *testing.T) {
	t.Helper()
	if r.cmd == nil || r.cmd.Process == nil {
		return
	}
	_ = r.cmd.Process.Kill()
	_ = r.cmd.Wait()
	r.cmd = nil
}

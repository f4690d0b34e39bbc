package amqptest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// rabbitmqServer is the broker's own start script, run directly (not the
// /usr/sbin wrapper, which switches to the rabbitmq user and its paths).
const (
	rabbitmqServer = "/usr/lib/rabbitmq/bin/rabbitmq-server"
	rabbitmqctl    = "/usr/lib/rabbitmq/bin/rabbitmqctl"
)

// Node is a private RabbitMQ node of one test: its own name, ports, data
// and logs under the test's temp dir, so it can be stopped and started
// again while the shared broker serves the other tests.
type Node struct {
	t    testing.TB
	name string
	port int
	dir  string
	cmd  *exec.Cmd
	exit chan struct{}
}

// StartNode starts a private node and waits until it accepts AMQP
// connections. The test is skipped when the broker is not installed here
// (failed under CI=true). Every process it starts is ended when t ends,
// whatever the outcome.
func StartNode(t testing.TB) *Node {
	t.Helper()
	if _, err := os.Stat(rabbitmqServer); err != nil {
		missing(t, "rabbitmq-server is not installed: "+err.Error())
	}
	n := &Node{t: t, port: freePort(t), dir: t.TempDir()}
	n.name = "gomicro-test-" + strconv.Itoa(n.port) + "@localhost"
	files := map[string]string{
		// An env file of our own: the shared node's names its node.
		"rabbitmq-env.conf": "",
		"rabbitmq.conf":     "loopback_users = none\n",
		"enabled_plugins":   "[].\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(n.dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(n.cleanup)
	n.Start()
	return n
}

// URL is the node's AMQP URL (guest/guest, default vhost).
func (n *Node) URL() string { return fmt.Sprintf("amqp://guest:guest@127.0.0.1:%d/", n.port) }

func (n *Node) environ() []string {
	return append(os.Environ(),
		"HOME="+n.dir, // the Erlang cookie lives here, shared with rabbitmqctl
		"RABBITMQ_CONF_ENV_FILE="+filepath.Join(n.dir, "rabbitmq-env.conf"),
		"RABBITMQ_CONFIG_FILE="+filepath.Join(n.dir, "rabbitmq.conf"),
		"RABBITMQ_ENABLED_PLUGINS_FILE="+filepath.Join(n.dir, "enabled_plugins"),
		"RABBITMQ_NODENAME="+n.name,
		"RABBITMQ_NODE_IP_ADDRESS=127.0.0.1",
		"RABBITMQ_NODE_PORT="+strconv.Itoa(n.port),
		"RABBITMQ_DIST_PORT="+strconv.Itoa(n.port+1),
		"RABBITMQ_MNESIA_BASE="+filepath.Join(n.dir, "mnesia"),
		"RABBITMQ_LOG_BASE="+filepath.Join(n.dir, "log"),
		"ERL_EPMD_ADDRESS=127.0.0.1",
	)
}

// Start starts the node (again, on the same port and data: durable queues
// and their messages survive) and waits up to a minute for its port.
func (n *Node) Start() {
	n.t.Helper()
	cmd := exec.Command(rabbitmqServer)
	cmd.Env = n.environ()
	cmd.Dir = n.dir
	out, err := os.Create(filepath.Join(n.dir, "server-"+strconv.FormatInt(time.Now().UnixNano(), 10)+".out"))
	if err != nil {
		n.t.Fatal(err)
	}
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out
	// A process group of its own, so the script, the VM and its helpers
	// end together.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		n.t.Fatal(err)
	}
	n.cmd, n.exit = cmd, make(chan struct{})
	go func(exit chan struct{}) { _ = cmd.Wait(); close(exit) }(n.exit)
	deadline := time.Now().Add(time.Minute)
	for {
		conn, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(n.port), time.Second)
		if err == nil {
			_ = conn.Close()
			return
		}
		select {
		case <-n.exit:
			n.t.Fatalf("rabbitmq node %s exited at start; see %s", n.name, out.Name())
		default:
		}
		if time.Now().After(deadline) {
			n.t.Fatalf("rabbitmq node %s not listening on %d within a minute", n.name, n.port)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Stop stops the node as an operator would (rabbitmqctl stop: clients get
// connection.close), waiting for its processes to end; it kills them when
// they do not within 30 s.
func (n *Node) Stop() {
	n.t.Helper()
	if n.cmd == nil {
		return
	}
	ctl := exec.Command(rabbitmqctl, "-n", n.name, "stop")
	ctl.Env = n.environ()
	if out, err := ctl.CombinedOutput(); err != nil {
		n.t.Logf("rabbitmqctl stop: %v: %s", err, out)
	}
	select {
	case <-n.exit:
	case <-time.After(30 * time.Second):
		n.kill()
	}
	n.cmd = nil
}

func (n *Node) kill() {
	if n.cmd == nil {
		return
	}
	if err := syscall.Kill(-n.cmd.Process.Pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		n.t.Logf("kill rabbitmq node: %v", err)
	}
	<-n.exit
}

// cleanup ends whatever still runs, however the test ended.
func (n *Node) cleanup() {
	if n.cmd == nil {
		return
	}
	n.Stop()
	n.kill()
}

// freePort returns a port free now whose successor (the node's Erlang
// distribution port) is free too.
func freePort(t testing.TB) int {
	t.Helper()
	for range 50 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		next, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port+1))
		_ = ln.Close()
		if err == nil {
			_ = next.Close()
			return port
		}
	}
	t.Fatal("no two free ports in a row")
	return 0
}

package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// proc is a started server: where to send load and whose CPU to read.
type proc struct {
	name string
	url  string
	cmd  *exec.Cmd
	done chan struct{}
	errs *lockedBuffer
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

// stop sends SIGTERM and waits for the process to exit.
func (p *proc) stop() {
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// startProbe re-runs this program as the bare Gin probe.
func startProbe(ctx context.Context, work string) (*proc, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	cmd := exec.CommandContext(ctx, self, "-probe", addr)
	cmd.Dir = work
	return start(ctx, "bare gin", cmd, "http://"+addr+"/demo/hello")
}

// startServer runs the built server from a directory of its own holding
// the profile's env file as shipped, so its log/ and data/ land there.
func startServer(ctx context.Context, bin, repo, work string, p profile) (*proc, error) {
	dir := filepath.Join(work, strings.ReplaceAll(p.name, "/", "-"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	file := "config_" + p.env + ".yaml"
	b, err := os.ReadFile(filepath.Join(repo, file))
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, file), b, 0o644); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, bin)
	cmd.Dir = dir
	// The MQTT gateway takes free ports: the fixed ones may be in use here.
	cmd.Env = append(environWithoutApp(), "APP_ENV="+p.env, "APP_SERVER_PORT="+strconv.Itoa(port), "APP_MQTT_PORT=0", "APP_MQTT_WS_PORT=0")
	cmd.Env = append(cmd.Env, p.extra...)
	return start(ctx, "server "+p.name, cmd, fmt.Sprintf("http://127.0.0.1:%d/demo/hello", port))
}

// environWithoutApp is this process's environment without APP_* settings,
// so only the profile decides the server's config.
func environWithoutApp() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "APP_") {
			out = append(out, kv)
		}
	}
	return out
}

// start runs cmd with its stdout going to a file in its directory (as with
// ./server > out.log: the kernel's copying is the server's own CPU, and no
// third process reading a pipe takes cycles during its rounds only) and
// waits until url answers 200.
func start(ctx context.Context, name string, cmd *exec.Cmd, url string) (*proc, error) {
	out, err := os.Create(filepath.Join(cmd.Dir, "stdout.log"))
	if err != nil {
		return nil, err
	}
	defer out.Close() // the child holds its own copy
	p := &proc{name: name, url: url, cmd: cmd, done: make(chan struct{}), errs: &lockedBuffer{}}
	cmd.Stdout, cmd.Stderr = out, p.errs
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() { _ = cmd.Wait(); close(p.done) }()

	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		select {
		case <-p.done:
			return nil, fmt.Errorf("%s exited at start: %s", name, p.errs.String())
		case <-ctx.Done():
			p.stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("%s did not answer %s within 30s: %s", name, url, p.errs.String())
		}
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

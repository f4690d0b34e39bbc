package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gomicro/app/config"
)

// TestMain lets a test re-run this binary as the real server (main and its
// signal handling included) by setting GOMICRO_AS_SERVER=1.
func TestMain(m *testing.M) {
	if os.Getenv("GOMICRO_AS_SERVER") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// testEnviron points the shipped config_test.yaml at a temp dir and a free
// port, with JSON on stdout so the test can read the listening address.
func testEnviron(t *testing.T) []string {
	t.Helper()
	dir := t.TempDir()
	return []string{
		"APP_CONFIG=../../config_test.yaml",
		"APP_SERVER_PORT=0",
		"APP_MQTT_PORT=0",
		"APP_MQTT_WS_PORT=0",
		"APP_LOG_FORMAT=json",
		"APP_LOG_DIR=" + filepath.Join(dir, "log"),
		"APP_DATABASE_PATH=" + filepath.Join(dir, "gomicro.db"),
		"APP_SERVER_SHUTDOWN_TIMEOUT=10s",
	}
}

// lineWatcher scans JSON log lines and reports the first one whose message
// matches, so tests wait on what the server says instead of sleeping.
type lineWatcher struct {
	mu    sync.Mutex
	lines []map[string]any
	cond  *sync.Cond
	done  bool
}

func watch(r io.Reader) *lineWatcher {
	w := &lineWatcher{}
	w.cond = sync.NewCond(&w.mu)
	go func() {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) != nil {
				continue
			}
			w.mu.Lock()
			w.lines = append(w.lines, m)
			w.cond.Broadcast()
			w.mu.Unlock()
		}
		w.mu.Lock()
		w.done = true
		w.cond.Broadcast()
		w.mu.Unlock()
	}()
	return w
}

func (w *lineWatcher) wait(t *testing.T, msg string, timeout time.Duration) map[string]any {
	t.Helper()
	timer := time.AfterFunc(timeout, func() { w.mu.Lock(); w.done = true; w.cond.Broadcast(); w.mu.Unlock() })
	defer timer.Stop()
	w.mu.Lock()
	defer w.mu.Unlock()
	for {
		for _, l := range w.lines {
			if l["message"] == msg {
				return l
			}
		}
		if w.done {
			t.Fatalf("no %q log line within %s", msg, timeout)
		}
		w.cond.Wait()
	}
}

func TestServesHealthzWithin3sOnEmbeddedDefault(t *testing.T) {
	start := time.Now()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	lines := watch(pr)
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, testEnviron(t), pw, io.Discard); pw.Close() }()

	addr := lines.wait(t, "listening", 3*time.Second)["addr"].(string)
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("healthz %d", resp.StatusCode)
	}
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Fatalf("first /healthz answered %s after start", elapsed)
	}
	resp, err = http.Get("http://" + addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"database"`) {
		t.Fatalf("readyz %d %s", resp.StatusCode, body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run returned %v", err)
	}
}

func TestConfigErrorsAreInvalid(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		environ []string
		want    string
	}{
		{"unknown env", nil, []string{"APP_ENV=staging"}, "APP_ENV"},
		{"missing file", []string{"-config", "nope.yaml"}, nil, "nope.yaml"},
		{"invalid value", nil, []string{"APP_CONFIG=../../config_test.yaml", "APP_SERVER_PORT=99999"}, "server.port"},
		{"unknown subcommand", []string{"-config", "../../config_test.yaml", "frobnicate"}, []string{"APP_LOG_DIR=" + t.TempDir()}, "frobnicate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(context.Background(), tt.args, tt.environ, io.Discard, io.Discard)
			if !errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want ErrInvalid naming %q", err, tt.want)
			}
		})
	}
}

// serverProcess starts this test binary as the real server.
func serverProcess(t *testing.T, args []string, environ []string) (*exec.Cmd, *lineWatcher) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), append(environ, "GOMICRO_AS_SERVER=1")...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return cmd, watch(stdout)
}

func exitCode(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	err := cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0
}

func TestExitCodeTwoOnBadConfig(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-config", "does-not-exist.yaml")
	cmd.Env = append(os.Environ(), "GOMICRO_AS_SERVER=1")
	out, _ := cmd.CombinedOutput()
	if cmd.ProcessState.ExitCode() != 2 || !strings.Contains(string(out), "does-not-exist.yaml") {
		t.Fatalf("exit %d, output %s", cmd.ProcessState.ExitCode(), out)
	}
}

// TestMigrateSubcommand: `server migrate` exits 0, and a server started
// afterwards without auto_migrate finds the schema in place.
func TestMigrateSubcommand(t *testing.T) {
	environ := append(testEnviron(t), "APP_DATABASE_AUTO_MIGRATE=false")
	cmd, _ := serverProcess(t, []string{"migrate"}, environ)
	if code := exitCode(t, cmd); code != 0 {
		t.Fatalf("migrate exited %d", code)
	}

	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	lines := watch(pr)
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, environ, pw, io.Discard); pw.Close() }()
	addr := lines.wait(t, "listening", 10*time.Second)["addr"].(string)
	resp, err := http.Post("http://"+addr+"/api/v1/demo/items", "application/json", strings.NewReader(`{"name":"after-migrate","price_cents":1}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create after migrate: %d", resp.StatusCode)
	}
}

// TestSIGTERMLetsInFlightRequestFinish sends a POST with
// "Expect: 100-continue". net/http answers 100 Continue only once the
// handler starts reading the body, so receiving it proves the request is in
// flight. Then SIGTERM; once the server logs that it is shutting down, the
// body goes out. The request must complete and the process exit 0.
func TestSIGTERMLetsInFlightRequestFinish(t *testing.T) {
	cmd, lines := serverProcess(t, nil, testEnviron(t))
	addr := lines.wait(t, "listening", 10*time.Second)["addr"].(string)

	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"name":"slow-upload","price_cents":100,"description":"sent after SIGTERM"}`
	fmt.Fprintf(conn, "POST /api/v1/demo/items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"+
		"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n", len(body))
	rd := bufio.NewReader(conn)
	cont, err := http.ReadResponse(rd, nil)
	if err != nil || cont.StatusCode != http.StatusContinue {
		t.Fatalf("want 100 Continue, got %v %v", cont, err)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	lines.wait(t, "shutting down", 10*time.Second)
	if _, err := io.WriteString(conn, body); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(rd, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("in-flight request got %d", resp.StatusCode)
	}
	if code := exitCode(t, cmd); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	lines.wait(t, "stopped", 10*time.Second)
}

// count returns how many lines seen so far match.
func (w *lineWatcher) count(match func(map[string]any) bool) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, l := range w.lines {
		if match(l) {
			n++
		}
	}
	return n
}

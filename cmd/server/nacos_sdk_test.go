//go:build !race

// These tests drive the Nacos SDK, which has data races in its own
// connection code; `make test` runs them in a separate pass without -race.

package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gomicro/app/nacos/nacostest"
)

func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", within, what)
		}
		time.Sleep(10 * time.Millisecond) // polling interval, not synchronisation
	}
}

// TestNacosRegisterAndDeregisterOnSIGTERM runs the real binary against the
// fake Nacos: business config comes from the dataId, the server registers
// itself with the port it listens on, and SIGTERM deregisters it.
func TestNacosRegisterAndDeregisterOnSIGTERM(t *testing.T) {
	fake, err := nacostest.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Stop()
	key := nacostest.Key{Group: "DEFAULT_GROUP", DataID: "server-e2e.yaml"}
	fake.SetConfig(key, "app:\n  name: svc-e2e\nserver:\n  admin_token: e2e-token\nlog:\n  level: info\n")

	dir := t.TempDir()
	environ := append(testEnviron(t),
		"APP_NACOS_HOST=127.0.0.1:8848",
		"APP_NACOS_GRPC_PORT="+strconv.Itoa(fake.Port()),
		"APP_NACOS_DATA_ID="+key.DataID,
		"APP_NACOS_CACHE_DIR="+filepath.Join(dir, "nacos-cache"),
		"APP_NACOS_LOG_DIR="+filepath.Join(dir, "nacos-log"),
		"APP_NACOS_ADVERTISE_IP=127.0.0.1",
	)
	cmd, lines := serverProcess(t, nil, environ)
	addr := lines.wait(t, "listening", 10*time.Second)["addr"].(string)
	_, portStr, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(portStr)

	eventually(t, 10*time.Second, "instance registered", func() bool {
		for _, in := range fake.Instances("svc-e2e", "DEFAULT_GROUP") {
			if in.Port == port && in.Ephemeral {
				return true
			}
		}
		return false
	})

	// The ops endpoint shows the Nacos source and the token from the dataId.
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/nacos/getConfig", nil)
	req.Header.Set("Authorization", "Bearer e2e-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var got struct {
		Source string `json:"source"`
	}
	if err := json.Unmarshal(body, &got); err != nil || resp.StatusCode != 200 || got.Source != "nacos" {
		t.Fatalf("getConfig %d %s", resp.StatusCode, body)
	}

	// A reload that changes log.level applies to the running process: SQL
	// statements log at debug, so they appear only after the change.
	list := func() {
		t.Helper()
		resp, err := http.Get("http://" + addr + "/api/v1/demo/items")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	list()
	lines.wait(t, "access", 5*time.Second)
	if n := lines.count(func(l map[string]any) bool { return l["level"] == "debug" && l["sql"] != nil }); n != 0 {
		t.Fatalf("%d SQL debug lines at level info", n)
	}
	fake.SetConfigSilently(key, "app:\n  name: svc-e2e\nserver:\n  admin_token: e2e-token\nlog:\n  level: debug\n")
	req, _ = http.NewRequest(http.MethodPost, "http://"+addr+"/nacos/refresh", nil)
	req.Header.Set("Authorization", "Bearer e2e-token")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "log.level") {
		t.Fatalf("refresh %d %s", resp.StatusCode, body)
	}
	lines.wait(t, "log level changed", 5*time.Second)
	list()
	eventually(t, 5*time.Second, "SQL debug line after the level change", func() bool {
		return lines.count(func(l map[string]any) bool { return l["level"] == "debug" && l["sql"] != nil }) > 0
	})

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := exitCode(t, cmd); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	if n := fake.Requests("InstanceRequest/deregisterInstance"); n < 1 {
		t.Fatalf("no deregisterInstance request (%d)", n)
	}
	if left := fake.Instances("svc-e2e", "DEFAULT_GROUP"); len(left) != 0 {
		t.Fatalf("instances left: %+v", left)
	}
}

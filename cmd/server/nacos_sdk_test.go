//go:build !race

// These tests drive the Nacos SDK, which has data races in its own
// connection code; `make test` runs them in a separate pass without -race.

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
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
	key := nacostest.Key{Group: "DEFAULT_GROUP", DataID: uniqueDataID("server-e2e")}
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
	eventually(t, 10*time.Second, "nacos client settled", func() bool { return fake.InSync(key) && fake.Requests("ConfigQueryRequest") >= 3 })
	if got := gogcPercent(t, addr); got != 200 {
		t.Fatalf("go_gc_gogc_percent %d before the reload, want the default 200", got)
	}
	fake.SetConfigSilently(key, "app:\n  name: svc-e2e\n  gc_percent: 150\nserver:\n  admin_token: e2e-token\nlog:\n  level: debug\n")
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
	lines.wait(t, "gc percent changed", 5*time.Second)
	if got := gogcPercent(t, addr); got != 150 {
		t.Fatalf("go_gc_gogc_percent %d after the reload, want 150", got)
	}
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

func getJSON(t *testing.T, url, token string, into any) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(body, into); err != nil {
		t.Fatalf("%s: %s", url, body)
	}
	return resp.StatusCode
}

// TestServesWithin4sWhenNacosIsDown starts the real binary with Nacos
// refusing connections or accepting and never answering, with and without
// a last-good snapshot: it must serve within 4 s and say it is degraded.
func TestServesWithin4sWhenNacosIsDown(t *testing.T) {
	// One live start against the fake leaves a snapshot in this cache dir.
	snapDir, err := os.MkdirTemp("", "server-snap-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(snapDir) })
	key := nacostest.Key{Group: "DEFAULT_GROUP", DataID: uniqueDataID("server-down")}
	{
		fake, err := nacostest.Start("127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		fake.SetConfig(key, "app:\n  name: from-snapshot\n")
		cmd, lines := serverProcess(t, nil, append(testEnviron(t), nacosEnv(fake.Port(), key.DataID, snapDir)...))
		lines.wait(t, "listening", 10*time.Second)
		_ = cmd.Process.Signal(syscall.SIGTERM)
		if code := exitCode(t, cmd); code != 0 {
			t.Fatalf("live run exit %d", code)
		}
		fake.Stop()
	}

	tests := []struct {
		name     string
		port     func(testing.TB) int
		cache    string
		wantSrc  string
		wantName string
	}{
		{"refused, no snapshot", nacostest.RefusedPort, "", "local", "gomicro"},
		{"hung, no snapshot", nacostest.Blackhole, "", "local", "gomicro"},
		{"refused, snapshot", nacostest.RefusedPort, snapDir, "snapshot", "from-snapshot"},
		{"hung, snapshot", nacostest.Blackhole, snapDir, "snapshot", "from-snapshot"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cache := tt.cache
			if cache == "" {
				var err error
				if cache, err = os.MkdirTemp("", "server-nosnap-"); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = os.RemoveAll(cache) })
			}
			start := time.Now()
			cmd, lines := serverProcess(t, nil, append(testEnviron(t), nacosEnv(tt.port(t), key.DataID, cache)...))
			addr := lines.wait(t, "listening", 10*time.Second)["addr"].(string)
			var health map[string]any
			if code := getJSON(t, "http://"+addr+"/healthz", "", &health); code != 200 {
				t.Fatalf("healthz %d", code)
			}
			d := time.Since(start)
			if d > 4*time.Second {
				t.Fatalf("serving after %s", d)
			}
			t.Logf("serving after %s", d)
			var ready struct {
				Components map[string]struct{ Status, Detail string }
			}
			getJSON(t, "http://"+addr+"/readyz", "", &ready)
			if ready.Components["config"].Status != "down" {
				t.Fatalf("readyz config %+v", ready.Components["config"])
			}
			var got struct {
				Source   string
				Degraded bool
				Config   struct{ App struct{ Name string } }
			}
			getJSON(t, "http://"+addr+"/nacos/getConfig", "", &got) // loopback, no token configured
			if got.Source != tt.wantSrc || !got.Degraded || got.Config.App.Name != tt.wantName {
				t.Fatalf("getConfig %+v", got)
			}
			_ = cmd.Process.Signal(syscall.SIGTERM)
			if code := exitCode(t, cmd); code != 0 {
				t.Fatalf("exit %d", code)
			}
		})
	}
}

func nacosEnv(grpcPort int, dataID, cacheDir string) []string {
	return []string{
		"APP_NACOS_HOST=127.0.0.1:8848",
		"APP_NACOS_GRPC_PORT=" + strconv.Itoa(grpcPort),
		"APP_NACOS_DATA_ID=" + dataID,
		"APP_NACOS_CACHE_DIR=" + filepath.Join(cacheDir, "cache"),
		"APP_NACOS_LOG_DIR=" + filepath.Join(cacheDir, "log"),
		"APP_NACOS_ADVERTISE_IP=127.0.0.1",
	}
}

// TestRefusedPushAlertsWeCom: with alerts on, a Nacos push that fails
// validation is refused, logged at error, and reaches the WeCom group.
func TestRefusedPushAlertsWeCom(t *testing.T) {
	got := make(chan string, 16)
	wecomSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- string(body)
		_, _ = io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
	}))
	defer wecomSrv.Close()
	fake, err := nacostest.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Stop()
	key := nacostest.Key{Group: "DEFAULT_GROUP", DataID: uniqueDataID("server-alert")}
	fake.SetConfig(key, "log: {level: info}\n")
	dir, err := os.MkdirTemp("", "server-alert-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })

	environ := append(testEnviron(t), nacosEnv(fake.Port(), key.DataID, dir)...)
	environ = append(environ,
		"APP_WECHAT_ROBOT_BASE_URL="+wecomSrv.URL,
		"APP_WECHAT_ALERT_ENABLED=true",
		"APP_WECHAT_ALERT_ROBOT=ops",
	)
	cfgFile := filepath.Join(dir, "config.yaml")
	shipped, err := os.ReadFile("../../config_test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// The robot map comes from the file; env can only override existing keys.
	shipped = []byte(strings.Replace(string(shipped), "  robot_templates: {}", "  robot_templates: {ops: {key: ops-key}}", 1))
	if err := os.WriteFile(cfgFile, shipped, 0o600); err != nil {
		t.Fatal(err)
	}
	environ = append(environ, "APP_CONFIG="+cfgFile)
	cmd, lines := serverProcess(t, nil, environ)
	addr := lines.wait(t, "listening", 10*time.Second)["addr"].(string)

	eventually(t, 10*time.Second, "nacos client settled", func() bool { return fake.InSync(key) && fake.Requests("ConfigQueryRequest") >= 3 })
	fake.SetConfigSilently(key, "log: {level: loud}\n")
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/nacos/refresh", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("refresh of invalid content: %d", resp.StatusCode)
	}
	lines.wait(t, "nacos config refused; last good config kept", 5*time.Second)
	_ = cmd.Process.Signal(syscall.SIGTERM) // closing flushes the folded alert
	if code := exitCode(t, cmd); code != 0 {
		t.Fatalf("exit %d", code)
	}
	select {
	case body := <-got:
		if !strings.Contains(body, "nacos config refused") || !strings.Contains(body, "trace_id") {
			t.Fatalf("alert %s", body)
		}
	default:
		t.Fatal("no alert reached WeCom")
	}
}

// uniqueDataID names a dataId no other test in this process used: the SDK
// keeps per-dataId state process-wide (rate limits, caches), which would
// otherwise carry over between -count runs.
func uniqueDataID(name string) string {
	return fmt.Sprintf("%s-%d.yaml", name, time.Now().UnixNano())
}

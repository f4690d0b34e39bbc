package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"gomicro/app/config"
	"gomicro/app/db"
	"gomicro/app/demo"
)

func TestRunRejectsBadConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  []string
	}{
		{"unknown env", nil, []string{"APP_ENV=staging"}},
		{"bad override", []string{"-config", writeConfig(t, testConfig{})}, []string{"APP_XXL_JOB_PORT=99999"}},
		{"stray argument", []string{"-config", writeConfig(t, testConfig{}), "serve"}, nil},
		{"missing file", []string{"-config", filepath.Join(t.TempDir(), "none.yaml")}, nil},
		{"bad flag", []string{"-nope"}, nil},
		{"bad admin url", []string{"-config", writeConfig(t, testConfig{admin: "ftp://admin"})}, nil},
		{"bad wecom url", []string{"-config", writeConfig(t, testConfig{wecom: "ftp://wecom"})}, nil},
		{"zero shutdown timeout", []string{"-config", writeConfig(t, testConfig{})}, []string{"APP_XXL_JOB_SHUTDOWN_TIMEOUT=0s"}},
		{"sub-second shutdown timeout", []string{"-config", writeConfig(t, testConfig{})}, []string{"APP_XXL_JOB_SHUTDOWN_TIMEOUT=500ms"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A config that passed would serve until ctx ends and return nil.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err := run(ctx, tc.args, tc.env, io.Discard, io.Discard)
			if !errors.Is(err, config.ErrInvalid) {
				t.Fatalf("run = %v, want config.ErrInvalid (exit 2)", err)
			}
		})
	}
}

// TestRunServesRegistersAndStops drives the binary's run end to end against
// a minimal admin: registration, one trigger and its callback, and
// deregistration when the context ends.
func TestRunServesRegistersAndStops(t *testing.T) {
	admin := newAdmin(t)
	port := freePort(t)
	job := startRun(t, writeConfig(t, testConfig{admin: admin.url, port: port}))

	reg := job.next(t, admin, "/api/registry ")
	if want := fmt.Sprintf(`"registryValue":"http://127.0.0.1:%d/"`, port); !strings.Contains(reg, want) {
		t.Errorf("registry %s lacks %s", reg, want)
	}
	trigger(t, port, `{"jobId":1,"logId":5,"executorHandler":"demo_task","executorParams":"{\"lines\":1}","logDateTime":1700000000000}`)
	if cb := job.callback(t, admin); cb.LogID != 5 || cb.HandleCode != 200 {
		t.Errorf("callback %+v, want log 5 with code 200", cb)
	}
	// One /metrics has the executor's series and the binary's: Go, process
	// and the log counters.
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`xxljob_runs_total{code="200",handler="demo_task"} 1`, "log_write_errors_total 0", "log_lines_dropped_total 0", "go_goroutines ", "process_cpu_seconds_total "} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	job.stop(t, admin)
}

// TestRunWiresReportTasks runs the binary on a fresh SQLite file with
// auto_migrate and a local WeCom, and checks the two report tasks end to
// end: the items report counts rows written to that file after start, the
// WeCom report reaches the default robot with its key.
func TestRunWiresReportTasks(t *testing.T) {
	admin := newAdmin(t)
	robot := newWecom(t)
	port := freePort(t)
	dbPath := filepath.Join(t.TempDir(), "job.db")
	job := startRun(t, writeConfig(t, testConfig{admin: admin.url, port: port, wecom: robot.url, database: dbPath}))
	job.next(t, admin, "/api/registry ")

	// Rows written by another connection after start: the schema must be
	// the one run migrated, and the count must come from this file.
	addItems(t, dbPath, 5) // ids 1..5
	trigger(t, port, `{"jobId":1,"logId":11,"executorHandler":"demo_items_report_task","broadcastIndex":1,"broadcastTotal":2,"logDateTime":1700000000000}`)
	if cb := job.callback(t, admin); cb.LogID != 11 || cb.HandleCode != 200 || cb.HandleMsg != "shard 1/2: 3 items" {
		t.Errorf("items report callback %+v, want log 11, 200, shard 1/2: 3 items", cb)
	}

	trigger(t, port, `{"jobId":2,"logId":12,"executorHandler":"wecom_report_task","executorParams":"daily: all green","logDateTime":1700000000000}`)
	if cb := job.callback(t, admin); cb.LogID != 12 || cb.HandleCode != 200 || cb.HandleMsg != "wecom report sent" {
		t.Errorf("wecom report callback %+v, want log 12, 200, wecom report sent", cb)
	}
	select {
	case got := <-robot.sent:
		if want := "key=robot-key text daily: all green"; got != want {
			t.Errorf("wecom received %q, want %q", got, want)
		}
	default:
		t.Error("wecom received nothing, yet the task reported it sent")
	}
	job.stop(t, admin)
}

// testConfig is what a test varies in the executor's config file.
type testConfig struct {
	admin    string // xxl-job.url
	port     int    // xxl-job.port
	wecom    string // wechat.robot_base_url; empty: WeCom's own
	database string // SQLite file; empty: one beside the config
	nacos    string // extra YAML appended (a nacos section); empty: Nacos off
}

func writeConfig(t *testing.T, c testConfig) string {
	t.Helper()
	dir := t.TempDir()
	if c.database == "" {
		c.database = filepath.Join(dir, "gomicro.db")
	}
	if c.wecom == "" {
		c.wecom = "https://qyapi.weixin.qq.com"
	}
	yaml := fmt.Sprintf(`app: {name: gomicro, timezone: Asia/Shanghai}
log: {level: warn, dir: %q}
database: {driver: sqlite, path: %q, auto_migrate: true}
wechat:
  robot_base_url: %q
  robot_templates: {DEFAULT: {key: robot-key}}
xxl-job:
  url: %q
  app_name: gomicro-job
  access_token: tok
  port: %d
  address: "127.0.0.1:%d"
  log_path: %q
  shutdown_timeout: 5s
`, filepath.Join(dir, "log"), c.database, c.wecom, c.admin, c.port, c.port, filepath.Join(dir, "xxl_log"))
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(yaml+c.nacos), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// freePort asks the kernel for a port that is free now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// fakeAdmin plays xxl-job-admin minimally: it accepts every call and passes it
// on as "path body".
type fakeAdmin struct {
	url    string
	events chan string
}

func newAdmin(t *testing.T) *fakeAdmin {
	t.Helper()
	a := &fakeAdmin{events: make(chan string, 100)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		a.events <- r.URL.Path + " " + string(body)
		_, _ = w.Write([]byte(`{"code":200,"msg":null}`))
	}))
	t.Cleanup(srv.Close)
	a.url = srv.URL
	return a
}

// fakeWecom plays the WeCom robot webhook, passing on each text message as
// "key=KEY text CONTENT".
type fakeWecom struct {
	url  string
	sent chan string
}

func newWecom(t *testing.T) *fakeWecom {
	t.Helper()
	w := &fakeWecom{sent: make(chan string, 10)}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		var msg struct {
			MsgType string `json:"msgtype"`
			Text    struct {
				Content string `json:"content"`
			} `json:"text"`
		}
		if r.URL.Path != "/cgi-bin/webhook/send" || json.NewDecoder(r.Body).Decode(&msg) != nil {
			_, _ = rw.Write([]byte(`{"errcode":40008,"errmsg":"invalid message type"}`))
			return
		}
		w.sent <- fmt.Sprintf("key=%s %s %s", r.URL.Query().Get("key"), msg.MsgType, msg.Text.Content)
		_, _ = rw.Write([]byte(`{"errcode":0,"errmsg":"ok"}`))
	}))
	t.Cleanup(srv.Close)
	w.url = srv.URL
	return w
}

// running is a run of the binary in the background.
type running struct {
	cancel context.CancelFunc
	done   chan error
}

// startRun runs run with the config at path until the test stops it or ends.
func startRun(t *testing.T, path string) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- run(ctx, []string{"-config", path}, nil, io.Discard, io.Discard) }()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	return r
}

// next returns the admin's next event starting with prefix, skipping
// others (heartbeats); it fails if run returns first or after 10 s.
func (r *running) next(t *testing.T, a *fakeAdmin, prefix string) string {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev := <-a.events:
			if strings.HasPrefix(ev, prefix) {
				return ev
			}
		case err := <-r.done:
			r.done <- err // for the cleanup
			t.Fatalf("run returned early: %v", err)
		case <-deadline:
			t.Fatalf("no %s", prefix)
		}
	}
}

// javaCallback is one element of /api/callback with the names the Java
// admin decodes (HandleCallbackParam).
type javaCallback struct {
	LogID      int64  `json:"logId"`
	LogDateTim int64  `json:"logDateTim"`
	HandleCode int    `json:"handleCode"`
	HandleMsg  string `json:"handleMsg"`
}

// callback returns the single callback of the admin's next callback call.
func (r *running) callback(t *testing.T, a *fakeAdmin) javaCallback {
	t.Helper()
	ev := r.next(t, a, "/api/callback ")
	var cbs []javaCallback
	if err := json.Unmarshal([]byte(strings.TrimPrefix(ev, "/api/callback ")), &cbs); err != nil || len(cbs) != 1 {
		t.Fatalf("callback call %s: want one callback (%v)", ev, err)
	}
	return cbs[0]
}

// stop cancels the run, expects deregistration and a clean return.
func (r *running) stop(t *testing.T, a *fakeAdmin) {
	t.Helper()
	r.cancel()
	r.next(t, a, "/api/registryRemove ")
	select {
	case err := <-r.done:
		r.done <- err
		if err != nil {
			t.Fatalf("run = %v after stop", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after stop")
	}
}

// trigger posts body to the executor's /run as the admin does and fails
// unless the trigger is accepted.
func trigger(t *testing.T, port int, body string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, fmt.Sprintf("http://127.0.0.1:%d/run", port), bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("XXL-JOB-ACCESS-TOKEN", "tok")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(answer), `"code":200`) {
		t.Fatalf("run answered %s", answer)
	}
}

// addItems writes n demo items into the SQLite file at path through a
// connection of its own.
func addItems(t *testing.T, path string, n int) {
	t.Helper()
	ctx := zerolog.Nop().WithContext(t.Context())
	gdb, err := db.Open(ctx, config.Database{Driver: "sqlite", Path: path, MaxOpenConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if sqlDB, err := gdb.DB(); err == nil {
			_ = sqlDB.Close()
		}
	}()
	items := demo.NewService(demo.NewStore(gdb))
	for i := range n {
		if _, err := items.Create(ctx, demo.NewItem{Name: fmt.Sprintf("item-%d", i)}); err != nil {
			t.Fatalf("add item: %v", err)
		}
	}
}

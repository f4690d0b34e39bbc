package main

import (
	"bytes"
	"context"
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

	"gomicro/app/config"
)

func TestRunRejectsBadConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  []string
	}{
		{"unknown env", nil, []string{"APP_ENV=staging"}},
		{"bad override", []string{"-config", writeConfig(t, "", 0)}, []string{"APP_XXL_JOB_PORT=99999"}},
		{"stray argument", []string{"-config", writeConfig(t, "", 0), "serve"}, nil},
		{"missing file", []string{"-config", filepath.Join(t.TempDir(), "none.yaml")}, nil},
		{"bad flag", []string{"-nope"}, nil},
		{"bad admin url", []string{"-config", writeConfig(t, "ftp://admin", 0)}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := run(context.Background(), tc.args, tc.env, io.Discard, io.Discard)
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
	events := make(chan string, 100)
	admin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		events <- r.URL.Path + " " + string(body)
		_, _ = w.Write([]byte(`{"code":200,"msg":null}`))
	}))
	defer admin.Close()
	port := freePort(t)
	path := writeConfig(t, admin.URL, port)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-config", path}, nil, io.Discard, io.Discard)
	}()

	next := func(prefix string) string {
		t.Helper()
		for {
			select {
			case ev := <-events:
				if strings.HasPrefix(ev, prefix) {
					return ev
				}
			case err := <-done:
				t.Fatalf("run returned early: %v", err)
			case <-time.After(10 * time.Second):
				t.Fatalf("no %s", prefix)
			}
		}
	}
	reg := next("/api/registry ")
	if want := fmt.Sprintf(`"registryValue":"http://127.0.0.1:%d/"`, port); !strings.Contains(reg, want) {
		t.Errorf("registry %s lacks %s", reg, want)
	}
	body := `{"jobId":1,"logId":5,"executorHandler":"demo_task","executorParams":"{\"lines\":1}","logDateTime":1700000000000}`
	req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("http://127.0.0.1:%d/run", port), bytes.NewBufferString(body))
	req.Header.Set("XXL-JOB-ACCESS-TOKEN", "tok")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(answer), `"code":200`) {
		t.Fatalf("run answered %s", answer)
	}
	if cb := next("/api/callback "); !strings.Contains(cb, `"logId":5`) || !strings.Contains(cb, `"handleCode":200`) {
		t.Errorf("callback %s", cb)
	}
	cancel()
	next("/api/registryRemove ")
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run = %v after stop", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after stop")
	}
}

func writeConfig(t *testing.T, adminURL string, port int) string {
	t.Helper()
	dir := t.TempDir()
	yaml := fmt.Sprintf(`app: {name: gomicro, timezone: Asia/Shanghai}
log: {level: warn, dir: %q}
xxl-job:
  url: %q
  app_name: gomicro-job
  access_token: tok
  port: %d
  address: "127.0.0.1:%d"
  log_path: %q
  shutdown_timeout: 5s
`, filepath.Join(dir, "log"), adminURL, port, port, filepath.Join(dir, "xxl_log"))
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
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

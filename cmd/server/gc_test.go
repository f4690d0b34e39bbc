package main

import (
	"bufio"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// gogcPercent reads the collector's target the running server reports on
// /metrics (the Go collector's go_gc_gogc_percent).
func gogcPercent(t *testing.T, addr string) int {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go_gc_gogc_percent "); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatalf("go_gc_gogc_percent %q", v)
			}
			return n
		}
	}
	t.Fatal("no go_gc_gogc_percent on /metrics")
	return 0
}

// TestGCPercent: the binary sets the collector's target from
// app.gc_percent (0: the runtime's 100), and a GOGC in the environment is
// kept whatever the key says. The reload path is covered by the Nacos test.
func TestGCPercent(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  []string
		want int
	}{
		{"default", []string{"GOGC="}, 200},
		{"key", []string{"GOGC=", "APP_APP_GC_PERCENT=300"}, 300},
		{"zero is the runtime's", []string{"GOGC=", "APP_APP_GC_PERCENT=0"}, 100},
		{"GOGC wins", []string{"GOGC=50", "APP_APP_GC_PERCENT=300"}, 50},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd, lines := serverProcess(t, nil, append(testEnviron(t), tc.env...))
			addr := lines.wait(t, "listening", 10*time.Second)["addr"].(string)
			if got := gogcPercent(t, addr); got != tc.want {
				t.Errorf("go_gc_gogc_percent %d, want %d", got, tc.want)
			}
			said := lines.count(func(l map[string]any) bool { return l["gogc"] == "50" }) == 1
			if wantSaid := tc.want == 50; said != wantSaid {
				t.Errorf("GOGC line logged: %v, want %v", said, wantSaid)
			}
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			if code := exitCode(t, cmd); code != 0 {
				t.Fatalf("exit code %d", code)
			}
		})
	}
}

package main

import (
	"os"
	"testing"
	"time"
)

func TestParseWrk(t *testing.T) {
	ok := []byte(`Running 5s test @ http://127.0.0.1:8000/demo/hello
  2 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   812.45us  401.22us  12.01ms   80.00%
    Req/Sec    30.12k     1.20k   33.00k    70.00%
  299750 requests in 5.01s, 62.03MB read
Requests/sec:  59830.34
Transfer/sec:     12.38MB
`)
	n, d, timeouts, err := parseWrk(ok)
	if err != nil || n != 299750 || d != 5010*time.Millisecond || timeouts != 0 {
		t.Fatalf("got %d, %s, %d, %v", n, d, timeouts, err)
	}
	n, _, timeouts, err = parseWrk([]byte("  100 requests in 1.00s, 1MB read\n  Socket errors: connect 0, read 0, write 0, timeout 7\n"))
	if err != nil || n != 100 || timeouts != 7 {
		t.Fatalf("timeouts: got %d, %d, %v", n, timeouts, err)
	}
	for name, out := range map[string]string{
		"non-2xx":     "  100 requests in 1.00s, 1MB read\n  Non-2xx or 3xx responses: 3\n",
		"read errors": "  100 requests in 1.00s, 1MB read\n  Socket errors: connect 0, read 2, write 0, timeout 0\n",
		"no total":    "unable to connect to 127.0.0.1:1 Connection refused\n",
	} {
		if _, _, _, err := parseWrk([]byte(out)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestCPUSecondsOfThisProcess(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	deadline := time.Now().Add(50 * time.Millisecond)
	for time.Now().Before(deadline) { // burn some CPU so there is some to see
	}
	s, err := cpuSeconds(os.Getpid())
	if err != nil || s <= 0 {
		t.Fatalf("cpuSeconds = %v, %v", s, err)
	}
	if _, err := cpuSeconds(-1); err == nil {
		t.Fatal("no error for a missing process")
	}
}

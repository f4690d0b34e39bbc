package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// driver sends load at url for d and returns the requests answered with
// 200, the wall time they took and how many requests timed out (wrk gives
// up after 2 s; on a machine shared with other work that happens). Any
// other answer is an error: a server that fails fast must not look fast.
type driver func(ctx context.Context, url string, conns int, d time.Duration) (n int64, took time.Duration, timeouts int64, err error)

var (
	wrkTotal = regexp.MustCompile(`(\d+) requests in ([0-9.]+)(us|ms|s|m)`)
	wrkBad   = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	wrkErrs  = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

// wrkDriver runs wrk with two threads (the machine's clients share its
// cores with the servers, as on one box).
func wrkDriver(path string) driver {
	return func(ctx context.Context, url string, conns int, d time.Duration) (int64, time.Duration, int64, error) {
		secs := max(1, int(d.Round(time.Second)/time.Second))
		out, err := exec.CommandContext(ctx, path, "-t2", "-c"+strconv.Itoa(conns), "-d"+strconv.Itoa(secs)+"s", url).CombinedOutput()
		if err != nil {
			return 0, 0, 0, fmt.Errorf("wrk: %w: %s", err, out)
		}
		return parseWrk(out)
	}
}

// parseWrk reads wrk's summary: the requests it completed, the time they
// took and the requests that timed out. Non-2xx answers and connect, read
// or write errors make it an error.
func parseWrk(out []byte) (int64, time.Duration, int64, error) {
	if m := wrkBad.FindSubmatch(out); m != nil {
		return 0, 0, 0, fmt.Errorf("wrk: %s non-2xx answers: %s", m[1], out)
	}
	var timeouts int64
	if m := wrkErrs.FindSubmatch(out); m != nil {
		for _, n := range m[1:4] {
			if !bytes.Equal(n, []byte("0")) {
				return 0, 0, 0, fmt.Errorf("wrk: socket errors: %s", out)
			}
		}
		timeouts, _ = strconv.ParseInt(string(m[4]), 10, 64)
	}
	m := wrkTotal.FindSubmatch(out)
	if m == nil {
		return 0, 0, 0, fmt.Errorf("wrk: no total in %s", out)
	}
	n, _ := strconv.ParseInt(string(m[1]), 10, 64)
	v, _ := strconv.ParseFloat(string(m[2]), 64)
	unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second, "m": time.Minute}[string(m[3])]
	return n, time.Duration(v * float64(unit)), timeouts, nil
}

// goDriver is the fallback without wrk: conns goroutines, each on its own
// keep-alive connection, sending GETs back to back.
func goDriver(ctx context.Context, url string, conns int, d time.Duration) (int64, time.Duration, int64, error) {
	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	var ok atomic.Int64
	var firstErr error
	var once sync.Once
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for range conns {
		wg.Go(func() {
			r := bufio.NewReaderSize(nil, 4096)
			for time.Now().Before(deadline) && ctx.Err() == nil {
				resp, err := client.Get(url)
				if err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				r.Reset(resp.Body)
				_, _ = io.Copy(io.Discard, r)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					once.Do(func() { firstErr = fmt.Errorf("status %d from %s", resp.StatusCode, url) })
					return
				}
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	return ok.Load(), time.Since(start), 0, firstErr
}

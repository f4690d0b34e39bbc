package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// loadRPS drives h over loopback HTTP with conns keep-alive clients for d
// and returns the requests per second served with status 200.
func loadRPS(b *testing.B, h http.Handler, conns int, d time.Duration) float64 {
	b.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	url := srv.URL + "/demo/hello"

	var ok atomic.Int64
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for range conns {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				resp, err := client.Get(url)
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					ok.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return float64(ok.Load()) / d.Seconds()
}

// BenchmarkHelloLoopback serves /demo/hello over loopback HTTP to 32
// concurrent keep-alive clients, bare Gin and the full stack alternating in
// rounds of 1 s within one run, and reports both rates and full/bare as
// rps-ratio (target ≥ 0.80). Client and server share the machine's cores,
// as they would with wrk on the same box.
func BenchmarkHelloLoopback(b *testing.B) {
	store := benchStore(b)
	full, closeLogs := fullEngine(b, store)
	defer closeLogs()
	bare := bareEngine(store)
	var bareRPS, fullRPS float64
	for b.Loop() {
		bareRPS += loadRPS(b, bare, 32, time.Second)
		fullRPS += loadRPS(b, full, 32, time.Second)
	}
	b.ReportMetric(bareRPS/float64(b.N), "bare-rps")
	b.ReportMetric(fullRPS/float64(b.N), "full-rps")
	b.ReportMetric(fullRPS/bareRPS, "rps-ratio")
}

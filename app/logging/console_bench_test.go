package logging

import (
	"bytes"
	"io"
	"testing"
)

// BenchmarkConsoleLine converts an access line: what the console view costs
// per request, on the writing goroutine.
func BenchmarkConsoleLine(b *testing.B) {
	line := []byte(`{"level":"info","bin":"server","app":"gomicro","method":"GET","route":"/demo/hello","status":200,"bytes":72,"latency_ms":0.061,"client_ip":"127.0.0.1","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","time":"2026-07-01T09:02:03.004+08:00","message":"access"}` + "\n")
	batch := bytes.Repeat(line, 1000)
	c := newConsoleWriter(io.Discard, false)
	b.SetBytes(int64(len(batch)))
	b.ReportAllocs()
	for b.Loop() {
		_, _ = c.Write(batch)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1000, "ns/line")
}

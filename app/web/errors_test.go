package web_test

import (
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"
)

// manyUnknownProperties returns a JSON object of about size bytes: a valid
// echo body followed by unexpected properties, each of which huma reports
// with the whole object as its value.
func manyUnknownProperties(size int) (string, int) {
	var b strings.Builder
	b.WriteString(`{"name":"x","count":1`)
	n := 0
	for b.Len() < size {
		fmt.Fprintf(&b, `,"p%06d":1`, n)
		n++
	}
	b.WriteString("}")
	return b.String(), n
}

func TestErrorAnswerIsBoundedWhateverTheInput(t *testing.T) {
	e := newEnv(t, "{}\n")
	unknown, n := manyUnknownProperties(95 << 10)
	long := strings.Repeat("é", 50<<10)
	tests := []struct {
		name    string
		path    string
		body    string
		status  int
		listed  int
		message string
	}{
		{"95 KB of unexpected properties", "/t/echo", unknown, 422, 20, fmt.Sprintf("validation failed (first 20 of %d errors listed)", n)},
		{"95 KB malformed body", "/t/echo", `{"name":"` + strings.Repeat("x", 95<<10), 400, 1, "malformed JSON body: unexpected end of JSON input"},
		{"100 KB string value", "/t/echo", `{"name":"` + long + `","count":1}`, 422, 1, "validation failed"},
		{"100 KB property name", "/t/echo", `{"name":"x","count":1,"` + long + `":1}`, 422, 1, "validation failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method, body := http.MethodGet, io.Reader(nil)
			if tt.body != "" {
				method, body = http.MethodPost, strings.NewReader(tt.body)
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			rec := e.do(t, method, tt.path, body, nil)
			took := time.Since(start)
			runtime.ReadMemStats(&after)

			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %.300s", rec.Code, tt.status, rec.Body)
			}
			b := decodeError(t, rec)
			if b.Message != tt.message || len(b.Errors) != tt.listed {
				t.Errorf("message %q with %d details, want %q with %d", b.Message, len(b.Errors), tt.message, tt.listed)
			}
			// 20 details of at most 256+256+64 bytes each, and the rest.
			if rec.Body.Len() > 16<<10 {
				t.Errorf("answer of %d bytes to %d bytes of input", rec.Body.Len(), len(tt.body)+len(tt.path))
			}
			for _, d := range b.Errors {
				if s, ok := d.Value.(string); ok && len(s) > 64+len("…") {
					t.Errorf("value of %d bytes echoed at %s", len(s), d.Location)
				}
				if _, ok := d.Value.(map[string]any); ok {
					t.Errorf("object echoed at %s", d.Location)
				}
			}
			// Guards against work growing with the square of the input (a
			// 95 KB body once cost 800 MB and many seconds); not a benchmark.
			if took > time.Second {
				t.Errorf("took %v", took)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 32<<20 {
				t.Errorf("allocated %d MB for one request", alloc>>20)
			}
		})
	}
}

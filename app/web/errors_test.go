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
		{"4000 unknown query parameters", "/t/log?" + unknownQuery(4000), "", 422, 20, "validation failed (first 20 of 4000 errors listed)"},
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

func unknownQuery(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "q%d=1&", i)
	}
	return b.String()
}

func TestInputErrorsSayWhatIsWrong(t *testing.T) {
	e := newEnv(t, "{}\n")
	tests := []struct {
		name, body, contentType string
		status                  int
		message                 string
	}{
		{"malformed JSON", `{"name":`, "application/json", 400, "malformed JSON body: unexpected end of JSON input"},
		{"not JSON at all", `name=x`, "application/json", 400, "malformed JSON body: invalid character 'a' in literal null (expecting 'u')"},
		{"unsupported content type", `name=x`, "text/plain", 415, `unsupported content type "text/plain"; send application/json`},
		{"invalid field", `{"name":"","count":1}`, "application/json", 422, "validation failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := e.do(t, http.MethodPost, "/t/echo", strings.NewReader(tt.body), map[string]string{"Content-Type": tt.contentType})
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if b := decodeError(t, rec); b.Message != tt.message {
				t.Errorf("message %q, want %q", b.Message, tt.message)
			}
		})
	}
}

func TestInternalCauseLoggedOnceNeverSent(t *testing.T) {
	e := newEnv(t, "{}\n")
	for _, path := range []string{"/t/huma500", "/t/internal"} {
		t.Run(path, func(t *testing.T) {
			id := "cause" + strings.ReplaceAll(path, "/", "-")
			rec := e.do(t, http.MethodGet, path, nil, map[string]string{"X-Trace-Id": id})
			if rec.Code != 500 || strings.Contains(rec.Body.String(), "secret internal detail") {
				t.Fatalf("status %d, body %s", rec.Code, rec.Body)
			}
			if b := decodeError(t, rec); b.Message != "Internal Server Error" {
				t.Errorf("message %q", b.Message)
			}
			var logged int
			for _, l := range e.logs.Lines(t) {
				if l["trace_id"] == id && l["level"] == "error" {
					logged++
					if !strings.Contains(fmt.Sprint(l["error"]), "secret internal detail") || l["status"] != float64(500) {
						t.Errorf("cause line incomplete: %v", l)
					}
				}
			}
			if logged != 1 {
				t.Errorf("cause logged %d times, want once", logged)
			}
		})
	}
}

func TestUnknownQueryParametersAreRefused(t *testing.T) {
	e := newEnv(t, "{}\n")
	rec := e.do(t, http.MethodGet, "/t/log?verbose=1&Page=2&verbose=3", nil, nil)
	if rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	got := map[string]string{}
	for _, d := range decodeError(t, rec).Errors {
		got[d.Location] = d.Message
	}
	want := map[string]string{"query.verbose": "unknown query parameter", "query.Page": "unknown query parameter"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("details %v, want %v", got, want)
	}
	for _, target := range []string{"/t/log", "/t/log?", "/openapi.json?download=1"} {
		if rec := e.do(t, http.MethodGet, target, nil, nil); rec.Code != http.StatusOK {
			t.Errorf("%s: %d %s", target, rec.Code, rec.Body)
		}
	}
}

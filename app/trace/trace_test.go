package trace_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"gomicro/app/trace"
)

var hex32 = regexp.MustCompile(`^[0-9a-f]{32}$`)

func TestNewIDIsUniqueHex(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := trace.NewID()
		if !hex32.MatchString(id) || seen[id] {
			t.Fatalf("bad or repeated id %q", id)
		}
		seen[id] = true
	}
}

func TestValidID(t *testing.T) {
	for in, want := range map[string]bool{
		"abc":                   true,
		"A-b_c.9":               true,
		strings.Repeat("a", 64): true,
		strings.Repeat("a", 65): false,
		"":                      false,
		"has space":             false,
		"new\nline":             false,
		"中文":                    false,
		"a;drop":                false,
	} {
		if got := trace.ValidID(in); got != want {
			t.Errorf("ValidID(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestFromTraceparent(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "4bf92f3577b34da6a3ce929d0e0e4736", true},
		{"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future", "4bf92f3577b34da6a3ce929d0e0e4736", true},
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", "", false},
		{"00-00000000000000000000000000000000-00f067aa0ba902b7-01", "", false},
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", "", false},
		{"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", "", false},
		{"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "", false},
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7", "", false},
		{"garbage", "", false},
	}
	for _, tt := range tests {
		got, ok := trace.FromTraceparent(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("FromTraceparent(%q) = %q,%v want %q,%v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestTraceparentRoundTrips(t *testing.T) {
	for _, id := range []string{trace.NewID(), "order-42", "x"} {
		tp := trace.Traceparent(id)
		got, ok := trace.FromTraceparent(tp)
		if !ok {
			t.Fatalf("Traceparent(%q) = %q is not valid", id, tp)
		}
		if hex32.MatchString(id) && got != id {
			t.Fatalf("hex id not kept: %q -> %q", id, got)
		}
		if again, _ := trace.FromTraceparent(trace.Traceparent(id)); again != got {
			t.Fatalf("stretching %q is not deterministic", id)
		}
	}
}

func TestTransportForwardsTraceID(t *testing.T) {
	var gotID, gotTP string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotID, gotTP = r.Header.Get("X-Trace-Id"), r.Header.Get("traceparent")
	}))
	defer srv.Close()
	client := trace.NewClient(nil)

	ctx := trace.NewContext(context.Background(), "4bf92f3577b34da6a3ce929d0e0e4736")
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if gotID != "4bf92f3577b34da6a3ce929d0e0e4736" || !strings.HasPrefix(gotTP, "00-4bf92f3577b34da6a3ce929d0e0e4736-") {
		t.Fatalf("forwarded %q / %q", gotID, gotTP)
	}
	if req.Header.Get("X-Trace-Id") != "" {
		t.Fatal("caller's request was modified")
	}

	req, _ = http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL, nil)
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if gotID != "" || gotTP != "" {
		t.Fatalf("headers sent without a trace id: %q %q", gotID, gotTP)
	}
}

func FuzzFromTraceparent(f *testing.F) {
	f.Add("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	f.Add("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x")
	f.Add("")
	f.Fuzz(func(t *testing.T, h string) {
		id, ok := trace.FromTraceparent(h)
		if ok && !hex32.MatchString(id) {
			t.Fatalf("accepted trace id %q from %q", id, h)
		}
		if ok && !trace.ValidID(id) {
			t.Fatalf("id %q from traceparent is not a valid id", id)
		}
	})
}

func TestWithLoggerServesBothKeys(t *testing.T) {
	var buf strings.Builder
	type other struct{}
	parent := context.WithValue(context.Background(), other{}, "kept")
	root := zerolog.New(&buf)
	ctx := trace.WithLogger(parent, &root, "abc-1")
	if trace.FromContext(ctx) != "abc-1" || ctx.Value(other{}) != "kept" {
		t.Fatal("values lost")
	}
	zerolog.Ctx(ctx).Info().Msg("hi")
	if !strings.Contains(buf.String(), `"trace_id":"abc-1"`) {
		t.Fatalf("logger from ctx lacks trace_id: %s", buf.String())
	}
	if got := zerolog.Ctx(ctx).Info().GetCtx(); trace.FromContext(got) != "abc-1" {
		t.Fatal("logger does not carry its context for hooks")
	}
}

// The request logger is built on first use; goroutines sharing the request
// ctx must all get the same one.
func TestWithLoggerSharedAcrossGoroutines(t *testing.T) {
	root := zerolog.New(io.Discard)
	ctx := trace.WithLogger(context.Background(), &root, "shared")
	got := make(chan *zerolog.Logger, 8)
	for range 8 {
		go func() { got <- zerolog.Ctx(ctx) }()
	}
	first := <-got
	for range 7 {
		if l := <-got; l != first {
			t.Fatal("two loggers for one request")
		}
	}
}

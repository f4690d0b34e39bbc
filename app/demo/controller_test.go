package demo_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/rs/zerolog"

	"gomicro/app/config"
	"gomicro/app/config/configtest"
	"gomicro/app/db/dbtest"
	"gomicro/app/demo"
	"gomicro/app/module"
	"gomicro/app/web"
)

// newEngine builds the engine the binary serves, with the demo module on a
// fresh database of cfg.
func newEngine(t testing.TB, cfg config.Database) *gin.Engine {
	t.Helper()
	_, appCfg := configtest.Load(t, "log:\n  dir: \"\"\n")
	_, _, gdb := newService(t, cfg)
	store := config.NewStore(appCfg, config.Meta{Source: config.SourceLocal})
	engine, err := web.NewEngine(web.Deps{
		Store:    store,
		Logger:   zerolog.Nop(),
		Registry: web.NewRegistry(),
		Version:  "test",
		Modules:  []module.Spec{demo.Module(demo.Deps{Store: store, DB: gdb})},
	})
	if err != nil {
		t.Fatal(err)
	}
	return engine
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func do(t testing.TB, h http.Handler, method, target, body string) response {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, r)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

func decode[T any](t *testing.T, r response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("body %s: %v", r.body, err)
	}
	return v
}

// expectError checks the one error model: status, code, trace id and, for
// validation errors, that the details name every offending field (each
// want matches a detail's "location: message") and nothing else.
func expectError(t *testing.T, r response, status int, code string, wants ...string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.body)
	}
	e := decode[web.ErrorBody](t, r)
	if string(e.Code) != code || e.TraceID == "" || e.TraceID != r.header.Get("X-Trace-Id") || e.Message == "" {
		t.Errorf("error body = %+v, want code %s with the trace id and a message", e, code)
	}
	var details []string
	for _, d := range e.Errors {
		details = append(details, d.Location+": "+d.Message)
	}
	matches := func(detail string) bool {
		return slices.ContainsFunc(wants, func(w string) bool { return strings.Contains(detail, w) })
	}
	for _, w := range wants {
		if !slices.ContainsFunc(details, func(d string) bool { return strings.Contains(d, w) }) {
			t.Errorf("no error detail for %q in %q", w, details)
		}
	}
	for _, d := range details {
		if !matches(d) {
			t.Errorf("unexpected error detail %q", d)
		}
	}
}

func TestItemsAPI(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, cfg config.Database) {
		h := newEngine(t, cfg)
		const items = "/api/v1/demo/items"

		created := do(t, h, http.MethodPost, items, `{"name":"green tea","price_cents":350,"description":"loose leaf"}`)
		if created.status != http.StatusCreated {
			t.Fatalf("create: %d %s", created.status, created.body)
		}
		item := decode[demo.ItemBody](t, created)
		if loc := created.header.Get("Location"); loc != fmt.Sprintf("%s/%d", items, item.ID) {
			t.Errorf("Location = %q for id %d", loc, item.ID)
		}
		if item.Name != "green tea" || item.PriceCents != 350 || item.Description != "loose leaf" || item.CreatedAt.IsZero() {
			t.Errorf("created = %+v", item)
		}
		got := do(t, h, http.MethodGet, created.header.Get("Location"), "")
		if got.status != http.StatusOK || decode[demo.ItemBody](t, got) != item {
			t.Errorf("get = %d %s, want %+v", got.status, got.body, item)
		}
		if !bytes.Contains(got.body, []byte(`"created_at":"`)) || bytes.Contains(got.body, []byte(`$schema`)) {
			t.Errorf("get body shape: %s", got.body)
		}

		t.Run("create conflict", func(t *testing.T) {
			expectError(t, do(t, h, http.MethodPost, items, `{"name":"green tea","price_cents":1}`), http.StatusConflict, "conflict")
		})
		t.Run("create lists every invalid field", func(t *testing.T) {
			body := fmt.Sprintf(`{"name":"","price_cents":-1,"description":%q}`, strings.Repeat("x", 1025))
			expectError(t, do(t, h, http.MethodPost, items, body), http.StatusUnprocessableEntity, "invalid",
				"body.description", "body.name", "body.price_cents")
		})
		t.Run("create lists missing fields", func(t *testing.T) {
			expectError(t, do(t, h, http.MethodPost, items, `{}`), http.StatusUnprocessableEntity, "invalid", "property name to be present", "property price_cents to be present")
		})
		t.Run("create rejects padded names", func(t *testing.T) {
			expectError(t, do(t, h, http.MethodPost, items, `{"name":"tea ","price_cents":1}`), http.StatusUnprocessableEntity, "invalid", "body.name")
		})
		t.Run("create malformed json", func(t *testing.T) {
			r := do(t, h, http.MethodPost, items, `{"name":`)
			if r.status != http.StatusBadRequest {
				t.Fatalf("status = %d %s, want 400", r.status, r.body)
			}
		})

		t.Run("create with 95 KB of unexpected properties", func(t *testing.T) {
			var b strings.Builder
			b.WriteString(`{"name":"big","price_cents":1`)
			for i := 0; b.Len() < 95<<10; i++ {
				fmt.Fprintf(&b, `,"p%06d":1`, i)
			}
			b.WriteString("}")
			start := time.Now()
			r := do(t, h, http.MethodPost, items, b.String())
			// A guard against the answer growing with the square of the
			// input (it once took seconds and hundreds of MB), not a benchmark.
			if took := time.Since(start); took > time.Second {
				t.Errorf("took %v", took)
			}
			if len(r.body) > 16<<10 {
				t.Errorf("answer of %d bytes", len(r.body))
			}
			e := decode[web.ErrorBody](t, r)
			if r.status != http.StatusUnprocessableEntity || len(e.Errors) != 20 || !strings.Contains(e.Message, "first 20 of ") {
				t.Errorf("status %d, message %q, %d details", r.status, e.Message, len(e.Errors))
			}
			for _, d := range e.Errors {
				if d.Value != nil || d.Message != "unexpected property" {
					t.Errorf("detail %+v", d)
				}
			}
		})

		t.Run("patch", func(t *testing.T) {
			r := do(t, h, http.MethodPatch, fmt.Sprintf("%s/%d", items, item.ID), `{"price_cents":0}`)
			patched := decode[demo.ItemBody](t, r)
			if r.status != http.StatusOK || patched.PriceCents != 0 || patched.Name != "green tea" || patched.Description != "loose leaf" {
				t.Errorf("patch = %d %+v", r.status, patched)
			}
		})
		t.Run("patch errors", func(t *testing.T) {
			other := decode[demo.ItemBody](t, do(t, h, http.MethodPost, items, `{"name":"black tea","price_cents":5}`))
			expectError(t, do(t, h, http.MethodPatch, fmt.Sprintf("%s/%d", items, other.ID), `{"name":"green tea"}`), http.StatusConflict, "conflict")
			expectError(t, do(t, h, http.MethodPatch, items+"/999999", `{"price_cents":1}`), http.StatusNotFound, "not_found")
			expectError(t, do(t, h, http.MethodPatch, fmt.Sprintf("%s/%d", items, other.ID), `{"name":"","price_cents":-5}`),
				http.StatusUnprocessableEntity, "invalid", "body.name", "body.price_cents")
		})

		t.Run("get errors", func(t *testing.T) {
			expectError(t, do(t, h, http.MethodGet, items+"/999999", ""), http.StatusNotFound, "not_found")
			expectError(t, do(t, h, http.MethodGet, items+"/abc", ""), http.StatusUnprocessableEntity, "invalid", "path.id")
			expectError(t, do(t, h, http.MethodGet, items+"/0", ""), http.StatusUnprocessableEntity, "invalid", "path.id")
		})

		t.Run("list", func(t *testing.T) {
			for i := range 12 {
				do(t, h, http.MethodPost, items, fmt.Sprintf(`{"name":"oolong-%02d","price_cents":%d}`, i, i))
			}
			r := do(t, h, http.MethodGet, items+"?name_prefix=oolong-&page=2&page_size=5", "")
			page := decode[demo.ListBody](t, r)
			if r.status != http.StatusOK || page.Total != 12 || len(page.Items) != 5 || page.Items[0].Name != "oolong-05" || page.Page != 2 || page.PageSize != 5 {
				t.Errorf("list page 2 = %d %+v", r.status, page)
			}
			var walked int
			next := items + "?name_prefix=oolong-&page_size=5"
			for range 5 {
				page = decode[demo.ListBody](t, do(t, h, http.MethodGet, next, ""))
				walked += len(page.Items)
				if page.NextCursor == "" {
					break
				}
				next = items + "?name_prefix=oolong-&page_size=5&cursor=" + page.NextCursor
			}
			if walked != 12 {
				t.Errorf("cursor walk saw %d items, want 12", walked)
			}
			empty := do(t, h, http.MethodGet, items+"?name_prefix=nothing", "")
			if !bytes.Contains(empty.body, []byte(`"items":[]`)) {
				t.Errorf("empty list body %s, want items: []", empty.body)
			}
		})
		t.Run("list errors", func(t *testing.T) {
			expectError(t, do(t, h, http.MethodGet, items+"?page_size=101&page=0", ""), http.StatusUnprocessableEntity, "invalid", "query.page", "query.page_size")
			expectError(t, do(t, h, http.MethodGet, items+"?cursor=bogus", ""), http.StatusUnprocessableEntity, "invalid")
			expectError(t, do(t, h, http.MethodGet, items+"?cursor=djE6MQ&page=2", ""), http.StatusUnprocessableEntity, "invalid")
			// The filter's old name is refused, not silently ignored.
			expectError(t, do(t, h, http.MethodGet, items+"?name=oolong-&pagesize=5", ""), http.StatusUnprocessableEntity, "invalid",
				"query.name: unknown query parameter", "query.pagesize: unknown query parameter")
		})

		t.Run("delete", func(t *testing.T) {
			target := fmt.Sprintf("%s/%d", items, item.ID)
			r := do(t, h, http.MethodDelete, target, "")
			if r.status != http.StatusNoContent || len(r.body) != 0 {
				t.Errorf("delete = %d %q, want 204 and no body", r.status, r.body)
			}
			expectError(t, do(t, h, http.MethodDelete, target, ""), http.StatusNotFound, "not_found")
			expectError(t, do(t, h, http.MethodGet, target, ""), http.StatusNotFound, "not_found")
		})
	})
}

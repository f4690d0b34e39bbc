package demo_test

import (
	"net/http"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"gomicro/app/db/dbtest"
)

func TestOpenAPIDescribesItems(t *testing.T) {
	h := newEngine(t, dbtest.SQLite(t))
	r := do(t, h, http.MethodGet, "/openapi.json", "")
	if r.status != http.StatusOK {
		t.Fatalf("GET /openapi.json = %d", r.status)
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(r.body)
	if err != nil {
		t.Fatalf("not an OpenAPI document: %v", err)
	}
	if err := doc.Validate(t.Context()); err != nil {
		t.Fatalf("invalid OpenAPI document: %v", err)
	}
	if doc.OpenAPI[:2] != "3." {
		t.Errorf("openapi = %q, want 3.x", doc.OpenAPI)
	}

	item := []string{"id", "name", "price_cents", "description", "created_at", "updated_at"}
	tests := []struct {
		method, path string
		request      []string // properties of the JSON request body; nil: no body
		params       []string
		status       string
		response     []string // properties of the JSON response; nil: no body
		errors       []string
	}{
		{"POST", "/api/v1/demo/items", []string{"name", "price_cents", "description"}, nil, "201", item, []string{"409", "422"}},
		{"GET", "/api/v1/demo/items", nil, []string{"name_prefix", "page", "page_size", "cursor"}, "200", []string{"items", "total", "page", "page_size", "next_cursor"}, []string{"422"}},
		{"GET", "/api/v1/demo/items/{id}", nil, []string{"id"}, "200", item, []string{"404", "422"}},
		{"PATCH", "/api/v1/demo/items/{id}", []string{"name", "price_cents", "description"}, []string{"id"}, "200", item, []string{"404", "409", "422"}},
		{"DELETE", "/api/v1/demo/items/{id}", nil, []string{"id"}, "204", nil, []string{"404", "422"}},
		{"GET", "/demo/hello", nil, nil, "200", []string{"msg", "time", "host"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			op := doc.Paths.Find(tt.path).GetOperation(tt.method)
			if op == nil {
				t.Fatal("operation missing")
			}
			if op.OperationID == "" || op.Summary == "" || len(op.Tags) == 0 {
				t.Errorf("operation lacks id, summary or tags: %q %q %v", op.OperationID, op.Summary, op.Tags)
			}
			if tt.request != nil {
				if op.RequestBody == nil {
					t.Fatal("no request body")
				}
				hasProps(t, "request", op.RequestBody.Value.Content.Get("application/json"), tt.request)
			}
			for _, p := range tt.params {
				if op.Parameters.GetByInAndName(paramIn(p), p) == nil {
					t.Errorf("parameter %s missing", p)
				}
			}
			resp := op.Responses.Value(tt.status)
			if resp == nil {
				t.Fatalf("no %s response", tt.status)
			}
			if tt.response != nil {
				hasProps(t, "response", resp.Value.Content.Get("application/json"), tt.response)
			}
			for _, code := range tt.errors {
				r := op.Responses.Value(code)
				if r == nil {
					t.Errorf("no %s response", code)
					continue
				}
				hasProps(t, code, r.Value.Content.Get("application/json"), []string{"code", "message", "trace_id"})
			}
		})
	}
	post := doc.Paths.Find("/api/v1/demo/items").Post
	if post.Responses.Value("201").Value.Headers["Location"] == nil {
		t.Error("201 response does not declare Location")
	}
	name := post.RequestBody.Value.Content.Get("application/json").Schema.Value.Properties["name"].Value
	if name.MinLength != 1 || name.MaxLength == nil || *name.MaxLength != 64 || name.Pattern == "" {
		t.Errorf("name schema = min %d max %v pattern %q, want the declared validation", name.MinLength, name.MaxLength, name.Pattern)
	}
}

func paramIn(name string) string {
	if name == "id" {
		return "path"
	}
	return "query"
}

// hasProps checks that media has a schema with every named property.
func hasProps(t *testing.T, what string, media *openapi3.MediaType, props []string) {
	t.Helper()
	if media == nil || media.Schema == nil || media.Schema.Value == nil {
		t.Errorf("%s: no schema", what)
		return
	}
	for _, p := range props {
		if media.Schema.Value.Properties[p] == nil {
			t.Errorf("%s schema lacks property %s", what, p)
		}
	}
}

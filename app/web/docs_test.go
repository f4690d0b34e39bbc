package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// pageRefs returns every URL the HTML page names in an attribute that
// loads or links something.
func pageRefs(t *testing.T, page string) []string {
	t.Helper()
	var refs []string
	z := html.NewTokenizer(strings.NewReader(page))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return refs
		case html.StartTagToken, html.SelfClosingTagToken:
			for _, a := range z.Token().Attr {
				switch a.Key {
				case "src", "href", "data-url", "srcset", "action", "poster":
					refs = append(refs, a.Val)
				}
			}
		}
	}
}

func TestDocsWorkWithoutInternet(t *testing.T) {
	e := newEnv(t, "{}\n")
	rec := e.do(t, http.MethodGet, "/docs", nil, nil)
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("/docs: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	page := rec.Body.String()
	absolute := regexp.MustCompile(`(?i)https?:|["'(=]\s*//`)
	if m := absolute.FindString(page); m != "" {
		t.Errorf("page names an absolute URL (%q):\n%s", m, page)
	}
	if csp := rec.Header().Get("Content-Security-Policy"); csp == "" || absolute.MatchString(csp) {
		t.Errorf("Content-Security-Policy %q: want one allowing this server only", csp)
	}

	wantType := map[string]string{".js": "text/javascript", ".css": "text/css", ".json": "application/openapi+json"}
	base, _ := url.Parse("http://example.com/docs") // httptest's default host
	refs := pageRefs(t, page)
	if len(refs) < 3 {
		t.Fatalf("page names %v: want the viewer's script and style and the document", refs)
	}
	for _, ref := range refs {
		u, err := base.Parse(ref)
		if err != nil || u.Host != base.Host {
			t.Errorf("%q does not point at this server", ref)
			continue
		}
		rec := e.do(t, http.MethodGet, u.RequestURI(), nil, nil)
		ct := rec.Header().Get("Content-Type")
		want, known := wantType[path.Ext(u.Path)]
		if rec.Code != http.StatusOK || !known || !strings.HasPrefix(ct, want) || rec.Body.Len() == 0 {
			t.Errorf("%s: %d %q, %d bytes; want 200 %q", u.Path, rec.Code, ct, rec.Body.Len(), want)
		}
	}

	for _, target := range []string{"/docs/assets/nope.js", "/docs/assets/swagger-ui", "/docs/assets/swagger-ui/", "/docs/assets/../docs.html"} {
		rec := e.do(t, http.MethodGet, target, nil, nil)
		if rec.Code != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", target, rec.Code)
			continue
		}
		decodeError(t, rec)
	}
}

func TestSchemas(t *testing.T) {
	e := newEnv(t, "{}\n")
	rec := e.do(t, http.MethodGet, "/schemas/ErrorBody.json", nil, nil)
	var schema struct {
		Type       string                     `json:"type"`
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &schema); err != nil || rec.Code != 200 || schema.Type != "object" || schema.Properties["trace_id"] == nil {
		t.Fatalf("known schema: %d %s", rec.Code, rec.Body)
	}
	if !strings.Contains(rec.Body.String(), `"/schemas/ErrorDetail.json"`) {
		t.Errorf("references not rewritten to schema URLs: %s", rec.Body)
	}
	for _, target := range []string{"/schemas/Nope.json", "/schemas/.json", "/schemas/Nope"} {
		rec := e.do(t, http.MethodGet, target, nil, nil)
		if rec.Code != http.StatusNotFound {
			t.Fatalf("%s: %d %s, want 404", target, rec.Code, rec.Body)
		}
		if b := decodeError(t, rec); b.Code != "not_found" {
			t.Errorf("%s: code %q", target, b.Code)
		}
	}
}

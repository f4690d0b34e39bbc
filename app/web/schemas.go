package web

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/gin-gonic/gin"
)

// schemasHandler serves GET /schemas/{name}.json: one JSON schema of the
// OpenAPI document, its references rewritten to sibling URLs, and a 404 in
// the error model for a name the document does not have.
func schemasHandler(api huma.API) gin.HandlerFunc {
	ref := regexp.MustCompile(`#/components/schemas/([^"]+)`)
	return func(c *gin.Context) {
		name := strings.TrimSuffix(c.Param("name"), ".json")
		schema, ok := api.OpenAPI().Components.Schemas.Map()[name]
		if !ok {
			abort(c, http.StatusNotFound, "no such schema")
			return
		}
		b, err := json.Marshal(schema)
		if err != nil {
			abort(c, http.StatusInternalServerError, "encode schema", err)
			return
		}
		c.Data(http.StatusOK, "application/json", ref.ReplaceAll(b, []byte("/schemas/$1.json")))
	}
}

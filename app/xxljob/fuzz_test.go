package xxljob_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzEndpoints feeds arbitrary bodies to the five endpoints: every answer
// must be HTTP 200 with a {code,msg,content} object whose code is 200 or
// 500, whatever the body.
func FuzzEndpoints(f *testing.F) {
	paths := []string{"/beat", "/idleBeat", "/run", "/kill", "/log"}
	for i, body := range []string{
		`{}`, `{"jobId":1}`, `[]`, `[{"jobId":1}]`, `null`, ``, `{`, `"x"`,
		`{"jobId":1,"logId":9,"executorHandler":"demo_task","executorParams":"{\"lines\":2}","executorBlockStrategy":"COVER_EARLY"}`,
		`{"jobId":1,"logId":10,"executorHandler":"demo_task","executorTimeout":-1}`,
		`{"jobId":9223372036854775807,"logId":1,"executorHandler":"nope"}`,
		`{"logDateTim":1700000000000,"logId":9,"fromLineNum":-5}`,
		`{"logDateTim":-1,"logId":-9,"fromLineNum":2147483647}`,
		`{"jobId":"1"}`, `{"jobId":1e400}`,
		`{"jobId":1}x`, `{"jobId":1}{"jobId":2}`, "{\"jobId\":1}\n",
	} {
		f.Add(uint8(i), []byte(body))
	}
	h := start(f, setup{})
	handler := h.ex.Handler()
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		path := paths[int(which)%len(paths)]
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		req.Header.Set("XXL-JOB-ACCESS-TOKEN", testToken)
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: status %d", path, rec.Code)
		}
		var a map[string]json.RawMessage
		if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
			t.Fatalf("%s: answer %q is not an object: %v", path, rec.Body.String(), err)
		}
		var code int64
		if err := json.Unmarshal(a["code"], &code); err != nil || (code != 200 && code != 500) {
			t.Fatalf("%s: code %s", path, a["code"])
		}
		if _, ok := a["msg"]; !ok {
			t.Fatalf("%s: no msg in %q", path, rec.Body.String())
		}
	})
}

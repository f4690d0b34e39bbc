//go:build !race

package nacos_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"gomicro/app/config"
	"gomicro/app/nacos"
	"gomicro/app/nacos/nacostest"
)

// secretRemote carries a value for every kind of secret the config knows.
const secretRemote = `
log:
  level: warn
server:
  admin_token: tok-AAAA-secret
database:
  password: s3cr3t-db-A
  dsn: "user:dsn-pass-secret@tcp(db:3306)/x"
xxl-job:
  access_token: xxl-token-secret
wechat:
  robot_templates:
    alarm:
      key: robot-key-secret
      template: "{0}"
`

// secretValues are the real values of every secret the service holds: those
// above from Nacos, and nacos.password from the local file (localFile).
var secretValues = []string{"tok-AAAA-secret", "s3cr3t-db-A", "dsn-pass-secret", "xxl-token-secret", "robot-key-secret", localNacosPassword}

func TestControllerShowsMaskedConfigAndRefreshes(t *testing.T) {
	e := newEnv(t)
	fake := startFake(t, "127.0.0.1:0")
	fake.SetConfig(e.key, secretRemote)
	c := e.open(e.nacosConfig(fake.Port()))
	h := newEngine(t, e.store, c)
	e.settle(fake)
	const token = "tok-AAAA-secret" // server.admin_token, itself from Nacos

	for _, tc := range []struct {
		name string
		req  request
	}{
		{"GET without token", request{http.MethodGet, "/nacos/getConfig", loopback, ""}},
		{"GET with wrong token", request{http.MethodGet, "/nacos/getConfig", loopback, "tok-AAAA-secreT"}},
		{"POST without token", request{http.MethodPost, "/nacos/refresh", loopback, ""}},
		{"POST with wrong token", request{http.MethodPost, "/nacos/refresh", loopback, "nope"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if rec := do(t, h, tc.req); rec.Code != http.StatusUnauthorized {
				t.Errorf("status %d, want 401: %s", rec.Code, rec.Body)
			}
		})
	}

	rec := do(t, h, request{http.MethodGet, "/nacos/getConfig", remote, token})
	if rec.Code != http.StatusOK {
		t.Fatalf("GET status %d: %s", rec.Code, rec.Body)
	}
	body := rec.Body.String()
	for _, s := range secretValues {
		if strings.Contains(body, s) {
			t.Errorf("GET /nacos/getConfig leaks %q", s)
		}
	}
	var view nacos.ConfigView
	if err := json.Unmarshal(rec.Body.Bytes(), &view); err != nil {
		t.Fatal(err)
	}
	if view.Source != config.SourceNacos || view.Degraded || view.MD5 != nacostest.MD5(secretRemote) || view.RefreshedAt.IsZero() {
		t.Errorf("view = source %q degraded %v md5 %q at %v; want live nacos with md5 of the content", view.Source, view.Degraded, view.MD5, view.RefreshedAt)
	}
	db, _ := view.Config["database"].(map[string]any)
	if db["password"] != config.Mask {
		t.Errorf("database.password shown as %v, want %s", db["password"], config.Mask)
	}
	if nc, _ := view.Config["nacos"].(map[string]any); nc["password"] != config.Mask {
		t.Errorf("nacos.password shown as %v, want %s", nc["password"], config.Mask)
	}

	fake.SetConfigSilently(e.key, strings.Replace(secretRemote, "level: warn", "level: error", 1))
	rec = do(t, h, request{http.MethodPost, "/nacos/refresh", remote, token})
	if rec.Code != http.StatusOK {
		t.Fatalf("POST status %d: %s", rec.Code, rec.Body)
	}
	for _, s := range secretValues {
		if strings.Contains(rec.Body.String(), s) {
			t.Errorf("POST /nacos/refresh leaks %q", s)
		}
	}
	var res nacos.RefreshResult
	if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	if !res.Changed || !slices.Equal(res.ChangedKeys, []string{"log.level"}) || res.OldMD5 != nacostest.MD5(secretRemote) {
		t.Errorf("refresh = %+v, want log.level changed from the old md5", res)
	}
	if e.store.Current().Log.Level != "error" {
		t.Errorf("log.level = %q after refresh, want error", e.store.Current().Log.Level)
	}

	fake.SetConfigSilently(e.key, strings.Replace(secretRemote, "level: warn", "level: loud", 1))
	rec = do(t, h, request{http.MethodPost, "/nacos/refresh", remote, token})
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "log.level") {
		t.Errorf("refresh of invalid content = %d %s, want 422 naming log.level", rec.Code, rec.Body)
	}
	for _, s := range secretValues {
		if strings.Contains(rec.Body.String(), s) {
			t.Errorf("refusal leaks %q", s)
		}
	}
}

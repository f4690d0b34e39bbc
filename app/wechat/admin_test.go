package wechat_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"gomicro/app/config"
	"gomicro/app/db/dbtest"
	"gomicro/app/redisclient/redistest"
	"gomicro/app/wechat"
)

func (e *env) admin(method, path, body string) response {
	var req *http.Request
	if body != "" {
		req = httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	} else {
		req = httptest.NewRequest(method, path, nil)
	}
	req.RemoteAddr = "192.0.2.1:1234" // not loopback: the token is what lets it in
	req.Header.Set("Authorization", "Bearer "+adminTok)
	return e.serve(req)
}

func decodeJSON[T any](t *testing.T, r response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("%d %s: %v", r.status, r.body, err)
	}
	return v
}

func wantStatus(t *testing.T, what string, r response, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: %d %s, want %d", what, r.status, r.body, status)
	}
}

const clubJSON = `{"name":"club","app_id":"wxclub","app_secret":"club-secret","token":"club-token","encoding_aes_key":"` + testKey + `","welcome":"hi club"}`

var club = peer{token: "club-token", appID: "wxclub", key: testKey}

// TestAdminAPI creates an account and a rule through the admin API of one
// instance and sends the next message to another sharing the database and
// Redis: it answers with them at once.
func TestAdminAPI(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, dbc config.Database) {
		rcfg := redistest.Config(t)
		opts := envOptions{yaml: accountYAML(""), db: &dbc, redis: &rcfg}
		e, other := newEnv(t, opts), newEnv(t, opts)
		const accounts = "/api/v1/wechat/accounts"

		noToken := httptest.NewRequest(http.MethodGet, accounts, nil)
		noToken.RemoteAddr = "192.0.2.1:1234"
		wantStatus(t, "without the admin token", e.serve(noToken), http.StatusUnauthorized)
		// The account does not exist yet on either instance.
		wantStatus(t, "message before creation", other.serve(club.request("club", safeMode, textMsg("hi", 1))), http.StatusNotFound)

		created := e.admin(http.MethodPost, accounts, clubJSON)
		wantStatus(t, "create", created, http.StatusCreated)
		body := decodeJSON[wechat.AccountBody](t, created)
		if created.header.Get("Location") != accounts+"/club" || body.Source != "database" || body.AppID != "wxclub" || body.Welcome != "hi club" || body.CreatedAt == nil {
			t.Errorf("created = %+v (Location %s)", body, created.header.Get("Location"))
		}
		for _, secret := range []string{"club-secret", "club-token", testKey} {
			if strings.Contains(string(created.body), secret) {
				t.Errorf("create answer shows a secret: %s", created.body)
			}
		}
		if body.Token != config.Mask || body.AppSecret != config.Mask || body.EncodingAESKey != config.Mask || body.OldEncodingAESKey != "" {
			t.Errorf("secrets not masked: %+v", body)
		}

		for _, tt := range []struct {
			name, body string
			status     int
		}{
			{"duplicate", clubJSON, http.StatusConflict},
			{"name of a config account", strings.Replace(clubJSON, `"club"`, `"shop"`, 1), http.StatusConflict},
			{"bad name", strings.Replace(clubJSON, `"club"`, `"a/b"`, 1), http.StatusUnprocessableEntity},
			{"short key", strings.Replace(clubJSON, testKey, "abc", 1), http.StatusUnprocessableEntity},
			{"forward without url", strings.Replace(clubJSON, `"name":"club"`, `"name":"c2","units":["forward"]`, 1), http.StatusUnprocessableEntity},
			{"unknown unit", strings.Replace(clubJSON, `"name":"club"`, `"name":"c3","units":["keyword"]`, 1), http.StatusUnprocessableEntity},
			{"no token", `{"name":"c4","app_id":"wx"}`, http.StatusUnprocessableEntity},
			{"the mask as token", strings.Replace(strings.Replace(clubJSON, `"club-token"`, `"`+config.Mask+`"`, 1), `"club"`, `"c5"`, 1), http.StatusUnprocessableEntity},
		} {
			wantStatus(t, tt.name, e.admin(http.MethodPost, accounts, tt.body), tt.status)
		}

		// The welcome applies to the next message, on the other instance.
		if r := club.reply(t, safeMode, other.serve(club.request("club", safeMode, eventMsg("subscribe", "")))); r == nil || r.Content != "hi club" {
			t.Errorf("welcome on the other instance: %+v", r)
		}
		rule := e.admin(http.MethodPost, accounts+"/club/rules", `{"match":"exact","pattern":"hi","reply":"hello from the database","priority":3}`)
		wantStatus(t, "create rule", rule, http.StatusCreated)
		rb := decodeJSON[wechat.RuleBody](t, rule)
		if rb.ID == 0 || rb.Match != "exact" || rule.header.Get("Location") == "" {
			t.Errorf("rule = %+v", rb)
		}
		if r := club.reply(t, safeMode, other.serve(club.request("club", safeMode, textMsg("hi", 2)))); r == nil || r.Content != "hello from the database" {
			t.Errorf("rule on the other instance: %+v", r)
		}
		wantStatus(t, "bad regex", e.admin(http.MethodPost, accounts+"/club/rules", `{"match":"regex","pattern":"(","reply":"x"}`), http.StatusUnprocessableEntity)
		wantStatus(t, "bad match", e.admin(http.MethodPost, accounts+"/club/rules", `{"match":"fuzzy","pattern":"a","reply":"x"}`), http.StatusUnprocessableEntity)
		wantStatus(t, "rule of a config account", e.admin(http.MethodPost, accounts+"/shop/rules", `{"match":"exact","pattern":"a","reply":"x"}`), http.StatusConflict)
		wantStatus(t, "rule of no account", e.admin(http.MethodPost, accounts+"/none/rules", `{"match":"exact","pattern":"a","reply":"x"}`), http.StatusNotFound)

		ruleURL := rule.header.Get("Location")
		wantStatus(t, "update rule", e.admin(http.MethodPatch, ruleURL, `{"reply":"changed"}`), http.StatusOK)
		if r := club.reply(t, safeMode, other.serve(club.request("club", safeMode, textMsg("hi", 3)))); r == nil || r.Content != "changed" {
			t.Errorf("changed rule: %+v", r)
		}
		got := decodeJSON[wechat.RuleBody](t, e.admin(http.MethodGet, ruleURL, ""))
		if got.Reply != "changed" || got.Priority != 3 {
			t.Errorf("rule after patch = %+v", got)
		}
		list := decodeJSON[struct{ Rules []wechat.RuleBody }](t, e.admin(http.MethodGet, accounts+"/club/rules", ""))
		if len(list.Rules) != 1 {
			t.Errorf("rules = %+v", list)
		}
		cfgRules := decodeJSON[struct{ Rules []wechat.RuleBody }](t, e.admin(http.MethodGet, accounts+"/shop/rules", ""))
		if len(cfgRules.Rules) != 2 || cfgRules.Rules[0].Source != "config" || cfgRules.Rules[1].Pattern != "price " {
			t.Errorf("config rules = %+v", cfgRules)
		}

		patched := e.admin(http.MethodPatch, accounts+"/club", `{"welcome":"welcome back","old_encoding_aes_key":"`+otherKey+`"}`)
		wantStatus(t, "update account", patched, http.StatusOK)
		if pb := decodeJSON[wechat.AccountBody](t, patched); pb.Welcome != "welcome back" || pb.OldEncodingAESKey != config.Mask || pb.Token != config.Mask {
			t.Errorf("patched = %+v", pb)
		}
		oldKeyPeer := peer{token: club.token, appID: club.appID, key: otherKey}
		if r := oldKeyPeer.reply(t, safeMode, other.serve(oldKeyPeer.request("club", safeMode, eventMsg("subscribe", "x")))); r == nil || r.Content != "welcome back" {
			t.Errorf("after patch, sealed with the new old key: %+v", r)
		}
		// Sending back what a GET showed would store the mask as the secret.
		wantStatus(t, "patch with the mask", e.admin(http.MethodPatch, accounts+"/club", `{"app_secret":"`+config.Mask+`"}`), http.StatusUnprocessableEntity)
		wantStatus(t, "update config account", e.admin(http.MethodPatch, accounts+"/shop", `{"welcome":"x"}`), http.StatusConflict)
		wantStatus(t, "update missing", e.admin(http.MethodPatch, accounts+"/none", `{"welcome":"x"}`), http.StatusNotFound)

		all := decodeJSON[struct{ Accounts []wechat.AccountBody }](t, e.admin(http.MethodGet, accounts, ""))
		if len(all.Accounts) != 2 || all.Accounts[0].Name != "club" || all.Accounts[1].Name != "shop" || all.Accounts[1].Source != "config" || all.Accounts[1].Token != config.Mask {
			t.Errorf("list = %+v", all.Accounts)
		}
		if shown := e.admin(http.MethodGet, accounts+"/shop", ""); strings.Contains(string(shown.body), testToken) || strings.Contains(string(shown.body), "app-secret") {
			t.Errorf("config account shows a secret: %s", shown.body)
		}

		wantStatus(t, "delete rule", e.admin(http.MethodDelete, ruleURL, ""), http.StatusNoContent)
		if r := club.reply(t, safeMode, other.serve(club.request("club", safeMode, textMsg("hi", 4)))); r != nil {
			t.Errorf("deleted rule still answers: %+v", r)
		}
		wantStatus(t, "delete config account", e.admin(http.MethodDelete, accounts+"/shop", ""), http.StatusConflict)
		wantStatus(t, "delete account", e.admin(http.MethodDelete, accounts+"/club", ""), http.StatusNoContent)
		wantStatus(t, "get deleted", e.admin(http.MethodGet, accounts+"/club", ""), http.StatusNotFound)
		wantStatus(t, "message to a deleted account", other.serve(club.request("club", safeMode, textMsg("hi", 5))), http.StatusNotFound)

		// The statements on the accounts table were logged (at debug, and
		// the duplicate at info), never with the secrets they bound.
		logged := e.logs.String()
		if !strings.Contains(logged, "wechat_accounts") {
			t.Fatalf("no SQL on wechat_accounts logged: %.500s", logged)
		}
		for _, secret := range []string{"club-secret", "club-token", testKey, otherKey} {
			if strings.Contains(logged, secret) {
				t.Errorf("a log line shows the secret %q", secret)
			}
		}
	})
}

func TestAdminInOpenAPI(t *testing.T) {
	e := newEnv(t, envOptions{db: ptr(dbtest.SQLite(t))})
	doc := e.serve(httptest.NewRequest(http.MethodGet, "/openapi.json", nil))
	var spec struct {
		Paths map[string]map[string]struct {
			OperationID string                `json:"operationId"`
			Security    []map[string][]string `json:"security"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(doc.body, &spec); err != nil {
		t.Fatal(err)
	}
	for path, methods := range map[string][]string{
		"/api/v1/wechat/accounts":                  {"get", "post"},
		"/api/v1/wechat/accounts/{app}":            {"get", "patch", "delete"},
		"/api/v1/wechat/accounts/{app}/rules":      {"get", "post"},
		"/api/v1/wechat/accounts/{app}/rules/{id}": {"get", "patch", "delete"},
	} {
		for _, m := range methods {
			op, ok := spec.Paths[path][m]
			if !ok || len(op.Security) == 0 {
				t.Errorf("%s %s: in document %v, security %v", m, path, ok, op.Security)
			}
		}
	}
}

func ptr[T any](v T) *T { return &v }

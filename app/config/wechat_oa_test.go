package config_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"gomicro/app/config"
)

const sampleKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"

func buildYAML(t *testing.T, yaml string, environ ...string) (*config.Config, error) {
	t.Helper()
	l, err := config.NewLoader(config.Selection{Path: writeFile(t, t.TempDir(), "c.yaml", yaml), Env: "test"}, environ)
	if err != nil {
		t.Fatal(err)
	}
	return l.Build(nil)
}

func TestWeChatOADefaultsAndEnv(t *testing.T) {
	cfg, err := buildYAML(t, "app: {name: x}\n", "APP_WECHAT_OA_REPLY_TIMEOUT=1500ms")
	if err != nil {
		t.Fatal(err)
	}
	w := cfg.WeChatOA
	if w.TimestampSkew != 5*time.Minute || w.ForwardTimeout != 30*time.Second || w.SessionTTL != 30*time.Minute ||
		w.DedupTTL != 2*time.Minute || w.APIBaseURL != "https://api.weixin.qq.com" || w.APITimeout != 10*time.Second {
		t.Errorf("defaults = %+v", w)
	}
	if w.ReplyTimeout != 1500*time.Millisecond {
		t.Errorf("reply_timeout = %v, want the env's 1.5s", w.ReplyTimeout)
	}
}

func TestWeChatOAAccountsMasked(t *testing.T) {
	cfg, err := buildYAML(t, `wechat_oa:
  accounts:
    shop-1:
      app_id: wx1
      app_secret: s3cret-app
      token: s3cret-token
      encoding_aes_key: `+sampleKey+`
      welcome: hi
      units: [forward]
      forward_url: http://127.0.0.1:9/bot
      keywords:
        - {match: exact, pattern: hello, reply: world, priority: 2}
`)
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.WeChatOA.Accounts["shop-1"]
	if a.AppID != "wx1" || a.Token != "s3cret-token" || len(a.Keywords) != 1 || a.Keywords[0].Priority != 2 || a.Units[0] != "forward" {
		t.Fatalf("account = %+v", a)
	}
	shown := cfg.String()
	for _, secret := range []string{"s3cret-app", "s3cret-token", sampleKey} {
		if strings.Contains(shown, secret) {
			t.Errorf("masked config shows %q: %s", secret, shown)
		}
	}
	if !strings.Contains(shown, `"welcome":"hi"`) || !strings.Contains(shown, `"pattern":"hello"`) {
		t.Errorf("masked config lost plain fields: %s", shown)
	}
}

func TestWeChatOAValidation(t *testing.T) {
	account := func(extra string) string {
		return "wechat_oa:\n  accounts:\n    a:\n      app_id: wx1\n      token: t\n" + extra
	}
	tests := []struct {
		name, yaml, want string
	}{
		{"minimal account", account(""), ""},
		{"bad name", "wechat_oa: {accounts: {'no spaces': {app_id: wx, token: t}}}\n", "wechat_oa.accounts.no spaces"},
		{"long name", "wechat_oa: {accounts: {" + strings.Repeat("a", 33) + ": {app_id: wx, token: t}}}\n", "account_name"},
		{"no token", "wechat_oa: {accounts: {a: {app_id: wx}}}\n", "accounts[a].token"},
		{"short key", account("      encoding_aes_key: abc\n"), "encoding_aes_key"},
		{"non-base64 key", account("      encoding_aes_key: '" + strings.Repeat("*", 43) + "'\n"), "encoding_aes_key"},
		{"bad old key", account("      old_encoding_aes_key: abc\n"), "old_encoding_aes_key"},
		{"forward without url", account("      units: [forward]\n"), "forward_url"},
		{"bad match", account("      keywords: [{match: fuzzy, pattern: a, reply: b}]\n"), "match"},
		{"bad regex", account("      keywords: [{match: regex, pattern: '(', reply: b}]\n"), "pattern"},
		{"reply timeout over 5s", "wechat_oa: {reply_timeout: 6s}\n", "reply_timeout"},
		{"ftp api", "wechat_oa: {api_base_url: 'ftp://x'}\n", "api_base_url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := buildYAML(t, tt.yaml)
			if tt.want == "" && err != nil {
				t.Fatalf("valid config refused: %v", err)
			}
			if tt.want != "" && (!errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("err = %v, want one naming %q", err, tt.want)
			}
		})
	}
	// A refused key is never quoted in the error.
	_, err := buildYAML(t, account("      encoding_aes_key: short-secret-key\n"))
	if err == nil || strings.Contains(err.Error(), "short-secret-key") {
		t.Errorf("err = %v, want a refusal that masks the key", err)
	}
}

package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gomicro/app/config"
	"gomicro/app/config/configtest"
)

func TestAuthAndChatDefaults(t *testing.T) {
	_, cfg := configtest.Load(t, "log:\n  dir: \"\"\n")
	if cfg.Auth.TokenTTL != 30*24*time.Hour || cfg.Auth.MaxLoginFailures != 5 || cfg.Auth.LoginWindow != time.Minute {
		t.Errorf("auth = %+v", cfg.Auth)
	}
	if cfg.Chat.MaxMessageChars != 2000 || cfg.Chat.PingInterval != 30*time.Second || cfg.Chat.SendBuffer != 256 || cfg.Chat.TicketTTL != time.Minute {
		t.Errorf("chat = %+v", cfg.Chat)
	}
}

func TestChatAllowedOriginsAreFullOrigins(t *testing.T) {
	build := func(origins string) error {
		path := filepath.Join(t.TempDir(), "c.yaml")
		if err := os.WriteFile(path, []byte("chat:\n  allowed_origins: "+origins+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		l, err := config.NewLoader(config.Selection{Path: path, Env: "test"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = l.Build(nil)
		return err
	}
	if err := build(`["https://app.example.com", "http://localhost:5173", "https://b.example.com/"]`); err != nil {
		t.Fatalf("good origins refused: %v", err)
	}
	for _, bad := range []string{`["app.example.com"]`, `["https://app.example.com/app"]`, `["https://*.example.com/x"]`, `["ftp://x.example.com"]`, `["https://u@x.example.com"]`} {
		if err := build(bad); err == nil || !strings.Contains(err.Error(), "chat.allowed_origins") {
			t.Errorf("%s: err = %v, want a chat.allowed_origins error", bad, err)
		}
	}
}

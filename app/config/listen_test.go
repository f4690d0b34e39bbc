package config_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gomicro/app/config"
)

// TestListenerDefaults checks what both binaries listen with when the file
// says nothing: every interface, the same timeouts for the server and the
// executor, and a connection cap for the executor; config_test.yaml keeps
// the executor on loopback as it keeps the server.
func TestListenerDefaults(t *testing.T) {
	l, err := config.NewLoader(config.Selection{Path: writeFile(t, t.TempDir(), "c.yaml", "{}\n"), Env: "prod"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := l.Build(nil)
	if err != nil {
		t.Fatal(err)
	}
	s, x := cfg.Server, cfg.XxlJob
	if x.Host != "0.0.0.0" || x.MaxConnections != 256 {
		t.Errorf("xxl-job.host %q, max_connections %d; want 0.0.0.0 and 256", x.Host, x.MaxConnections)
	}
	if s.ReadTimeout != 30*time.Second || s.WriteTimeout != 30*time.Second || s.IdleTimeout != 30*time.Second {
		t.Errorf("server timeouts %v/%v/%v, want 30s each", s.ReadTimeout, s.WriteTimeout, s.IdleTimeout)
	}
	if x.ReadTimeout != s.ReadTimeout || x.WriteTimeout != s.WriteTimeout || x.IdleTimeout != s.IdleTimeout {
		t.Errorf("xxl-job timeouts %v/%v/%v differ from the server's", x.ReadTimeout, x.WriteTimeout, x.IdleTimeout)
	}

	sel, err := config.Select("", "../..", getenv(map[string]string{"APP_ENV": "test"}))
	if err != nil {
		t.Fatal(err)
	}
	l, err = config.NewLoader(sel, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg, err = l.Build(nil); err != nil {
		t.Fatal(err)
	}
	if cfg.XxlJob.Host != "127.0.0.1" || cfg.Server.Host != "127.0.0.1" {
		t.Errorf("%s: xxl-job.host %q, server.host %q; want both on 127.0.0.1", filepath.Base(sel.Path), cfg.XxlJob.Host, cfg.Server.Host)
	}
}

func TestListenerSettingsValidated(t *testing.T) {
	for _, tc := range []struct{ env, key string }{
		{"APP_XXL_JOB_MAX_CONNECTIONS=0", "xxl-job.max_connections"},
		{"APP_XXL_JOB_HOST=not a host", "xxl-job.host"},
		{"APP_XXL_JOB_IDLE_TIMEOUT=-1s", "xxl-job.idle_timeout"},
		{"APP_SERVER_IDLE_TIMEOUT=-1s", "server.idle_timeout"},
	} {
		t.Run(tc.key, func(t *testing.T) {
			l, err := config.NewLoader(config.Selection{Path: writeFile(t, t.TempDir(), "c.yaml", "{}\n"), Env: "test"}, []string{tc.env})
			if err == nil {
				_, err = l.Build(nil)
			}
			if !errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), tc.key) {
				t.Fatalf("err = %v, want ErrInvalid naming %s", err, tc.key)
			}
		})
	}
	for _, host := range []string{"", "127.0.0.1", "::1", "job-1.internal"} {
		l, err := config.NewLoader(config.Selection{Path: writeFile(t, t.TempDir(), "c.yaml", "{}\n"), Env: "test"}, []string{"APP_XXL_JOB_HOST=" + host})
		if err == nil {
			_, err = l.Build(nil)
		}
		if err != nil {
			t.Errorf("xxl-job.host %q refused: %v", host, err)
		}
	}
}

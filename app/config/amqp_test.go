package config_test

import (
	"errors"
	"strings"
	"testing"

	"gomicro/app/config"
)

func TestAMQPAndDispatchDefaults(t *testing.T) {
	cfg, err := buildYAML(t, "app: {name: x}\n")
	if err != nil {
		t.Fatal(err)
	}
	if a := cfg.AMQP; a.URL != "" || a.Exchange != "" || a.Queue != "" || a.Prefetch != 32 {
		t.Errorf("amqp defaults = %+v", a)
	}
	w := cfg.WeChatOA
	if w.Dispatch != config.DispatchInline || w.Workers != 16 || w.WorkerPort != 8001 || w.MaxAttempts != 3 {
		t.Errorf("dispatch defaults = %s workers %d port %d attempts %d", w.Dispatch, w.Workers, w.WorkerPort, w.MaxAttempts)
	}
}

// The broker URL holds a password: it never shows, neither in the masked
// config nor in a validation error quoting it.
func TestAMQPURLMasked(t *testing.T) {
	cfg, err := buildYAML(t, "redis: {addr: '127.0.0.1:6379'}\n",
		"APP_AMQP_URL=amqp://app:broker-s3cret@mq.internal:5672/prod", "APP_WECHAT_OA_DISPATCH=amqp")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.AMQP.URL != "amqp://app:broker-s3cret@mq.internal:5672/prod" || cfg.WeChatOA.Dispatch != config.DispatchAMQP {
		t.Fatalf("env not applied: %q %q", cfg.AMQP.URL, cfg.WeChatOA.Dispatch)
	}
	if shown := cfg.String(); strings.Contains(shown, "broker-s3cret") || !strings.Contains(shown, `"amqp":{`) {
		t.Errorf("masked config: %s", shown)
	}
	_, err = buildYAML(t, "amqp: {url: 'http://app:broker-s3cret@mq.internal'}\n")
	if !errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), "amqp.url") || !strings.Contains(err.Error(), "amqp_url") {
		t.Fatalf("err = %v, want ErrInvalid naming amqp.url", err)
	}
	if strings.Contains(err.Error(), "broker-s3cret") {
		t.Errorf("error quotes the password: %v", err)
	}
}

func TestDispatchValidation(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string // empty: valid
	}{
		{"inline needs nothing", "wechat_oa: {dispatch: inline}\n", nil},
		{"amqp with both", "wechat_oa: {dispatch: amqp}\namqp: {url: 'amqp://guest:guest@127.0.0.1:5672/'}\nredis: {addr: '127.0.0.1:6379'}\n", nil},
		{"amqp without url", "wechat_oa: {dispatch: amqp}\nredis: {addr: '127.0.0.1:6379'}\n", []string{"amqp.url", "required_when", "wechat_oa.dispatch=amqp"}},
		{"amqp without redis", "wechat_oa: {dispatch: amqp}\namqp: {url: 'amqp://127.0.0.1/'}\n", []string{"redis.addr", "required_when"}},
		{"amqp without either", "wechat_oa: {dispatch: amqp}\n", []string{"amqp.url", "redis.addr"}},
		{"unknown mode", "wechat_oa: {dispatch: kafka}\n", []string{"wechat_oa.dispatch", "oneof"}},
		{"no workers", "wechat_oa: {workers: 0}\n", []string{"wechat_oa.workers"}},
		{"no attempts", "wechat_oa: {max_attempts: 0}\n", []string{"wechat_oa.max_attempts"}},
		{"worker port", "wechat_oa: {worker_port: 70000}\n", []string{"wechat_oa.worker_port"}},
		{"prefetch", "amqp: {prefetch: 0}\n", []string{"amqp.prefetch"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := buildYAML(t, tt.yaml)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if !errors.Is(err, config.ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestAMQPUnknownKey(t *testing.T) {
	path := writeFile(t, t.TempDir(), "c.yaml", "amqp: {urls: 'amqp://127.0.0.1/'}\n")
	_, err := config.NewLoader(config.Selection{Path: path, Env: "test"}, nil)
	if !errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), "amqp.urls: unknown key (did you mean amqp.url?)") {
		t.Fatalf("err = %v, want the unknown key named", err)
	}
}

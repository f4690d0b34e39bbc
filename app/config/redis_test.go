package config_test

import (
	"testing"

	"gomicro/app/config/configtest"
)

func TestRedisAddressFromPythonTemplateKeys(t *testing.T) {
	for _, tt := range []struct{ yaml, want string }{
		{"redis: {host: redis.internal, port: 6380}\n", "redis.internal:6380"},
		{"redis: {host: redis.internal}\n", "redis.internal:6379"},
		{"redis: {addr: 10.0.0.5:6379, host: redis.internal}\n", "10.0.0.5:6379"},
		{"redis: {port: 6380}\n", ""},
		{"{}\n", ""},
	} {
		_, cfg := configtest.Load(t, tt.yaml)
		if cfg.Redis.Addr != tt.want {
			t.Errorf("%q: redis.addr = %q, want %q", tt.yaml, cfg.Redis.Addr, tt.want)
		}
	}
}

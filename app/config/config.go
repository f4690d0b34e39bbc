// Package config loads gomicro's typed, validated configuration from layered
// sources (built-in defaults < file < Nacos < environment) and keeps the
// current value in a Store that swaps it atomically on reload.
package config

import (
	"slices"
	"time"
)

// Config is the whole effective configuration. A Config is never modified
// after Build returns it: a reload builds a new value and swaps it in.
type Config struct {
	Env      string   `koanf:"-" json:"env"`
	App      App      `koanf:"app" json:"app"`
	Server   Server   `koanf:"server" json:"server"`
	Log      Log      `koanf:"log" json:"log"`
	Database Database `koanf:"database" json:"database"`
	XxlJob   XxlJob   `koanf:"xxl-job" json:"xxl-job"`
	WeChat   WeChat   `koanf:"wechat" json:"wechat"`
	Nacos    Nacos    `koanf:"nacos" json:"nacos"`
	Redis    Redis    `koanf:"redis" json:"redis"`
	MQTT     MQTT     `koanf:"mqtt" json:"mqtt"`
	WeChatOA WeChatOA `koanf:"wechat_oa" json:"wechat_oa"`
	Auth     Auth     `koanf:"auth" json:"auth"`
	Chat     Chat     `koanf:"chat" json:"chat"`
	AMQP     AMQP     `koanf:"amqp" json:"amqp"`

	// Databases are extra named connections beside Database, each opened on
	// first use; see app/db.Registry.
	Databases map[string]Database `koanf:"databases" json:"databases" validate:"dive"`

	// flat holds every key of the merged layers (known or not) so a reload
	// can report exactly which keys changed.
	flat map[string]any
	// unknown lists the top-level sections no field takes.
	unknown []string
}

// UnknownSections lists, sorted, the top-level sections of the merged
// layers that are no section of Config: those of other services sharing a
// dataId, or a misspelt section name. They are kept (a reload reports
// their changed keys) but used nowhere; binaries log the list once at start.
func (c *Config) UnknownSections() []string { return slices.Clone(c.unknown) }

// App names the service and its clock.
type App struct {
	Name     string `koanf:"name" json:"name" validate:"required,max=64"`
	Timezone string `koanf:"timezone" json:"timezone" validate:"required,timezone"`
	// GCPercent is the Go collector's target (what GOGC sets): the heap may
	// grow by this percentage of the live heap before the next collection.
	// 0 leaves the runtime's own (GOGC from the environment, else 100). A
	// GOGC in the environment always wins.
	GCPercent int `koanf:"gc_percent" json:"gc_percent" validate:"min=0,max=10000"`
}

// Server configures the HTTP server of cmd/server.
type Server struct {
	Host            string        `koanf:"host" json:"host"`
	Port            int           `koanf:"port" json:"port" validate:"min=0,max=65535"`
	AdminToken      string        `koanf:"admin_token" json:"admin_token" secret:"true"`
	MaxBodyBytes    int64         `koanf:"max_body_bytes" json:"max_body_bytes" validate:"min=1"`
	ShutdownTimeout time.Duration `koanf:"shutdown_timeout" json:"shutdown_timeout" validate:"min=0"`
	ReadTimeout     time.Duration `koanf:"read_timeout" json:"read_timeout" validate:"min=0"`
	WriteTimeout    time.Duration `koanf:"write_timeout" json:"write_timeout" validate:"min=0"`
	// IdleTimeout closes a keep-alive connection that has carried no request
	// for this long; zero falls back to ReadTimeout (net/http's rule).
	IdleTimeout time.Duration `koanf:"idle_timeout" json:"idle_timeout" validate:"min=0"`
	// TrustedProxies lists proxy CIDRs whose X-Forwarded-For is believed
	// for the client IP; empty trusts none.
	TrustedProxies []string `koanf:"trusted_proxies" json:"trusted_proxies" validate:"dive,cidr|ip"`
}

// Log configures zerolog output on stdout and in dated files.
type Log struct {
	Level         string `koanf:"level" json:"level" validate:"oneof=trace debug info warn error fatal panic disabled"`
	Format        string `koanf:"format" json:"format" validate:"omitempty,oneof=console json"`
	Dir           string `koanf:"dir" json:"dir"`
	FilePrefix    string `koanf:"file_prefix" json:"file_prefix"`
	RetentionDays int    `koanf:"retention_days" json:"retention_days" validate:"min=0"`
	// BufferSize is the number of log lines held in memory while the file
	// writer catches up; past it lines are dropped and counted, never waited on.
	BufferSize int `koanf:"buffer_size" json:"buffer_size" validate:"min=16"`
}

// The HTTP timeouts both binaries' listeners start from (server.* and
// xxl-job.*), kept in one place so the two cannot drift apart unnoticed.
// The idle timeout is what the server had in effect before it was a key of
// its own (net/http falls back to the read timeout).
const (
	defaultReadTimeout  = "30s"
	defaultWriteTimeout = "30s"
	defaultIdleTimeout  = "30s"
)

// Defaults returns the built-in layer, the lowest of all.
func Defaults() map[string]any {
	return map[string]any{
		"app.name":                   "gomicro",
		"app.timezone":               "Asia/Shanghai",
		"app.gc_percent":             200,
		"server.host":                "0.0.0.0",
		"server.port":                8000,
		"server.max_body_bytes":      1 << 20,
		"server.shutdown_timeout":    "15s",
		"server.read_timeout":        defaultReadTimeout,
		"server.write_timeout":       defaultWriteTimeout,
		"server.idle_timeout":        defaultIdleTimeout,
		"log.level":                  "info",
		"log.dir":                    "log",
		"log.retention_days":         60,
		"log.buffer_size":            10000,
		"database.driver":            "sqlite",
		"database.path":              "data/gomicro.db",
		"database.port":              3306,
		"database.name":              "gomicro",
		"database.params":            "charset=utf8mb4&parseTime=true&loc=Local&interpolateParams=true",
		"database.max_open_conns":    20,
		"database.max_idle_conns":    10,
		"database.conn_max_lifetime": "30m",
		"database.slow_threshold":    "200ms",
		"xxl-job.app_name":           "gomicro-job",
		"xxl-job.host":               "0.0.0.0",
		"xxl-job.port":               9999,
		"xxl-job.read_timeout":       defaultReadTimeout,
		"xxl-job.write_timeout":      defaultWriteTimeout,
		"xxl-job.idle_timeout":       defaultIdleTimeout,
		"xxl-job.max_connections":    256,
		"xxl-job.log_path":           "xxl_log",
		"xxl-job.log_retention_days": 30,
		"xxl-job.shutdown_timeout":   "30s",
		"wechat.robot_base_url":      "https://qyapi.weixin.qq.com",
		"wechat.queue_size":          100,
		"wechat.timeout":             "10s",
		"wechat.alert.window":        "1m",
		"wechat.alert.per_minute":    10,
		"nacos.group":                "DEFAULT_GROUP",
		"nacos.timeout_ms":           3000,
		"nacos.cache_dir":            "data/nacos/cache",
		"nacos.log_dir":              "data/nacos/log",
		"nacos.register":             true,
		"redis.key_prefix":           "gomicro:",
		"redis.dial_timeout":         "2s",
		"mqtt.enabled":               true,
		"mqtt.host":                  "0.0.0.0",
		"mqtt.port":                  3563,
		"mqtt.ws_port":               3653,
		"mqtt.max_payload":           64 << 10,
		"mqtt.max_connections":       10000,
		"mqtt.max_inflight":          20,
		"mqtt.call_timeout":          "10s",
		"wechat_oa":                  wechatOADefaults(),
		"amqp":                       amqpDefaults(),
		"auth.token_ttl":             "720h",
		"auth.max_login_failures":    5,
		"auth.login_window":          "1m",
		"chat.max_message_chars":     2000,
		"chat.ping_interval":         "30s",
		"chat.send_buffer":           256,
		"chat.ticket_ttl":            "60s",
	}
}

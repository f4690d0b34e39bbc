package config

import (
	"net"
	"strconv"
	"time"
)

// Database configures the default GORM connection; Databases adds named ones.
type Database struct {
	Driver          string        `koanf:"driver" json:"driver" validate:"oneof=sqlite mysql"`
	DSN             string        `koanf:"dsn" json:"dsn" secret:"true"`
	Path            string        `koanf:"path" json:"path"`
	User            string        `koanf:"user" json:"user"`
	Password        string        `koanf:"password" json:"password" secret:"true"`
	Host            string        `koanf:"host" json:"host"`
	Port            int           `koanf:"port" json:"port" validate:"min=0,max=65535"`
	Name            string        `koanf:"name" json:"name"`
	Params          string        `koanf:"params" json:"params" dsnparams:"true"`
	MaxOpenConns    int           `koanf:"max_open_conns" json:"max_open_conns" validate:"min=0"`
	MaxIdleConns    int           `koanf:"max_idle_conns" json:"max_idle_conns" validate:"min=0"`
	ConnMaxLifetime time.Duration `koanf:"conn_max_lifetime" json:"conn_max_lifetime" validate:"min=0"`
	SlowThreshold   time.Duration `koanf:"slow_threshold" json:"slow_threshold" validate:"min=0"`
	// HideValues keeps bound parameter values out of SQL log lines.
	HideValues  bool `koanf:"hide_values" json:"hide_values"`
	AutoMigrate bool `koanf:"auto_migrate" json:"auto_migrate"`
}

// XxlJob configures the executor of cmd/job (the Python template's keys plus
// host, address, log_path, log_retention_days and the listener's limits).
// Host is the address listened on, as server.host is the server's: every
// interface when it is 0.0.0.0 (the default) or empty.
type XxlJob struct {
	URL              string `koanf:"url" json:"url" url:"true"`
	AppName          string `koanf:"app_name" json:"app_name"`
	AccessToken      string `koanf:"access_token" json:"access_token" secret:"true"`
	Host             string `koanf:"host" json:"host" validate:"omitempty,ip|hostname_rfc1123"`
	Port             int    `koanf:"port" json:"port" validate:"min=0,max=65535"`
	Address          string `koanf:"address" json:"address"`
	LogPath          string `koanf:"log_path" json:"log_path"`
	LogRetentionDays int    `koanf:"log_retention_days" json:"log_retention_days" validate:"min=0"`
	// ShutdownTimeout bounds a graceful stop: running tasks get three
	// quarters of it to finish, the rest is for cancelling and reporting.
	// Zero would leave no time to deregister or flush callbacks.
	ShutdownTimeout time.Duration `koanf:"shutdown_timeout" json:"shutdown_timeout" validate:"min=1s"`
	// ReadTimeout, WriteTimeout and IdleTimeout are the executor's
	// http.Server timeouts, with the server's defaults; a zero IdleTimeout
	// falls back to ReadTimeout.
	ReadTimeout  time.Duration `koanf:"read_timeout" json:"read_timeout" validate:"min=0"`
	WriteTimeout time.Duration `koanf:"write_timeout" json:"write_timeout" validate:"min=0"`
	IdleTimeout  time.Duration `koanf:"idle_timeout" json:"idle_timeout" validate:"min=0"`
	// MaxConnections caps the connections served at once; past it new ones
	// wait in the kernel's accept queue until one closes.
	MaxConnections int `koanf:"max_connections" json:"max_connections" validate:"min=1"`
}

// WeChat configures WeCom group robots.
type WeChat struct {
	RobotBaseURL   string                   `koanf:"robot_base_url" json:"robot_base_url" validate:"omitempty,http_url" url:"true"`
	RobotTemplates map[string]RobotTemplate `koanf:"robot_templates" json:"robot_templates" validate:"dive"`
	// QueueSize bounds the messages waiting per robot; past it a send is
	// refused and logged instead of blocking the caller.
	QueueSize int `koanf:"queue_size" json:"queue_size" validate:"min=0"`
	// Timeout bounds one HTTP call to WeCom.
	Timeout time.Duration `koanf:"timeout" json:"timeout" validate:"min=0"`
	Alert   Alert         `koanf:"alert" json:"alert"`
}

// RobotTemplate is one named robot: its webhook key, a message template with
// positional placeholders, and the alarm level that decorates parameters.
type RobotTemplate struct {
	Key        string `koanf:"key" json:"key" secret:"true"`
	Template   string `koanf:"template" json:"template"`
	AlarmLevel string `koanf:"alarm_level" json:"alarm_level" validate:"omitempty,oneof=NORMAL URGENT CRITICAL DISASTER"`
}

// Alert configures the opt-in hook that sends error log events to a robot.
type Alert struct {
	Enabled   bool          `koanf:"enabled" json:"enabled"`
	Robot     string        `koanf:"robot" json:"robot"`
	Window    time.Duration `koanf:"window" json:"window" validate:"min=0"`
	PerMinute int           `koanf:"per_minute" json:"per_minute" validate:"min=0"`
}

// Nacos is the connection to the config center; an empty Host turns it off.
type Nacos struct {
	Host          string `koanf:"host" json:"host" url:"true"`
	Username      string `koanf:"username" json:"username"`
	Password      string `koanf:"password" json:"password" secret:"true"`
	Namespace     string `koanf:"namespace" json:"namespace"`
	Group         string `koanf:"group" json:"group"`
	DataID        string `koanf:"data_id" json:"data_id"`
	TimeoutMS     int    `koanf:"timeout_ms" json:"timeout_ms" validate:"min=0"`
	CacheDir      string `koanf:"cache_dir" json:"cache_dir"`
	LogDir        string `koanf:"log_dir" json:"log_dir"`
	GRPCPort      int    `koanf:"grpc_port" json:"grpc_port" validate:"min=0,max=65535"`
	Register      bool   `koanf:"register" json:"register"`
	ServiceName   string `koanf:"service_name" json:"service_name"`
	AdvertiseIP   string `koanf:"advertise_ip" json:"advertise_ip"`
	AdvertisePort int    `koanf:"advertise_port" json:"advertise_port" validate:"min=0,max=65535"`
}

// Redis is the shared Redis connection of every module that keeps state
// across instances (dedup marks, sessions, tokens, pub/sub). An empty Addr
// turns it off: modules then keep that state in process.
type Redis struct {
	Addr string `koanf:"addr" json:"addr" validate:"omitempty,hostname_port"`
	// Host and Port are the Python template's spelling of the address, so
	// its dataIds load unchanged; Addr, when set, wins.
	Host     string `koanf:"host" json:"host"`
	Port     int    `koanf:"port" json:"port" validate:"min=0,max=65535"`
	Username string `koanf:"username" json:"username"`
	Password string `koanf:"password" json:"password" secret:"true"`
	DB       int    `koanf:"db" json:"db" validate:"min=0,max=15"`
	// KeyPrefix starts every key and channel name, so services sharing one
	// Redis (or tests sharing one server) never see each other's keys.
	KeyPrefix string `koanf:"key_prefix" json:"key_prefix"`
	// DialTimeout bounds a connect; start-up waits at most this long for
	// Redis before serving with it reported down.
	DialTimeout time.Duration `koanf:"dial_timeout" json:"dial_timeout" validate:"min=0"`
}

// address is Addr, or host:port from the Python template's keys (port 6379
// when unset), or "" when neither is given.
func (r Redis) address() string {
	if r.Addr != "" || r.Host == "" {
		return r.Addr
	}
	port := r.Port
	if port == 0 {
		port = 6379
	}
	return net.JoinHostPort(r.Host, strconv.Itoa(port))
}

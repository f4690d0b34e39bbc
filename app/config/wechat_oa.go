package config

import (
	"encoding/base64"
	"regexp"
	"slices"
	"time"

	"github.com/go-playground/validator/v10"
)

// WeChatOA configures the WeChat Official Account module (app/wechat):
// callback checks, the reply and forward time limits, session and dedup
// lifetimes, WeChat's API and the accounts bound in config.
type WeChatOA struct {
	// TimestampSkew is how far a callback's timestamp may be from now;
	// 0 turns the check off.
	TimestampSkew time.Duration `koanf:"timestamp_skew" json:"timestamp_skew" validate:"min=0"`
	// ReplyTimeout bounds the wait for the unit chain; past it the callback
	// is answered "success" and a late reply goes out through the
	// customer-service API. WeChat gives up after 5s.
	ReplyTimeout time.Duration `koanf:"reply_timeout" json:"reply_timeout" validate:"min=1ms,max=5s"`
	// ForwardTimeout bounds one call of the forward unit.
	ForwardTimeout time.Duration `koanf:"forward_timeout" json:"forward_timeout" validate:"min=1ms"`
	SessionTTL     time.Duration `koanf:"session_ttl" json:"session_ttl" validate:"min=1s"`
	DedupTTL       time.Duration `koanf:"dedup_ttl" json:"dedup_ttl" validate:"min=1s"`
	// APIBaseURL is where stable_token and message/custom/send are called.
	APIBaseURL string `koanf:"api_base_url" json:"api_base_url" validate:"required,http_url"`
	// APITimeout bounds one call to WeChat's API.
	APITimeout time.Duration              `koanf:"api_timeout" json:"api_timeout" validate:"min=1ms"`
	Accounts   map[string]WeChatOAAccount `koanf:"accounts" json:"accounts" validate:"dive"`
	// Dispatch says where the unit chain runs: "inline" in the server that
	// took the callback, or "amqp" on the workers of `server wechat-worker`,
	// to which the server publishes each message (amqp section) and whose
	// results it reads back from Redis. Read at start.
	Dispatch string `koanf:"dispatch" json:"dispatch" validate:"oneof=inline amqp"`
	// Workers is how many messages one worker process handles at once.
	Workers int `koanf:"workers" json:"workers" validate:"min=1,max=4096"`
	// WorkerPort is where a worker serves /healthz, /readyz and /metrics
	// (on server.host); 0 picks a free port.
	WorkerPort int `koanf:"worker_port" json:"worker_port" validate:"min=0,max=65535"`
	// MaxAttempts bounds the deliveries of one message to workers (a failed
	// chain, a worker that died holding it); past it the message goes to
	// the dead-letter queue.
	MaxAttempts int `koanf:"max_attempts" json:"max_attempts" validate:"min=1,max=100"`
}

// Dispatch modes of wechat_oa.dispatch.
const (
	DispatchInline = "inline"
	DispatchAMQP   = "amqp"
)

// WeChatOAAccount is one Official Account; its map key is its name, the
// {app} segment of its callback path.
type WeChatOAAccount struct {
	AppID             string `koanf:"app_id" json:"app_id" validate:"required,max=64"`
	AppSecret         string `koanf:"app_secret" json:"app_secret" secret:"true" validate:"max=128"`
	Token             string `koanf:"token" json:"token" secret:"true" validate:"required,max=128"`
	EncodingAESKey    string `koanf:"encoding_aes_key" json:"encoding_aes_key" secret:"true"`
	OldEncodingAESKey string `koanf:"old_encoding_aes_key" json:"old_encoding_aes_key" secret:"true"`
	// Welcome is the text answering a subscribe event; empty: none.
	Welcome string `koanf:"welcome" json:"welcome" validate:"max=2048"`
	// Units lists the optional units enabled for this account ("forward",
	// or a service's own).
	Units      []string          `koanf:"units" json:"units" validate:"dive,min=1,max=32"`
	ForwardURL string            `koanf:"forward_url" json:"forward_url" validate:"omitempty,http_url"`
	Keywords   []WeChatOAKeyword `koanf:"keywords" json:"keywords" validate:"dive"`
}

// WeChatOAKeyword is one keyword rule: text matching Pattern is answered
// with Reply; rules with a higher Priority are tried first.
type WeChatOAKeyword struct {
	Match    string `koanf:"match" json:"match" validate:"oneof=exact prefix contains regex"`
	Pattern  string `koanf:"pattern" json:"pattern" validate:"required,max=256"`
	Reply    string `koanf:"reply" json:"reply" validate:"required,max=2048"`
	Priority int    `koanf:"priority" json:"priority"`
}

// WeChatOAName is the pattern of an account name: its callback path
// segment.
var WeChatOAName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// ValidEncodingAESKey reports whether key is an EncodingAESKey: 43
// base64 characters that decode, with "=" appended, to 32 bytes.
func ValidEncodingAESKey(key string) bool {
	if len(key) != 43 {
		return false
	}
	b, err := base64.StdEncoding.DecodeString(key + "=")
	return err == nil && len(b) == 32
}

func wechatOADefaults() map[string]any {
	return map[string]any{
		"timestamp_skew":  "5m",
		"reply_timeout":   "4s",
		"forward_timeout": "30s",
		"session_ttl":     "30m",
		"dedup_ttl":       "2m",
		"api_base_url":    "https://api.weixin.qq.com",
		"api_timeout":     "10s",
		"dispatch":        DispatchInline,
		"workers":         16,
		"worker_port":     8001,
		"max_attempts":    3,
	}
}

// registerWeChatOA adds the checks struct tags cannot say: account names,
// AES keys, regex patterns and a forward unit without its URL.
func registerWeChatOA(v *validator.Validate) {
	v.RegisterStructValidation(func(sl validator.StructLevel) {
		for name := range sl.Current().Interface().(WeChatOA).Accounts {
			if !WeChatOAName.MatchString(name) {
				sl.ReportError(name, "accounts."+name, "Accounts", "account_name", `[A-Za-z0-9_-]{1,32}`)
			}
		}
	}, WeChatOA{})
	v.RegisterStructValidation(func(sl validator.StructLevel) {
		a := sl.Current().Interface().(WeChatOAAccount)
		if a.EncodingAESKey != "" && !ValidEncodingAESKey(a.EncodingAESKey) {
			sl.ReportError(a.EncodingAESKey, "encoding_aes_key", "EncodingAESKey", "aes_key", "43 base64 chars")
		}
		if a.OldEncodingAESKey != "" && !ValidEncodingAESKey(a.OldEncodingAESKey) {
			sl.ReportError(a.OldEncodingAESKey, "old_encoding_aes_key", "OldEncodingAESKey", "aes_key", "43 base64 chars")
		}
		if slices.Contains(a.Units, "forward") && a.ForwardURL == "" {
			sl.ReportError(a.ForwardURL, "forward_url", "ForwardURL", "required_with_forward", "")
		}
	}, WeChatOAAccount{})
	v.RegisterStructValidation(func(sl validator.StructLevel) {
		k := sl.Current().Interface().(WeChatOAKeyword)
		if k.Match == "regex" {
			if _, err := regexp.Compile(k.Pattern); err != nil {
				sl.ReportError(k.Pattern, "pattern", "Pattern", "regexp", "")
			}
		}
	}, WeChatOAKeyword{})
}

// dispatchNeedsBrokers refuses wechat_oa.dispatch: amqp without the broker
// to publish to and the Redis the results come back through: the server
// would otherwise start and answer every message by its inline fallback.
func dispatchNeedsBrokers(sl validator.StructLevel) {
	c := sl.Current().Interface().(Config)
	if c.WeChatOA.Dispatch != DispatchAMQP {
		return
	}
	if c.AMQP.URL == "" {
		sl.ReportError(c.AMQP.URL, "amqp.url", "URL", "required_when", "wechat_oa.dispatch=amqp")
	}
	if c.Redis.Addr == "" {
		sl.ReportError(c.Redis.Addr, "redis.addr", "Addr", "required_when", "wechat_oa.dispatch=amqp")
	}
}

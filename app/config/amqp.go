package config

import (
	"net/url"

	"github.com/go-playground/validator/v10"
)

// AMQP is the shared connection to a message broker (RabbitMQ) of every
// module that hands work to other processes; today the WeChat Official
// Account module when wechat_oa.dispatch is amqp. An empty URL turns it off.
type AMQP struct {
	// URL is amqp://user:password@host:port/vhost (or amqps://). It holds the
	// password, so it is masked whole wherever config is shown.
	URL string `koanf:"url" json:"url" secret:"true" url:"true"`
	// Exchange is where messages are published; empty is the broker's
	// default exchange, which routes by queue name. A named one is declared
	// as a durable direct exchange and the queue bound to it by its name.
	Exchange string `koanf:"exchange" json:"exchange" validate:"max=255"`
	// Queue is the durable queue of WeChat messages; empty means
	// <redis.key_prefix>wechat.messages. Messages that keep failing go to
	// <queue>.dead.
	Queue string `koanf:"queue" json:"queue" validate:"max=250"`
	// Prefetch bounds the messages one worker holds unacknowledged.
	Prefetch int `koanf:"prefetch" json:"prefetch" validate:"min=1,max=65535"`
}

func amqpDefaults() map[string]any {
	return map[string]any{
		"url":      "",
		"exchange": "",
		"queue":    "",
		"prefetch": 32,
	}
}

// amqpURLValid refuses a URL that is not amqp:// or amqps:// with a host:
// the client would only say so at the first dial, after the start.
func amqpURLValid(sl validator.StructLevel) {
	a := sl.Current().Interface().(AMQP)
	if a.URL == "" {
		return
	}
	u, err := url.Parse(a.URL)
	if err != nil || (u.Scheme != "amqp" && u.Scheme != "amqps") || u.Host == "" {
		sl.ReportError(a.URL, "url", "URL", "amqp_url", "amqp://user:password@host:port/vhost")
	}
}

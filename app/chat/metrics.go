package chat

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the module's series, in the binary's registry.
type metrics struct {
	sockets     prometheus.Gauge
	mqttMembers prometheus.Gauge
	messages    prometheus.Counter
	slowDrops   prometheus.Counter
	published   *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	return &metrics{
		sockets:     register(reg, prometheus.NewGauge(prometheus.GaugeOpts{Name: "chat_sockets", Help: "Open chat WebSockets on this instance."})),
		mqttMembers: register(reg, prometheus.NewGauge(prometheus.GaugeOpts{Name: "chat_mqtt_members", Help: "MQTT sessions joined to a chat on this instance, one per session and chat."})),
		messages:    register(reg, prometheus.NewCounter(prometheus.CounterOpts{Name: "chat_messages_total", Help: "Chat messages stored by this instance (bot answers included)."})),
		slowDrops:   register(reg, prometheus.NewCounter(prometheus.CounterOpts{Name: "chat_slow_socket_drops_total", Help: "Sockets closed with 1013 because their send buffer was full."})),
		published:   register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{Name: "chat_redis_publish_total", Help: "Events published on Redis, by result (ok, error)."}, []string{"result"})),
	}
}

// register adds c to reg, or returns the collector already registered
// under its name (a second module value on one registry shares series).
func register[T prometheus.Collector](reg prometheus.Registerer, c T) T {
	if reg == nil {
		return c
	}
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(T); ok {
				return existing
			}
		}
	}
	return c
}

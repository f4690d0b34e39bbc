package gateway

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"gomicro/app/module"
)

type metrics struct {
	connects    prometheus.Counter
	connections prometheus.Gauge
	calls       *prometheus.CounterVec
	latency     *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer, handlers map[string]map[string]module.Handler) (*metrics, error) {
	m := &metrics{
		connects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mqtt_connects_total", Help: "MQTT CONNECT packets taken up, established or not (the client may leave before its CONNACK).",
		}),
		connections: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "mqtt_connections", Help: "MQTT client connections open now.",
		}),
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mqtt_calls_total",
			Help: "Gateway calls by handler (Module/HD_Name, or unknown) and outcome: ok, error (the handler failed), refused (routing, login, payload or queue).",
		}, []string{"handler", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "mqtt_call_duration_seconds",
			Help:    "Gateway handler run time by handler.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"handler"}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.connects, m.connections, m.calls, m.latency} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *metrics) call(handler, outcome string) { m.calls.WithLabelValues(handler, outcome).Inc() }

func (m *metrics) done(handler, outcome string, d time.Duration) {
	m.calls.WithLabelValues(handler, outcome).Inc()
	m.latency.WithLabelValues(handler).Observe(d.Seconds())
}

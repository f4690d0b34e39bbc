package xxljob

import (
	"fmt"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the executor's Prometheus series, in the binary's registry
// or, without one, in a registry of its own so tests and several executors
// in one process do not collide.
type metrics struct {
	reg      *prometheus.Registry
	runs     *prometheus.CounterVec
	failures *prometheus.CounterVec
	duration *prometheus.HistogramVec
	pending  prometheus.Gauge
}

func newMetrics(reg *prometheus.Registry) (*metrics, error) {
	own := reg == nil
	if own {
		reg = prometheus.NewRegistry()
	}
	m := &metrics{
		reg: reg,
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "xxljob_runs_total", Help: "Triggers reported to the admin, by handler and handle code.",
		}, []string{"handler", "code"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "xxljob_run_failures_total", Help: "Triggers reported with a handle code other than 200, by handler.",
		}, []string{"handler"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "xxljob_run_duration_seconds", Help: "Time tasks ran, by handler.",
			Buckets: prometheus.ExponentialBuckets(0.005, 4, 10),
		}, []string{"handler"}),
		pending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "xxljob_callbacks_pending", Help: "Results not yet accepted by any admin (in memory and spooled).",
		}),
	}
	cs := []prometheus.Collector{m.runs, m.failures, m.duration, m.pending}
	if own {
		cs = append(cs, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	for _, c := range cs {
		if err := m.reg.Register(c); err != nil {
			return nil, fmt.Errorf("register metrics: %w", err)
		}
	}
	return m, nil
}

// observe counts one reported trigger; dur is 0 for one that never ran.
func (m *metrics) observe(handler string, code int64, dur time.Duration) {
	m.runs.WithLabelValues(handler, strconv.FormatInt(code, 10)).Inc()
	if code != codeOK {
		m.failures.WithLabelValues(handler).Inc()
	}
	if dur > 0 {
		m.duration.WithLabelValues(handler).Observe(dur.Seconds())
	}
}

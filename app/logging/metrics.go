package logging

import "github.com/prometheus/client_golang/prometheus"

// Collector returns the Prometheus counters of lines this Logging lost, for
// the binary's registry: log_lines_dropped_total (the buffer was full) and
// log_write_errors_total (an output failed to take them). Both read the
// same atomics as Drops and WriteErrors.
func (l *Logging) Collector() prometheus.Collector {
	return collectors{
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "log_lines_dropped_total",
			Help: "Log lines dropped because the writer fell behind (log.buffer_size).",
		}, func() float64 { return float64(l.Drops.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "log_write_errors_total",
			Help: "Log lines an output (the log file or stdout) failed to take.",
		}, func() float64 { return float64(l.WriteErrors.Load()) }),
	}
}

// collectors is several collectors registered as one.
type collectors []prometheus.Collector

func (c collectors) Describe(ch chan<- *prometheus.Desc) {
	for _, x := range c {
		x.Describe(ch)
	}
}

func (c collectors) Collect(ch chan<- prometheus.Metric) {
	for _, x := range c {
		x.Collect(ch)
	}
}

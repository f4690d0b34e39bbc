package wechat

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Outcomes of a message, the outcome label of wechat_messages_total.
const (
	OutcomeReplied   = "replied"   // a unit replied in time
	OutcomeSuccess   = "success"   // no unit replied
	OutcomeAsync     = "async"     // replied late, through the customer-service API
	OutcomeDuplicate = "duplicate" // a retry of a message already taken
	OutcomeRejected  = "rejected"  // refused before any unit ran
	OutcomeFailed    = "failed"    // a unit or the late delivery failed
)

// Outcomes of a message dispatched to the workers, the outcome label of
// wechat_dispatch_total.
const (
	DispatchReplied  = "replied"  // the worker's result came back in time
	DispatchLate     = "late"     // the agent answered success; the worker delivers
	DispatchFallback = "fallback" // the broker refused or was unreachable: run inline
	DispatchDead     = "dead"     // a worker gave up after max_attempts: dead-lettered
)

type metrics struct {
	messages  *prometheus.CounterVec
	units     *prometheus.HistogramVec
	api       *prometheus.CounterVec
	waiting   prometheus.Gauge
	dispatch  *prometheus.CounterVec
	roundTrip prometheus.Histogram
}

// newMetrics registers the module's metrics in reg, reusing collectors a
// second module built on the same registry registered first. The error is
// any other registration failure.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wechat_messages_total",
			Help: "WeChat Official Account messages, by account, type and outcome.",
		}, []string{"account", "type", "outcome"}),
		units: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "wechat_unit_duration_seconds",
			Help:    "Time one unit took on one message.",
			Buckets: []float64{.0001, .0005, .001, .005, .01, .05, .1, .5, 1, 2, 4, 10, 30},
		}, []string{"unit"}),
		api: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wechat_api_calls_total",
			Help: "Calls to WeChat's API, by api and errcode (or network, http_<status>).",
		}, []string{"api", "errcode"}),
		waiting: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "wechat_retries_waiting",
			Help: "Retries of a message waiting for the result of its first attempt.",
		}),
		dispatch: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wechat_dispatch_total",
			Help: "Messages dispatched to workers through the broker, by outcome (replied, late, fallback, dead).",
		}, []string{"outcome"}),
		roundTrip: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "wechat_dispatch_round_trip_seconds",
			Help:    "From publishing a message to its worker's result back at the agent, for results in time.",
			Buckets: []float64{.0005, .001, .002, .005, .01, .025, .05, .1, .25, .5, 1, 2, 5},
		}),
	}
	var errs []error
	register := func(c prometheus.Collector, set func(prometheus.Collector)) {
		err := reg.Register(c)
		var are prometheus.AlreadyRegisteredError
		switch {
		case errors.As(err, &are):
			set(are.ExistingCollector)
		case err != nil:
			errs = append(errs, err)
		}
	}
	register(m.messages, func(c prometheus.Collector) { m.messages = c.(*prometheus.CounterVec) })
	register(m.units, func(c prometheus.Collector) { m.units = c.(*prometheus.HistogramVec) })
	register(m.api, func(c prometheus.Collector) { m.api = c.(*prometheus.CounterVec) })
	register(m.waiting, func(c prometheus.Collector) { m.waiting = c.(prometheus.Gauge) })
	register(m.dispatch, func(c prometheus.Collector) { m.dispatch = c.(*prometheus.CounterVec) })
	register(m.roundTrip, func(c prometheus.Collector) { m.roundTrip = c.(prometheus.Histogram) })
	return m, errors.Join(errs...)
}

func (m *metrics) message(account, typ, outcome string) {
	m.messages.WithLabelValues(account, typ, outcome).Inc()
}

func (m *metrics) dispatched(outcome string) { m.dispatch.WithLabelValues(outcome).Inc() }

func (m *metrics) unitDuration(unit string, d time.Duration) {
	m.units.WithLabelValues(unit).Observe(d.Seconds())
}

func (m *metrics) apiCall(api, errcode string) { m.api.WithLabelValues(api, errcode).Inc() }

// typeLabel bounds the type label: known message types and events as they
// are, anything else as "other", since a signed sender could still invent
// types without end.
func typeLabel(m *Message) string {
	switch m.MsgType {
	case TypeText, TypeImage, TypeVoice, TypeVideo, TypeShortVideo, TypeLocation, TypeLink, TypeFile:
		return m.MsgType
	case TypeEvent:
		switch m.Event {
		case EventSubscribe, EventUnsubscribe, EventScan, EventLocation, EventClick, EventView,
			EventScancodePush, EventScancodeWaitMsg, EventPicSysPhoto, EventPicPhotoOrAlbum,
			EventPicWeixin, EventLocationSelect, EventViewMiniprogram:
			return "event:" + m.Event
		}
		return "event:other"
	}
	return "other"
}

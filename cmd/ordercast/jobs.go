package main

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ordercast/ordercast/ordering"
)

// cutoffMetrics is the cut-off job's ordering.CutoffObserver on Prometheus.
type cutoffMetrics struct {
	settled *prometheus.CounterVec // result
}

func newCutoffMetrics(reg prometheus.Registerer) (*cutoffMetrics, error) {
	settled := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ordercast_orders_settled_total",
		Help: "Orders settled at cut-off, by result: paid by deduction, or failed for an insufficient balance.",
	}, []string{"result"})
	if err := reg.Register(settled); err != nil {
		return nil, err
	}
	return &cutoffMetrics{settled: settled}, nil
}

func (m *cutoffMetrics) Settled(r ordering.CutoffReport) {
	m.settled.WithLabelValues("paid").Add(float64(r.Paid))
	m.settled.WithLabelValues("failed").Add(float64(r.Failed))
}

// relayMetrics is the outbox relay's ordering.RelayObserver on Prometheus.
type relayMetrics struct {
	backlog  prometheus.Gauge
	age      prometheus.Gauge
	relayed  prometheus.Counter
	lag      prometheus.Histogram
	failures prometheus.Counter
}

func newRelayMetrics(reg prometheus.Registerer) (*relayMetrics, error) {
	m := &relayMetrics{
		backlog: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ordercast_outbox_backlog_lines",
			Help: "Delivered sales lines waiting in the outbox for the relay to ClickHouse.",
		}),
		age: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ordercast_outbox_oldest_age_seconds",
			Help: "How long the oldest line waiting in the outbox has waited (0 when none waits).",
		}),
		relayed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ordercast_outbox_relayed_lines_total",
			Help: "Sales lines relayed from the outbox to ClickHouse.",
		}),
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "ordercast_outbox_relay_lag_seconds",
			Help:    "Time from a batch's oldest line entering the outbox to the batch being in ClickHouse.",
			Buckets: prometheus.ExponentialBuckets(0.5, 4, 8), // 0.5 s … ~2.3 h
		}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ordercast_outbox_relay_failures_total",
			Help: "Relay passes that stopped on an error (ClickHouse down, say); the backlog waits for the next.",
		}),
	}
	for _, c := range []prometheus.Collector{m.backlog, m.age, m.relayed, m.lag, m.failures} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *relayMetrics) Backlog(lines int, oldestAge time.Duration) {
	m.backlog.Set(float64(lines))
	m.age.Set(oldestAge.Seconds())
}

func (m *relayMetrics) Relayed(lines int, lag time.Duration) {
	m.relayed.Add(float64(lines))
	m.lag.Observe(lag.Seconds())
}

func (m *relayMetrics) Failed() { m.failures.Inc() }

package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ordercast/ordercast/ordering"
)

// windowCloser cuts off order windows (ordering/postgres.Store).
type windowCloser interface {
	CloseDueWindows(ctx context.Context, now time.Time) ([]ordering.CutoffReport, error)
}

// cutoffJob cuts off every order window whose closing time has passed, once a minute. Several serve
// processes may run it: each window is cut off in a transaction that claims it first, so only once.
type cutoffJob struct {
	store   windowCloser
	log     *slog.Logger
	settled *prometheus.CounterVec // result
}

func newCutoffJob(store windowCloser, log *slog.Logger, reg prometheus.Registerer) (*cutoffJob, error) {
	settled := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ordercast_orders_settled_total",
		Help: "Orders settled at cut-off, by result: paid by deduction, or failed for an insufficient balance.",
	}, []string{"result"})
	if err := reg.Register(settled); err != nil {
		return nil, err
	}
	return &cutoffJob{store: store, log: log, settled: settled}, nil
}

func (j *cutoffJob) runOnce(ctx context.Context, now time.Time) {
	reports, err := j.store.CloseDueWindows(ctx, now)
	for _, r := range reports {
		j.settled.WithLabelValues("paid").Add(float64(r.Paid))
		j.settled.WithLabelValues("failed").Add(float64(r.Failed))
		j.log.Info("order window cut off", "cycle", r.WeekStart.Format(time.DateOnly), "order_day", r.OrderDay.String(),
			"paid", r.Paid, "failed", r.Failed, "paid_cents", r.PaidCents)
	}
	if err != nil && ctx.Err() == nil {
		j.log.Warn("cut-off failed; the next pass retries", "err", err)
	}
}

func (j *cutoffJob) run(ctx context.Context, every time.Duration, now func() time.Time) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		j.runOnce(ctx, now())
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
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

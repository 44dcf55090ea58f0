package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ordercast/ordercast/deploy/stores"
)

// reports is where read-only reports query PostgreSQL: a streaming replica while it answers within
// the lag bound (-pg-report-dsn, stores.ReportPool), the primary otherwise and when none is
// configured. Only reads that may be up to the bound old take it: bulletins and indicators (their
// directory and order figures; targets and stored bulletins stay on the primary), the supply
// balance, the maker portal and the brand evaluation's stock. Writes, authorisation and every read
// that must see its own writes use the primary's pool.
type reports struct {
	replica *stores.ReportPool // nil: no report DSN
	primary *pgxpool.Pool
}

// openReports opens the report pool when a report DSN is configured; obs may be nil.
func (c storeConfig) openReports(ctx context.Context, primary *pgxpool.Pool, obs stores.ReportObserver, log *slog.Logger) (reports, error) {
	r := reports{primary: primary}
	if c.ReportDSN == "" {
		return r, nil
	}
	rp, err := stores.OpenReports(ctx, primary, c.ReportDSN, stores.ReportOptions{MaxLag: c.ReportMaxLag, Observer: obs, Log: log})
	if err != nil {
		return r, err
	}
	r.replica = rp
	return r, nil
}

// Pool is the pool report stores query.
func (r reports) Pool() *pgxpool.Pool {
	if r.replica == nil {
		return r.primary
	}
	return r.replica.Pool()
}

// Run checks the replica until ctx is done (at once with none).
func (r reports) Run(ctx context.Context) {
	if r.replica != nil {
		r.replica.Run(ctx)
	}
}

// Close closes the replica's connections.
func (r reports) Close() {
	if r.replica != nil {
		r.replica.Close()
	}
}

// reportMetrics is the report replica's stores.ReportObserver on Prometheus.
type reportMetrics struct {
	lag       prometheus.Gauge
	onReplica prometheus.Gauge
	fallbacks *prometheus.CounterVec
}

func newReportMetrics(reg prometheus.Registerer) (*reportMetrics, error) {
	m := &reportMetrics{
		lag: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ordercast_pg_report_replica_lag_seconds",
			Help: "How stale the PostgreSQL report replica may be at its last check: it had replayed everything the primary had committed this long before.",
		}),
		onReplica: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ordercast_pg_report_on_replica",
			Help: "1 while read-only reports query the PostgreSQL replica, 0 while they query the primary.",
		}),
		fallbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ordercast_pg_report_fallback_total",
			Help: "Times read-only reports left the PostgreSQL replica for the primary, by reason: unreachable, lag (beyond -pg-report-max-lag), not_standby, connect (a new connection could not reach it).",
		}, []string{"reason"}),
	}
	for _, c := range []prometheus.Collector{m.lag, m.onReplica, m.fallbacks} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	for _, r := range []string{stores.FallbackUnreachable, stores.FallbackLag, stores.FallbackNotStandby, stores.FallbackConnect} {
		m.fallbacks.WithLabelValues(r)
	}
	return m, nil
}

func (m *reportMetrics) Lag(lag time.Duration) { m.lag.Set(lag.Seconds()) }

func (m *reportMetrics) Serving(onReplica bool) {
	v := 0.0
	if onReplica {
		v = 1
	}
	m.onReplica.Set(v)
}

func (m *reportMetrics) Fallback(reason string) { m.fallbacks.WithLabelValues(reason).Inc() }

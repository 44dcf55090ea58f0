package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ordercast/ordercast/cmd/ordercast/schedule"
	"github.com/ordercast/ordercast/forecast"
	forecastch "github.com/ordercast/ordercast/forecast/clickhouse"
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
	settled.WithLabelValues("paid")
	settled.WithLabelValues("failed")
	return &cutoffMetrics{settled: settled}, nil
}

func (m *cutoffMetrics) Settled(r ordering.CutoffReport) {
	m.settled.WithLabelValues("paid").Add(float64(r.Paid))
	m.settled.WithLabelValues("failed").Add(float64(r.Failed))
}

// newAwaitingSupplyGauge registers the gauge of the scarce brands no outlet can order yet
// (ordering/postgres.Store.CountAwaitingSupply), which serve sets on every instance.
func newAwaitingSupplyGauge(reg prometheus.Registerer) (prometheus.Gauge, error) {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "ordercast_scarce_brands_awaiting_supply",
		Help: "Scarce brands on sale in a cycle with an order window open whose supply is not published: " +
			"the outlets ordering now cannot order them (once per cycle).",
	})
	return g, reg.Register(g)
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

// jobMetrics is the scheduler's schedule.Observer on Prometheus.
type jobMetrics struct {
	tries       *prometheus.CounterVec // job, outcome
	running     *prometheus.GaugeVec   // job
	lastSuccess *prometheus.GaugeVec   // job
	lastTook    *prometheus.GaugeVec   // job
}

func newJobMetrics(reg prometheus.Registerer, jobs []schedule.Job) (*jobMetrics, error) {
	m := &jobMetrics{
		tries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ordercast_job_tries_total",
			Help: "Tries of each scheduled job on this instance, by outcome: success, failure, busy (another instance " +
				"held the job), not_due (its slot already succeeded), abandoned (lock lost or shutdown during the pass).",
		}, []string{"job", "outcome"}),
		running: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ordercast_job_running",
			Help: "1 while this instance runs a pass of the job.",
		}, []string{"job"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ordercast_job_last_success_timestamp_seconds",
			Help: "When the job last succeeded on any instance (Unix time), as recorded in PostgreSQL; absent until it has.",
		}, []string{"job"}),
		lastTook: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ordercast_job_last_duration_seconds",
			Help: "How long the job's last successful pass took, on whichever instance ran it.",
		}, []string{"job"}),
	}
	for _, c := range []prometheus.Collector{m.tries, m.running, m.lastSuccess, m.lastTook} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	for _, j := range jobs { // every series from the start, so that rates and alerts see zeros, not gaps
		for _, o := range schedule.Outcomes {
			m.tries.WithLabelValues(j.Name, string(o))
		}
		m.running.WithLabelValues(j.Name).Set(0)
	}
	return m, nil
}

func (m *jobMetrics) Tried(job string, o schedule.Outcome) {
	m.tries.WithLabelValues(job, string(o)).Inc()
}

func (m *jobMetrics) Running(job string, running bool) {
	v := 0.0
	if running {
		v = 1
	}
	m.running.WithLabelValues(job).Set(v)
}

func (m *jobMetrics) LastSuccess(job string, end time.Time, took time.Duration) {
	m.lastSuccess.WithLabelValues(job).Set(float64(end.UnixNano()) / 1e9)
	m.lastTook.WithLabelValues(job).Set(took.Seconds())
}

// forecastJob is the weekly forecast run of the live dataset that serve schedules.
type forecastJob struct {
	store *forecastch.Store
	slot  func(time.Time) string
	loc   *time.Location // the region's: its Monday starts the forecast's first week
	log   *slog.Logger
}

// pass runs the forecast, unless a run of the live dataset already started in the slot due now (one
// made by hand, or by the demo's script).
func (j forecastJob) pass(ctx context.Context, now time.Time) error {
	latest, err := j.store.LatestRun(ctx, forecast.LiveDataset)
	switch {
	case err == nil && j.slot(latest.StartedAt) == j.slot(now):
		j.log.Info("weekly forecast already run", "run", latest.ID, "started", latest.StartedAt)
		return nil
	case err != nil && !errors.Is(err, forecast.ErrNoRun):
		return err
	}
	planner := forecast.Planner{History: j.store, Calendar: j.store, Catalogue: j.store, Runs: j.store}
	rep, err := planner.Run(ctx, j.request(now))
	if err != nil {
		return fmt.Errorf("weekly forecast: %w", err)
	}
	j.log.Info("weekly forecast stored", "run", rep.Run.ID, "series", len(rep.Run.Series),
		"as_of", rep.Run.AsOf.Format(time.DateOnly), "took", rep.Total.String())
	return nil
}

// request is the run due at now. It forecasts from the region's week of now: at the default slot,
// Monday 02:00 in Shanghai, it is still Sunday in UTC, whose week has ended in the region. It covers
// the balance's weeks, so that the planner and the manufacturers see the demand of every week they
// plan arrivals for (a festival's build-up among them), not a run rate.
func (j forecastJob) request(now time.Time) forecast.RunRequest {
	return forecast.RunRequest{
		ID: runID(now.UTC(), forecast.LiveDataset), Dataset: forecast.LiveDataset, Horizon: ordering.DefaultBalanceWeeks,
		Correct: true, UnmetShare: forecast.DefaultUnmetShare,
		// Half the CPUs: the API keeps answering while the run fits its series.
		Workers: max(1, runtime.GOMAXPROCS(0)/2), Now: now.In(j.loc),
	}
}

// scoreJob is the monthly scoring of the month just ended, against sales and against requested
// quantities, that serve schedules.
type scoreJob struct {
	store *forecastch.Store
	slot  func(time.Time) string
	loc   *time.Location // the region's: a month has finished when its last day there has begun
	log   *slog.Logger
}

func (j scoreJob) pass(ctx context.Context, now time.Time) error {
	month, err := time.Parse("2006-01", j.slot(now))
	if err != nil {
		return err
	}
	info, err := j.store.Dataset(ctx, forecast.LiveDataset)
	if err != nil {
		return fmt.Errorf("monthly scoring: %w", err)
	}
	scorer := forecast.Scorer{Source: j.store, Outlets: j.store, Scores: j.store}
	for _, against := range []forecast.Against{forecast.AgainstSales, forecast.AgainstRequested} {
		rep, err := scorer.Score(ctx, forecast.ScoreRequest{Month: month, Dataset: forecast.LiveDataset,
			Against: against, Now: now.In(j.loc), LastDay: info.LastDay})
		if errors.Is(err, forecast.ErrNoRun) {
			// Nothing to score: no forecast was made for the month (the first month after an install, or
			// a history loaded at once). Trying again every half hour cannot make one; a forecast job
			// that failed has its own alert.
			j.log.Info("month not scored: no forecast run covers it", "month", month.Format("2006-01"))
			return nil
		}
		if err != nil {
			return fmt.Errorf("monthly scoring of %s against %s: %w", month.Format("2006-01"), against, err)
		}
		j.log.Info("month scored", "month", month.Format("2006-01"), "against", string(against), "run", rep.RunID)
	}
	return nil
}

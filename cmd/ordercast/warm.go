package main

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ordercast/ordercast/forecast"
	forecastch "github.com/ordercast/ordercast/forecast/clickhouse"
	"github.com/ordercast/ordercast/ordering"
	orderingch "github.com/ordercast/ordercast/ordering/clickhouse"
	"github.com/ordercast/ordercast/retailer/indicators"
)

// keptWarmer keeps the figures that the planner's and the supply pages read from memory computed
// ahead of them in this instance, as the managers' trends are (indicators.Trends.Warm), so that no
// request after one has gone stale pays its computation:
//   - the views of the busiest cycles (the latest closed one and the open ones with orders), which the
//     cycle and allocation pages accept 30 s old, refreshed every cycleWarmEvery;
//   - the views of the cycles with rationed brands that the manufacturer's portal shows the outcomes
//     of (ordering.KeptOutcomes, at most ordering.MaxCycleAge old), refreshed every portalWarmEvery;
//   - the whole weeks' sales aggregates of the salesWarmWeeks weeks before this one, which the
//     balance (its last ordering.SalesWindowWeeks) and the manufacturer's portal read, and the weekly
//     actuals of the two latest months scored against sales, which the accuracy page reads, both kept
//     salesWeeksAge and refreshed every weeksWarmEvery;
//   - the accuracy page's levels of those two months' latest scorings, kept while they are the
//     latest (each read checks), read again by the pass after a new scoring.
//
// A refresh replaces a kept figure once computed: readers are served the one before meanwhile. A
// reader who finds a figure missing or stale while the warmer computes it waits for that computation
// rather than making its own beside it.
type keptWarmer struct {
	cycles *ordering.CycleCache
	busy   func(ctx context.Context) ([]time.Time, error) // the cycles to keep warm (orderingpg.Store.BusyCycles)
	// rationed lists the rationed brands of the cycles of [from, to) (orderingpg.Store.RationedSupply).
	rationed func(ctx context.Context, manufacturer int64, from, to time.Time) ([]ordering.SupplyOutcome, error)
	sales    *orderingch.Store
	actuals  *forecastch.Store
	now      func() time.Time
	log      *slog.Logger
}

const (
	// cycleWarmEvery is under the 30 s the cycle and allocation pages accept (max_age=30).
	cycleWarmEvery = 20 * time.Second
	// portalWarmEvery is under the age of the views the portal accepts (ordering.MaxCycleAge).
	portalWarmEvery = ordering.MaxCycleAge * 4 / 5
	// portalWeeksBack and portalWeeksAhead are the cycles whose outcomes the portal shows by default.
	portalWeeksBack, portalWeeksAhead = 8, 3
	// weeksWarmEvery is half of what the weeks are kept: a refresh that fails once is tried again
	// before they go stale.
	weeksWarmEvery = salesWeeksAge / 2
	// salesWarmWeeks is the portal's default span (the balance reads the last 4 of them).
	salesWarmWeeks = 12
	// warmTimeout bounds one pass of any kind.
	warmTimeout = 5 * time.Minute
)

// run warms everything at once, then each kind at its interval, until ctx ends; it returns when
// its three loops have.
func (w *keptWarmer) run(ctx context.Context) {
	var wg sync.WaitGroup
	loop := func(every time.Duration, pass func(ctx context.Context, now time.Time)) {
		defer wg.Done()
		bounded := func(now time.Time) {
			pctx, cancel := context.WithTimeout(ctx, warmTimeout)
			defer cancel()
			pass(pctx, now)
		}
		bounded(w.now())
		ordering.Every(ctx, every, w.now, bounded)
	}
	wg.Add(3)
	go loop(cycleWarmEvery, w.warmCycles)
	go loop(portalWarmEvery, w.warmPortalCycles)
	go loop(weeksWarmEvery, w.warmWeeks)
	wg.Wait()
}

// warmCycles refreshes the views of the busy cycles.
func (w *keptWarmer) warmCycles(ctx context.Context, _ time.Time) {
	weeks, err := w.busy(ctx)
	if err != nil {
		w.failed(ctx, "cycle views", err)
		return
	}
	for _, week := range weeks {
		if err := w.cycles.Refresh(ctx, week); err != nil {
			w.failed(ctx, "cycle views", err)
			return
		}
	}
}

// warmPortalCycles refreshes the views of the cycles the portal shows rationed brands of.
func (w *keptWarmer) warmPortalCycles(ctx context.Context, now time.Time) {
	monday := forecast.Monday(now) // the region's week, as the supply routes take it
	outcomes, err := w.rationed(ctx, 0, monday.AddDate(0, 0, -7*portalWeeksBack), monday.AddDate(0, 0, 7*portalWeeksAhead))
	if err != nil {
		w.failed(ctx, "portal cycle views", err)
		return
	}
	seen := map[time.Time]bool{}
	for _, o := range outcomes {
		if seen[o.Week] {
			continue
		}
		seen[o.Week] = true
		if err := w.cycles.Refresh(ctx, o.Week); err != nil {
			w.failed(ctx, "portal cycle views", err)
			return
		}
	}
}

// warmWeeks refreshes the latest scored months' weekly actuals (one query each), then the sales
// weeks (one query a week).
func (w *keptWarmer) warmWeeks(ctx context.Context, now time.Time) {
	w.warmActuals(ctx)
	monday := forecast.Monday(now) // the region's week, as the supply routes take it
	if err := w.sales.WarmWeeks(ctx, monday.AddDate(0, 0, -7*salesWarmWeeks), monday); err != nil {
		w.failed(ctx, "sales weeks", err)
	}
}

// accuracyLevels are the levels of a scoring the accuracy page shows.
var accuracyLevels = []forecast.ScoreLevel{forecast.ScoreCompany, forecast.ScoreBrand, forecast.ScoreManager, forecast.ScoreArea}

// warmActuals refreshes the weekly actuals of the two latest months scored against the accuracy
// page's default basis (the managers' indicator's, indicators.AccuracyBasis) and reads
// their levels the accuracy page shows unless kept: the latest month first (the page's default), its
// actuals (seconds at 100,000 outlets) before its levels (one small read each).
func (w *keptWarmer) warmActuals(ctx context.Context) {
	basis := forecast.Against(indicators.AccuracyBasis)
	latest, err := w.actuals.LatestScoredMonth(ctx, forecast.LiveDataset, basis)
	switch {
	case errors.Is(err, forecast.ErrNoScores):
		return
	case err != nil:
		w.failed(ctx, "weekly actuals", err)
		return
	}
	for _, month := range []time.Time{latest, latest.AddDate(0, -1, 0)} {
		from, to := forecast.MonthWeeks(month)
		if err := w.actuals.WarmWeeks(ctx, forecast.LiveDataset, basis, from, to); err != nil {
			w.failed(ctx, "weekly actuals", err)
			return
		}
		if err := w.actuals.WarmScores(ctx, month, forecast.LiveDataset, basis, accuracyLevels); err != nil {
			w.failed(ctx, "accuracy scores", err)
			return
		}
	}
}

// failed logs a pass's failure, unless the server is stopping.
func (w *keptWarmer) failed(ctx context.Context, what string, err error) {
	if ctx.Err() == nil || !errors.Is(err, context.Canceled) {
		w.log.Warn("kept figures not warmed", "what", what, "err", err)
	}
}

// register exports how many kept figures were computed for a request (a page waited for it) and by
// the warmer, as ordercast_kept_computations_total{kept, by}.
func (w *keptWarmer) register(reg prometheus.Registerer) error {
	counts := []struct {
		kept string
		read func() (requested, warmed uint64)
	}{
		{"cycle_view", w.cycles.Computations},
		{"sales_week", w.sales.WeekComputations},
		{"actual_weeks", w.actuals.WeekComputations},
		{"score_level", w.actuals.ScoreComputations},
	}
	for _, c := range counts {
		for _, by := range []string{"request", "warm"} {
			f := func() float64 {
				req, warm := c.read()
				if by == "request" {
					return float64(req)
				}
				return float64(warm)
			}
			err := reg.Register(prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name:        "ordercast_kept_computations_total",
				Help:        "Computations of figures the server keeps in memory (cycle_view, sales_week, actual_weeks, score_level), by who began them: a request (which waited for it) or the warmer (ahead of the pages).",
				ConstLabels: prometheus.Labels{"kept": c.kept, "by": by},
			}, f))
			if err != nil {
				return err
			}
		}
	}
	return nil
}

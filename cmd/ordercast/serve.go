package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"runtime/debug"
	"time"

	"github.com/ordercast/ordercast/cmd/ordercast/schedule"
	"github.com/ordercast/ordercast/deploy/stores"
	"github.com/ordercast/ordercast/forecast/allocation"
	forecastch "github.com/ordercast/ordercast/forecast/clickhouse"
	forecastapi "github.com/ordercast/ordercast/forecast/httpapi"
	forecastpg "github.com/ordercast/ordercast/forecast/postgres"
	"github.com/ordercast/ordercast/ordering"
	orderingch "github.com/ordercast/ordercast/ordering/clickhouse"
	orderingapi "github.com/ordercast/ordercast/ordering/httpapi"
	orderingpg "github.com/ordercast/ordercast/ordering/postgres"
	"github.com/ordercast/ordercast/ordering/supplyapi"
	"github.com/ordercast/ordercast/retailer"
	retailerch "github.com/ordercast/ordercast/retailer/clickhouse"
	"github.com/ordercast/ordercast/retailer/grading"
	retailerapi "github.com/ordercast/ordercast/retailer/httpapi"
	"github.com/ordercast/ordercast/retailer/indicators"
	indicatorsapi "github.com/ordercast/ordercast/retailer/indicators/httpapi"
	retailerpg "github.com/ordercast/ordercast/retailer/postgres"
	"golang.org/x/sync/errgroup"
)

func runServe(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var cfg serveConfig
	envErr := cfg.register(fs, e.getenv)
	summary := "Serves the API, web pages, /metrics, /healthz and /readyz until SIGINT or SIGTERM, then lets\n" +
		"in-flight requests finish. Both stores must answer at start and be migrated (ordercast migrate)."
	if err := parseFlags(fs, e, summary, args); err != nil {
		return err
	}
	if err := usageError(e, fs, envErr, cfg.validate()); err != nil {
		return err
	}
	log := cfg.logger(e)
	// The notifier first: a missing or short webhook secret is a configuration error, told before any
	// store is opened.
	notifier, err := cfg.notifier(log)
	if err != nil {
		return err
	}

	opened, err := cfg.open(ctx)
	if err != nil {
		return err
	}
	defer opened.Close()
	pool, ch := opened.pg, opened.ch
	reg := newRegistry()
	reportObserver, err := newReportMetrics(reg)
	if err != nil {
		return err
	}
	replicaObserver, err := newReplicaMetrics(reg, log)
	if err != nil {
		return err
	}
	// Read-only reports go to the replica of -pg-report-dsn while it keeps up, to the primary otherwise.
	reps, err := cfg.openReports(ctx, pool, reportObserver, log)
	if err != nil {
		return err
	}
	defer reps.Close()
	reportOrders := orderingpg.New(reps.Pool())

	policy, err := cfg.windowPolicy()
	if err != nil {
		return err
	}
	// The region's clock: the routes and jobs that take today, this week or this month take them as its
	// calendar day's, not the machine's (a Monday morning in the region is a Sunday in UTC).
	regionNow := func() time.Time { return time.Now().In(policy.Location) }
	outlets := retailerpg.New(pool)
	sessions, err := retailer.NewSessions(outlets, outlets, outlets, cfg.loginPolicy())
	if err != nil {
		return err
	}
	retailerAPI := retailerapi.New(sessions, outlets, regionNow)
	clientIP, err := cfg.clientIP()
	if err != nil {
		return err
	}
	retailerAPI.WithClientIP(clientIP)

	scans := retailerch.NewOnCluster(opened.cluster)
	if err := retailerAPI.WithScans(scans, outlets, outlets, reg); err != nil {
		return err
	}
	retailerAPI.WithOverviews(outlets, scans)
	retailerAPI.WithSatisfaction(outlets)
	if err := retailerAPI.WithLoginMetrics(reg); err != nil {
		return err
	}
	orders := orderingpg.New(pool)
	keeper := &ordering.CycleKeeper{Store: orders, Policy: policy, Log: log}
	if err := keeper.Ensure(ctx, time.Now()); err != nil {
		return err
	}
	cutoffObserver, err := newCutoffMetrics(reg)
	if err != nil {
		return err
	}
	relayObserver, err := newRelayMetrics(reg)
	if err != nil {
		return err
	}
	awaiting, err := newAwaitingSupplyGauge(reg)
	if err != nil {
		return err
	}
	cutoff := &ordering.Cutoff{Store: orders, Observer: cutoffObserver, Log: log}
	cleanup := &ordering.Cleanup{Store: orders, Log: log}
	sessionCleanup := &retailer.SessionCleanup{Store: outlets, Log: log}
	relay := &ordering.Relay{Outbox: orders, History: orderingch.New(ch), Observer: relayObserver, Log: log}
	noticeObserver, err := newNoticeMetrics(reg)
	if err != nil {
		return err
	}
	notices := cfg.noticeSender(orders, notifier, noticeObserver, policy.Location, log)
	noticeScan := &ordering.NoticeScan{Store: orders, Prune: orders, Lead: cfg.ReminderLead, Log: log}
	cycles := newKeptCycles(orders)
	orderingAPI := orderingapi.New(outlets, cycles, forecastch.NewOnCluster(opened.cluster), time.Now)
	orderingAPI.WithStock(scans)
	orderingAPI.WithCredit(cfg.AllowCredit)
	if err := orderingAPI.WithMetrics(reg); err != nil {
		return err
	}
	// The accuracy page's weekly actuals, and its levels of a scoring while that is the latest.
	history := forecastch.NewOnCluster(opened.cluster).KeepWeeks(salesWeeksAge, time.Now).KeepScores()
	// Previews read the outlets and a forecast run's demand kept while unchanged, the run covering the
	// week looked up at most previewRunAge before, and keep their plan after answering; publishing reads
	// the outlets and the run afresh.
	forecastPG := forecastpg.New(pool)
	planner := &allocation.Planner{Outlets: outlets, Brands: outlets,
		Demand: &allocation.KeptDemand{Source: history, RunAge: previewRunAge},
		Limits: cycles, Archive: history, Previews: forecastPG, Roster: &allocation.KeptRoster{Source: forecastPG}, Log: log}
	defer planner.Wait() // before the stores close
	// The first preview after a start would read every outlet (1–2 s over 100,000): read them now.
	rosterRead := make(chan struct{})
	go func() {
		defer close(rosterRead)
		if _, err := planner.Roster.Outlets(ctx); err != nil && ctx.Err() == nil {
			log.Warn("read the outlets for allocation previews ahead", "err", err)
		}
	}()
	defer func() { <-rosterRead }()
	forecastAPI := forecastapi.New(planner, orderingAPI.Idempotent())
	forecastAPI.WithPreviews(planner)
	forecastAPI.WithScores(history, outlets)
	forecastAPI.WithWeeks(history)
	forecastAPI.WithOutletWeeks(history, outlets, regionNow)
	retailerAPI.WithManagerWork(outlets, scans, orderingAPI.Idempotent(), policy.Location, policy.LatestCycle)
	// The indicators read ClickHouse on a connection pool of their own: a bulletin's computation runs a
	// dozen reads at once, which would otherwise take every connection of the shared pool for its
	// duration (and for as long as a frozen ClickHouse holds them), leaving the API and the store probes
	// waiting for one.
	indicatorsCH, err := stores.OpenClickHouse(ctx, cfg.ClickHouseDSN)
	if err != nil {
		return err
	}
	defer indicatorsCH.Close()
	bulletins := newServedIndicators(pool, reps.Pool(), indicatorsCH)
	trends := newTrends(pool, reps.Pool(), indicatorsCH)
	// The bulletins, trends and cycle views that requests and jobs share are computed past any one
	// caller's cancellation, until the server has stopped: the requests in flight at a signal finish,
	// then a computation still waiting on a store that hangs ends, and the jobs are joined.
	life, endLife := context.WithCancel(context.WithoutCancel(ctx))
	defer endLife()
	bulletins.Life, trends.Life, cycles.views.Life = life, life, life
	indicatorsAPI := indicatorsapi.New(bulletins, outlets, regionNow).WithTrends(trends)
	retailerAPI.WithGrades(&grading.Grader{Outlets: outlets, Purchases: scans, Store: outlets}, outlets, orderingAPI.Idempotent())
	// The balance and the portal share whole weeks' sales aggregates, kept salesWeeksAge.
	salesWeeks := orderingch.New(ch).KeepWeeks(salesWeeksAge, time.Now)
	supplyAPI := supplyapi.New(orders, &ordering.Balancer{Facts: reportOrders, History: salesWeeks}, planner,
		orderingAPI.Idempotent(), regionNow)
	// The portal's allocation outcomes are the cycles' views, kept as the cycle pages keep them.
	supplyAPI.WithPortal(salesWeeks, &ordering.KeptOutcomes{Plans: reportOrders, Cycles: cycles, MaxAge: ordering.MaxCycleAge})
	supplyAPI.WithEvaluations(&ordering.Evaluator{History: orderingch.New(ch), Stock: reportOrders})
	srv, probeStores, err := newServer(serverDeps{
		log:          log,
		registerer:   reg,
		gatherer:     reg,
		checks:       []storeCheck{{"postgresql", pool}, {"clickhouse", ch}},
		readyTimeout: cfg.ReadyTimeout,
		maxBody:      cfg.MaxBody,
		bodyTimeout:  cfg.BodyTimeout,
		authenticate: retailerAPI.Authenticate(),
		api:          []apiRoutes{retailerAPI, orderingAPI, forecastAPI, indicatorsAPI, supplyAPI},
		pages:        true,
		region:       policy.Location,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	fmt.Fprintf(e.stdout, "ordercast: serving on http://%s\n", ln.Addr())
	reports := "the primary" // no replica configured: reports read the primary
	if cfg.ReportDSN != "" {
		reports = stores.Address(cfg.ReportDSN)
	}
	log.Info("serving", "addr", ln.Addr().String(), "version", version,
		"postgresql", stores.Address(cfg.PostgresDSN), "clickhouse", stores.Address(cfg.ClickHouseDSN),
		"postgresql_reports", reports)
	jobs := []schedule.Job{
		{Name: "cycles", Every: time.Hour, Pass: keeper.Pass},
		{Name: "cutoff", Every: time.Minute, Pass: cutoff.Pass},
		{Name: "relay", Every: cfg.RelayEvery, Pass: relay.Pass},
		{Name: "cleanup", Every: 10 * time.Minute, Slot: schedule.Hourly, Pass: passes(cleanup.Pass, sessionCleanup.Pass)},
		{Name: "notices", Every: time.Minute, Pass: noticeScan.Pass},
		{Name: "bulletin", Every: indicators.RefreshEvery, Pass: inRegion(policy.Location, bulletins.RefreshRecent)},
	}
	// The collector runs at a higher target while serve answers requests (the order path), at Go's
	// default while the forecast or the scoring runs in the process (collector.go).
	gc := newCollector(e.getenv, debug.SetGCPercent)
	gc.start()
	defer gc.stop()
	forecastSlot, scoreSlot, _ := cfg.schedules() // validated
	if forecastSlot != nil {
		j := forecastJob{store: history, slot: forecastSlot, loc: policy.Location, log: log}
		jobs = append(jobs, schedule.Job{Name: "forecast", Every: 10 * time.Minute, Slot: forecastSlot, Pass: gc.heavy(j.pass)})
	}
	if scoreSlot != nil {
		j := scoreJob{store: history, slot: scoreSlot, loc: policy.Location, log: log}
		jobs = append(jobs, schedule.Job{Name: "score", Every: 30 * time.Minute, Slot: scoreSlot, Pass: gc.heavy(j.pass)})
	}
	jobObserver, err := newJobMetrics(reg, jobs)
	if err != nil {
		return err
	}
	runner := &schedule.Runner{Store: schedule.NewPostgres(pool, instanceName(ln.Addr())), Observer: jobObserver, Log: log}
	// Every instance keeps the planner's and the supply pages' kept figures warm (the busy and the
	// portal's cycles' views, the sales weeks, the latest scored months' weekly actuals), as the
	// managers' trends below; the warmer runs in the group.
	warmer := &keptWarmer{cycles: cycles.views, busy: reportOrders.BusyCycles, rationed: reportOrders.RationedSupply,
		sales: salesWeeks, actuals: history, now: regionNow, log: log}
	if err := warmer.register(reg); err != nil {
		return err
	}
	// The scheduled jobs and the HTTP server run in one group: when the server stops (a signal, or a
	// failure that cancels the group), every job is cancelled and joined before the stores close.
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { warmer.run(gctx); return nil })
	g.Go(func() error { runner.Run(gctx, jobs); return nil })
	g.Go(func() error { probeStores(gctx); return nil })
	// Every instance exports the outbox's backlog as it is now, whichever one relays, and the scarce
	// brands no outlet can order yet, whichever planner is to publish them.
	g.Go(func() error {
		ordering.Every(gctx, storeProbeInterval, time.Now, func(now time.Time) {
			relay.ObserveBacklog(gctx)
			if n, err := orders.CountAwaitingSupply(gctx, now); err == nil { // a store down shows in ordercast_store_up
				awaiting.Set(float64(n))
			}
		})
		return nil
	})
	g.Go(func() error { reps.Run(gctx); return nil })
	g.Go(func() error { replicaObserver.run(gctx, opened.cluster); return nil })
	// Every instance keeps the managers' pages' trends computed (they are kept in its memory), at start
	// and then more often than they go stale.
	g.Go(func() error {
		warm := func(now time.Time) {
			if err := trends.Warm(gctx, now, indicators.DefaultTrendWeeks); err != nil && gctx.Err() == nil {
				log.Warn("trends not warmed", "err", err)
			}
		}
		warm(regionNow())
		ordering.Every(gctx, indicators.RefreshEvery, regionNow, warm)
		return nil
	})
	// Every instance sends notices at once: each claims its own (SKIP LOCKED).
	g.Go(func() error { notices.Run(gctx, cfg.NotifyEvery); return nil })
	g.Go(func() error {
		defer endLife()
		return serveHTTP(gctx, ln, srv, cfg.ShutdownTimeout, log)
	})
	err = g.Wait()
	log.Info("scheduled jobs stopped")
	return err
}

// instanceName names this process in the scheduler's record: its host, process id and address.
func instanceName(addr net.Addr) string {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown"
	}
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), addr)
}

// salesWeeksAge is how long the balance, the portal and the accuracy page's weekly forecast against
// actual keep a whole week's sales aggregate: lines written into a past week meanwhile (a late relay
// batch, an import) show within it.
const salesWeeksAge = 10 * time.Minute

// inRegion is pass given the scheduler's now in the region's time zone loc, for a pass that takes the
// region's today from it.
func inRegion(loc *time.Location, pass func(ctx context.Context, now time.Time) error) func(ctx context.Context, now time.Time) error {
	return func(ctx context.Context, now time.Time) error { return pass(ctx, now.In(loc)) }
}

// passes is one job's pass made of several: each runs, whatever the others did, and their errors are
// joined.
func passes(each ...func(ctx context.Context, now time.Time) error) func(ctx context.Context, now time.Time) error {
	return func(ctx context.Context, now time.Time) error {
		var errs []error
		for _, pass := range each {
			errs = append(errs, pass(ctx, now))
		}
		return errors.Join(errs...)
	}
}

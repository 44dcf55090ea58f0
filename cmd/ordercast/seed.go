package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	forecastch "github.com/ordercast/ordercast/forecast/clickhouse"
	"github.com/ordercast/ordercast/forecast/synth"
	"github.com/ordercast/ordercast/ordering"
	orderingpg "github.com/ordercast/ordercast/ordering/postgres"
	"github.com/ordercast/ordercast/retailer"
	retailerch "github.com/ordercast/ordercast/retailer/clickhouse"
	indicatorspg "github.com/ordercast/ordercast/retailer/indicators/postgres"
	retailerpg "github.com/ordercast/ordercast/retailer/postgres"
)

// errRegionExists is returned when the stores already hold master data or live history and
// --replace was not given.
var errRegionExists = errors.New("the stores already hold a region")

// seedConfig is the configuration of `ordercast seed`.
type seedConfig struct {
	storeConfig
	Outlets int
	Brands  int
	Weeks   int
	Seed    uint64
	AsOf    string // YYYY-MM-DD, "" for today
	Replace bool
	IfEmpty bool
	// The order windows of the past cycles the seed loads, as serve will keep them.
	WindowCloseHour int
	TimeZone        string
}

func (c *seedConfig) register(fs *flag.FlagSet, getenv func(string) string) {
	c.storeConfig.register(fs, getenv)
	fs.IntVar(&c.Outlets, "outlets", synth.DefaultOutlets, "number of outlets")
	fs.IntVar(&c.Brands, "brands", synth.DefaultBrands, fmt.Sprintf("number of brands (at least %d)", synth.MinBrands))
	fs.IntVar(&c.Weeks, "weeks", synth.DefaultWeeks, fmt.Sprintf("weeks of history (%d to %d)", synth.MinWeeks, synth.MaxWeeks))
	fs.Uint64Var(&c.Seed, "seed", 1, "random seed: the same seed (and -as-of) gives the same region")
	fs.StringVar(&c.AsOf, "as-of", "", "YYYY-MM-DD: the history ends with the last full week before this day's week (default the region's today)")
	fs.BoolVar(&c.Replace, "replace", false,
		"delete the region the stores hold first: all outlets, managers, brands and manufacturers in PostgreSQL\n"+
			"(with everything that refers to them: users, orders, limits), the live sales and true demand and all\n"+
			"scans in ClickHouse")
	fs.BoolVar(&c.IfEmpty, "if-empty", false,
		"seed only if the stores hold no region yet; otherwise say so and succeed (what make demo uses)")
	fs.StringVar(&c.TimeZone, "timezone", envOr(getenv, "ORDERCAST_TIMEZONE", "Asia/Shanghai"),
		"the region's time zone: its today is the week under way's, and it places the order windows of the past\n"+
			"cycles loaded (as serve's; env ORDERCAST_TIMEZONE)")
	closeHour, err := envInt(getenv, "ORDERCAST_WINDOW_CLOSE_HOUR", 18)
	if err != nil {
		closeHour = -1 // reported by validate
	}
	fs.IntVar(&c.WindowCloseHour, "window-close-hour", int(closeHour),
		"the hour (0-23) order windows close, for the past cycles loaded (as serve's; env ORDERCAST_WINDOW_CLOSE_HOUR)")
}

// windowPolicy is the order-window policy of the past cycles the seed loads.
func (c seedConfig) windowPolicy() (ordering.WindowPolicy, error) {
	return serveConfig{TimeZone: c.TimeZone, WindowCloseHour: c.WindowCloseHour}.windowPolicy()
}

// validate checks the configuration and returns the "now" the region is generated for, in the
// region's zone: its calendar day is the region's today (today's, or -as-of's midnight there).
func (c seedConfig) validate(today time.Time) (time.Time, error) {
	errs := []error{c.storeConfig.validate()}
	if c.Replace && c.IfEmpty {
		errs = append(errs, errors.New("-replace and -if-empty: choose one"))
	}
	if c.Outlets < 1 {
		errs = append(errs, fmt.Errorf("-outlets %d: want at least 1", c.Outlets))
	}
	if c.Brands < synth.MinBrands {
		errs = append(errs, fmt.Errorf("-brands %d: want at least %d", c.Brands, synth.MinBrands))
	}
	if c.Weeks < synth.MinWeeks || c.Weeks > synth.MaxWeeks {
		errs = append(errs, fmt.Errorf("-weeks %d: want %d to %d", c.Weeks, synth.MinWeeks, synth.MaxWeeks))
	}
	policy, err := c.windowPolicy()
	if err != nil {
		errs = append(errs, err)
	}
	loc := cmp.Or(policy.Location, time.UTC)
	now := today.In(loc)
	if c.AsOf != "" {
		d, err := time.ParseInLocation(time.DateOnly, c.AsOf, loc)
		if err != nil {
			errs = append(errs, fmt.Errorf("-as-of %q: want YYYY-MM-DD", c.AsOf))
		}
		now = d
	}
	return now, errors.Join(errs...)
}

func runSeed(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	var cfg seedConfig
	cfg.register(fs, e.getenv)
	summary := "Generates a synthetic sales region with known true demand, deterministic for a given -seed and\n" +
		"-as-of: account managers, outlets, manufacturers and brands into PostgreSQL (with dimension copies in\n" +
		"ClickHouse), and weekly order lines, true demand and collection-point scans into ClickHouse; the last\n" +
		"8 weeks also as closed cycles in PostgreSQL (limits, paid and failed orders, as the history says) and\n" +
		"the last 3 months' customer-satisfaction scores. The week under way is the region's (-timezone) and\n" +
		"goes on up to now (or -as-of's midnight there): its cycle open, the orders of the windows closed by\n" +
		"now paid and delivered on their day's round (09:00 to 17:00), or out for delivery if their round has\n" +
		"not reached them, or failed; the later windows open; the collection points' daily uploads so far;\n" +
		"this month's scores recorded so far. The cycles after it whose windows have opened by now, with the\n" +
		"week under way's supply and limits published for them (a scarce brand is ordered only once its\n" +
		"supply is published). The warehouse: every brand's stock limits, the stock of the brands on sale\n" +
		"(1.5 weeks of demand) and 8 weeks of planned arrivals, their expected demand (festivals included)\n" +
		"for brands on sale and, for scarce ones, what they delivered in the last week. The company's\n" +
		"targets of every indicator.\n" +
		"Refuses to run when the stores already hold a region, unless -replace. Both stores must be migrated."
	if err := parseFlags(fs, e, summary, args); err != nil {
		return err
	}
	now, err := cfg.validate(time.Now())
	if err := usageError(e, fs, err); err != nil {
		return err
	}
	res, err := seed(ctx, cfg, now, e.stderr)
	if errors.Is(err, errRegionExists) && cfg.IfEmpty {
		fmt.Fprintln(e.stdout, "the stores already hold a region; nothing to seed")
		return nil
	}
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	res.print(e.stdout)
	return nil
}

// seedResult says what a seed wrote.
type seedResult struct {
	outlets, managers, brands, manufacturers int
	weeks                                    int
	first, last                              time.Time // Mondays of the first and last week
	sales, demand                            uint64
	cycles, orders, failed, limits           int
	satisfaction                             int
	arrivals                                 int         // planned arrivals of the warehouse
	ahead                                    []time.Time // cycles after the week under way, their supply published
	scans, rejects, uploads                  uint64
	elapsed                                  time.Duration
	logins                                   []demoLogin
}

func (r seedResult) print(w io.Writer) {
	rows := r.sales + r.demand + r.scans + r.rejects + r.uploads
	secs := r.elapsed.Seconds()
	var b strings.Builder
	fmt.Fprintf(&b, "seeded %d weeks, %s to %s\n", r.weeks, r.first.Format(time.DateOnly), r.last.Format(time.DateOnly))
	fmt.Fprintf(&b, "outlets:      %d (%d account managers)\n", r.outlets, r.managers)
	fmt.Fprintf(&b, "brands:       %d (%d manufacturers)\n", r.brands, r.manufacturers)
	fmt.Fprintf(&b, "sales lines:  %d\n", r.sales)
	fmt.Fprintf(&b, "demand rows:  %d\n", r.demand)
	fmt.Fprintf(&b, "scans:        %d accepted, %d rejected, in %d uploads\n", r.scans, r.rejects, r.uploads)
	fmt.Fprintf(&b, "cycles:       the last %d in PostgreSQL, the week under way's open: %d orders (%d failed), %d limits\n",
		r.cycles, r.orders, r.failed, r.limits)
	for _, week := range r.ahead {
		fmt.Fprintf(&b, "ahead:        the cycle of %s open for orders, the week under way's supply published for it\n",
			week.Format(time.DateOnly))
	}
	fmt.Fprintf(&b, "satisfaction: %d monthly scores\n", r.satisfaction)
	fmt.Fprintf(&b, "warehouse:    stock and stock limits of every brand, %d arrivals planned over %d weeks\n", r.arrivals, seedPlanWeeks)
	fmt.Fprintf(&b, "time:         %.1f s, %.0f rows/s\n", secs, float64(rows)/max(secs, 1e-9))
	io.WriteString(w, b.String())
	printLogins(w, r.logins)
}

// pastChunk is how many outlets' past orders and limits the seed writes to PostgreSQL at a time.
const pastChunk = 250

// seed generates the region and writes it to both stores.
func seed(ctx context.Context, cfg seedConfig, now time.Time, stderr io.Writer) (seedResult, error) {
	start := time.Now()
	policy, err := cfg.windowPolicy()
	if err != nil {
		return seedResult{}, err
	}
	region, err := synth.New(synth.Config{
		Outlets: cfg.Outlets, Brands: cfg.Brands, Weeks: cfg.Weeks, Seed: cfg.Seed, Now: now, UpToNow: true, Windows: policy,
	})
	if err != nil {
		return seedResult{}, err
	}

	opened, err := cfg.open(ctx)
	if err != nil {
		return seedResult{}, err
	}
	defer opened.Close()
	pool := opened.pg

	outletsPG, catalogue := retailerpg.New(pool), orderingpg.New(pool)
	history, scans := forecastch.NewOnCluster(opened.cluster), retailerch.NewOnCluster(opened.cluster)
	if err := makeRoom(ctx, cfg.Replace, outletsPG, catalogue, history, scans); err != nil {
		return seedResult{}, err
	}

	if err := catalogue.LoadCatalogue(ctx, region.Manufacturers, region.Brands); err != nil {
		return seedResult{}, err
	}
	for i := range region.Outlets { // customers since the history began: the indicators count them
		region.Outlets[i].Joined = region.Start
	}
	if err := outletsPG.LoadMasterData(ctx, region.Managers, region.Outlets); err != nil {
		return seedResult{}, err
	}
	logins, err := addDemoUsers(ctx, outletsPG, region.Managers, region.Outlets, region.Manufacturers)
	if err != nil {
		return seedResult{}, err
	}
	if err := history.WriteLiveDims(ctx, region.Outlets, region.Brands, 1); err != nil {
		return seedResult{}, err
	}
	// The festivals the generator's demand follows, for the forecast's brand and total regressions.
	if err := history.WriteCalendar(ctx, synth.Holidays(2015, 2035), 1); err != nil {
		return seedResult{}, err
	}

	recent := region.NewRecentCycles(synth.DemoCycles)
	past, err := catalogue.BeginPastCycles(ctx, recent.Cycles)
	if err != nil {
		return seedResult{}, err
	}
	defer past.Rollback(ctx)
	// The past cycles go to PostgreSQL a chunk of outlets at a time, while the next outlets are
	// generated and written to ClickHouse.
	chunks := make(chan []ordering.PastCycle, 1)
	loaded := make(chan error, 1)
	go func() {
		var err error
		for c := range chunks {
			if err == nil {
				err = past.Add(ctx, c)
			}
		}
		loaded <- err
	}()
	var res seedResult
	warehouse := newSeedWarehouse(region)
	send := func() {
		c := recent.Take()
		for _, pc := range c {
			res.orders += len(pc.Orders)
			res.limits += len(pc.Limits)
			for _, o := range pc.Orders {
				if o.Status == ordering.Failed {
					res.failed++
				}
			}
		}
		chunks <- c
	}
	var scores []retailer.SatisfactionScore

	lines := history.NewSeedWriter(fmt.Sprintf("seed-%d", cfg.Seed), 0)
	uploads := scans.NewScanWriter(0)
	bar := newProgress(stderr, "seed", "outlets", int64(len(region.Outlets)))
	err = region.Each(func(h *synth.History) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		recent.Add(h) // first: it keeps the orders out for delivery out of the history
		if err := lines.Add(ctx, h.Sales, h.Demand); err != nil {
			return err
		}
		if err := uploads.Add(ctx, h.Scans); err != nil {
			return err
		}
		warehouse.add(h)
		if (h.Index+1)%pastChunk == 0 {
			send()
		}
		scores = append(scores, h.Satisfaction...)
		bar.Add(1)
		return nil
	})
	if err == nil {
		send()
	}
	close(chunks)
	if err == nil {
		err = lines.Close()
	}
	if err == nil {
		err = uploads.Close()
	}
	if pastErr := <-loaded; err == nil {
		err = pastErr
	}
	if err == nil {
		err = past.Commit(ctx)
	}
	if err == nil {
		err = outletsPG.LoadSatisfaction(ctx, scores)
	}
	if err == nil {
		res.arrivals, err = warehouse.write(ctx, catalogue, region, now)
	}
	if err == nil {
		week := recent.Cycles[len(recent.Cycles)-1].WeekStart
		scarce := map[string]bool{}
		for _, b := range region.Brands {
			scarce[b.Code] = b.Scarce
		}
		res.ahead, err = publishAhead(ctx, catalogue, policy, week, now, scarce)
	}
	if err == nil {
		err = indicatorspg.New(pool).SetTargets(ctx, seedTargets(), nil)
	}
	bar.Finish()
	if err != nil {
		lines.Abort()
		uploads.Abort()
		return seedResult{}, fmt.Errorf("%w (the region is incomplete: run again with -replace)", err)
	}

	res.logins = logins
	res.outlets, res.managers = len(region.Outlets), len(region.Managers)
	res.brands, res.manufacturers = len(region.Brands), len(region.Manufacturers)
	res.weeks, res.first, res.last = region.Weeks, region.Start, region.Week(region.Weeks-1)
	res.elapsed = time.Since(start)
	res.sales, res.demand = lines.Rows()
	res.cycles, res.satisfaction = len(recent.Cycles), len(scores)
	res.scans, res.rejects, res.uploads = uploads.Rows()
	return res, nil
}

// supplyPublisher is what publishAhead needs of the ordering store.
type supplyPublisher interface {
	EnsureCycle(ctx context.Context, weekStart time.Time, windows []ordering.Window) (ordering.Cycle, error)
	PublishedSupply(ctx context.Context, weekStart time.Time) ([]ordering.SupplyLine, []ordering.OutletLimit, error)
	PublishSupply(ctx context.Context, cycleID, userID int64, ifVersion int, plan []ordering.SupplyLine, limits []ordering.OutletLimit,
		source string, now time.Time) error
}

// publishAhead publishes the supply of the cycles after the week under way whose order windows have
// opened by now, as the planner would have before they opened: a scarce brand cannot be ordered in a
// cycle until its supply is published (ordering.AwaitingSupply). The region draws no supply after the
// week under way, so each carries the week under way's plan and limits of the scarce brands forward.
// A brand that is not scarce was rationed in the week under way only when it was out of stock there
// (limit 0, "no supply this cycle"): a stock-out is the week's, not the next cycle's, so it is not
// carried. It returns the weeks of the cycles published.
func publishAhead(ctx context.Context, store supplyPublisher, policy ordering.WindowPolicy, underWay, now time.Time,
	scarce map[string]bool) ([]time.Time, error) {
	plan, limits, err := store.PublishedSupply(ctx, underWay)
	if err != nil {
		return nil, err
	}
	plan = slices.DeleteFunc(plan, func(l ordering.SupplyLine) bool { return !scarce[l.Brand] })
	limits = slices.DeleteFunc(limits, func(l ordering.OutletLimit) bool { return !scarce[l.Brand] })
	var weeks []time.Time
	for week := underWay.AddDate(0, 0, 7); ; week = week.AddDate(0, 0, 7) {
		windows := policy.Windows(week)
		if !slices.ContainsFunc(windows, func(w ordering.Window) bool { return !w.OpensAt.After(now) }) {
			return weeks, nil
		}
		c, err := store.EnsureCycle(ctx, week, windows)
		if err != nil {
			return weeks, err
		}
		if err := store.PublishSupply(ctx, c.ID, 0, 0, plan, limits, "manual", now); err != nil {
			return weeks, fmt.Errorf("publish the supply of the cycle of %s: %w", week.Format(time.DateOnly), err)
		}
		weeks = append(weeks, week)
	}
}

// makeRoom refuses to seed over an existing region, or deletes it when replace is set.
func makeRoom(ctx context.Context, replace bool, outlets *retailerpg.Store, catalogue *orderingpg.Store,
	history *forecastch.Store, scans *retailerch.Store) error {
	nOutlets, nManagers, err := outlets.MasterDataCounts(ctx)
	if err != nil {
		return err
	}
	nBrands, nManufacturers, err := catalogue.CatalogueCounts(ctx)
	if err != nil {
		return err
	}
	nSales, nDemand, err := history.LiveHistoryRows(ctx)
	if err != nil {
		return err
	}
	nScans, nRejects, nUploads, err := scans.ScanRows(ctx)
	if err != nil {
		return err
	}
	if nOutlets+nManagers+nBrands+nManufacturers == 0 && nSales+nDemand+nScans+nRejects+nUploads == 0 {
		return nil
	}
	if !replace {
		return fmt.Errorf("%w: PostgreSQL has %d outlets, %d account managers, %d brands and %d manufacturers; "+
			"ClickHouse has %d live sales lines, %d true demand rows and %d scans; run with -replace to delete "+
			"them and seed again", errRegionExists, nOutlets, nManagers, nBrands, nManufacturers, nSales, nDemand, nScans)
	}
	if err := history.DeleteLive(ctx); err != nil {
		return err
	}
	if err := scans.DeleteScans(ctx); err != nil {
		return err
	}
	if err := outlets.DeleteMasterData(ctx); err != nil {
		return err
	}
	return catalogue.DeleteCatalogue(ctx)
}

package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/ordercast/ordercast/deploy/stores"
	"github.com/ordercast/ordercast/forecast"
	forecastch "github.com/ordercast/ordercast/forecast/clickhouse"
	"github.com/ordercast/ordercast/forecast/synth"
)

func runForecast(ctx context.Context, e env, args []string) error {
	return subcommands{group: "forecast", missing: "say what to do: run, backtest or calendar", unknown: "unknown subcommand",
		subs: []command{{"run", "", runForecastRun}, {"backtest", "", runForecastBacktest},
			{"calendar", "", runForecastCalendar}}, usage: forecastUsage}.run(ctx, e, args)
}

func forecastUsage(w io.Writer) {
	io.WriteString(w, "Usage: ordercast forecast <subcommand> [flags]\n\nForecasts demand from the history in ClickHouse.\n\nSubcommands:\n"+
		"  run        forecast the next weeks of every active outlet × brand and store them, reconciled by level\n"+
		"  backtest   measure forecast accuracy on a dataset's history (design/BACKTEST.md)\n"+
		"  calendar   load the Spring Festival, Mid-Autumn and National Day holidays into the calendar table\n\n"+
		"Run `ordercast forecast <subcommand> -h` for its flags.\n")
}

// forecastConfig is what both subcommands take. They only need ClickHouse.
type forecastConfig struct {
	ClickHouseDSN     string
	ClickHouseCluster string
	Dataset           string
	AsOf              string // YYYY-MM-DD, "" for the default
	Correct           bool
	UnmetShare        float64
	Workers           int
	CPUProfile        string
	MemProfile        string
}

func (c *forecastConfig) register(fs *flag.FlagSet, getenv func(string) string, asOfHelp string) {
	fs.StringVar(&c.ClickHouseDSN, "ch-dsn", envOr(getenv, "ORDERCAST_CH_DSN", defaultClickHouseDSN),
		"ClickHouse DSN, native protocol, the history store (env ORDERCAST_CH_DSN)")
	registerCluster(fs, getenv, &c.ClickHouseCluster)
	fs.StringVar(&c.Dataset, "dataset", forecast.LiveDataset, "the dataset: live (the company's orders) or an imported one")
	fs.StringVar(&c.AsOf, "as-of", "", asOfHelp)
	fs.BoolVar(&c.Correct, "correct", true,
		"learn from sales corrected for censored demand: on the live dataset with collection-point scans, the demand lost\n"+
			"to empty shelves, cut grants and missed deliveries, learnt from the scans; else weeks a limit or a stock-out cut")
	fs.Float64Var(&c.UnmetShare, "unmet-share", forecast.DefaultUnmetShare,
		"without scans: share of a censored week's unmet request (requested − granted) counted as demand, in (0, 1]")
	fs.IntVar(&c.Workers, "workers", 0, "goroutines fitting series; 0 for one per CPU")
	fs.StringVar(&c.CPUProfile, "cpuprofile", "", "write a CPU profile (go tool pprof) of the command to this file")
	fs.StringVar(&c.MemProfile, "memprofile", "", "write a heap profile (go tool pprof: what the command allocated, and what it still held at its end) to this file")
}

// profile starts a CPU profile when c asks for one and returns the function that stops it and writes
// the heap profile c asks for.
func (c forecastConfig) profile() (stop func() error, err error) {
	stopCPU, err := startCPUProfile(c.CPUProfile)
	if err != nil {
		return nil, err
	}
	return func() error {
		stopCPU()
		if c.MemProfile == "" {
			return nil
		}
		f, err := os.Create(c.MemProfile)
		if err != nil {
			return fmt.Errorf("memory profile: %w", err)
		}
		if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
			f.Close()
			return fmt.Errorf("memory profile: %w", err)
		}
		return f.Close()
	}, nil
}

func (c forecastConfig) validate() (asOf time.Time, errs []error) {
	if !strings.HasPrefix(c.ClickHouseDSN, "clickhouse://") {
		errs = append(errs, errors.New("-ch-dsn: want clickhouse://host:port/database (native protocol)"))
	}
	if err := clusterError(c.ClickHouseCluster); err != nil {
		errs = append(errs, err)
	}
	if strings.TrimSpace(c.Dataset) == "" {
		errs = append(errs, errors.New("-dataset: empty"))
	}
	if c.AsOf != "" {
		d, err := time.Parse(time.DateOnly, c.AsOf)
		if err != nil {
			errs = append(errs, fmt.Errorf("-as-of %q: want YYYY-MM-DD", c.AsOf))
		}
		asOf = d
	}
	if !(c.UnmetShare > 0 && c.UnmetShare <= 1) {
		errs = append(errs, fmt.Errorf("-unmet-share %v: want more than 0 and at most 1", c.UnmetShare))
	}
	if c.Workers < 0 {
		errs = append(errs, fmt.Errorf("-workers %d: want 0 or more", c.Workers))
	}
	return asOf, errs
}

// start begins CPU profiling if asked and opens the history store; done closes both, writes the heap
// profile if asked and says on stderr when a profile could not be written.
func (c forecastConfig) start(ctx context.Context, stderr io.Writer) (store *forecastch.Store, done func(), err error) {
	stop, err := c.profile()
	if err != nil {
		return nil, nil, err
	}
	finish := func() {
		if err := stop(); err != nil {
			fmt.Fprintf(stderr, "ordercast: %v\n", err)
		}
	}
	cluster, err := openHistory(ctx, c.ClickHouseDSN, c.ClickHouseCluster)
	if err != nil {
		finish()
		return nil, nil, err
	}
	return forecastch.NewOnCluster(cluster), func() { cluster.Close(); finish() }, nil
}

// openHistory connects to ClickHouse (one server, or the shards of cluster) and checks that its
// schema is current.
func openHistory(ctx context.Context, dsn, cluster string) (*stores.Cluster, error) {
	migrations, err := stores.ClickHouseMigrations()
	if err != nil {
		return nil, err
	}
	return openCluster(ctx, dsn, cluster, migrations)
}

// regionHelp is the help of the -region flags.
const regionHelp = "calendar region whose holidays the festival profiles and regressions use (default: every region's\n" +
	"for the live dataset, none for imported ones, which come from elsewhere); a dataset's own holidays\n" +
	"(import holidays) are always used, but for those of another region when -region is named"

// forecastRunConfig is the configuration of `ordercast forecast run`.
type forecastRunConfig struct {
	forecastConfig
	Horizon  int
	TopDown  bool
	Region   string
	TimeZone string // the week of today there bounds the default -as-of
}

func runForecastRun(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("forecast run", flag.ContinueOnError)
	var cfg forecastRunConfig
	cfg.register(fs, e.getenv, "YYYY-MM-DD: forecast from the week of this day on, learning from the weeks before it, as\n"+
		"backtest's -as-of names the first forecast week of its latest origin\n"+
		"(default: the week after the dataset's last week of history, or this week if earlier)")
	fs.IntVar(&cfg.Horizon, "horizon", forecast.DefaultRunHorizon, "weeks to forecast; 6 from the Monday on or before the 1st of a month cover all of it, as score needs")
	fs.BoolVar(&cfg.TopDown, "top-down", false,
		"let brand and total regressions (calendar, trend, supply) set the upper levels where they validate better than\n"+
			"the sum of the outlets, and distribute them down")
	fs.StringVar(&cfg.Region, "region", "", regionHelp)
	registerTimeZone(fs, e.getenv, &cfg.TimeZone, "whose today's week is the latest default -as-of")
	summary := "Forecasts the next -horizon weeks of every outlet × brand of -dataset with history in the last year\n" +
		"(for live: of outlets active in outlets_dim), with 80% intervals, and stores them in ClickHouse as one\n" +
		"run: forecast_runs, forecasts at outlet × brand, brand and total level (the levels add up exactly),\n" +
		"and their monthly sums in forecasts_monthly. The engine chooses models per brand by backtest on each\n" +
		"series' own history, learning from sales corrected for demand that limits and stock-outs censored;\n" +
		"with -top-down, brand and total regressions set the upper levels where they validate better. New\n" +
		"products without history (brands_dim) are forecast from like items at the outlets carrying them."
	if err := parseFlags(fs, e, summary, args); err != nil {
		return err
	}
	asOf, errs := cfg.validate()
	if cfg.Horizon < 1 || cfg.Horizon > forecast.MaxRunAhead {
		errs = append(errs, fmt.Errorf("-horizon %d: want 1 to %d", cfg.Horizon, forecast.MaxRunAhead))
	}
	loc, err := loadZone(cfg.TimeZone)
	if err := usageError(e, fs, append(errs, err)...); err != nil {
		return err
	}
	store, done, err := cfg.start(ctx, e.stderr)
	if err != nil {
		return err
	}
	defer done()
	planner := forecast.Planner{History: store, Calendar: store, Catalogue: store, Runs: store, Scans: store,
		Progress: barProgress{e.stderr}}
	now := time.Now().In(loc)
	rep, err := planner.Run(ctx, forecast.RunRequest{
		ID: runID(now.UTC(), cfg.Dataset), Dataset: cfg.Dataset, AsOf: asOf, Horizon: cfg.Horizon,
		Correct: cfg.Correct, UnmetShare: cfg.UnmetShare, Workers: cfg.Workers,
		TopDown: cfg.TopDown, Region: cfg.Region, Now: now,
	})
	if err != nil {
		return fmt.Errorf("forecast run: %w", err)
	}
	printRunReport(e.stdout, rep)
	return nil
}

// barProgress draws a progress bar per step of a run on a terminal.
type barProgress struct{ w io.Writer }

func (p barProgress) Step(name, unit string, total int) (advance func(done int), finish func()) {
	bar := newProgress(p.w, name, unit, int64(total))
	return progressTo(bar), bar.Finish
}

func printRunReport(w io.Writer, r forecast.RunReport) {
	var b strings.Builder
	run := r.Run
	fmt.Fprintf(&b, "forecast run %s: dataset %s, as of %s\n", run.ID, run.Dataset, run.AsOf.Format(time.DateOnly))
	if n := len(r.HistoryWeeks); n > 0 {
		fmt.Fprintf(&b, "history:   %d series (%d outlets, %d brands), %d weeks %s … %s\n", len(run.Series)-launchSeries(r),
			r.Outlets, len(run.BrandCodes)-launchBrands(r), n, r.HistoryWeeks[0].Format(time.DateOnly),
			r.HistoryWeeks[n-1].Format(time.DateOnly))
	}
	switch {
	case r.Learnt != nil:
		fmt.Fprintf(&b, "censored:  %d of %d series × weeks (%.2f%%) cut by a limit or a stock-out; learnt from the sales plus "+
			"the demand lost to empty shelves, %s\n", r.Censored, r.Cells, 100*float64(r.Censored)/float64(max(r.Cells, 1)), r.Learnt.Summary())
	case r.Censored == 0:
		fmt.Fprintf(&b, "censored:  no week of these series was cut by a limit or a stock-out\n")
	case r.Corrected:
		fmt.Fprintf(&b, "censored:  %d of %d series × weeks (%.2f%%) cut by a limit or a stock-out; learnt from their estimated demand\n",
			r.Censored, r.Cells, 100*float64(r.Censored)/float64(max(r.Cells, 1)))
	default:
		fmt.Fprintf(&b, "censored:  %d of %d series × weeks (%.2f%%) cut by a limit or a stock-out; not corrected (-correct=false)\n",
			r.Censored, r.Cells, 100*float64(r.Censored)/float64(max(r.Cells, 1)))
	}
	if n := len(run.Weeks); n > 0 {
		t := run.Reconciled.Total
		fmt.Fprintf(&b, "forecast:  %d weeks %s … %s; total", n, run.Weeks[0].Format(time.DateOnly),
			run.Weeks[n-1].Format(time.DateOnly))
		for j := range t.Mean {
			fmt.Fprintf(&b, " %.1f", t.Mean[j])
		}
		fmt.Fprintf(&b, " (80%% interval of the first week %.1f … %.1f)\n", t.Lower[0], t.Upper[0])
	}
	if r.HorizonGap > 0 {
		fmt.Fprintf(&b, "           %d weeks between the last week of history and the first forecast week were forecast and not stored\n", r.HorizonGap)
	}
	fmt.Fprintf(&b, "models:    outlets: %s", forecast.ChoiceSummary(r.Choices))
	if top := r.Top; top != nil {
		fmt.Fprintf(&b, "; brands: %s; total: %s", forecast.TopSummary(top.Groups), top.Total)
		if top.Failed > 0 {
			fmt.Fprintf(&b, " (%d brands with too short a history to regress)", top.Failed)
		}
	} else {
		b.WriteString("; brands and total: bottom-up")
	}
	for _, l := range r.Launches {
		if len(l.Outlets) == 0 {
			fmt.Fprintf(&b, "; new product %s: no outlet carries a like item, not forecast", l.Brand)
			continue
		}
		fmt.Fprintf(&b, "; new product %s: %d outlets, like %s", l.Brand, len(l.Outlets), strings.Join(l.Like, ","))
	}
	if len(r.Launches) > 0 {
		if n := len(r.LaunchCurve.Products); n > 0 {
			fmt.Fprintf(&b, " (launch curve from %d earlier launches, at %.2f times its like items)", n, r.LaunchCurve.Level)
		} else {
			b.WriteString(" (no earlier launch: sells like its like items)")
		}
	}
	for _, a := range r.AfterLaunch {
		fmt.Fprintf(&b, "; new product %s on sale %d weeks", a.Brand, a.Weeks)
		if a.Total == nil {
			b.WriteString(": its own series' forecasts (no like item to scale by, or they forecast nothing)")
			continue
		}
		fmt.Fprintf(&b, ": sold %.0f at the %d outlets of its like items %s, where they said %.0f (%.2f×)", a.Sold,
			a.Outlets, strings.Join(a.Like, ","), a.Expected, a.Ratio)
	}
	b.WriteString("\n")
	switch {
	case r.Holidays == 0:
		fmt.Fprintf(&b, "calendar:  %d days, no holiday in the calendar table over the run (load one: ordercast forecast calendar)\n", r.CalendarDays)
	case r.Top != nil:
		fmt.Fprintf(&b, "calendar:  %d days (%d holidays) in the calendar table, in the brand and total regressions\n", r.CalendarDays, r.Holidays)
	default:
		fmt.Fprintf(&b, "calendar:  %d days (%d holidays) in the calendar table, as profiles by weeks to each holiday where they validate", r.CalendarDays, r.Holidays)
		if weeks, largest := r.Calibration.Cut(r.HorizonGap).FestivalWeeks(); weeks > 0 {
			fmt.Fprintf(&b, "; brands' intervals widened in %d of the weeks forecast, by up to %.1f%%, for holidays the history saw only together", weeks, 100*largest)
		}
		if day, swing := r.Annual.Peak(); swing > 0 {
			// Any year without 29 February names the day.
			peak := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, day-1)
			fmt.Fprintf(&b, "; the year's swing from the total, +%.1f%% around %s and %.1f%% half a year later, divided out", 100*swing, peak.Format("2 January"), 100*(1/(1+swing)-1))
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "stored:    %d weekly and %d monthly rows (levels outlet, brand, total; brand and total are the sums)\n",
		r.WeeklyRows, r.MonthlyRows)
	fmt.Fprintf(&b, "time:      read %.1f s, learn the censoring %.1f s, forecast %.1f s, store %.1f s; total %.1f s\n",
		r.Read.Seconds(), r.Learn.Seconds(), r.Fit.Seconds(), r.Store.Seconds(), r.Total.Seconds())
	io.WriteString(w, b.String())
}

// launchSeries and launchBrands count what the new products added to a run.
func launchSeries(r forecast.RunReport) int {
	n := 0
	for _, l := range r.Launches {
		n += len(l.Outlets)
	}
	return n
}

func launchBrands(r forecast.RunReport) int {
	n := 0
	for _, l := range r.Launches {
		if len(l.Outlets) > 0 {
			n++
		}
	}
	return n
}

// progressTo returns a function that moves p to a running count.
func progressTo(p *progress) func(done int) {
	last := 0
	return func(done int) {
		p.Add(int64(done - last))
		last = done
	}
}

// runID names a run: when it started, its dataset and a random suffix.
func runID(now time.Time, dataset string) string {
	var b [4]byte
	rand.Read(b[:]) //nolint:errcheck // crypto/rand.Read never fails
	return now.UTC().Format("20060102T150405Z") + "-" + dataset + "-" + hex.EncodeToString(b[:])
}

func runForecastCalendar(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("forecast calendar", flag.ContinueOnError)
	var dsn, cluster string
	fs.StringVar(&dsn, "ch-dsn", envOr(e.getenv, "ORDERCAST_CH_DSN", defaultClickHouseDSN),
		"ClickHouse DSN, native protocol, the history store (env ORDERCAST_CH_DSN)")
	registerCluster(fs, e.getenv, &cluster)
	from := fs.Int("from", synth.FirstLunarYear, "first year")
	to := fs.Int("to", synth.LastLunarYear, "last year")
	summary := fmt.Sprintf("Writes the festivals of the built-in lunar table (%d–%d) into the calendar table, region %s:\n"+
		"the Spring Festival and the 6 days after it, Mid-Autumn, National Day 1–7 October. The brand and total\n"+
		"regressions of forecast run and backtest use them. The decreed holidays and make-up working days of\n"+
		"each year differ a little: load those as data where they matter. Writing again replaces the days.",
		synth.FirstLunarYear, synth.LastLunarYear, synth.CalendarRegion)
	if err := parseFlags(fs, e, summary, args); err != nil {
		return err
	}
	var errs []error
	if !strings.HasPrefix(dsn, "clickhouse://") {
		errs = append(errs, errors.New("-ch-dsn: want clickhouse://host:port/database (native protocol)"))
	}
	if err := clusterError(cluster); err != nil {
		errs = append(errs, err)
	}
	if *from < synth.FirstLunarYear || *to > synth.LastLunarYear || *from > *to {
		errs = append(errs, fmt.Errorf("-from %d -to %d: want %d ≤ from ≤ to ≤ %d", *from, *to,
			synth.FirstLunarYear, synth.LastLunarYear))
	}
	if err := usageError(e, fs, errs...); err != nil {
		return err
	}
	history, err := openHistory(ctx, dsn, cluster)
	if err != nil {
		return err
	}
	defer history.Close()
	days := synth.Holidays(*from, *to)
	if err := forecastch.NewOnCluster(history).WriteCalendar(ctx, days, uint64(time.Now().Unix())); err != nil {
		return fmt.Errorf("forecast calendar: %w", err)
	}
	fmt.Fprintf(e.stdout, "calendar: %d holiday days of %d–%d written (region %s)\n", len(days), *from, *to, synth.CalendarRegion)
	return nil
}

// forecastBacktestConfig is the configuration of `ordercast forecast backtest`.
type forecastBacktestConfig struct {
	forecastConfig
	Horizon, Origins, Step int
	OriginDates            string // comma-separated Mondays
	JSON                   bool
	Against                string
	Scarce                 bool
	TopDown                bool
	Region                 string
}

// What a backtest scores against: the words of -against and of the JSON output.
const (
	againstSales  = "sales"
	againstDemand = "demand"
)

// backtestAgainst maps the words of -against to what the forecast package scores against.
var backtestAgainst = map[string]forecast.Against{againstSales: forecast.AgainstSales, againstDemand: forecast.AgainstTruth}

func runForecastBacktest(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("forecast backtest", flag.ContinueOnError)
	var cfg forecastBacktestConfig
	cfg.register(fs, e.getenv, "YYYY-MM-DD: the first forecast week of the latest origin is the week of this day, as in forecast run;\n"+
		"the other origins are -step weeks apart before it (default: the latest window ends with the history)")
	fs.IntVar(&cfg.Horizon, "horizon", forecast.DefaultHorizon, "weeks forecast from each origin")
	fs.IntVar(&cfg.Origins, "origins", forecast.DefaultOrigins, "number of forecast origins")
	fs.IntVar(&cfg.Step, "step", forecast.DefaultStep, "weeks between origins")
	fs.StringVar(&cfg.OriginDates, "origin-dates", "",
		"YYYY-MM-DD,…: the origins themselves, each the Monday of the first week forecast from it, within the history\n"+
			"(a week before it and -horizon weeks from it); instead of -as-of, -origins and -step")
	fs.BoolVar(&cfg.JSON, "json", false, "print one JSON object instead of a table")
	fs.StringVar(&cfg.Against, "against", againstSales,
		"what forecasts are scored against: sales (the history itself) or demand (true_demand, seeded data only)")
	fs.BoolVar(&cfg.Scarce, "scarce", false, "only the series of brands flagged scarce in brands_dim")
	fs.BoolVar(&cfg.TopDown, "top-down", false,
		"also score topdown (forecast run -top-down): brand and total regressions set the upper levels where they\n"+
			"validate better; the engine figures of -json are then topdown's")
	fs.StringVar(&cfg.Region, "region", "", regionHelp)
	summary := "Measures forecast accuracy on a dataset's history by the protocol of design/BACKTEST.md: at origins\n" +
		"o_k = T − h − step·k each method learns from weeks 1 … o_k and forecasts the next h (T: the last week\n" +
		"of history, or of the window from -as-of's week; -origin-dates names the origins instead); WAPE, bias,\n" +
		"brand and total accuracy and RMSSE over all series and windows, for the reference methods naive and\n" +
		"snaive, every candidate model alone, the engine and (with -top-down) topdown, the engine with brand and\n" +
		"total regressions on calendar, trend and supply terms. Reads ClickHouse only."
	if err := parseFlags(fs, e, summary, args); err != nil {
		return err
	}
	asOf, errs := cfg.validate()
	for _, f := range []struct {
		name string
		v    int
	}{{"horizon", cfg.Horizon}, {"origins", cfg.Origins}, {"step", cfg.Step}} {
		if f.v < 1 || f.v > 520 {
			errs = append(errs, fmt.Errorf("-%s %d: want 1 to 520", f.name, f.v))
		}
	}
	if _, ok := backtestAgainst[cfg.Against]; !ok {
		errs = append(errs, fmt.Errorf("-against %q: want sales or demand", cfg.Against))
	}
	var originDates []time.Time
	if cfg.OriginDates != "" {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		for _, name := range []string{"as-of", "origins", "step"} {
			if set[name] {
				errs = append(errs, fmt.Errorf("-origin-dates and -%s: give one or the other", name))
			}
		}
		for _, word := range strings.Split(cfg.OriginDates, ",") {
			d, err := time.Parse(time.DateOnly, strings.TrimSpace(word))
			switch {
			case err != nil:
				errs = append(errs, fmt.Errorf("-origin-dates: %q: want YYYY-MM-DD", word))
			case d.Weekday() != time.Monday:
				errs = append(errs, fmt.Errorf("-origin-dates: %s is a %s; want the Monday of a week", word, d.Weekday()))
			default:
				originDates = append(originDates, d)
			}
		}
	}
	if err := usageError(e, fs, errs...); err != nil {
		return err
	}
	store, done, err := cfg.start(ctx, e.stderr)
	if err != nil {
		return err
	}
	defer done()
	bt := forecast.Backtester{Sales: store, Calendar: store, Scans: store, Progress: barProgress{e.stderr}}
	rep, err := bt.Run(ctx, forecast.BacktestRequest{
		Dataset: cfg.Dataset, AsOf: asOf, OriginDates: originDates, Scarce: cfg.Scarce, Against: backtestAgainst[cfg.Against],
		Correct: cfg.Correct, UnmetShare: cfg.UnmetShare,
		Config:  forecast.BacktestConfig{Horizon: cfg.Horizon, Origins: cfg.Origins, Step: cfg.Step, Workers: cfg.Workers},
		TopDown: cfg.TopDown, Region: cfg.Region,
	})
	if errors.Is(err, forecast.ErrOriginOutside) {
		flagName := "-as-of"
		if len(originDates) > 0 {
			flagName = "-origin-dates"
		}
		return usageError(e, fs, hint(err, "%s: %s", flagName, strings.TrimPrefix(err.Error(), forecast.ErrOriginOutside.Error()+": ")))
	}
	if err != nil {
		return fmt.Errorf("forecast backtest: %w", err)
	}
	if cfg.JSON {
		return printBacktestJSON(e.stdout, rep, cfg.Against)
	}
	return rep.WriteTable(e.stdout)
}

// metricsJSON is forecast.Metrics in the JSON of `forecast backtest --json`.
type metricsJSON struct {
	WAPE          jsonFloat `json:"wape"`
	Bias          jsonFloat `json:"bias"`
	BrandAccuracy jsonFloat `json:"brand_accuracy"`
	TotalAccuracy jsonFloat `json:"total_accuracy"`
	RMSSE         jsonFloat `json:"rmsse"`
	Seconds       jsonFloat `json:"seconds"`
	// Coverage: share of actuals within the 80% intervals per level (outlet over weeks with demand).
	CoverageOutlet jsonFloat `json:"coverage_outlet"`
	CoverageBrand  jsonFloat `json:"coverage_brand"`
	CoverageTotal  jsonFloat `json:"coverage_total"`
}

func toMetricsJSON(m forecast.Metrics) metricsJSON {
	return metricsJSON{WAPE: jsonFloat(m.WAPE), Bias: jsonFloat(m.Bias), BrandAccuracy: jsonFloat(m.BrandAccuracy),
		TotalAccuracy: jsonFloat(m.TotalAccuracy), RMSSE: jsonFloat(m.RMSSE), Seconds: jsonFloat(m.Seconds),
		CoverageOutlet: jsonFloat(m.Coverage.Outlet), CoverageBrand: jsonFloat(m.Coverage.Brand),
		CoverageTotal: jsonFloat(m.Coverage.Total)}
}

// jsonFloat is a float64 that encodes as null when it is not finite (a WAPE over no demand is +Inf).
type jsonFloat float64

// MarshalJSON implements json.Marshaler.
func (f jsonFloat) MarshalJSON() ([]byte, error) {
	if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
		return []byte("null"), nil
	}
	return json.Marshal(float64(f))
}

// backtestJSON is the output of `forecast backtest --json`.
type backtestJSON struct {
	Dataset string `json:"dataset"`
	Series  int    `json:"series"`
	Origins int    `json:"origins"`
	Horizon int    `json:"horizon"`
	Step    int    `json:"step"` // 0 with -origin-dates
	// OriginWeeks is the first week forecast from each origin, latest first: -as-of names the first.
	OriginWeeks []string `json:"origin_weeks"`
	Weeks       int      `json:"weeks"`
	Against     string   `json:"against"`
	Corrected   bool     `json:"corrected"`
	// Holidays is the number of holiday days the engine learnt festival profiles from; when some,
	// Methods also holds "no-holiday", the engine without them.
	Holidays int                    `json:"holidays"`
	Engine   metricsJSON            `json:"engine"`
	Methods  map[string]metricsJSON `json:"methods"`
}

// printBacktestJSON writes r as the one JSON object of `forecast backtest --json`; against is the
// word of -against.
func printBacktestJSON(w io.Writer, r forecast.BacktestResult, against string) error {
	out := backtestJSON{
		Dataset: r.Dataset, Series: r.Series, Origins: r.Config.Origins, Horizon: r.Config.Horizon,
		Step: r.Config.Step, Weeks: r.Weeks, Against: against, Corrected: r.Corrected, Holidays: r.EngineHolidays,
		Methods: make(map[string]metricsJSON, len(r.Results)),
	}
	for _, w := range r.Starts {
		out.OriginWeeks = append(out.OriginWeeks, w.Format(time.DateOnly))
	}
	for _, m := range r.Results {
		out.Methods[m.Method] = toMetricsJSON(m.Metrics)
	}
	if eng, ok := r.Result(r.FinalMethod()); ok {
		out.Engine = toMetricsJSON(eng.Metrics)
	}
	enc := json.NewEncoder(w)
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("forecast backtest: %w", err)
	}
	return nil
}

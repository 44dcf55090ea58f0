package main

import (
	"cmp"
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
	"slices"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/ordercast/ordercast/deploy/stores"
	"github.com/ordercast/ordercast/forecast"
	forecastch "github.com/ordercast/ordercast/forecast/clickhouse"
)

func runForecast(ctx context.Context, e env, args []string) error {
	return subcommands{group: "forecast", missing: "say what to do: run or backtest", unknown: "unknown subcommand",
		subs: []command{{"run", "", runForecastRun}, {"backtest", "", runForecastBacktest}}, usage: forecastUsage}.run(ctx, e, args)
}

func forecastUsage(w io.Writer) {
	io.WriteString(w, "Usage: ordercast forecast <subcommand> [flags]\n\nForecasts demand from the history in ClickHouse.\n\nSubcommands:\n"+
		"  run        forecast the next weeks of every active outlet × brand and store them, reconciled by level\n"+
		"  backtest   measure forecast accuracy on a dataset's history (design/BACKTEST.md)\n\n"+
		"Run `ordercast forecast <subcommand> -h` for its flags.\n")
}

// forecastConfig is what both subcommands take. They only need ClickHouse.
type forecastConfig struct {
	ClickHouseDSN string
	Dataset       string
	AsOf          string // YYYY-MM-DD, "" for the default
	Correct       bool
	UnmetShare    float64
	Workers       int
	CPUProfile    string
}

func (c *forecastConfig) register(fs *flag.FlagSet, getenv func(string) string, asOfHelp string) {
	fs.StringVar(&c.ClickHouseDSN, "ch-dsn", envOr(getenv, "ORDERCAST_CH_DSN", defaultClickHouseDSN),
		"ClickHouse DSN, native protocol, the history store (env ORDERCAST_CH_DSN)")
	fs.StringVar(&c.Dataset, "dataset", forecast.LiveDataset, "the dataset: live (the company's orders) or an imported one")
	fs.StringVar(&c.AsOf, "as-of", "", asOfHelp)
	fs.BoolVar(&c.Correct, "correct", true,
		"learn from sales corrected for censored demand (weeks a limit or a stock-out cut); no effect without such weeks")
	fs.Float64Var(&c.UnmetShare, "unmet-share", forecast.DefaultUnmetShare,
		"share of a censored week's unmet request (requested − granted) counted as demand, in (0, 1]")
	fs.IntVar(&c.Workers, "workers", 0, "goroutines fitting series; 0 for one per CPU")
	fs.StringVar(&c.CPUProfile, "cpuprofile", "", "write a CPU profile (go tool pprof) of the command to this file")
}

// profile starts a CPU profile when c asks for one and returns the function that stops it.
func (c forecastConfig) profile() (stop func(), err error) {
	if c.CPUProfile == "" {
		return func() {}, nil
	}
	f, err := os.Create(c.CPUProfile)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

func (c forecastConfig) validate() (asOf time.Time, errs []error) {
	if !strings.HasPrefix(c.ClickHouseDSN, "clickhouse://") {
		errs = append(errs, errors.New("-ch-dsn: want clickhouse://host:port/database (native protocol)"))
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

// openHistory connects to ClickHouse and checks that its schema is current.
// start begins CPU profiling if asked and opens the history store; done closes both.
func (c forecastConfig) start(ctx context.Context) (store *forecastch.Store, done func(), err error) {
	stop, err := c.profile()
	if err != nil {
		return nil, nil, err
	}
	conn, err := openHistory(ctx, c.ClickHouseDSN)
	if err != nil {
		stop()
		return nil, nil, err
	}
	return forecastch.New(conn), func() { conn.Close(); stop() }, nil
}

func openHistory(ctx context.Context, dsn string) (driver.Conn, error) {
	migrations, err := stores.ClickHouseMigrations()
	if err != nil {
		return nil, err
	}
	conn, err := stores.OpenClickHouse(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if err := stores.CheckClickHouseVersion(ctx, conn, migrations); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// forecastRunConfig is the configuration of `ordercast forecast run`.
type forecastRunConfig struct {
	forecastConfig
	Horizon int
}

// DefaultRunHorizon is the number of weeks `forecast run` forecasts by default.
const DefaultRunHorizon = 5

// activeWeeks is how far back a series must have history to be forecast: a year.
const activeWeeks = 52

// maxAhead bounds how many weeks after its history a run forecasts: two years.
const maxAhead = 104

func runForecastRun(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("forecast run", flag.ContinueOnError)
	var cfg forecastRunConfig
	cfg.register(fs, e.getenv, "YYYY-MM-DD: forecast from the week of this day on, learning from the weeks before it\n"+
		"(default: the week after the dataset's last week of history, or this week if earlier)")
	fs.IntVar(&cfg.Horizon, "horizon", DefaultRunHorizon, "weeks to forecast")
	summary := "Forecasts the next -horizon weeks of every outlet × brand of -dataset with history in the last year\n" +
		"(for live: of outlets active in outlets_dim), with 80% intervals, and stores them in ClickHouse as one\n" +
		"run: forecast_runs, forecasts at outlet × brand, brand and total level (the levels add up exactly),\n" +
		"and their monthly sums in forecasts_monthly. The engine chooses models per brand by backtest on each\n" +
		"series' own history, learning from sales corrected for demand that limits and stock-outs censored."
	if err := parseFlags(fs, e, summary, args); err != nil {
		return err
	}
	asOf, errs := cfg.validate()
	if cfg.Horizon < 1 || cfg.Horizon > 104 {
		errs = append(errs, fmt.Errorf("-horizon %d: want 1 to 104", cfg.Horizon))
	}
	if err := errors.Join(errs...); err != nil {
		fmt.Fprintln(e.stderr, "ordercast forecast run:", err)
		return ErrUsage
	}
	store, done, err := cfg.start(ctx)
	if err != nil {
		return err
	}
	defer done()
	res, err := forecastRun(ctx, store, cfg.forecastConfig, cfg.Horizon, asOf, time.Now().UTC(), e.stderr)
	if err != nil {
		return fmt.Errorf("forecast run: %w", err)
	}
	res.print(e.stdout)
	return nil
}

// runResult says what a forecast run did.
type runResult struct {
	run                     forecastch.Run
	historyWeeks            []time.Time
	outlets                 int
	censored, cells         int
	corrected               bool
	weeklyRows, monthlyRows int
	read, fit, store, total time.Duration
	choices                 map[string]int // model set → brands
	calendarDays, holidays  int
	horizonGap              int
}

func (r runResult) print(w io.Writer) {
	var b strings.Builder
	run := r.run
	fmt.Fprintf(&b, "forecast run %s: dataset %s, as of %s\n", run.ID, run.Dataset, run.AsOf.Format(time.DateOnly))
	if n := len(r.historyWeeks); n > 0 {
		fmt.Fprintf(&b, "history:   %d series (%d outlets, %d brands), %d weeks %s … %s\n", len(run.Series), r.outlets,
			len(run.BrandCodes), n, r.historyWeeks[0].Format(time.DateOnly), r.historyWeeks[n-1].Format(time.DateOnly))
	}
	switch {
	case r.censored == 0:
		fmt.Fprintf(&b, "censored:  no week of these series was cut by a limit or a stock-out\n")
	case r.corrected:
		fmt.Fprintf(&b, "censored:  %d of %d series × weeks (%.2f%%) cut by a limit or a stock-out; learnt from their estimated demand\n",
			r.censored, r.cells, 100*float64(r.censored)/float64(max(r.cells, 1)))
	default:
		fmt.Fprintf(&b, "censored:  %d of %d series × weeks (%.2f%%) cut by a limit or a stock-out; not corrected (-correct=false)\n",
			r.censored, r.cells, 100*float64(r.censored)/float64(max(r.cells, 1)))
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
	if r.horizonGap > 0 {
		fmt.Fprintf(&b, "           %d weeks between the last week of history and the first forecast week were forecast and not stored\n", r.horizonGap)
	}
	fmt.Fprintf(&b, "models:    %s\n", choiceSummary(r.choices))
	fmt.Fprintf(&b, "calendar:  %d days (%d holidays) in the calendar table; the engine does not use it yet\n", r.calendarDays, r.holidays)
	fmt.Fprintf(&b, "stored:    %d weekly and %d monthly rows (levels outlet, brand, total; brand and total are the sums)\n",
		r.weeklyRows, r.monthlyRows)
	fmt.Fprintf(&b, "time:      read %.1f s, forecast %.1f s, store %.1f s; total %.1f s\n",
		r.read.Seconds(), r.fit.Seconds(), r.store.Seconds(), r.total.Seconds())
	io.WriteString(w, b.String())
}

// choiceSummary lists the model sets the brands chose, the most chosen first, up to 8 of them.
func choiceSummary(choices map[string]int) string {
	keys := make([]string, 0, len(choices))
	for k := range choices {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return cmp.Or(choices[b]-choices[a], strings.Compare(a, b)) })
	const most = 8
	var parts []string
	rest := 0
	for i, k := range keys {
		if i < most {
			parts = append(parts, fmt.Sprintf("%s ×%d", k, choices[k]))
		} else {
			rest += choices[k]
		}
	}
	if len(parts) == 0 {
		return "none (no series)"
	}
	if rest > 0 {
		parts = append(parts, fmt.Sprintf("%d other sets ×%d", len(keys)-most, rest))
	}
	return strings.Join(parts, ", ") + " (brands)"
}

// forecastRun reads the history, forecasts, reconciles and stores one run.
func forecastRun(ctx context.Context, store *forecastch.Store, cfg forecastConfig, horizon int, asOf, now time.Time,
	stderr io.Writer) (runResult, error) {
	start := time.Now()
	info, err := store.Dataset(ctx, cfg.Dataset)
	if err != nil {
		return runResult{}, err
	}
	if asOf.IsZero() {
		asOf = forecast.Monday(info.LastDay).AddDate(0, 0, 7)
		if today := forecast.Monday(now); today.Before(asOf) {
			asOf = today
		}
	}
	first := forecast.Monday(asOf)

	readBar := newProgress(stderr, "read history", "rows", 0)
	readTo := progressTo(readBar)
	sp, err := store.SalesHistory(ctx, forecastch.HistoryQuery{
		Dataset:       cfg.Dataset,
		Before:        first,
		ActiveSince:   first.AddDate(0, 0, -7*activeWeeks),
		ActiveOutlets: cfg.Dataset == forecast.LiveDataset,
		Progress:      readTo,
	})
	readBar.Finish()
	if err != nil {
		return runResult{}, err
	}
	if len(sp.Series) == 0 || len(sp.Weeks) == 0 {
		return runResult{}, fmt.Errorf("dataset %s has no series with history in the year before %s",
			cfg.Dataset, first.Format(time.DateOnly))
	}
	cal, err := store.Calendar(ctx, sp.Weeks[0], first.AddDate(0, 0, 7*horizon))
	if err != nil {
		return runResult{}, err
	}
	res := runResult{historyWeeks: sp.Weeks, corrected: cfg.Correct, cells: len(sp.Series) * len(sp.Weeks),
		calendarDays: len(cal), read: time.Since(start)}
	for _, c := range cal {
		if c.Holiday != "" {
			res.holidays++
		}
	}

	// Correct in place: the sales become the estimated demand, and the requests are let go.
	res.censored = sp.CensoredWeeks()
	for i := range sp.Series {
		s := &sp.Series[i]
		if cfg.Correct && s.Censored != nil {
			forecast.Censoring{UnmetShare: cfg.UnmetShare}.Correct(s.Sales, *s)
		}
		s.Requested, s.Censored = nil, nil
	}
	p := sp.Panel()

	fitStart := time.Now()
	// Weeks from the end of the history to the first forecast week are forecast too, then dropped.
	gap := max(int(first.Sub(p.Weeks[len(p.Weeks)-1]).Hours()/24/7)-1, 0)
	if gap+horizon > maxAhead {
		return runResult{}, fmt.Errorf("the first forecast week, %s, is %d weeks after the last week of history, %s: "+
			"forecast from an earlier -as-of", first.Format(time.DateOnly), gap+1, p.Weeks[len(p.Weeks)-1].Format(time.DateOnly))
	}
	res.horizonGap = gap
	brandOf, brandCodes := brandGroups(p)
	series := make([][]float64, len(p.Series))
	outlets := make(map[string]struct{})
	for i, s := range p.Series {
		series[i] = s.Values
		outlets[s.Outlet] = struct{}{}
	}
	res.outlets = len(outlets)
	batch := forecast.Batch{Series: series, Groups: brandOf, Horizon: gap + horizon, Workers: cfg.Workers}
	eng := forecast.NewEngine()
	choices, err := eng.Choose(ctx, batch)
	if err != nil {
		return runResult{}, err
	}
	names := eng.CandidateNames()
	choiceName := make([]string, len(choices))
	res.choices = make(map[string]int)
	for g, ch := range choices {
		set := make([]string, len(ch.Models))
		for k, m := range ch.Models {
			set[k] = names[m]
		}
		choiceName[g] = strings.Join(set, "+")
		res.choices[choiceName[g]]++
	}
	out := forecast.NewForecasts(len(series), batch.Horizon, true)
	fitBar := newProgress(stderr, "forecast", "series", int64(len(series)))
	const chunk = 1 << 16
	for lo := 0; lo < len(series); lo += chunk {
		hi := min(lo+chunk, len(series))
		part := forecast.Batch{Series: series[lo:hi], Groups: brandOf[lo:hi], Horizon: batch.Horizon, Workers: cfg.Workers}
		if err := eng.Apply(ctx, part, choices, out[lo:hi]); err != nil {
			fitBar.Finish()
			return runResult{}, err
		}
		fitBar.Add(int64(hi - lo))
	}
	fitBar.Finish()
	for i := range out { // keep the stored weeks
		out[i] = forecast.Forecast{Mean: out[i].Mean[gap:], Lower: out[i].Lower[gap:], Upper: out[i].Upper[gap:]}
	}
	rec, err := forecast.Reconcile(out, brandOf, len(brandCodes))
	if err != nil {
		return runResult{}, err
	}
	res.fit = time.Since(fitStart)

	run := forecastch.Run{
		ID:      runID(now, cfg.Dataset),
		Dataset: cfg.Dataset,
		AsOf:    first,
		Models: fmt.Sprintf("engine per brand: %s; censored demand %s; brand and total bottom-up",
			choiceSummary(res.choices), map[bool]string{true: "corrected", false: "not corrected"}[cfg.Correct]),
		StartedAt:   now,
		Outlets:     make([]string, len(p.Series)),
		Brands:      make([]string, len(p.Series)),
		Series:      out,
		SeriesModel: make([]string, len(p.Series)),
		BrandCodes:  brandCodes,
		BrandOf:     brandOf,
		Reconciled:  rec,
	}
	for j := range horizon {
		run.Weeks = append(run.Weeks, first.AddDate(0, 0, 7*j))
	}
	for i, s := range p.Series {
		run.Outlets[i], run.Brands[i], run.SeriesModel[i] = s.Outlet, s.Brand, choiceName[brandOf[i]]
	}
	res.weeklyRows, res.monthlyRows = run.RunRows()
	storeStart := time.Now()
	storeBar := newProgress(stderr, "store", "rows", int64(res.weeklyRows+res.monthlyRows))
	err = store.WriteRun(ctx, run, 0, progressTo(storeBar))
	storeBar.Finish()
	if err != nil {
		return runResult{}, err
	}
	res.store = time.Since(storeStart)
	res.total = time.Since(start)
	res.run = run
	return res, nil
}

// progressTo returns a function that moves p to a running count.
func progressTo(p *progress) func(done int) {
	last := 0
	return func(done int) {
		p.Add(int64(done - last))
		last = done
	}
}

// brandGroups numbers the brands of p in sorted order and returns each series' brand number.
func brandGroups(p forecast.Panel) (brandOf []int, codes []string) {
	idx := make(map[string]int)
	for _, s := range p.Series {
		if _, ok := idx[s.Brand]; !ok {
			idx[s.Brand] = 0
			codes = append(codes, s.Brand)
		}
	}
	slices.Sort(codes)
	for i, c := range codes {
		idx[c] = i
	}
	brandOf = make([]int, len(p.Series))
	for i, s := range p.Series {
		brandOf[i] = idx[s.Brand]
	}
	return brandOf, codes
}

// runID names a run: when it started, its dataset and a random suffix.
func runID(now time.Time, dataset string) string {
	var b [4]byte
	rand.Read(b[:]) //nolint:errcheck // crypto/rand.Read never fails
	return now.UTC().Format("20060102T150405Z") + "-" + dataset + "-" + hex.EncodeToString(b[:])
}

// forecastBacktestConfig is the configuration of `ordercast forecast backtest`.
type forecastBacktestConfig struct {
	forecastConfig
	Horizon, Origins, Step int
	JSON                   bool
	Against                string
	Scarce                 bool
}

// What a backtest scores against.
const (
	againstSales  = "sales"
	againstDemand = "demand"
)

func runForecastBacktest(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("forecast backtest", flag.ContinueOnError)
	var cfg forecastBacktestConfig
	cfg.register(fs, e.getenv, "YYYY-MM-DD: use only the weeks before the week of this day (default: all the history)")
	fs.IntVar(&cfg.Horizon, "horizon", forecast.DefaultHorizon, "weeks forecast from each origin")
	fs.IntVar(&cfg.Origins, "origins", forecast.DefaultOrigins, "number of forecast origins")
	fs.IntVar(&cfg.Step, "step", forecast.DefaultStep, "weeks between origins")
	fs.BoolVar(&cfg.JSON, "json", false, "print one JSON object instead of a table")
	fs.StringVar(&cfg.Against, "against", againstSales,
		"what forecasts are scored against: sales (the history itself) or demand (true_demand, seeded data only)")
	fs.BoolVar(&cfg.Scarce, "scarce", false, "only the series of brands flagged scarce in brands_dim")
	summary := "Measures forecast accuracy on a dataset's history by the protocol of design/BACKTEST.md: at origins\n" +
		"o_k = T − h − step·k each method learns from weeks 1 … o_k and forecasts the next h; WAPE, bias,\n" +
		"brand and total accuracy and RMSSE over all series and windows, for the reference methods naive and\n" +
		"snaive, every candidate model alone and the engine. Reads ClickHouse only."
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
	if cfg.Against != againstSales && cfg.Against != againstDemand {
		errs = append(errs, fmt.Errorf("-against %q: want sales or demand", cfg.Against))
	}
	if err := errors.Join(errs...); err != nil {
		fmt.Fprintln(e.stderr, "ordercast forecast backtest:", err)
		return ErrUsage
	}
	store, done, err := cfg.start(ctx)
	if err != nil {
		return err
	}
	defer done()
	rep, err := forecastBacktest(ctx, store, cfg, asOf, e.stderr)
	if err != nil {
		return fmt.Errorf("forecast backtest: %w", err)
	}
	if cfg.JSON {
		return rep.printJSON(e.stdout)
	}
	rep.printTable(e.stdout)
	return nil
}

// backtestResult is a backtest report with what it was run on.
type backtestResult struct {
	forecast.BacktestReport
	dataset         string
	against         string
	corrected       bool
	censored, cells int
	first, last     time.Time
	readSeconds     float64
	scarce          bool
}

func forecastBacktest(ctx context.Context, store *forecastch.Store, cfg forecastBacktestConfig, asOf time.Time,
	stderr io.Writer) (backtestResult, error) {
	start := time.Now()
	readBar := newProgress(stderr, "read history", "rows", 0)
	readTo := progressTo(readBar)
	sp, err := store.SalesHistory(ctx, forecastch.HistoryQuery{
		Dataset: cfg.Dataset, Before: asOf, ScarceBrands: cfg.Scarce,
		Progress: readTo,
	})
	readBar.Finish()
	if err != nil {
		return backtestResult{}, err
	}
	if len(sp.Series) == 0 {
		return backtestResult{}, fmt.Errorf("dataset %s has no series to score", cfg.Dataset)
	}
	res := backtestResult{dataset: cfg.Dataset, against: cfg.Against, censored: sp.CensoredWeeks(),
		cells: len(sp.Series) * len(sp.Weeks), scarce: cfg.Scarce,
		first: sp.Weeks[0], last: sp.Weeks[len(sp.Weeks)-1]}
	actual := sp.Panel()
	if cfg.Against == againstDemand {
		if actual, err = store.TrueDemand(ctx, cfg.Dataset, sp); err != nil {
			return backtestResult{}, err
		}
	}
	var train [][]float64 // nil: learn from the actual values themselves
	switch {
	case cfg.Correct && res.censored > 0:
		res.corrected = true
		train = panelValues(forecast.Censoring{UnmetShare: cfg.UnmetShare}.Demand(sp))
	case cfg.Against == againstDemand:
		train = panelValues(sp.Panel())
	}
	res.readSeconds = time.Since(start).Seconds()

	methods := forecast.BacktestMethods()
	bt := forecast.BacktestConfig{Horizon: cfg.Horizon, Origins: cfg.Origins, Step: cfg.Step, Workers: cfg.Workers}
	bar := newProgress(stderr, "backtest", "method × origin", int64(len(methods)*cfg.Origins))
	for i, m := range methods {
		if train != nil {
			m = forecast.TrainOn(m, train)
		}
		methods[i] = countedMethod{Method: m, bar: bar}
	}
	rep, err := forecast.Backtest(ctx, actual, bt, methods...)
	bar.Finish()
	if err != nil {
		return backtestResult{}, err
	}
	res.BacktestReport = rep
	return res, nil
}

func panelValues(p forecast.Panel) [][]float64 {
	out := make([][]float64, len(p.Series))
	for i, s := range p.Series {
		out[i] = s.Values
	}
	return out
}

// countedMethod advances a progress bar after every batch a method forecasts.
type countedMethod struct {
	forecast.Method
	bar *progress
}

func (m countedMethod) ForecastBatch(ctx context.Context, b forecast.Batch, out []forecast.Forecast) error {
	err := m.Method.ForecastBatch(ctx, b, out)
	m.bar.Add(1)
	return err
}

func (r backtestResult) printTable(w io.Writer) {
	var b strings.Builder
	scope := ""
	if r.scarce {
		scope = " (scarce brands)"
	}
	fmt.Fprintf(&b, "backtest of dataset %s%s: %d series, %d weeks %s … %s\n", r.dataset, scope, r.Series, r.Weeks,
		r.first.Format(time.DateOnly), r.last.Format(time.DateOnly))
	origins := make([]string, len(r.Origins))
	for i, o := range r.Origins {
		origins[i] = o.Format(time.DateOnly)
	}
	fmt.Fprintf(&b, "origins (last week seen): %s; horizon %d weeks, step %d weeks\n", strings.Join(origins, ", "),
		r.Config.Horizon, r.Config.Step)
	switch {
	case r.censored == 0:
		fmt.Fprintf(&b, "learnt from the sales (no censored week); ")
	case r.corrected:
		fmt.Fprintf(&b, "learnt from the sales corrected for %d censored series × weeks (%.2f%%); ", r.censored,
			100*float64(r.censored)/float64(max(r.cells, 1)))
	default:
		fmt.Fprintf(&b, "learnt from the sales as recorded (%d censored series × weeks not corrected); ", r.censored)
	}
	if r.against == againstDemand {
		b.WriteString("scored against the true demand\n\n")
	} else {
		b.WriteString("scored against the sales\n\n")
	}
	fmt.Fprintf(&b, "%-10s %8s %8s %8s %8s %8s %9s\n", "method", "wape", "bias", "brand", "total", "rmsse", "seconds")
	for _, m := range r.Results {
		fmt.Fprintf(&b, "%-10s %8.4f %+8.4f %8.4f %8.4f %8.4f %9.3f\n", m.Method, m.WAPE, m.Bias, m.BrandAccuracy,
			m.TotalAccuracy, m.RMSSE, m.Seconds)
	}
	b.WriteString("\nwape and bias over all series, origins and weeks; brand and total: accuracy 1 − |ΣA − ΣF| / ΣA of each\n" +
		"brand's and of the grand total over each window, weighted by ΣA; rmsse: mean over series and origins.\n")
	io.WriteString(w, b.String())
}

// metricsJSON is forecast.Metrics in the JSON of `forecast backtest --json`.
type metricsJSON struct {
	WAPE          jsonFloat `json:"wape"`
	Bias          jsonFloat `json:"bias"`
	BrandAccuracy jsonFloat `json:"brand_accuracy"`
	TotalAccuracy jsonFloat `json:"total_accuracy"`
	RMSSE         jsonFloat `json:"rmsse"`
	Seconds       jsonFloat `json:"seconds"`
}

func toMetricsJSON(m forecast.Metrics) metricsJSON {
	return metricsJSON{WAPE: jsonFloat(m.WAPE), Bias: jsonFloat(m.Bias), BrandAccuracy: jsonFloat(m.BrandAccuracy),
		TotalAccuracy: jsonFloat(m.TotalAccuracy), RMSSE: jsonFloat(m.RMSSE), Seconds: jsonFloat(m.Seconds)}
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
	Dataset   string                 `json:"dataset"`
	Series    int                    `json:"series"`
	Origins   int                    `json:"origins"`
	Horizon   int                    `json:"horizon"`
	Step      int                    `json:"step"`
	Weeks     int                    `json:"weeks"`
	Against   string                 `json:"against"`
	Corrected bool                   `json:"corrected"`
	Engine    metricsJSON            `json:"engine"`
	Methods   map[string]metricsJSON `json:"methods"`
}

func (r backtestResult) printJSON(w io.Writer) error {
	out := backtestJSON{
		Dataset: r.dataset, Series: r.Series, Origins: r.Config.Origins, Horizon: r.Config.Horizon,
		Step: r.Config.Step, Weeks: r.Weeks, Against: r.against, Corrected: r.corrected,
		Methods: make(map[string]metricsJSON, len(r.Results)),
	}
	for _, m := range r.Results {
		out.Methods[m.Method] = toMetricsJSON(m.Metrics)
	}
	if eng, ok := r.Result(forecast.NewEngine().Name()); ok {
		out.Engine = toMetricsJSON(eng.Metrics)
	}
	enc := json.NewEncoder(w)
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("forecast backtest: %w", err)
	}
	return nil
}

package forecast

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

// SalesReader reads what a backtest of a dataset scores (forecast/clickhouse.Store).
//
// SalesHistory reads a dataset's weekly sell-in per outlet × brand as q says, sorted by outlet then
// brand; a dataset without history gives an empty panel or an error wrapping the store's sentinel.
// TrueDemand returns the true demand the seed generator kept for every series of p on p's calendar,
// in p's order (a week without a row is 0), or an error (wrapping the store's sentinel) when the
// dataset has none in p's weeks. Both are safe for concurrent use.
type SalesReader interface {
	SalesHistory(ctx context.Context, q HistoryQuery) (SalesPanel, error)
	TrueDemand(ctx context.Context, dataset string, p SalesPanel) (Panel, error)
}

// BacktestRequest says what backtest of a dataset to make.
type BacktestRequest struct {
	Dataset string
	// AsOf names the first forecast week of the latest origin, as forecast run's AsOf names its first
	// week: origins are the weeks of AsOf and Config.Step·k weeks before it, each the first week a
	// method forecasts, and the history is read up to the end of the latest window. Zero: the latest
	// window ends with the history (origins o_k = T − h − step·k).
	AsOf time.Time
	// OriginDates, when set, are the origins themselves, each the Monday of the first week forecast
	// from it; they replace AsOf and Config's Origins and Step. Each must leave at least one week of
	// history before it and Config.Horizon weeks from it in the history.
	OriginDates []time.Time
	Scarce      bool    // only the series of brands flagged scarce in the dataset's master data
	Against     Against // AgainstSales (the history itself) when "", or AgainstTruth (the true demand)
	// Correct lets the methods learn from sales corrected for censored demand (when some week was
	// censored), with UnmetShare of a censored week's unmet request counted as demand.
	Correct    bool
	UnmetShare float64
	Config     BacktestConfig
	// TopDown adds TopDown to the methods of BacktestMethods, with the holidays of Region
	// (CalendarScope) in its regressions.
	TopDown bool
	Region  string
}

// ErrOriginOutside is returned (wrapped) by Backtester.Run for an origin the history cannot score:
// not a week of it, without a week before it, or without Horizon weeks from it.
var ErrOriginOutside = errors.New("forecast: backtest origin outside the history")

// BacktestResult is the report of a backtest of a dataset, with what it was run on.
type BacktestResult struct {
	BacktestReport
	Starts          []time.Time // the first week forecast from each origin, latest first
	Dataset         string
	Against         Against
	Scarce          bool
	Corrected       bool      // the methods learnt from the sales corrected for censored demand
	Censored, Cells int       // censored series × weeks among all of them
	First, Last     time.Time // the first and last week of the history
	Read            time.Duration
	TopDown         bool
	Holidays        int // holiday days of the calendar table in TopDown's regressions
	// EngineHolidays is the number of holiday days the engine learnt festival profiles from; when
	// some, the results also hold the engine without them ("no-holiday"), to show what they bring.
	EngineHolidays int
	// Learnt is the correction learnt from the scans of the weeks before the first origin; nil: none.
	Learnt *LearntCensoring
}

// Backtester backtests datasets of a store: it reads their history, corrects it for censored
// demand, and scores the methods of BacktestMethods (and TopDown, when asked) by Backtest.
type Backtester struct {
	Sales    SalesReader
	Calendar CalendarReader // the holidays of the Engine's festival profiles and of TopDown's regressions; nil: none (no TopDown)
	Progress Progress       // nil: none
	// Scans, when not nil, lets a corrected backtest of the live dataset learn its censored demand from
	// the collection points' scans of the weeks before its first origin (LearnCensoring).
	Scans ScanReader
}

// Run backtests one dataset. It returns an error wrapping ErrNoHistory when the dataset has no series,
// Backtest's errors, and the readers' errors.
func (b *Backtester) Run(ctx context.Context, req BacktestRequest) (BacktestResult, error) {
	progress := b.Progress
	if progress == nil {
		progress = noProgress{}
	}
	if req.Against == "" {
		req.Against = AgainstSales
	}
	if req.Against != AgainstSales && req.Against != AgainstTruth {
		return BacktestResult{}, fmt.Errorf("forecast: backtest against %q: want %q or %q", req.Against, AgainstSales, AgainstTruth)
	}
	start := time.Now()
	starts := req.originDates()
	var before time.Time // zero: all the history
	if len(starts) > 0 {
		before = starts[0].AddDate(0, 0, 7*req.Config.withDefaults().Horizon)
	}
	advance, finish := progress.Step("read history", "rows", 0)
	sp, err := b.Sales.SalesHistory(ctx, HistoryQuery{Dataset: req.Dataset, Before: before, ScarceBrands: req.Scarce,
		Progress: advance})
	finish()
	if err != nil {
		return BacktestResult{}, err
	}
	if len(sp.Series) == 0 || len(sp.Weeks) == 0 {
		return BacktestResult{}, fmt.Errorf("%w: dataset %s has no series to score", ErrNoHistory, req.Dataset)
	}
	if len(starts) > 0 {
		if req.Config.At, err = originIndexes(sp.Weeks, starts, req.Config.withDefaults().Horizon); err != nil {
			return BacktestResult{}, err
		}
	}
	res := BacktestResult{Dataset: req.Dataset, Against: req.Against, Scarce: req.Scarce, Censored: sp.CensoredWeeks(),
		Cells: len(sp.Series) * len(sp.Weeks), First: sp.Weeks[0], Last: sp.Weeks[len(sp.Weeks)-1]}
	origins, err := req.Config.OriginWeeks(len(sp.Weeks))
	if err != nil {
		return BacktestResult{}, err
	}
	for _, o := range origins {
		res.Starts = append(res.Starts, sp.Weeks[o])
	}
	actual := sp.Panel()
	if req.Against == AgainstTruth {
		if actual, err = b.Sales.TrueDemand(ctx, req.Dataset, sp); err != nil {
			return BacktestResult{}, err
		}
	}
	var train [][]float64     // nil: learn from the actual values themselves
	var observed Observations // what intervals are calibrated against; zero: train
	var learnt *LearntCensoring
	if req.Correct && b.Scans != nil && req.Dataset == LiveDataset {
		if learnt, err = learnCensoring(ctx, b.Scans, sp, slices.Min(origins)); err != nil {
			return BacktestResult{}, err
		}
		res.Learnt = learnt
	}
	switch {
	case learnt != nil:
		res.Corrected = true
		observed = learnt.DemandDraws(sp, 0)
		train = panelValues(learnt.Demand(sp))
	case req.Correct && res.Censored > 0:
		res.Corrected = true
		train = panelValues(Censoring{UnmetShare: req.UnmetShare}.Demand(sp))
	case req.Against == AgainstTruth:
		train = panelValues(sp.Panel())
	}
	res.Read = time.Since(start)

	methods := BacktestMethods()
	if b.Calendar != nil { // the engine's festival profiles
		horizon := req.Config.withDefaults().Horizon
		cal, err := readScopedCalendar(ctx, b.Calendar, CalendarScope{Dataset: req.Dataset, Region: req.Region},
			sp.Weeks[0], sp.Weeks[len(sp.Weeks)-1].AddDate(0, 0, 7*(horizon+1)))
		if err != nil {
			return BacktestResult{}, err
		}
		for _, m := range methods {
			e, ok := m.(*Engine)
			if !ok {
				continue
			}
			plain := *e // the same engine, before it learns the calendar
			e.Holidays = NewHolidays(cal.Holidays)
			if len(cal.Holidays) > 0 {
				methods = append(methods, withoutHolidays{&plain})
				res.EngineHolidays = len(cal.Holidays)
			}
		}
	}
	if req.TopDown {
		td, holidays, err := b.topDown(ctx, req, sp)
		if err != nil {
			return BacktestResult{}, err
		}
		methods = append(methods, td)
		res.TopDown, res.Holidays = true, holidays
	}
	cfg := req.Config.withDefaults()
	// Every origin forecasts once, and once more from each calibration origin.
	advance, finish = progress.Step("backtest", "method × origin", len(methods)*cfg.Origins*(1+max(cfg.Calibration, 0)))
	done := new(atomic.Int64)
	for i, m := range methods {
		switch {
		case observed.Values != nil:
			m = TrainOnObserved(m, train, observed)
		case train != nil:
			m = TrainOn(m, train)
		}
		methods[i] = countedMethod{Method: m, done: done, advance: advance}
	}
	rep, err := Backtest(ctx, actual, req.Config, methods...)
	finish()
	if err != nil {
		return BacktestResult{}, err
	}
	res.BacktestReport = rep
	return res, nil
}

// originDates returns the first forecast week of each origin req names, latest first, or nil when it
// names none (the latest window ends with the history).
func (req BacktestRequest) originDates() []time.Time {
	if len(req.OriginDates) > 0 {
		out := make([]time.Time, len(req.OriginDates))
		for i, d := range req.OriginDates {
			out[i] = Monday(d)
		}
		slices.SortFunc(out, func(a, b time.Time) int { return b.Compare(a) })
		return slices.CompactFunc(out, time.Time.Equal)
	}
	if req.AsOf.IsZero() {
		return nil
	}
	cfg := req.Config.withDefaults()
	out := make([]time.Time, cfg.Origins)
	for k := range out {
		out[k] = Monday(req.AsOf).AddDate(0, 0, -7*cfg.Step*k)
	}
	return out
}

// originIndexes returns the origins (weeks seen) whose first forecast weeks are starts on the
// calendar weeks, or an error wrapping ErrOriginOutside for a start that is not one of its weeks, has
// no week before it or fewer than horizon weeks from it.
func originIndexes(weeks, starts []time.Time, horizon int) ([]int, error) {
	out := make([]int, len(starts))
	for k, s := range starts {
		i, found := slices.BinarySearchFunc(weeks, s, time.Time.Compare)
		if !found || i < 1 || i+horizon > len(weeks) {
			return nil, fmt.Errorf("%w: %s: the history has the weeks %s … %s, and an origin needs a week before it "+
				"and %d weeks from it", ErrOriginOutside, s.Format(time.DateOnly), weeks[0].Format(time.DateOnly),
				weeks[len(weeks)-1].Format(time.DateOnly), horizon)
		}
		out[k] = i
	}
	return out, nil
}

// topDown returns the TopDown of a backtest of sp, with the holidays of req's CalendarScope over its
// weeks and the forecast weeks after them, and the number of those holiday days.
func (b *Backtester) topDown(ctx context.Context, req BacktestRequest, sp SalesPanel) (*TopDown, int, error) {
	if b.Calendar == nil {
		return nil, 0, errors.New("forecast: a top-down backtest without a calendar")
	}
	weeks := sp.Weeks
	horizon := req.Config.withDefaults().Horizon
	end := weeks[len(weeks)-1].AddDate(0, 0, 7*(horizon+1)) // the Monday after the last forecast week
	cal, err := readScopedCalendar(ctx, b.Calendar, CalendarScope{Dataset: req.Dataset, Region: req.Region}, weeks[0], end)
	if err != nil {
		return nil, 0, err
	}
	hol := NewHolidays(cal.Holidays)
	td := &TopDown{Engine: &Engine{Holidays: hol}, Weeks: weeks, Regression: Regression{Holidays: hol}}
	if sp.CensoredWeeks() > 0 {
		td.Censored = make([][]bool, len(sp.Series))
		for i, s := range sp.Series {
			td.Censored[i] = s.Censored
		}
	}
	return td, len(cal.Holidays), nil
}

func panelValues(p Panel) [][]float64 {
	out := make([][]float64, len(p.Series))
	for i, s := range p.Series {
		out[i] = s.Values
	}
	return out
}

// countedMethod moves a progress step on after every batch a method forecasts.
type countedMethod struct {
	Method
	done    *atomic.Int64
	advance func(done int)
}

// calibrationValues passes on those of a TrainOn method (the zero Observations otherwise).
func (m countedMethod) calibrationValues() Observations {
	if t, ok := m.Method.(trainer); ok {
		return t.calibrationValues()
	}
	return Observations{}
}

func (m countedMethod) ForecastBatch(ctx context.Context, b Batch, out []Forecast) error {
	err := m.Method.ForecastBatch(ctx, b, out)
	m.advance(int(m.done.Add(1)))
	return err
}

// withoutHolidays is the Engine without a calendar, scored beside the Engine with the dataset's
// holidays: the difference is what the holidays bring to its forecasts.
type withoutHolidays struct{ *Engine }

// Name returns "no-holiday".
func (withoutHolidays) Name() string { return "no-holiday" }

// FinalMethod returns the name of the method whose figures are the backtest's answer: TopDown's when
// the backtest had it, the Engine's otherwise.
func (r BacktestResult) FinalMethod() string {
	if r.TopDown {
		return (&TopDown{}).Name()
	}
	return NewEngine().Name()
}

// WriteTable writes r as the table of `ordercast forecast backtest`: the windows, what the methods
// learnt from and were scored against, one line of metrics per method, and their legend.
func (r BacktestResult) WriteTable(w io.Writer) error {
	var b strings.Builder
	scope := ""
	if r.Scarce {
		scope = " (scarce brands)"
	}
	fmt.Fprintf(&b, "backtest of dataset %s%s: %d series, %d weeks %s … %s\n", r.Dataset, scope, r.Series, r.Weeks,
		r.First.Format(time.DateOnly), r.Last.Format(time.DateOnly))
	origins := make([]string, len(r.Origins))
	for i, o := range r.Origins {
		origins[i] = o.Format(time.DateOnly)
	}
	if len(r.Config.At) > 0 {
		fmt.Fprintf(&b, "origins (last week seen): %s; horizon %d weeks\n", strings.Join(origins, ", "), r.Config.Horizon)
	} else {
		fmt.Fprintf(&b, "origins (last week seen): %s; horizon %d weeks, step %d weeks\n", strings.Join(origins, ", "),
			r.Config.Horizon, r.Config.Step)
	}
	switch {
	case r.Learnt != nil:
		fmt.Fprintf(&b, "learnt from the sales plus the demand they lost, %s; ", r.Learnt.Summary())
	case r.Censored == 0:
		fmt.Fprintf(&b, "learnt from the sales (no censored week); ")
	case r.Corrected:
		fmt.Fprintf(&b, "learnt from the sales corrected for %d censored series × weeks (%.2f%%); ", r.Censored,
			100*float64(r.Censored)/float64(max(r.Cells, 1)))
	default:
		fmt.Fprintf(&b, "learnt from the sales as recorded (%d censored series × weeks not corrected); ", r.Censored)
	}
	if r.Against == AgainstTruth {
		b.WriteString("scored against the true demand\n\n")
	} else {
		b.WriteString("scored against the sales\n\n")
	}
	fmt.Fprintf(&b, "%-10s %8s %8s %8s %8s %8s %7s %7s %7s %9s\n", "method", "wape", "bias", "brand", "total", "rmsse",
		"cov:out", "brand", "total", "seconds")
	for _, m := range r.Results {
		fmt.Fprintf(&b, "%-10s %8.4f %+8.4f %8.4f %8.4f %8.4f %7.3f %7.3f %7.3f %9.3f\n", m.Method, m.WAPE, m.Bias, m.BrandAccuracy,
			m.TotalAccuracy, m.RMSSE, m.Coverage.Outlet, m.Coverage.Brand, m.Coverage.Total, m.Seconds)
	}
	b.WriteString("\nwape and bias over all series, origins and weeks; brand and total: accuracy 1 − |ΣA − ΣF| / ΣA of each\n" +
		"brand's and of the grand total over each window, weighted by ΣA; rmsse: mean over series and origins.\n")
	fmt.Fprintf(&b, "cov: share of actuals within the 80%% intervals, per week, of outlet × brand series (weeks with demand),\n"+
		"brands and the total; each level's interval calibrated on its own errors from %d earlier origins", r.Config.Calibration)
	if r.Learnt != nil {
		b.WriteString(",\nagainst a draw of the demand behind the corrected history (the correction's errors measured at the\n" +
			"collection points)")
	}
	b.WriteString(".\n")
	if r.EngineHolidays > 0 {
		fmt.Fprintf(&b, "no-holiday: the engine without the calendar's %d holiday days (no festival profiles, no festival\n"+
			"windows in its model choice), to show what they bring.\n", r.EngineHolidays)
	}
	if r.TopDown {
		fmt.Fprintf(&b, "topdown: the engine, then each brand's and the grand total's regression (trend, the value a year\n"+
			"earlier or, when a holiday falls in the weeks, Fourier terms, %d holiday days of the calendar table,\n"+
			"the share of outlets cut by limits) or its blend with the sum of the outlets where it validated\n"+
			"better before the origin, distributed down to the outlets.\n", r.Holidays)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

package forecast

import (
	"context"
	"errors"
	"fmt"
	"io"
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
	// Before ends the history: only the weeks before the week of this day are scored. Zero: all of it.
	Before  time.Time
	Scarce  bool    // only the series of brands flagged scarce in the dataset's master data
	Against Against // AgainstSales (the history itself) when "", or AgainstTruth (the true demand)
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

// BacktestResult is the report of a backtest of a dataset, with what it was run on.
type BacktestResult struct {
	BacktestReport
	Dataset         string
	Against         Against
	Scarce          bool
	Corrected       bool      // the methods learnt from the sales corrected for censored demand
	Censored, Cells int       // censored series × weeks among all of them
	First, Last     time.Time // the first and last week of the history
	Read            time.Duration
	TopDown         bool
	Holidays        int // holiday days of the calendar table in TopDown's regressions
}

// Backtester backtests datasets of a store: it reads their history, corrects it for censored
// demand, and scores the methods of BacktestMethods (and TopDown, when asked) by Backtest.
type Backtester struct {
	Sales    SalesReader
	Calendar CalendarReader // read only for a TopDown backtest, which needs it
	Progress Progress       // nil: none
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
	advance, finish := progress.Step("read history", "rows", 0)
	sp, err := b.Sales.SalesHistory(ctx, HistoryQuery{Dataset: req.Dataset, Before: req.Before, ScarceBrands: req.Scarce,
		Progress: advance})
	finish()
	if err != nil {
		return BacktestResult{}, err
	}
	if len(sp.Series) == 0 || len(sp.Weeks) == 0 {
		return BacktestResult{}, fmt.Errorf("%w: dataset %s has no series to score", ErrNoHistory, req.Dataset)
	}
	res := BacktestResult{Dataset: req.Dataset, Against: req.Against, Scarce: req.Scarce, Censored: sp.CensoredWeeks(),
		Cells: len(sp.Series) * len(sp.Weeks), First: sp.Weeks[0], Last: sp.Weeks[len(sp.Weeks)-1]}
	actual := sp.Panel()
	if req.Against == AgainstTruth {
		if actual, err = b.Sales.TrueDemand(ctx, req.Dataset, sp); err != nil {
			return BacktestResult{}, err
		}
	}
	var train [][]float64 // nil: learn from the actual values themselves
	switch {
	case req.Correct && res.Censored > 0:
		res.Corrected = true
		train = panelValues(Censoring{UnmetShare: req.UnmetShare}.Demand(sp))
	case req.Against == AgainstTruth:
		train = panelValues(sp.Panel())
	}
	res.Read = time.Since(start)

	methods := BacktestMethods()
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
		if train != nil {
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
	td := &TopDown{Weeks: weeks, Regression: Regression{Holidays: NewHolidays(cal.Holidays)}}
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

// trainingValues passes on those of a TrainOn method, for calibration (nil otherwise).
func (m countedMethod) trainingValues() [][]float64 {
	if t, ok := m.Method.(trainer); ok {
		return t.trainingValues()
	}
	return nil
}

func (m countedMethod) ForecastBatch(ctx context.Context, b Batch, out []Forecast) error {
	err := m.Method.ForecastBatch(ctx, b, out)
	m.advance(int(m.done.Add(1)))
	return err
}

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
	fmt.Fprintf(&b, "origins (last week seen): %s; horizon %d weeks, step %d weeks\n", strings.Join(origins, ", "),
		r.Config.Horizon, r.Config.Step)
	switch {
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
		"brands and the total; each level's interval calibrated on its own errors from %d earlier origins.\n", r.Config.Calibration)
	if r.TopDown {
		fmt.Fprintf(&b, "topdown: the engine, then each brand's and the grand total's regression (trend, the value a year\n"+
			"earlier, %d holiday days of the calendar table, the share of outlets cut by limits) or its blend with\n"+
			"the sum of the outlets where it validated better before the origin, distributed down to the outlets.\n", r.Holidays)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

package forecast

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// HistoryReader reads the history a forecast run learns from (forecast/clickhouse.Store).
//
// Dataset describes a dataset's history, or fails (wrapping the store's sentinel) for one without
// any. SalesHistory reads its weekly sell-in per outlet × brand as q says, sorted by outlet then
// brand. Both are safe for concurrent use.
type HistoryReader interface {
	Dataset(ctx context.Context, dataset string) (DatasetInfo, error)
	SalesHistory(ctx context.Context, q HistoryQuery) (SalesPanel, error)
}

// CalendarReader reads the calendar: the calendar table's holidays and decreed working days in
// [from, to), of every region (Dataset ""), and the holidays imported for dataset in [from, to)
// (Dataset set). An empty calendar is no error. CalendarScope says which of them a forecast uses.
type CalendarReader interface {
	Calendar(ctx context.Context, dataset string, from, to time.Time) ([]CalendarDay, error)
}

// CatalogueReader reads the brands of a dataset as its master data says now; a dataset without
// master data has none, which is no error.
type CatalogueReader interface {
	Brands(ctx context.Context, dataset string) ([]Brand, error)
}

// RunWriter stores a forecast run, all of it or (on error) a part that readers do not take as a
// run. progress, when not nil, is called with the rows written so far; blockRows ≤ 0 means the
// writer's default.
type RunWriter interface {
	WriteRun(ctx context.Context, r Run, blockRows int, progress func(rows int)) error
}

// Progress is told how a long step of a run advances, for a progress bar. Step is called when a
// step starts, with its unit and total (0 when unknown); it returns the function that moves the step
// to a running count and the one that ends it. A Progress must be safe for concurrent use.
type Progress interface {
	Step(name, unit string, total int) (advance func(done int), finish func())
}

// Defaults of RunRequest.
const (
	DefaultRunHorizon = 5  // weeks a run forecasts
	ActiveWeeks       = 52 // a series is forecast when it has history in this many weeks before the run
	MaxRunAhead       = 104
)

// ErrNoHistory is returned (wrapped) by Planner.Run and Backtester.Run when the dataset has no series
// to forecast or score.
var ErrNoHistory = errors.New("forecast: no history to forecast from")

// RunRequest says what run to make.
type RunRequest struct {
	ID      string // the run id; required
	Dataset string
	// AsOf is a day of the first forecast week; the run learns from the weeks before it. Zero: the
	// week after the dataset's last week of history, or now's week if that is earlier.
	AsOf       time.Time
	Horizon    int  // weeks; DefaultRunHorizon when 0
	Correct    bool // learn from sales corrected for censored demand
	UnmetShare float64
	Workers    int
	// TopDown lets brand and total regressions with calendar, trend and supply terms set the upper
	// levels where they validate better than the sum of the outlets (TopDown), and distributes them.
	TopDown bool
	// Region is the calendar region whose holidays the regressions use; "" for the default of the
	// dataset (CalendarScope: every region's for the live dataset, none for an imported one).
	Region string
	// Launches are the new products to forecast from like items. Nil: every new product of the
	// catalogue without history in the run whose launch falls before the end of the horizon, at the
	// outlets that carry its like items.
	Launches []Launch
	// Now is when the run starts, in the region's time zone: a zero AsOf is at most the week of its
	// calendar day there.
	Now time.Time
}

// RunReport says what a run did.
type RunReport struct {
	Run                     Run
	HistoryWeeks            []time.Time
	Outlets                 int
	Censored, Cells         int
	Corrected               bool
	WeeklyRows, MonthlyRows int
	Read, Fit, Store, Total time.Duration
	Learn                   time.Duration  // learning the censoring from the scans and correcting the history by it
	Choices                 map[string]int // the engine's model set → brands
	CalendarDays, Holidays  int            // days of the calendar table over the run in its CalendarScope, holidays among them
	HorizonGap              int            // weeks between the history and the first forecast week, forecast and dropped
	Top                     *TopPlan       // nil unless TopDown
	Launches                []LaunchForecast
	LaunchCurve             LaunchStats
	AfterLaunch             []AfterLaunch    // new products in their first AfterLaunchWeeks weeks of sales; Total nil where not set
	Calibration             Calibration      // the factors of each level's 80% intervals, over the run's weeks plus HorizonGap
	Annual                  AnnualCycle      // the year's swing the engine divided the series by; zero: none
	Learnt                  *LearntCensoring // the correction learnt from the scans; nil: none (Censoring)
}

// Planner makes forecast runs: it reads the history, forecasts every active outlet × brand with the
// Engine (and, when asked, sets brand and total forecasts top-down), forecasts new products from like
// items, reconciles the levels and stores the run.
type Planner struct {
	History   HistoryReader
	Calendar  CalendarReader
	Catalogue CatalogueReader // nil: no new products
	Runs      RunWriter
	Progress  Progress // nil: none
	Engine    *Engine  // NewEngine() when nil
	// Scans, when not nil, lets a corrected run of the live dataset learn its censored demand from the
	// collection points' scans (LearnCensoring); without it, or without scans, only limited weeks are
	// corrected, by the fixed UnmetShare (Censoring).
	Scans ScanReader
}

type noProgress struct{}

func (noProgress) Step(string, string, int) (func(int), func()) { return func(int) {}, func() {} }

// Run makes and stores one run. It returns an error wrapping ErrNoHistory when the dataset has no
// series with history in the ActiveWeeks before the run, and the readers' and writer's errors.
//
// Its steps: read the history, the calendar and the catalogue (read); correct the history for
// censored demand (correctHistory); choose and apply the Engine's models per brand (fitOutlets);
// when asked, set the brand and total levels top-down (topLevels); forecast new products from like
// items (addLaunches); reconcile the levels; store the run (store).
func (p *Planner) Run(ctx context.Context, req RunRequest) (RunReport, error) {
	start := time.Now()
	progress := p.Progress
	if progress == nil {
		progress = noProgress{}
	}
	if req.Horizon <= 0 {
		req.Horizon = DefaultRunHorizon
	}
	if req.ID == "" {
		return RunReport{}, errors.New("forecast: run without an id")
	}
	// The scans of a corrected live run are read while the sales history still is: the weeks are
	// known before its rows.
	var scans ScanReader
	var onWeeks func([]time.Time)
	if req.Correct && p.Scans != nil && req.Dataset == LiveDataset {
		early := newEarlyScans(ctx, p.Scans)
		defer early.stop()
		scans, onWeeks = early, early.start
	}
	in, err := p.read(ctx, req, progress, onWeeks)
	if err != nil {
		return RunReport{}, err
	}
	sp := in.sales
	rep := RunReport{HistoryWeeks: sp.Weeks, Corrected: req.Correct, Cells: len(sp.Series) * len(sp.Weeks),
		Read: time.Since(start), CalendarDays: in.calendar.Days, Holidays: len(in.calendar.Holidays)}
	learnStart := time.Now()
	if scans != nil {
		if rep.Learnt, err = learnCensoring(ctx, scans, sp, len(sp.Weeks)); err != nil {
			return RunReport{}, err
		}
	}
	// Weeks from the end of the history to the first forecast week are forecast too, then dropped.
	last := sp.Weeks[len(sp.Weeks)-1]
	gap := max(int(in.first.Sub(last).Hours()/24/7)-1, 0)
	// Intervals are calibrated against a draw of the demand behind the corrected history, in the
	// weeks the calibration windows score.
	var observed Observations
	if req.Correct && rep.Learnt != nil {
		observed = rep.Learnt.DemandDraws(sp, len(sp.Weeks)-(gap+req.Horizon)-DefaultCalibrationWindows+1)
	}
	panel, censored, censoredWeeks := correctHistory(sp, req, rep.Learnt)
	rep.Censored = censoredWeeks
	rep.Learn = time.Since(learnStart)

	fitStart := time.Now()
	if gap+req.Horizon > MaxRunAhead {
		return RunReport{}, fmt.Errorf("the first forecast week, %s, is %d weeks after the last week of history, %s: "+
			"forecast from an earlier as-of", in.first.Format(time.DateOnly), gap+1, last.Format(time.DateOnly))
	}
	rep.HorizonGap = gap
	rep.Outlets = countOutlets(panel)
	eng := NewEngine()
	if p.Engine != nil {
		e := *p.Engine
		eng = &e
	}
	eng.Holidays = NewHolidays(in.calendar.Holidays)
	// Without top-down levels, which need the forecasts first, the forecasts are made in the pass of
	// the calibration below, which fits every earlier origin of a series with its own.
	fit, err := fitOutlets(ctx, eng, panel, last.AddDate(0, 0, 7), gap+req.Horizon, req.Workers, !req.TopDown, progress)
	if err != nil {
		return RunReport{}, err
	}
	rep.Choices = fit.choices
	if len(fit.chosen) > 0 {
		rep.Annual = fit.chosen[0].Annual // one cycle for the whole batch
	}
	var top topLevels
	if req.TopDown {
		td := &TopDown{Engine: eng, Weeks: panel.Weeks, Censored: censored,
			Regression: Regression{Holidays: NewHolidays(in.calendar.Holidays)}}
		if top, err = setTopLevels(ctx, td, fit); err != nil {
			return RunReport{}, err
		}
		rep.Top = &top.plan
	}
	// Each level's intervals are calibrated on its own errors from earlier origins, with the models
	// chosen for this run (Calibrate, as with Apply; every origin of a series is fitted in one pass).
	windows := engineWindows{e: eng, choices: fit.chosen}
	var filled int
	finish := func() {}
	if fit.pending {
		var advance func(int)
		advance, finish = progress.Step("forecast", "series", len(fit.out))
		windows.final, windows.filled, windows.advance = fit.out, &filled, advance
	}
	cal, err := calibrate(ctx, windows, fit.batch, observed, DefaultCalibrationWindows)
	if err == nil && fit.pending && filled < len(fit.out) { // no origin to calibrate on: forecast alone
		err = eng.Apply(ctx, fit.batch, fit.chosen, fit.out)
	}
	finish()
	if err != nil {
		return RunReport{}, err
	}
	if cal.Outlet != nil {
		cal.Festival = eng.HolidaySpread(fit.batch)
	}
	rep.Calibration = cal
	for i := range fit.out { // keep the stored weeks
		fit.out[i] = Forecast{Mean: fit.out[i].Mean[gap:], Lower: fit.out[i].Lower[gap:], Upper: fit.out[i].Upper[gap:]}
	}
	run := newRun(req, in.first, panel, fit, top)

	// New products in their first weeks on sale: their totals from like items, scaled by their sales
	// so far.
	rep.AfterLaunch = forecastAfterLaunch(&run, len(panel.Series), panel, in.catalogue)

	// New products, from like items: their series join the run's before the levels are reconciled.
	launches := req.Launches
	if launches == nil {
		launches = dueLaunches(in.catalogue, fit.brandCodes, in.end)
	}
	if len(launches) > 0 {
		rep.Launches, rep.LaunchCurve = addLaunches(&run, len(panel.Series), panel, in.catalogue, launches)
	}
	rec, err := cal.Cut(gap).Reconcile(run.Series, run.BrandOf, len(run.BrandCodes))
	if err != nil {
		return RunReport{}, err
	}
	run.Reconciled = rec
	rep.Fit = time.Since(fitStart)
	run.Models = runModels(rep, req)
	rep.Run = run

	rep.WeeklyRows, rep.MonthlyRows = run.Rows()
	storeStart := time.Now()
	if err := p.store(ctx, run, rep.WeeklyRows+rep.MonthlyRows, progress); err != nil {
		return RunReport{}, err
	}
	rep.Store = time.Since(storeStart)
	rep.Total = time.Since(start)
	return rep, nil
}

// runInputs is what a run reads.
type runInputs struct {
	first, end time.Time  // the first forecast week's Monday, and the Monday after the last one
	sales      SalesPanel // the history before first of the series active in the ActiveWeeks before it
	calendar   scopedCalendar
	catalogue  []Brand
}

// read reads what a run learns from: the dataset's history before the run, the calendar days in the
// scope of req's dataset and region, and the catalogue. It returns an error wrapping ErrNoHistory when
// no series is active.
func (p *Planner) read(ctx context.Context, req RunRequest, progress Progress, onWeeks func([]time.Time)) (runInputs, error) {
	info, err := p.History.Dataset(ctx, req.Dataset)
	if err != nil {
		return runInputs{}, err
	}
	asOf := req.AsOf
	if asOf.IsZero() {
		asOf = Monday(info.LastDay).AddDate(0, 0, 7)
		if today := Monday(req.Now); today.Before(asOf) {
			asOf = today
		}
	}
	in := runInputs{first: Monday(asOf)}
	in.end = in.first.AddDate(0, 0, 7*req.Horizon)

	advance, finish := progress.Step("read history", "rows", 0)
	in.sales, err = p.History.SalesHistory(ctx, HistoryQuery{
		Dataset:       req.Dataset,
		Before:        in.first,
		ActiveSince:   in.first.AddDate(0, 0, -7*ActiveWeeks),
		ActiveOutlets: req.Dataset == LiveDataset,
		Progress:      advance,
		OnWeeks:       onWeeks,
	})
	finish()
	if err != nil {
		return runInputs{}, err
	}
	if len(in.sales.Series) == 0 || len(in.sales.Weeks) == 0 {
		return runInputs{}, fmt.Errorf("%w: dataset %s has no series with history in the year before %s",
			ErrNoHistory, req.Dataset, in.first.Format(time.DateOnly))
	}
	in.calendar, err = readScopedCalendar(ctx, p.Calendar, CalendarScope{Dataset: req.Dataset, Region: req.Region},
		in.sales.Weeks[0], in.end)
	if err != nil {
		return runInputs{}, err
	}
	if p.Catalogue != nil {
		if in.catalogue, err = p.Catalogue.Brands(ctx, req.Dataset); err != nil {
			return runInputs{}, err
		}
	}
	return in, nil
}

// correctHistory corrects sp in place when req says so: the sales become the estimated demand (by
// learnt when not nil, else by Censoring), and the requests are let go. It returns the panel to learn from, the censored weeks of each series when
// a top-down run needs them for the supply terms of its regressions (nil otherwise), and the number of
// censored series × weeks.
func correctHistory(sp SalesPanel, req RunRequest, learnt *LearntCensoring) (panel Panel, censored [][]bool, censoredWeeks int) {
	censoredWeeks = sp.CensoredWeeks()
	if req.TopDown && censoredWeeks > 0 {
		censored = make([][]bool, len(sp.Series))
	}
	if req.Correct && learnt != nil {
		learnt.CorrectInPlace(sp)
	}
	for i := range sp.Series {
		s := &sp.Series[i]
		if req.Correct && learnt == nil && s.Censored != nil {
			Censoring{UnmetShare: req.UnmetShare}.Correct(s.Sales, *s)
		}
		if censored != nil {
			censored[i] = s.Censored
		}
		s.Requested, s.Censored = nil, nil
	}
	return sp.Panel(), censored, censoredWeeks
}

// countOutlets returns the number of outlets of p's series.
func countOutlets(p Panel) int {
	outlets := make(map[string]struct{})
	for _, s := range p.Series {
		outlets[s.Outlet] = struct{}{}
	}
	return len(outlets)
}

// outletFit is the Engine's forecast of every outlet × brand series of a run.
type outletFit struct {
	batch      Batch          // the series, grouped by brand
	brandCodes []string       // per brand index, sorted
	choiceName []string       // per brand index: the model set the Engine chose, "ses+tsb" say
	choices    map[string]int // model set → brands that chose it
	chosen     []Choice       // per brand index: the Engine's choice
	out        []Forecast     // per series, batch.Horizon weeks
	pending    bool           // out is not forecast yet: Apply is left to the caller
}

// fitChunk is how many series fitOutlets forecasts between two moves of its progress step.
const fitChunk = 1 << 16

// fitOutlets lets eng choose models per brand on panel's series and forecast horizon weeks of each,
// or only choose when later is true (fit.out allocated, fit.pending). origin is the Monday after the
// last week of panel.
func fitOutlets(ctx context.Context, eng *Engine, panel Panel, origin time.Time, horizon, workers int, later bool,
	progress Progress) (outletFit, error) {
	brandOf, brandCodes := brandGroups(panel)
	series := make([][]float64, len(panel.Series))
	for i, s := range panel.Series {
		series[i] = s.Values
	}
	fit := outletFit{batch: Batch{Series: series, Groups: brandOf, Horizon: horizon, Workers: workers, Origin: origin},
		brandCodes: brandCodes}
	choices, err := eng.Choose(ctx, fit.batch)
	if err != nil {
		return outletFit{}, err
	}
	names := eng.CandidateNames()
	fit.chosen = choices
	fit.choiceName = make([]string, len(choices))
	fit.choices = make(map[string]int)
	for g, ch := range choices {
		set := make([]string, len(ch.Models))
		for k, m := range ch.Models {
			set[k] = names[m]
		}
		fit.choiceName[g] = strings.Join(set, "+")
		fit.choices[fit.choiceName[g]]++
	}
	fit.out = NewForecasts(len(series), horizon, true)
	if later {
		fit.pending = true
		return fit, nil
	}
	advance, finish := progress.Step("forecast", "series", len(series))
	defer finish()
	for lo := 0; lo < len(series); lo += fitChunk {
		hi := min(lo+fitChunk, len(series))
		part := Batch{Series: series[lo:hi], Groups: brandOf[lo:hi], Horizon: horizon, Workers: workers, Origin: origin}
		if err := eng.Apply(ctx, part, choices, fit.out[lo:hi]); err != nil {
			return outletFit{}, err
		}
		advance(hi)
	}
	return fit, nil
}

// topLevels is what set a run's brand and total forecasts top-down.
type topLevels struct {
	plan       TopPlan
	brandModel []string // per brand index: the model of its total; "" for bottom-up
	totalModel string   // "" for bottom-up
}

// setTopLevels lets td set the brand and total levels of fit's forecasts (in place) and names what set
// each.
func setTopLevels(ctx context.Context, td *TopDown, fit outletFit) (topLevels, error) {
	plan, err := td.Top(ctx, fit.batch, fit.out)
	if err != nil {
		return topLevels{}, err
	}
	top := topLevels{plan: plan, brandModel: make([]string, len(fit.brandCodes))}
	for g, m := range plan.Groups {
		if m != BottomUp {
			top.brandModel[g] = m.String()
		}
	}
	if plan.Total != BottomUp {
		top.totalModel = plan.Total.String()
	}
	return top, nil
}

// newRun assembles the run of req from first on: the outlet × brand forecasts of fit (already cut to
// the stored weeks) and what set the upper levels (top's zero value: bottom-up).
func newRun(req RunRequest, first time.Time, panel Panel, fit outletFit, top topLevels) Run {
	run := Run{
		ID:          req.ID,
		Dataset:     req.Dataset,
		AsOf:        first,
		StartedAt:   req.Now,
		Outlets:     make([]string, len(panel.Series)),
		Brands:      make([]string, len(panel.Series)),
		Series:      fit.out,
		SeriesModel: make([]string, len(panel.Series)),
		BrandCodes:  fit.brandCodes,
		BrandOf:     fit.batch.Groups,
		BrandModel:  top.brandModel,
		TotalModel:  top.totalModel,
	}
	for j := range req.Horizon {
		run.Weeks = append(run.Weeks, first.AddDate(0, 0, 7*j))
	}
	for i, s := range panel.Series {
		run.Outlets[i], run.Brands[i], run.SeriesModel[i] = s.Outlet, s.Brand, fit.choiceName[run.BrandOf[i]]
	}
	return run
}

// addLaunches forecasts launches from like items among the first n series of run (those of panel),
// learning their launch curve from the earlier launches of panel's history, and appends the series of
// each launch that some outlet carries to run, as a brand of its own.
func addLaunches(run *Run, n int, panel Panel, catalogue []Brand, launches []Launch) ([]LaunchForecast, LaunchStats) {
	curve, stats := LearnLaunchCurve(panel, catalogue, DefaultLaunchWeeks)
	codes := run.BrandCodes[:len(run.BrandCodes):len(run.BrandCodes)] // the brands with history, sorted
	has := func(code string) bool { _, ok := slices.BinarySearch(codes, code); return ok }
	var out []LaunchForecast
	for _, l := range launches {
		lf := ForecastLaunch(l, LikeItems(l.Brand, catalogue, has), run.Weeks, curve, run.Outlets[:n],
			run.Brands[:n], run.Series[:n])
		out = append(out, lf)
		if len(lf.Outlets) == 0 {
			continue
		}
		b := len(run.BrandCodes)
		run.BrandCodes = append(run.BrandCodes, l.Brand.Code)
		if run.BrandModel != nil {
			run.BrandModel = append(run.BrandModel, "")
		}
		model := "like-items:" + strings.Join(lf.Like, ",")
		for k, o := range lf.Outlets {
			run.Outlets = append(run.Outlets, o)
			run.Brands = append(run.Brands, l.Brand.Code)
			run.Series = append(run.Series, lf.Forecasts[k])
			run.SeriesModel = append(run.SeriesModel, model)
			run.BrandOf = append(run.BrandOf, b)
		}
	}
	return out, stats
}

// forecastAfterLaunch sets in run the total of each new product of catalogue that has sold in the last
// AfterLaunchFirstWeeks to AfterLaunchWeeks weeks of panel (the history of run's first n series) by
// ForecastAfterLaunch, with the launch curve of the launches before its own, and shares it among the
// product's series in proportion to their forecasts.
func forecastAfterLaunch(run *Run, n int, panel Panel, catalogue []Brand) []AfterLaunch {
	codes := run.BrandCodes[:len(run.BrandCodes):len(run.BrandCodes)] // the brands with history, sorted
	has := func(code string) bool { _, ok := slices.BinarySearch(codes, code); return ok }
	var byBrand map[string][]int // panel's series by brand, once a product needs them
	var out []AfterLaunch
	for _, b := range catalogue {
		if !b.NewProduct || b.Launch.IsZero() || !has(b.Code) {
			continue
		}
		l, launched := weekIndex(panel.Weeks, Monday(b.Launch))
		if sold := len(panel.Weeks) - l; !launched || sold < AfterLaunchFirstWeeks || sold > AfterLaunchWeeks {
			continue
		}
		if byBrand == nil {
			byBrand = seriesByBrand(panel)
		}
		curve, _ := learnLaunchCurve(panel, byBrand, LaunchedBefore(catalogue, b), DefaultLaunchWeeks)
		a := forecastAfterLaunchOf(b, LikeItems(b, catalogue, has), panel, byBrand, curve, run.Weeks, run.Outlets[:n],
			run.Brands[:n], run.Series[:n])
		own := byBrand[b.Code] // the run's first n series are panel's
		fs := make([]Forecast, len(own))
		for k, i := range own {
			fs[k] = run.Series[i]
		}
		if !a.Share(fs) {
			a.Total = nil
		} else {
			model := "after-launch:" + strings.Join(a.Like, ",")
			for _, i := range own {
				run.SeriesModel[i] = model
			}
		}
		out = append(out, a)
	}
	return out
}

// store writes run with a progress step over its rows.
func (p *Planner) store(ctx context.Context, run Run, rows int, progress Progress) error {
	advance, finish := progress.Step("store", "rows", rows)
	defer finish()
	return p.Runs.WriteRun(ctx, run, 0, advance)
}

// dueLaunches returns the new products of catalogue that have no series among codes (sorted) and
// launch before end, at the outlets of their like items.
func dueLaunches(catalogue []Brand, codes []string, end time.Time) []Launch {
	var out []Launch
	for _, b := range catalogue {
		if !b.NewProduct || b.Launch.IsZero() || !b.Launch.Before(end) {
			continue
		}
		if _, ok := slices.BinarySearch(codes, b.Code); ok {
			continue
		}
		out = append(out, Launch{Brand: b})
	}
	return out
}

// runModels summarises what forecast a run, for its record.
func runModels(rep RunReport, req RunRequest) string {
	var b strings.Builder
	fmt.Fprintf(&b, "engine per brand: %s", ChoiceSummary(rep.Choices))
	if rep.Top != nil {
		fmt.Fprintf(&b, "; brand level: %s; total: %s", TopSummary(rep.Top.Groups), rep.Top.Total)
	} else {
		b.WriteString("; brand and total bottom-up")
	}
	if len(rep.Launches) > 0 {
		fmt.Fprintf(&b, "; %d new products from like items", len(rep.Launches))
	}
	if n := scaledAfterLaunch(rep.AfterLaunch); n > 0 {
		fmt.Fprintf(&b, "; %d new products in their first weeks from like items scaled by their sales", n)
	}
	switch {
	case req.Correct && rep.Learnt != nil:
		b.WriteString("; censored demand learnt from the scans")
	case req.Correct:
		b.WriteString("; censored demand corrected")
	default:
		b.WriteString("; censored demand not corrected")
	}
	return b.String()
}

// scaledAfterLaunch counts the products of after whose totals were set.
func scaledAfterLaunch(after []AfterLaunch) int {
	n := 0
	for _, a := range after {
		if a.Total != nil {
			n++
		}
	}
	return n
}

// ChoiceSummary lists the model sets the brands chose, the most chosen first, up to 8 of them.
func ChoiceSummary(choices map[string]int) string {
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

// TopSummary counts the models of the groups' totals: "regression ×12, blend ×3, bottom-up ×45".
func TopSummary(groups []TopModel) string {
	var count [numTopModels]int
	for _, m := range groups {
		count[m]++
	}
	var parts []string
	for _, m := range []TopModel{Regressed, Blended, BottomUp} {
		if count[m] > 0 {
			parts = append(parts, fmt.Sprintf("%s ×%d", m, count[m]))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// brandGroups numbers the brands of p in sorted order and returns each series' brand number.
func brandGroups(p Panel) (brandOf []int, codes []string) {
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

// earlyScans is a ScanReader that starts reading the scans of the learning sample (MaxLearningOutlets)
// as soon as the history's weeks are known (start, a HistoryQuery's OnWeeks), while the history's
// rows are still being read: on the 1M-series region the scans' query keeps one ClickHouse core busy
// for seconds while the client decodes the sales. ScanHistory then returns what it read, or reads
// again when asked for other weeks or another sample. stop ends the read and waits for it.
type earlyScans struct {
	ScanReader
	parent context.Context
	cancel context.CancelFunc // of the read under way; nil until started
	weeks  []time.Time        // nil until started
	done   chan struct{}
	panel  ScanPanel
	err    error
}

func newEarlyScans(ctx context.Context, r ScanReader) *earlyScans {
	return &earlyScans{ScanReader: r, parent: ctx}
}

// start starts the read of weeks. Called again with the same weeks it does nothing; with other weeks
// (the history was read again after an import replaced it, say), it cancels the read of the first,
// which no run will ask for, waits for it, and starts one of the new.
func (e *earlyScans) start(weeks []time.Time) {
	if e.weeks != nil {
		if slices.EqualFunc(weeks, e.weeks, time.Time.Equal) {
			return
		}
		e.stop()
	}
	ctx, cancel := context.WithCancel(e.parent)
	e.cancel, e.weeks, e.done = cancel, slices.Clone(weeks), make(chan struct{})
	go func(weeks []time.Time, done chan struct{}) {
		defer close(done)
		e.panel, e.err = e.ScanReader.ScanHistory(ctx, weeks, MaxLearningOutlets)
	}(e.weeks, e.done)
}

func (e *earlyScans) ScanHistory(ctx context.Context, weeks []time.Time, maxOutlets int) (ScanPanel, error) {
	if e.weeks == nil || maxOutlets != MaxLearningOutlets || !slices.EqualFunc(weeks, e.weeks, time.Time.Equal) {
		return e.ScanReader.ScanHistory(ctx, weeks, maxOutlets)
	}
	select {
	case <-e.done:
		return e.panel, e.err
	case <-ctx.Done():
		return ScanPanel{}, ctx.Err()
	}
}

// stop cancels the read under way, if any, and waits for it.
func (e *earlyScans) stop() {
	if e.cancel != nil {
		e.cancel()
		<-e.done
	}
}

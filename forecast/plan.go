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

// CalendarReader reads the calendar table: holidays and decreed working days in [from, to), of
// every region. An empty calendar is no error.
type CalendarReader interface {
	Calendar(ctx context.Context, from, to time.Time) ([]CalendarDay, error)
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

// ErrNoHistory is returned (wrapped) by Planner.Run when the dataset has no series to forecast.
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
	Region  string // the calendar region of the holidays; "" for every region's
	// NoHolidays leaves the calendar out of the regressions: a dataset from another country.
	NoHolidays bool
	// Launches are the new products to forecast from like items. Nil: every new product of the
	// catalogue without history in the run whose launch falls before the end of the horizon, at the
	// outlets that carry its like items.
	Launches []Launch
	Now      time.Time // when the run starts
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
	Choices                 map[string]int // the engine's model set → brands
	CalendarDays, Holidays  int            // days in the calendar table over the run, holidays among them
	HorizonGap              int            // weeks between the history and the first forecast week, forecast and dropped
	Top                     *TopPlan       // nil unless TopDown
	Launches                []LaunchForecast
	LaunchCurve             LaunchStats
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
}

type noProgress struct{}

func (noProgress) Step(string, string, int) (func(int), func()) { return func(int) {}, func() {} }

// Run makes and stores one run. It returns an error wrapping ErrNoHistory when the dataset has no
// series with history in the ActiveWeeks before the run, and the readers' and writer's errors.
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
	info, err := p.History.Dataset(ctx, req.Dataset)
	if err != nil {
		return RunReport{}, err
	}
	asOf := req.AsOf
	if asOf.IsZero() {
		asOf = Monday(info.LastDay).AddDate(0, 0, 7)
		if today := Monday(req.Now); today.Before(asOf) {
			asOf = today
		}
	}
	first := Monday(asOf)

	advance, finish := progress.Step("read history", "rows", 0)
	sp, err := p.History.SalesHistory(ctx, HistoryQuery{
		Dataset:       req.Dataset,
		Before:        first,
		ActiveSince:   first.AddDate(0, 0, -7*ActiveWeeks),
		ActiveOutlets: req.Dataset == LiveDataset,
		Progress:      advance,
	})
	finish()
	if err != nil {
		return RunReport{}, err
	}
	if len(sp.Series) == 0 || len(sp.Weeks) == 0 {
		return RunReport{}, fmt.Errorf("%w: dataset %s has no series with history in the year before %s",
			ErrNoHistory, req.Dataset, first.Format(time.DateOnly))
	}
	end := first.AddDate(0, 0, 7*req.Horizon)
	// Holidays a few weeks beyond either end still have lead-up or after weeks inside.
	cal, err := p.Calendar.Calendar(ctx, sp.Weeks[0].AddDate(0, 0, -7*(DefaultHolidayLags+1)),
		end.AddDate(0, 0, 7*(DefaultHolidayLeads+1)))
	if err != nil {
		return RunReport{}, err
	}
	var catalogue []Brand
	if p.Catalogue != nil {
		if catalogue, err = p.Catalogue.Brands(ctx, req.Dataset); err != nil {
			return RunReport{}, err
		}
	}
	rep := RunReport{HistoryWeeks: sp.Weeks, Corrected: req.Correct, Cells: len(sp.Series) * len(sp.Weeks),
		Read: time.Since(start)}
	var holidays []CalendarDay
	for _, c := range cal {
		if req.NoHolidays || (req.Region != "" && c.Region != req.Region) {
			continue
		}
		rep.CalendarDays++
		if c.Holiday != "" {
			rep.Holidays++
			holidays = append(holidays, c)
		}
	}

	// Correct in place: the sales become the estimated demand, and the requests are let go. The
	// censored weeks stay for the supply terms of the top-down regressions.
	rep.Censored = sp.CensoredWeeks()
	var censored [][]bool
	if req.TopDown && rep.Censored > 0 {
		censored = make([][]bool, len(sp.Series))
	}
	for i := range sp.Series {
		s := &sp.Series[i]
		if req.Correct && s.Censored != nil {
			Censoring{UnmetShare: req.UnmetShare}.Correct(s.Sales, *s)
		}
		if censored != nil {
			censored[i] = s.Censored
		}
		s.Requested, s.Censored = nil, nil
	}
	panel := sp.Panel()

	fitStart := time.Now()
	// Weeks from the end of the history to the first forecast week are forecast too, then dropped.
	last := panel.Weeks[len(panel.Weeks)-1]
	gap := max(int(first.Sub(last).Hours()/24/7)-1, 0)
	if gap+req.Horizon > MaxRunAhead {
		return RunReport{}, fmt.Errorf("the first forecast week, %s, is %d weeks after the last week of history, %s: "+
			"forecast from an earlier as-of", first.Format(time.DateOnly), gap+1, last.Format(time.DateOnly))
	}
	rep.HorizonGap = gap
	brandOf, brandCodes := brandGroups(panel)
	series := make([][]float64, len(panel.Series))
	outlets := make(map[string]struct{})
	for i, s := range panel.Series {
		series[i] = s.Values
		outlets[s.Outlet] = struct{}{}
	}
	rep.Outlets = len(outlets)
	batch := Batch{Series: series, Groups: brandOf, Horizon: gap + req.Horizon, Workers: req.Workers}
	eng := p.Engine
	if eng == nil {
		eng = NewEngine()
	}
	choices, err := eng.Choose(ctx, batch)
	if err != nil {
		return RunReport{}, err
	}
	names := eng.CandidateNames()
	choiceName := make([]string, len(choices))
	rep.Choices = make(map[string]int)
	for g, ch := range choices {
		set := make([]string, len(ch.Models))
		for k, m := range ch.Models {
			set[k] = names[m]
		}
		choiceName[g] = strings.Join(set, "+")
		rep.Choices[choiceName[g]]++
	}
	out := NewForecasts(len(series), batch.Horizon, true)
	advance, finish = progress.Step("forecast", "series", len(series))
	const chunk = 1 << 16
	for lo := 0; lo < len(series); lo += chunk {
		hi := min(lo+chunk, len(series))
		part := Batch{Series: series[lo:hi], Groups: brandOf[lo:hi], Horizon: batch.Horizon, Workers: req.Workers}
		if err := eng.Apply(ctx, part, choices, out[lo:hi]); err != nil {
			finish()
			return RunReport{}, err
		}
		advance(hi)
	}
	finish()
	var brandModel []string
	totalModel := ""
	if req.TopDown {
		td := &TopDown{Engine: eng, Weeks: panel.Weeks, Censored: censored,
			Regression: Regression{Holidays: NewHolidays(holidays)}}
		plan, err := td.Top(ctx, batch, out)
		if err != nil {
			return RunReport{}, err
		}
		rep.Top = &plan
		brandModel = make([]string, len(brandCodes))
		for g, m := range plan.Groups {
			if m != BottomUp {
				brandModel[g] = m.String()
			}
		}
		if plan.Total != BottomUp {
			totalModel = plan.Total.String()
		}
	}
	for i := range out { // keep the stored weeks
		out[i] = Forecast{Mean: out[i].Mean[gap:], Lower: out[i].Lower[gap:], Upper: out[i].Upper[gap:]}
	}

	run := Run{
		ID:          req.ID,
		Dataset:     req.Dataset,
		AsOf:        first,
		StartedAt:   req.Now,
		Outlets:     make([]string, len(panel.Series)),
		Brands:      make([]string, len(panel.Series)),
		Series:      out,
		SeriesModel: make([]string, len(panel.Series)),
		BrandCodes:  brandCodes,
		BrandOf:     brandOf,
		BrandModel:  brandModel,
		TotalModel:  totalModel,
	}
	for j := range req.Horizon {
		run.Weeks = append(run.Weeks, first.AddDate(0, 0, 7*j))
	}
	for i, s := range panel.Series {
		run.Outlets[i], run.Brands[i], run.SeriesModel[i] = s.Outlet, s.Brand, choiceName[brandOf[i]]
	}

	// New products, from like items: their series join the run's before the levels are reconciled.
	launches := req.Launches
	if launches == nil {
		launches = dueLaunches(catalogue, brandCodes, end)
	}
	if len(launches) > 0 {
		curve, stats := LearnLaunchCurve(panel, catalogue, DefaultLaunchWeeks)
		rep.LaunchCurve = stats
		has := func(code string) bool { _, ok := slices.BinarySearch(brandCodes, code); return ok }
		for _, l := range launches {
			lf := ForecastLaunch(l, LikeItems(l.Brand, catalogue, has), run.Weeks, curve, run.Outlets[:len(panel.Series)],
				run.Brands[:len(panel.Series)], run.Series[:len(panel.Series)])
			rep.Launches = append(rep.Launches, lf)
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
	}
	rec, err := Reconcile(run.Series, run.BrandOf, len(run.BrandCodes))
	if err != nil {
		return RunReport{}, err
	}
	run.Reconciled = rec
	rep.Fit = time.Since(fitStart)
	run.Models = runModels(rep, req)
	rep.Run = run

	rep.WeeklyRows, rep.MonthlyRows = run.Rows()
	storeStart := time.Now()
	advance, finish = progress.Step("store", "rows", rep.WeeklyRows+rep.MonthlyRows)
	err = p.Runs.WriteRun(ctx, run, 0, advance)
	finish()
	if err != nil {
		return RunReport{}, err
	}
	rep.Store = time.Since(storeStart)
	rep.Total = time.Since(start)
	return rep, nil
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
	if req.Correct {
		b.WriteString("; censored demand corrected")
	} else {
		b.WriteString("; censored demand not corrected")
	}
	return b.String()
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

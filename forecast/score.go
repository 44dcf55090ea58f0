package forecast

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// Accuracy scoring (预测准确率, monthly): the forecast of a month that a run made before the month
// began, against what happened, per outlet, brand, account manager, area and the company.

// ScoreLevel is a level at which accuracy is scored.
type ScoreLevel string

// The levels of a scoring. An outlet's, brand's, manager's or area's key is its code or name; the
// company's is "".
const (
	ScoreOutlet  ScoreLevel = "outlet"
	ScoreBrand   ScoreLevel = "brand"
	ScoreManager ScoreLevel = "manager"
	ScoreArea    ScoreLevel = "area"
	ScoreCompany ScoreLevel = "company"
)

// ScoreLevels are the levels of a scoring, bottom up.
var ScoreLevels = []ScoreLevel{ScoreOutlet, ScoreBrand, ScoreManager, ScoreArea, ScoreCompany}

// ParseScoreLevel returns the level named s, or ErrInvalidScore (wrapped).
func ParseScoreLevel(s string) (ScoreLevel, error) {
	for _, l := range ScoreLevels {
		if string(l) == s {
			return l, nil
		}
	}
	return "", fmt.Errorf("%w: level %q: want outlet, brand, manager, area or company", ErrInvalidScore, s)
}

// Against says what forecasts are scored against.
type Against string

// What a scoring compares with.
const (
	AgainstSales Against = "sales" // the month's delivered sales
	// AgainstRequested: the month's requested quantities, what retailers asked for before limits
	// and failed deductions cut it: the uncensored demand signal the orders keep. Imports without
	// a requested quantity record their sales as requested.
	AgainstRequested Against = "requested"
	AgainstTruth     Against = "truth" // the true demand the seed generator kept (seeded data only)
)

// Againsts are what a scoring can compare with, in the order help texts name them.
var Againsts = []Against{AgainstSales, AgainstRequested, AgainstTruth}

// ParseAgainst returns the Against named s, or ErrInvalidScore (wrapped).
func ParseAgainst(s string) (Against, error) {
	for _, a := range Againsts {
		if string(a) == s {
			return a, nil
		}
	}
	return "", fmt.Errorf("%w: against %q: want sales, requested or truth", ErrInvalidScore, s)
}

// ErrInvalidScore is returned (wrapped) for a scoring request that makes no sense.
var ErrInvalidScore = errors.New("forecast: invalid scoring")

// ErrUnfinishedMonth is returned (wrapped) for a month that cannot be scored yet: its last day is
// after today or after the last day of the history.
var ErrUnfinishedMonth = errors.New("forecast: month not finished")

// UnfinishedMonthError says why a month cannot be scored yet. It matches ErrUnfinishedMonth.
type UnfinishedMonthError struct {
	Month time.Time // the first day of the month
	Ends  time.Time // its last day
	// Bound is the day it ends after: today, or the last day of the history when History is set.
	Bound   time.Time
	History bool
}

func (e *UnfinishedMonthError) Error() string {
	bound := "today"
	if e.History {
		bound = "the last day of history"
	}
	return fmt.Sprintf("%v: %s ends on %s, after %s (%s)", ErrUnfinishedMonth, e.Month.Format("2006-01"),
		e.Ends.Format(time.DateOnly), bound, e.Bound.Format(time.DateOnly))
}

// Is reports whether target is ErrUnfinishedMonth.
func (e *UnfinishedMonthError) Is(target error) bool { return target == ErrUnfinishedMonth }

// MonthFinished returns nil when the month that contains month has finished: its last day is not
// after the day of now, nor after lastDay, the last day of the dataset's history (not checked when
// zero). Otherwise it returns an *UnfinishedMonthError, which names the month and the day it ends.
func MonthFinished(month, now, lastDay time.Time) error {
	first := time.Date(month.Year(), month.Month(), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	switch {
	case last.After(today):
		return &UnfinishedMonthError{Month: first, Ends: last, Bound: today}
	case !lastDay.IsZero() && last.After(lastDay):
		return &UnfinishedMonthError{Month: first, Ends: last, Bound: lastDay, History: true}
	}
	return nil
}

// ScoreItem is one outlet × brand of a month: what was forecast and what happened.
type ScoreItem struct {
	Outlet, Brand    string
	Actual, Forecast float64
}

// OutletInfo places an outlet for the roll-ups: its account manager and area. An outlet without
// one is rolled up under "".
type OutletInfo struct {
	Outlet, Manager, Area string
}

// Score is the accuracy of one key of one level over a month, from its outlet × brand items.
//
// Accuracy is the company formula applied to the key's own total, the figure the level plans with:
// FA = max(0, 1 − |ΣA − ΣF| / ΣA), so the company's is that of the grand total (practitioners report
// 99%+ there) and an outlet's that of its total over brands. ItemAccuracy is the set formula over
// the items, 1 − Σ|A − F| / ΣA (not clipped: a forecast can be worse than none), which equals
// 1 − WAPE when no actual is negative.
//
// A = 0 is handled explicitly. An item forecast but not sold (a new item, a closed outlet, a brand
// taken off sale) adds its whole forecast to Σ|A − F|, so it lowers the accuracy of every set it is
// in. A key whose ΣA is 0 has Accuracy 1 when ΣF is 0 too and 0 otherwise (any forecast above
// nothing is wholly wrong), ItemAccuracy likewise with Σ|A − F|, and WAPE and Bias, ratios to Σ|A|,
// are undefined: NaN. Negative actuals (returns) count with their sign in ΣA and as |A| in WAPE.
type Score struct {
	Level    ScoreLevel
	Key      string
	Actual   float64 // ΣA
	Forecast float64 // ΣF
	AbsError float64 // Σ|A − F| over the items
	Accuracy float64 // FA of the total, in [0, 1]
	WAPE     float64 // Σ|A − F| / Σ|A|; NaN when Σ|A| = 0
	Bias     float64 // Σ(F − A) / Σ|A|; positive: over-forecast; NaN when Σ|A| = 0
}

// ItemAccuracy returns the set accuracy of the key's items, 1 − Σ|A − F| / ΣA (see Score).
func (s Score) ItemAccuracy() float64 {
	if s.Actual == 0 {
		if s.AbsError == 0 {
			return 1
		}
		return 0
	}
	return 1 - s.AbsError/s.Actual
}

// scoreSums accumulates one key.
type scoreSums struct {
	actual, absActual, forecast, absError float64
}

func (a *scoreSums) add(it ScoreItem) {
	a.actual += it.Actual
	a.absActual += math.Abs(it.Actual)
	a.forecast += it.Forecast
	a.absError += math.Abs(it.Actual - it.Forecast)
}

func (a scoreSums) score(level ScoreLevel, key string) Score {
	s := Score{Level: level, Key: key, Actual: a.actual, Forecast: a.forecast, AbsError: a.absError,
		Accuracy: Accuracy(a.actual, a.forecast), WAPE: math.NaN(), Bias: math.NaN()}
	if a.absActual > 0 {
		s.WAPE = a.absError / a.absActual
		s.Bias = (a.forecast - a.actual) / a.absActual
	}
	return s
}

// ScoreMonth scores items (one per outlet × brand; an item twice is summed first) at every level:
// per outlet, brand, account manager and area (by outlets; an outlet missing there goes under "")
// and the company. Scores come by level as ScoreLevels orders them, then by key.
func ScoreMonth(items []ScoreItem, outlets map[string]OutletInfo) []Score {
	type itemKey struct{ outlet, brand string }
	merged := make(map[itemKey]*ScoreItem, len(items))
	var order []itemKey
	for _, it := range items {
		k := itemKey{it.Outlet, it.Brand}
		m, ok := merged[k]
		if !ok {
			m = &ScoreItem{Outlet: it.Outlet, Brand: it.Brand}
			merged[k] = m
			order = append(order, k)
		}
		m.Actual += it.Actual
		m.Forecast += it.Forecast
	}
	sums := make(map[ScoreLevel]map[string]*scoreSums, len(ScoreLevels))
	for _, l := range ScoreLevels {
		sums[l] = make(map[string]*scoreSums)
	}
	add := func(l ScoreLevel, key string, it ScoreItem) {
		s := sums[l][key]
		if s == nil {
			s = new(scoreSums)
			sums[l][key] = s
		}
		s.add(it)
	}
	for _, k := range order {
		it := *merged[k]
		o := outlets[it.Outlet]
		add(ScoreOutlet, it.Outlet, it)
		add(ScoreBrand, it.Brand, it)
		add(ScoreManager, o.Manager, it)
		add(ScoreArea, o.Area, it)
		add(ScoreCompany, "", it)
	}
	var out []Score
	for _, l := range ScoreLevels {
		start := len(out)
		for key, s := range sums[l] {
			out = append(out, s.score(l, key))
		}
		slices.SortFunc(out[start:], func(a, b Score) int { return cmp.Compare(a.Key, b.Key) })
	}
	return out
}

// RunInfo is what a store records of a complete forecast run.
type RunInfo struct {
	ID                    string
	Dataset               string
	AsOf                  time.Time // the Monday of its first week
	Horizon               int       // weeks
	Series                uint64
	Models                string
	StartedAt, FinishedAt time.Time
}

// Covers reports whether the run's weeks cover every day of the month starting on month, and it
// began no later than the month: a forecast of the whole month made before it.
func (r RunInfo) Covers(month time.Time) bool {
	end := month.AddDate(0, 1, 0)
	return !r.AsOf.After(month) && !r.AsOf.AddDate(0, 0, 7*r.Horizon).Before(end)
}

// ScoreSource reads what a scoring compares (forecast/clickhouse.Store).
//
// CoveringRun returns the latest complete run of dataset that covers the month (RunInfo.Covers):
// the latest as-of, then the latest started; it fails wrapping the store's no-run sentinel when there
// is none. MonthForecasts returns the run's outlet × brand forecasts of the month (Forecast set).
// MonthActuals returns the month's outlet × brand actuals (Actual set): delivered sales, requested
// quantities, or the true demand, with weekly rows split across months by days as forecasts are.
type ScoreSource interface {
	CoveringRun(ctx context.Context, dataset string, month time.Time) (RunInfo, error)
	MonthForecasts(ctx context.Context, runID string, month time.Time) ([]ScoreItem, error)
	MonthActuals(ctx context.Context, dataset string, month time.Time, against Against) ([]ScoreItem, error)
}

// OutletDirectory lists the outlets of a dataset with their managers and areas, as master data
// says now; a dataset without master data has none, which is no error.
type OutletDirectory interface {
	OutletInfos(ctx context.Context, dataset string) ([]OutletInfo, error)
}

// ScoreQuery says which stored scores to read: one level of the latest scoring of a month.
type ScoreQuery struct {
	Month   time.Time  // any day of the month
	Dataset string     // LiveDataset when ""
	Against Against    // AgainstSales when ""
	Level   ScoreLevel // ScoreCompany when ""
	Keys    []string   // only these keys (outlet or brand codes, managers, areas); nil: all
}

// ScoreSet is one scoring of a month, as a ScoreWriter stores it.
type ScoreSet struct {
	Month    time.Time // the first day of the month
	Dataset  string
	Against  Against
	RunID    string
	ScoredAt time.Time
	Scores   []Score
}

// ScoreWriter stores a scoring; it replaces any earlier scoring of the same month, dataset and
// Against as a whole (keys scored before and absent now are no longer read).
type ScoreWriter interface {
	WriteScores(ctx context.Context, s ScoreSet) error
}

// Scorer scores a month's forecasts.
type Scorer struct {
	Source   ScoreSource
	Outlets  OutletDirectory
	Scores   ScoreWriter
	Progress Progress // nil: none
}

// ScoreRequest says what to score.
type ScoreRequest struct {
	Month   time.Time // any day of the month
	Dataset string
	Against Against
	Now     time.Time // when the scoring happens, in the region's time zone (its calendar day is today)
	// LastDay is the last day of the dataset's history; zero: not checked.
	LastDay time.Time
}

// ScoreReport is a stored scoring with what it took.
type ScoreReport struct {
	ScoreSet
	Run            RunInfo
	Items          int // outlet × brand items scored
	Forecast, Sold int // items forecast, items with an actual
	Elapsed        time.Duration
}

// Score scores the month of req and stores the scores. It returns an error wrapping
// ErrInvalidScore for an unknown Against, one wrapping ErrUnfinishedMonth for a month that has not
// finished (MonthFinished of req.Now and req.LastDay), and the source's error when no run covers the
// month.
func (s *Scorer) Score(ctx context.Context, req ScoreRequest) (ScoreReport, error) {
	start := time.Now()
	if _, err := ParseAgainst(string(req.Against)); err != nil {
		return ScoreReport{}, err
	}
	if err := MonthFinished(req.Month, req.Now, req.LastDay); err != nil {
		return ScoreReport{}, err
	}
	progress := s.Progress
	if progress == nil {
		progress = noProgress{}
	}
	month := time.Date(req.Month.Year(), req.Month.Month(), 1, 0, 0, 0, 0, time.UTC)
	run, err := s.Source.CoveringRun(ctx, req.Dataset, month)
	if err != nil {
		return ScoreReport{}, err
	}
	advance, finish := progress.Step("read", "parts", 3)
	forecasts, err := s.Source.MonthForecasts(ctx, run.ID, month)
	if err != nil {
		finish()
		return ScoreReport{}, err
	}
	advance(1)
	actuals, err := s.Source.MonthActuals(ctx, req.Dataset, month, req.Against)
	if err != nil {
		finish()
		return ScoreReport{}, err
	}
	advance(2)
	infos, err := s.Outlets.OutletInfos(ctx, req.Dataset)
	finish()
	if err != nil {
		return ScoreReport{}, err
	}
	outlets := make(map[string]OutletInfo, len(infos))
	for _, o := range infos {
		outlets[o.Outlet] = o
	}
	items := append(forecasts, actuals...)
	rep := ScoreReport{Run: run, Forecast: len(forecasts), Sold: len(actuals)}
	rep.ScoreSet = ScoreSet{Month: month, Dataset: req.Dataset, Against: req.Against, RunID: run.ID,
		ScoredAt: req.Now, Scores: ScoreMonth(items, outlets)}
	rep.Items = countItems(items)
	advance, finish = progress.Step("store", "scores", len(rep.Scores))
	err = s.Scores.WriteScores(ctx, rep.ScoreSet)
	advance(len(rep.Scores))
	finish()
	if err != nil {
		return ScoreReport{}, err
	}
	rep.Elapsed = time.Since(start)
	return rep, nil
}

func countItems(items []ScoreItem) int {
	type itemKey struct{ outlet, brand string }
	seen := make(map[itemKey]struct{}, len(items))
	for _, it := range items {
		seen[itemKey{it.Outlet, it.Brand}] = struct{}{}
	}
	return len(seen)
}

package forecast

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/sajari/regression"
)

// CalendarDay is one day of the calendar table: a holiday, or a decreed working day (a make-up day
// on a weekend). Holidays are data, not a rule: lunar festivals move, make-up days are decreed.
type CalendarDay struct {
	// Dataset is the dataset whose imported holiday calendar holds the day (ordercast import
	// holidays); "" for a day of the calendar table, the region's own (ordercast seed, forecast
	// calendar).
	Dataset string
	Region  string
	Day     time.Time // UTC midnight
	Holiday string    // the holiday's name; "" when none
	Workday bool      // a working day, decreed make-up days included
}

// Holidays are the occurrences of named holidays, found in calendar days: each maximal run of
// consecutive days with the same holiday name is one occurrence, anchored on its first day (the
// Spring Festival holiday's first day, 1 October for National Day). The zero value has none.
type Holidays struct {
	names   []string      // sorted
	anchors [][]time.Time // per name: the first day of each occurrence, ascending
}

// NewHolidays collects the occurrences of the named holidays among days (in any order; days
// without a holiday, decreed working days say, are ignored).
func NewHolidays(days []CalendarDay) Holidays {
	byName := make(map[string][]time.Time)
	for _, d := range days {
		if d.Holiday != "" {
			byName[d.Holiday] = append(byName[d.Holiday], dayOf(d.Day))
		}
	}
	var h Holidays
	for name := range byName {
		h.names = append(h.names, name)
	}
	slices.Sort(h.names)
	for _, name := range h.names {
		ds := byName[name]
		slices.SortFunc(ds, func(a, b time.Time) int { return a.Compare(b) })
		ds = slices.Compact(ds)
		var anchors []time.Time
		for i, d := range ds {
			if i == 0 || d.Sub(ds[i-1]) > 24*time.Hour {
				anchors = append(anchors, d)
			}
		}
		h.anchors = append(h.anchors, anchors)
	}
	return h
}

// Names returns the names of the holidays, sorted.
func (h Holidays) Names() []string { return slices.Clone(h.names) }

// Count returns the number of occurrences of all holidays.
func (h Holidays) Count() int {
	n := 0
	for _, a := range h.anchors {
		n += len(a)
	}
	return n
}

// weeksBefore returns, for holiday k, how many weeks before an occurrence the week starting on
// monday is (0: the week holds the first day; 1: the week before; −1: the week after), choosing the
// nearest occurrence, and false when none is within [−lags, leads] weeks.
func (h Holidays) weeksBefore(k int, monday time.Time, leads, lags int) (int, bool) {
	for _, a := range h.anchors[k] {
		days := int(math.Round(a.Sub(monday).Hours() / 24))
		var w int
		if days >= 0 {
			w = days / 7
		} else {
			w = -((-days + 6) / 7)
		}
		if w <= leads && w >= -lags {
			return w, true
		}
	}
	return 0, false
}

func dayOf(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// Defaults of Regression.
const (
	DefaultHolidayLeads = 3 // weeks before a holiday with a term of their own: the Spring Festival rush
	DefaultHolidayLags  = 2 // weeks after: the slump after the Spring Festival
	DefaultHarmonics    = 2 // annual Fourier pairs
	// MinRegressionWeeks is the shortest history (from its first non-zero week) Regression fits.
	MinRegressionWeeks = 26
	// MinAnnualWeeks is the shortest history that gets an annual term: a year and a half, so that
	// the value a year earlier is known for the last half year at least.
	MinAnnualWeeks = SeasonalPeriod + MinRegressionWeeks
)

// ErrRegression is returned (wrapped) by Regression.Forecast when it cannot fit: too short a
// history, or a design it cannot solve.
var ErrRegression = errors.New("forecast: regression cannot fit")

// Regression forecasts an aggregate weekly series (a brand's total over its outlets, or the grand
// total) by ordinary least squares (github.com/sajari/regression) on terms known in advance:
//
//   - trend: weeks from the end of the history, in years;
//   - annual cycle: the value 52 weeks earlier (the fit then starts in the second year), when the
//     history has at least MinAnnualWeeks weeks, the horizon is at most a year and no holiday of the
//     calendar falls in the weeks (a moving holiday puts last year's peak in the wrong week, and the
//     value a year earlier learnt a negative weight); otherwise, or with Fourier,
//     Harmonics pairs sin(2πk·d/365.25), cos(2πk·d/365.25), d the day of the year of mid-week;
//   - holidays: one indicator per holiday name and week offset, from Leads weeks before the week
//     holding the holiday's first day to Lags weeks after it (the Spring Festival lead-up and slump,
//     National Day, Mid-Autumn: whatever the calendar names). The weeks move with the lunar
//     calendar and the decreed dates, which is what the value a year earlier gets wrong;
//   - supply: the share of the aggregate's outlets whose grant a limit or a stock-out cut in the
//     week, when any week was cut; forecast weeks take its mean over the last 13 weeks (taking 0, the
//     forecast of demand that no limit cuts, lay far above what the history showed: total WAPE 0.556
//     against 0.128 without the term on the seeded region at the Spring Festival).
//
// A term that is constant over the weeks fitted (a holiday not seen yet), or a combination of the
// terms before it there (two holidays in the same weeks), is left out; a fit whose coefficients still
// blow up is an error. The level is then
// corrected by simple exponential smoothing of the in-sample residuals: a regression fitted over two
// years sits at their average level, and a recent shift (outlets closing, a new brand taking share)
// would otherwise stay in its errors. Forecasts are clipped at 0.
//
// The value a year earlier rather than Fourier terms, measured with TopDown over 12 origins (48
// weeks): brand accuracy 0.9535 against 0.9449 on Walmart, 0.9034 against 0.8957 on M5, and 0.8792
// against 0.8842 on a seeded region of 800 outlets × 60 brands (against its sales; against its true
// demand 0.8341 against 0.8398): better on the real data, a little worse on the synthetic.
//
// Each fit builds a QR decomposition of its design (about 350 µs and 650 KB for 104 weeks): it is
// meant for the few hundred aggregates at the top of the hierarchy, not for outlet series.
type Regression struct {
	Holidays          Holidays
	Leads, Lags       int  // holiday weeks before and after with terms; the defaults when 0; < 0: none
	Harmonics         int  // annual pairs; DefaultHarmonics when 0; < 0: none
	NoLevelCorrection bool // keep the regression's own level
	Fourier           bool // annual Fourier terms instead of the value 52 weeks earlier
}

// RegressionInput is one aggregate to forecast.
type RegressionInput struct {
	Y        []float64   // the history, oldest first
	Weeks    []time.Time // the Monday of every week of Y and of the forecast weeks after it: len(Y) + h
	Censored []float64   // per week of Y: the share of outlets cut by a limit or a stock-out; nil: none
}

// Forecast writes the forecast of the h = len(mean) weeks after in.Y into mean. It returns an error
// wrapping ErrRegression when the series is too short or the fit fails; mean is then unchanged.
func (r Regression) Forecast(in RegressionInput, mean []float64) error {
	h := len(mean)
	y := trimLeadingZeros(in.Y)
	start := len(in.Y) - len(y)
	n := len(y)
	if n < MinRegressionWeeks {
		return errorf(ErrRegression, "%d weeks of history; want %d", n, MinRegressionWeeks)
	}
	if len(in.Weeks) < len(in.Y)+h {
		return errorf(ErrRegression, "%d week dates for %d weeks and a horizon of %d", len(in.Weeks), len(in.Y), h)
	}
	cols, first := r.design(y, in.Weeks[start:start+n+h], sliceOrNil(in.Censored, start))
	if n-first < len(cols)+2 {
		return errorf(ErrRegression, "%d weeks for %d terms", n-first, len(cols)+1)
	}
	var reg regression.Regression
	for t := first; t < n; t++ {
		x := make([]float64, len(cols))
		for k, c := range cols {
			x[k] = c[t]
		}
		reg.Train(regression.DataPoint(y[t], x))
	}
	if err := reg.Run(); err != nil {
		return errorf(ErrRegression, "%v", err)
	}
	coeff := reg.GetCoeffs()
	if len(coeff) != len(cols)+1 {
		return errorf(ErrRegression, "%d coefficients for %d terms", len(coeff), len(cols)+1)
	}
	// A design that is singular, or nearly (two holidays always in the same week), gives huge
	// coefficients that cancel in the history and not after it.
	scale := 0.0
	for _, v := range y {
		scale = max(scale, math.Abs(v))
	}
	for k, c := range coeff {
		size := math.Abs(c)
		if k > 0 {
			size *= maxAbs(cols[k-1])
		}
		if math.IsNaN(c) || math.IsInf(c, 0) || size > 100*scale {
			return errorf(ErrRegression, "singular design")
		}
	}
	predict := func(t int) float64 {
		p := coeff[0]
		for k, c := range cols {
			p += coeff[k+1] * c[t]
		}
		return p
	}
	level := 0.0
	if !r.NoLevelCorrection {
		res := make([]float64, n-first)
		for t := first; t < n; t++ {
			res[t-first] = y[t] - predict(t)
		}
		_, level, _ = sesFit(res, defaultAlphas)
	}
	for j := range h {
		mean[j] = max(0, predict(n+j)+level)
	}
	return nil
}

func dot(x, y []float64) float64 {
	var s float64
	for i, v := range x {
		s += v * y[i]
	}
	return s
}

func maxAbs(x []float64) float64 {
	m := 0.0
	for _, v := range x {
		m = max(m, math.Abs(v))
	}
	return m
}

func errorf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{sentinel}, args...)...)
}

func sliceOrNil(x []float64, from int) []float64 {
	if x == nil {
		return nil
	}
	return x[from:]
}

// design returns the columns of the terms for the n = len(y) weeks of history and the weeks after
// them (weeks has one date per week of both), without the intercept, leaving out terms that are 0
// or constant over the history.
func (r Regression) design(y []float64, weeks []time.Time, censored []float64) (cols [][]float64, first int) {
	n, all := len(y), len(weeks)
	if !r.Fourier && n >= MinAnnualWeeks && all-n <= SeasonalPeriod && !r.holidaysIn(weeks) {
		first = SeasonalPeriod
	}
	// A term joins only when it is not (nearly) a combination of the intercept and the terms before
	// it over the weeks fitted: a holiday not seen yet is 0 there, two holidays may fall in the same
	// weeks, a supply share may be non-zero in a single holiday week. basis holds the kept terms
	// made orthonormal (Gram–Schmidt), the intercept first.
	m := n - first
	basis := [][]float64{make([]float64, m)}
	for t := range basis[0] {
		basis[0][t] = 1 / math.Sqrt(float64(m))
	}
	add := func(c []float64) {
		v := slices.Clone(c[first:n])
		norm0 := math.Sqrt(dot(v, v))
		for _, q := range basis {
			d := dot(v, q)
			for t := range v {
				v[t] -= d * q[t]
			}
		}
		norm := math.Sqrt(dot(v, v))
		if norm <= 1e-6*norm0 || norm == 0 {
			return
		}
		for t := range v {
			v[t] /= norm
		}
		basis = append(basis, v)
		cols = append(cols, c)
	}
	trend := make([]float64, all)
	for t := range trend {
		trend[t] = float64(t-n) / 52.18
	}
	add(trend)
	harmonics := r.Harmonics
	if harmonics == 0 {
		harmonics = DefaultHarmonics
	}
	if first > 0 {
		lag := make([]float64, all)
		for t := first; t < all; t++ {
			lag[t] = y[t-SeasonalPeriod]
		}
		add(lag)
	} else if n >= MinAnnualWeeks {
		for k := 1; k <= harmonics; k++ {
			sin, cos := make([]float64, all), make([]float64, all)
			for t, w := range weeks {
				a := 2 * math.Pi * float64(k) * float64(w.YearDay()+3) / 365.25
				sin[t], cos[t] = math.Sin(a), math.Cos(a)
			}
			add(sin)
			add(cos)
		}
	}
	leads, lags := r.Leads, r.Lags
	if leads == 0 {
		leads = DefaultHolidayLeads
	}
	if lags == 0 {
		lags = DefaultHolidayLags
	}
	leads, lags = max(leads, 0), max(lags, 0)
	for k := range r.Holidays.names {
		dummies := make([][]float64, leads+lags+1) // offset leads … −lags
		for t, w := range weeks {
			off, ok := r.Holidays.weeksBefore(k, w, leads, lags)
			if !ok {
				continue
			}
			d := &dummies[leads-off]
			if *d == nil {
				*d = make([]float64, all)
			}
			(*d)[t] = 1
		}
		for _, d := range dummies {
			if d != nil {
				add(d)
			}
		}
	}
	if censored != nil {
		// The forecast weeks take the mean share of the last supplyWeeks weeks: limits in force now
		// are likely to stay, and a share of 0 would forecast demand far above the recent level.
		c := make([]float64, all)
		m := min(n, len(censored))
		copy(c, censored[:m])
		var recent float64
		from := max(0, m-supplyWeeks)
		for _, v := range censored[from:m] {
			recent += v
		}
		if m > from {
			recent /= float64(m - from)
		}
		for t := n; t < all; t++ {
			c[t] = recent
		}
		add(c)
	}
	return cols, first
}

// supplyWeeks is how many recent weeks' share of outlets cut by limits the forecast weeks take.
const supplyWeeks = 13

// holidaysIn reports whether a holiday's week falls among weeks: the value a year earlier then holds
// the holiday in another week (lunar festivals move by up to three weeks), and the annual cycle is
// left to Fourier terms.
func (r Regression) holidaysIn(weeks []time.Time) bool {
	for k := range r.Holidays.names {
		for _, w := range weeks {
			if _, ok := r.Holidays.weeksBefore(k, w, 0, 0); ok {
				return true
			}
		}
	}
	return false
}

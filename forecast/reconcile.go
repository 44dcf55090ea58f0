package forecast

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Reconciliation across levels. The company plans top-down (total, then brands, then outlets) and
// forecasts must agree at every level: outlet × brand forecasts add up to each brand's forecast and
// the brands' to the grand total. Reconcile builds the upper levels bottom-up, so the sums hold by
// construction; Distribute lets a model of brand totals set them instead (top-down) while the
// outlets keep the shape of their own forecasts.

// ErrInvalidReconciliation is returned (wrapped) for inputs of Reconcile or Distribute that do not
// fit together.
var ErrInvalidReconciliation = errors.New("forecast: invalid reconciliation")

// Level is a level of the forecast hierarchy.
type Level string

// The levels, bottom up.
const (
	OutletLevel Level = "outlet" // one brand at one outlet
	BrandLevel  Level = "brand"  // one brand over all outlets
	TotalLevel  Level = "total"  // every brand at every outlet
)

// Reconciled holds the upper levels of a set of outlet × brand forecasts.
type Reconciled struct {
	Brands []Forecast // by brand index: the sum of the brand's series' forecasts
	Total  Forecast   // the sum of the brands' forecasts
}

// Reconcile makes series (outlet × brand forecasts of a common horizon, series i of brand
// brandOf[i] in [0, brands)) consistent and returns the brand and total forecasts they add up to.
//
// Each series is first made valid in place: Mean clipped at 0 (NaN counts as 0), Lower within
// [0, Mean] and Upper at least Mean; nil Lower and Upper stay nil (the upper levels then have none
// either). Then every brand's point forecast is the sum of its series' in the order given, and the
// total's the sum of the brands', so the stored levels add up exactly up to floating-point rounding
// (a relative error of about 1e-15; all values are non-negative, so no cancellation).
//
// The 80% interval of an aggregate is not the sum of the intervals, which would be right only if
// every series erred the same way at once. The rule: the half-widths below and above the point add
// in quadrature, as for independent errors, lo = max(0, P − √Σ(Pᵢ − loᵢ)²) and hi = P + √Σ(hiᵢ − Pᵢ)².
// Errors of outlets are positively correlated (a festival, a price change, a supply cut hit many at
// once), so the true interval is wider; it lies between this one and the plain sum of the intervals.
//
// It returns an error wrapping ErrInvalidReconciliation when the lengths disagree or a brand index
// is out of range.
func Reconcile(series []Forecast, brandOf []int, brands int) (Reconciled, error) {
	if len(brandOf) != len(series) {
		return Reconciled{}, fmt.Errorf("%w: %d brand indexes for %d series", ErrInvalidReconciliation, len(brandOf), len(series))
	}
	h, intervals, err := checkForecasts(series, brandOf, brands)
	if err != nil {
		return Reconciled{}, err
	}
	r := Reconciled{Brands: make([]Forecast, brands)}
	block := make([]float64, (brands+1)*h*3)
	newForecast := func() Forecast {
		f := Forecast{Mean: block[:h:h]}
		block = block[h:]
		if intervals {
			f.Lower, f.Upper = block[:h:h], block[h:2*h:2*h]
			block = block[2*h:]
		}
		return f
	}
	for b := range r.Brands {
		r.Brands[b] = newForecast()
	}
	r.Total = newForecast()
	// Lower and Upper first hold the sums of squared half-widths.
	for i, f := range series {
		validate80(f)
		bf := r.Brands[brandOf[i]]
		for j, m := range f.Mean {
			bf.Mean[j] += m
			if intervals {
				lo, hi := m-f.Lower[j], f.Upper[j]-m
				bf.Lower[j] += lo * lo
				bf.Upper[j] += hi * hi
			}
		}
	}
	for _, bf := range r.Brands {
		for j, m := range bf.Mean {
			r.Total.Mean[j] += m
			if intervals {
				r.Total.Lower[j] += bf.Lower[j]
				r.Total.Upper[j] += bf.Upper[j]
			}
		}
		finishInterval(bf)
	}
	finishInterval(r.Total)
	return r, nil
}

// checkForecasts returns the common horizon of series and whether they all have intervals.
func checkForecasts(series []Forecast, brandOf []int, brands int) (h int, intervals bool, err error) {
	if brands < 0 {
		return 0, false, fmt.Errorf("%w: %d brands", ErrInvalidReconciliation, brands)
	}
	intervals = true
	for i, f := range series {
		if i == 0 {
			h = len(f.Mean)
		}
		if len(f.Mean) != h || (f.Lower != nil && len(f.Lower) != h) || (f.Upper != nil && len(f.Upper) != h) {
			return 0, false, fmt.Errorf("%w: series %d does not have %d weeks", ErrInvalidReconciliation, i, h)
		}
		if b := brandOf[i]; b < 0 || b >= brands {
			return 0, false, fmt.Errorf("%w: series %d of brand %d; want 0 to %d", ErrInvalidReconciliation, i, b, brands-1)
		}
		intervals = intervals && f.Lower != nil && f.Upper != nil
	}
	return h, intervals, nil
}

// validate80 clips f's point at 0 (NaN counts as 0) and puts its interval around it (a NaN bound
// at the point).
func validate80(f Forecast) {
	for j, m := range f.Mean {
		if !(m >= 0) {
			m = 0
		}
		f.Mean[j] = m
		if f.Lower != nil {
			if lo := f.Lower[j]; !(lo <= m) {
				f.Lower[j] = m
			} else if lo < 0 {
				f.Lower[j] = 0
			}
		}
		if f.Upper != nil && !(f.Upper[j] >= m) {
			f.Upper[j] = m
		}
	}
}

// finishInterval turns the sums of squared half-widths in f's Lower and Upper into the bounds.
func finishInterval(f Forecast) {
	if f.Lower == nil {
		return
	}
	for j, m := range f.Mean {
		f.Lower[j] = max(0, m-math.Sqrt(f.Lower[j]))
		f.Upper[j] = m + math.Sqrt(f.Upper[j])
	}
}

// Distribute sets brand totals top-down: for every brand b with a target (targets[b] not nil, one
// value per week, each ≥ 0), it scales the forecasts of b's series (point and interval alike) in
// each week so that their points add up to the target, keeping their proportions. A brand whose
// series forecast 0 in total in a week shares a positive target equally among its series. Brands
// with a nil target keep their forecasts. Run Reconcile afterwards: the brand sums it builds equal
// the targets up to rounding, and the stored levels add up exactly.
//
// It returns an error wrapping ErrInvalidReconciliation when the lengths disagree, a brand index is
// out of range, or a target is negative or not finite; series are then unchanged.
func Distribute(series []Forecast, brandOf []int, targets [][]float64) error {
	if len(brandOf) != len(series) {
		return fmt.Errorf("%w: %d brand indexes for %d series", ErrInvalidReconciliation, len(brandOf), len(series))
	}
	h, _, err := checkForecasts(series, brandOf, len(targets))
	if err != nil {
		return err
	}
	count := make([]int, len(targets))
	sums := make([][]float64, len(targets))
	for b, tg := range targets {
		if tg == nil {
			continue
		}
		if len(tg) != h && len(series) > 0 {
			return fmt.Errorf("%w: brand %d has a target of %d weeks; want %d", ErrInvalidReconciliation, b, len(tg), h)
		}
		for j, v := range tg {
			if !(v >= 0) || math.IsInf(v, 1) { // negative, NaN or +Inf
				return fmt.Errorf("%w: brand %d week %d: target %v", ErrInvalidReconciliation, b, j, v)
			}
		}
		sums[b] = make([]float64, h)
	}
	for i, f := range series {
		b := brandOf[i]
		if sums[b] == nil {
			continue
		}
		validate80(f)
		count[b]++
		for j, m := range f.Mean {
			sums[b][j] += m
		}
	}
	for i, f := range series {
		b := brandOf[i]
		if sums[b] == nil {
			continue
		}
		for j := range f.Mean {
			target, sum := targets[b][j], sums[b][j]
			if sum == 0 {
				share := target / float64(count[b])
				f.Mean[j] = share
				if f.Lower != nil {
					f.Lower[j], f.Upper[j] = share, share
				}
				continue
			}
			k := target / sum
			f.Mean[j] *= k
			if f.Lower != nil {
				f.Lower[j] *= k
				f.Upper[j] *= k
			}
		}
	}
	return nil
}

// MonthSplit sums weekly values into calendar months ("forecast per month, control per week"): a
// week that straddles two months puts into each the share of its seven days that fall in it, so
// that the months add up to the weeks and the sums stay consistent across levels.
type MonthSplit struct {
	Months []time.Time // the first day of every month the weeks touch, ascending
	parts  []monthPart
}

type monthPart struct {
	week, month int
	share       float64
}

// SplitMonths returns the MonthSplit of weeks (Mondays at UTC midnight, ascending).
func SplitMonths(weeks []time.Time) MonthSplit {
	var s MonthSplit
	index := make(map[time.Time]int)
	for j, w := range weeks {
		days := make(map[int]int) // month index → days of the week in it
		var order []int
		for d := range 7 {
			day := w.AddDate(0, 0, d)
			first := time.Date(day.Year(), day.Month(), 1, 0, 0, 0, 0, time.UTC)
			m, ok := index[first]
			if !ok {
				m = len(s.Months)
				index[first] = m
				s.Months = append(s.Months, first)
			}
			if days[m] == 0 {
				order = append(order, m)
			}
			days[m]++
		}
		for _, m := range order {
			s.parts = append(s.parts, monthPart{week: j, month: m, share: float64(days[m]) / 7})
		}
	}
	return s
}

// Sum writes the monthly sums of weekly (one value per week given to SplitMonths) into dst, which it
// allocates when shorter than Months, and returns it.
func (s MonthSplit) Sum(dst, weekly []float64) []float64 {
	if len(dst) < len(s.Months) {
		dst = make([]float64, len(s.Months))
	}
	dst = dst[:len(s.Months)]
	clear(dst)
	for _, p := range s.parts {
		dst[p.month] += p.share * weekly[p.week]
	}
	return dst
}

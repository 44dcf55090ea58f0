package forecast

import (
	"math"
	"slices"
	"time"
)

// A new product in its first weeks on sale. Its own series are too short for any model to tell its
// level, and the first order of each outlet fills a shelf: read as demand, that fill makes every
// outlet that took the product look as if it will order as much again within weeks. So in its first
// AfterLaunchWeeks weeks of sales (from the second), a new product's total keeps being forecast from
// its like items and the launch curve (ForecastLaunch), scaled by what it has sold so far against what
// the curve predicted for the same weeks at the same outlets. The curve, learnt from earlier launches,
// holds their first orders in its first weeks and their take-up after them, so the ratio compares
// like with like. That total is then shared among the outlets that sold the product in proportion to
// the models' forecasts of their own series: which outlets took it, and how much each, the series do
// say.

// AfterLaunchWeeks is how many weeks of sales, from its launch week, a new product has at most when
// its total is forecast by ForecastAfterLaunch rather than by the models of its own series (from
// AfterLaunchFirstWeeks on). On synthetic regions (BenchmarkPostLaunch) the models' own total is as
// good from the fourth week on.
const AfterLaunchWeeks = 3

// AfterLaunchFirstWeeks is how many weeks of sales ForecastAfterLaunch needs: the launch week alone,
// often a part of a week holding most outlets' first orders, says too little of the level (on
// synthetic regions, scaling by it did worse than the models of the product's own series).
const AfterLaunchFirstWeeks = 2

// AfterLaunch is a new product's total forecast in its first weeks of sales, and what it was learnt
// from.
type AfterLaunch struct {
	Brand    string
	Like     []string  // the like items it was forecast from
	Weeks    int       // weeks of the product's sales seen, from its launch week
	Outlets  int       // outlets carrying its like items
	Sold     float64   // its sales in the weeks seen at those outlets
	Expected float64   // what the launch curve predicted for them there
	Ratio    float64   // Sold / Expected (a product that sold nothing counts as half a unit)
	Beyond   float64   // its sales at outlets without a like item, as a share of Sold, added to the total
	Total    []float64 // per week of the run: the product's forecast over every outlet that sold it; nil: none
}

// LaunchedBefore returns catalogue without the new products launched on or after b's launch: what the
// launch curve of b's first weeks is learnt from.
func LaunchedBefore(catalogue []Brand, b Brand) []Brand {
	var out []Brand
	for _, c := range catalogue {
		if !c.NewProduct || c.Launch.Before(b.Launch) {
			out = append(out, c)
		}
	}
	return out
}

// ForecastAfterLaunch forecasts the total of new product b, on sale since its launch week within
// history p (a Panel of outlet × brand series holding b's own series and its like items'), over the
// weeks of a run, from the forecasts of the run's series (outlets[i] and brands[i] of series[i]).
// curve is the launch curve learnt from the launches before b's.
//
// The forecast at the outlets carrying any of like is ForecastLaunch's (the median of each outlet's
// like items' forecasts times the curve at the weeks since launch), scaled by Ratio: what b sold at
// those outlets over its weeks in p against what the same prediction said. Sales at outlets without
// a like item add their share. Total is nil with fewer than AfterLaunchFirstWeeks weeks of sales in p
// from the launch week, when no outlet carries a like item and when the curve predicted nothing.
func ForecastAfterLaunch(b Brand, like []string, p Panel, curve LaunchCurve, weeks []time.Time, outlets, brands []string,
	series []Forecast) AfterLaunch {
	return forecastAfterLaunchOf(b, like, p, seriesByBrand(p), curve, weeks, outlets, brands, series)
}

// forecastAfterLaunchOf is ForecastAfterLaunch with p's series indexed by brand (seriesByBrand).
func forecastAfterLaunchOf(b Brand, like []string, p Panel, byBrand map[string][]int, curve LaunchCurve, weeks []time.Time,
	outlets, brands []string, series []Forecast) AfterLaunch {
	a := AfterLaunch{Brand: b.Code, Like: like}
	l, ok := weekIndex(p.Weeks, Monday(b.Launch))
	if !ok {
		return a
	}
	a.Weeks = len(p.Weeks) - l
	if a.Weeks < AfterLaunchFirstWeeks {
		return a
	}
	lf := ForecastLaunch(Launch{Brand: b}, like, weeks, curve, outlets, brands, series)
	a.Outlets = len(lf.Outlets)
	if a.Outlets == 0 {
		return a
	}
	likeMid := likeMedianPerOutlet(p, byBrand, like)
	for _, o := range lf.Outlets {
		if mid := likeMid[o]; mid != nil {
			for t, m := range mid[l:] {
				a.Expected += curve.At(t) * m
			}
		}
	}
	var beyond float64
	for _, i := range byBrand[b.Code] {
		s := p.Series[i]
		_, carries := slices.BinarySearch(lf.Outlets, s.Outlet)
		for _, v := range s.Values[l:] {
			if carries {
				a.Sold += v
			} else {
				beyond += v
			}
		}
	}
	if a.Expected <= 0 {
		return a // the curve predicted nothing for these weeks: nothing to compare with
	}
	a.Ratio = math.Max(a.Sold, 0.5) / a.Expected
	if a.Sold > 0 {
		a.Beyond = beyond / a.Sold
	}
	a.Total = make([]float64, len(weeks))
	for _, f := range lf.Forecasts {
		for j, v := range f.Mean {
			a.Total[j] += v * a.Ratio * (1 + a.Beyond)
		}
	}
	return a
}

// Share scales the forecasts of the product's series (the models' forecasts of the outlets that sold
// it) in place, week by week and bound by bound, so that their points add up to Total. It reports
// false, leaving them as they are, when there is no Total or the series forecast nothing in some
// week where Total is above 0.
func (a AfterLaunch) Share(own []Forecast) bool {
	if a.Total == nil {
		return false
	}
	sums := make([]float64, len(a.Total))
	for _, f := range own {
		for j := range sums {
			sums[j] += f.Mean[j]
		}
	}
	for j, s := range sums {
		if s <= 0 && a.Total[j] > 0 {
			return false
		}
	}
	for _, f := range own {
		for j, s := range sums {
			r := 0.0
			if s > 0 {
				r = a.Total[j] / s
			}
			f.Mean[j] *= r
			if f.Lower != nil {
				f.Lower[j] *= r
				f.Upper[j] *= r
			}
		}
	}
	return true
}

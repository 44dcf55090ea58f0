package forecast

import (
	"math"
	"slices"
	"time"
)

// New products. A brand launched in or after the horizon of a run has no history to learn from; it
// is forecast from like items: the brands of the same manufacturer and price class (a new product
// usually extends a family), or of the same price class when the manufacturer has no other.
//
// At each launch outlet the forecast of a week is the median forecast of the like items the outlet
// carries, times the launch curve at the weeks since launch: how a new product's sales compare with
// its like items' in its first weeks, learnt from earlier launches in the history (LearnLaunchCurve).
// A median, not a mean: a family often holds one brand that sells many times the others, and a mean
// would scale every launch beside it by that one brand.

// Brand is what forecasting needs to know of a brand of the catalogue.
type Brand struct {
	Code         string
	Manufacturer string
	PriceClass   int // 1 (dearest) … 5; 0 when unknown
	Scarce       bool
	NewProduct   bool
	Launch       time.Time // zero unless NewProduct
}

// LikeItems returns the codes of the brands like b among catalogue, in catalogue order: those of the
// same manufacturer and price class; when there are none, those of the same price class. b itself,
// brands without a price class, new products launched on or after b (they have no more history
// than b) and brands for which has returns false (say, without history) are never like items.
func LikeItems(b Brand, catalogue []Brand, has func(code string) bool) []string {
	var same, class []string
	for _, c := range catalogue {
		if c.Code == b.Code || c.PriceClass == 0 || c.PriceClass != b.PriceClass {
			continue
		}
		if c.NewProduct && !c.Launch.Before(b.Launch) {
			continue
		}
		if has != nil && !has(c.Code) {
			continue
		}
		class = append(class, c.Code)
		if c.Manufacturer == b.Manufacturer && b.Manufacturer != "" {
			same = append(same, c.Code)
		}
	}
	if len(same) > 0 {
		return same
	}
	return class
}

// DefaultLaunchWeeks is how many weeks after launch a LaunchCurve follows; later weeks take its last
// value.
const DefaultLaunchWeeks = 26

// LaunchCurve is, per week since launch (0: the week holding the launch day), a new product's sales
// as a multiple of the median sales of its like items per outlet carrying them, summed over those
// outlets. It folds in both how fast the product ramps up and how many of the like items' outlets
// take it. A nil curve is 1 throughout: the new product sells like its outlets' median like item.
type LaunchCurve []float64

// At returns the curve k weeks after launch: 0 before it, the last value after the curve's end.
func (c LaunchCurve) At(k int) float64 {
	switch {
	case k < 0:
		return 0
	case len(c) == 0:
		return 1
	case k >= len(c):
		return c[len(c)-1]
	}
	return c[k]
}

// LaunchStats are what LearnLaunchCurve learnt from, per week since launch and per launch.
type LaunchStats struct {
	Products []string  // the earlier launches learnt from
	Levels   []float64 // per product: its sales over the sales the curve's shape predicts from its like items; NaN: none predicted
	Level    float64   // the curve's level: the geometric mean of Levels, shrunk towards 1
	New      []float64 // per week since launch: the new products' sales
	Like     []float64 // per week since launch: their like items' mean per outlet, summed over outlets
}

// LearnLaunchCurve learns the launch curve from the launches in history p (a Panel of outlet × brand
// series, sales or estimated demand): for every new product of catalogue launched within p's weeks
// (after its first), with like items in p, and for each of the first weeks weeks after its launch
// that p holds, it adds the product's sales over all outlets to New and, over the outlets carrying
// any of its like items, the median of those like items' values to Like. It reads p only; a curve
// without any data is nil.
//
// The curve is a shape times a level. The shape, how sales ramp up after a launch, is New / Like per
// week since launch pooled over products (weeks without data take the value of the week before),
// divided by the pooled ratio over all weeks, so that it is about 1. The level is not pooled: like
// items say little of how much a product will sell (one launch may sell twenty times its like items,
// the next a tenth of them), and a ratio of sums would let the one launch scale every later one. Each
// product's level is its sales over what the shape predicts from its like items (a product that sold
// nothing counts as half a carton); the curve's level is their geometric mean, as a median is the
// forecast that minimises the absolute error of a skewed ratio, shrunk in logs towards 1 (sells like
// an average like item) with the weight of one launch, so that a single earlier launch moves it only
// halfway.
func LearnLaunchCurve(p Panel, catalogue []Brand, weeks int) (LaunchCurve, LaunchStats) {
	return learnLaunchCurve(p, seriesByBrand(p), catalogue, weeks)
}

// seriesByBrand indexes p's series by brand: brand → the indexes of its series.
func seriesByBrand(p Panel) map[string][]int {
	byBrand := make(map[string][]int)
	for i, s := range p.Series {
		byBrand[s.Brand] = append(byBrand[s.Brand], i)
	}
	return byBrand
}

// learnLaunchCurve is LearnLaunchCurve with p's series indexed by brand (seriesByBrand).
func learnLaunchCurve(p Panel, byBrand map[string][]int, catalogue []Brand, weeks int) (LaunchCurve, LaunchStats) {
	if weeks <= 0 {
		weeks = DefaultLaunchWeeks
	}
	st := LaunchStats{New: make([]float64, weeks), Like: make([]float64, weeks)}
	if len(p.Weeks) == 0 {
		return nil, st
	}
	has := func(code string) bool { return len(byBrand[code]) > 0 }
	type launch struct{ sales, like []float64 } // per week since launch; like 0 where not seen
	var launches []launch
	for _, b := range catalogue {
		if !b.NewProduct || b.Launch.IsZero() {
			continue
		}
		w0, ok := weekIndex(p.Weeks, Monday(b.Launch))
		if !ok || w0 == 0 || !has(b.Code) {
			continue // launched before the history or after it, or never sold
		}
		like := LikeItems(b, catalogue, has)
		if len(like) == 0 {
			continue
		}
		likeMid := likeMedianPerOutlet(p, byBrand, like)
		l := launch{sales: make([]float64, weeks), like: make([]float64, weeks)}
		used := false
		for k := range weeks {
			t := w0 + k
			if t >= len(p.Weeks) {
				break
			}
			for _, i := range byBrand[b.Code] {
				l.sales[k] += p.Series[i].Values[t]
			}
			for _, m := range likeMid {
				l.like[k] += m[t]
			}
			if l.like[k] <= 0 {
				l.like[k] = 0
				continue
			}
			st.New[k] += l.sales[k]
			st.Like[k] += l.like[k]
			used = true
		}
		if used {
			st.Products = append(st.Products, b.Code)
			launches = append(launches, l)
		}
	}
	if len(launches) == 0 {
		return nil, st
	}
	shape := make(LaunchCurve, weeks)
	last := 1.0
	var allNew, allLike float64
	for k := range shape {
		if st.Like[k] > 0 {
			last = st.New[k] / st.Like[k]
		}
		shape[k] = last
		allNew += st.New[k]
		allLike += st.Like[k]
	}
	if allNew > 0 {
		for k := range shape {
			shape[k] *= allLike / allNew
		}
	} else {
		for k := range shape {
			shape[k] = 1 // no launch sold anything yet: nothing to say about the ramp
		}
	}
	var logs float64
	n := 0
	for _, l := range launches {
		var sales, predicted float64
		for k := range weeks {
			if l.like[k] > 0 {
				sales += l.sales[k]
				predicted += shape[k] * l.like[k]
			}
		}
		if predicted <= 0 {
			// Seen only in weeks the shape says sell nothing (every launch's first week empty, say):
			// nothing to learn of its level.
			st.Levels = append(st.Levels, math.NaN())
			continue
		}
		level := max(sales, 0.5) / predicted
		st.Levels = append(st.Levels, level)
		logs += math.Log(level)
		n++
	}
	st.Level = math.Exp(logs / float64(n+1))
	for k := range shape {
		shape[k] *= st.Level
	}
	return shape, st
}

// likeMedianPerOutlet returns, per outlet carrying any of like, the median over the like items it
// carries of their weekly values, week by week.
func likeMedianPerOutlet(p Panel, byBrand map[string][]int, like []string) map[string][]float64 {
	carried := make(map[string][][]float64) // outlet → the like items' values
	for _, code := range like {
		for _, i := range byBrand[code] {
			s := p.Series[i]
			carried[s.Outlet] = append(carried[s.Outlet], s.Values)
		}
	}
	out := make(map[string][]float64, len(carried))
	var week []float64
	for o, series := range carried {
		v := make([]float64, len(p.Weeks))
		for t := range v {
			week = week[:0]
			for _, x := range series {
				week = append(week, x[t])
			}
			v[t] = median(week)
		}
		out[o] = v
	}
	return out
}

// weekIndex returns the index of week w in weeks (ascending Mondays).
func weekIndex(weeks []time.Time, w time.Time) (int, bool) {
	return slices.BinarySearchFunc(weeks, w, func(a, b time.Time) int { return a.Compare(b) })
}

// Launch is a new product to forecast: the brand and the outlets chosen for its launch.
type Launch struct {
	Brand   Brand
	Outlets []string // the launch outlets; nil: every outlet that carries any of its like items
}

// LaunchForecast is the forecast of a new product at its launch outlets.
type LaunchForecast struct {
	Brand     string
	Like      []string   // the like items it was forecast from
	Outlets   []string   // the launch outlets that carry a like item, sorted
	Forecasts []Forecast // per outlet: like items' median forecast times the launch curve
}

// ForecastLaunch forecasts the new product of l over the weeks (Mondays) of a run, from the
// forecasts of the run's series (outlets[i] and brands[i] of series[i], all over those weeks):
// at each launch outlet, the median of the forecasts of the like items it carries (the point and each
// bound of the interval apart), times curve.At(weeks since launch), so 0 before the launch week.
// Launch outlets without any like item are left out: there is nothing to scale. like is the result of LikeItems for the
// brand; the result has no outlets when like is empty.
func ForecastLaunch(l Launch, like []string, weeks []time.Time, curve LaunchCurve, outlets, brands []string,
	series []Forecast) LaunchForecast {
	lf := LaunchForecast{Brand: l.Brand.Code, Like: like}
	h := len(weeks)
	isLike := make(map[string]bool, len(like))
	for _, c := range like {
		isLike[c] = true
	}
	var chosen map[string]bool
	if l.Outlets != nil {
		chosen = make(map[string]bool, len(l.Outlets))
		for _, o := range l.Outlets {
			chosen[o] = true
		}
	}
	carried := make(map[string][]Forecast) // launch outlet → its like items' forecasts
	for i, b := range brands {
		if !isLike[b] || (chosen != nil && !chosen[outlets[i]]) {
			continue
		}
		f := series[i]
		if f.Lower == nil {
			f.Lower, f.Upper = f.Mean, f.Mean
		}
		carried[outlets[i]] = append(carried[outlets[i]], f)
	}
	for o := range carried {
		lf.Outlets = append(lf.Outlets, o)
	}
	slices.Sort(lf.Outlets)
	launch := Monday(l.Brand.Launch)
	scale := make([]float64, h)
	for j, w := range weeks {
		k := int(w.Sub(launch).Hours()) / (24 * 7)
		if w.Before(launch) {
			k = -1
		}
		scale[j] = curve.At(k)
	}
	week := make([]float64, 0, len(like))
	medianAt := func(fs []Forecast, j int, of func(Forecast) []float64) float64 { // of the week j of each
		week = week[:0]
		for _, f := range fs {
			week = append(week, of(f)[j])
		}
		return median(week)
	}
	mean := func(f Forecast) []float64 { return f.Mean }
	lower := func(f Forecast) []float64 { return f.Lower }
	upper := func(f Forecast) []float64 { return f.Upper }
	for _, o := range lf.Outlets {
		fs := carried[o]
		f := Forecast{Mean: make([]float64, h), Lower: make([]float64, h), Upper: make([]float64, h)}
		for j := range h {
			f.Mean[j] = scale[j] * medianAt(fs, j, mean)
			f.Lower[j] = scale[j] * medianAt(fs, j, lower)
			f.Upper[j] = scale[j] * medianAt(fs, j, upper)
		}
		lf.Forecasts = append(lf.Forecasts, f)
	}
	return lf
}

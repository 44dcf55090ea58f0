package forecast

import (
	"math"
	"time"

	"github.com/sajari/regression"
)

// AnnualCycle is the smooth swing of demand through the year that a batch's series share (summer a
// little above winter, say), learnt from the batch's weekly total: the week starting on Monday m is
// worth exp(Cos · cos θ + Sin · sin θ) times a week of average season, θ the angle of m's Thursday in
// its year. The zero value is no cycle.
//
// Why the batch's total. With less than two years of history an outlet's series shows each week of
// the year once or twice under its noise, so its own seasonal profile is shrunk towards none and the
// models chosen for it carry a recent level forward. In the seeded region, whose demand swings ±5%
// through the year, that forecast the last autumn weeks 8–10% above their demand from every seed's
// latest origin (docs/BENCHMARKS.md, "The year's swing learnt from the region's total"). The total of
// thousands of outlets shows one harmonic of the year clearly after a year and a half. Seasonal
// indices learnt from a group's aggregate and applied to its items are a textbook remedy for short,
// noisy series (Withycombe 1989; Chen and Boylan 2007).
type AnnualCycle struct{ Cos, Sin float64 }

// annualMinWeeks is the least history, from the total's first sale, that the cycle is learnt from:
// MinSeasonalWeeks, the history the seasonal candidates ask for too. With a year and a bit less, one
// harmonic and the trend cannot be told apart.
const annualMinWeeks = MinSeasonalWeeks

// annualMaxWeeks bounds the history the cycle is learnt for: from two years and a half on, every
// week of the year has been seen twice or more, the seasonal candidates learn each series' own season
// (Walmart's departments and M5's items each have theirs), and one harmonic of the batch would only
// blur it.
const annualMaxWeeks = 2*SeasonalPeriod + SeasonalPeriod/2

// annualSignificance is the p-value below which the cycle is kept: the F-test of the two harmonic
// terms against the line alone. A batch without a season keeps none.
const annualSignificance = 0.01

// factor returns the cycle's factor for the week starting on monday.
func (a AnnualCycle) factor(monday time.Time) float64 {
	if a == (AnnualCycle{}) {
		return 1
	}
	th := annualAngle(monday)
	return math.Exp(a.Cos*math.Cos(th) + a.Sin*math.Sin(th))
}

// Peak returns the day of the year (1–365) on which the cycle is highest and the factor there less
// one (the factor at the low, half a year later, is its inverse); 0, 0 for the zero cycle.
func (a AnnualCycle) Peak() (day int, swing float64) {
	if a == (AnnualCycle{}) {
		return 0, 0
	}
	th := math.Atan2(a.Sin, a.Cos) // a.Cos·cos θ + a.Sin·sin θ = r·cos(θ − th)
	if th < 0 {
		th += 2 * math.Pi
	}
	day = int(math.Round(th * 365.25 / (2 * math.Pi)))
	return min(max(day, 1), 365), math.Exp(math.Hypot(a.Cos, a.Sin)) - 1
}

// annualAngle is the angle in the year of the Thursday of the week starting on monday.
func annualAngle(monday time.Time) float64 {
	return 2 * math.Pi * float64(monday.AddDate(0, 0, 3).YearDay()) / 365.25
}

// factors returns the cycle's factor for each of n weeks, the first starting on first; nil for the
// zero cycle.
func (a AnnualCycle) factors(first time.Time, n int) []float64 {
	if a == (AnnualCycle{}) {
		return nil
	}
	out := make([]float64, n)
	for t := range out {
		out[t] = a.factor(first.AddDate(0, 0, 7*t))
	}
	return out
}

// learnAnnual fits log total = c + b · t + Cos · cos θ + Sin · sin θ by least squares
// (github.com/sajari/regression) over the weeks of total (the first starting on first) from its first
// sale on, leaving out the weeks for which skip is true (a holiday's window) and those without sales.
// It returns the zero cycle when the history is shorter than annualMinWeeks or longer than
// annualMaxWeeks, or the harmonic is not significant.
func learnAnnual(total []float64, first time.Time, skip func(t int) bool) AnnualCycle {
	start := 0
	for start < len(total) && !(total[start] > 0) {
		start++
	}
	if n := len(total) - start; n < annualMinWeeks || n > annualMaxWeeks {
		return AnnualCycle{}
	}
	var rows []annualRow
	for t := start; t < len(total); t++ {
		if !(total[t] > 0) || skip(t) {
			continue
		}
		th := annualAngle(first.AddDate(0, 0, 7*t))
		rows = append(rows, annualRow{y: math.Log(total[t]), x: [3]float64{float64(t-start) / SeasonalPeriod, math.Cos(th), math.Sin(th)}})
	}
	dof := len(rows) - 4
	if dof < SeasonalPeriod/2 {
		return AnnualCycle{}
	}
	coeff, rss, ok := fitAnnualRows(rows, 3)
	_, rss0, ok0 := fitAnnualRows(rows, 1) // the line alone
	if !ok || !ok0 || !(rss > 0) || !(rss0 > rss) {
		return AnnualCycle{}
	}
	f := (rss0 - rss) / 2 / (rss / float64(dof))
	// The upper tail of F(2, ν) has a closed form: (1 + 2f/ν)^(−ν/2).
	if p := math.Pow(1+2*f/float64(dof), -float64(dof)/2); !(p < annualSignificance) {
		return AnnualCycle{}
	}
	return AnnualCycle{Cos: coeff[2], Sin: coeff[3]}
}

// annualRow is one week of learnAnnual's fit: the log total, and the trend in years, cos θ and sin θ.
type annualRow struct {
	y float64
	x [3]float64
}

// fitAnnualRows fits y on an intercept and the first k terms of x, and returns the coefficients
// (the intercept first) and the residual sum of squares; false when the fit fails or is not finite.
func fitAnnualRows(rows []annualRow, k int) ([]float64, float64, bool) {
	var reg regression.Regression
	for i := range rows {
		reg.Train(regression.DataPoint(rows[i].y, rows[i].x[:k]))
	}
	if err := reg.Run(); err != nil {
		return nil, 0, false
	}
	coeff := reg.GetCoeffs()
	var rss float64
	for _, r := range rows {
		e := r.y - coeff[0]
		for j, v := range r.x[:k] {
			e -= coeff[j+1] * v
		}
		rss += e * e
	}
	return coeff, rss, !math.IsNaN(rss) && !math.IsInf(rss, 0)
}

// timesAnnual returns f multiplied by the cycle's factors ann week by week (f nil: ann itself; ann
// nil: f).
func timesAnnual(f, ann []float64) []float64 {
	switch {
	case ann == nil:
		return f
	case f == nil:
		return ann
	}
	out := make([]float64, len(f))
	for t := range f {
		out[t] = f[t] * ann[t]
	}
	return out
}

package forecast_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/ordercast/ordercast/forecast"
)

// BenchmarkPostLaunch measures the default engine on the new products of synthetic regions (seeds
// 1–4, 600 outlets) 2, 4 and 6 weeks after their launch week, 4 weeks ahead, against what they then
// sold: the error of the products' totals Σ|A − F| / ΣA, their bias ΣF / ΣA and the mean |log(F / A)|
// of each product's total, and the same with each outlet's first order (the shelf's fill) left out of
// the history. About a minute:
//
//	go test -count=1 -run '^$' -bench PostLaunch -benchtime 1x ./forecast/
func BenchmarkPostLaunch(b *testing.B) {
	const h = 4
	weeksAfter := []int{2, 4, 6}
	type sums struct {
		actual, err, forecast, log float64
		errNoFill, forecastNoFill  float64
		n                          int
	}
	by := map[int]*sums{}
	for range b.N {
		eachNewProduct(b, func(_ uint64, p forecast.Panel, catalogue []forecast.Brand, br forecast.Brand, launch int) {
			for _, k := range weeksAfter {
				w0 := launch + k
				if w0+h > len(p.Weeks) {
					continue
				}
				cut, actual := beforeLaunch(p, br.Code, w0, h)
				f := brandTotal(b, cut, catalogue, br.Code, h)
				noFill := brandTotal(b, withoutFirstOrders(cut, br.Code), catalogue, br.Code, h)
				s := by[k]
				if s == nil {
					s = &sums{}
					by[k] = s
				}
				s.actual += actual
				s.err += math.Abs(actual - f)
				s.forecast += f
				s.log += math.Abs(math.Log(f / actual))
				s.errNoFill += math.Abs(actual - noFill)
				s.forecastNoFill += noFill
				s.n++
			}
		})
	}
	for _, k := range weeksAfter {
		s := by[k]
		fmt.Printf("%d weeks after launch (%d products): error of the totals %.3f, forecast / sold %.2f, mean |log(F/A)| %.2f; "+
			"without the fill %.3f, %.2f\n", k, s.n/b.N, s.err/s.actual, s.forecast/s.actual, s.log/float64(s.n),
			s.errNoFill/s.actual, s.forecastNoFill/s.actual)
		b.ReportMetric(s.err/s.actual, fmt.Sprintf("error-%dw", k))
	}
}

// brandTotal is the default engine's forecast of brand over h weeks after p, summed over its outlets.
func brandTotal(b *testing.B, p forecast.Panel, catalogue []forecast.Brand, brand string, h int) float64 {
	fc, _, brands := engineForecasts(b, p, catalogue, h)
	total := 0.0
	for i, c := range brands {
		if c == brand {
			total += sumOf(fc[i].Mean)
		}
	}
	return total
}

// withoutFirstOrders is p with each outlet's first order of brand set to 0.
func withoutFirstOrders(p forecast.Panel, brand string) forecast.Panel {
	out := forecast.Panel{Weeks: p.Weeks, Series: make([]forecast.Series, len(p.Series))}
	for i, s := range p.Series {
		out.Series[i] = s
		if s.Brand != brand {
			continue
		}
		v := append([]float64(nil), s.Values...)
		for w := range v {
			if v[w] > 0 {
				v[w] = 0
				break
			}
		}
		out.Series[i].Values = v
	}
	return out
}

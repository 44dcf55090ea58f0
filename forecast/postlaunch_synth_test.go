package forecast_test

import (
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/ordercast/ordercast/forecast"
)

// BenchmarkPostLaunch measures the forecasts of the new products of synthetic regions (seeds 1–4,
// 600 outlets) 1 to 8 weeks after their launch week, 4 weeks ahead, against what they then sold: the
// error of the products' totals Σ|A − F| / ΣA, their bias ΣF / ΣA, the mean |log(F / A)| of each
// product's total and the error at the outlets Σ|A − F| / ΣA over the product's outlets. Three
// forecasts: the default engine on the product's own series; the same with each outlet's first order
// (the shelf's fill) left out of the history; and the total of ForecastAfterLaunch (like items and the
// launch curve, scaled by what the product sold since its launch) shared among the engine's forecasts
// of its series (AfterLaunch.Share), which `forecast run` uses up to AfterLaunchWeeks. About two minutes:
//
//	go test -count=1 -run '^$' -bench PostLaunch -benchtime 1x ./forecast/
func BenchmarkPostLaunch(b *testing.B) {
	const h = 4
	weeksAfter := []int{1, 2, 3, 4, 6, 8}
	type method struct{ err, forecast, log, outletErr float64 }
	type sums struct {
		actual                 float64
		engine, noFill, shared method
		n                      int
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
				sold := soldAfter(p, br.Code, w0, h)
				s := by[k]
				if s == nil {
					s = &sums{}
					by[k] = s
				}
				add := func(m *method, f map[string]float64) {
					total := 0.0
					for _, v := range f {
						total += v
					}
					m.err += math.Abs(actual - total)
					m.forecast += total
					m.log += math.Abs(math.Log(max(total, 0.01) / actual))
					m.outletErr += outletError(sold, f)
				}
				fc, outlets, brands := engineForecasts(b, cut, catalogue, h)
				add(&s.engine, brandForecasts(fc, outlets, brands, br.Code))
				nfc, noutlets, nbrands := engineForecasts(b, withoutFirstOrders(cut, br.Code), catalogue, h)
				add(&s.noFill, brandForecasts(nfc, noutlets, nbrands, br.Code))
				shareAfterLaunch(cut, catalogue, br, h, fc, outlets, brands)
				add(&s.shared, brandForecasts(fc, outlets, brands, br.Code))
				s.actual += actual
				s.n++
			}
		})
	}
	for _, k := range weeksAfter {
		s := by[k]
		line := func(name string, m method) string {
			return fmt.Sprintf("%s: error %.3f, F/A %.2f, |log| %.2f, outlets %.3f", name, m.err/s.actual,
				m.forecast/s.actual, m.log/float64(s.n), m.outletErr/s.actual)
		}
		fmt.Printf("%d weeks after launch (%d products): %s; %s; %s\n", k, s.n/b.N, line("engine", s.engine),
			line("without the fill", s.noFill), line("after launch", s.shared))
		b.ReportMetric(s.engine.err/s.actual, fmt.Sprintf("engine-error-%dw", k))
		b.ReportMetric(s.shared.err/s.actual, fmt.Sprintf("launch-error-%dw", k))
	}
}

// soldAfter returns brand's sales per outlet over the h weeks from w0 of p.
func soldAfter(p forecast.Panel, brand string, w0, h int) map[string]float64 {
	sold := make(map[string]float64)
	for _, s := range p.Series {
		if s.Brand == brand {
			sold[s.Outlet] += sumOf(s.Values[w0 : w0+h])
		}
	}
	return sold
}

// outletError is Σ|A − F| over the outlets of sold and forecast.
func outletError(sold, forecast map[string]float64) float64 {
	e := 0.0
	for o, a := range sold {
		e += math.Abs(a - forecast[o])
	}
	for o, f := range forecast {
		if _, ok := sold[o]; !ok {
			e += f
		}
	}
	return e
}

// brandForecasts returns the forecasts of brand's series, summed over their weeks, per outlet.
func brandForecasts(fc []forecast.Forecast, outlets, brands []string, brand string) map[string]float64 {
	out := make(map[string]float64)
	for i, c := range brands {
		if c == brand {
			out[outlets[i]] += sumOf(fc[i].Mean)
		}
	}
	return out
}

// shareAfterLaunch sets the total of br's forecasts among fc, the engine's forecasts of the series of
// history p (up to some weeks after br's launch), with ForecastAfterLaunch and the launch curve learnt
// from the launches before br's, as `forecast run` does.
func shareAfterLaunch(p forecast.Panel, catalogue []forecast.Brand, br forecast.Brand, h int, fc []forecast.Forecast,
	outlets, brands []string) {
	curve, _ := forecast.LearnLaunchCurve(p, forecast.LaunchedBefore(catalogue, br), forecast.DefaultLaunchWeeks)
	has := func(code string) bool { return slices.Contains(brands, code) }
	weeks := make([]time.Time, h)
	for j := range weeks {
		weeks[j] = p.Weeks[len(p.Weeks)-1].AddDate(0, 0, 7*(j+1))
	}
	a := forecast.ForecastAfterLaunch(br, forecast.LikeItems(br, catalogue, has), p, curve, weeks, outlets, brands, fc)
	var own []forecast.Forecast
	for i, c := range brands {
		if c == br.Code {
			own = append(own, fc[i])
		}
	}
	a.Share(own)
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

package forecast_test

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/ordercast/ordercast/forecast"
	"github.com/ordercast/ordercast/forecast/synth"
	"github.com/ordercast/ordercast/retailer"
)

// censoredRegion generates the synthetic region of cfg and returns it, which of its brands are scarce,
// its sales of every brand, their true demand and the collection points' scans.
func censoredRegion(t testing.TB, cfg synth.Config) (r *synth.Region, scarce map[string]bool, sales forecast.SalesPanel, demand forecast.Panel, scans forecast.ScanPanel) {
	t.Helper()
	r, err := synth.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	scarce = map[string]bool{}
	for _, b := range r.Brands {
		scarce[b.Code] = b.Scarce
	}
	sales, demand = regionHistory(t, r, func(string) bool { return true })
	return r, scarce, sales, demand, regionScans(t, r, sales)
}

// regionScans returns the accepted scans of region r's collection points on the calendar of sales,
// per outlet × brand in cartons: the week's sell-out and its last stock count (NaN when none).
func regionScans(t testing.TB, r *synth.Region, sales forecast.SalesPanel) forecast.ScanPanel {
	t.Helper()
	packs := map[string]float64{}
	for _, b := range r.Brands {
		packs[b.Code] = float64(b.PacksPerCarton)
	}
	p := forecast.ScanPanel{Weeks: sales.Weeks}
	index := map[[2]string]int{}
	weekOf := func(d time.Time) int { return int(forecast.Monday(d).Sub(r.Start).Hours()) / (24 * 7) }
	err := r.Each(func(h *synth.History) error {
		for _, b := range h.Scans {
			rejected := map[int]bool{}
			for _, rj := range b.Rejects {
				rejected[rj.Row] = true
			}
			for k, row := range b.Rows {
				if rejected[k+1] {
					continue
				}
				key := [2]string{row.Outlet, row.Brand}
				i, ok := index[key]
				if !ok {
					i = len(p.Series)
					index[key] = i
					s := forecast.ScanSeries{Outlet: row.Outlet, Brand: row.Brand,
						SellOut: make([]float64, len(p.Weeks)), Stock: make([]float64, len(p.Weeks))}
					for w := range s.Stock {
						s.Stock[w] = math.NaN()
					}
					p.Series = append(p.Series, s)
				}
				w := weekOf(row.At)
				if row.Kind == retailer.SellOut {
					p.Series[i].SellOut[w] += row.Qty / packs[row.Brand]
				} else {
					p.Series[i].Stock[w] = row.Qty / packs[row.Brand]
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// cut returns the first n weeks of sp and of scans.
func cutPanels(sp forecast.SalesPanel, scans forecast.ScanPanel, n int) (forecast.SalesPanel, forecast.ScanPanel) {
	out := forecast.SalesPanel{Weeks: sp.Weeks[:n], Series: make([]forecast.SalesSeries, len(sp.Series))}
	for i, s := range sp.Series {
		c := forecast.SalesSeries{Outlet: s.Outlet, Brand: s.Brand, Sales: s.Sales[:n]}
		if s.Censored != nil {
			c.Censored, c.Requested = s.Censored[:n], s.Requested[:n]
		}
		out.Series[i] = c
	}
	sc := forecast.ScanPanel{Weeks: scans.Weeks[:n], Series: make([]forecast.ScanSeries, len(scans.Series))}
	for i, s := range scans.Series {
		sc.Series[i] = forecast.ScanSeries{Outlet: s.Outlet, Brand: s.Brand, SellOut: s.SellOut[:n], Stock: s.Stock[:n]}
	}
	return out, sc
}

// subset returns the series of p whose brand keep accepts.
func subset(p forecast.Panel, keep func(string) bool) forecast.Panel {
	out := forecast.Panel{Weeks: p.Weeks}
	for _, s := range p.Series {
		if keep(s.Brand) {
			out.Series = append(out.Series, s)
		}
	}
	return out
}

// TestLearntCensoringOnSyntheticRegion measures, on two synthetic regions, how far the history a
// forecast learns from lies from the true demand (brand-level bias, scarce and other brands), and
// the forecasts learnt from it: sell-in as recorded, the fixed midpoint correction of limited weeks,
// and the correction learnt from the collection points' scans (learnt on the weeks before the
// backtest's first origin only).
func TestLearntCensoringOnSyntheticRegion(t *testing.T) {
	if testing.Short() {
		t.Skip("generates two 600-outlet regions")
	}
	for _, seed := range []uint64{1, 2} {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) { learntCensoringOnRegion(t, seed) })
	}
}

func learntCensoringOnRegion(t *testing.T, seed uint64) {
	r, scarce, sales, demand, scans := censoredRegion(t, synth.Config{Outlets: 600, Brands: 60, Weeks: 104, Seed: seed, Now: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)})
	const scored = 12 // the backtest's three windows of 4 weeks
	learnt := forecast.LearnCensoring(sales, scans, len(sales.Weeks)-scored, forecast.EMOptions{})
	_, lscans := cutPanels(sales, scans, len(sales.Weeks)-scored)
	for _, g := range []struct {
		name   string
		scarce bool
	}{{"scarce", true}, {"other", false}} {
		var theta [4]float64
		var share float64
		n := 0
		for b, bc := range learnt.Brands {
			if scarce[b] == g.scarce {
				for s := range theta {
					theta[s] += bc.Theta[s]
				}
				share += bc.UnmetShare
				n++
			}
		}
		t.Logf("%s brands (%d): mean theta delivered %.3f idle %.3f none %.3f cut %.3f; unmet share %.3f", g.name, n,
			theta[0]/float64(n), theta[1]/float64(n), theta[2]/float64(n), theta[3]/float64(n), share/float64(n))
	}
	{ // the EM on the scanned weeks against the truth
		ld := learnt.Demand(sales)
		di := map[[2]string]int{}
		for i, s := range demand.Series {
			di[[2]string{s.Outlet, s.Brand}] = i
		}
		for _, g := range []bool{true, false} {
			var sold, est, tru, cens, n float64
			for _, s := range lscans.Series {
				if scarce[s.Brand] != g {
					continue
				}
				i, ok := di[[2]string{s.Outlet, s.Brand}]
				if !ok {
					continue
				}
				for w := range s.Stock {
					if math.IsNaN(s.Stock[w]) {
						continue
					}
					sold += s.SellOut[w]
					est += s.SellOut[w] + ld.Series[i].Values[w] - sales.Series[i].Sales[w]
					tru += demand.Series[i].Values[w]
					n++
					if s.Stock[w] <= 0 {
						cens++
					}
				}
			}
			t.Logf("scarce %v: scanned weeks %.0f, censored %.2f, sold/true %.4f, EM/true %.4f", g, n, cens/n, sold/tru, est/tru)
		}
	}
	cp := map[string]bool{}
	for _, o := range r.Outlets {
		cp[o.Licence] = o.CollectionPoint
	}
	{
		ld := learnt.Demand(sales)
		for _, g := range []bool{true, false} {
			for _, c := range []bool{true, false} {
				var e, a, sl float64
				for i, s := range ld.Series {
					if scarce[s.Brand] != g || cp[s.Outlet] != c {
						continue
					}
					for w := range len(ld.Weeks) - scored {
						e += s.Values[w]
						a += demand.Series[i].Values[w]
						sl += sales.Series[i].Sales[w]
					}
				}
				t.Logf("scarce %v collection point %v: sell-in/true %.4f learnt/true %.4f", g, c, sl/a, e/a)
			}
		}
	}
	variants := []struct {
		name  string
		train forecast.Panel
	}{
		{"sell-in", sales.Panel()},
		{"midpoint", forecast.Censoring{}.Demand(sales)},
		{"learnt", learnt.Demand(sales)},
		{"true demand", demand},
	}
	history := func(p forecast.Panel, keep func(string) bool) (bias, brandErr float64) {
		est, tru := map[string]float64{}, map[string]float64{}
		for i, s := range p.Series {
			if !keep(s.Brand) {
				continue
			}
			for w := range len(p.Weeks) - scored {
				est[s.Brand] += s.Values[w]
				tru[s.Brand] += demand.Series[i].Values[w]
			}
		}
		var e, a, abs float64
		for b := range tru {
			e += est[b]
			a += tru[b]
			abs += math.Abs(est[b] - tru[b])
		}
		return e/a - 1, abs / a
	}
	got := map[string][3]float64{} // variant and group → history bias, forecast bias, brand accuracy
	for _, v := range variants {
		for _, g := range []struct {
			name string
			keep func(string) bool
		}{{"scarce", func(b string) bool { return scarce[b] }}, {"other", func(b string) bool { return !scarce[b] }}} {
			hb, he := history(v.train, g.keep)
			train := subset(v.train, g.keep)
			vals := make([][]float64, len(train.Series))
			for i, s := range train.Series {
				vals[i] = s.Values
			}
			rep, err := forecast.Backtest(context.Background(), subset(demand, g.keep), forecast.BacktestConfig{Calibration: -1},
				forecast.TrainOn(forecast.NewEngine(), vals))
			if err != nil {
				t.Fatal(err)
			}
			m := rep.Results[0].Metrics
			got[v.name+" "+g.name] = [3]float64{hb, m.Bias, m.BrandAccuracy}
			t.Logf("%-11s %-6s history bias %+.4f brand |err| %.4f; forecast bias %+.4f WAPE %.4f brand acc %.4f",
				v.name, g.name, hb, he, m.Bias, m.WAPE, m.BrandAccuracy)
		}
	}
	// Issue 12 asks for a brand-level bias within ±3%: seed 1 meets it, seed 2 does not (its scarce
	// brands' collection points end half their weeks without stock, and the EM's tail assumption
	// decides the estimate; see docs/BENCHMARKS.md). What holds on both: the learnt correction
	// at least halves the other brands' bias of the fixed correction, lowers the scarce brands', and
	// gives better brand accuracy.
	for _, g := range []string{"scarce", "other"} {
		l, m := got["learnt "+g], got["midpoint "+g]
		cut := 1.0
		if g == "other" {
			cut = 0.5
		}
		if math.Abs(l[0]) > cut*math.Abs(m[0]) || math.Abs(l[1]) > cut*math.Abs(m[1]) {
			t.Errorf("%s brands: history bias %+.4f, forecast bias %+.4f learnt; %+.4f, %+.4f with the midpoint; want at most %.0f%% of those",
				g, l[0], l[1], m[0], m[1], 100*cut)
		}
		if l[2] < m[2] {
			t.Errorf("%s brands: brand accuracy %.4f learnt, %.4f with the midpoint; want no worse", g, l[2], m[2])
		}
	}
}

// TestDemandDrawsOnSyntheticRegion checks that the demand drawn behind the corrected history
// (DemandDraws, against which intervals are calibrated) strays from it as the true demand does, at
// the outlets that do not scan: as many weeks without demand, and a weekly region total as far
// from the corrected one.
func TestDemandDrawsOnSyntheticRegion(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a 600-outlet region")
	}
	r, err := synth.New(synth.Config{Outlets: 600, Brands: 60, Weeks: 104, Seed: 1, Now: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	cp := map[string]bool{}
	for _, o := range r.Outlets {
		cp[o.Licence] = o.CollectionPoint
	}
	sales, demand := regionHistory(t, r, func(string) bool { return true })
	scans := regionScans(t, r, sales)
	learnt := forecast.LearnCensoring(sales, scans, len(sales.Weeks), forecast.EMOptions{})
	corrected := learnt.Demand(sales)
	const from = 20 // past the brands' first sales
	draws := learnt.DemandDraws(sales, from)
	var zeroTrue, zeroDrawn, cells float64
	offTrue := make([]float64, len(sales.Weeks)-from) // per week: Σ (value − corrected) over the series
	offDrawn := make([]float64, len(sales.Weeks)-from)
	for i, s := range corrected.Series {
		if cp[s.Outlet] {
			continue
		}
		for w := from; w < len(sales.Weeks); w++ {
			tv, dv := demand.Series[i].Values[w], draws.Values[i][w-from]
			cells++
			if tv == 0 {
				zeroTrue++
			}
			if dv == 0 {
				zeroDrawn++
			}
			offTrue[w-from] += tv - s.Values[w]
			offDrawn[w-from] += dv - s.Values[w]
		}
	}
	sd := func(x []float64) float64 {
		m := 0.0
		for _, v := range x {
			m += v / float64(len(x))
		}
		ss := 0.0
		for _, v := range x {
			ss += (v - m) * (v - m)
		}
		return math.Sqrt(ss / float64(len(x)))
	}
	t.Logf("outlets without scans: weeks without demand %.3f true, %.3f drawn; sd of the weekly total's distance "+
		"from the corrected %.1f true, %.1f drawn", zeroTrue/cells, zeroDrawn/cells, sd(offTrue), sd(offDrawn))
	if math.Abs(zeroTrue-zeroDrawn)/cells > 0.05 {
		t.Errorf("weeks without demand: %.3f drawn; want the true share %.3f within 0.05", zeroDrawn/cells, zeroTrue/cells)
	}
	if ratio := sd(offDrawn) / sd(offTrue); ratio < 0.67 || ratio > 1.5 {
		t.Errorf("sd of the weekly total's distance from the corrected history: %.1f drawn, %.1f true; want within 1.5×",
			sd(offDrawn), sd(offTrue))
	}
}

// BenchmarkDemandDraws measures the draws a run calibrates against, over the weeks its calibration
// windows score (4 + 8 − 1), per series of a 600-outlet region.
func BenchmarkDemandDraws(b *testing.B) {
	sales, learnt := benchRegion(b)
	from := len(sales.Weeks) - forecast.DefaultHorizon - forecast.DefaultCalibrationWindows + 1
	b.ResetTimer()
	for range b.N {
		learnt.DemandDraws(sales, from)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(len(sales.Series)), "µs/series")
}

// BenchmarkCorrectedHistory measures the corrected history a run forecasts from (LearntCensoring.Demand
// over every week), per series of a 600-outlet region.
func BenchmarkCorrectedHistory(b *testing.B) {
	sales, learnt := benchRegion(b)
	b.ResetTimer()
	for range b.N {
		learnt.Demand(sales)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(len(sales.Series)), "µs/series")
}

// benchRegion returns the sales of a 600-outlet region (seed 1) and the correction learnt from its
// scans.
func benchRegion(b *testing.B) (forecast.SalesPanel, *forecast.LearntCensoring) {
	b.Helper()
	r, err := synth.New(synth.Config{Outlets: 600, Brands: 60, Weeks: 104, Seed: 1, Now: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		b.Fatal(err)
	}
	sales, _ := regionHistory(b, r, func(string) bool { return true })
	return sales, forecast.LearnCensoring(sales, regionScans(b, r, sales), len(sales.Weeks), forecast.EMOptions{})
}

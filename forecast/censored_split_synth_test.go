package forecast_test

import (
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ordercast/ordercast/forecast"
	"github.com/ordercast/ordercast/forecast/synth"
)

// splitCell sums one cell of TestCensoredBiasSplit's tables: series of one group of brands (scarce or
// other) and one bucket.
type splitCell struct {
	series                       int
	sellIn, corrected, truth     float64 // over the weeks learnt from
	recentCorrected, recentTruth float64 // over the last 26 of them
	scanEst, scanTruth           float64 // the EM's demand and the truth at scanned weeks (collection points)
	f, fTruth, a                 float64 // Σ forecast with the correction, trained on the truth; Σ true demand scored
}

func (c *splitCell) add(o *splitCell) {
	c.series += o.series
	c.sellIn += o.sellIn
	c.corrected += o.corrected
	c.truth += o.truth
	c.recentCorrected += o.recentCorrected
	c.recentTruth += o.recentTruth
	c.scanEst += o.scanEst
	c.scanTruth += o.scanTruth
	c.f += o.f
	c.fTruth += o.fTruth
	c.a += o.a
}

func ratio(a, b float64) string {
	if b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.3f", a/b)
}

// split is one way of bucketing series: a name per bucket and the bucket of series i (−1: none).
type split struct {
	title   string
	buckets []string
	of      func(i int) int
}

// TestCensoredBiasSplit splits the censored-demand correction's bias on a synthetic region (the
// region of TestCensoredRegionTable) by how censored a series is, by brand kind and by seed, so that
// where the correction over- or under-estimates is measured: per bucket the corrected history against
// the true demand (the weeks learnt from, and their last 26), at the collection points the EM's demand
// at the scanned weeks against the truth, and the forecasts' bias with the correction and with the
// engine trained on the true demand. The difference of the two, in points of the group's bias, is the
// correction's part; summed over a table's buckets it is the group's whole (checked).
//
// The buckets: collection points by the share of their scanned weeks that ended without stock, and
// every series by its true unmet share (1 − Σ sell-in / Σ true demand over the weeks learnt from;
// sell-in over months is what sold, give or take the shelf's stock), by its mean true demand, by the
// shape the EM chose for its brand, and collection points apart from the outlets that do not scan.
//
// It is a harness: ORDERCAST_BIAS_SPLIT="seeds origins", e.g. "1,2,3 12", runs it (two backtests per
// seed: about a minute each on a quiet machine at 12 origins). With ORDERCAST_BIAS_SPLIT_HISTORY=1
// it splits the corrected history only (no backtests: seconds), which is what it does by default, for
// seed 1 at 12 origins, so that the split's own checks run with every test run.
func TestCensoredBiasSplit(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a 600-outlet region")
	}
	spec, history := os.Getenv("ORDERCAST_BIAS_SPLIT"), os.Getenv("ORDERCAST_BIAS_SPLIT_HISTORY") != ""
	if spec == "" {
		spec, history = "1 12", true
	}
	parts := strings.Fields(spec)
	if len(parts) != 2 {
		t.Fatalf("ORDERCAST_BIAS_SPLIT=%q: want \"seeds origins\", e.g. \"1,2,3 12\"", spec)
	}
	for _, seed := range ints(t, parts[0]) {
		for _, origins := range ints(t, parts[1]) {
			cfg := synth.Config{Outlets: 600, Brands: 60, Weeks: 104, Seed: uint64(seed), Now: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)}
			biasSplit(t, newRegionData(t, cfg), origins, history)
		}
	}
}

func biasSplit(t *testing.T, d *regionData, origins int, history bool) {
	var row, ref regionRow
	if history { // the history alone, without the backtests: seconds
		row.first = len(d.sales.Weeks) - forecast.DefaultHorizon - forecast.DefaultStep*(origins-1)
		row.learnt = forecast.LearnCensoring(d.sales, d.scans, row.first, forecast.EMOptions{})
		row.corrected = row.learnt.Demand(d.sales)
		row.seriesF, row.seriesA = make([]float64, len(d.sales.Series)), make([]float64, len(d.sales.Series))
		ref.seriesF = row.seriesF
	} else {
		row = d.backtest(t, origins, false)
		ref = d.backtest(t, origins, true)
	}
	first := row.first
	sales, demand := d.sales, d.demand

	// Per series: the collection points' scanned weeks (censored share, the EM's demand there).
	scanOf := map[[2]string]int{}
	for k, s := range d.scans.Series {
		scanOf[[2]string{s.Outlet, s.Brand}] = k
	}
	n := len(sales.Series)
	cells := make([]splitCell, n)
	censShare := make([]float64, n) // NaN: not a collection point's series
	unmet := make([]float64, n)
	size := make([]float64, n)
	asked := make([]float64, n) // the unmet request over the sell-in, weeks learnt from; NaN: no sell-in
	for i, s := range sales.Series {
		c := &cells[i]
		c.series = 1
		est, tru := row.corrected.Series[i].Values, demand.Series[i].Values
		for w := range first {
			c.sellIn += s.Sales[w]
			c.corrected += est[w]
			c.truth += tru[w]
			if w >= first-26 {
				c.recentCorrected += est[w]
				c.recentTruth += tru[w]
			}
		}
		c.f, c.fTruth, c.a = row.seriesF[i], ref.seriesF[i], row.seriesA[i]
		unmet[i] = math.NaN()
		if c.truth > 0 {
			unmet[i] = 1 - c.sellIn/c.truth
		}
		size[i] = c.truth / float64(first)
		var unmetRequest float64
		for w := range first {
			if s.Censored != nil && s.Censored[w] && s.Requested != nil {
				unmetRequest += max(0, s.Requested[w]-s.Sales[w])
			}
		}
		asked[i] = math.NaN()
		if c.sellIn > 0 {
			asked[i] = unmetRequest / c.sellIn
		}
		censShare[i] = math.NaN()
		k, ok := scanOf[[2]string{s.Outlet, s.Brand}]
		if !ok {
			continue
		}
		sc := &d.scans.Series[k]
		scanned, censored := 0, 0
		started := false
		for w := range first {
			started = started || s.Sales[w] > 0 || s.Requested[w] > 0
			if !started || math.IsNaN(sc.Stock[w]) {
				continue
			}
			scanned++
			if sc.Stock[w] <= 0 {
				censored++
			}
			// The corrected week is the sell-in plus the EM's lost sales (demand − sold) at a scanned week.
			c.scanEst += sc.SellOut[w] + est[w] - s.Sales[w]
			c.scanTruth += tru[w]
		}
		if scanned > 0 {
			censShare[i] = float64(censored) / float64(scanned)
		}
	}
	bucket := func(v float64, edges []float64) int {
		if math.IsNaN(v) {
			return -1
		}
		for b, e := range edges {
			if v < e {
				return b
			}
		}
		return len(edges)
	}
	splits := []split{
		{"collection points by the share of their scanned weeks censored (stock 0)",
			[]string{"< 25%", "25–50%", "50–75%", "≥ 75%"},
			func(i int) int { return bucket(censShare[i], []float64{0.25, 0.5, 0.75}) }},
		{"every series by its true unmet share (1 − sell-in / true demand, weeks learnt from)",
			[]string{"< 5%", "5–15%", "15–30%", "30–50%", "≥ 50%"},
			func(i int) int { return bucket(unmet[i], []float64{0.05, 0.15, 0.30, 0.50}) }},
		{"every series by its unmet request (requested − delivered in the weeks a limit or a stock-out cut) over its sell-in, weeks learnt from",
			[]string{"none", "< 0.25", "0.25–0.5", "0.5–1", "1–2", "≥ 2"},
			func(i int) int { return bucket(asked[i], []float64{1e-9, 0.25, 0.5, 1, 2}) }},
		{"every series by its mean true demand (cartons a week)",
			[]string{"< 0.5", "0.5–1", "1–2", "2–5", "≥ 5"},
			func(i int) int { return bucket(size[i], []float64{0.5, 1, 2, 5}) }},
		{"every series by the negative binomial shape the EM chose for its brand",
			[]string{"2 or less", "4", "8", "16–64", "Poisson"},
			func(i int) int {
				bc := row.learnt.Brands[sales.Series[i].Brand]
				if bc == nil {
					return -1
				}
				return bucket(bc.Shape, []float64{3, 6, 12, math.Inf(1)})
			}},
		{"collection points or not",
			[]string{"collection point", "other outlet"},
			func(i int) int {
				if math.IsNaN(censShare[i]) {
					return 1
				}
				return 0
			}},
	}
	t.Logf("seed %d, %d origins: bias scarce %+.2f%% (engine on the truth %+.2f%%), other %+.2f%% (%+.2f%%)",
		d.cfg.Seed, origins, 100*row.biasScarce, 100*ref.biasScarce, 100*row.biasOther, 100*ref.biasOther)
	for k, sp := range splits {
		t.Logf("seed %d, %d origins, %s:", d.cfg.Seed, origins, sp.title)
		t.Log("| group | bucket | series | share of demand | sell-in / true | corrected / true | last 26 weeks | EM / true at scans | forecast bias | engine on the truth | correction's points |")
		for g, name := range []string{"other", "scarce"} {
			var total splitCell
			byBucket := make([]splitCell, len(sp.buckets))
			for i, s := range sales.Series {
				if d.scarce[s.Brand] != (g == 1) {
					continue
				}
				total.add(&cells[i])
				if b := sp.of(i); b >= 0 {
					byBucket[b].add(&cells[i])
				}
			}
			var points float64
			var covered splitCell
			for b, c := range byBucket {
				if c.series == 0 {
					continue
				}
				covered.add(&c)
				p := 100 * (c.f - c.fTruth) / total.a
				points += p
				t.Logf("| %s | %s | %d | %.3f | %s | %s | %s | %s | %+.1f%% | %+.1f%% | %+.2f |", name, sp.buckets[b], c.series,
					c.truth/total.truth, ratio(c.sellIn, c.truth), ratio(c.corrected, c.truth),
					ratio(c.recentCorrected, c.recentTruth), ratio(c.scanEst, c.scanTruth),
					100*(c.f/c.a-1), 100*(c.fTruth/c.a-1), p)
			}
			// The buckets of a split that covers every series add up to the group's difference.
			whole := 100 * (total.f - total.fTruth) / total.a
			if covered.series == total.series && math.Abs(points-whole) > 1e-6 {
				t.Errorf("%s, %s: buckets' points sum to %.6f; want the group's %.6f", sp.title, name, points, whole)
			}
			if covered.series == total.series && math.Abs(covered.corrected-total.corrected) > 1e-6*total.corrected {
				t.Errorf("%s, %s: buckets' corrected history sums to %.3f; want the group's %.3f", sp.title, name, covered.corrected, total.corrected)
			}
			if r := total.recentCorrected / total.recentTruth; history && k == 0 && math.Abs(r-1) > 0.05 {
				t.Errorf("%s: corrected history over the last 26 weeks learnt is %.3f of the true demand; want within 5%%", name, r)
			}
			if g == 0 && total.a > 0 && math.Abs(total.f/total.a-1-row.biasOther) > 1e-9 {
				t.Errorf("other brands' bias from the series %.6f; want the backtest's %.6f", total.f/total.a-1, row.biasOther)
			}
			t.Logf("| %s | all | %d | 1 | %s | %s | %s | %s | %+.1f%% | %+.1f%% | %+.2f |", name, total.series,
				ratio(total.sellIn, total.truth), ratio(total.corrected, total.truth),
				ratio(total.recentCorrected, total.recentTruth), ratio(total.scanEst, total.scanTruth),
				100*(total.f/total.a-1), 100*(total.fTruth/total.a-1), whole)
		}
	}
}

package forecast

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

func TestTailDraw(t *testing.T) {
	for _, tt := range []struct{ m, r, s float64 }{{3, 4, 5}, {3, math.Inf(1), 2}, {0.5, 1, 1}, {12, 8, 4}} {
		const n = 2000
		sum := 0.0
		for k := range n {
			d := tailDraw(tt.m, tt.r, tt.s, (float64(k)+0.5)/n)
			if d < math.Ceil(tt.s) || d != math.Floor(d) {
				t.Fatalf("tailDraw(%v, %v, %v) = %v; want a whole count of at least %v", tt.m, tt.r, tt.s, d, math.Ceil(tt.s))
			}
			sum += d
		}
		if got, want := sum/n, tailMean(tt.m, tt.r, tt.s); math.Abs(got-want) > 0.02*want {
			t.Errorf("mean of tailDraw(%v, %v, %v) over u = %.4f; want E[D | D ≥ s] = %.4f", tt.m, tt.r, tt.s, got, want)
		}
	}
}

func TestUniform(t *testing.T) {
	const n = 100_000
	var bins [10]int
	for i := range n {
		u := uniform(uint64(i/100), uint64(i%100), 7)
		if u < 0 || u >= 1 {
			t.Fatalf("uniform = %v; want [0, 1)", u)
		}
		bins[int(u*10)]++
	}
	for k, c := range bins {
		if c < n/10*9/10 || c > n/10*11/10 {
			t.Errorf("uniform: %d of %d in [%.1f, %.1f); want about %d", c, n, float64(k)/10, float64(k+1)/10, n/10)
		}
	}
	if uniform(3, 4, 1) != uniform(3, 4, 1) || uniform(3, 4, 1) == uniform(3, 4, 2) {
		t.Error("uniform: not a fixed function of its arguments and stream")
	}
}

func TestDemandDraws(t *testing.T) {
	sp := salesPanel(12, 2, 40)
	// Outlets O00 … O05 scan both brands; they end the weeks w%3 == 0 without stock.
	scans := ScanPanel{Weeks: sp.Weeks}
	for i, s := range sp.Series {
		if s.Outlet < "O06" {
			sc := scansOf(sp, i, func(w int) bool { return w%3 == 0 })
			for w := range sc.SellOut {
				sc.SellOut[w] = max(0, sc.SellOut[w]+float64(w%5)-2) // sell-out strays from sell-in
			}
			scans.Series = append(scans.Series, sc)
		}
	}
	const from = 10
	lc := LearnCensoring(sp, scans, len(sp.Weeks), EMOptions{})
	corrected := lc.Demand(sp)
	d := lc.DemandDraws(sp, from)
	if again := lc.DemandDraws(sp, from); !equalValues(d.Values, again.Values) {
		t.Fatal("DemandDraws: two calls differ; want a fixed function of the panel")
	}
	if d.From != from || len(d.Values) != len(sp.Series) {
		t.Fatalf("DemandDraws(from %d) = From %d, %d series; want %d, %d", from, d.From, len(d.Values), from, len(sp.Series))
	}
	var sumC, sumD [2]float64
	for i, s := range sp.Series {
		if len(d.Values[i]) != len(sp.Weeks)-from {
			t.Fatalf("series %d: %d weeks drawn; want %d", i, len(d.Values[i]), len(sp.Weeks)-from)
		}
		b := 0
		if s.Brand == "B01" {
			b = 1
		}
		for w := from; w < len(sp.Weeks); w++ {
			v, ok := d.value(i, w)
			if !ok || v < 0 || v != math.Floor(v) {
				t.Fatalf("series %d week %d: draw %v (known %v); want a whole count ≥ 0", i, w, v, ok)
			}
			if s.Outlet < "O06" && w%3 != 0 && v != scans.Series[i].SellOut[w] {
				t.Fatalf("collection point series %d week %d: draw %v; want the sell-out of a week with stock left, %v",
					i, w, v, scans.Series[i].SellOut[w])
			}
			if s.Outlet < "O06" && w%3 == 0 && v < scans.Series[i].SellOut[w] {
				t.Fatalf("collection point series %d week %d: draw %v; want at least the censored sell-out %v",
					i, w, v, scans.Series[i].SellOut[w])
			}
			if s.Outlet >= "O06" {
				sumC[b] += corrected.Series[i].Values[w]
				sumD[b] += v
			}
		}
	}
	for b := range sumC {
		if math.Abs(sumD[b]/sumC[b]-1) > 0.03 {
			t.Errorf("brand %d: draws of the outlets without scans sum to %.1f; want their corrected values' %.1f within 3%%",
				b, sumD[b], sumC[b])
		}
	}
	for i, s := range sp.Series {
		if d.Shared[i] < 0 || d.Shared[i] != d.Shared[sameBrand(sp, s.Brand)] {
			t.Errorf("series %d: shared error %v; want ≥ 0, its brand's (%v)", i, d.Shared[i], d.Shared[sameBrand(sp, s.Brand)])
		}
	}
	if _, ok := d.value(0, from-1); ok {
		t.Errorf("DemandDraws(from %d): week %d known; want only weeks from %d", from, from-1, from)
	}
}

// sameBrand returns the first series of sp of brand.
func sameBrand(sp SalesPanel, brand string) int {
	for i, s := range sp.Series {
		if s.Brand == brand {
			return i
		}
	}
	return -1
}

func equalValues(a, b [][]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for w := range a[i] {
			if a[i][w] != b[i][w] {
				return false
			}
		}
	}
	return true
}

// TestDemandDrawsFollowTrendingOutlets: the draws scale and pick their errors by the week's expected
// sell-in the correction rests on, the series' recent one (sellInWindow), so the draws of outlets
// whose demand rises or falls are centred on their corrected values in their latest weeks, as the
// flat ones' are. On the series' mean sell-in over the whole history every recent week of a rising
// outlet bought "more than expected" and drew the errors of such weeks, which lie below the corrected
// value (0.869 of it), a falling one's the opposite (1.418). The band is 5%, not 3%: a falling outlet
// ends at half the collection points' size, and an error in standard deviations of a small count is
// not quite one of a large count (1.040 with the window).
func TestDemandDrawsFollowTrendingOutlets(t *testing.T) {
	const weeks = 104
	sp, scans, demand := trendingOutlets(weeks, 0.25)
	// The collection points (O00–O19), the rising outlets (O20–O29) and the flat ones (O40–O49).
	lc := LearnCensoring(sp, scans, weeks, EMOptions{})
	corrected := lc.Demand(sp)
	const from = weeks - 13
	d := lc.DemandDraws(sp, from)
	ratio := func(lo, hi int) (drawn, truth float64) { // Σ draws / Σ corrected, Σ draws / Σ true demand of series [lo, hi)
		var sd, sc, st float64
		for i := lo; i < hi; i++ {
			for w := from; w < weeks; w++ {
				v, _ := d.value(i, w)
				sd += v
				sc += corrected.Series[i].Values[w]
				st += demand[i][w]
			}
		}
		return sd / sc, sd / st
	}
	for _, g := range []struct {
		name   string
		lo, hi int
	}{{"rising", 20, 30}, {"falling", 30, 40}, {"flat", 40, 50}} {
		if c, tr := ratio(g.lo, g.hi); math.Abs(c-1) > 0.05 {
			t.Errorf("%s outlets' draws / corrected values %.3f over the last 13 weeks (draws / true demand %.3f); want within 5%%",
				g.name, c, tr)
		} else {
			t.Logf("%s outlets' draws / corrected values %.3f over the last 13 weeks (draws / true demand %.3f)", g.name, c, tr)
		}
	}
}

// TestBrandLevels: a brand's level error measured at its few collection points (10 here) is mostly
// sampling error; shrunk towards every brand's, the brands' estimates land nearer their true values
// and keep every brand's mean, brands whose level errors truly differ, each measured at many points,
// keep their own, and a brand with fewer than 2 points gets every brand's.
func TestBrandLevels(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 2))
	// points returns n collection points whose corrected sums (50–200) err by a relative error of
	// sd rel each: the brand's level, their ratio, errs by about rel/√n.
	points := func(rel float64, n int) map[string]*[2]float64 {
		p := map[string]*[2]float64{}
		for i := range n {
			c := 50 + 150*r.Float64()
			p[fmt.Sprint(i)] = &[2]float64{c * rel * r.NormFloat64(), c}
		}
		return p
	}
	t.Run("alike brands measured at few points", func(t *testing.T) {
		const rel, n = 0.1, 10
		var ps []map[string]*[2]float64
		for range 60 {
			ps = append(ps, points(rel, n))
		}
		want := rel * rel / n * 1.12 // larger points weigh more: E[c²] / E[c]² = 1.12 for c uniform on 50–200
		shrunk, pooled := brandLevels(ps)
		var seRaw, seShrunk, mean float64
		for k, p := range ps {
			raw := levelError(p) * levelError(p)
			seRaw += (raw - want) * (raw - want)
			seShrunk += (shrunk[k] - want) * (shrunk[k] - want)
			mean += shrunk[k] / float64(len(ps))
		}
		if seShrunk > seRaw/4 {
			t.Errorf("squared error of the shrunk estimates %.3g; want at most a quarter of the raw ones' %.3g", seShrunk, seRaw)
		}
		if math.Abs(mean-pooled) > 0.2*pooled || math.Abs(pooled-want) > 0.2*want {
			t.Errorf("mean of the shrunk estimates %.5f, pooled %.5f; want the pooled one, and it %.5f, within 20%%", mean, pooled, want)
		}
	})
	t.Run("brands that differ, measured well", func(t *testing.T) {
		rels := []float64{0.05, 0.1, 0.2, 0.3}
		const n = 400
		var ps []map[string]*[2]float64
		for _, rel := range rels {
			ps = append(ps, points(rel, n))
		}
		shrunk, _ := brandLevels(ps)
		for k, got := range shrunk {
			if want := rels[k] * rels[k] / n * 1.12; math.Abs(got-want) > 0.2*want {
				t.Errorf("brand of points' relative sd %v: shrunk level variance %.3g; want its own %.3g within 20%%", rels[k], got, want)
			}
		}
	})
	shrunk, pooled := brandLevels([]map[string]*[2]float64{points(0.1, 1), nil, points(0.1, 20), points(0.2, 20)})
	if pooled <= 0 || shrunk[0] != pooled || shrunk[1] != pooled {
		t.Errorf("brandLevels of brands with 1 and 0 points = %v (pooled %v); want the pooled value, > 0", shrunk[:2], pooled)
	}
	if got, _ := brandLevels([]map[string]*[2]float64{nil, points(0.1, 1)}); got[0] != 0 || got[1] != 0 {
		t.Errorf("brandLevels without a brand of 2 points = %v; want 0", got)
	}
}

// The draws and the in-place correction run on every CPU; what they give does not depend on how
// many there are (the brands' sums are added in the order of the series).
func TestDemandDrawsWhateverTheCPUs(t *testing.T) {
	sp := salesPanel(1200, 2, 40) // 2,400 series: ten of parallel's chunks
	scans := ScanPanel{Weeks: sp.Weeks}
	for i := range 200 {
		sc := scansOf(sp, i, func(w int) bool { return (w+i)%3 == 0 })
		for w := range sc.SellOut {
			sc.SellOut[w] = max(0, sc.SellOut[w]+float64((w+i)%5)-2)
		}
		scans.Series = append(scans.Series, sc)
	}
	lc := LearnCensoring(sp, scans, len(sp.Weeks), EMOptions{})
	type result struct {
		draws     Observations
		corrected [][]float64
	}
	on := func(cpus int) result {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(cpus))
		d := lc.DemandDraws(sp, 10)
		c := SalesPanel{Weeks: sp.Weeks, Series: make([]SalesSeries, len(sp.Series))}
		for i, s := range sp.Series {
			c.Series[i] = s
			c.Series[i].Sales = slices.Clone(s.Sales)
		}
		lc.CorrectInPlace(c)
		r := result{draws: d}
		for _, s := range c.Series {
			r.corrected = append(r.corrected, s.Sales)
		}
		return r
	}
	one, four := on(1), on(4)
	if !equalValues(one.draws.Values, four.draws.Values) || !equalValues(one.draws.Expected, four.draws.Expected) {
		t.Error("DemandDraws on 1 CPU and on 4 differ")
	}
	if !equalValues(one.corrected, four.corrected) {
		t.Error("CorrectInPlace on 1 CPU and on 4 differ")
	}
	if equalValues(one.corrected, seriesSales(sp)) {
		t.Error("CorrectInPlace changed nothing; want the censored weeks corrected")
	}
}

func seriesSales(sp SalesPanel) [][]float64 {
	out := make([][]float64, len(sp.Series))
	for i, s := range sp.Series {
		out[i] = s.Sales
	}
	return out
}

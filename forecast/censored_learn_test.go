package forecast

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// fakeScans are collection points' scans; every call is recorded.
type fakeScans struct {
	panel ScanPanel
	calls []int // maxOutlets of each call
}

func (f *fakeScans) ScanHistory(_ context.Context, weeks []time.Time, maxOutlets int) (ScanPanel, error) {
	f.calls = append(f.calls, maxOutlets)
	p := f.panel
	p.Weeks = weeks
	return p, nil
}

// scansOf returns scans of series i of sp that sold its sales every week and ended censored (no stock
// left) in the weeks censored says.
func scansOf(sp SalesPanel, i int, censored func(w int) bool) ScanSeries {
	s := sp.Series[i]
	out := ScanSeries{Outlet: s.Outlet, Brand: s.Brand, SellOut: append([]float64(nil), s.Sales...),
		Stock: make([]float64, len(s.Sales))}
	for w := range out.Stock {
		out.Stock[w] = 5
		if censored(w) {
			out.Stock[w] = 0
		}
	}
	return out
}

func TestLearnCensoring(t *testing.T) {
	sp := salesPanel(3, 2, 30)
	t.Run("no week ended without stock: nothing added", func(t *testing.T) {
		scans := ScanPanel{Weeks: sp.Weeks, Series: []ScanSeries{scansOf(sp, 0, func(int) bool { return false })}}
		lc := LearnCensoring(sp, scans, len(sp.Weeks), EMOptions{})
		d := lc.Demand(sp)
		for i, s := range d.Series {
			for w, v := range s.Values {
				if v != sp.Series[i].Sales[w] {
					t.Fatalf("series %d week %d = %v; want the sales %v", i, w, v, sp.Series[i].Sales[w])
				}
			}
		}
	})
	t.Run("censored weeks: demand above sales, learnt by every outlet", func(t *testing.T) {
		scans := ScanPanel{Weeks: sp.Weeks, Series: []ScanSeries{
			scansOf(sp, 0, func(w int) bool { return w%2 == 0 }), scansOf(sp, 1, func(w int) bool { return w%3 == 0 })}}
		lc := LearnCensoring(sp, scans, len(sp.Weeks), EMOptions{})
		if bc := lc.Brands["B00"]; bc == nil || bc.Scanned != 30 || bc.Censored != 15 || !bc.Identified {
			t.Fatalf("brand B00: %+v; want 30 scanned weeks, 15 censored, identified", bc)
		}
		if !strings.Contains(lc.Summary(), "60 scanned collection-point weeks of 2 brands") {
			t.Errorf("Summary() = %q; want the 60 weeks of 2 brands", lc.Summary())
		}
		d := lc.Demand(sp)
		var sales, demand [3]float64 // per outlet
		for i, s := range d.Series {
			o := i / 2
			for w, v := range s.Values {
				if v < sp.Series[i].Sales[w] {
					t.Fatalf("series %d week %d = %v; want at least the sales %v", i, w, v, sp.Series[i].Sales[w])
				}
				sales[o] += sp.Series[i].Sales[w]
				demand[o] += v
			}
		}
		for o := range 3 { // outlets 1 and 2 do not scan: they get the learnt correction
			if demand[o] <= sales[o]*1.01 {
				t.Errorf("outlet %d: demand %v, sales %v; want more demand than sales", o, demand[o], sales[o])
			}
		}
		// A censored week of the scanning outlet gets its own estimate: E[D | D ≥ sold] > sold.
		if d.Series[0].Values[0] <= sp.Series[0].Sales[0] || d.Series[0].Values[1] < sp.Series[0].Sales[1] {
			t.Errorf("outlet 0 brand 0 weeks 0, 1 = %v, %v; want above the sales %v in the censored one",
				d.Series[0].Values[0], d.Series[0].Values[1], sp.Series[0].Sales[0])
		}
	})
	t.Run("learning from the first weeks only ignores later scans", func(t *testing.T) {
		scans := ScanPanel{Weeks: sp.Weeks, Series: []ScanSeries{scansOf(sp, 0, func(w int) bool { return w >= 20 })}}
		lc := LearnCensoring(sp, scans, 20, EMOptions{})
		if bc := lc.Brands["B00"]; bc == nil || bc.Scanned != 20 || bc.Censored != 0 {
			t.Fatalf("brand B00: %+v; want 20 scanned weeks, none censored", bc)
		}
	})
	t.Run("no correction after the outlet's last delivery, nor before its first", func(t *testing.T) {
		p := salesPanel(2, 1, 12)
		for w := range 12 {
			if w < 2 || w >= 9 {
				p.Series[1].Sales[w] = 0 // outlet 1 starts in week 2, closes after week 8
			}
		}
		scans := ScanPanel{Weeks: p.Weeks, Series: []ScanSeries{scansOf(p, 0, func(w int) bool { return w%2 == 0 })}}
		d := LearnCensoring(p, scans, 12, EMOptions{}).Demand(p)
		for _, w := range []int{0, 1, 9, 10, 11} {
			if v := d.Series[1].Values[w]; v != 0 {
				t.Errorf("outlet 1 week %d = %v; want 0 outside its weeks of trade", w, v)
			}
		}
		if v := d.Series[1].Values[5]; v <= p.Series[1].Sales[5] {
			t.Errorf("outlet 1 week 5 = %v; want above its sales %v", v, p.Series[1].Sales[5])
		}
	})
}

// A corrected run of the live dataset learns from the scans when the Planner has them, and forecasts
// more than it does from the sales alone.
func TestPlannerRunLearnsFromScans(t *testing.T) {
	sales := salesPanel(40, 2, 60) // 4,800 series × weeks: enough to learn from
	run := func(scans ScanReader) RunReport {
		store := planStore()
		store.sales = salesPanel(40, 2, 60)
		p := Planner{History: store, Calendar: store, Catalogue: store, Runs: store, Scans: scans}
		rep, err := p.Run(context.Background(), RunRequest{ID: "r", Dataset: LiveDataset, Horizon: 2, Correct: true,
			UnmetShare: DefaultUnmetShare, Now: day("2026-01-01")})
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		return rep
	}
	scans := &fakeScans{}
	for i := range sales.Series {
		scans.panel.Series = append(scans.panel.Series, scansOf(sales, i, func(w int) bool { return (w+i)%2 == 0 }))
	}
	plain, learnt := run(nil), run(scans)
	if plain.Learnt != nil || learnt.Learnt == nil || len(scans.calls) != 1 || scans.calls[0] != MaxLearningOutlets {
		t.Fatalf("Learnt without scans %v, with %v; ScanHistory calls %v; want nil, learnt, one call for %d outlets",
			plain.Learnt, learnt.Learnt, scans.calls, MaxLearningOutlets)
	}
	few := &fakeScans{panel: ScanPanel{Series: scans.panel.Series[:2]}}
	if rep := run(few); rep.Learnt != nil || !strings.Contains(rep.Run.Models, "censored demand corrected") {
		t.Errorf("with 120 scanned weeks: learnt %v, models %q; want the fixed correction", rep.Learnt, rep.Run.Models)
	}
	if !strings.Contains(learnt.Run.Models, "censored demand learnt from the scans") {
		t.Errorf("Run.Models = %q; want it to say the demand was learnt from the scans", learnt.Run.Models)
	}
	if a, b := plain.Run.Reconciled.Total.Mean[0], learnt.Run.Reconciled.Total.Mean[0]; !(b > a) || math.IsNaN(b) {
		t.Errorf("total forecast %v learnt from the scans, %v from the sales; want more", b, a)
	}
}

// An outlet's demand trends on its own (the brand's profile, pooled over outlets, does not show it):
// its lost sales follow its recent sell-in, not its mean over the whole history, so the latest weeks
// of an outlet whose demand doubled are not corrected on the level of a year before.
// trendingOutlets returns a panel of one brand over weeks weeks, the scans of its collection points
// and every series' true demand (its trend times 1 + noise · N(0, 1), fixed draws, rounded): 20 flat
// collection points (O00–O19), then 10 outlets whose demand rises by 0.6 a year (O20–O29), 10 whose
// demand falls as fast (O30–O39) and 10 flat (O40–O49), none of which scans. Every second week the
// shelf empties and the outlet sells 60% of its demand (not the same weeks everywhere: a week in
// which every collection point ran out tells nothing).
func trendingOutlets(weeks int, noise float64) (SalesPanel, ScanPanel, [][]float64) {
	r := rand.New(rand.NewPCG(3, 7))
	sp := SalesPanel{Weeks: weeksFrom("2024-01-01", weeks)}
	var demand [][]float64
	trend := func(o int) float64 {
		switch {
		case o < 20 || o >= 40:
			return 0
		case o < 30:
			return 0.6
		}
		return -0.6
	}
	scans := ScanPanel{Weeks: sp.Weeks}
	for o := range 50 {
		s := SalesSeries{Outlet: fmt.Sprintf("O%02d", o), Brand: "B00", Sales: make([]float64, weeks)}
		d := make([]float64, weeks)
		for w := range weeks {
			d[w] = math.Round(max(0, 20*math.Exp(trend(o)*float64(w-weeks/2)/52)*(1+noise*r.NormFloat64())))
			s.Sales[w] = d[w]
			if (w+o)%2 == 1 {
				s.Sales[w] = math.Round(0.6 * d[w])
			}
		}
		demand = append(demand, d)
		sp.Series = append(sp.Series, s)
		if o < 20 {
			scans.Series = append(scans.Series, scansOf(sp, o, func(w int) bool { return (w+o)%2 == 1 }))
		}
	}
	return sp, scans, demand
}

func TestLearnCensoringFollowsTrendingOutlets(t *testing.T) {
	const weeks = 104
	sp, scans, demand := trendingOutlets(weeks, 0)
	lc := LearnCensoring(sp, scans, weeks, EMOptions{})
	got := lc.Demand(sp)
	// Correcting in place reads each week's sell-in before it is overwritten: the same demand.
	checkCorrectsInPlace(t, lc, sp, got)
	ratio := func(from, to int) float64 { // corrected / true over the last 13 weeks of outlets [from, to)
		var c, d float64
		for o := from; o < to; o++ {
			for w := weeks - 13; w < weeks; w++ {
				c += got.Series[o].Values[w]
				d += demand[o][w]
			}
		}
		return c / d
	}
	flat := ratio(40, 50)
	if math.Abs(flat-1) > 0.03 {
		t.Fatalf("flat outlets' corrected / true demand %.3f over the last 13 weeks; want within 3%%", flat)
	}
	for _, g := range []struct {
		name     string
		from, to int
	}{{"rising", 20, 30}, {"falling", 30, 40}} {
		if r := ratio(g.from, g.to); math.Abs(r-flat) > 0.03 {
			t.Errorf("%s outlets' corrected / true demand %.3f over the last 13 weeks, flat ones' %.3f; want within 0.03",
				g.name, r, flat)
		}
	}
}

// An outlet that sells as a collection point does gets, in sum, the lost sales the point found, even
// where the brand's coefficients are pulled away from its points' (here towards a brand that loses
// less): Scale puts the learnt lost sales back on the points' sum. A brand scanned in few weeks is
// trusted less: its scale is pulled towards that of all brands.
func TestLearntLostSalesSumToThePoints(t *testing.T) {
	const outlets, weeks = 60, 52
	// learn has the even outlets up to points scan B00, which runs out every other week, and every
	// even outlet scan B01, which runs out every fourth; the odd outlets sell as the outlet before
	// them and do not scan. It returns B00's lost sales at its points and at their copies.
	learn := func(t *testing.T, points int) (lc *LearntCensoring, atPoints, atCopies float64) {
		sp := salesPanel(outlets, 2, weeks)
		for o := 1; o < outlets; o += 2 {
			for b := range 2 {
				copy(sp.Series[2*o+b].Sales, sp.Series[2*(o-1)+b].Sales)
			}
		}
		scans := ScanPanel{Weeks: sp.Weeks}
		for o := 0; o < outlets; o += 2 {
			if o < 2*points {
				scans.Series = append(scans.Series, scansOf(sp, 2*o, func(w int) bool { return w%2 == 0 }))
			}
			scans.Series = append(scans.Series, scansOf(sp, 2*o+1, func(w int) bool { return w%4 == 0 }))
		}
		lc = LearnCensoring(sp, scans, weeks, EMOptions{})
		d := lc.Demand(sp)
		for o := range min(outlets, 2*points) {
			i := 2 * o
			for w, v := range d.Series[i].Values {
				if o%2 == 0 {
					atPoints += v - sp.Series[i].Sales[w]
				} else {
					atCopies += v - sp.Series[i].Sales[w]
				}
			}
		}
		if atPoints <= 0 {
			t.Fatalf("the points' lost sales of B00 = %v; want some", atPoints)
		}
		t.Logf("B00: points %.1f, copies %.1f, scale %.3f; B01's scale %.3f, all brands' %.3f",
			atPoints, atCopies, lc.Brands["B00"].Scale, lc.Brands["B01"].Scale, lc.Pooled.Scale)
		return lc, atPoints, atCopies
	}
	t.Run("many scanned weeks: the points' sum", func(t *testing.T) {
		lc, atPoints, atCopies := learn(t, outlets/2)
		if r := atCopies / atPoints; math.Abs(r-1) > 0.03 {
			t.Errorf("copies' lost sales / points' = %.3f; want within 3%% of 1", r)
		}
		if r := atCopies / lc.Brands["B00"].Scale / atPoints; math.Abs(r-1) < 0.05 {
			t.Errorf("unscaled, copies' lost sales / points' = %.3f; want the coefficients pulled at least 5%% off, for the test to mean something", r)
		}
	})
	t.Run("few scanned weeks: towards all brands' scale", func(t *testing.T) {
		lc, atPoints, atCopies := learn(t, 2)
		scale := lc.Brands["B00"].Scale
		own := atPoints / (atCopies / scale) // the scale B00's points alone ask for
		if lo, hi := min(own, lc.Pooled.Scale), max(own, lc.Pooled.Scale); !(scale > lo && scale < hi) || hi-lo < 0.05 {
			t.Errorf("B00's scale %.3f; want strictly between its points' own %.3f and all brands' %.3f, 5%% apart", scale, own, lc.Pooled.Scale)
		}
	})
}

// cutOutlets are 120 outlets ordering one brand up to 1.25 weeks of their demand, skipping one
// cycle in six, under limits that grant a quarter of the request (outlets o%4 == 0), a half, three
// quarters or all of it (o%4 == 3); the first 60 are collection points. It returns the sell-in,
// the points' scans and the true demand.
func cutOutlets(weeks int) (SalesPanel, ScanPanel, [][]float64) {
	r := rand.New(rand.NewPCG(5, 11))
	sp := SalesPanel{Weeks: weeksFrom("2024-01-01", weeks)}
	scans := ScanPanel{Weeks: sp.Weeks}
	var demand [][]float64
	for o := range 120 {
		mean := float64(2 + o%5)
		granted := float64(o%4+1) / 4
		upTo := math.Ceil(1.25 * mean)
		s := SalesSeries{Outlet: fmt.Sprintf("O%03d", o), Brand: "B00", Sales: make([]float64, weeks),
			Requested: make([]float64, weeks), Censored: make([]bool, weeks)}
		scan := ScanSeries{Outlet: s.Outlet, Brand: s.Brand, SellOut: make([]float64, weeks), Stock: make([]float64, weeks)}
		d := make([]float64, weeks)
		stock := upTo
		for w := range weeks {
			if req := upTo - stock; req > 0 && r.Float64() >= 1.0/6 {
				g := math.Floor(granted * req)
				s.Requested[w], s.Sales[w], s.Censored[w] = req, g, g < req
				stock += g
			}
			d[w] = float64(poissonDraw(r, mean))
			sold := min(d[w], stock)
			stock -= sold
			scan.SellOut[w], scan.Stock[w] = sold, stock
		}
		sp.Series = append(sp.Series, s)
		demand = append(demand, d)
		if o < 60 {
			scans.Series = append(scans.Series, scan)
		}
	}
	return sp, scans, demand
}

// An outlet whose requests limits cut week after week sells a fraction of its demand, and loses all
// of it in a week it skips: its lost sales follow what it asked for, not only what it got. The
// outlets that do not scan are corrected as the collection points cut alike found their own demand,
// whether limits granted them a quarter of their requests or all of it. (On the sell-in alone they
// were corrected 12% below the points for a quarter, 13% above for all of it.)
func TestLearnCensoringFollowsTheUnmetRequest(t *testing.T) {
	const weeks = 78
	sp, scans, demand := cutOutlets(weeks)
	lc := LearnCensoring(sp, scans, weeks, EMOptions{})
	got := lc.Demand(sp)
	t.Log(lc.Summary())
	// In place, each week's unmet request is read before its sell-in is overwritten: the same demand.
	checkCorrectsInPlace(t, lc, sp, got)
	ratio := func(from, to, g int) (sellIn, corrected float64) { // over the true demand, outlets o%4 == g
		var s, c, d float64
		for o := from + g; o < to; o += 4 {
			for w := range weeks {
				s += sp.Series[o].Sales[w]
				c += got.Series[o].Values[w]
				d += demand[o][w]
			}
		}
		return s / d, c / d
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for g := range 4 {
		sellIn, others := ratio(60, 120, g)
		_, points := ratio(0, 60, g)
		r := others / points
		t.Logf("granted %d/4 of the request: sell-in / true %.3f; corrected / true %.3f, at the points %.3f", g+1, sellIn, others, points)
		if math.Abs(r-1) > 0.06 {
			t.Errorf("outlets granted %d/4 of their requests: corrected / true demand %.3f, the points' own %.3f; want within 6%%", g+1, others, points)
		}
		lo, hi = min(lo, r), max(hi, r)
	}
	if hi-lo > 0.1 {
		t.Errorf("the outlets' corrected / true demand over the points' spans %.3f–%.3f across limits; want within 0.1", lo, hi)
	}
}

// checkCorrectsInPlace fails t unless lc corrects a copy of sp in place to the demand want.
func checkCorrectsInPlace(t *testing.T, lc *LearntCensoring, sp SalesPanel, want Panel) {
	t.Helper()
	inPlace := SalesPanel{Weeks: sp.Weeks}
	for _, s := range sp.Series {
		s.Sales = slices.Clone(s.Sales)
		inPlace.Series = append(inPlace.Series, s)
	}
	lc.CorrectInPlace(inPlace)
	for i, s := range inPlace.Series {
		if !slices.Equal(s.Sales, want.Series[i].Values) {
			t.Fatalf("series %d corrected in place %v; want %v", i, s.Sales, want.Series[i].Values)
		}
	}
}

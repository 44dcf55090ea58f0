package forecast

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"time"
)

// Censored demand learnt from the scans. Sell-in falls short of demand wherever the shelf emptied
// before the week's demand was met: after a limit cut the grant, a failed deduction or a skipped
// cycle delivered nothing, or simply when the order-up-to level was too low for a busy week. Only
// the collection points see it happen: their scans count what sold and what was left. LearnCensoring
// fits, per brand, a censored-count model of the collection points' weekly demand by EM
// (FitCensoredCounts: a week that ended with stock sold its demand; a week that ended without sold
// at least what it did), which gives each of their scanned weeks its expected demand and so its
// lost sales, D̂ − sold. It then learns how the lost sales follow what the sell-in history shows of
// every outlet (not only collection points), week by week:
//
//	lost[o,b,w] ≈ Theta[b][state] · x[o,b,w] + Phi[b][state] · u[o,b,w]               (uncut)
//	lost[o,b,w] ≈ Theta[b][StateCut] · x[o,b,w] + UnmetShare[b] · (requested − delivered)[o,b,w]
//
// where x[o,b,w] is the week's expected sell-in (the series' sell-in over the ExpectedWindow weeks
// up to the week, relative to Level, the brand's week profile from the EM: sellInWindow), u[o,b,w]
// its expected unmet request (the requested − delivered of its cut weeks over the same weeks, alike)
// and state is what the week's orders did: StateCut (a limit or a stock-out cut the grant: the second
// line), StateNone (the outlet received nothing of any brand: a skipped cycle or a failed
// deduction), StateIdle (the outlet received other brands, not this one) and StateDelivered.
// The expected unmet request is there because a series that limits cut week after week sells a
// fraction of its demand, and loses all of it in a week it skips: on sell-in alone, such a week at
// an outlet that asks for three times what it gets was given the lost sales of one that gets what it
// asks for (seed 2's scarce brands: series that asked little were corrected 3–10% above their true
// demand, those that asked two or more times their sell-in 11% below it). A cut week keeps its own
// unmet request instead, which follows a festival's surge as a quarter's does not.
// The coefficients are least squares over the collection points' scanned weeks, per brand, shrunk
// towards the coefficients of all brands together by PoolWeight weeks of them. Correct then adds to
// every series its lost sales: the collection points' own estimate in a scanned week, the learnt one
// in every other week from the series' first sale to the outlet's last delivery (after it the outlet
// has closed or stopped).

// Week states of a sell-in series, as the orders left them.
const (
	StateDelivered = iota // the series was delivered in the week, uncut
	StateIdle             // the outlet received other brands in the week, not this one
	StateNone             // the outlet received nothing at all: a skipped cycle or a failed deduction
	StateCut              // a limit or a warehouse stock-out cut the grant below the request
	numStates
	unmetTerm = 2 * numStates // the term of a cut week's unmet request
	terms     = unmetTerm + 1 // θ·x by state, φ·u by state (StateCut's unused), the unmet request
)

// PoolWeight is how many scanned weeks' worth of the coefficients of all brands together a brand's
// own coefficients are shrunk towards.
const PoolWeight = 200

// minWeightScale bounds the weight of a week in the least squares: 1/x for x above it.
const minWeightScale = 0.1

// ScanPanel is what the collection points' validated scans say of each outlet × brand on a calendar
// of weeks: what sold and what was left at the week's last stock count.
type ScanPanel struct {
	Weeks  []time.Time  // Mondays, ascending
	Series []ScanSeries // every slice of every series has len(Weeks) elements
}

// ScanSeries is the weekly sell-out and stock of one brand at one collection point, in cartons.
type ScanSeries struct {
	Outlet, Brand string
	SellOut       []float64 // sold in the week
	Stock         []float64 // at the week's last stock count; NaN: no count that week (nothing is known)
}

// ScanReader reads what the collection points' validated scans say of each outlet × brand in the
// given weeks (Mondays, ascending), as a ScanPanel on that calendar (forecast/clickhouse.Store). Scans
// belong to the live dataset. It is safe for concurrent use.
//
// maxOutlets bounds the collection points read: with more, a sample of about maxOutlets of them,
// chosen by a hash of the outlet code (the same sample every time); 0 reads every one.
type ScanReader interface {
	ScanHistory(ctx context.Context, weeks []time.Time, maxOutlets int) (ScanPanel, error)
}

// MaxLearningOutlets bounds the collection points a run or backtest learns censored demand from: a
// few hundred tell the coefficients as well as thousands, and a region of a million series keeps its
// run time (the other collection points' censored weeks get the learnt correction like any outlet's).
const MaxLearningOutlets = 600

// LearntCensoring is a censored-demand correction learnt from the scans.
type LearntCensoring struct {
	Brands map[string]*BrandCensoring
	Pooled BrandCensoring // every brand's scanned weeks together; for brands without any
	Weeks  []time.Time    // the calendar of the levels
	learnt int            // the leading weeks of Weeks it learnt from
	// LevelError is the relative standard error of the correction's level, Σ demand / Σ corrected,
	// over the collection points' scanned weeks (their outlets resampled, the delta method): how
	// far the level of a corrected total may be from its demand's (DemandDraws, Calibrate).
	LevelError float64
	level      map[string]*[2]float64 // per collection point: Σ demand − corrected, Σ corrected
}

// BrandCensoring is what LearnCensoring learnt of one brand.
type BrandCensoring struct {
	Theta      [numStates]float64 // lost sales per unit of expected sell-in, by week state
	Phi        [numStates]float64 // the same per unit of expected unmet request; 0 for StateCut
	UnmetShare float64            // share of a cut week's unmet request that was demand
	Level      []float64          // the brand's week profile (averaging 1) from the EM; nil: flat
	Scale      float64            // factor on the learnt lost sales to sum to the points' own (0: 1)
	Shape      float64            // the EM's negative binomial shape
	Scanned    int                // collection-point weeks behind the coefficients
	Censored   int                // of which censored (no stock left)
	Identified bool               // the EM had exact counts to go on
	rows       int                // weeks in the normal equations
	xtx        [terms][terms]float64
	xty        [terms]float64
	// lost holds the collection points' own estimates of their lost sales: series index in the
	// SalesPanel → per week, NaN where the week was not scanned.
	lost map[int32][]float64
	// seen holds a draw of the collection points' demand in their scanned weeks (DemandDraws), like
	// lost; errors the correction's errors at those weeks, in standard deviations of the week's
	// expected sell-in.
	seen       map[int32][]float64
	errors     []correctionError
	errorModel errorModel
	// points holds per collection point Σ demand − corrected and Σ corrected over its scanned weeks
	// of the brand, until finishErrors measures the brand's Shared from them.
	points map[string]*[2]float64
}

// salesIndex knows each outlet's weeks of a SalesPanel and each series' first sale. Each series
// points at its outlet's weeks, so that the correction's week-by-week states need no lookup by the
// outlet's code.
type salesIndex struct {
	learnt    int            // the weeks learnt from: an expected sell-in reads no later week before it is reached
	outlet    []*outletWeeks // per series: its outlet's weeks, shared by the outlet's series
	firstSale []int          // per series: its first week with a sale or a request; len(Weeks) for none
}

// outletWeeks is what a salesIndex knows of one outlet.
type outletWeeks struct {
	received []bool // the weeks in which the outlet received anything
	last     int    // its last week with a delivery; -1 for none
}

// newSalesIndex indexes sp, whose weeks before learnt (at most len(sp.Weeks)) are learnt from.
func newSalesIndex(sp SalesPanel, learnt int) *salesIndex {
	n := len(sp.Weeks)
	learnt = min(learnt, n)
	ix := &salesIndex{learnt: learnt, outlet: make([]*outletWeeks, len(sp.Series)), firstSale: make([]int, len(sp.Series))}
	outlets := map[string]*outletWeeks{}
	for i, s := range sp.Series {
		o := outlets[s.Outlet]
		if o == nil {
			o = &outletWeeks{received: make([]bool, n), last: -1}
			outlets[s.Outlet] = o
		}
		first := n
		for w, v := range s.Sales {
			req := v
			if s.Requested != nil {
				req = s.Requested[w]
			}
			if v > 0 {
				o.received[w] = true
				o.last = max(o.last, w)
			}
			if first == n && (v > 0 || req > 0) {
				first = w
			}
		}
		ix.outlet[i] = o
		ix.firstSale[i] = first
	}
	return ix
}

// ExpectedWindow is how many weeks of a series' own sell-in its expected sell-in in a week rests on:
// the weeks up to and including it, a quarter (the first weeks of a series look ahead instead, but
// not past the weeks learnt from, so that a backtest's corrected history never reads a week after
// its first origin).
const ExpectedWindow = 13

// sellInWindow gives the expected sell-in of one series week by week, weeks ascending: its sell-in
// over the ExpectedWindow weeks up to the week, divided by its brand's week profile summed over the
// same weeks and times the profile's week; and its expected unmet request likewise, from the unmet
// requests of its cut weeks. It follows the series' own level as it moves: a series whose demand
// trends (the outlet's, not only the brand's) is corrected on its recent sell-in, not on its mean
// over the whole history, which lags the latest weeks by up to a year.
//
// It keeps the sell-in and unmet requests it summed, so that a caller may overwrite the weeks it has
// passed (correct in place).
type sellInWindow struct {
	s             *SalesSeries
	bc            *BrandCensoring
	first, learnt int     // the series' first sale; the weeks learnt from
	lo, hi        int     // the weeks summed, [lo, hi)
	sum, levels   float64 // their sell-in and profile
	gaps          float64 // their unmet request
	kept, keptGap [ExpectedWindow]float64
}

func (ix *salesIndex) sellInWindow(sp SalesPanel, i int, bc *BrandCensoring) sellInWindow {
	f := ix.firstSale[i]
	return sellInWindow{s: &sp.Series[i], bc: bc, first: f, learnt: ix.learnt, lo: f, hi: f}
}

// at returns the expected sell-in and unmet request in week w, from the series' first sale on (0
// before); w must not be below the week of the previous call, and the sell-in from week w on must be
// as it was.
func (e *sellInWindow) at(w int) (sellIn, unmet float64) {
	if w < e.first {
		return 0, 0
	}
	lo, hi := max(e.first, w-ExpectedWindow+1), w+1
	if hi-lo < ExpectedWindow { // the series' first weeks: ahead, up to the weeks learnt from
		hi = max(hi, min(lo+ExpectedWindow, e.learnt, len(e.s.Sales)))
	}
	if lo >= e.hi {
		e.lo, e.hi, e.sum, e.levels, e.gaps = lo, lo, 0, 0, 0
	}
	for ; e.lo < lo; e.lo++ {
		e.sum -= e.kept[e.lo%ExpectedWindow]
		e.gaps -= e.keptGap[e.lo%ExpectedWindow]
		e.levels -= e.bc.level(e.lo)
	}
	for ; e.hi < hi; e.hi++ {
		v, g := e.s.Sales[e.hi], e.s.gap(e.hi)
		e.kept[e.hi%ExpectedWindow], e.keptGap[e.hi%ExpectedWindow] = v, g
		e.sum += v
		e.gaps += g
		e.levels += e.bc.level(e.hi)
	}
	l := e.bc.level(w)
	return max(e.sum, 0) / e.levels * l, max(e.gaps, 0) / e.levels * l
}

// state returns the state of series i of sp in week w.
func (ix *salesIndex) state(sp SalesPanel, i, w int) int {
	s := &sp.Series[i]
	switch {
	case s.Censored != nil && s.Censored[w]:
		return StateCut
	case s.Sales[w] > 0:
		return StateDelivered
	case ix.outlet[i].received[w]:
		return StateIdle
	}
	return StateNone
}

// gap returns the series' unmet request in week w: requested − delivered in a cut week, 0 in any
// other.
func (s *SalesSeries) gap(w int) float64 {
	if s.Censored == nil || !s.Censored[w] || s.Requested == nil {
		return 0
	}
	return max(0, s.Requested[w]-s.Sales[w])
}

// LearnCensoring learns the correction of sp's series from the first weeks weeks of sp and the scans
// of scans in them (scans on the same calendar of weeks or a part of it; a scan week outside sp's
// first weeks is ignored): a backtest learns only from the weeks before its first origin. A brand
// without any scanned week uses the coefficients of all brands together.
func LearnCensoring(sp SalesPanel, scans ScanPanel, weeks int, opt EMOptions) *LearntCensoring {
	weeks = min(weeks, len(sp.Weeks))
	ix := newSalesIndex(sp, weeks)
	weekOf := make(map[time.Time]int, weeks)
	for w, d := range sp.Weeks[:weeks] {
		weekOf[d] = w
	}
	lc := &LearntCensoring{Brands: map[string]*BrandCensoring{}, Weeks: sp.Weeks, learnt: weeks}

	// The scanned weeks of each brand, as counts for the EM, with the series of the scanned outlets
	// (a few hundred collection points of a panel that may hold a million series).
	scanned := map[string]bool{}
	for _, s := range scans.Series {
		scanned[s.Outlet] = true
	}
	seriesOf := map[[2]string]int{}
	for i, s := range sp.Series {
		if scanned[s.Outlet] {
			seriesOf[[2]string{s.Outlet, s.Brand}] = i
		}
	}
	byBrand := map[string][]scannedWeek{}
	outletsOf := map[string]map[string]int32{}
	for _, s := range scans.Series {
		si, ok := seriesOf[[2]string{s.Outlet, s.Brand}]
		if !ok {
			si = -1
		}
		om := outletsOf[s.Brand]
		if om == nil {
			om = map[string]int32{}
			outletsOf[s.Brand] = om
		}
		o, ok := om[s.Outlet]
		if !ok {
			o = int32(len(om))
			om[s.Outlet] = o
		}
		for k, d := range scans.Weeks {
			w, ok := weekOf[d]
			if !ok || k >= len(s.Stock) || math.IsNaN(s.Stock[k]) {
				continue
			}
			if si >= 0 && w < ix.firstSale[si] {
				continue // before the outlet carried the brand
			}
			upTo := math.NaN()
			if si >= 0 && k > 0 && k-1 < len(s.Stock) && scans.Weeks[k-1].Equal(d.AddDate(0, 0, -7)) &&
				s.Stock[k-1] >= 0 && sp.Series[si].Requested != nil && sp.Series[si].Requested[w] > 0 {
				upTo = sp.Series[si].Requested[w] + s.Stock[k-1]
			}
			byBrand[s.Brand] = append(byBrand[s.Brand], scannedWeek{series: si, week: w, value: max(s.SellOut[k], 0),
				censored: s.Stock[k] <= 0, outlet: o, upTo: upTo})
		}
	}

	brands := slices.Sorted(func(yield func(string) bool) {
		for b := range byBrand {
			if !yield(b) {
				return
			}
		}
	})
	counts := make(map[string][]CountObs, len(brands))
	for _, b := range brands {
		rows := byBrand[b]
		obs := make([]CountObs, len(rows))
		for k, r := range rows {
			obs[k] = CountObs{Outlet: r.outlet, Week: int32(r.week), Value: r.value, Censored: r.censored}
		}
		counts[b] = obs
	}
	// The brands' fits are independent: they run on every CPU.
	fitted := make([]CountFit, len(brands))
	eachParallel(len(brands), runtime.GOMAXPROCS(0), func(k int) {
		b := brands[k]
		fitted[k] = FitCensoredCounts(counts[b], len(outletsOf[b]), len(sp.Weeks), opt)
	})
	if opt.PriorMean == nil && !opt.NoRequestPrior {
		refitOnRequests(brands, byBrand, counts, outletsOf, fitted, len(sp.Weeks), opt)
	}
	fits := make(map[string]*CountFit, len(brands))
	for k, b := range brands {
		fits[b] = &fitted[k]
	}
	windows := map[int]*sellInWindow{} // per scanned series (its rows come weeks ascending)
	for _, b := range brands {
		rows, obs := byBrand[b], counts[b]
		fit := fits[b]
		bc := &BrandCensoring{Level: fit.Level, Shape: fit.Shape, Identified: fit.Identified,
			lost: map[int32][]float64{}}
		for k, r := range rows {
			bc.Scanned++
			if r.censored {
				bc.Censored++
			}
			if r.series < 0 {
				continue
			}
			lost := fit.Expected(obs[k]) - r.value
			ls := bc.lost[int32(r.series)]
			if ls == nil {
				ls = make([]float64, len(sp.Weeks))
				for k := range ls {
					ls[k] = math.NaN()
				}
				bc.lost[int32(r.series)] = ls
			}
			ls[r.week] = lost
			win := windows[r.series]
			if win == nil {
				v := ix.sellInWindow(sp, r.series, bc)
				win = &v
				windows[r.series] = win
			}
			x, u := win.at(r.week)
			rows[k].expected, rows[k].unmet = x, u
			var row [terms]float64
			st := ix.state(sp, r.series, r.week)
			row[st] = x
			if st != StateCut { // a cut week's own unmet request stands in for it
				row[numStates+st] = u
			}
			row[unmetTerm] = sp.Series[r.series].gap(r.week)
			// Weighted least squares: the lost sales of a week vary about as much as its expected
			// demand (counts), so each week weighs 1/x, and small outlets count as much as large ones.
			wt := 1 / max(x, minWeightScale)
			bc.accumulate(row, lost, wt)
			lc.Pooled.accumulate(row, lost, wt)
		}
		lc.Brands[b] = bc
	}
	for _, bc := range lc.Brands {
		lc.Pooled.Scanned += bc.Scanned
		lc.Pooled.Censored += bc.Censored
		lc.Pooled.Identified = lc.Pooled.Identified || bc.Identified
	}
	lc.Pooled.Shape = math.NaN()
	lc.Pooled.solve(nil, 0)
	for _, bc := range lc.Brands {
		bc.solve(&lc.Pooled, PoolWeight)
	}
	lc.scaleToPoints(sp, ix, brands, byBrand)
	for _, b := range brands { // the correction's errors, once its coefficients are known
		rows, bc := byBrand[b], lc.Brands[b]
		for k, r := range rows {
			if r.series >= 0 {
				lc.measure(sp, ix, bc, fits[b], counts[b][k], r.series, r.expected, r.unmet)
			}
		}
	}
	lc.finishErrors()
	return lc
}

func (bc *BrandCensoring) level(w int) float64 {
	if bc.Level == nil || w >= len(bc.Level) || bc.Level[w] <= 0 {
		return 1
	}
	return bc.Level[w]
}

func (bc *BrandCensoring) accumulate(row [terms]float64, y, wt float64) {
	for a := range row {
		if row[a] == 0 {
			continue
		}
		bc.xty[a] += wt * row[a] * y
		for c := range row {
			bc.xtx[a][c] += wt * row[a] * row[c]
		}
	}
	bc.rows++
}

// solve sets the coefficients from the normal equations, plus weight weeks' worth of pool's (its
// equations scaled to weight rows); a coefficient without data takes pool's. Coefficients are
// clipped at 0 and the unmet share at 1.
func (bc *BrandCensoring) solve(pool *BrandCensoring, weight float64) {
	const k = terms
	var a [k][k]float64
	var y [k]float64
	a, y = bc.xtx, bc.xty
	if pool != nil && pool.rows > 0 {
		f := weight / float64(pool.rows)
		for i := range k {
			y[i] += f * pool.xty[i]
			for j := range k {
				a[i][j] += f * pool.xtx[i][j]
			}
		}
	}
	beta, ok := solveSmall(a, y)
	if !ok && pool != nil {
		bc.Theta, bc.Phi, bc.UnmetShare = pool.Theta, pool.Phi, pool.UnmetShare
		return
	}
	for s := range numStates {
		bc.Theta[s] = max(0, beta[s])
		bc.Phi[s] = max(0, beta[numStates+s])
	}
	bc.UnmetShare = min(max(0, beta[unmetTerm]), 1)
}

// solveSmall solves a·x = y by Gaussian elimination with partial pivoting; a variable whose column
// is empty is 0. It reports false when nothing could be solved.
func solveSmall(a [terms][terms]float64, y [terms]float64) ([terms]float64, bool) {
	const k = terms
	var x [k]float64
	active := make([]int, 0, k)
	for i := range k {
		if a[i][i] > 0 {
			active = append(active, i)
		}
	}
	n := len(active)
	if n == 0 {
		return x, false
	}
	m := make([][]float64, n)
	for r, i := range active {
		m[r] = make([]float64, n+1)
		for c, j := range active {
			m[r][c] = a[i][j]
		}
		m[r][n] = y[i]
	}
	for c := range n {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(m[r][c]) > math.Abs(m[p][c]) {
				p = r
			}
		}
		if math.Abs(m[p][c]) < 1e-12 {
			return x, false
		}
		m[c], m[p] = m[p], m[c]
		for r := range n {
			if r == c {
				continue
			}
			f := m[r][c] / m[c][c]
			for j := c; j <= n; j++ {
				m[r][j] -= f * m[c][j]
			}
		}
	}
	for r, i := range active {
		x[i] = m[r][n] / m[r][r]
	}
	return x, true
}

// correct writes the estimated demand of series i of sp (the panel LearnCensoring learnt from, ix
// its index) into dst and returns it, allocating dst when it is shorter than the series: its
// sell-in plus the lost sales of every week from its first sale to its outlet's last delivery. dst
// may be the series' Sales itself: week w reads only week w of it.
func (lc *LearntCensoring) correct(dst []float64, sp SalesPanel, ix *salesIndex, i int) []float64 {
	return lc.correctFrom(dst, sp, ix, i, 0)
}

// correctFrom is correct, writing only the weeks from from on (dst's earlier weeks are left as they
// are).
func (lc *LearntCensoring) correctFrom(dst []float64, sp SalesPanel, ix *salesIndex, i, from int) []float64 {
	s := &sp.Series[i]
	n := len(s.Sales)
	if len(dst) < n {
		dst = make([]float64, n)
	}
	dst = dst[:n]
	bc := lc.Brands[s.Brand]
	if bc == nil {
		bc = &lc.Pooled
	}
	last := ix.outlet[i].last
	own := bc.lost[int32(i)]
	win := ix.sellInWindow(sp, i, bc)
	for w := from; w < n; w++ {
		v := s.Sales[w]
		if w < ix.firstSale[i] || w > last {
			dst[w] = v
			continue
		}
		lost := math.NaN()
		if own != nil {
			lost = own[w]
		}
		if math.IsNaN(lost) {
			x, u := win.at(w)
			lost = bc.scale() * bc.fitted(sp, ix, i, w, x, u)
		}
		dst[w] = v + lost
	}
	return dst
}

// Demand returns a Panel of the estimated demand of every series of sp (the panel LearnCensoring
// learnt from), in new memory; sp is not changed.
func (lc *LearntCensoring) Demand(sp SalesPanel) Panel {
	ix := newSalesIndex(sp, lc.learnt)
	out := Panel{Weeks: sp.Weeks, Series: make([]Series, len(sp.Series))}
	for i, s := range sp.Series {
		out.Series[i] = Series{Outlet: s.Outlet, Brand: s.Brand, Values: lc.correct(nil, sp, ix, i)}
	}
	return out
}

// CorrectInPlace replaces the sell-in of every series of sp (the panel LearnCensoring learnt from)
// by its estimated demand, in place.
// A series' correction reads only its own sell-in, so the series are corrected on every CPU.
func (lc *LearntCensoring) CorrectInPlace(sp SalesPanel) {
	ix := newSalesIndex(sp, lc.learnt)
	parallel(context.Background(), len(sp.Series), runtime.GOMAXPROCS(0), func(i int, _ *Scratch) {
		lc.correct(sp.Series[i].Sales, sp, ix, i)
	})
}

// MinLearningWeeks is how many scanned collection-point weeks a run or backtest needs to learn its
// censored demand from the scans: with fewer (a handful of collection points over a few weeks) the
// coefficients are noise, and it corrects limited weeks by the fixed share instead (Censoring).
const MinLearningWeeks = 2000

// learnCensoring reads the scans of sp's weeks and learns the correction of sp from its first weeks
// weeks; nil when the collection points scanned fewer than MinLearningWeeks weeks in them.
func learnCensoring(ctx context.Context, scans ScanReader, sp SalesPanel, weeks int) (*LearntCensoring, error) {
	sc, err := scans.ScanHistory(ctx, sp.Weeks, MaxLearningOutlets)
	if err != nil {
		return nil, err
	}
	if len(sc.Series) == 0 {
		return nil, nil
	}
	lc := LearnCensoring(sp, sc, weeks, EMOptions{})
	if lc.Pooled.rows < MinLearningWeeks {
		return nil, nil
	}
	return lc, nil
}

// Summary says what lc learnt from, its coefficients for all brands together, and the standard
// errors of the corrected level, of the total (LevelError) and of a brand (every brand's Shared).
func (lc *LearntCensoring) Summary() string {
	p := &lc.Pooled
	return fmt.Sprintf("learnt from %d scanned collection-point weeks of %d brands (%.0f%% ended without stock): "+
		"lost sales per unit of expected sell-in (of expected unmet request) %.2f (%.2f) in a delivered week, "+
		"%.2f (%.2f) idle, %.2f (%.2f) without any delivery, %.2f cut plus %.2f of the week's unmet request; "+
		"scaled by %.2f to the points' own; the corrected level uncertain by %.1f%% in total, %.1f%% for a brand "+
		"(standard errors)", p.Scanned, len(lc.Brands), 100*float64(p.Censored)/float64(max(p.Scanned, 1)),
		p.Theta[StateDelivered], p.Phi[StateDelivered], p.Theta[StateIdle], p.Phi[StateIdle], p.Theta[StateNone],
		p.Phi[StateNone], p.Theta[StateCut], p.UnmetShare, p.scale(), 100*lc.LevelError,
		100*math.Sqrt(p.errorModel.Shared))
}

// scannedWeek is one scanned week of a collection point's brand, as LearnCensoring's EM sees it.
type scannedWeek struct {
	series, week int // in the SalesPanel; series −1 when the outlet has no sell-in of the brand
	value        float64
	censored     bool
	outlet       int32   // in the brand's EM
	expected     float64 // the week's expected sell-in (sellInWindow), once known
	unmet        float64 // the week's expected unmet request, likewise
	upTo         float64 // the shelf the week's order asked for: requested + the stock before it; NaN unknown
}

// RequestPriorWeight is the weight, in weeks per censored scanned week, of the prior that the
// retailer's requests put on a collection point's demand of a brand (refitOnRequests).
const RequestPriorWeight = 2

// requestClasses are the classes of the shelf asked for (log2 of cartons, the last open) in which the
// demand per carton asked for is learnt.
const requestClasses = 8

// refitOnRequests fits again, in fitted (parallel to brands), every brand whose collection points had
// censored weeks, with a prior on each collection point's demand of the brand taken from what the
// retailer asked for: the shelf it ordered up to in a week (requested + the stock counted the week
// before) times how much demand a carton asked for stood for at the same collection point.
//
// Where a collection point sold out in most weeks (a scarce brand under its limit), its counts say
// only that the demand was above the shelf: how far above is the fitted shape's extrapolation, which
// moves a brand's estimate by 5–15% with the shape its likelihood picks (the shape is chosen on the
// few weeks that did not sell out). The retailer's request is an estimate of the same demand from
// another source: the shelf it wants is what it expects to sell plus its own safety, and a cut line
// keeps it. How much demand a carton asked for stands for is learnt on the brand × collection points
// whose scanned weeks were mostly exact (less than half censored, the first fit's completed counts
// there), by the size of the shelf (a small shelf holds more safety per carton: classes of log2 of
// cartons, pooled over the outlets) and per collection point (its own ratio to the pooled one, from
// its every such brand, shrunk towards 1 by 20 cartons), so that the retailers' safety is learnt, not
// assumed. The prior weighs RequestPriorWeight weeks per censored week of the collection point's
// brand: nothing where the counts are exact, a half or more of the estimate where they are not.
func refitOnRequests(brands []string, byBrand map[string][]scannedWeek, counts map[string][]CountObs,
	outletsOf map[string]map[string]int32, fitted []CountFit, weeks int, opt EMOptions) {
	type ref struct {
		outlet       string
		upTo, demand float64
		mostlyExact  bool
	}
	names := make(map[string][]string, len(outletsOf))
	for b, om := range outletsOf {
		n := make([]string, len(om))
		for name, o := range om {
			n[o] = name
		}
		names[b] = n
	}
	var refs []ref
	for k, b := range brands {
		rows, obs := byBrand[b], counts[b]
		seen, cens := make([]int, len(names[b])), make([]int, len(names[b]))
		for _, r := range rows {
			seen[r.outlet]++
			if r.censored {
				cens[r.outlet]++
			}
		}
		for j, r := range rows {
			if !math.IsNaN(r.upTo) {
				refs = append(refs, ref{outlet: names[b][r.outlet], upTo: r.upTo,
					demand: fitted[k].Expected(obs[j]), mostlyExact: 2*cens[r.outlet] < seen[r.outlet]})
			}
		}
	}
	class := func(u float64) int { return min(int(math.Log2(max(u, 1))), requestClasses-1) }
	var classDemand, classUpTo [requestClasses]float64
	for _, r := range refs {
		if r.mostlyExact {
			classDemand[class(r.upTo)] += r.demand
			classUpTo[class(r.upTo)] += r.upTo
		}
	}
	perCarton := func(u float64) float64 {
		if c := class(u); classUpTo[c] > 0 {
			return classDemand[c] / classUpTo[c]
		}
		return 1
	}
	outletDemand, outletPredicted := map[string]float64{}, map[string]float64{}
	for _, r := range refs {
		if r.mostlyExact {
			outletDemand[r.outlet] += r.demand
			outletPredicted[r.outlet] += perCarton(r.upTo) * r.upTo
		}
	}
	const outletShrink = 20 // cartons
	outletFactor := func(o string) float64 {
		return (outletDemand[o] + outletShrink) / (outletPredicted[o] + outletShrink)
	}
	eachParallel(len(brands), runtime.GOMAXPROCS(0), func(k int) {
		b := brands[k]
		n := len(names[b])
		predicted, levels, cens := make([]float64, n), make([]float64, n), make([]float64, n)
		for _, r := range byBrand[b] {
			if r.censored {
				cens[r.outlet]++
			}
			if !math.IsNaN(r.upTo) {
				predicted[r.outlet] += outletFactor(names[b][r.outlet]) * perCarton(r.upTo) * r.upTo
				levels[r.outlet] += fitted[k].Level[r.week]
			}
		}
		o := opt
		o.PriorMean, o.PriorWeight = make([]float64, n), make([]float64, n)
		refit := false
		for j := range n {
			if levels[j] > 0 && cens[j] > 0 {
				o.PriorMean[j] = predicted[j] / levels[j]
				o.PriorWeight[j] = RequestPriorWeight * cens[j]
				refit = true
			}
		}
		if refit {
			fitted[k] = FitCensoredCounts(counts[b], n, weeks, o)
		}
	})
}

// scaleToPoints sets each brand's Scale so that its learnt lost sales sum, over the collection
// points' scanned weeks, to the points' own estimates of them. The fit alone would match them state
// by state (weighing each week 1 / expected sell-in makes its normal equations sums of residuals),
// but the pull towards all brands, the bounds on the coefficients and the floor under the weights
// break that: at 3,000 outlets the scarce brands' learnt lost sales at the points were 8% above the
// points' own (docs/BENCHMARKS.md). A brand's ratio is shrunk towards that of all brands together by
// PoolWeight scanned weeks of them, as its coefficients are, and held within [½, 2].
func (lc *LearntCensoring) scaleToPoints(sp SalesPanel, ix *salesIndex, brands []string, byBrand map[string][]scannedWeek) {
	type sums struct{ own, pred, weeks float64 }
	per := make([]sums, len(brands))
	var all sums
	for k, b := range brands {
		bc := lc.Brands[b]
		for _, r := range byBrand[b] {
			if r.series < 0 {
				continue
			}
			per[k].own += bc.lost[int32(r.series)][r.week]
			per[k].pred += bc.fitted(sp, ix, r.series, r.week, r.expected, r.unmet)
			per[k].weeks++
		}
		all.own += per[k].own
		all.pred += per[k].pred
		all.weeks += per[k].weeks
	}
	ratio := func(own, pred float64) float64 {
		if !(pred > 0 && own >= 0) || math.IsInf(own+pred, 0) { // NaN too: no scale rather than a broken one
			return 1
		}
		return min(max(own/pred, 0.5), 2)
	}
	lc.Pooled.Scale = ratio(all.own, all.pred)
	f := 0.0 // all brands' weeks per week of PoolWeight
	if all.weeks > 0 {
		f = PoolWeight / all.weeks
	}
	for k, b := range brands {
		lc.Brands[b].Scale = ratio(per[k].own+f*all.own, per[k].pred+f*all.pred)
	}
}

// fitted is the brand's fitted lost sales of series i in week w, whose expected sell-in is x and
// expected unmet request xu, before Scale: θ of the week's state · x + φ of the state · xu, or in a
// cut week θ · x + the unmet share of its own unmet request.
func (bc *BrandCensoring) fitted(sp SalesPanel, ix *salesIndex, i, w int, x, xu float64) float64 {
	st := ix.state(sp, i, w)
	if st == StateCut {
		return bc.Theta[st]*x + bc.UnmetShare*sp.Series[i].gap(w)
	}
	return bc.Theta[st]*x + bc.Phi[st]*xu
}

// scale is the factor on the brand's learnt lost sales (Scale, or 1 when unset).
func (bc *BrandCensoring) scale() float64 {
	if bc.Scale == 0 {
		return 1
	}
	return bc.Scale
}

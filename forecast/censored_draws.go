package forecast

import (
	"cmp"
	"context"
	"maps"
	"math"
	"runtime"
	"slices"
)

// The correction's uncertainty. A corrected history adds to each week its expected lost sales, and
// the sell-in it starts from is what the outlet bought, not what its customers asked for in the week:
// the demand of a week lies about the corrected value, not on it. Intervals calibrated against the
// corrected history alone would learn the spread of the sell-in and not that of the demand, and
// cover the demand too rarely. The collection points show the demand's spread: in a scanned week
// that ended with stock left they sold their demand (an exact count); in one that ended without, the
// demand was at least what they sold (a draw from the EM's fit beyond it stands for it). LearnCensoring
// measures there the error of the correction every other outlet gets, demand − (sell-in + lost
// sales learnt from the week's state), in standard deviations of the week's expected sell-in (the
// series' recent one, sellInWindow, as the correction's), and
// DemandDraws draws from those errors a demand for every week of every series: a sample of the demand
// the history is consistent with, against which Calibrate scores the forecasts. The draws err outlet
// by outlet, independently, so their brand sums stray from the corrected history in a way the
// demand's do not: where a correction errs, it errs for many outlets of a brand in the same week (a
// week's lost sales misjudged for all of them). LearnCensoring measures that shared error too, from
// the cross products of the errors of a brand's collection points in a week (brandMoments), and
// Calibrate adds it to the brands' intervals instead of scoring them against the draws.

// minErrors is how many measured errors a brand needs to draw from its own; with fewer it draws from
// every brand's together.
const minErrors = 200

// measure records, for scanned observation x of series i (brand bc, fitted by fit), a draw of its
// demand and the correction's error against it; m is the week's expected sell-in, the one the
// correction rests on (sellInWindow).
func (lc *LearntCensoring) measure(sp SalesPanel, ix *salesIndex, bc *BrandCensoring, fit *CountFit, x CountObs, i int, m float64) {
	w := int(x.Week)
	d := x.Value
	if x.Censored && fit.Identified {
		d = max(d, tailDraw(fit.Mean(int(x.Outlet), w), fit.Shape, x.Value, uniform(uint64(i), uint64(w), 1)))
	}
	if bc.seen == nil {
		bc.seen = map[int32][]float64{}
	}
	ds := bc.seen[int32(i)]
	if ds == nil {
		ds = make([]float64, len(sp.Weeks))
		for k := range ds {
			ds[k] = math.NaN()
		}
		bc.seen[int32(i)] = ds
	}
	ds[w] = d
	sd := spread(m, bc.Shape)
	sold := sp.Series[i].Sales[w]
	pred := sold + bc.scale()*bc.fitted(sp, ix, i, w, m)
	e := correctionError{err: (d - pred) / sd, sellIn: (sold - m) / sd, week: int32(w), dev: d - pred, pred: pred}
	if lc.level == nil {
		lc.level = map[string]*[2]float64{}
	}
	lv := lc.level[sp.Series[i].Outlet]
	if lv == nil {
		lv = new([2]float64)
		lc.level[sp.Series[i].Outlet] = lv
	}
	lv[0] += d - pred
	lv[1] += pred
	bc.errors = append(bc.errors, e)
	lc.Pooled.errors = append(lc.Pooled.errors, e)
}

// correctionError is the error of the correction in a scanned week, and the week's sell-in against
// its expected sell-in, both in standard deviations of the expected sell-in; with the week, the error
// in cartons (dev) and the corrected value it strays from (pred).
type correctionError struct {
	err, sellIn float64
	week        int32
	dev, pred   float64
}

// errorModel holds the correction's errors by the week's sell-in: a week that bought more than usual
// sold less of it than it bought (the shelf smooths the demand), so an error is drawn from those of
// weeks whose sell-in stood as far from their expected sell-in. Bins are errorBins ranges of sellIn
// of equal counts; Edges[k] is the least sellIn of bin k+1.
type errorModel struct {
	Edges []float64
	Bins  [][]float64
	// Shared is the variance of the correction's relative error that a brand's series share in a
	// week (brandMoments.shared).
	Shared float64
}

// errorBins is the number of ranges of the sell-in the errors are drawn by.
const errorBins = 8

// fitErrors bins errs by their sell-in (sorted in place).
func fitErrors(errs []correctionError) errorModel {
	if len(errs) == 0 {
		return errorModel{}
	}
	slices.SortFunc(errs, func(a, b correctionError) int { return cmp.Compare(a.sellIn, b.sellIn) })
	bins := min(errorBins, max(1, len(errs)/(minErrors/errorBins)))
	var m errorModel
	lo := 0
	for k := range bins {
		hi := len(errs) * (k + 1) / bins
		// Ties stay in one bin.
		for hi < len(errs) && hi > lo && errs[hi].sellIn == errs[hi-1].sellIn {
			hi++
		}
		if hi <= lo {
			continue
		}
		bin := make([]float64, hi-lo)
		for j, e := range errs[lo:hi] {
			bin[j] = e.err
		}
		if len(m.Bins) > 0 {
			m.Edges = append(m.Edges, errs[lo].sellIn)
		}
		m.Bins = append(m.Bins, bin)
		lo = hi
	}
	return m
}

// draw returns the error of bin of sellIn picked by u ∈ [0, 1).
func (m errorModel) draw(sellIn, u float64) float64 {
	k, _ := slices.BinarySearch(m.Edges, sellIn)
	if k < len(m.Edges) && m.Edges[k] == sellIn {
		k++
	}
	bin := m.Bins[k]
	return bin[int(u*float64(len(bin)))]
}

// finishErrors fits the error models of every brand with at least minErrors measured errors, and of
// all brands together for the others, and measures LevelError. A brand's own shared error is its
// estimate shrunk towards every brand's (shrinkShared): one brand's collection points over the weeks
// learnt from measure it with a sampling error as large as the spread between brands.
func (lc *LearntCensoring) finishErrors() {
	lc.LevelError = levelError(lc.level)
	var pooled brandMoments
	var owners []*BrandCensoring
	var ests []sharedEstimate
	for _, code := range slices.Sorted(maps.Keys(lc.Brands)) { // summed in one order: reproducible
		bc := lc.Brands[code]
		m := weekMoments(bc.errors)
		pooled.add(m)
		if len(bc.errors) >= minErrors {
			owners = append(owners, bc)
			ests = append(ests, m.estimate())
		}
	}
	lc.Pooled.errorModel = fitErrors(lc.Pooled.errors)
	lc.Pooled.errorModel.Shared = pooled.shared()
	for _, bc := range lc.Brands {
		bc.errorModel = lc.Pooled.errorModel
	}
	for k, sh := range shrinkShared(ests, lc.Pooled.errorModel.Shared) {
		bc := owners[k]
		bc.errorModel = fitErrors(bc.errors)
		bc.errorModel.Shared = sh
	}
	// The error models hold what is drawn from; the records, 40 bytes per scanned week twice over
	// (a brand's and every brand's), would outlive them for nothing (400 MB for 1M series).
	for _, bc := range lc.Brands {
		bc.errors = nil
	}
	lc.Pooled.errors = nil
}

// brandMoments are the sums the correction's shared error is measured from, over the brand-weeks of
// the collection points: Σ (Σ dev)², Σ Σ dev², Σ (Σ pred)², Σ Σ pred², the inner sums over one
// brand-week's series; and, for one brand (not summed by add), each week's terms of the shared
// error's estimate, (Σ dev)² − Σ dev² and (Σ pred)² − Σ pred².
type brandMoments struct {
	sum2, sq, pred2, predSq float64
	weeks                   [][2]float64
}

func (m *brandMoments) add(o brandMoments) {
	m.sum2 += o.sum2
	m.sq += o.sq
	m.pred2 += o.pred2
	m.predSq += o.predSq
}

// weekMoments returns the brandMoments of one brand's measured errors.
func weekMoments(errs []correctionError) brandMoments {
	type week struct{ dev, sq, pred, predSq float64 }
	var weeks []week
	for _, e := range errs {
		if int(e.week) >= len(weeks) {
			weeks = append(weeks, make([]week, int(e.week)+1-len(weeks))...)
		}
		w := &weeks[e.week]
		w.dev += e.dev
		w.sq += e.dev * e.dev
		w.pred += e.pred
		w.predSq += e.pred * e.pred
	}
	var m brandMoments
	for _, w := range weeks {
		m.sum2 += w.dev * w.dev
		m.sq += w.sq
		m.pred2 += w.pred * w.pred
		m.predSq += w.predSq
		if d := w.pred*w.pred - w.predSq; d > 0 {
			m.weeks = append(m.weeks, [2]float64{w.dev*w.dev - w.sq, d})
		}
	}
	return m
}

// shared returns the variance of the relative error the series of a brand share in a week, by the
// method of moments: with dev_i = pred_i·u + e_i, u shared by the series of a brand-week and e_i
// independent of each other, E[(Σ dev)² − Σ dev²] = Var(u)·((Σ pred)² − Σ pred²): the cross products
// of a week's series measure the shared error alone, whatever the size of their own. At least 0.
func (m brandMoments) shared() float64 {
	if d := m.pred2 - m.predSq; d > 0 {
		return max(0, (m.sum2-m.sq)/d)
	}
	return 0
}

// sharedEstimate is a brand's estimate of its shared error (brandMoments.shared before it is held at
// 0) and the variance of its sampling error; ok when it has one.
type sharedEstimate struct {
	value, variance float64
	ok              bool
}

// estimate returns m's shared error and its sampling variance: the estimate is a ratio of sums over
// weeks, Σ n_w / Σ d_w, and its variance by the delta method with the weeks as independent clusters
// (as levelError's), Σ (n_w − s·d_w)² / (Σ d_w)² · W / (W − 1). Not ok with fewer than 2 weeks.
func (m brandMoments) estimate() sharedEstimate {
	w := float64(len(m.weeks))
	var num, den float64
	for _, x := range m.weeks {
		num += x[0]
		den += x[1]
	}
	if w < 2 || den <= 0 {
		return sharedEstimate{}
	}
	s := num / den
	ss := 0.0
	for _, x := range m.weeks {
		r := x[0] - s*x[1]
		ss += r * r
	}
	return sharedEstimate{value: s, variance: w / (w - 1) * ss / (den * den), ok: ss > 0}
}

// shrinkShared returns the brands' shared errors, each brand's estimate shrunk towards center (every
// brand's together) by the share of its spread about center that its sampling error explains
// (empirical Bayes for a random-effects model; the brands' own spread τ² by the method of moments,
// E[Σ (s_b − center)² / v_b] = k + τ² · Σ 1/v_b over the k brands with an estimate):
// (τ² · s_b + v_b · center) / (τ² + v_b). A brand without an estimate gets center. At least 0.
func shrinkShared(ests []sharedEstimate, center float64) []float64 {
	out := make([]float64, len(ests))
	var q, sw, k float64
	for _, e := range ests {
		if e.ok {
			d := e.value - center
			q += d * d / e.variance
			sw += 1 / e.variance
			k++
		}
	}
	tau2 := 0.0
	if sw > 0 {
		tau2 = max(0, (q-k)/sw)
	}
	for i, e := range ests {
		v := center
		if e.ok {
			v = (tau2*e.value + e.variance*center) / (tau2 + e.variance)
		}
		out[i] = max(0, v)
	}
	return out
}

// levelError returns the relative standard error of the ratio Σ(demand) / Σ(corrected) over the
// collection points, from each one's Σ(demand − corrected) and Σ corrected (the delta method for a
// ratio over sampled clusters: the points' own errors may be shared by all their weeks); 0 with fewer
// than 2 points.
func levelError(points map[string]*[2]float64) float64 {
	n := float64(len(points))
	if n < 2 {
		return 0
	}
	var num, den float64
	for _, p := range points {
		num += p[0]
		den += p[1]
	}
	if den <= 0 {
		return 0
	}
	r := num / den
	ss := 0.0
	for _, p := range points {
		d := p[0] - r*p[1]
		ss += d * d
	}
	return math.Sqrt(n/(n-1)*ss) / den
}

// spread is the standard deviation of a negative binomial count of mean m (at least minWeightScale)
// and shape r (Poisson for r = +Inf or NaN).
func spread(m, r float64) float64 {
	m = max(m, minWeightScale)
	if math.IsNaN(r) || math.IsInf(r, 1) || r <= 0 {
		return math.Sqrt(m)
	}
	return math.Sqrt(m + m*m/r)
}

// DemandDraws returns a draw of the demand of every series of sp (the panel LearnCensoring learnt
// from, not yet corrected) in every week from from on: a collection point's drawn demand in a week it
// scanned; elsewhere, from the series' first sale to its outlet's last delivery, the corrected value
// plus an error drawn from those measured at the collection points in weeks whose sell-in stood as
// far from the expected (the brand's own when it has minErrors, every brand's otherwise), scaled to
// the week's expected sell-in (the one the correction rests on, sellInWindow), at least 0, scaled
// so that the brand's draws sum to its corrected values (the clipping at 0 would lift them), and
// rounded to whole cartons at random; the corrected value in any other week. The draws are a fixed function of the series' index and week. Expected holds
// the corrected values, Shared the error each series' brand shares in a week (the brand's own when it
// has minErrors measured errors, every brand's otherwise).
func (lc *LearntCensoring) DemandDraws(sp SalesPanel, from int) Observations {
	ix := newSalesIndex(sp, lc.learnt)
	from = min(max(from, 0), len(sp.Weeks))
	k := len(sp.Weeks) - from
	out := Observations{From: from, Values: make([][]float64, len(sp.Series)), Expected: make([][]float64, len(sp.Series)),
		LevelError: lc.LevelError, Shared: make([]float64, len(sp.Series))}
	drawn := make([]bool, len(sp.Series)*k) // the weeks drawn (not known), series by series
	brandOf := make([]*BrandCensoring, len(sp.Series))
	type sums struct{ corrected, drawn float64 }
	seriesSums := make([]sums, len(sp.Series))
	// First the draws before rounding, and each series' sums of them and of the corrected values; a
	// series reads only its own sell-in and draws from its own stream, so the series run on every CPU.
	parallel(context.Background(), len(sp.Series), runtime.GOMAXPROCS(0), func(i int, scratch *Scratch) {
		buf := scratch.buf(0, len(sp.Weeks))
		s := &sp.Series[i]
		bc := lc.Brands[s.Brand]
		if bc == nil {
			bc = &lc.Pooled
		}
		brandOf[i] = bc
		out.Shared[i] = bc.errorModel.Shared
		sm := &seriesSums[i]
		em := bc.errorModel
		c := lc.correctFrom(buf, sp, ix, i, from)
		seen := bc.seen[int32(i)]
		last := ix.lastWeek[s.Outlet]
		win := ix.sellInWindow(sp, i, bc) // the correction's expected sell-in
		v := make([]float64, k)
		for w := from; w < len(c); w++ {
			switch {
			case seen != nil && !math.IsNaN(seen[w]):
				v[w-from] = seen[w]
			case w < ix.firstSale[i] || w > last || len(em.Bins) == 0:
				v[w-from] = c[w]
			default:
				m := win.at(w)
				sd := spread(m, bc.Shape)
				z := em.draw((s.Sales[w]-m)/sd, uniform(uint64(i), uint64(w), 2))
				raw := max(0, c[w]+z*sd)
				v[w-from] = raw
				drawn[i*k+w-from] = true
				sm.corrected += c[w]
				sm.drawn += raw
			}
		}
		out.Values[i] = v
		out.Expected[i] = slices.Clone(c[from:])
	})
	// Each brand's sums, in the order of the series whatever the CPUs did.
	brandSums := map[*BrandCensoring]*sums{}
	for i, bc := range brandOf {
		sm := brandSums[bc]
		if sm == nil {
			sm = &sums{}
			brandSums[bc] = sm
		}
		sm.corrected += seriesSums[i].corrected
		sm.drawn += seriesSums[i].drawn
	}
	// Then each brand's draws scaled to its corrected values' sum (the clipping at 0 lifted them) and
	// rounded: demand comes in whole cartons (the EM's counts), rounded up or down at random, keeping
	// its mean.
	for i, v := range out.Values {
		sm := brandSums[brandOf[i]]
		scale := 1.0
		if sm.drawn > 0 {
			scale = sm.corrected / sm.drawn
		}
		for j := range v {
			if drawn[i*k+j] {
				v[j] = math.Floor(scale*v[j] + uniform(uint64(i), uint64(from+j), 3))
			}
		}
	}
	return out
}

// tailDraw draws D ≥ ⌈s⌉ from a negative binomial of mean m and shape r (Poisson for r = +Inf) by
// inverting its distribution at u ∈ [0, 1).
func tailDraw(m, r, s, u float64) float64 {
	k := math.Ceil(s - 1e-9)
	if m <= 0 {
		return k
	}
	below, _ := below(m, r, s)
	target := below + u*(1-below)
	if 1-below < 1e-12 {
		return k
	}
	poisson := math.IsInf(r, 1)
	var p, q float64
	if poisson {
		p = math.Exp(-m)
	} else {
		p = math.Exp(r * math.Log(r/(r+m)))
		q = m / (r + m)
	}
	cdf := 0.0
	limit := k + 20*m + 100
	for d := 0.0; d < limit; d++ {
		cdf += p
		if cdf >= target && d >= k {
			return d
		}
		if poisson {
			p *= m / (d + 1)
		} else {
			p *= q * (d + r) / (d + 1)
		}
	}
	return max(k, tailMean(m, r, s))
}

// uniform is a number in [0, 1) fixed by a, b and the stream salt (splitmix64 of their mix).
func uniform(a, b, salt uint64) float64 {
	x := a*0x9e3779b97f4a7c15 ^ (b+1)*0xbf58476d1ce4e5b9 ^ (salt+1)*0x94d049bb133111eb
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return float64(x>>11) / (1 << 53)
}

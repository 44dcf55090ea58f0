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
// demand's do not: where a correction errs for a brand, it errs at every outlet of the brand (its
// lost sales misjudged for all of them), and a forecast trained on the brand's corrected history
// inherits that error in every week it forecasts. No calibration window against the corrected
// history can show it. LearnCensoring measures it at each brand's collection points, as the
// uncertainty of the brand's corrected level (levelError over the brand's points, shrunk across
// brands, brandLevels), and Calibrate adds it to the brands' intervals instead of scoring them
// against the draws.
//
// An error of the correction that changes from week to week is not added: it is in the corrected
// history the calibration windows score against, and, as the synthetic region shows, mostly as
// noise the demand does not have (sell-in is lumpier than sell-out), so the windows see more error
// than the demand's, not less. Adding it as well, in quadrature, as an earlier version did, widened
// the brands' intervals to cover 0.83–0.95 of the weeks.

// minErrors is how many measured errors a brand needs to draw from its own; with fewer it draws from
// every brand's together.
const minErrors = 200

// measure records, for scanned observation x of series i (brand bc, fitted by fit), a draw of its
// demand and the correction's error against it; m and mu are the week's expected sell-in and unmet
// request, the ones the correction rests on (sellInWindow).
func (lc *LearntCensoring) measure(sp SalesPanel, ix *salesIndex, bc *BrandCensoring, fit *CountFit, x CountObs, i int, m, mu float64) {
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
	pred := sold + bc.scale()*bc.fitted(sp, ix, i, w, m, mu)
	e := correctionError{err: (d - pred) / sd, sellIn: (sold - m) / sd}
	lc.level = addLevel(lc.level, sp.Series[i].Outlet, d, pred)
	bc.points = addLevel(bc.points, sp.Series[i].Outlet, d, pred)
	bc.errors = append(bc.errors, e)
	lc.Pooled.errors = append(lc.Pooled.errors, e)
}

// addLevel adds a scanned week's demand d and corrected value pred to its collection point's sums
// in level (Σ demand − corrected, Σ corrected), and returns level, made if it was nil.
func addLevel(level map[string]*[2]float64, outlet string, d, pred float64) map[string]*[2]float64 {
	if level == nil {
		level = map[string]*[2]float64{}
	}
	lv := level[outlet]
	if lv == nil {
		lv = new([2]float64)
		level[outlet] = lv
	}
	lv[0] += d - pred
	lv[1] += pred
	return level
}

// correctionError is the error of the correction in a scanned week, and the week's sell-in against
// its expected sell-in, both in standard deviations of the expected sell-in.
type correctionError struct {
	err, sellIn float64
}

// errorModel holds the correction's errors by the week's sell-in: a week that bought more than usual
// sold less of it than it bought (the shelf smooths the demand), so an error is drawn from those of
// weeks whose sell-in stood as far from their expected sell-in. Bins are errorBins ranges of sellIn
// of equal counts; Edges[k] is the least sellIn of bin k+1.
type errorModel struct {
	Edges []float64
	Bins  [][]float64
	// Shared is the variance of the relative error of the brand's corrected level, which every
	// series of the brand shares in every week (brandLevels).
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
// all brands together for the others, and measures LevelError and each brand's Shared (brandLevels).
func (lc *LearntCensoring) finishErrors() {
	lc.LevelError = levelError(lc.level)
	codes := slices.Sorted(maps.Keys(lc.Brands)) // pooled in one order: reproducible
	points := make([]map[string]*[2]float64, len(codes))
	for k, code := range codes {
		points[k] = lc.Brands[code].points
	}
	shared, pooled := brandLevels(points)
	lc.Pooled.errorModel = fitErrors(lc.Pooled.errors)
	lc.Pooled.errorModel.Shared = pooled
	for k, code := range codes {
		bc := lc.Brands[code]
		bc.errorModel = lc.Pooled.errorModel
		if len(bc.errors) >= minErrors {
			bc.errorModel = fitErrors(bc.errors)
		}
		bc.errorModel.Shared = shared[k]
	}
	// The error models hold what is drawn from; the records, 16 bytes per scanned week twice over
	// (a brand's and every brand's), and the points' sums would outlive them for nothing.
	for _, bc := range lc.Brands {
		bc.errors, bc.points = nil, nil
	}
	lc.Pooled.errors = nil
}

// brandLevels returns, for each brand's collection points (Σ demand − corrected and Σ corrected per
// point), the variance of the relative error of the brand's corrected level, levelError², and the
// brands' pooled value: their variances' mean weighted by their degrees of freedom (points − 1). A
// brand measured at a few points has a variance as uncertain as a sample variance of so few degrees
// of freedom, 2·pooled² / (points − 1) for normal errors about the pooled value; each brand's is
// shrunk towards the pooled one by that uncertainty (shrinkShared), and a brand with fewer than 2
// points gets the pooled one.
func brandLevels(points []map[string]*[2]float64) (shared []float64, pooled float64) {
	own := make([]float64, len(points))
	var sum, df float64
	for k, p := range points {
		if len(p) >= 2 {
			e := levelError(p)
			own[k] = e * e
			sum += float64(len(p)-1) * own[k]
			df += float64(len(p) - 1)
		}
	}
	if df > 0 {
		pooled = sum / df
	}
	ests := make([]sharedEstimate, len(points))
	for k, p := range points {
		if len(p) >= 2 && pooled > 0 {
			ests[k] = sharedEstimate{value: own[k], variance: 2 * pooled * pooled / float64(len(p)-1), ok: true}
		}
	}
	return shrinkShared(ests, pooled), pooled
}

// sharedEstimate is a brand's estimate of its Shared and the variance of its sampling error; ok when
// it has one.
type sharedEstimate struct {
	value, variance float64
	ok              bool
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
// the corrected values, Shared the variance of the relative error of each series' brand's corrected
// level (brandLevels).
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
		last := ix.outlet[i].last
		win := ix.sellInWindow(sp, i, bc) // the correction's expected sell-in
		v := make([]float64, k)
		for w := from; w < len(c); w++ {
			switch {
			case seen != nil && !math.IsNaN(seen[w]):
				v[w-from] = seen[w]
			case w < ix.firstSale[i] || w > last || len(em.Bins) == 0:
				v[w-from] = c[w]
			default:
				m, _ := win.at(w)
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

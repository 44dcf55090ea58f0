package forecast

// DefaultSeasonalSmoothing is the weight Seasonal gives each neighbouring week when it smooths the
// seasonal profile: s_p ← (1 − 2w)·s_p + w·(s_{p−1} + s_{p+1}).
const DefaultSeasonalSmoothing = 0.15

// MinSeasonalWeeks is the shortest series Seasonal decomposes: a centred yearly moving average needs
// half a year on each side, and the weeks to forecast must have been seen a year earlier with that
// half year after them. Shorter series are forecast by SES alone.
const MinSeasonalWeeks = SeasonalPeriod + SeasonalPeriod/2

// Seasonal forecasts with a seasonal profile estimated from the history, shrunk towards zero by how
// much of it stands out from noise, and simple exponential smoothing of the seasonally adjusted series
// (the idea of R's stlf, made cheap):
//
//  1. Detrend: d_t = y_t − c_t, with c_t the centred 2×52 moving average (defined for weeks with
//     26 weeks of history on both sides).
//  2. Profile: s_p = the mean of d_t over the weeks t in position p = (t − n) mod 52, so that the
//     week forecast j steps ahead is in position (j − 1) mod 52; then centred to mean 0 over the
//     positions seen.
//  3. Shrink (James–Stein): with σ² the variance of d_t around its position's mean, and c the mean
//     number of years per position, the noise in s_p is about σ²/c; s is multiplied by
//     max(0, 1 − (σ²/c)/mean(s²)). A series with no real seasonality keeps a profile near 0; a strong,
//     repeatable one keeps nearly all of it.
//  4. Smooth the profile circularly with weight Smoothing (DefaultSeasonalSmoothing when 0; negative
//     for none) for each neighbouring week: single weeks are noisy, seasons are not.
//  5. Level: SES (with its α grid and optimal initial level) on the adjusted series y_t − s_p(t).
//
// The forecast of week j is level + s_{(j−1) mod 52}; its interval is SES's on the adjusted series.
// Series shorter than MinSeasonalWeeks are forecast by SES.
type Seasonal struct {
	Smoothing float64   // weight of each neighbouring week, at most 1/3; 0: the default; < 0: none
	Alphas    []float64 // the SES grid; SES's default when nil
}

// Name returns "seasonal".
func (Seasonal) Name() string { return "seasonal" }

// Forecast implements Model.
func (m Seasonal) Forecast(y []float64, f Forecast, s *Scratch) {
	m.forecastToward(y, nil, 0, f, s)
}

// forecastToward is Forecast with step 3 shrinking the profile towards prior times y's level instead
// of towards none (see seasonalProfile); prior nil: towards none.
func (m Seasonal) forecastToward(y, prior []float64, shift int, f Forecast, s *Scratch) {
	n := len(y)
	alphas := m.Alphas
	if alphas == nil {
		alphas = defaultAlphas
	}
	if n < MinSeasonalWeeks {
		SES{Alphas: alphas}.Forecast(y, f, s)
		return
	}
	smooth := m.Smoothing
	if smooth == 0 {
		smooth = DefaultSeasonalSmoothing
	}
	prof := s.buf(0, SeasonalPeriod)
	seasonalProfile(y, prof, s.buf(1, SeasonalPeriod), s.buf(2, n), max(smooth, 0), prior, shift)
	adj := s.buf(2, n)
	const m52 = SeasonalPeriod
	p := ((-n)%m52 + m52) % m52 // position of week 0
	for t, v := range y {
		adj[t] = v - prof[p]
		if p++; p == m52 {
			p = 0
		}
	}
	alpha, level, sse := sesFit(adj, alphas)
	sigma2 := sse / float64(n)
	for j := range f.Mean {
		f.put(j, level+prof[j%m52], sesSpread(sigma2, alpha, j))
	}
}

// seasonalProfile writes into prof (len 52) the shrunk, smoothed seasonal profile of y (len ≥
// MinSeasonalWeeks) by position (t − len(y)) mod 52, and returns the mean of y's centred moving
// average (its mean level). cnt (len 52) and dev (len(y)) are scratch space.
//
// Without a prior the profile is shrunk towards none. With one (len 52: a relative profile, a group's
// seasonal departure from its level, whose position (p + shift) mod 52 goes with y's position p) it
// is shrunk towards the prior times y's mean level, by the same James–Stein weight computed on its
// departure from that target: a series whose own profile stands out from its noise keeps it, a noisy
// one takes its group's shape at its own scale, and a position y has not seen takes the target.
func seasonalProfile(y, prof, cnt, dev []float64, smooth float64, prior []float64, shift int) (level float64) {
	return seasonalProfileOf(y, prof, cnt, dev, smooth, prior, shift, false)
}

// seasonalProfileOf is seasonalProfile, additive (rel false: departures y_t − c_t from the centred
// moving average c_t, in y's units) or relative (rel true: ratios y_t / c_t − 1, the classical
// multiplicative decomposition; the prior is then the target itself, not scaled by the level). A
// relative profile needs c_t > 0 at every week: where it is not, it returns 0 and prof is undefined.
func seasonalProfileOf(y, prof, cnt, dev []float64, smooth float64, prior []float64, shift int, rel bool) (level float64) {
	const m = SeasonalPeriod
	const half = m / 2
	n := len(y)
	clear(prof)
	clear(cnt)
	// Centred 2×52 moving average at t: (y[t−26]/2 + y[t−25] + … + y[t+25] + y[t+26]/2) / 52.
	run := sum(y[:m+1]) // y[0 … 52], the window of t = 26
	lo, hi := half, n-1-half
	p0 := ((lo-n)%m + m) % m
	p := p0
	for t := lo; t <= hi; t++ {
		if t > lo {
			run += y[t+half] - y[t-half-1]
		}
		c := (run - 0.5*(y[t-half]+y[t+half])) / m
		level += c
		d := y[t] - c
		if rel {
			if !(c > 0) {
				return 0
			}
			d = y[t]/c - 1
		}
		dev[t] = d
		prof[p] += d
		cnt[p]++
		if p++; p == m {
			p = 0
		}
	}
	level /= float64(hi - lo + 1)
	var total, positions, obs float64
	for q := range prof {
		if cnt[q] > 0 {
			prof[q] /= cnt[q]
			total += prof[q]
			positions++
			obs += cnt[q]
		}
	}
	mean := total / positions
	// The target of the shrinkage: none, or the prior at y's level.
	var target [m]float64
	if prior != nil {
		sh := (shift%m + m) % m
		for q := range target {
			target[q] = prior[(q+sh)%m]
			if !rel {
				target[q] *= level
			}
		}
	}
	var signal float64
	for q := range prof {
		if cnt[q] > 0 {
			prof[q] -= mean
			d := prof[q] - target[q]
			signal += d * d
		}
	}
	signal /= positions
	// Noise: spread of the deviations around their position's mean, with the degrees of freedom the
	// means used up; when too few positions repeat, fall back to half the mean squared change between
	// neighbouring weeks, which overstates noise and so shrinks more.
	var noise float64
	if df := obs - positions; df >= 8 {
		p = p0
		for t := lo; t <= hi; t++ {
			e := dev[t] - (prof[p] + mean)
			noise += e * e
			if p++; p == m {
				p = 0
			}
		}
		noise /= df
	} else {
		for t := lo + 1; t <= hi; t++ {
			e := dev[t] - dev[t-1]
			noise += e * e
		}
		noise /= 2 * float64(hi-lo)
	}
	noise /= obs / positions
	w := 0.0
	if signal > noise {
		w = 1 - noise/signal
	}
	// Smooth the departure from the target circularly (dep, in dev's space, no longer needed; a
	// position never seen departs by nothing) and shrink it.
	dep := dev[:m]
	for q := range dep {
		dep[q] = 0
		if cnt[q] > 0 {
			dep[q] = prof[q] - target[q]
		}
	}
	for q := range prof {
		prev, next := dep[(q+m-1)%m], dep[(q+1)%m]
		prof[q] = target[q] + w*((1-2*smooth)*dep[q]+smooth*(prev+next))
	}
	return level
}

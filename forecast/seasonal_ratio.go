package forecast

// SeasonalRatio is Seasonal with a multiplicative season: the classical multiplicative decomposition
// (each week's ratio to the centred 2×52 moving average), the same shrinking and smoothing of the
// profile of ratios as Seasonal's, and simple exponential smoothing of the series divided by its
// seasonal indices; week j is forecast as the level times its index. A series whose level has moved
// keeps seasonal swings in proportion to its level, where Seasonal keeps them in units: retail
// seasons scale with the business (a store that sells half as much has half the Christmas peak). The
// M4 competition's statistical benchmarks deseasonalise this way.
//
// Series shorter than MinSeasonalWeeks, and series whose moving average is not positive at every
// week it is defined (a ratio to it would mean nothing), are forecast by Seasonal. Indices are at
// least minSeasonalIndex. The interval is SES's on the adjusted series, times the week's index.
type SeasonalRatio struct{}

// Name returns "seas-ratio".
func (SeasonalRatio) Name() string { return "seas-ratio" }

// minSeasonalIndex bounds the seasonal indices from below, so that dividing by them stays stable.
const minSeasonalIndex = 0.05

// Forecast implements Model.
func (SeasonalRatio) Forecast(y []float64, f Forecast, s *Scratch) {
	n := len(y)
	if n < MinSeasonalWeeks {
		Seasonal{}.Forecast(y, f, s)
		return
	}
	const m = SeasonalPeriod
	idx := s.buf(0, m)
	if level := seasonalProfileOf(y, idx, s.buf(1, m), s.buf(2, n), DefaultSeasonalSmoothing, nil, 0, true); !(level > 0) {
		Seasonal{}.Forecast(y, f, s)
		return
	}
	for q, r := range idx {
		idx[q] = max(1+r, minSeasonalIndex)
	}
	adj := s.buf(2, n)
	p := ((-n)%m + m) % m // position of week 0
	for t, v := range y {
		adj[t] = v / idx[p]
		if p++; p == m {
			p = 0
		}
	}
	alpha, level, sse := sesFit(adj, defaultAlphas)
	sigma2 := sse / float64(n)
	for j := range f.Mean {
		k := idx[j%m]
		f.put(j, level*k, k*sesSpread(sigma2, alpha, j))
	}
}

package forecast

// Candidates that learn from their group as well as from the series (the outlets of a brand share
// much of their season and of their brand's ups and downs, which one outlet's few noisy years show
// poorly). The Engine gives them what it learns from each group's weekly total (groupView); forecast
// alone (Each), without a group, they are Seasonal.

// groupModel is a Model that forecasts a series with its group's view (groupInput).
type groupModel interface {
	Model
	forecastGroup(y []float64, in groupInput, f Forecast, s *Scratch)
}

// groupInput is what a groupModel learns of its series' group: prior, the group's relative seasonal
// profile (nil: none; shift: see seasonalProfile); total, the group's weekly total over the weeks of
// y (aligned at their end; nil: none); totalF, the total's forecast of the weeks to forecast (nil:
// none).
type groupInput struct {
	prior         []float64
	shift         int
	total, totalF []float64
}

// PooledSeasonal is Seasonal with the series' seasonal profile shrunk towards its group's (the
// group total's profile relative to its level, at the series' level) instead of towards none, by the
// James–Stein weight of the series' departure from it (seasonalProfile): an outlet whose season
// stands out from its noise keeps its own, a noisy one takes its brand's shape at its own scale.
type PooledSeasonal struct{}

// Name returns "pooled-seasonal".
func (PooledSeasonal) Name() string { return "pooled-seasonal" }

// Forecast implements Model: Seasonal, without a group.
func (PooledSeasonal) Forecast(y []float64, f Forecast, s *Scratch) { Seasonal{}.Forecast(y, f, s) }

func (PooledSeasonal) forecastGroup(y []float64, in groupInput, f Forecast, s *Scratch) {
	Seasonal{}.forecastToward(y, in.prior, in.shift, f, s)
}

// GroupShare forecasts a series as the mean of two forecasts: Seasonal on its own history, and its
// share of Seasonal's forecast of its group's total, the share being the series' part of the total
// over the last year (ShareWeeks, or the series' length when shorter; a whole year, so that
// the share is that of the season as a whole). The total moves with what a brand's outlets share (a
// price change, a promotion, a product's rise and fall) and shows it with far less noise than one
// outlet; averaging with the series' own forecast keeps what is the outlet's own. Intervals are
// Seasonal's, moved with the mean.
type GroupShare struct{}

// ShareWeeks is the window of GroupShare's share.
const ShareWeeks = SeasonalPeriod

// Name returns "group-share".
func (GroupShare) Name() string { return "group-share" }

// Forecast implements Model: Seasonal, without a group.
func (GroupShare) Forecast(y []float64, f Forecast, s *Scratch) { Seasonal{}.Forecast(y, f, s) }

func (GroupShare) forecastGroup(y []float64, in groupInput, f Forecast, s *Scratch) {
	Seasonal{}.Forecast(y, f, s)
	total, totalF := in.total, in.totalF
	if totalF == nil {
		return
	}
	n := len(y)
	k := min(ShareWeeks, n, len(total))
	var sy, st float64
	for t := 1; t <= k; t++ {
		sy += y[n-t]
		st += total[len(total)-t]
	}
	if !(st > 0) || sy < 0 {
		return
	}
	share := sy / st
	for j, own := range f.Mean {
		m := (own + share*totalF[j]) / 2
		d := m - own
		f.Mean[j] = max(m, 0)
		if f.Lower != nil {
			f.Lower[j] = max(f.Lower[j]+d, 0)
		}
		if f.Upper != nil {
			f.Upper[j] = max(f.Upper[j]+d, 0)
		}
	}
}

// groupView is what the Engine learns of a group from its weekly total on the batch's timeline (the
// batch's series aligned at their end, L weeks).
type groupView struct {
	season []float64         // the total's relative seasonal profile by position (t − L) mod 52; nil: none
	total  []float64         // the total over the timeline's L weeks
	totalF map[int][]float64 // Seasonal's forecast of the total for the h weeks after timeline week o, by o
}

// forecastWith forecasts y with m, with its group's view in when m is a groupModel.
func forecastWith(m Model, y []float64, in groupInput, f Forecast, s *Scratch) {
	if gm, ok := m.(groupModel); ok {
		gm.forecastGroup(y, in, f, s)
		return
	}
	m.Forecast(y, f, s)
}

// at returns the view for a series ending at timeline week oT, shift weeks before the end of the
// series whose prior is aligned to (see seasonalProfile).
func (gv *groupView) at(oT, shift int) groupInput {
	if gv == nil {
		return groupInput{shift: shift}
	}
	return groupInput{prior: gv.season, shift: shift, total: gv.total[:oT], totalF: gv.totalF[oT]}
}

// usesGroups reports whether any of cands is a groupModel.
func usesGroups(cands []Model) bool {
	for _, m := range cands {
		if _, ok := m.(groupModel); ok {
			return true
		}
	}
	return false
}

// groupViews returns the view of every group of b: its weekly total on the timeline of L weeks
// (divided week by week by div[g] when div is not nil: the festival factors), the total's relative
// seasonal profile (Seasonal's profile over the total's mean level; none when the total is shorter
// than MinSeasonalWeeks after its leading zeros or its level is not positive), and Seasonal's forecast
// of the total, h weeks ahead, from each timeline week of origins that leaves MinValidationWeeks.
func groupViews(b Batch, groups, L, h int, div [][]float64, origins []int) []groupView {
	out := make([]groupView, groups)
	for g := range out {
		out[g].total = make([]float64, L)
		out[g].totalF = make(map[int][]float64, len(origins))
	}
	for i, s := range b.Series {
		tot := out[b.group(i)].total[L-len(s):]
		for t, v := range s {
			tot[t] += v
		}
	}
	var s Scratch
	for g := range out {
		gv := &out[g]
		tot := gv.total
		if div != nil && div[g] != nil {
			for t := range tot {
				tot[t] /= div[g][t]
			}
		}
		for _, o := range origins {
			if _, done := gv.totalF[o]; done || o < MinValidationWeeks || o > L {
				continue
			}
			f := Forecast{Mean: make([]float64, h)}
			Seasonal{}.Forecast(trimLeadingZeros(tot[:o]), f, &s)
			gv.totalF[o] = f.Mean
		}
		y := trimLeadingZeros(tot)
		n := len(y)
		if n < MinSeasonalWeeks {
			continue
		}
		prof := make([]float64, SeasonalPeriod)
		level := seasonalProfile(y, prof, s.buf(0, SeasonalPeriod), s.buf(1, n), DefaultSeasonalSmoothing, nil, 0)
		if !(level > 0) {
			continue
		}
		for q := range prof {
			prof[q] /= level
		}
		gv.season = prof
	}
	return out
}

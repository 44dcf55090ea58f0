package forecast

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// The window of weeks around a holiday that a festival profile covers: from FestivalLeads weeks
// before the week holding the holiday's first day to FestivalLags weeks after it.
const (
	FestivalLeads = 4
	FestivalLags  = 3
	festivalWidth = FestivalLeads + FestivalLags + 1
	// festivalBase is how many weeks on each side of a holiday's window give the local level its
	// weeks are compared with.
	festivalBase = 8
	// festivalMinBase is the least number of such weeks (outside every holiday's window) an
	// occurrence needs to be measured, festivalMinSide of them on each side.
	festivalMinBase = 4
	festivalMinSide = 2
	festivalPasses  = 3 // backfitting passes over the holidays, for holidays whose windows overlap
	minFactor       = 0.1
	maxFactor       = 10
)

// FestivalProfile is a group's multiplicative calendar effect: Factors[k][FestivalLeads − w] is the
// demand of the week w weeks before holiday k (of the Engine's Holidays, by index; w < 0 after it)
// relative to the level of the weeks around the holiday's window. Nil or empty: no effect.
type FestivalProfile [][]float64

// holidayWeeks returns, for each holiday of hol and each of the n weeks whose first Monday is first,
// the index FestivalLeads − w of the week in the holiday's window, or −1 outside every window.
func holidayWeeks(hol Holidays, first time.Time, n int) [][]int8 {
	out := make([][]int8, len(hol.names))
	for k := range out {
		idx := make([]int8, n)
		for t := range idx {
			w, ok := hol.weeksBefore(k, first.AddDate(0, 0, 7*t), FestivalLeads, FestivalLags)
			idx[t] = -1
			if ok {
				idx[t] = int8(FestivalLeads - w)
			}
		}
		out[k] = idx
	}
	return out
}

// festivalTimeline is the calendar of a batch: its series are aligned at their end, the week before
// the batch's Origin, and the longest has L weeks; week t of the timeline (t < L + horizon) is the
// Monday Origin − 7(L − t) days.
type festivalTimeline struct {
	L, h  int
	first time.Time // the Monday of week 0
	idx   [][]int8  // holidayWeeks over the L + h weeks
}

// timeline returns the calendar of b, or false when the engine has no holidays or b no origin.
func (e *Engine) timeline(b Batch) (festivalTimeline, bool) {
	if e.Holidays.Count() == 0 || b.Origin.IsZero() {
		return festivalTimeline{}, false
	}
	L := 0
	for _, s := range b.Series {
		L = max(L, len(s))
	}
	first := Monday(b.Origin).AddDate(0, 0, -7*L)
	return festivalTimeline{L: L, h: b.Horizon, first: first, idx: holidayWeeks(e.Holidays, first, L+b.Horizon)}, true
}

// factors returns the multiplicative factor of every week of the timeline for profile p.
func (tl festivalTimeline) factors(p FestivalProfile) []float64 {
	f := make([]float64, tl.L+tl.h)
	for t := range f {
		f[t] = 1
	}
	for k, prof := range p {
		if prof == nil {
			continue
		}
		for t, i := range tl.idx[k] {
			if i >= 0 {
				f[t] *= prof[i]
			}
		}
	}
	return f
}

// occurrence is one holiday's window on the timeline: weeks [from, to).
type occurrence struct{ from, to int }

// occurrences returns the windows of holiday k on the timeline, in order.
func (tl festivalTimeline) occurrences(k int) []occurrence {
	var out []occurrence
	idx := tl.idx[k]
	for t, i := range idx {
		if i < 0 {
			continue
		}
		if t == 0 || idx[t-1] < 0 || idx[t-1] >= i {
			out = append(out, occurrence{t, t})
		}
		out[len(out)-1].to = t + 1
	}
	return out
}

// inWindow reports whether week t is in any holiday's window.
func (tl festivalTimeline) inWindow(t int) bool {
	for _, idx := range tl.idx {
		if idx[t] >= 0 {
			return true
		}
	}
	return false
}

// profileEstimate is the raw festival profile of one aggregate series.
type profileEstimate struct {
	ratio [][]float64 // per holiday and window index: mean ratio to the local level; NaN when unseen
	count [][]int     // occurrences behind each ratio
	noise float64     // variance of one week's ratio to the local level, outside the windows
}

// estimateProfile measures the festival profile of y (the L weeks of the timeline's history): for
// every occurrence of a holiday with enough weeks outside every window within festivalBase weeks of
// its window, each window week's value over their mean, the effects of the other holidays in the
// same weeks divided out (backfitting, for holidays whose windows overlap); then the mean over the
// occurrences. The weeks before start (the history's first sale) are not among those weeks.
//
// Two holidays the history has seen only together, at one distance from each other (the seeded
// region's Mid-Autumn Festival and National Day in its one autumn), cannot be told apart: any split
// of their weeks' lift between them fits the history as well as another. Backfitting would give it
// all to the one estimated first; where the weeks ahead see them at that distance again, that does
// no harm, but where they fall at another (the next autumn's), the lift would be forecast in the
// wrong weeks. Such holidays (seenTogether) share the lift of the weeks they have in common evenly:
// each takes the m-th root of the part the others' pass-start ratios leave, m the holidays sharing
// the week. together is tl.seenTogether(), which depends on the timeline alone.
func (tl festivalTimeline) estimateProfile(y []float64, start int, together [][]int) profileEstimate {
	nh := len(tl.idx)
	est := profileEstimate{ratio: make([][]float64, nh), count: make([][]int, nh)}
	for k := range nh {
		est.ratio[k] = make([]float64, festivalWidth)
		est.count[k] = make([]int, festivalWidth)
		for i := range est.ratio[k] {
			est.ratio[k][i] = 1
		}
	}
	occ := make([][]occurrence, nh)
	for k := range nh {
		occ[k] = tl.occurrences(k)
	}
	// inAny[t]: week t is in some holiday's window; prod[t]: the product of every holiday's current
	// ratio in week t, kept up to date as the ratios are (all 1 at first).
	inAny := make([]bool, tl.L)
	prod := make([]float64, tl.L)
	for t := range tl.L {
		inAny[t] = tl.inWindow(t)
		prod[t] = 1
	}
	snap := make([][]float64, nh) // the ratios at the start of the pass
	for k := range nh {
		snap[k] = make([]float64, festivalWidth)
	}
	var noise float64
	var noiseN int
	sum := make([]float64, festivalWidth)
	for pass := range festivalPasses {
		for k := range nh {
			copy(snap[k], est.ratio[k])
		}
		for k := range nh {
			clear(sum)
			cnt := est.count[k]
			clear(cnt)
			for _, o := range occ[k] {
				if o.from >= tl.L {
					continue
				}
				// The local level: a line through the weeks outside every window near this one,
				// with some on each side, so that a trend or a season does not pass for the holiday.
				// A dense calendar (a holiday every few weeks) may leave too few such weeks: then
				// the weeks outside this holiday's own windows, the other holidays' effects divided
				// out as far as they are known.
				lo, hi := max(start, o.from-festivalBase), min(tl.L, o.to+festivalBase)
				other := func(t int) float64 { // the other holidays' effect in week t
					v := prod[t]
					if i := tl.idx[k][t]; i >= 0 {
						v /= est.ratio[k][i]
					}
					for _, k2 := range together[k] { // at their pass-start ratios
						if i2 := tl.idx[k2][t]; i2 >= 0 {
							v *= snap[k2][i2] / est.ratio[k2][i2]
						}
					}
					return v
				}
				var baseWeek func(t int) (float64, bool)
				var icept, slope float64
				fitted := false
				for _, strict := range []bool{true, false} {
					baseWeek = func(t int) (float64, bool) {
						if strict {
							return y[t], !inAny[t]
						}
						return y[t] / other(t), tl.idx[k][t] < 0
					}
					var sx, sy, sxx, sxy float64
					var before, after int
					for t := lo; t < hi; t++ {
						v, ok := baseWeek(t)
						if !ok {
							continue
						}
						x := float64(t - o.from)
						sx, sy, sxx, sxy = sx+x, sy+v, sxx+x*x, sxy+x*v
						if t < o.from {
							before++
						} else {
							after++
						}
					}
					if before < festivalMinSide || after < festivalMinSide || before+after < festivalMinBase {
						continue
					}
					nb := float64(before + after)
					slope = (nb*sxy - sx*sy) / (nb*sxx - sx*sx)
					icept = (sy - slope*sx) / nb
					fitted = true
					break
				}
				if !fitted {
					continue
				}
				base := func(t int) float64 { return icept + slope*float64(t-o.from) }
				if base(o.from) <= 0 || base(min(o.to, tl.L)-1) <= 0 {
					continue
				}
				if pass == 0 { // the noise: on the first pass only
					for t := lo; t < hi; t++ {
						if v, ok := baseWeek(t); ok {
							if b := base(t); b > 0 {
								d := v/b - 1
								noise += d * d
								noiseN++
							}
						}
					}
				}
				for t := o.from; t < min(o.to, tl.L); t++ {
					i := tl.idx[k][t]
					r := y[t] / other(t) / base(t)
					if m := 1 + sharing(together[k], tl.idx, t); m > 1 && r > 0 {
						r = snap[k][i] * math.Pow(r/snap[k][i], 1/float64(m))
					}
					sum[i] += r
					cnt[i]++
				}
			}
			for i := range sum {
				if cnt[i] > 0 {
					est.ratio[k][i] = clampFactor(sum[i] / float64(cnt[i]))
				}
			}
			for t := range tl.L {
				if tl.idx[k][t] < 0 {
					continue
				}
				prod[t] = 1
				for k2 := range nh {
					if i2 := tl.idx[k2][t]; i2 >= 0 {
						prod[t] *= est.ratio[k2][i2]
					}
				}
			}
		}
		if pass == 0 && noiseN > 1 {
			est.noise = noise / float64(noiseN-1)
		}
	}
	return est
}

// seenTogether returns, for each holiday k, the holidays k2 that the history has seen only together
// with k, at one distance: every occurrence of either that the history can measure overlaps the
// other's window, each time at the same distance; and that a later occurrence sees at another
// distance or apart. An occurrence the history can measure is one whose window is followed by
// festivalMinSide weeks before week L: estimateProfile fits the line under a window through weeks
// on both sides of it. One whose window the history ends in or just after is a later one: it tells
// nothing of how the lift is split (at the seeded region's latest origins, 2026-09-21 and
// 2026-10-19, the autumn of 2026 is such an occurrence, and counted as measured it left the lift of
// 2025's to one holiday again).
func (tl festivalTimeline) seenTogether() [][]int {
	occ := make([][]occurrence, len(tl.idx))
	for k := range occ {
		occ[k] = tl.occurrences(k)
	}
	// partner returns the distance from occurrence o of holiday k to the one of k2 whose window
	// overlaps it, and false when none does.
	partner := func(o occurrence, k2 int) (int, bool) {
		for _, o2 := range occ[k2] {
			if o2.from < o.to && o.from < o2.to {
				return o2.from - o.from, true
			}
		}
		return 0, false
	}
	always := func(k, k2 int) bool { // every occurrence of k has k2 at one distance, and a later one not
		d0, n, apart := 0, 0, false
		for _, o := range occ[k] {
			d, ok := partner(o, k2)
			if o.to+festivalMinSide > tl.L {
				apart = apart || !ok || d != d0
				continue
			}
			if !ok || (n > 0 && d != d0) {
				return false
			}
			d0 = d
			n++
		}
		return n > 0 && apart
	}
	out := make([][]int, len(occ))
	for k := range occ {
		for k2 := range occ {
			if k2 != k && always(k, k2) && always(k2, k) {
				out[k] = append(out[k], k2)
			}
		}
	}
	return out
}

// HolidaySpread returns, per group of b and per week forecast, the relative standard deviation that
// holidays of an unknown split add to a forecast of the group's total: where the history has seen
// holidays only together, at one distance (seenTogether: the seeded region's National Day and
// Mid-Autumn Festival of 2025), and the weeks forecast see them apart or at another distance (the
// autumn of 2026), how their lift is split between them was never measured, and the weeks forecast
// may carry it one way or the other. A week in the window of such a holiday takes the root mean
// square of the group's profile's departure from 1 over the window (festivalProfiles, from the whole
// history): the size of a lift whose weeks are not known. A week in the windows of several takes the
// root of their mean square. It returns nil when no holiday of the batch is of that kind, or b has
// no origin or is malformed. Calibration.Festival is what widens the brands' intervals by it: the
// windows a calibration scores saw the lift where the history put it, and cannot show this error.
func (e *Engine) HolidaySpread(b Batch) [][]float64 {
	tl, ok := e.timeline(b)
	if !ok {
		return nil
	}
	n, err := b.check(nil)
	if err != nil {
		return nil
	}
	together := tl.seenTogether()
	if !slices.ContainsFunc(together, func(ks []int) bool { return len(ks) > 0 }) {
		return nil
	}
	profiles, _ := festivalProfiles(tl, tl.totalsOf(b, n), tl.L)
	if profiles == nil {
		return nil
	}
	out := make([][]float64, n)
	for g := range out {
		out[g] = tl.spread(profiles[g], together, b.Horizon)
	}
	return out
}

// spread is HolidaySpread of profile p over the h weeks after the history.
func (tl festivalTimeline) spread(p FestivalProfile, together [][]int, h int) []float64 {
	v := make([]float64, h)
	n := make([]float64, h)
	for k, partners := range together {
		if len(partners) == 0 || len(p[k]) == 0 {
			continue
		}
		var ss float64
		for _, f := range p[k] {
			ss += (f - 1) * (f - 1)
		}
		for j := range v {
			if tl.idx[k][tl.L+j] >= 0 {
				v[j] += ss / float64(len(p[k]))
				n[j]++
			}
		}
	}
	for j := range v {
		if n[j] > 0 {
			v[j] = math.Sqrt(v[j] / n[j])
		}
	}
	return v
}

// sharing counts the holidays of ks whose window holds week t.
func sharing(ks []int, idx [][]int8, t int) int {
	n := 0
	for _, k := range ks {
		if idx[k][t] >= 0 {
			n++
		}
	}
	return n
}

// shrinkToOne shrinks each holiday's ratios towards 1 by how much of their departure from 1 their
// noise explains (James–Stein over the weeks of the window): a holiday that moves demand keeps its
// profile, one that does not (a holiday of another country, say) is left out.
func (e *profileEstimate) shrinkToOne() {
	for k, r := range e.ratio {
		var signal, noise float64
		var n int
		for i, c := range e.count[k] {
			if c > 0 {
				signal += (r[i] - 1) * (r[i] - 1)
				noise += e.noise / float64(c)
				n++
			}
		}
		if n == 0 {
			continue
		}
		w := 0.0
		if signal > 0 {
			w = max(0, 1-noise/signal)
		}
		for i := range r {
			r[i] = 1 + w*(r[i]-1)
		}
	}
}

func clampFactor(f float64) float64 { return min(max(f, minFactor), maxFactor) }

// festivalTotals are the weekly totals that festival profiles are learnt from, on a batch's timeline
// (L weeks): each group's and the whole batch's.
type festivalTotals struct {
	groups [][]float64
	pooled []float64
}

// totalsOf sums the series of b by group and in all, on the timeline.
func (tl festivalTimeline) totalsOf(b Batch, groups int) festivalTotals {
	ft := festivalTotals{groups: make([][]float64, groups), pooled: make([]float64, tl.L)}
	for g := range ft.groups {
		ft.groups[g] = make([]float64, tl.L)
	}
	for i, s := range b.Series {
		off := tl.L - len(s)
		tot := ft.groups[b.group(i)]
		for t, v := range s {
			tot[off+t] += v
			ft.pooled[off+t] += v
		}
	}
	return ft
}

// festivalProfiles learns the festival profile of every group from the group's weekly total in ft,
// using the weeks of the timeline before week cut only (tl.L: the whole history), shrunk towards the
// profile of the grand total by how noisy the group's own estimate is: with τ² the spread of the
// groups' ratios around the pooled ones beyond their noise, a ratio seen in c occurrences with
// week-to-week variance σ² keeps the weight τ² / (τ² + σ²/c) (empirical Bayes), so a small brand with
// a thin history takes the pooled profile and a large one its own. It returns also, per holiday, how
// many of its occurrences the grand total measured before cut; the profiles are nil when it measured
// none.
//
// τ² is the median over the groups of their spread beyond noise, not the mean: a few groups whose
// ratios are broken (a product out of stock for months around a holiday, measured against a local
// level near 0, gives ratios at the clamps, 0.1 or 10) would otherwise set τ² by themselves, and then
// keep their broken ratios at nearly full weight. With the mean, M5's items took factors up to 22 in
// the weeks forecast (an item fold over 12 origins forecast 25% worse with the calendar than without
// it); with the median, no factor of those weeks passes 3 in the four folds over 12 origins
// (docs/BENCHMARKS.md, "A robust spread of the brands' festival profiles"). The price: a brand unlike
// all the others keeps its own profile only when its estimate is precise next to the median brand's
// spread (TestFestivalProfilesResistBrokenBrands).
func festivalProfiles(tl festivalTimeline, ft festivalTotals, cut int) ([]FestivalProfile, []int) {
	groups, totals, pooled := len(ft.groups), ft.groups, ft.pooled
	tl.L = cut
	// The weeks before the history's first sale are no level: the seeded region's first week, before
	// any delivery, put a 0 in the line under its first Spring Festival.
	start := 0
	for start < cut && pooled[start] == 0 {
		start++
	}
	together := tl.seenTogether()
	pool := tl.estimateProfile(pooled, start, together)
	measured := make([]int, len(pool.count))
	seen := false
	for k, c := range pool.count {
		for _, n := range c {
			seen = seen || n > 0
			measured[k] = max(measured[k], n)
		}
	}
	if !seen {
		return nil, measured
	}
	pool.shrinkToOne()
	ests := make([]profileEstimate, groups)
	for g := range groups {
		ests[g] = tl.estimateProfile(totals[g], start, together)
	}
	nh := len(tl.idx)
	out := make([]FestivalProfile, groups)
	for g := range out {
		out[g] = make(FestivalProfile, nh)
	}
	excess := make([]float64, 0, groups)
	for k := range nh {
		// τ²: the spread of the groups' ratios around the pooled ones, less their noise, for the
		// median group (each group's mean over the window's weeks).
		excess = excess[:0]
		for _, e := range ests {
			var sum float64
			var n int
			for i, c := range e.count[k] {
				if c > 0 && pool.count[k][i] > 0 {
					d := e.ratio[k][i] - pool.ratio[k][i]
					sum += d*d - e.noise/float64(c)
					n++
				}
			}
			if n > 0 {
				excess = append(excess, sum/float64(n))
			}
		}
		tau2 := max(median(excess), 0)
		for g, e := range ests {
			prof := make([]float64, festivalWidth)
			for i := range prof {
				p := pool.ratio[k][i] // 1 when the pooled total never saw the week
				if c := e.count[k][i]; c > 0 && pool.count[k][i] > 0 {
					w := 0.0
					if v := tau2 + e.noise/float64(c); v > 0 {
						w = tau2 / v
					}
					p += w * (e.ratio[k][i] - p)
				}
				prof[i] = clampFactor(p)
			}
			out[g][k] = prof
		}
	}
	return out, measured
}

// festivalHeldOutMin is the least number of a holiday's occurrences, measured before the regular
// validation windows, for Choose to judge the holiday's profile by one learnt without those windows
// (heldOutProfiles).
const festivalHeldOutMin = 3

// heldOutProfiles returns the festival profiles that Choose validates with: learnt by festivalProfiles
// from the same totals ft, but from the weeks before week cut (the start of the regular validation windows) only, so
// that keeping the profiles rests on weeks they were not learnt from. Validated with the profiles of
// the whole history, a calendar wins on the noise of the very weeks it is judged on: M5's, 30 events a
// year, was kept at all three origins and forecast worse than none (docs/BENCHMARKS.md, "Festival
// profiles judged on weeks they did not learn from").
//
// A holiday measured fewer than festivalHeldOutMin times before cut keeps its profile of whole: two
// occurrences cannot separate holidays whose windows overlap (the seeded region's National Day and
// Mid-Autumn Festival fell in one week in 2025), and a first occurrence has nothing before it to learn
// from. measured is how many times the whole history measured each holiday: when none reaches
// festivalHeldOutMin, nothing is learnt again. It returns nil when no holiday is judged by a held-out
// profile.
func heldOutProfiles(tl festivalTimeline, ft festivalTotals, cut int, whole []FestivalProfile, measured []int) []FestivalProfile {
	if cut <= 0 || slices.Max(measured) < festivalHeldOutMin {
		return nil
	}
	held, before := festivalProfiles(tl, ft, cut)
	if held == nil {
		return nil
	}
	heldOut := false
	for k, n := range before {
		if n < festivalHeldOutMin {
			for g := range held {
				held[g][k] = whole[g][k]
			}
			continue
		}
		heldOut = true
	}
	if !heldOut {
		return nil
	}
	return held
}

// maxFestivalWindows bounds the extra validation windows of festivalOrigins: a dense calendar (M5's
// has 30 events a year) would otherwise multiply the cost of model choice.
const maxFestivalWindows = 4

// festivalOrigins returns the validation origins on the timeline whose h weeks hold the latest
// occurrence in the history of a holiday, centred on its week, for the maxFestivalWindows holidays
// whose profiles (summed over the groups) depart most from 1, each origin once: model choice then
// sees festival weeks as well as the latest ones. It returns also, per holiday, whether it is major:
// one of those it looked for a window for, in order of their effect, whether or not one fitted.
func (tl festivalTimeline) festivalOrigins(profiles []FestivalProfile) ([]int, []bool) {
	effect := make([]float64, len(tl.idx))
	for _, p := range profiles {
		for k, prof := range p {
			for _, f := range prof {
				effect[k] += math.Abs(f - 1)
			}
		}
	}
	order := make([]int, len(tl.idx))
	for k := range order {
		order[k] = k
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(effect[b], effect[a]) })
	var out []int
	major := make([]bool, len(tl.idx))
	for _, k := range order {
		if len(out) == maxFestivalWindows {
			break
		}
		major[k] = effect[k] > 0
		occ := tl.occurrences(k)
		for j := len(occ) - 1; j >= 0; j-- {
			anchor := -1
			for t := occ[j].from; t < occ[j].to; t++ {
				if tl.idx[k][t] == FestivalLeads {
					anchor = t
				}
			}
			if anchor < 0 {
				continue
			}
			o := anchor - tl.h/2
			if o+tl.h <= tl.L && o >= 0 {
				if !slices.Contains(out, o) {
					out = append(out, o)
				}
				break
			}
		}
	}
	return out, major
}

// judgedShare is how much of a major holiday's effect the validation windows must hold for the
// holiday to count as judged (judged).
const judgedShare = 0.5

// heldPositions returns, per holiday, which positions of its window the validation windows from
// origins (timeline weeks, h weeks each) hold, in any of its occurrences. A window needs
// MinValidationWeeks weeks before it and must end by the batch's origin.
func (tl festivalTimeline) heldPositions(origins []int) [][]bool {
	out := make([][]bool, len(tl.idx))
	for k, idx := range tl.idx {
		held := make([]bool, festivalWidth)
		for _, o := range origins {
			if o < MinValidationWeeks || o+tl.h > tl.L {
				continue
			}
			for t := o; t < o+tl.h; t++ {
				if i := idx[t]; i >= 0 {
					held[i] = true
				}
			}
		}
		out[k] = held
	}
	return out
}

// judged returns, per holiday, whether the validation windows, which hold the positions held
// (heldPositions), can tell whether its profile p forecasts better than none. A minor holiday is
// judged when a window holds a week of one of its windows. A major one (festivalOrigins: one of those
// that move demand most) is judged only when the weeks held carry at least judgedShare of its effect,
// Σ|factor − 1| over its window's positions: four weeks ahead of a Spring Festival sell as any week,
// so a window holding them says nothing of the festival's own weeks. The seeded region's first Spring
// Festival falls too early in its history for a window of its own, and at the origins one to three
// weeks before the next, the latest window held only its first lead weeks: the whole calendar was
// then kept or left out on the other holidays, by sums a few tenths of a percent apart, and left out
// the festival's week was forecast at a third of its demand (docs/BENCHMARKS.md, "A major holiday is
// judged by the weeks that carry its effect").
func judged(held [][]bool, p FestivalProfile, major []bool) []bool {
	out := make([]bool, len(held))
	for k, h := range held {
		if !major[k] || k >= len(p) || p[k] == nil {
			out[k] = slices.Contains(h, true)
			continue
		}
		var all, got float64
		for i, f := range p[k] {
			all += math.Abs(f - 1)
			if h[i] {
				got += math.Abs(f - 1)
			}
		}
		out[k] = all > 0 && got >= judgedShare*all
	}
	return out
}

// unjudged returns p with the profiles of the judged holidays removed, or nil when no holiday keeps
// one.
func (p FestivalProfile) unjudged(judged []bool) FestivalProfile {
	var out FestivalProfile
	for k, prof := range p {
		if judged[k] || prof == nil {
			continue
		}
		if out == nil {
			out = make(FestivalProfile, len(p))
		}
		out[k] = prof
	}
	return out
}

// deseasonalise writes y divided by its factors f into adj.
func deseasonalise(adj, y, f []float64) {
	for t, v := range y {
		adj[t] = v / f[t]
	}
}

// median returns the median of x, reordering x; 0 when x is empty.
func median(x []float64) float64 {
	n := len(x)
	if n == 0 {
		return 0
	}
	slices.Sort(x)
	if n%2 == 1 {
		return x[n/2]
	}
	return (x[n/2-1] + x[n/2]) / 2
}

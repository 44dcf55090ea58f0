package forecast

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
)

// DefaultCandidates returns the models an Engine chooses from when its Candidates are nil. The first
// is the fallback when nothing can be validated. The last two learn from the series' group as well
// (engine_group.go). The seasonal candidate of the series alone is SeasonalRatio, whose season scales
// with the level (Seasonal's, in units, is what the group candidates build on): alone it was at least
// as good on Walmart and M5 at 3 and 12 origins, and with it the engine improved 7 of the 8 figures of
// docs/BENCHMARKS.md "Multiplicative season" (both as candidates made the engine worse: the
// combination then averages near-twins).
func DefaultCandidates() []Model {
	return []Model{
		SeasonalRatio{}, SES{}, Damped{}, MovingAverage{},
		TSB{}, SBA{}, Croston{}, SeasonalNaive{}, Naive{},
		PooledSeasonal{}, GroupShare{},
	}
}

// Defaults of Engine.
const (
	DefaultValidationWindows   = 3
	DefaultWindowChoices       = 3
	DefaultTolerance           = 1.1
	DefaultMaxCombine          = 3
	DefaultMaxValidationSeries = 400
	DefaultMinGroupSeries      = 5
)

// MinValidationWeeks is the least history a validation origin of the Engine leaves to fit on.
const MinValidationWeeks = 8

// CombineSharpness is the power of the inverse validation errors that weigh the models combined in
// one choice: each weighs (best error / its error)^CombineSharpness, normalised (inverseErrorWeights).
const CombineSharpness = 4

// Engine is the forecasting engine: it chooses models per group of series (a brand's outlets, say)
// by a rolling-origin backtest on the series' own histories, and forecasts each series with the mean
// of the models chosen for its group. It is a Method.
//
// Choice, for each group:
//
//  1. Validation: for each validated series of length n, at origins n − h·w for w = 1 … Windows
//     (h the batch horizon; origins leaving fewer than MinValidationWeeks weeks are skipped), and at
//     the origin a year earlier, n − SeasonalPeriod, when the series has MinSeasonalWeeks weeks
//     before it (seasonWindow), each candidate fits the history before the origin and forecasts the
//     next h weeks. Only data up to the end of each series, the forecast origin, is ever used.
//  2. Pooling: the absolute errors are summed over the group's validated series, so a choice rests on
//     every outlet of a brand rather than on one noisy series (large series weigh more, as they do
//     in WAPE). Choosing per series instead overfits: on the Walmart data it scored 0.083 against
//     0.076 pooled by brand. A group with fewer than MinGroupSeries
//     validated series uses the sums over the whole batch instead.
//  3. Combination: candidates are ranked by pooled error (ties keep the order of Candidates); the best
//     and every other within Tolerance times its error, up to MaxCombine, are averaged, forecasts and
//     intervals alike, each weighted by (best error / its error)^CombineSharpness (Bates and Granger's
//     inverse-error weights, sharpened). Averaging near-equals cuts variance; a clearly best model
//     stays alone. Against equal weights the sharpened ones moved none of the eight Walmart and M5
//     figures by more than 0.12% and improved seven (M5 without its calendar 0.2294 → 0.2292, within
//     0.9 × R's best), and 8 of the 22 subset figures gained, 2 lost (docs/BENCHMARKS.md, "Inverse-error
//     weights in the combination").
//  4. Averaging over window counts: steps 1–3 are made WindowChoices times, on Windows, Windows + 1,
//     … windows, and the group's forecast is the mean of the choices' (each with its models' weights
//     of step 3; Choice.Weights). The festival profiles are kept or left out by the first
//     choice, and the others follow it.
//
// Two default candidates learn from the group as well (engine_group.go): PooledSeasonal, with its
// seasonal profile shrunk towards the group total's, and GroupShare, with the series' share of the
// total's forecast. Choose learns the total's profile from the whole history (validation weeks
// included, as for festival profiles, which flatters it a little) and forecasts the total from each
// validation origin with only the weeks before it; it keeps what Apply needs in the Choice.
//
// To bound the cost on large groups, at most MaxValidationSeries series of a group are validated,
// evenly spaced through the batch order. Before any candidate sees a series, its leading zeros are
// dropped (weeks before an outlet or a brand existed say nothing about its demand). The result
// depends only on the batch, not on Workers.
type Engine struct {
	Candidates []Model // DefaultCandidates() when nil
	Windows    int     // DefaultValidationWindows when 0
	// WindowChoices is how many choices Choose averages: the first on Windows validation windows, each
	// next on one window more (DefaultWindowChoices when 0). Which models a few windows prefer is
	// noisy: on M5's 196 series, over the 3 origins of BACKTEST.md, the engine forecast 0.915, 0.915,
	// 0.898 and 0.950 × R's best method with 3, 4, 5 and 6 windows. Averaging the choices of 3, 4 and 5
	// windows gained 0.7% on average over the eight Walmart and M5 figures and 0.6% over the eleven
	// subsets of the two files, with and without their holidays (docs/BENCHMARKS.md, "Model choice
	// averaged over three window counts").
	WindowChoices       int
	Tolerance           float64 // DefaultTolerance when below 1
	MaxCombine          int     // DefaultMaxCombine when 0
	MaxValidationSeries int     // DefaultMaxValidationSeries when 0
	MinGroupSeries      int     // DefaultMinGroupSeries when 0
	// Holidays are the calendar's holidays. When a batch has an Origin and some holiday falls in its
	// history, each group learns a festival profile (festivalProfiles) from its total: every series
	// is divided by its group's profile before the models see it, and their forecasts are multiplied
	// by the profile of the forecast weeks, aligned on each holiday's date (not the week of the
	// year); validation then covers also windows around the latest occurrence of each holiday (of
	// the maxFestivalWindows that move demand most), every candidate with the profiles and without
	// them, and the groups keep their profiles only when, summed over the groups, the best candidate
	// with them validates better than the best without over all the windows (a holiday calendar
	// that moves nothing, or that the profiles cannot learn, is then left out: left out, it changes
	// nothing). Kept or not, the models are chosen on the windows a batch without a calendar has, the
	// latest and the weeks forecast a year earlier (which hold a holiday ahead when it falls near the
	// same weeks every year): the festival windows judge the calendar only. A holiday that
	// validation cannot judge keeps its profile even then, and the other holidays' weeks should not
	// decide it (a first year of history holds the Spring Festival too early for a window around it):
	// one that no validation window holds a week of, or, for one of the holidays that move demand
	// most, one whose weeks in the windows carry less than half of its effect. The profiles validated are
	// learnt from the weeks before the regular validation windows (heldOutProfiles), so that the
	// calendar is not kept for fitting the noise of the weeks it is judged on; a holiday measured
	// fewer than three times before them is judged by its profile of the whole history, validation
	// weeks included, which flatters it (learning every profile from the weeks before each window's
	// origin left the seeded region's first Spring Festival without an earlier occurrence to learn
	// from, and its festival WAPE at 0.083 against 0.067). Apply uses the profiles of the whole
	// history. With a calendar, a batch whose history is between a year and a half and two years and a
	// half long also has its series divided by the cycle through the year that its total shows
	// (AnnualCycle, learnt away from the holidays' windows), with the profiles or without them. The
	// zero value: none.
	Holidays Holidays
}

// Choice is the engine's choice for one group.
type Choice struct {
	Models []int // indexes into the candidates, heaviest first
	// Weights are the models' weights in the mean forecast, parallel to Models and adding up to 1;
	// nil: equal weights.
	Weights []float64
	// Errors is the pooled validation error (Σ|A − F|) of every candidate, by index, over the windows
	// the first of the averaged choices was made on (Windows; the festival windows, which decide only
	// whether the profiles are kept, are not among them); nil if none.
	Errors    []float64
	Validated int             // series of the group that were validated
	Pooled    bool            // true when the batch-wide sums decided, the group being too small
	Festival  FestivalProfile // the group's festival profile; nil: none
	// Annual is the batch's cycle through the year (learnAnnual), which every group's series are
	// divided by before the models see them, with the festival profile or without it; zero: none.
	Annual AnnualCycle
	// What the group candidates (PooledSeasonal, GroupShare) learnt from the group's weekly total,
	// divided by the festival profile and the year's cycle where there are; nil when no candidate is
	// a group one.
	Season        []float64 // the total's relative seasonal profile by position (see groupViews); nil: none
	Total         []float64 // the total's last ShareWeeks weeks (fewer when shorter)
	TotalForecast []float64 // Seasonal's forecast of the total for the batch's horizon
}

// groupInput returns what the group candidates learn of ch's group for a series forecast at the end
// of its history.
func (ch *Choice) groupInput() groupInput {
	return groupInput{prior: ch.Season, total: ch.Total, totalF: ch.TotalForecast}
}

// weight returns the weight of ch's k-th model in the mean forecast.
func (ch *Choice) weight(k int) float64 {
	if ch.Weights == nil {
		return 1 / float64(len(ch.Models))
	}
	return ch.Weights[k]
}

// checkWeights returns an error unless ch's Weights are nil or one positive weight per model, adding
// up to 1.
func (ch *Choice) checkWeights() error {
	if ch.Weights == nil {
		return nil
	}
	if len(ch.Weights) != len(ch.Models) {
		return fmt.Errorf("%d weights for %d models", len(ch.Weights), len(ch.Models))
	}
	sum := 0.0
	for _, w := range ch.Weights {
		if !(w > 0) || math.IsInf(w, 0) {
			return fmt.Errorf("weight %v", w)
		}
		sum += w
	}
	if math.Abs(sum-1) > 1e-9 {
		return fmt.Errorf("weights adding up to %v", sum)
	}
	return nil
}

// NewEngine returns an Engine with the default candidates and settings.
func NewEngine() *Engine { return &Engine{} }

// Name returns "engine".
func (e *Engine) Name() string { return "engine" }

type engineSettings struct {
	cands                                                []Model
	windows, windowChoices, maxCombine, maxVal, minGroup int
	tolerance                                            float64
}

func (e *Engine) settings() engineSettings {
	s := engineSettings{
		cands: e.Candidates, windows: e.Windows, windowChoices: e.WindowChoices, maxCombine: e.MaxCombine,
		maxVal: e.MaxValidationSeries, minGroup: e.MinGroupSeries, tolerance: e.Tolerance,
	}
	if s.cands == nil {
		s.cands = DefaultCandidates()
	}
	if s.windows <= 0 {
		s.windows = DefaultValidationWindows
	}
	if s.windowChoices <= 0 {
		s.windowChoices = DefaultWindowChoices
	}
	if s.maxCombine <= 0 {
		s.maxCombine = DefaultMaxCombine
	}
	if s.maxVal <= 0 {
		s.maxVal = DefaultMaxValidationSeries
	}
	if s.minGroup <= 0 {
		s.minGroup = DefaultMinGroupSeries
	}
	if s.tolerance < 1 {
		s.tolerance = DefaultTolerance
	}
	return s
}

// CandidateNames returns the names of the models the engine chooses from, by index.
func (e *Engine) CandidateNames() []string {
	cands := e.settings().cands
	names := make([]string, len(cands))
	for i, m := range cands {
		names[i] = m.Name()
	}
	return names
}

// Choose returns the engine's choice for every group of b, indexed by group: WindowChoices choices,
// on one validation window more each, averaged (averageChoices). It returns an error wrapping
// ErrInvalidBatch for a malformed batch and ctx.Err() when ctx is cancelled.
func (e *Engine) Choose(ctx context.Context, b Batch) ([]Choice, error) {
	groups, err := b.check(nil)
	if err != nil {
		return nil, err
	}
	made, err := e.choose(ctx, b, groups, e.settings())
	if err != nil {
		return nil, err
	}
	if len(made) == 1 {
		return made[0], nil
	}
	return averageChoices(made), nil
}

// averageChoices returns the first of made, each group's models replaced by the mean of every
// choice's, each choice's models with their weights in it. The first's validation errors, profile
// and group views stay (the others' are the same but for the errors).
func averageChoices(made [][]Choice) []Choice {
	out := made[0]
	for g := range out {
		weight := make(map[int]float64)
		var order []int // the models in the order they first appear: the first choice's best first
		for _, chs := range made {
			ch := chs[g]
			for k, m := range ch.Models {
				if _, seen := weight[m]; !seen {
					order = append(order, m)
				}
				weight[m] += ch.weight(k)
			}
		}
		slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(weight[b], weight[a]) })
		ch := &out[g]
		ch.Models = order
		ch.Weights = make([]float64, len(order))
		for k, m := range order {
			ch.Weights[k] = weight[m] / float64(len(made))
		}
	}
	return out
}

// choose returns Choose's choices for b of groups groups, with the settings st: the first on
// st.windows validation windows, each next on one more. The series are validated once: the errors of
// each added window are added to the windows before it. An added window whose origin is already
// among the validation windows (the one a year before, a festival's) is not scored again. The
// festival profiles are kept or left out by the first choice, and the others follow it; every choice
// judges the profiles learnt from the weeks before the first's windows.
func (e *Engine) choose(ctx context.Context, b Batch, groups int, st engineSettings) ([][]Choice, error) {
	nc := len(st.cands)
	more := st.windowChoices - 1 // windows added, one per further choice

	// Which series to validate: every stride-th of its group, stride fixed per group.
	count := make([]int, groups)
	for i := range b.Series {
		count[b.group(i)]++
	}
	stride := make([]int, groups)
	for g, c := range count {
		stride[g] = (c + st.maxVal - 1) / st.maxVal
	}
	seen := make([]int, groups)
	var val []int // indexes of validated series
	for i := range b.Series {
		g := b.group(i)
		if seen[g]%max(stride[g], 1) == 0 {
			val = append(val, i)
		}
		seen[g]++
	}

	// Validation errors per validated series, written in place so that the sums below run in a fixed
	// order whatever the number of workers.
	tl, hasCalendar := e.timeline(b)
	var profiles []FestivalProfile
	var factors [][]float64    // per group: the factor of every week of the timeline
	var valFactors [][]float64 // per group: the factors the validation windows are judged with
	var festOrigins []int
	var major []bool
	var cycle AnnualCycle
	var annual []float64 // the cycle's factor of every week of the timeline; nil: none
	if hasCalendar {
		ft := tl.totalsOf(b, groups)
		cycle = learnAnnual(ft.pooled, tl.first, tl.inWindow)
		annual = cycle.factors(tl.first, tl.L+tl.h)
		var measured []int
		if profiles, measured = festivalProfiles(tl, ft, tl.L); profiles != nil {
			factors = make([][]float64, groups)
			for g, p := range profiles {
				factors[g] = timesAnnual(tl.factors(p), annual)
			}
			festOrigins, major = tl.festivalOrigins(profiles)
			valFactors = factors
			if held := heldOutProfiles(tl, ft, tl.L-st.windows*b.Horizon, profiles, measured); held != nil {
				valFactors = make([][]float64, groups)
				for g, p := range held {
					valFactors[g] = timesAnnual(tl.factors(p), annual)
				}
			}
		}
	}
	// Without profiles (or when validating without them) the series are still divided by the year's
	// cycle: it is no holiday's, and the keeping or leaving out of the holidays does not decide it.
	var annualOnly [][]float64 // per group; nil: no cycle
	if annual != nil {
		annualOnly = make([][]float64, groups)
		for g := range annualOnly {
			annualOnly[g] = annual
		}
	}
	// The groups' views for the group candidates, from their totals as they are and, with festival
	// profiles, divided by them; the totals are forecast from every validation origin and from the
	// batch's own (for Apply).
	L := 0
	for _, s := range b.Series {
		L = max(L, len(s))
	}
	origins := []int{L}
	for w := 1; w <= st.windows+more; w++ {
		origins = append(origins, L-b.Horizon*w)
	}
	origins = append(origins, festOrigins...)
	if o, ok := seasonWindow(L); ok { // every series ends at week L: its window starts at L − 52
		origins = append(origins, o)
	}
	// The holidays that the validation windows cannot judge keep their profiles even when the
	// calendar is left out: a first year of history may hold the Spring Festival's only occurrence
	// too early for a window around it, the latest window may hold only its first lead weeks, and the
	// minor holidays of the latest weeks would otherwise decide it. Nor can they judge a holiday whose
	// lift the history has seen only together with another's, where the weeks ahead or the latest
	// see them apart (seenTogether): how the lift is split between them is a guess, and windows around
	// the latest occurrence judge the guess, not whether the holidays move demand. Left out, the
	// seeded region's Mid-Autumn Festival and National Day of 2026 went unforecast from the latest
	// origin before them and their lifted weeks stayed in the level of every model after them
	// (docs/BENCHMARKS.md, "The year's swing learnt from the region's total").
	var unjudged []FestivalProfile
	if factors != nil {
		held := tl.heldPositions(origins[1:])
		together := tl.seenTogether()
		for g, p := range profiles {
			j := judged(held, p, major)
			for k := range j {
				j[k] = j[k] && len(together[k]) == 0
			}
			if u := p.unjudged(j); u != nil {
				if unjudged == nil {
					unjudged = make([]FestivalProfile, groups)
				}
				unjudged[g] = u
			}
		}
	}
	var views, festViews, valViews, unjudgedViews []groupView
	if usesGroups(st.cands) {
		views = groupViews(b, groups, L, b.Horizon, annualOnly, origins)
		festViews, valViews, unjudgedViews = views, views, views
		if factors != nil {
			// Validation divides the totals by the profiles it judges; Apply by those of the whole
			// history, from the batch's own origin only.
			valViews = groupViews(b, groups, L, b.Horizon, valFactors, origins[1:])
			festViews = groupViews(b, groups, L, b.Horizon, factors, origins[:1])
		}
		if unjudged != nil {
			div := make([][]float64, groups) // the cycle alone for a group without an unjudged profile
			for g, u := range unjudged {
				div[g] = annual
				if u != nil {
					div[g] = timesAnnual(tl.factors(u), annual)
				}
			}
			unjudgedViews = groupViews(b, groups, L, b.Horizon, div, origins[:1])
		}
	}
	// With festival profiles every candidate is validated twice on the same windows, with its group's
	// profile and without it, and the errors of the festival windows are kept apart from the others':
	// columns 0 … nc−1 with the profiles on the regular windows, nc … 2nc−1 without them, 2nc … 3nc−1
	// with them on the festival windows, 3nc … 4nc−1 without. Every window decides whether the
	// profiles are kept; the festival windows do not choose the models (pickChoices).
	nv := nc
	if factors != nil {
		nv = 4 * nc
	}
	errs := make([]float64, len(val)*nv)
	added := make([]float64, len(val)*more*2*nc) // per series and added window: with the profiles, without
	ok := make([]bool, len(val))
	err := parallel(ctx, len(val), b.workers(), func(v int, s *Scratch) {
		y := trimLeadingZeros(b.Series[val[v]])
		g := b.group(val[v])
		off := L - len(y)
		var view, festView *groupView
		if views != nil {
			view, festView = &views[g], &valViews[g]
		}
		var f, fa []float64 // the factors validated with the profiles, and without them
		if annual != nil {
			fa = annual[off:]
			f = fa
		}
		var season, fest []int
		if o, ok := seasonWindow(len(y)); ok {
			season = []int{o}
		}
		if factors != nil {
			f = valFactors[g][off:]
			for _, o := range festOrigins {
				fest = append(fest, o-off)
			}
		}
		// Every window in one call, so that the models fitting every prefix in one pass do it once.
		row := errs[v*nv : (v+1)*nv]
		var withBuf, withoutBuf [4][]float64
		with, without := withBuf[:0], withoutBuf[:0]
		for k := range more {
			dst := added[(v*more+k)*2*nc : (v*more+k+1)*2*nc]
			with, without = append(with, dst[:nc]), append(without, dst[nc:])
		}
		var winBuf [16]valWindow
		festRow := row[:nc] // unused without profiles: there are no festival windows then
		if factors != nil {
			festRow = row[2*nc : 3*nc]
		}
		wins, before := validationWindows(st, len(y), b.Horizon, season, fest, row[:nc], festRow, with, winBuf[:0])
		ok[v] = before > 0
		validate(st, y, f, festView, off, wins, b.Horizon, s)
		if factors != nil {
			wins, _ = validationWindows(st, len(y), b.Horizon, season, fest, row[nc:2*nc], row[3*nc:], without, winBuf[:0])
			validate(st, y, fa, view, off, wins, b.Horizon, s)
		}
	})
	if err != nil {
		return nil, err
	}
	fv := festivalViews{profiles, unjudged, views, festViews, unjudgedViews}
	first, leftOut := pickChoices(b, groups, st, val, ok, errs, nv, nil, fv, L)
	made := [][]Choice{first}
	for k := range more {
		for v := range val {
			src := added[(v*more+k)*2*nc : (v*more+k+1)*2*nc]
			for c := range nc {
				errs[v*nv+c] += src[c]
				if nv > nc {
					errs[v*nv+nc+c] += src[nc+c] // the regular windows' column
				}
			}
		}
		next, _ := pickChoices(b, groups, st, val, ok, errs, nv, &leftOut, fv, L)
		made = append(made, next)
	}
	for _, choices := range made {
		for g := range choices {
			choices[g].Annual = cycle
		}
	}
	return made, nil
}

// pickChoices chooses every group's models from the validation errors errs of the series val (nv
// columns each: when profiles is not nil, with the profiles and without them on the regular
// windows, then with and without them on the festival windows), and reports whether the profiles
// were left out: as the errors say when leftOut is nil, as *leftOut says otherwise.
func pickChoices(b Batch, groups int, st engineSettings, val []int, ok []bool, errs []float64, nv int,
	leftOut *bool, fv festivalViews, L int) ([]Choice, bool) {
	profiles := fv.profiles
	nc := len(st.cands)
	groupErr := make([]float64, groups*nv)
	total := make([]float64, nv)
	validated := make([]int, groups)
	for v, i := range val {
		if !ok[v] {
			continue
		}
		g := b.group(i)
		validated[g]++
		for c := range nv {
			groupErr[g*nv+c] += errs[v*nv+c]
			total[c] += errs[v*nv+c]
		}
	}
	anyValidated := slices.ContainsFunc(validated, func(n int) bool { return n > 0 })
	// The profiles are kept or left out for the whole batch, by the sum over its groups of the best
	// candidate's error with them and without, over every window: choosing per brand overfits, as
	// choosing models per series does (M5, 3 origins: WAPE 0.2526 per brand against 0.2330 for the
	// batch).
	var sumWith, sumWithout float64
	if nv > nc {
		for g := range groups {
			var e []float64
			switch {
			case validated[g] >= st.minGroup:
				e = groupErr[g*nv : (g+1)*nv]
			case anyValidated:
				e = total
			}
			if e != nil {
				with, without := math.Inf(1), math.Inf(1)
				for c := range nc {
					with = min(with, e[c]+e[2*nc+c])
					without = min(without, e[nc+c]+e[3*nc+c])
				}
				sumWith += with
				sumWithout += without
			}
		}
	}
	leaveOut := sumWith >= sumWithout
	if leftOut != nil {
		leaveOut = *leftOut
	}
	choices := make([]Choice, groups)
	for g := range choices {
		ch := Choice{Validated: validated[g]}
		var e []float64
		switch {
		case validated[g] >= st.minGroup:
			e = groupErr[g*nv : (g+1)*nv : (g+1)*nv]
		case anyValidated:
			e, ch.Pooled = total, true
		}
		ch.Errors = e
		gv := fv.festViews
		if profiles != nil {
			ch.Festival = profiles[g]
			switch {
			case e != nil && leaveOut:
				// Left out, the calendar changes nothing: the models are chosen on the windows a
				// batch without a calendar has. Its festival windows chose them too before, and M5
				// with its calendar (whose profiles are left out at every origin of BACKTEST.md)
				// forecast 4% worse than without it (docs/BENCHMARKS.md, "A calendar left out
				// changes nothing").
				ch.Errors, ch.Festival = e[nc:2*nc:2*nc], nil
				gv = fv.views
				if fv.unjudged != nil && fv.unjudged[g] != nil {
					ch.Festival, gv = fv.unjudged[g], fv.unjudgedViews
				}
			case e != nil:
				// Kept, the profiles carry the holidays, and the models are chosen on the windows
				// like the weeks forecast: the latest and those a year earlier. The festival windows,
				// centred on past holidays whatever weeks are forecast, chose them too before, and
				// Walmart with its holidays forecast its 3 origins 0.9% worse than without them
				// (docs/BENCHMARKS.md, "The festival windows keep the calendar, not the models").
				ch.Errors = e[:nc:nc]
			}
		}
		if gv != nil {
			ch.Season, ch.TotalForecast = gv[g].season, gv[g].totalF[L]
			ch.Total = slices.Clone(gv[g].total[max(L-ShareWeeks, 0):])
		}
		ch.Models = st.pick(ch.Errors)
		ch.Weights = inverseErrorWeights(ch.Errors, ch.Models)
		choices[g] = ch
	}
	return choices, leaveOut
}

// festivalViews are what pickChoices gives each group of a batch with a calendar: the groups' festival
// profiles (nil: no calendar), their profiles of the holidays no validation window judges (nil:
// none), and the group views without profiles, divided by the whole profiles and divided by the
// unjudged ones.
type festivalViews struct {
	profiles, unjudged              []FestivalProfile
	views, festViews, unjudgedViews []groupView
}

// seasonWindow returns the origin of the validation window a year before the forecast weeks of a
// series of n weeks, n − SeasonalPeriod, and whether the series has MinSeasonalWeeks weeks before it.
// Its weeks are those forecast, a year earlier, so the choice is judged also on the season it
// forecasts, not only on the latest weeks: on the Walmart data, whose forecast weeks (August to
// October) follow a summer, the file went from 0.904 to 0.897 × R's best, and every one of its five
// subsets gained (docs/BENCHMARKS.md, "A validation window a year before the forecast weeks"). With
// fewer weeks before it the seasonal candidates cannot see a season there and fall back to
// non-seasonal models, so the window would judge them on what they do not forecast by: with it at
// every origin, Walmart over 12 origins lost 14%.
func seasonWindow(n int) (int, bool) {
	o := n - SeasonalPeriod
	return o, o >= MinSeasonalWeeks
}

// pick ranks candidates by errs and keeps the best and those within tolerance of it, or the first
// candidate when there are no errors.
func (st engineSettings) pick(errs []float64) []int {
	if errs == nil {
		return []int{0}
	}
	order := make([]int, len(errs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case errs[a] < errs[b]:
			return -1
		case errs[a] > errs[b]:
			return 1
		}
		return 0
	})
	keep := 1
	for keep < min(st.maxCombine, len(order)) && errs[order[keep]] <= st.tolerance*errs[order[0]] {
		keep++
	}
	return order[:keep:keep]
}

// inverseErrorWeights returns the weights of models, ranked best first by errs, in their mean
// forecast: (errs of the best / errs of each)^CombineSharpness, adding up to 1. Nil (equal weights)
// for a single model; a model with the best's error weighs as much as the best, so models that all
// validated without error weigh the same.
func inverseErrorWeights(errs []float64, models []int) []float64 {
	if len(models) < 2 {
		return nil
	}
	best := errs[models[0]]
	w := make([]float64, len(models))
	var total float64
	for k, m := range models {
		w[k] = 1
		if e := errs[m]; e > best {
			w[k] = math.Pow(best/e, CombineSharpness)
		}
		total += w[k]
	}
	for k := range w {
		w[k] /= total
	}
	return w
}

// valWindow is one validation window: its origin and where its errors add up, one per candidate.
type valWindow struct {
	origin int
	errs   []float64
}

// validationWindows returns the validation windows of a series of n weeks, forecast h weeks ahead,
// with how many of them come before the added ones. First the st.windows regular windows (origins
// n − h·w for w = 1 … st.windows) and the extra origins not among them, adding to errs; then the
// festival origins fest not among either, adding to festErrs; then one window per element of added,
// the next windows back (w = st.windows + 1, …), each adding to its own errors, unless its origin is
// among extra or fest. A window is kept only if it has MinValidationWeeks weeks before it and h
// after; the regular and added ones stop at the first that has not.
func validationWindows(st engineSettings, n, h int, extra, fest []int, errs, festErrs []float64, added [][]float64, buf []valWindow) (wins []valWindow, before int) {
	wins = buf[:0]
	has := func(o int) bool {
		return slices.ContainsFunc(wins, func(w valWindow) bool { return w.origin == o })
	}
	for w := 1; w <= st.windows; w++ {
		o := n - h*w
		if o < MinValidationWeeks {
			break
		}
		wins = append(wins, valWindow{o, errs})
	}
	for _, o := range extra {
		if o < MinValidationWeeks || o+h > n || (n-o)%h == 0 && (n-o)/h <= st.windows {
			continue
		}
		wins = append(wins, valWindow{o, errs})
	}
	for _, o := range fest {
		if o < MinValidationWeeks || o+h > n || has(o) { // the latest windows are there too
			continue
		}
		wins = append(wins, valWindow{o, festErrs})
	}
	before = len(wins)
	for k, dst := range added {
		o := n - h*(st.windows+1+k)
		if o < MinValidationWeeks {
			break
		}
		if slices.Contains(extra, o) || slices.Contains(fest, o) {
			continue
		}
		wins = append(wins, valWindow{o, dst})
	}
	return wins, before
}

// validate adds into each window's errs every candidate's absolute errors over the h weeks from the
// window's origin (see validationWindows), in the windows' order. When factors is not nil (one per
// week of y and of the weeks after it), the candidates fit y divided by its factors and their
// forecasts are multiplied by the factors of the weeks they forecast. gv is the group's view for the
// group candidates (nil: none), on a timeline where y starts at week off. The models that can
// (cutModel) fit every window in one pass; the others fit each window alone.
func validate(st engineSettings, y, factors []float64, gv *groupView, off int, wins []valWindow, h int, s *Scratch) {
	if len(wins) == 0 {
		return
	}
	n := len(y)
	x := y
	if factors != nil {
		x = s.buf(6, n)
		deseasonalise(x, y, factors)
	}
	var cutBuf [16]int
	cuts := cutBuf[:0]
	for _, w := range wins {
		cuts = append(cuts, w.origin)
	}
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)
	fs := s.forecasts(0, len(cuts))
	mean := s.buf(5, h*len(cuts))
	for k := range fs {
		fs[k] = Forecast{Mean: mean[k*h : (k+1)*h : (k+1)*h]}
	}
	for c, m := range st.cands {
		cm, inOnePass := m.(cutModel)
		if inOnePass {
			cm.forecastCuts(x, cuts, fs, s)
		}
		for _, w := range wins {
			o, f := w.origin, fs[0]
			if inOnePass {
				k, _ := slices.BinarySearch(cuts, o)
				f = fs[k]
			} else {
				forecastWith(m, x[:o:o], gv.at(o+off, o-n), f, s)
			}
			for j, a := range y[o : o+h] {
				fc := f.Mean[j]
				if factors != nil {
					fc *= factors[o+j]
				}
				w.errs[c] += math.Abs(a - fc)
			}
		}
	}
}

func trimLeadingZeros(y []float64) []float64 {
	for i, v := range y {
		if v != 0 {
			return y[i:]
		}
	}
	return y[len(y):]
}

// ForecastBatch implements Method: Choose, then forecast every series with its group's models.
func (e *Engine) ForecastBatch(ctx context.Context, b Batch, out []Forecast) error {
	if _, err := b.check(out); err != nil {
		return err
	}
	choices, err := e.Choose(ctx, b)
	if err != nil {
		return err
	}
	return e.Apply(ctx, b, choices, out)
}

// checkChoices checks choices against the batch b of groups groups and returns the Engine's
// candidates and, when b has a festival calendar, its timeline and, per group (nil: none), the factor
// of every week of the timeline of the group's festival profile.
func (e *Engine) checkChoices(b Batch, groups int, choices []Choice) (cands []Model, tl festivalTimeline, factors [][]float64, err error) {
	if len(choices) < groups {
		return nil, tl, nil, errInvalid("%d choices for %d groups", len(choices), groups)
	}
	cands = e.settings().cands
	for g, ch := range choices[:groups] {
		if len(ch.Models) == 0 {
			return nil, tl, nil, errInvalid("group %d: no model chosen", g)
		}
		for _, c := range ch.Models {
			if c < 0 || c >= len(cands) {
				return nil, tl, nil, errInvalid("group %d: model %d of %d", g, c, len(cands))
			}
		}
		if err := ch.checkWeights(); err != nil {
			return nil, tl, nil, errInvalid("group %d: %v", g, err)
		}
		if ch.Season != nil && len(ch.Season) != SeasonalPeriod {
			return nil, tl, nil, errInvalid("group %d: seasonal profile of %d weeks", g, len(ch.Season))
		}
		if ch.TotalForecast != nil && len(ch.TotalForecast) < b.Horizon {
			return nil, tl, nil, errInvalid("group %d: total forecast of %d weeks for %d", g, len(ch.TotalForecast), b.Horizon)
		}
	}
	t, ok := e.timeline(b)
	if !ok {
		return cands, tl, nil, nil
	}
	var cycle AnnualCycle // the cycle of annual, the factors last computed (Choose gives every group one)
	var annual []float64
	for g, ch := range choices[:groups] {
		if ch.Festival == nil && ch.Annual == (AnnualCycle{}) {
			continue
		}
		if annual == nil || ch.Annual != cycle {
			cycle, annual = ch.Annual, ch.Annual.factors(t.first, t.L+t.h)
		}
		if ch.Festival != nil && len(ch.Festival) != len(t.idx) {
			return nil, tl, nil, errInvalid("group %d: festival profile of %d holidays for %d", g, len(ch.Festival), len(t.idx))
		}
		if factors == nil {
			factors = make([][]float64, groups)
		}
		var f []float64
		if ch.Festival != nil {
			f = t.factors(ch.Festival)
		}
		factors[g] = timesAnnual(f, annual)
	}
	return cands, t, factors, nil
}

// Apply forecasts every series of b with the models of its group's choice (as returned by Choose for
// the same batch or an earlier one with the same groups): their mean forecast and mean interval
// bounds. The group candidates take the group's season, total and total forecast from the Choice,
// for series that end where Choose's batch ended (a part of that batch, say). It returns an error wrapping ErrInvalidBatch when b, out or choices do not fit together.
func (e *Engine) Apply(ctx context.Context, b Batch, choices []Choice, out []Forecast) error {
	groups, err := b.check(out)
	if err != nil {
		return err
	}
	cands, tl, factors, err := e.checkChoices(b, groups, choices)
	if err != nil {
		return err
	}
	h := b.Horizon
	return parallel(ctx, len(b.Series), b.workers(), func(i int, s *Scratch) {
		y := trimLeadingZeros(b.Series[i])
		f := out[i]
		ch := &choices[b.group(i)]
		models := ch.Models
		var fac []float64
		if factors != nil {
			fac = factors[b.group(i)]
		}
		if fac != nil {
			fac = fac[tl.L-len(y):]
			x := s.buf(7, len(y))
			deseasonalise(x, y, fac)
			y = x
			defer func() {
				for j := range h {
					k := fac[len(y)+j]
					f.Mean[j] *= k
					if f.Lower != nil {
						f.Lower[j] *= k
					}
					if f.Upper != nil {
						f.Upper[j] *= k
					}
				}
			}()
		}
		if len(models) == 1 {
			forecastWith(cands[models[0]], y, ch.groupInput(), f, s)
			return
		}
		tmp := Forecast{Mean: s.buf(3, h)}
		if f.Lower != nil {
			tmp.Lower = s.buf(4, h)
		}
		if f.Upper != nil {
			tmp.Upper = s.buf(5, h)
		}
		clear(f.Mean)
		clear(f.Lower)
		clear(f.Upper)
		for m, c := range models {
			k := ch.weight(m)
			forecastWith(cands[c], y, ch.groupInput(), tmp, s)
			for j := range h {
				f.Mean[j] += k * tmp.Mean[j]
				if f.Lower != nil {
					f.Lower[j] += k * tmp.Lower[j]
				}
				if f.Upper != nil {
					f.Upper[j] += k * tmp.Upper[j]
				}
			}
		}
	})
}

package forecast

import (
	"context"
	"math"
	"slices"
)

// Forecasts from several origins of one series. Calibrate forecasts every series of a run again from
// 8 origins a week apart: each history is a prefix of the run's. Most models fit by running through
// the history once per parameter of a grid, and the state of a run after t weeks depends only on
// those weeks, so one pass through the longest prefix, stopping to take the state at each shorter
// one, fits every prefix: what the models of this file do, to the bit of fitting each prefix alone.

// cutModel is a Model that forecasts several prefixes of one series in one pass.
type cutModel interface {
	// forecastCuts writes into outs[k] exactly what Forecast(y[:cuts[k]], outs[k], s) would;
	// cuts ascend, and none is beyond len(y).
	forecastCuts(y []float64, cuts []int, outs []Forecast, s *Scratch)
}

// forecastCuts forecasts y[:cuts[k]] into outs[k] with m for every k (cuts ascending): in one pass when
// m can, else prefix by prefix.
func forecastCuts(m Model, y []float64, cuts []int, outs []Forecast, s *Scratch) {
	if cm, ok := m.(cutModel); ok {
		cm.forecastCuts(y, cuts, outs, s)
		return
	}
	for k, c := range cuts {
		m.Forecast(y[:c:c], outs[k], s)
	}
}

// forecastChoiceCuts is forecastCuts with the group's view that ch holds for a group model (see
// groupModel): the group's seasonal profile, aligned to each prefix, and the group total with its
// forecast at the whole history only (a cut of len(y)), the one origin a Choice holds them for, so that
// the whole history is forecast as Apply forecasts it. At a shorter prefix GroupShare is Seasonal: the
// calibration windows score it without its share of the total, an approximation of its errors (the
// total's forecast from each calibration origin is not kept).
func forecastChoiceCuts(m Model, ch *Choice, y []float64, cuts []int, outs []Forecast, s *Scratch) {
	if _, ok := m.(groupModel); !ok {
		forecastCuts(m, y, cuts, outs, s)
		return
	}
	n := len(y)
	for k, c := range cuts {
		in := groupInput{prior: ch.Season, shift: c - n}
		if c == n {
			in = ch.groupInput()
		}
		forecastWith(m, y[:c:c], in, outs[k], s)
	}
}

func (m SES) forecastCuts(y []float64, cuts []int, outs []Forecast, s *Scratch) {
	alphas := m.Alphas
	if alphas == nil {
		alphas = defaultAlphas
	}
	// Per cut: the best α, its level and its sum of squared errors, as sesFit finds them.
	best := s.buf(0, 3*len(cuts))
	for k := range cuts {
		best[3*k+2] = math.Inf(1)
	}
	for _, a := range alphas {
		var l, se, sec float64
		c, b := 1.0, 1-a
		prev := 0
		for k, n := range cuts {
			for _, v := range y[prev:n] { // as sesOptimalInit
				e := v - l
				se += e * e
				sec += e * c
				l = b*l + a*v
				c *= b
			}
			prev = n
			if n == 0 {
				continue
			}
			if lv, sv := sesCorrect(l, se, sec, c, b, n); sv < best[3*k+2] {
				best[3*k], best[3*k+1], best[3*k+2] = a, lv, sv
			}
		}
	}
	for k, n := range cuts {
		f := outs[k]
		if n == 0 {
			f.zero()
			continue
		}
		alpha, level, sse := best[3*k], best[3*k+1], best[3*k+2]
		sigma2 := sse / float64(n)
		for j := range f.Mean {
			f.put(j, level, sesSpread(sigma2, alpha, j))
		}
	}
}

func (m Damped) forecastCuts(y []float64, cuts []int, outs []Forecast, s *Scratch) {
	// Prefixes shorter than 3 weeks go to SES, as Forecast sends them.
	short := 0
	for short < len(cuts) && cuts[short] < 3 {
		m.Forecast(y[:cuts[short]:cuts[short]], outs[short], s)
		short++
	}
	cuts, outs = cuts[short:], outs[short:]
	if len(cuts) == 0 {
		return
	}
	g := m.Grid
	if len(g.Alphas) == 0 || len(g.Betas) == 0 || len(g.Phis) == 0 {
		g = defaultDampedGrid
	}
	// Per cut: the best fit's sum of squared errors, α, β, φ, level and trend.
	const per = 6
	best := s.buf(0, per*len(cuts))
	for k := range cuts {
		best[per*k] = math.Inf(1)
	}
	var fits [2]dampedFit
	k := 0
	run := func() { // the k fits of fits over every prefix, compared in the grid's order
		if k < 2 {
			fits[1] = fits[0]
		}
		for i := range fits {
			fits[i].l, fits[i].b, fits[i].sse = y[0], 0, 0
		}
		prev := 1
		for c, n := range cuts {
			dampedRun(y[prev:n], &fits)
			prev = n
			b := best[per*c : per*c+per]
			for _, f := range fits[:k] {
				if f.sse < b[0] {
					b[0], b[1], b[2], b[3], b[4], b[5] = f.sse, f.a, f.beta, f.phi, f.l, f.b
				}
			}
		}
		k = 0
	}
	for _, a := range g.Alphas {
		for _, beta := range g.Betas {
			if beta > a {
				continue
			}
			for _, phi := range g.Phis {
				fits[k] = dampedFit{a: a, beta: beta, phi: phi}
				if k++; k == len(fits) {
					run()
				}
			}
		}
	}
	if k > 0 {
		run()
	}
	for c, n := range cuts {
		b := best[per*c : per*c+per]
		if math.IsInf(b[0], 1) {
			SES{}.Forecast(y[:n:n], outs[c], s)
			continue
		}
		dampedPut(outs[c], n, b[0], dampedFit{a: b[1], beta: b[2], phi: b[3], l: b[4], b: b[5]})
	}
}

func (m Croston) forecastCuts(y []float64, cuts []int, outs []Forecast, _ *Scratch) {
	crostonCuts(y, cuts, outs, m.Alphas, false)
}

func (m SBA) forecastCuts(y []float64, cuts []int, outs []Forecast, _ *Scratch) {
	crostonCuts(y, cuts, outs, m.Alphas, true)
}

// crostonCuts is crostonForecast of every prefix y[:cuts[k]] into outs[k], in one pass per α.
func crostonCuts(y []float64, cuts []int, outs []Forecast, alphas []float64, sba bool) {
	if alphas == nil {
		alphas = defaultIntermittentAlphas
	}
	first := slices.IndexFunc(y, func(v float64) bool { return v > 0 })
	// Prefixes without demand are forecast as 0, as crostonForecast forecasts them.
	none := 0
	for none < len(cuts) && (first < 0 || cuts[none] <= first || len(alphas) == 0) {
		outs[none].zero()
		none++
	}
	cuts, outs = cuts[none:], outs[none:]
	if len(cuts) == 0 {
		return
	}
	var bestBuf, rateBuf [16]float64
	best, rate := bestBuf[:0], rateBuf[:0]
	for range cuts {
		best, rate = append(best, math.Inf(1)), append(rate, 0)
	}
	for _, a := range alphas {
		k := 1.0
		if sba {
			k = 1 - a/2
		}
		var st crostonState
		st.start(y[first])
		var sse float64
		prev := first + 1
		for c, n := range cuts {
			for t := prev; t < n; t++ { // as crostonForecast
				e := y[t] - k*st.rate()
				sse += e * e
				st.step(y[t], a)
			}
			prev = max(prev, n)
			if sse < best[c] {
				best[c], rate[c] = sse, k*st.rate()
			}
		}
	}
	for c, n := range cuts {
		sd := 0.0
		if m := n - first - 1; m > 0 {
			sd = math.Sqrt(best[c] / float64(m))
		}
		f := outs[c]
		for j := range f.Mean {
			f.put(j, rate[c], sd)
		}
	}
}

// windowForecaster forecasts a batch from several of Calibrate's origins: outs[k][i−lo] is the
// forecast of series i (lo ≤ i < hi) of b from shorts[k] weeks before its end, as made for the
// batch of every series of b cut shorts[k] weeks short, with an Origin shorts[k] weeks earlier.
type windowForecaster interface {
	forecastWindows(ctx context.Context, b Batch, shorts []int, lo, hi int, outs [][]Forecast) error
	// span returns how many series (0: all of them) and origins one call may take.
	span(windows int) (series, origins int)
}

// batchWindows forecasts one origin at a time, the whole batch at once, with a Method's
// ForecastBatch or the like: what a method that looks across series (the Engine's choice) needs.
type batchWindows func(context.Context, Batch, []Forecast) error

func (f batchWindows) span(int) (int, int) { return 0, 1 }

func (f batchWindows) forecastWindows(ctx context.Context, b Batch, shorts []int, lo, hi int, outs [][]Forecast) error {
	cut := make([][]float64, hi-lo)
	for i, s := range b.Series[lo:hi] {
		n := len(s) - shorts[0]
		cut[i] = s[:n:n]
	}
	cb := Batch{Series: cut, Groups: b.Groups, Horizon: b.Horizon, Workers: b.Workers}
	if !b.Origin.IsZero() {
		cb.Origin = b.Origin.AddDate(0, 0, -7*shorts[0])
	}
	return f(ctx, cb, outs[0])
}

// engineWindows forecasts with the Engine's models already chosen (Apply): every origin of a series in
// one pass, a chunk of series at a time.
type engineWindows struct {
	e       *Engine
	choices []Choice
	chunk   int // series per call; windowChunk when 0
	// final, when not nil, gets the forecast of every series of the batch from its own origin (Apply's)
	// in the same pass as the earlier origins; filled counts the series it got, and advance, when not
	// nil, is told that count.
	final   []Forecast
	filled  *int
	advance func(done int)
}

// windowChunk is how many series engineWindows forecasts in one call.
const windowChunk = 1 << 15

func (w engineWindows) span(windows int) (int, int) {
	if w.chunk > 0 {
		return w.chunk, windows
	}
	return windowChunk, windows
}

func (w engineWindows) forecastWindows(ctx context.Context, b Batch, shorts []int, lo, hi int, outs [][]Forecast) error {
	if w.final == nil {
		return w.e.applyWindows(ctx, b, w.choices, shorts, lo, hi, outs)
	}
	if err := w.e.applyWindows(ctx, b, w.choices, append(slices.Clip(shorts), 0), lo, hi,
		append(slices.Clip(outs), w.final[lo:hi])); err != nil {
		return err
	}
	*w.filled += hi - lo
	if w.advance != nil {
		w.advance(*w.filled)
	}
	return nil
}

// applyWindows forecasts series lo … hi−1 of b from several origins, each exactly as Apply forecasts
// it in the batch of every series of b cut shorts[k] weeks short of its end, with an Origin
// shorts[k] weeks before b's, into outs[k][i−lo] (a short of 0: Apply on b itself). Every short must leave each series at least one
// week. The calendar of such a batch starts on the same Monday as b's (its longest series is
// shorts[k] weeks shorter, its origin as many weeks earlier), so a series' festival factors, and the
// deseasonalised history they give, are those of b cut short.
func (e *Engine) applyWindows(ctx context.Context, b Batch, choices []Choice, shorts []int, lo, hi int, outs [][]Forecast) error {
	groups, err := b.check(nil)
	if err != nil {
		return err
	}
	cands, tl, factors, err := e.checkChoices(b, groups, choices)
	if err != nil {
		return err
	}
	for k, out := range outs {
		if len(out) != hi-lo {
			return errInvalid("%d outputs for %d series", len(out), hi-lo)
		}
		for _, f := range out {
			if len(f.Mean) != b.Horizon || (f.Lower != nil && len(f.Lower) != b.Horizon) ||
				(f.Upper != nil && len(f.Upper) != b.Horizon) {
				return errInvalid("output of origin %d does not hold %d weeks", k, b.Horizon)
			}
		}
	}
	h := b.Horizon
	// The models take the prefixes in ascending order: the origins from the earliest.
	order := make([]int, len(shorts))
	for k := range order {
		order[k] = k
	}
	slices.SortStableFunc(order, func(a, b int) int { return shorts[b] - shorts[a] })
	nw := len(shorts)
	return parallel(ctx, hi-lo, b.workers(), func(i int, s *Scratch) {
		i += lo
		y := trimLeadingZeros(b.Series[i])
		g := b.group(i)
		models := choices[g].Models
		var fac []float64 // b's timeline's factors of the series' group
		if factors != nil {
			fac = factors[g]
		}
		if fac != nil {
			x := s.buf(7, len(y))
			deseasonalise(x, y, fac[tl.L-len(y):])
			y = x
		}
		cuts := s.ints(nw)
		fs := s.forecasts(0, nw)
		for r, k := range order {
			cuts[r] = max(len(y)-shorts[k], 0)
			fs[r] = outs[k][i-lo]
		}
		if len(models) == 1 {
			forecastChoiceCuts(cands[models[0]], &choices[g], y, cuts, fs, s)
		} else {
			tmp := s.forecasts(1, nw)
			mean, lower, upper := s.buf(3, nw*h), s.buf(4, nw*h), s.buf(5, nw*h)
			for r, f := range fs {
				tmp[r] = Forecast{Mean: mean[r*h : (r+1)*h]}
				if f.Lower != nil {
					tmp[r].Lower = lower[r*h : (r+1)*h]
				}
				if f.Upper != nil {
					tmp[r].Upper = upper[r*h : (r+1)*h]
				}
				clear(f.Mean)
				clear(f.Lower)
				clear(f.Upper)
			}
			for m, c := range models {
				w := choices[g].weight(m)
				forecastChoiceCuts(cands[c], &choices[g], y, cuts, tmp, s)
				for r, f := range fs {
					t := tmp[r]
					for j := range h {
						f.Mean[j] += w * t.Mean[j]
						if f.Lower != nil {
							f.Lower[j] += w * t.Lower[j]
						}
						if f.Upper != nil {
							f.Upper[j] += w * t.Upper[j]
						}
					}
				}
			}
		}
		if fac == nil {
			return
		}
		for r, k := range order {
			f := fs[r]
			for j := range h {
				m := fac[tl.L-shorts[k]+j]
				f.Mean[j] *= m
				if f.Lower != nil {
					f.Lower[j] *= m
				}
				if f.Upper != nil {
					f.Upper[j] *= m
				}
			}
		}
	})
}

package forecast

import (
	"math"
)

// Censored counts fitted by EM. A collection point's scans say, per brand and week, what it sold
// and what was left on the shelf: with stock left it sold its whole demand (an exact count); with
// none left its demand was at least what it sold (a count censored from below). FitCensoredCounts
// fits one brand's weekly demand over such observations, pooled across outlets:
//
//	D[o,w] ~ NegBin(mean μ[o,w] = Scale[o] · Level[w], shape r)   (Poisson as r → ∞)
//
// by expectation–maximisation: the E-step replaces each censored count by its expectation given
// the bound, E[D | D ≥ s] under the current fit; the M-step sets the outlet scales and week levels
// from the completed counts (the Poisson maximum-likelihood equations, which give the mean
// consistently whatever the shape), each scale shrunk towards the outlets' average by
// OutletPriorWeeks weeks of it so that an outlet censored every week keeps a finite scale, and each
// week's level towards 1 by as many outlets of the week's average scale, so that a week whose few
// observations are all censored keeps a finite level (without it the iterations raise that level for
// ever and never converge, and the shape is never chosen again); and the
// shape is the one of ShapeGrid with the largest censored log-likelihood. The log-likelihood is
// that of the observed data: the probability of each exact count and of each bound (P(D ≥ s)).

// CountObs is one observation of a brand's weekly demand at an outlet: Value the count seen (sold,
// in cartons), Censored when the demand may have been larger (the shelf was empty after).
type CountObs struct {
	Outlet, Week int32
	Value        float64
	Censored     bool
}

// EMOptions tune FitCensoredCounts; the zero value takes the defaults.
type EMOptions struct {
	MaxIterations int     // DefaultEMIterations when 0
	Tolerance     float64 // relative change of the fitted total that stops the iterations; DefaultEMTolerance when 0
	// Shape fixes the negative binomial shape r; 0 chooses it from ShapeGrid, math.Inf(1) is Poisson.
	Shape float64
	// Trace records the log-likelihood after every iteration in CountFit.LogLik (else only the last).
	Trace bool
	// PriorWeeks is the weight of the priors on the outlet scales (in weeks) and on the week levels
	// (in outlets); OutletPriorWeeks when 0, none when negative (then an outlet censored every week
	// has no finite scale, nor a week seen censored only a finite level: they grow with the
	// iterations). Without them, and with a fixed Shape, the iterations are an exact EM: the
	// log-likelihood never falls.
	PriorWeeks float64
	// PriorMean, when not nil, is per outlet the mean of its scale's prior (0: the outlets' average,
	// as without it), and PriorWeight its weight in weeks (added to PriorWeeks): an estimate of the
	// outlet's demand from something other than its counts, which decides where its counts are mostly
	// censored (their likelihood says only that the demand was above the shelf).
	PriorMean, PriorWeight []float64
	// NoRequestPrior makes LearnCensoring fit each brand on its counts alone, without the prior the
	// retailers' requests put on the collection points' demand (refitOnRequests).
	NoRequestPrior bool
}

// Defaults of FitCensoredCounts.
const (
	DefaultEMIterations = 200
	DefaultEMTolerance  = 1e-6
	// OutletPriorWeeks is the weight, in weeks, of the prior that pulls each outlet's scale to the
	// average scale: negligible for an outlet with months of exact counts, decisive for one whose
	// every count is censored (whose likelihood grows without bound with its scale).
	OutletPriorWeeks = 1.0
)

// ShapeGrid are the negative binomial shapes FitCensoredCounts chooses from (+Inf: Poisson).
var ShapeGrid = []float64{0.5, 1, 2, 4, 8, 16, 64, math.Inf(1)}

// CountFit is a fitted censored-count model of one brand.
type CountFit struct {
	Scale      []float64 // per outlet
	Level      []float64 // per week, averaging 1 over the weeks observed
	Shape      float64   // negative binomial shape; +Inf for Poisson
	LogLik     []float64 // the observed-data log-likelihood at the end (after each iteration with EMOptions.Trace)
	Iterations int
	Converged  bool
	// Identified is false when no observation was exact: nothing bounds the demand from above, so
	// the fit keeps the counts as seen (the lower bounds) and adds nothing.
	Identified bool
}

// Mean returns the fitted mean of outlet o in week w.
func (f *CountFit) Mean(o, w int) float64 { return f.Scale[o] * f.Level[w] }

// Expected returns the expected demand behind observation x: its value when exact, E[D | D ≥ value]
// under the fit when censored (the value itself when the fit is not identified).
func (f *CountFit) Expected(x CountObs) float64 {
	if !x.Censored || !f.Identified {
		return x.Value
	}
	return max(x.Value, tailMean(f.Mean(int(x.Outlet), int(x.Week)), f.Shape, x.Value))
}

// FitCensoredCounts fits obs (outlets and weeks numbered from 0, fewer than outlets and weeks) by EM.
func FitCensoredCounts(obs []CountObs, outlets, weeks int, opt EMOptions) CountFit {
	if opt.MaxIterations <= 0 {
		opt.MaxIterations = DefaultEMIterations
	}
	if opt.Tolerance <= 0 {
		opt.Tolerance = DefaultEMTolerance
	}
	f := CountFit{Scale: make([]float64, outlets), Level: make([]float64, weeks), Shape: math.Inf(1)}
	if opt.Shape > 0 {
		f.Shape = opt.Shape
	}
	for _, x := range obs {
		f.Identified = f.Identified || !x.Censored
	}
	// Start from the counts as seen.
	completed := make([]float64, len(obs))
	for i, x := range obs {
		completed[i] = x.Value
	}
	buf := newEMBuffers(obs, outlets, weeks)
	switch {
	case opt.PriorWeeks == 0:
		buf.prior = OutletPriorWeeks
	case opt.PriorWeeks > 0:
		buf.prior = opt.PriorWeeks
	}
	if len(opt.PriorMean) == outlets && len(opt.PriorWeight) == outlets {
		buf.priorMean, buf.priorWeight = opt.PriorMean, opt.PriorWeight
	}
	for i := range f.Level {
		f.Level[i] = 1
	}
	f.mStep(obs, completed, buf)
	if !f.Identified {
		f.Converged = true
		return f
	}
	// EM with the shape fixed until the fitted total settles; then the shape of ShapeGrid most likely
	// under the means, and EM again while that changes the shape (the shape is chosen a few times per
	// fit, not every iteration: each choice costs a likelihood per shape of the grid).
	total := sum(completed)
	if opt.Shape == 0 {
		f.Shape = f.bestShape(obs)
	}
	for round := 0; ; round++ {
		converged := false
		for f.Iterations < opt.MaxIterations {
			for i, x := range obs { // E-step
				completed[i] = f.Expected(x)
			}
			f.mStep(obs, completed, buf)
			f.Iterations++
			if opt.Trace {
				f.LogLik = append(f.LogLik, f.logLik(obs, f.Shape))
			}
			t := sum(completed)
			if math.Abs(t-total) <= opt.Tolerance*max(t, 1) {
				converged = true
				break
			}
			total = t
		}
		if !converged || opt.Shape != 0 || round >= maxShapeRounds {
			f.Converged = converged
			break
		}
		if r := f.bestShape(obs); r != f.Shape {
			f.Shape = r
			continue
		}
		f.Converged = true
		break
	}
	if !opt.Trace {
		f.LogLik = []float64{f.logLik(obs, f.Shape)}
	}
	return f
}

// maxShapeRounds bounds how many times FitCensoredCounts chooses the shape again after converging.
const maxShapeRounds = 4

// mStep sets the scales and levels from the completed counts: a few rounds of the Poisson equations
// Scale[o] = (Σ_w D + prior) / (Σ_w Level + b.prior), the prior b.prior weeks of the average scale,
// and Level[w] = (Σ_o D + p) / (Σ_o Scale + p), p b.prior outlets of the week's average scale at
// level 1; then the levels are normalised to average 1 over the weeks observed (the scales take the
// factor). b holds the buffers.
func (f *CountFit) mStep(obs []CountObs, completed []float64, b *emBuffers) {
	for range 3 {
		clear(b.dO)
		clear(b.levelAt)
		for i, x := range obs {
			b.dO[x.Outlet] += completed[i]
			b.levelAt[x.Outlet] += f.Level[x.Week]
		}
		num, den := 0.0, 0.0
		for o := range f.Scale {
			if b.seenO[o] > 0 {
				num += b.dO[o]
				den += b.levelAt[o]
			}
		}
		prior := 0.0
		if den > 0 {
			prior = num / den
		}
		for o := range f.Scale {
			if b.seenO[o] == 0 {
				continue
			}
			num, den := b.dO[o]+b.prior*prior, b.levelAt[o]+b.prior
			if b.priorMean != nil && b.priorMean[o] > 0 && b.priorWeight[o] > 0 {
				num += b.priorWeight[o] * b.priorMean[o]
				den += b.priorWeight[o]
			}
			f.Scale[o] = num / den
		}
		clear(b.dW)
		clear(b.scaleAt)
		for i, x := range obs {
			b.dW[x.Week] += completed[i]
			b.scaleAt[x.Week] += f.Scale[x.Outlet]
		}
		mean, k := 0.0, 0.0
		for w := range f.Level {
			if b.seenW[w] > 0 && b.scaleAt[w] > 0 {
				p := b.prior * b.scaleAt[w] / b.seenW[w] // b.prior outlets of the week's average scale at level 1
				f.Level[w] = (b.dW[w] + p) / (b.scaleAt[w] + p)
				mean += f.Level[w]
				k++
			}
		}
		if k == 0 || mean <= 0 {
			return
		}
		mean /= k
		for w := range f.Level {
			if b.seenW[w] > 0 {
				f.Level[w] /= mean
			} else {
				f.Level[w] = 1
			}
		}
		for o := range f.Scale {
			f.Scale[o] *= mean
		}
	}
}

// emBuffers are the sums of one M-step, per outlet and per week.
type emBuffers struct {
	prior              float64   // weeks of the prior on the scales
	priorMean          []float64 // per outlet: its own prior's mean scale at level 1 (EMOptions.PriorMean)
	priorWeight        []float64 // and its weight in weeks
	seenO, dO, levelAt []float64 // per outlet: observations, Σ D, Σ Level
	seenW, dW, scaleAt []float64 // per week: observations, Σ D, Σ Scale
}

func newEMBuffers(obs []CountObs, outlets, weeks int) *emBuffers {
	b := &emBuffers{seenO: make([]float64, outlets), dO: make([]float64, outlets), levelAt: make([]float64, outlets),
		seenW: make([]float64, weeks), dW: make([]float64, weeks), scaleAt: make([]float64, weeks)}
	for _, x := range obs {
		b.seenO[x.Outlet]++
		b.seenW[x.Week]++
	}
	return b
}

// bestShape returns the shape of ShapeGrid with the largest log-likelihood of obs under f's means.
func (f *CountFit) bestShape(obs []CountObs) float64 {
	best, bestLL := f.Shape, math.Inf(-1)
	for _, r := range ShapeGrid {
		if ll := f.logLik(obs, r); ll > bestLL {
			best, bestLL = r, ll
		}
	}
	return best
}

// logLik is the observed-data log-likelihood of obs with shape r: log P(D = value) of each exact
// count (its value rounded to a whole count) and log P(D ≥ value) of each censored one.
func (f *CountFit) logLik(obs []CountObs, r float64) float64 {
	ll := 0.0
	for _, x := range obs {
		m := f.Mean(int(x.Outlet), int(x.Week))
		if x.Censored {
			ll += math.Log(max(1-cdfBelow(m, r, x.Value), 1e-300))
			continue
		}
		ll += logPMF(m, r, math.Round(x.Value))
	}
	return ll
}

// logPMF is log P(D = k) for a negative binomial of mean m and shape r (Poisson for r = +Inf).
func logPMF(m, r, k float64) float64 {
	if m <= 0 {
		if k == 0 {
			return 0
		}
		return math.Log(1e-300)
	}
	if math.IsInf(r, 1) {
		lg, _ := math.Lgamma(k + 1)
		return k*math.Log(m) - m - lg
	}
	a, _ := math.Lgamma(k + r)
	b, _ := math.Lgamma(r)
	c, _ := math.Lgamma(k + 1)
	return a - b - c + r*math.Log(r/(r+m)) + k*math.Log(m/(r+m))
}

// cdfBelow returns P(D < s) and, through tailMean, Σ_{d<s} d·P(D = d), for D negative binomial of
// mean m and shape r (Poisson for r = +Inf); s is rounded up to a whole count.
func cdfBelow(m, r, s float64) float64 {
	p, _ := below(m, r, s)
	return p
}

// below returns P(D < ⌈s⌉) and Σ_{d<⌈s⌉} d·P(D = d), by the recursion of the probabilities.
func below(m, r, s float64) (prob, first float64) {
	k := int(math.Ceil(s - 1e-9))
	if k <= 0 || m <= 0 {
		if m <= 0 && k > 0 {
			return 1, 0
		}
		return 0, 0
	}
	var p, q float64 // P(D = 0) and the ratio P(d+1)/P(d) = q·(d + r)/(d + 1)
	poisson := math.IsInf(r, 1)
	if poisson {
		p = math.Exp(-m)
	} else {
		p = math.Exp(r * math.Log(r/(r+m)))
		q = m / (r + m)
	}
	for d := 0; d < k; d++ {
		prob += p
		first += float64(d) * p
		if poisson {
			p *= m / float64(d+1)
		} else {
			p *= q * (float64(d) + r) / float64(d+1)
		}
		if p == 0 && float64(d) > m {
			break
		}
	}
	return min(prob, 1), first
}

// tailMean is E[D | D ≥ ⌈s⌉] for D negative binomial of mean m and shape r: (m − Σ_{d<s} d·P(d)) /
// P(D ≥ s); where that tail has no probability left to speak of, s itself.
func tailMean(m, r, s float64) float64 {
	prob, first := below(m, r, s)
	tail := 1 - prob
	if tail < 1e-12 {
		return math.Ceil(s)
	}
	return (m - first) / tail
}

package forecast

import (
	"math"
	"math/rand/v2"
	"testing"
)

// censoredSample draws demand D ~ NegBin(mean Scale[o]·Level[w], shape) (Poisson for +Inf) for
// outlets × weeks, puts cover × the mean (rounded) on the shelf and observes what sold: min(D,
// shelf), censored when the shelf emptied. It returns the observations and the true means.
func censoredSample(seed uint64, outlets, weeks int, shape, cover float64) (obs []CountObs, mean [][]float64) {
	rng := rand.New(rand.NewPCG(seed, 7))
	scale := make([]float64, outlets)
	for o := range scale {
		scale[o] = 0.5 + 6*rng.Float64()
	}
	mean = make([][]float64, outlets)
	for o := range outlets {
		mean[o] = make([]float64, weeks)
		for w := range weeks {
			m := scale[o] * (1 + 0.4*math.Sin(2*math.Pi*float64(w)/13))
			mean[o][w] = m
			rate := m
			if !math.IsInf(shape, 1) {
				rate = m * gammaDraw(rng, shape) / shape
			}
			d := float64(poissonDraw(rng, rate))
			shelf := math.Round(cover * m)
			x := CountObs{Outlet: int32(o), Week: int32(w), Value: min(d, shelf), Censored: d >= shelf}
			obs = append(obs, x)
		}
	}
	return obs, mean
}

func poissonDraw(rng *rand.Rand, m float64) int {
	l, k, p := math.Exp(-m), 0, rng.Float64()
	for p > l {
		k++
		p *= rng.Float64()
	}
	return k
}

// gammaDraw draws Gamma(shape, 1) (Marsaglia–Tsang; shape ≥ 1).
func gammaDraw(rng *rand.Rand, shape float64) float64 {
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := rng.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		if u := rng.Float64(); math.Log(u) < 0.5*x*x+d-d*v+d*math.Log(v) {
			return d * v
		}
	}
}

// The EM recovers the demand behind counts censored in about a third of the weeks, where the counts
// as seen fall well short of it.
func TestFitCensoredCountsRecoversRate(t *testing.T) {
	tests := []struct {
		name      string
		shape     float64
		opt       EMOptions
		wantShape [2]float64 // the chosen shape lies in this range
	}{
		{"poisson", math.Inf(1), EMOptions{}, [2]float64{16, math.Inf(1)}},
		{"negative binomial, shape 4", 4, EMOptions{}, [2]float64{2, 8}},
		{"poisson, shape fixed", math.Inf(1), EMOptions{Shape: math.Inf(1)}, [2]float64{math.Inf(1), math.Inf(1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obs, mean := censoredSample(1, 150, 40, tt.shape, 1.1)
			fit := FitCensoredCounts(obs, 150, 40, tt.opt)
			var truth, seen, est, censored float64
			for _, x := range obs {
				truth += mean[x.Outlet][x.Week]
				seen += x.Value
				est += fit.Expected(x)
				if x.Censored {
					censored++
				}
			}
			fitted := 0.0
			for _, x := range obs {
				fitted += fit.Mean(int(x.Outlet), int(x.Week))
			}
			t.Logf("censored %.0f%%; seen/true %.3f, estimated/true %.3f, fitted/true %.3f, shape %v, %d iterations",
				100*censored/float64(len(obs)), seen/truth, est/truth, fitted/truth, fit.Shape, fit.Iterations)
			if censored < 0.2*float64(len(obs)) || seen > 0.93*truth {
				t.Fatalf("the sample censors %.0f of %d counts, seen/true %.3f: too little to test", censored, len(obs), seen/truth)
			}
			if math.Abs(est/truth-1) > 0.03 || math.Abs(fitted/truth-1) > 0.03 {
				t.Errorf("FitCensoredCounts: estimated demand %.1f, fitted means %.1f; want within 3%% of the true %.1f", est, fitted, truth)
			}
			if !fit.Converged || !fit.Identified {
				t.Errorf("FitCensoredCounts: converged %v, identified %v after %d iterations; want both", fit.Converged, fit.Identified, fit.Iterations)
			}
			if fit.Shape < tt.wantShape[0] || fit.Shape > tt.wantShape[1] {
				t.Errorf("FitCensoredCounts chose shape %v; want %v to %v", fit.Shape, tt.wantShape[0], tt.wantShape[1])
			}
			// Outlet scales: within 15% on average.
			errs := 0.0
			for o := range 150 {
				errs += math.Abs(fit.Mean(o, 0)/mean[o][0] - 1)
			}
			if errs/150 > 0.15 {
				t.Errorf("outlet means off by %.1f%% on average; want at most 15%%", 100*errs/150)
			}
		})
	}
}

// With a fixed shape and no prior the EM climbs: the observed-data log-likelihood never falls from
// one iteration to the next, and the iterations stop well before the limit; with the defaults too.
func TestFitCensoredCountsConverges(t *testing.T) {
	obs, _ := censoredSample(2, 80, 30, math.Inf(1), 1.0)
	if fit := FitCensoredCounts(obs, 80, 30, EMOptions{}); !fit.Converged {
		t.Errorf("FitCensoredCounts with the defaults: not converged after %d iterations", fit.Iterations)
	}
	fit := FitCensoredCounts(obs, 80, 30, EMOptions{Shape: math.Inf(1), PriorWeeks: -1, Trace: true})
	if !fit.Converged || fit.Iterations >= DefaultEMIterations {
		t.Fatalf("FitCensoredCounts: converged %v after %d iterations; want convergence before %d", fit.Converged, fit.Iterations, DefaultEMIterations)
	}
	for i := 1; i < len(fit.LogLik); i++ {
		if fit.LogLik[i] < fit.LogLik[i-1]-1e-6*math.Abs(fit.LogLik[i-1]) {
			t.Errorf("log-likelihood fell at iteration %d: %.6f → %.6f", i+1, fit.LogLik[i-1], fit.LogLik[i])
		}
	}
	if n := len(fit.LogLik); n < 2 || fit.LogLik[n-1] <= fit.LogLik[0] {
		t.Errorf("log-likelihood %v; want it to rise", fit.LogLik)
	}
}

func TestFitCensoredCountsEdges(t *testing.T) {
	t.Run("no censoring: the counts as seen", func(t *testing.T) {
		obs := []CountObs{{0, 0, 3, false}, {0, 1, 5, false}, {1, 0, 1, false}, {1, 1, 2, false}}
		fit := FitCensoredCounts(obs, 2, 2, EMOptions{PriorWeeks: -1})
		weekly := [2]float64{}
		for _, x := range obs {
			if got := fit.Expected(x); got != x.Value {
				t.Errorf("Expected(%+v) = %v; want the count itself", x, got)
			}
			weekly[x.Week] += fit.Mean(int(x.Outlet), int(x.Week))
		}
		// The Poisson equations without the priors make each week's fitted means add up to its counts.
		if math.Abs(weekly[0]-4) > 1e-9 || math.Abs(weekly[1]-7) > 1e-9 {
			t.Errorf("fitted weekly totals %v; want [4 7]", weekly)
		}
		if !fit.Converged || !fit.Identified {
			t.Errorf("converged %v, identified %v; want both", fit.Converged, fit.Identified)
		}
	})
	t.Run("all censored: lower bounds only", func(t *testing.T) {
		obs := []CountObs{{0, 0, 3, true}, {0, 1, 5, true}, {1, 0, 0, true}}
		fit := FitCensoredCounts(obs, 2, 2, EMOptions{})
		if fit.Identified || !fit.Converged {
			t.Errorf("identified %v, converged %v; want not identified, done", fit.Identified, fit.Converged)
		}
		for _, x := range obs {
			if got := fit.Expected(x); got != x.Value {
				t.Errorf("Expected(%+v) = %v; want the bound %v", x, got, x.Value)
			}
		}
	})
	t.Run("an outlet censored every week keeps a finite mean", func(t *testing.T) {
		obs, _ := censoredSample(3, 30, 20, math.Inf(1), 1.2)
		for w := range 20 {
			obs = append(obs, CountObs{Outlet: 30, Week: int32(w), Value: 2, Censored: true})
		}
		fit := FitCensoredCounts(obs, 31, 20, EMOptions{})
		if m := fit.Mean(30, 0); math.IsNaN(m) || math.IsInf(m, 0) || m < 2 || m > 50 {
			t.Errorf("mean of the outlet censored at 2 every week = %v; want finite, above 2", m)
		}
	})
	t.Run("a week seen censored only keeps a finite level", func(t *testing.T) {
		// A week in which the few outlets that scanned all ran out (a thin week: most terminals did not
		// upload). Without a prior on the week levels its likelihood grows without bound with its
		// level: the iterations raise it for ever, never converge, and the shape is never chosen again.
		all, _ := censoredSample(4, 40, 26, 4, 1.2)
		var obs []CountObs
		for _, x := range all {
			switch {
			case x.Week != 7:
				obs = append(obs, x)
			case x.Outlet < 3:
				x.Censored = true
				obs = append(obs, x)
			}
		}
		fit := FitCensoredCounts(obs, 40, 26, EMOptions{})
		if !fit.Converged {
			t.Errorf("not converged after %d iterations", fit.Iterations)
		}
		if l := fit.Level[7]; math.IsNaN(l) || l > 3 {
			t.Errorf("level of the week seen censored only %v (the weeks average 1, its true level 0.9); want at most 3", l)
		}
	})
	t.Run("no observations", func(t *testing.T) {
		fit := FitCensoredCounts(nil, 0, 0, EMOptions{})
		if fit.Identified || !fit.Converged {
			t.Errorf("identified %v, converged %v; want not identified, done", fit.Identified, fit.Converged)
		}
	})
}

func TestTailMean(t *testing.T) {
	// Poisson(2): P(0) = e⁻², P(1) = 2e⁻², P(2) = 2e⁻².
	e := math.Exp(-2)
	tests := []struct {
		m, r, s, want float64
	}{
		{2, math.Inf(1), 0, 2},
		{2, math.Inf(1), 1, 2 / (1 - e)},
		{2, math.Inf(1), 3, (2 - 2*e - 4*e) / (1 - 5*e)},
		{2, math.Inf(1), 2.5, (2 - 2*e - 4*e) / (1 - 5*e)}, // a fractional bound rounds up
		{3, 1, 1, 3 / (1 - 0.25)},                          // geometric: P(0) = r/(r+m) = 1/4
		{0.001, math.Inf(1), 400, 400},                     // no tail left: the bound
	}
	for _, tt := range tests {
		if got := tailMean(tt.m, tt.r, tt.s); math.Abs(got-tt.want) > 1e-9*max(1, tt.want) {
			t.Errorf("tailMean(%v, %v, %v) = %v; want %v", tt.m, tt.r, tt.s, got, tt.want)
		}
	}
}

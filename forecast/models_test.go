package forecast

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

const tol = 1e-9

func near(a, b float64) bool { return math.Abs(a-b) <= tol*max(1, math.Abs(a), math.Abs(b)) }

func nearAll(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !near(a[i], b[i]) {
			return false
		}
	}
	return true
}

// run forecasts h weeks of y with m, intervals included.
func run(m Model, y []float64, h int) Forecast {
	f := Forecast{Mean: make([]float64, h), Lower: make([]float64, h), Upper: make([]float64, h)}
	var s Scratch
	m.Forecast(y, f, &s)
	return f
}

func TestPointForecasts(t *testing.T) {
	seasonal := make([]float64, 2*SeasonalPeriod+10)
	for i := range seasonal {
		seasonal[i] = 10 + 3*math.Sin(2*math.Pi*float64(i)/SeasonalPeriod)
	}
	n := len(seasonal)
	nextSeason := []float64{seasonal[n-SeasonalPeriod], seasonal[n-SeasonalPeriod+1], seasonal[n-SeasonalPeriod+2]}

	tests := []struct {
		name  string
		model Model
		y     []float64
		want  []float64
	}{
		{"naive", Naive{}, []float64{1, 2, 3}, []float64{3, 3}},
		{"naive empty", Naive{}, nil, []float64{0, 0}},
		{"naive clipped", Naive{}, []float64{5, -2}, []float64{0, 0}},
		{"snaive", SeasonalNaive{}, ramp(53), []float64{1, 2, 3}},
		{"snaive beyond a year", SeasonalNaive{}, ramp(52), slices.Concat(ramp(52), []float64{0, 1})},
		{"snaive short is naive", SeasonalNaive{}, []float64{4, 7}, []float64{7, 7}},
		// y = t+1: window 2 predicts t−0.5 (error 1.5), window 4 predicts t−1.5 (error 2.5).
		{"ma picks 2", MovingAverage{Windows: []int{2, 4}}, ramp1(8), []float64{7.5, 7.5}},
		{"ma too short", MovingAverage{Windows: []int{4}}, []float64{2, 4, 6}, []float64{4}},
		// l0 = 2.8 minimises (2−l0)² + (4 − (l0+2)/2 − … )²: levels 2.8, 2.4, 3.2.
		{"ses alpha=0.5", SES{Alphas: []float64{0.5}}, []float64{2, 4}, []float64{3.2, 3.2}},
		{"ses constant", SES{}, []float64{5, 5, 5, 5}, []float64{5}},
		{"ses alpha=1 is naive", SES{Alphas: []float64{1}}, []float64{3, 9, 4}, []float64{4, 4}},
		// l0 = 1, b0 = 0; e = 2, l = 2, b = 1; e = 2, l = 4, b = 2: forecasts 4+2, 4+4.
		{"damped phi=1", Damped{Grid: DampedGrid{[]float64{0.5}, []float64{0.5}, []float64{1}}}, []float64{1, 3, 5}, []float64{6, 8}},
		// e = 2, l = 2, b = 1; φb = 0.5, e = 2.5, l = 3.75, b = 1.75: 3.75 + 0.5·1.75, 3.75 + 0.75·1.75.
		{"damped phi=0.5", Damped{Grid: DampedGrid{[]float64{0.5}, []float64{0.5}, []float64{0.5}}}, []float64{1, 3, 5}, []float64{4.625, 5.0625}},
		{"damped short is ses", Damped{}, []float64{4, 4}, []float64{4}},
		// First demand 3 at week 3: z = 3. Demand 6 two weeks later: the first interval, p = 2; z = 4.5.
		{"croston alpha=0.5", Croston{Alphas: []float64{0.5}}, []float64{0, 0, 3, 0, 6}, []float64{2.25, 2.25}},
		{"sba alpha=0.5", SBA{Alphas: []float64{0.5}}, []float64{0, 0, 3, 0, 6}, []float64{1.6875}},
		// One demand, then three weeks without: the interval is longer than 3 weeks, z/(3+1).
		{"croston one demand", Croston{Alphas: []float64{0.5}}, []float64{4, 0, 0, 0}, []float64{1, 1}},
		// Demand 4 then 2 a week later (p = 1, z = 3), then 6 after 3 weeks: p = 2, z = 4.5.
		{"croston intervals from the first", Croston{Alphas: []float64{0.5}}, []float64{4, 2, 0, 0, 6}, []float64{2.25}},
		{"croston no demand", Croston{}, []float64{0, -1, 0}, []float64{0}},
		// π0 = 0.5, z0 = 4; π: 0.25, 0.625, 0.3125, 0.65625; forecast 0.65625·4.
		{"tsb alpha=beta=0.5", TSB{Alphas: []float64{0.5}, Betas: []float64{0.5}}, []float64{0, 4, 0, 4}, []float64{2.625}},
		{"tsb no demand", TSB{}, []float64{0, 0}, []float64{0, 0}},
		// A noise-free season: the profile is exact, unshrunk; the level is 10.
		{"seasonal exact", Seasonal{Smoothing: -1}, seasonal, nextSeason},
		{"seasonal constant", Seasonal{}, constant(120, 7), []float64{7, 7}},
		{"seasonal short is ses", Seasonal{}, []float64{5, 5, 5}, []float64{5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := run(tt.model, tt.y, len(tt.want))
			if !nearAll(f.Mean, tt.want) {
				t.Errorf("%s.Forecast(%v) = %v; want %v", tt.model.Name(), short(tt.y), f.Mean, tt.want)
			}
		})
	}
}

func ramp(n int) []float64 {
	y := make([]float64, n)
	for i := range y {
		y[i] = float64(i)
	}
	return y
}

func ramp1(n int) []float64 {
	y := ramp(n)
	for i := range y {
		y[i]++
	}
	return y
}

func constant(n int, v float64) []float64 {
	y := make([]float64, n)
	for i := range y {
		y[i] = v
	}
	return y
}

// short abbreviates long series in failure messages.
func short(y []float64) any {
	if len(y) <= 12 {
		return y
	}
	return struct {
		N    int
		Tail []float64
	}{len(y), y[len(y)-6:]}
}

func TestIntervals(t *testing.T) {
	z := z80
	tests := []struct {
		name       string
		model      Model
		y          []float64
		mean, half []float64 // expected mean and half-width of the interval
	}{
		// Changes 1, 1: sd 1, growing as √j.
		{"naive", Naive{}, []float64{1, 2, 3}, []float64{3, 3}, []float64{z, z * math.Sqrt2}},
		// SSE 3.2 over 2 errors: σ² = 1.6; week 2 gains α² = 0.25.
		{"ses", SES{Alphas: []float64{0.5}}, []float64{2, 4}, []float64{3.2, 3.2}, []float64{z * math.Sqrt(1.6), z * math.Sqrt(2)}},
		// Errors 1.5 at each of 4 weeks: sd 1.5, flat.
		{"ma", MovingAverage{Windows: []int{2, 4}}, ramp1(8), []float64{7.5, 7.5}, []float64{1.5 * z, 1.5 * z}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := run(tt.model, tt.y, len(tt.mean))
			for j := range tt.mean {
				lo, hi := max(tt.mean[j]-tt.half[j], 0), tt.mean[j]+tt.half[j]
				if !near(f.Lower[j], lo) || !near(f.Upper[j], hi) {
					t.Errorf("%s.Forecast(%v) week %d interval = [%v, %v]; want [%v, %v]",
						tt.model.Name(), tt.y, j+1, f.Lower[j], f.Upper[j], lo, hi)
				}
			}
		})
	}
}

func TestSESChoosesAlpha(t *testing.T) {
	// A random walk is best followed closely, white noise around a level best smoothed heavily.
	r := rand.New(rand.NewPCG(1, 2))
	walk, noise := make([]float64, 200), make([]float64, 200)
	for i := range walk {
		walk[i] = 100 + r.NormFloat64()*5
		if i > 0 {
			walk[i] = walk[i-1] + r.NormFloat64()*5
		}
		noise[i] = 100 + r.NormFloat64()*5
	}
	if a, _, _ := sesFit(walk, defaultAlphas); a < 0.6 {
		t.Errorf("sesFit(random walk) alpha = %v; want ≥ 0.6", a)
	}
	if a, _, _ := sesFit(noise, defaultAlphas); a > 0.1 {
		t.Errorf("sesFit(white noise) alpha = %v; want ≤ 0.1", a)
	}
}

func TestSeasonalShrinksNoise(t *testing.T) {
	// Pure noise has no season: the profile must shrink to (nearly) nothing, so the forecast stays
	// near the mean instead of copying last year's noise.
	r := rand.New(rand.NewPCG(3, 4))
	y := make([]float64, 156)
	for i := range y {
		y[i] = 50 + 10*r.NormFloat64()
	}
	f := run(Seasonal{}, y, 8)
	for j, v := range f.Mean {
		if math.Abs(v-50) > 5 {
			t.Errorf("Seasonal(noise) week %d = %v; want within 5 of 50", j+1, v)
		}
	}
}

// allModels is every model of the package with its defaults.
func allModels() []Model {
	return append(DefaultCandidates(), Seasonal{}, Seasonal{Smoothing: -1})
}

func randomSeries(r *rand.Rand) []float64 {
	n := r.IntN(200)
	y := make([]float64, n)
	kind := r.IntN(4)
	for i := range y {
		switch kind {
		case 0: // intermittent, with returns
			if r.Float64() < 0.3 {
				y[i] = float64(r.IntN(5) + 1)
			} else if r.Float64() < 0.05 {
				y[i] = -2
			}
		case 1: // falling fast: trends and seasonal profiles push below zero
			y[i] = math.Max(0, 100-float64(i)*2) + 30*math.Sin(float64(i)/8)
		case 2: // large and noisy
			y[i] = 1e6 + 1e5*r.NormFloat64()
		default: // anything, negative included
			y[i] = r.NormFloat64() * 10
		}
	}
	return y
}

func TestForecastsAreNonNegativeAndOrdered(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for trial := range 300 {
		y := randomSeries(r)
		for _, m := range allModels() {
			f := run(m, y, 6)
			for j := range f.Mean {
				if !(f.Lower[j] >= 0 && f.Lower[j] <= f.Mean[j] && f.Mean[j] <= f.Upper[j]) || math.IsNaN(f.Upper[j]) {
					t.Fatalf("trial %d: %s.Forecast(%v) week %d = %v in [%v, %v]; want 0 ≤ lower ≤ mean ≤ upper",
						trial, m.Name(), short(y), j+1, f.Mean[j], f.Lower[j], f.Upper[j])
				}
			}
		}
	}
}

func TestForecastsAreDeterministic(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for range 50 {
		y := randomSeries(r)
		for _, m := range allModels() {
			a, b := run(m, y, 5), run(m, slices.Clone(y), 5)
			if !slices.Equal(a.Mean, b.Mean) || !slices.Equal(a.Upper, b.Upper) {
				t.Fatalf("%s.Forecast(%v) differs between runs: %v, %v", m.Name(), short(y), a.Mean, b.Mean)
			}
		}
	}
}

func TestForecastLeavesInputAlone(t *testing.T) {
	y := benchSeries(140)
	orig := slices.Clone(y)
	for _, m := range allModels() {
		run(m, y, 4)
		if !slices.Equal(y, orig) {
			t.Fatalf("%s.Forecast modified its input", m.Name())
		}
	}
}

func TestForecastWithoutIntervals(t *testing.T) {
	y := benchSeries(140)
	for _, m := range allModels() {
		f := Forecast{Mean: make([]float64, 4)}
		var s Scratch
		m.Forecast(y, f, &s) // must not touch the nil slices
		if want := run(m, y, 4).Mean; !slices.Equal(f.Mean, want) {
			t.Errorf("%s.Forecast without intervals = %v; want %v", m.Name(), f.Mean, want)
		}
	}
}

func TestModelsDoNotAllocate(t *testing.T) {
	y := benchSeries(140)
	for _, m := range allModels() {
		var s Scratch
		f := Forecast{Mean: make([]float64, 4), Lower: make([]float64, 4), Upper: make([]float64, 4)}
		m.Forecast(y, f, &s) // grows s
		if n := testing.AllocsPerRun(20, func() { m.Forecast(y, f, &s) }); n != 0 {
			t.Errorf("%s.Forecast allocates %v times per call; want 0", m.Name(), n)
		}
	}
}

// TestTSBFit3MatchesGrid holds the default grid's one-pass fit to the plain one, to the bit: the
// same smallest error and the same forecast, on intermittent, dense and tied series.
func TestTSBFit3MatchesGrid(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	a, b := [3]float64(defaultTSBAlphas), [3]float64(defaultTSBBetas)
	check := func(y []float64, pi0, z0 float64) {
		t.Helper()
		wantE, wantR := tsbFit(y, pi0, z0, a[:], b[:])
		gotE, gotR := tsbFit3(y, pi0, z0, a, b)
		if math.Float64bits(gotE) != math.Float64bits(wantE) || math.Float64bits(gotR) != math.Float64bits(wantR) {
			t.Fatalf("%v from π %g, z %g: one pass %v, %v; grid %v, %v", y, pi0, z0, gotE, gotR, wantE, wantR)
		}
	}
	check([]float64{2, 2, 2, 2}, 1, 2) // every fit exact: the first of the grid wins the tie
	for range 500 {
		n := 1 + r.IntN(160)
		p := r.Float64()
		y := make([]float64, n)
		for t := range y {
			if r.Float64() < p {
				y[t] = float64(1+r.IntN(9)) * (0.5 + r.Float64())
			}
		}
		check(y, r.Float64(), 10*r.Float64())
	}
	// The grids of other sizes take the plain fit.
	y := []float64{0, 3, 0, 0, 5, 1}
	var s Scratch
	got, want := Forecast{Mean: make([]float64, 2)}, Forecast{Mean: make([]float64, 2)}
	TSB{Alphas: []float64{0.1, 0.2}, Betas: defaultTSBBetas}.Forecast(y, got, &s)
	_, rate := tsbFit(y, 3.0/6, 3, []float64{0.1, 0.2}, defaultTSBBetas)
	want.Mean[0], want.Mean[1] = rate, rate
	if !slices.Equal(got.Mean, want.Mean) {
		t.Errorf("2 × 3 grid: %v; want %v", got.Mean, want.Mean)
	}
}

// TestSESFitTwoAtATime holds sesFit, which runs its weights two at a time, to fitting each weight
// alone, to the bit, for even and odd numbers of weights.
func TestSESFitTwoAtATime(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 300 {
		y := make([]float64, 1+r.IntN(150))
		for t := range y {
			y[t] = 50 + 20*r.NormFloat64()
		}
		alphas := defaultAlphas[:1+r.IntN(len(defaultAlphas))]
		wantA, wantL, wantS := 0.0, 0.0, math.Inf(1)
		for _, a := range alphas {
			if l, s := sesOptimalInit(y, a); s < wantS {
				wantA, wantL, wantS = a, l, s
			}
		}
		a, l, s := sesFit(y, alphas)
		if a != wantA || math.Float64bits(l) != math.Float64bits(wantL) || math.Float64bits(s) != math.Float64bits(wantS) {
			t.Fatalf("%d weeks, %d weights: α %g, level %v, sse %v; one at a time %g, %v, %v",
				len(y), len(alphas), a, l, s, wantA, wantL, wantS)
		}
	}
}

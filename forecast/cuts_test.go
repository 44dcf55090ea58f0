package forecast

import (
	"context"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"
)

// cutsSeries returns series of the shapes the engine meets: smooth, seasonal, intermittent, with
// leading zeros, without any demand, negative in places, and very short.
func cutsSeries(r *rand.Rand) [][]float64 {
	var out [][]float64
	for _, n := range []int{0, 1, 2, 3, 4, 9, 30, 79, 104, 130} {
		smooth := make([]float64, n)
		sparse := make([]float64, n)
		late := make([]float64, n)
		for t := range n {
			smooth[t] = 50 + 20*math.Sin(2*math.Pi*float64(t)/52) + 10*r.NormFloat64()
			if r.Float64() < 0.25 {
				sparse[t] = float64(1 + r.IntN(6))
			}
			if t > n/2 {
				late[t] = math.Round(5 + 3*r.NormFloat64())
			}
		}
		out = append(out, smooth, sparse, late, make([]float64, n))
	}
	return out
}

// TestForecastCutsMatchForecast checks that every candidate forecasts each prefix in one pass exactly
// (to the bit) as it forecasts the prefix alone.
func TestForecastCutsMatchForecast(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const h = 5
	models := append(DefaultCandidates(), Damped{Grid: DampedGrid{Alphas: []float64{0.1, 0.2, 0.5}, Betas: []float64{0.3}, Phis: []float64{0.9}}},
		SES{Alphas: []float64{0.5}}, Croston{Alphas: []float64{}})
	var s Scratch
	for _, y := range cutsSeries(r) {
		// Every prefix length, as the engine's origins a week apart give them, and a sparse set.
		all := make([]int, len(y)+1)
		for n := range all {
			all[n] = n
		}
		var some []int
		for n := 0; n <= len(y); n += 1 + r.IntN(7) {
			some = append(some, n)
		}
		for _, cuts := range [][]int{all, some, {len(y)}} {
			for _, m := range models {
				got := NewForecasts(len(cuts), h, true)
				forecastCuts(m, y, cuts, got, &s)
				for k, n := range cuts {
					want := NewForecasts(1, h, true)[0]
					m.Forecast(y[:n:n], want, &s)
					if !sameBits(got[k], want) {
						t.Fatalf("%s on %d of %d weeks: forecastCuts %v; Forecast %v", m.Name(), n, len(y), got[k], want)
					}
				}
				// Without intervals too.
				mean := NewForecasts(len(cuts), h, false)
				forecastCuts(m, y, cuts, mean, &s)
				for k := range cuts {
					if !sameBits(Forecast{Mean: mean[k].Mean}, Forecast{Mean: got[k].Mean}) {
						t.Fatalf("%s: the point forecast differs without intervals", m.Name())
					}
				}
			}
		}
	}
}

// sameBits reports whether a and b hold the same float64 values bit for bit.
func sameBits(a, b Forecast) bool {
	eq := func(x, y []float64) bool {
		return slices.EqualFunc(x, y, func(u, v float64) bool { return math.Float64bits(u) == math.Float64bits(v) })
	}
	return eq(a.Mean, b.Mean) && eq(a.Lower, b.Lower) && eq(a.Upper, b.Upper)
}

// windowsBatch returns a batch of three years of weekly series in 6 brands whose demand doubles
// around a moving festival, some intermittent, some starting late, of several lengths, and the
// festival's calendar.
func windowsBatch(r *rand.Rand) (Batch, Holidays) {
	origin := time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC) // the calibration origins forecast the festival
	festivals := []time.Time{
		time.Date(2024, 2, 10, 0, 0, 0, 0, time.UTC), time.Date(2025, 1, 29, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 2, 17, 0, 0, 0, 0, time.UTC), time.Date(2027, 2, 6, 0, 0, 0, 0, time.UTC),
	}
	var days []CalendarDay
	for _, d := range festivals {
		days = append(days, CalendarDay{Day: d, Holiday: "spring"})
	}
	const L, n = 150, 360
	b := Batch{Horizon: 5, Origin: origin, Groups: make([]int, n), Workers: 2}
	for i := range n {
		length := L - r.IntN(40)
		y := make([]float64, length)
		scale := math.Exp(r.NormFloat64())
		sparse := i%3 == 1
		start := 0
		if i%7 == 2 {
			start = length / 3
		}
		for t := start; t < length; t++ {
			week := origin.AddDate(0, 0, -7*(length-t))
			k := 1.0
			for _, d := range festivals {
				if dd := d.Sub(week).Hours() / 24; dd >= -7 && dd < 14 {
					k = 2.2
				}
			}
			v := scale * k * (20 + 4*r.NormFloat64())
			if sparse {
				v = 0
				if r.Float64() < 0.3 {
					v = math.Round(scale * k * (1 + 3*r.Float64()))
				}
			}
			y[t] = math.Max(0, math.Round(v))
		}
		b.Series = append(b.Series, y)
		b.Groups[i] = i % 6
	}
	return b, NewHolidays(days)
}

// TestCalibrateWindowsMatchApply checks that calibrating the engine's chosen models with every origin
// of a series fitted in one pass (applyWindows, a chunk of series at a time) gives exactly the
// forecasts and the Calibration of Apply on each origin's batch, festival profiles and combined
// models included.
func TestCalibrateWindowsMatchApply(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	b, hol := windowsBatch(r)
	e := &Engine{Holidays: hol}
	choices, err := e.Choose(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	// Every kind of choice, whatever Choose made of this batch: one model or several, with the
	// festival profile and without.
	profiles := batchProfiles(t, e, b, 6)
	sets := [][]int{{2}, {5, 6, 2}, {0, 1}, {4, 3, 8}, {6}, {7, 1, 5}}
	for g := range choices {
		choices[g].Models = sets[g]
		choices[g].Weights = nil // equal weights, but for one group
		if g == 1 {
			choices[g].Weights = []float64{0.5, 0.3, 0.2}
		}
		choices[g].Festival = nil
		if g%2 == 0 {
			choices[g].Festival = profiles[g]
		}
	}
	ctx := context.Background()
	apply := func(ctx context.Context, b Batch, out []Forecast) error { return e.Apply(ctx, b, choices, out) }

	shorts := []int{5, 6, 9, 12}
	outs := make([][]Forecast, len(shorts))
	for k := range outs {
		outs[k] = NewForecasts(len(b.Series)-30, b.Horizon, true)
	}
	if err := e.applyWindows(ctx, b, choices, shorts, 10, len(b.Series)-20, outs); err != nil {
		t.Fatal(err)
	}
	for k, short := range shorts {
		want := NewForecasts(len(b.Series), b.Horizon, true)
		if err := batchWindows(apply).forecastWindows(ctx, b, []int{short}, 0, len(b.Series), [][]Forecast{want}); err != nil {
			t.Fatal(err)
		}
		for i, f := range outs[k] {
			if !sameBits(f, want[i+10]) {
				t.Fatalf("series %d, %d weeks short: applyWindows %v; Apply %v", i+10, short, f, want[i+10])
			}
		}
	}

	noisy := make([][]float64, len(b.Series))
	for i, s := range b.Series {
		noisy[i] = make([]float64, len(s))
		for t, v := range s {
			noisy[i][t] = math.Max(0, v+r.NormFloat64())
		}
	}
	for _, observed := range []Observations{{}, {Values: noisy, Expected: b.Series, LevelError: 0.01}} {
		want, err := Calibrate(ctx, apply, b, observed, DefaultCalibrationWindows)
		if err != nil {
			t.Fatal(err)
		}
		for _, chunk := range []int{0, 64, 1} {
			got, err := calibrate(ctx, engineWindows{e: e, choices: choices, chunk: chunk}, b, observed, DefaultCalibrationWindows)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("chunk %d: calibrate with applyWindows %+v; Calibrate with Apply %+v", chunk, got, want)
			}
		}
		if want.Scores[0] == 0 || want.Total[0] == 1 {
			t.Errorf("Calibration %+v scored nothing", want)
		}
	}

	// With the forecasts from the batch's own origin made in the same pass, as forecast run makes them.
	want := NewForecasts(len(b.Series), b.Horizon, true)
	if err := e.Apply(ctx, b, choices, want); err != nil {
		t.Fatal(err)
	}
	wantCal, err := Calibrate(ctx, apply, b, Observations{}, DefaultCalibrationWindows)
	if err != nil {
		t.Fatal(err)
	}
	final := NewForecasts(len(b.Series), b.Horizon, true)
	var filled, advanced int
	w := engineWindows{e: e, choices: choices, chunk: 100, final: final, filled: &filled, advance: func(n int) { advanced = n }}
	got, err := calibrate(ctx, w, b, Observations{}, DefaultCalibrationWindows)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, wantCal) {
		t.Errorf("calibrate with the final forecasts %+v; Calibrate %+v", got, wantCal)
	}
	if filled != len(b.Series) || advanced != len(b.Series) {
		t.Errorf("%d series forecast from their own origin, %d told; want %d", filled, advanced, len(b.Series))
	}
	for i := range final {
		if !sameBits(final[i], want[i]) {
			t.Fatalf("series %d from its own origin: %v; Apply %v", i, final[i], want[i])
		}
	}
}

// validateOneByOne is validate as it was before forecastCuts: every candidate fitted on every window
// alone. TestValidateMatchesOneByOne holds validate to it.
func validateOneByOne(st engineSettings, y, factors []float64, extra []int, h int, errs []float64, s *Scratch) bool {
	f := Forecast{Mean: make([]float64, h)}
	n := len(y)
	x := y
	if factors != nil {
		x = make([]float64, n)
		deseasonalise(x, y, factors)
	}
	fitted := false
	window := func(o int) {
		fitted = true
		for c, m := range st.cands {
			m.Forecast(x[:o:o], f, s)
			for j, a := range y[o : o+h] {
				fc := f.Mean[j]
				if factors != nil {
					fc *= factors[o+j]
				}
				errs[c] += math.Abs(a - fc)
			}
		}
	}
	for w := 1; w <= st.windows; w++ {
		o := n - h*w
		if o < MinValidationWeeks {
			break
		}
		window(o)
	}
	for _, o := range extra {
		if o < MinValidationWeeks || o+h > n || (n-o)%h == 0 && (n-o)/h <= st.windows {
			continue
		}
		window(o)
	}
	return fitted
}

// TestValidateMatchesOneByOne checks that validate, which fits every window of a candidate in one
// pass, adds exactly (to the bit) the errors of fitting each window alone, with festival factors and
// extra origins, and the engine's choice with them.
func TestValidateMatchesOneByOne(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	st := NewEngine().settings()
	const h = 5
	var s Scratch
	for _, y := range cutsSeries(r) {
		factors := make([]float64, len(y)+h)
		for t := range factors {
			factors[t] = 1 + 0.5*r.Float64()
		}
		extras := [][]int{nil, {len(y) - 7, 12, len(y) - 2*h, 3, len(y) - 7}, {len(y) - 30, len(y) - 9}}
		for _, fac := range [][]float64{nil, factors} {
			for _, extra := range extras {
				got := make([]float64, len(st.cands))
				want := make([]float64, len(st.cands))
				wins, before := validationWindows(st, len(y), h, extra, nil, got, got, nil, nil)
				validate(st, y, fac, nil, 0, wins, h, &s)
				okGot := before > 0
				okWant := validateOneByOne(st, y, fac, extra, h, want, &s)
				if okGot != okWant || !sameBits(Forecast{Mean: got}, Forecast{Mean: want}) {
					t.Fatalf("%d weeks, extra %v, factors %t: validate %v %t; one by one %v %t",
						len(y), extra, fac != nil, got, okGot, want, okWant)
				}
				// The same windows as festival ones, their errors kept apart: the first half holds the
				// latest windows' alone, and the halves add up to the errors of every window, each once.
				nc := len(st.cands)
				split := make([]float64, 2*nc)
				wins, _ = validationWindows(st, len(y), h, nil, extra, split[:nc], split[nc:], nil, nil)
				validate(st, y, fac, nil, 0, wins, h, &s)
				latest := make([]float64, nc)
				validateOneByOne(st, y, fac, nil, h, latest, &s)
				once := make([]float64, nc)
				validateOneByOne(st, y, fac, slices.Compact(slices.Sorted(slices.Values(extra))), h, once, &s)
				for c := range nc {
					if split[c] != latest[c] || math.Abs(split[c]+split[nc+c]-once[c]) > 1e-9*max(1, once[c]) {
						t.Fatalf("%d weeks, festival windows %v, factors %t, candidate %d: split %g + %g; one by one %g and %g",
							len(y), extra, fac != nil, c, split[c], split[nc+c], latest[c], once[c])
					}
				}
			}
		}
	}
	// The engine's choice on a batch with festival profiles rests on those errors.
	b, hol := windowsBatch(r)
	e := &Engine{Holidays: hol}
	choices, err := e.Choose(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(choices, func(c Choice) bool { return c.Festival != nil }) {
		t.Errorf("no group kept its festival profile: the test does not see the festival windows")
	}
}

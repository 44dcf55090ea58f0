package forecast

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
)

// recorder is a candidate that forecasts a constant and records the history lengths it was fitted on.
type recorder struct {
	name  string
	value float64
	mu    *sync.Mutex
	lens  *[]int
}

func newRecorder(name string, value float64) recorder {
	return recorder{name: name, value: value, mu: new(sync.Mutex), lens: new([]int)}
}

func (r recorder) Name() string { return r.name }

func (r recorder) Forecast(y []float64, f Forecast, _ *Scratch) {
	r.mu.Lock()
	*r.lens = append(*r.lens, len(y))
	r.mu.Unlock()
	for j := range f.Mean {
		f.put(j, r.value, 0)
	}
}

func TestEngineValidationOrigins(t *testing.T) {
	rec := newRecorder("rec", 1)
	e := &Engine{Candidates: []Model{rec}, Windows: 3, WindowChoices: 1}
	// Leading zeros are dropped first: 30 weeks of history are 26 after the 4 zeros.
	y := slices.Concat([]float64{0, 0, 0, 0}, constant(26, 2))
	out := NewForecasts(1, 4, false)
	if err := e.ForecastBatch(context.Background(), Batch{Series: [][]float64{y}, Horizon: 4}, out); err != nil {
		t.Fatal(err)
	}
	// Validation at origins 26−4, 26−8 and 26−12, then the forecast itself.
	if want := []int{22, 18, 14, 26}; !slices.Equal(*rec.lens, want) {
		t.Errorf("candidate fitted on lengths %v; want %v", *rec.lens, want)
	}
	*rec.lens = nil
	e.ForecastBatch(context.Background(), Batch{Series: [][]float64{constant(17, 2)}, Horizon: 4}, out)
	// Origins 13 and 9 leave ≥ MinValidationWeeks; 5 does not.
	if want := []int{13, 9, 17}; !slices.Equal(*rec.lens, want) {
		t.Errorf("short series: candidate fitted on lengths %v; want %v", *rec.lens, want)
	}
	// A series with MinSeasonalWeeks before the origin a year earlier is validated there too.
	*rec.lens = nil
	n := MinSeasonalWeeks + SeasonalPeriod
	if err := e.ForecastBatch(context.Background(), Batch{Series: [][]float64{constant(n, 2)}, Horizon: 4}, out); err != nil {
		t.Fatal(err)
	}
	if want := []int{n - 4, n - 8, n - 12, MinSeasonalWeeks, n}; !slices.Equal(*rec.lens, want) {
		t.Errorf("%d weeks: candidate fitted on lengths %v; want %v", n, *rec.lens, want)
	}
	*rec.lens = nil
	if err := e.ForecastBatch(context.Background(), Batch{Series: [][]float64{constant(n-1, 2)}, Horizon: 4}, out); err != nil {
		t.Fatal(err)
	}
	if want := []int{n - 5, n - 9, n - 13, n - 1}; !slices.Equal(*rec.lens, want) {
		t.Errorf("%d weeks: candidate fitted on lengths %v; want %v", n-1, *rec.lens, want)
	}
}

// By default the engine chooses three times, on 3, 4 and 5 windows, and validates each window once:
// the fourth and fifth only where they leave MinValidationWeeks.
func TestEngineChoosesOnThreeWindowCounts(t *testing.T) {
	rec := newRecorder("rec", 1)
	e := &Engine{Candidates: []Model{rec}}
	out := NewForecasts(1, 4, false)
	if err := e.ForecastBatch(context.Background(), Batch{Series: [][]float64{constant(30, 2)}, Horizon: 4}, out); err != nil {
		t.Fatal(err)
	}
	// The 3 windows, the fourth, the fifth (its origin, 10, leaves 8 weeks), then the forecast.
	want := []int{26, 22, 18, 14, 10, 30}
	if !slices.Equal(*rec.lens, want) {
		t.Errorf("candidate fitted on lengths %v; want %v", *rec.lens, want)
	}
}

// TestValidationWindows checks where each window's errors go: the regular and extra windows to the
// first errors, the festival ones to theirs, each added window to its own; and which windows are left
// out (too early, already there, or an added window on an extra or festival origin).
func TestValidationWindows(t *testing.T) {
	st := engineSettings{windows: 3}
	regular, fest := make([]float64, 1), make([]float64, 1)
	added := [][]float64{make([]float64, 1), make([]float64, 1), make([]float64, 1)}
	// 60 weeks, h 4: regular 56, 52, 48; extra 30 (48 is regular, 58 leaves no 4 weeks after it);
	// festival 20 (30 is there already, 5 too early); added 44, then 40 on the festival origin 40
	// (left out), then 36.
	wins, before := validationWindows(st, 60, 4, []int{30, 48, 58}, []int{20, 30, 5, 40}, regular, fest, added, nil)
	type win struct {
		origin int
		dst    string
	}
	name := func(d []float64) string {
		switch &d[0] {
		case &regular[0]:
			return "regular"
		case &fest[0]:
			return "festival"
		}
		for k, a := range added {
			if &d[0] == &a[0] {
				return fmt.Sprintf("added %d", k)
			}
		}
		return "?"
	}
	var got []win
	for _, w := range wins {
		got = append(got, win{w.origin, name(w.errs)})
	}
	want := []win{{56, "regular"}, {52, "regular"}, {48, "regular"}, {30, "regular"}, {20, "festival"}, {40, "festival"},
		{44, "added 0"}, {36, "added 2"}}
	if !slices.Equal(got, want) || before != 6 {
		t.Errorf("windows %v, %d before the added ones; want %v, 6", got, before, want)
	}
	// A short series: the added windows stop at the first that leaves fewer than MinValidationWeeks.
	wins, before = validationWindows(st, 26, 4, nil, nil, regular, fest, added, nil)
	var origins []int
	for _, w := range wins {
		origins = append(origins, w.origin)
	}
	if !slices.Equal(origins, []int{22, 18, 14, 10}) || before != 3 {
		t.Errorf("26 weeks: origins %v, %d before the added ones; want [22 18 14 10], 3", origins, before)
	}
}

func TestInverseErrorWeights(t *testing.T) {
	errs := []float64{10, 11, 20, 12}
	got := inverseErrorWeights(errs, []int{0, 1, 3})
	raw := []float64{1, math.Pow(10.0/11, CombineSharpness), math.Pow(10.0/12, CombineSharpness)}
	total := raw[0] + raw[1] + raw[2]
	for k, r := range raw {
		if math.Abs(got[k]-r/total) > 1e-12 {
			t.Fatalf("weights %v; want %v normalised", got, raw)
		}
	}
	if !(got[0] > got[1] && got[1] > got[2]) {
		t.Errorf("weights %v; want the smaller error to weigh more", got)
	}
	if w := inverseErrorWeights(errs, []int{2}); w != nil {
		t.Errorf("one model: weights %v; want nil (equal)", w)
	}
	// Models that all validated without error weigh the same.
	if w := inverseErrorWeights([]float64{0, 0, 5}, []int{1, 0}); !slices.Equal(w, []float64{0.5, 0.5}) {
		t.Errorf("two models without error: weights %v; want [0.5 0.5]", w)
	}
}

func TestAverageChoicesKeepsEachChoicesWeights(t *testing.T) {
	made := [][]Choice{
		{{Models: []int{2, 1}, Weights: []float64{0.75, 0.25}}},
		{{Models: []int{1}}},
	}
	got := averageChoices(made)[0]
	// Model 1: (0.25 + 1) / 2; model 2: 0.75 / 2.
	if !slices.Equal(got.Models, []int{1, 2}) || math.Abs(got.Weights[0]-0.625) > 1e-12 || math.Abs(got.Weights[1]-0.375) > 1e-12 {
		t.Errorf("models %v, weights %v; want [1 2], [0.625 0.375]", got.Models, got.Weights)
	}
}

func TestAverageChoices(t *testing.T) {
	made := [][]Choice{
		{{Models: []int{2, 1}, Errors: []float64{3, 2, 1, 4}}, {Models: []int{0}}},
		{{Models: []int{1}}, {Models: []int{0}}},
		{{Models: []int{3, 1, 2}}, {Models: []int{0}}},
	}
	got := averageChoices(made)
	// Model 1: (1/2 + 1 + 1/3) / 3; model 2: (1/2 + 1/3) / 3; model 3: (1/3) / 3.
	if want := []int{1, 2, 3}; !slices.Equal(got[0].Models, want) {
		t.Errorf("group 0: models %v; want %v", got[0].Models, want)
	}
	want := []float64{11.0 / 18, 5.0 / 18, 2.0 / 18}
	for k, w := range want {
		if math.Abs(got[0].Weights[k]-w) > 1e-12 {
			t.Errorf("group 0: weights %v; want %v", got[0].Weights, want)
			break
		}
	}
	if !slices.Equal(got[0].Errors, []float64{3, 2, 1, 4}) {
		t.Errorf("group 0: errors %v; want the first choice's", got[0].Errors)
	}
	if !slices.Equal(got[1].Models, []int{0}) || !slices.Equal(got[1].Weights, []float64{1}) {
		t.Errorf("group 1: models %v, weights %v; want [0] and [1]", got[1].Models, got[1].Weights)
	}
	if err := got[0].checkWeights(); err != nil {
		t.Error(err)
	}
}

func TestApplyWeighsTheModels(t *testing.T) {
	e := &Engine{Candidates: []Model{newRecorder("one", 1), newRecorder("five", 5)}}
	b := Batch{Series: [][]float64{constant(20, 2)}, Horizon: 2}
	out := NewForecasts(1, 2, false)
	ch := []Choice{{Models: []int{1, 0}, Weights: []float64{0.75, 0.25}}}
	if err := e.Apply(context.Background(), b, ch, out); err != nil {
		t.Fatal(err)
	}
	if want := []float64{4, 4}; !slices.Equal(out[0].Mean, want) {
		t.Errorf("weighted mean %v; want %v", out[0].Mean, want)
	}
	for _, w := range [][]float64{{1}, {0.5, 0.6}, {1.5, -0.5}} {
		ch[0].Weights = w
		if err := e.Apply(context.Background(), b, ch, out); !errors.Is(err, ErrInvalidBatch) {
			t.Errorf("weights %v: error %v; want ErrInvalidBatch", w, err)
		}
	}
}

// The weeks ahead hold a season the latest weeks do not show: sales rise by 60% in the four weeks
// forecast every year, after a flat quarter. Validated on the latest weeks alone, the flat models
// are as good as the seasonal ones and the forecast misses the rise; the window a year before the
// forecast weeks shows which models see it.
func TestEngineValidatesTheSeasonAhead(t *testing.T) {
	const n, h = 4 * SeasonalPeriod, 4
	rng := rand.New(rand.NewPCG(7, 8))
	var b Batch
	for range 30 {
		y := make([]float64, n)
		for t := range y {
			f := 1.0
			if t%SeasonalPeriod < h { // the weeks forecast, a year and more earlier
				f = 1.6
			}
			y[t] = 100 * f * math.Exp(0.1*rng.NormFloat64())
		}
		b.Series = append(b.Series, y)
	}
	b.Horizon = h
	out := NewForecasts(len(b.Series), h, false)
	if err := NewEngine().ForecastBatch(context.Background(), b, out); err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, f := range out {
		for _, v := range f.Mean {
			sum += v
		}
	}
	if mean := sum / float64(len(out)*h); math.Abs(mean-160) > 8 {
		t.Errorf("mean forecast of the weeks ahead %.1f; want 160 ± 8", mean)
	}
}

func TestEngineChoosesPerGroup(t *testing.T) {
	// Group 0 sits at 10, group 1 at 20; candidates forecast 10, 20 and 10.5.
	ten, twenty, near10 := newRecorder("ten", 10), newRecorder("twenty", 20), newRecorder("near10", 10.5)
	e := &Engine{Candidates: []Model{twenty, ten, near10}, MinGroupSeries: 1}
	var series [][]float64
	var groups []int
	for i := range 6 {
		series = append(series, constant(40, float64(10*(1+i%2))))
		groups = append(groups, i%2)
	}
	b := Batch{Series: series, Groups: groups, Horizon: 4}
	choices, err := e.Choose(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	// Group 0: "ten" is exact; "near10" errs 0.5 per week, not within 1.1 × 0. Group 1: "twenty".
	if got := choices[0].Models; !slices.Equal(got, []int{1}) {
		t.Errorf("group 0 chose %v; want [1] (ten)", got)
	}
	if got := choices[1].Models; !slices.Equal(got, []int{0}) {
		t.Errorf("group 1 chose %v; want [0] (twenty)", got)
	}
	if choices[0].Validated != 3 || choices[0].Pooled {
		t.Errorf("group 0: validated %d, pooled %v; want 3, false", choices[0].Validated, choices[0].Pooled)
	}
	out := NewForecasts(len(series), 4, true)
	if err := e.ForecastBatch(context.Background(), b, out); err != nil {
		t.Fatal(err)
	}
	for i, f := range out {
		if want := float64(10 * (1 + i%2)); f.Mean[0] != want {
			t.Errorf("series %d forecast %v; want %v", i, f.Mean[0], want)
		}
	}
}

func TestEngineCombinesNearEquals(t *testing.T) {
	// Level 10: candidates 9 and 11 err equally, 15 is far off: the mean of 9 and 11 is used.
	e := &Engine{Candidates: []Model{newRecorder("15", 15), newRecorder("9", 9), newRecorder("11", 11)}}
	b := Batch{Series: [][]float64{constant(40, 10)}, Horizon: 2}
	out := NewForecasts(1, 2, true)
	if err := e.ForecastBatch(context.Background(), b, out); err != nil {
		t.Fatal(err)
	}
	if got := out[0].Mean; !slices.Equal(got, []float64{10, 10}) {
		t.Errorf("combined forecast %v; want [10 10]", got)
	}
	ch, _ := e.Choose(context.Background(), b)
	if got := ch[0].Models; !slices.Equal(got, []int{1, 2}) {
		t.Errorf("chose %v; want [1 2] (ties keep candidate order)", got)
	}
	// One series in the group, below MinGroupSeries: the batch-wide sums decide (the same here).
	if !ch[0].Pooled {
		t.Errorf("a group of one was not pooled")
	}
}

func TestEngineFallsBackWithoutValidation(t *testing.T) {
	e := &Engine{Candidates: []Model{newRecorder("first", 1), newRecorder("second", 2)}}
	b := Batch{Series: [][]float64{{5, 5, 5}}, Horizon: 4}
	ch, err := e.Choose(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ch[0].Models, []int{0}) || ch[0].Errors != nil {
		t.Errorf("nothing to validate: chose %v with errors %v; want [0] and none", ch[0].Models, ch[0].Errors)
	}
}

func TestEngineSamplesLargeGroups(t *testing.T) {
	rec := newRecorder("rec", 1)
	e := &Engine{Candidates: []Model{rec}, Windows: 1, WindowChoices: 1, MaxValidationSeries: 4}
	series := make([][]float64, 10)
	for i := range series {
		series[i] = constant(20, 1)
	}
	out := NewForecasts(10, 2, false)
	if err := e.ForecastBatch(context.Background(), Batch{Series: series, Horizon: 2}, out); err != nil {
		t.Fatal(err)
	}
	// Stride ⌈10/4⌉ = 3: series 0, 3, 6, 9 are validated (one window each), then all 10 forecast.
	var validations int
	for _, n := range *rec.lens {
		if n == 18 {
			validations++
		}
	}
	if validations != 4 || len(*rec.lens) != 14 {
		t.Errorf("validated %d series with %d fits; want 4 and 14", validations, len(*rec.lens))
	}
}

func TestEngineIsDeterministicAcrossWorkers(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	var series [][]float64
	var groups []int
	for i := range 700 {
		y := randomSeries(r)
		if len(y) < 60 {
			y = append(y, benchSeries(80)...)
		}
		series = append(series, y)
		groups = append(groups, i%7)
	}
	var first []Forecast
	for _, w := range []int{1, 2, 3} {
		out := NewForecasts(len(series), 4, true)
		if err := NewEngine().ForecastBatch(context.Background(), Batch{Series: series, Groups: groups, Horizon: 4, Workers: w}, out); err != nil {
			t.Fatal(err)
		}
		for i, f := range out {
			for j := range f.Mean {
				if !(f.Lower[j] >= 0 && f.Lower[j] <= f.Mean[j] && f.Mean[j] <= f.Upper[j]) || math.IsNaN(f.Upper[j]) {
					t.Fatalf("series %d week %d: %v in [%v, %v]; want 0 ≤ lower ≤ mean ≤ upper", i, j+1, f.Mean[j], f.Lower[j], f.Upper[j])
				}
			}
		}
		if first == nil {
			first = out
			continue
		}
		for i := range out {
			if !slices.Equal(out[i].Mean, first[i].Mean) || !slices.Equal(out[i].Upper, first[i].Upper) {
				t.Fatalf("Workers %d: series %d forecast %v; with 1 worker %v", w, i, out[i].Mean, first[i].Mean)
			}
		}
	}
}

func TestBatchValidation(t *testing.T) {
	ok := [][]float64{{1, 2, 3}}
	tests := []struct {
		name string
		b    Batch
		out  []Forecast
	}{
		{"zero horizon", Batch{Series: ok}, NewForecasts(1, 0, false)},
		{"short output", Batch{Series: ok, Horizon: 2}, nil},
		{"wrong output length", Batch{Series: ok, Horizon: 2}, NewForecasts(1, 3, false)},
		{"interval length", Batch{Series: ok, Horizon: 2}, []Forecast{{Mean: make([]float64, 2), Lower: make([]float64, 1)}}},
		{"groups length", Batch{Series: ok, Groups: []int{0, 1}, Horizon: 2}, NewForecasts(1, 2, false)},
		{"negative group", Batch{Series: ok, Groups: []int{-1}, Horizon: 2}, NewForecasts(1, 2, false)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, m := range []Method{NewEngine(), Each(Naive{})} {
				out := tt.out
				if out == nil {
					out = []Forecast{}
				}
				if err := m.ForecastBatch(context.Background(), tt.b, out); !errors.Is(err, ErrInvalidBatch) {
					t.Errorf("%s.ForecastBatch(%s) error = %v; want ErrInvalidBatch", m.Name(), tt.name, err)
				}
			}
		})
	}
	e := NewEngine()
	b := Batch{Series: ok, Horizon: 2}
	if err := e.Apply(context.Background(), b, []Choice{{Models: []int{99}}}, NewForecasts(1, 2, false)); !errors.Is(err, ErrInvalidBatch) {
		t.Errorf("Apply with an unknown model: error %v; want ErrInvalidBatch", err)
	}
	if err := e.Apply(context.Background(), b, nil, NewForecasts(1, 2, false)); !errors.Is(err, ErrInvalidBatch) {
		t.Errorf("Apply without choices: error %v; want ErrInvalidBatch", err)
	}
}

func TestEngineCandidateNames(t *testing.T) {
	want := []string{"seas-ratio", "ses", "damped", "ma", "tsb", "sba", "croston", "snaive", "naive",
		"pooled-seasonal", "group-share"}
	if got := NewEngine().CandidateNames(); !slices.Equal(got, want) {
		t.Errorf("CandidateNames() = %v; want %v", got, want)
	}
}

// BenchmarkEngine times the engine on synthetic series (two years of weekly history, 500 series per
// group) and reports the cost per series; 1,000,000 series must take under 60 s on 2 cores.
func BenchmarkEngine(b *testing.B) {
	const n, groups = 20000, 40
	r := rand.New(rand.NewPCG(11, 12))
	series := make([][]float64, n)
	gs := make([]int, n)
	for i := range series {
		y := make([]float64, 104)
		scale := math.Exp(r.NormFloat64() * 1.5)
		for t := range y {
			season := 1 + 0.3*math.Sin(2*math.Pi*float64(t)/52)
			y[t] = math.Max(0, math.Round(scale*season*(1+0.5*r.NormFloat64())))
		}
		series[i], gs[i] = y, i%groups
	}
	out := NewForecasts(n, 4, true)
	e := NewEngine()
	bt := Batch{Series: series, Groups: gs, Horizon: 4}
	for b.Loop() {
		if err := e.ForecastBatch(context.Background(), bt, out); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/n, "µs/series")
}

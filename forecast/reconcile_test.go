package forecast

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func fc(mean, lower, upper []float64) Forecast {
	return Forecast{Mean: mean, Lower: lower, Upper: upper}
}

func TestReconcileByHand(t *testing.T) {
	series := []Forecast{
		fc([]float64{1, 2}, []float64{0, 1}, []float64{2, 4}),   // brand 0
		fc([]float64{3, 0}, []float64{1, 0}, []float64{5, 1}),   // brand 1
		fc([]float64{-1, 4}, []float64{-2, 4}, []float64{1, 4}), // brand 0; -1 is clipped to 0
	}
	r, err := Reconcile(series, []int{0, 1, 0}, 2)
	if err != nil {
		t.Fatalf("Reconcile: %v", err)
	}
	if got := series[2]; !slices.Equal(got.Mean, []float64{0, 4}) || !slices.Equal(got.Lower, []float64{0, 4}) ||
		!slices.Equal(got.Upper, []float64{1, 4}) {
		t.Errorf("series 2 made valid = %v; want mean [0 4], lower [0 4], upper [1 4]", got)
	}
	tests := []struct {
		name               string
		got                Forecast
		mean, lower, upper []float64
	}{
		{"brand 0", r.Brands[0], []float64{1, 6},
			[]float64{0, 6 - 1}, []float64{1 + math.Sqrt(2), 6 + 2}},
		{"brand 1", r.Brands[1], []float64{3, 0}, []float64{1, 0}, []float64{5, 1}},
		{"total", r.Total, []float64{4, 6},
			[]float64{4 - math.Sqrt(1+4), 6 - 1}, []float64{4 + math.Sqrt(1+1+4), 6 + math.Sqrt(4+1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for j := range 2 {
				if !closeTo(tt.got.Mean[j], tt.mean[j]) || !closeTo(tt.got.Lower[j], tt.lower[j]) || !closeTo(tt.got.Upper[j], tt.upper[j]) {
					t.Errorf("week %d = %v [%v, %v]; want %v [%v, %v]", j, tt.got.Mean[j], tt.got.Lower[j], tt.got.Upper[j],
						tt.mean[j], tt.lower[j], tt.upper[j])
				}
			}
		})
	}
}

func closeTo(a, b float64) bool { return math.Abs(a-b) <= 1e-12*max(1, math.Abs(b)) }

func TestReconcileErrors(t *testing.T) {
	ok := []Forecast{fc([]float64{1}, nil, nil), fc([]float64{1}, nil, nil)}
	tests := []struct {
		name    string
		series  []Forecast
		brandOf []int
		brands  int
	}{
		{"lengths", ok, []int{0}, 1},
		{"brand out of range", ok, []int{0, 1}, 1},
		{"negative brand", ok, []int{0, -1}, 1},
		{"horizons differ", []Forecast{fc([]float64{1}, nil, nil), fc([]float64{1, 2}, nil, nil)}, []int{0, 0}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Reconcile(tt.series, tt.brandOf, tt.brands); !errors.Is(err, ErrInvalidReconciliation) {
				t.Errorf("Reconcile = %v; want %v", err, ErrInvalidReconciliation)
			}
		})
	}
	r, err := Reconcile(ok, []int{0, 0}, 1)
	if err != nil || r.Brands[0].Lower != nil || r.Total.Mean[0] != 2 {
		t.Errorf("Reconcile without intervals = %+v, %v; want total 2 and no interval", r, err)
	}
}

// randomForecasts returns n forecasts of h weeks with values over several orders of magnitude, some
// negative or NaN (as a careless model might give), and random brands.
func randomForecasts(rng *rand.Rand, n, h, brands int) ([]Forecast, []int) {
	out := NewForecasts(n, h, true)
	brandOf := make([]int, n)
	for i, f := range out {
		brandOf[i] = rng.IntN(brands)
		for j := range h {
			m := math.Exp(rng.NormFloat64()*3) * float64(rng.IntN(2))
			switch rng.IntN(50) {
			case 0:
				m = -m
			case 1:
				m = math.NaN()
			}
			f.Mean[j] = m
			f.Lower[j] = m - rng.Float64()*m
			f.Upper[j] = m + rng.Float64()*m*2
		}
	}
	return out, brandOf
}

// checkSums reports levels that do not add up within 1e-9 relative, or negative values.
func checkSums(t *testing.T, series []Forecast, brandOf []int, r Reconciled) {
	t.Helper()
	h := len(r.Total.Mean)
	brandSum := make([][]float64, len(r.Brands))
	for b := range brandSum {
		brandSum[b] = make([]float64, h)
	}
	for i, f := range series {
		for j, m := range f.Mean {
			if !(m >= 0) || (f.Lower != nil && !(f.Lower[j] >= 0 && f.Lower[j] <= m && f.Upper[j] >= m)) {
				t.Fatalf("series %d week %d = %v [%v, %v]; want 0 ≤ lower ≤ mean ≤ upper", i, j, m, f.Lower[j], f.Upper[j])
			}
			brandSum[brandOf[i]][j] += m
		}
	}
	const tol = 1e-9
	for j := range h {
		var total float64
		for b, bf := range r.Brands {
			if d := math.Abs(bf.Mean[j] - brandSum[b][j]); d > tol*bf.Mean[j] {
				t.Errorf("brand %d week %d = %v; its series add up to %v", b, j, bf.Mean[j], brandSum[b][j])
			}
			if !(bf.Lower[j] >= 0 && bf.Lower[j] <= bf.Mean[j] && bf.Upper[j] >= bf.Mean[j]) {
				t.Errorf("brand %d week %d = %v [%v, %v]; want 0 ≤ lower ≤ mean ≤ upper", b, j, bf.Mean[j], bf.Lower[j], bf.Upper[j])
			}
			total += brandSum[b][j]
		}
		if d := math.Abs(r.Total.Mean[j] - total); d > tol*total || r.Total.Lower[j] < 0 {
			t.Errorf("total week %d = %v [%v, …]; the series add up to %v", j, r.Total.Mean[j], r.Total.Lower[j], total)
		}
	}
}

// Property: whatever the forecasts, the levels add up and nothing is negative.
func TestReconcileSumsExactly(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 50 {
		n, h, brands := 1+rng.IntN(2000), 1+rng.IntN(8), 1+rng.IntN(40)
		series, brandOf := randomForecasts(rng, n, h, brands)
		r, err := Reconcile(series, brandOf, brands)
		if err != nil {
			t.Fatalf("trial %d: Reconcile: %v", trial, err)
		}
		checkSums(t, series, brandOf, r)
	}
}

func TestDistribute(t *testing.T) {
	series := []Forecast{
		fc([]float64{1, 0}, []float64{0.5, 0}, []float64{2, 0}), // brand 0
		fc([]float64{3, 0}, []float64{1, 0}, []float64{4, 0}),   // brand 0
		fc([]float64{2, 2}, []float64{1, 1}, []float64{3, 3}),   // brand 1, no target: unchanged
	}
	brandOf := []int{0, 0, 1}
	if err := Distribute(series, brandOf, [][]float64{{8, 3}, nil}); err != nil {
		t.Fatalf("Distribute: %v", err)
	}
	want := []Forecast{
		fc([]float64{2, 1.5}, []float64{1, 1.5}, []float64{4, 1.5}),
		fc([]float64{6, 1.5}, []float64{2, 1.5}, []float64{8, 1.5}),
		fc([]float64{2, 2}, []float64{1, 1}, []float64{3, 3}),
	}
	for i := range series {
		if !slices.Equal(series[i].Mean, want[i].Mean) || !slices.Equal(series[i].Lower, want[i].Lower) ||
			!slices.Equal(series[i].Upper, want[i].Upper) {
			t.Errorf("series %d = %v; want %v", i, series[i], want[i])
		}
	}
	for _, bad := range [][][]float64{{{1}, nil}, {{-1, 0}, nil}, {{math.NaN(), 0}, nil}, {{1, 1}}} {
		if err := Distribute(series, brandOf, bad); !errors.Is(err, ErrInvalidReconciliation) {
			t.Errorf("Distribute(targets %v) = %v; want %v", bad, err, ErrInvalidReconciliation)
		}
	}
}

// Property: brand totals set top-down come out of Reconcile, exactly up to rounding.
func TestDistributeThenReconcile(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 30 {
		n, h, brands := 1+rng.IntN(1000), 1+rng.IntN(6), 1+rng.IntN(20)
		series, brandOf := randomForecasts(rng, n, h, brands)
		targets := make([][]float64, brands)
		for b := range targets {
			if rng.IntN(4) == 0 {
				continue
			}
			targets[b] = make([]float64, h)
			for j := range targets[b] {
				targets[b][j] = rng.Float64() * 1000 * float64(rng.IntN(3))
			}
		}
		if err := Distribute(series, brandOf, targets); err != nil {
			t.Fatalf("trial %d: Distribute: %v", trial, err)
		}
		r, err := Reconcile(series, brandOf, brands)
		if err != nil {
			t.Fatalf("trial %d: Reconcile: %v", trial, err)
		}
		checkSums(t, series, brandOf, r)
		for b, tg := range targets {
			has := false
			for _, x := range brandOf {
				has = has || x == b
			}
			for j, v := range tg {
				if has && math.Abs(r.Brands[b].Mean[j]-v) > 1e-9*v {
					t.Errorf("trial %d: brand %d week %d = %v; want the target %v", trial, b, j, r.Brands[b].Mean[j], v)
				}
			}
		}
	}
}

func TestSplitMonths(t *testing.T) {
	weeks := []time.Time{
		time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), // 1 day in November, 6 in December
	}
	s := SplitMonths(weeks)
	wantMonths := []time.Time{time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	if !slices.EqualFunc(s.Months, wantMonths, time.Time.Equal) {
		t.Fatalf("Months = %v; want %v", s.Months, wantMonths)
	}
	got := s.Sum(nil, []float64{7, 14, 70})
	if !closeTo(got[0], 7+14+10) || !closeTo(got[1], 60) {
		t.Errorf("Sum = %v; want [31 60]", got)
	}
}

package forecast

import (
	"math"
	"testing"
)

func TestAccuracy(t *testing.T) {
	tests := []struct {
		name string
		a, f float64
		want float64
	}{
		{"exact", 10, 10, 1},
		{"under", 10, 8, 0.8},
		{"over", 10, 13, 0.7},
		{"more than double", 10, 25, 0},
		{"nothing forecast", 10, 0, 0},
		{"no demand, none forecast", 0, 0, 1},
		{"no demand, some forecast", 0, 0.5, 0},
		{"net returns", -10, -8, 0.8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Accuracy(tt.a, tt.f); !near(got, tt.want) {
				t.Errorf("Accuracy(%v, %v) = %v; want %v", tt.a, tt.f, got, tt.want)
			}
		})
	}
}

func TestSetAccuracyAndWAPE(t *testing.T) {
	tests := []struct {
		name      string
		a, f      []float64
		acc, wape float64
	}{
		{"mixed", []float64{10, 0, 5}, []float64{8, 1, 5}, 1 - 3.0/15, 3.0 / 15},
		{"unclipped below 0", []float64{1, 1}, []float64{5, 5}, 1 - 8.0/2, 4},
		{"all zero, exact", []float64{0, 0}, []float64{0, 0}, 1, 0},
		{"all zero, missed", []float64{0, 0}, []float64{0, 2}, 0, math.Inf(1)},
		{"returns", []float64{10, -2}, []float64{10, 0}, 1 - 2.0/8, 2.0 / 12},
		{"empty", nil, nil, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SetAccuracy(tt.a, tt.f); !near(got, tt.acc) {
				t.Errorf("SetAccuracy(%v, %v) = %v; want %v", tt.a, tt.f, got, tt.acc)
			}
			if got := WAPE(tt.a, tt.f); got != tt.wape && !near(got, tt.wape) {
				t.Errorf("WAPE(%v, %v) = %v; want %v", tt.a, tt.f, got, tt.wape)
			}
		})
	}
}

func TestRMSSE(t *testing.T) {
	tests := []struct {
		name       string
		history    []float64
		a, f       []float64
		want       float64
		wantScaled bool
	}{
		// From the first non-zero week: 1, 3, 2 → changes 2, −1 → scale 2.5; MSE 1.
		{"leading zeros skipped", []float64{0, 0, 1, 3, 2}, []float64{2, 4}, []float64{3, 3}, math.Sqrt(1 / 2.5), true},
		{"perfect", []float64{1, 2}, []float64{5}, []float64{5}, 0, true},
		{"constant history", []float64{4, 4, 4}, []float64{4}, []float64{5}, 0, false},
		{"no history", nil, []float64{4}, []float64{5}, 0, false},
		{"one non-zero week", []float64{0, 0, 7}, []float64{4}, []float64{5}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := RMSSE(tt.history, tt.a, tt.f)
			if ok != tt.wantScaled || !near(got, tt.want) {
				t.Errorf("RMSSE(%v, %v, %v) = %v, %v; want %v, %v", tt.history, tt.a, tt.f, got, ok, tt.want, tt.wantScaled)
			}
		})
	}
}

func TestScorerMetrics(t *testing.T) {
	// Two origins, two brands. Origin 0: brand 0 has series (A 10, F 8) and (A 5, F 9); brand 1 has
	// (A 0, F 1). Origin 1: brand 0 (A 10, F 10) and (A 5, F 5); brand 1 (A 20, F 10).
	sc := newScorer(2, 2)
	hist := []float64{1, 2, 4}                                  // changes 1, 2: scale 2.5
	sc.add(0, 0, hist, []float64{10}, []float64{8})             // RMSSE 2/√2.5
	sc.add(0, 0, []float64{3, 3}, []float64{5}, []float64{9})   // constant history: no RMSSE
	sc.add(0, 1, []float64{0}, []float64{0}, []float64{1})      // no history: no RMSSE
	sc.add(1, 0, hist, []float64{10}, []float64{10})            // RMSSE 0
	sc.add(1, 0, hist, []float64{5}, []float64{5})              // RMSSE 0
	sc.add(1, 1, []float64{1, 2}, []float64{20}, []float64{10}) // scale 1: RMSSE 10
	m := sc.metrics(1.5)
	want := Metrics{
		WAPE: (2 + 4 + 1 + 0 + 0 + 10) / 50.0,
		Bias: (-2 + 4 + 1 + 0 + 0 - 10) / 50.0,
		// Brand windows: (15, 17) → 13/15 weight 15; (0, 1) → 0 weight 0; (15, 15) → 1 weight 15;
		// (20, 10) → 0.5 weight 20.
		BrandAccuracy: (15*13.0/15 + 15*1 + 20*0.5) / 50,
		// Totals: (15, 18) → 0.8 weight 15; (35, 25) → 1 − 10/35 weight 35.
		TotalAccuracy: (15*0.8 + 35*(1-10.0/35)) / 50,
		RMSSE:         (2/math.Sqrt(2.5) + 0 + 0 + 10) / 4,
		Seconds:       1.5,
	}
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"WAPE", m.WAPE, want.WAPE}, {"Bias", m.Bias, want.Bias},
		{"BrandAccuracy", m.BrandAccuracy, want.BrandAccuracy}, {"TotalAccuracy", m.TotalAccuracy, want.TotalAccuracy},
		{"RMSSE", m.RMSSE, want.RMSSE}, {"Seconds", m.Seconds, want.Seconds},
	} {
		if !near(c.got, c.want) {
			t.Errorf("metrics().%s = %v; want %v", c.name, c.got, c.want)
		}
	}
}

package forecast

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

func TestCensoringCorrect(t *testing.T) {
	tests := []struct {
		name      string
		share     float64
		sales     []float64
		requested []float64
		censored  []bool
		want      []float64
	}{
		{"nothing censored", 0, []float64{3, 0, 2}, []float64{3, 0, 2}, []bool{false, false, false}, []float64{3, 0, 2}},
		{"limited: midpoint of grant and request", 0, []float64{4, 2, 4}, []float64{4, 6, 4},
			[]bool{false, true, false}, []float64{4, 4, 4}},
		{"stock-out: granted 0, request counts", 0, []float64{2, 0}, []float64{2, 3}, []bool{false, true},
			[]float64{2, 1.5}},
		{"share 1: the request", 1, []float64{2, 0}, []float64{2, 3}, []bool{false, true}, []float64{2, 3}},
		{"share 0.25", 0.25, []float64{1}, []float64{5}, []bool{true}, []float64{2}},
		{"no usable request: mean of the estimates before, not 0", 0,
			[]float64{2, 4, 2, 4, 0, 0}, []float64{2, 4, 2, 4, 0, 0}, []bool{false, false, false, false, true, true},
			[]float64{2, 4, 2, 4, 3, 3.25}},
		{"no usable request at the start: the sales", 0, []float64{1, 2}, []float64{0, 2}, []bool{true, false},
			[]float64{1, 2}},
		{"no usable request, sales above the mean stay", 0, []float64{1, 5}, []float64{1, 5}, []bool{false, true},
			[]float64{1, 5}},
		{"uncensored week with a larger request (failed order) keeps its sales", 0, []float64{0}, []float64{4},
			[]bool{false}, []float64{0}},
		{"short flag and request slices", 0, []float64{1, 2}, nil, []bool{true}, []float64{1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := SalesSeries{Sales: tt.sales, Requested: tt.requested, Censored: tt.censored}
			c := Censoring{UnmetShare: tt.share}
			if got := c.Correct(nil, s); !slices.Equal(got, tt.want) {
				t.Errorf("Correct(%v, %v, %v) = %v; want %v", tt.sales, tt.requested, tt.censored, got, tt.want)
			}
			// In place, over the sales themselves.
			s.Sales = slices.Clone(tt.sales)
			if got := c.Correct(s.Sales, s); !slices.Equal(got, tt.want) || !slices.Equal(s.Sales, tt.want) {
				t.Errorf("Correct in place = %v (sales now %v); want %v", got, s.Sales, tt.want)
			}
		})
	}
}

func TestCensoringDemandLeavesSalesAlone(t *testing.T) {
	p := SalesPanel{
		Weeks: mondays(3),
		Series: []SalesSeries{
			{Outlet: "o1", Brand: "b", Sales: []float64{1, 1, 1}, Requested: []float64{1, 3, 1}, Censored: []bool{false, true, false}},
			{Outlet: "o2", Brand: "b", Sales: []float64{0, 2, 0}, Requested: []float64{0, 2, 0}, Censored: []bool{false, false, false}},
		},
	}
	d := Censoring{}.Demand(p)
	if got := d.Series[0].Values; !slices.Equal(got, []float64{1, 2, 1}) {
		t.Errorf("Demand: o1 = %v; want [1 2 1]", got)
	}
	if got := d.Series[1].Values; !slices.Equal(got, []float64{0, 2, 0}) {
		t.Errorf("Demand: o2 = %v; want [0 2 0]", got)
	}
	if got := p.Series[0].Sales; !slices.Equal(got, []float64{1, 1, 1}) {
		t.Errorf("Demand changed the sales to %v", got)
	}
	if got := p.Panel().Series[0].Values; !slices.Equal(got, []float64{1, 1, 1}) {
		t.Errorf("Panel() = %v; want the sales [1 1 1]", got)
	}
	if n := p.CensoredWeeks(); n != 1 {
		t.Errorf("CensoredWeeks() = %d; want 1", n)
	}
}

func TestTrainOn(t *testing.T) {
	actual := [][]float64{{9, 9, 9, 9}, {9, 9, 9, 9}}
	train := [][]float64{{1, 2, 3, 4}, {5, 6, 7, 8}}
	out := NewForecasts(2, 1, false)
	b := Batch{Series: [][]float64{actual[0][:2], actual[1][:3]}, Horizon: 1}
	if err := TrainOn(Each(Naive{}), train).ForecastBatch(context.Background(), b, out); err != nil {
		t.Fatalf("ForecastBatch: %v", err)
	}
	if out[0].Mean[0] != 2 || out[1].Mean[0] != 7 {
		t.Errorf("TrainOn(naive) = %v, %v; want 2 and 7, the last training values seen", out[0].Mean, out[1].Mean)
	}
	err := TrainOn(Each(Naive{}), train[:1]).ForecastBatch(context.Background(), b, out)
	if !errors.Is(err, ErrInvalidBatch) {
		t.Errorf("TrainOn with too few training series = %v; want %v", err, ErrInvalidBatch)
	}
	b.Series[0] = []float64{1, 2, 3, 4, 5}
	err = TrainOn(Each(Naive{}), train).ForecastBatch(context.Background(), b, out)
	if !errors.Is(err, ErrInvalidBatch) {
		t.Errorf("TrainOn with a short training series = %v; want %v", err, ErrInvalidBatch)
	}
}

// mondays returns n consecutive Mondays from 2026-01-05.
func mondays(n int) []time.Time {
	out := make([]time.Time, n)
	for i := range out {
		out[i] = time.Date(2026, 1, 5+7*i, 0, 0, 0, 0, time.UTC)
	}
	return out
}

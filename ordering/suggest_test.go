package ordering

import (
	"math"
	"strings"
	"testing"
)

func TestSuggestCovering(t *testing.T) {
	three := 3
	tests := []struct {
		name                 string
		demand, upper, stock float64
		line                 CatalogueLine
		want                 int
	}{
		{"safety stock is the interval above the point", 10, 14, 0, CatalogueLine{}, 14},
		{"a wider interval, more safety stock", 10, 19, 0, CatalogueLine{}, 19},
		{"stock on hand counts", 10, 14, 6, CatalogueLine{}, 8},
		{"no safety below the point", 10, 8, 0, CatalogueLine{}, 10},
		{"NaN upper: no safety", 10, math.NaN(), 0, CatalogueLine{}, 10},
		{"capped by the limit", 10, 14, 0, CatalogueLine{Ordered: 2, Remaining: &three}, 5},
		{"never below 0", 2, 3, 9, CatalogueLine{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SuggestCovering(tt.demand, tt.upper, tt.stock, tt.line); got != tt.want {
				t.Errorf("SuggestCovering(%v, %v, %v, %+v) = %d; want %d", tt.demand, tt.upper, tt.stock, tt.line, got, tt.want)
			}
		})
	}
}

func TestSuggestFor(t *testing.T) {
	two, three := 2, 3
	stock := func(v float64) *float64 { return &v }
	tests := []struct {
		name   string
		d      Demand
		stock  *float64
		line   CatalogueLine
		want   int
		phrase []string
	}{
		{"interval: the upper bound less stock", Demand{Expected: 4.2, Upper: 7.4}, stock(1.6), CatalogueLine{}, 6,
			[]string{"forecast upper bound 7.4", "forecast 4.2", "90% of weeks", "− 1.6 on hand = 6"}},
		{"a wider interval suggests more", Demand{Expected: 4.2, Upper: 11.4}, stock(1.6), CatalogueLine{}, 10,
			[]string{"upper bound 11.4", "= 10"}},
		{"an upper below the point counts as the point", Demand{Expected: 4, Upper: 3}, nil, CatalogueLine{}, 4,
			[]string{"upper bound 4.0", "= 4", "no recent stock count"}},
		{"no interval: a quarter week of safety stock", Demand{Expected: 4}, stock(1.6), CatalogueLine{}, 3,
			[]string{"expected demand 4.0 × 1.25", "no forecast interval", "− 1.6 on hand = 3"}},
		{"capped by the limit", Demand{Expected: 8, Upper: 12}, nil, CatalogueLine{Ordered: 1, Remaining: &two}, 3,
			[]string{"capped at 3 by the limit (1 ordered, 2 remaining)"}},
		{"a limit above the need does not cap", Demand{Expected: 1, Upper: 2}, stock(0), CatalogueLine{Remaining: &three}, 2,
			[]string{"= 2"}},
		{"stock above the bound: nothing", Demand{Expected: 2, Upper: 3}, stock(50), CatalogueLine{}, 0,
			[]string{"− 50.0 on hand = 0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SuggestFor(tt.d, tt.stock, tt.line)
			if got.Quantity != tt.want {
				t.Errorf("SuggestFor(%+v, %v, %+v) = %d (%s); want %d", tt.d, tt.stock, tt.line, got.Quantity, got.Explanation, tt.want)
			}
			for _, p := range tt.phrase {
				if !strings.Contains(got.Explanation, p) {
					t.Errorf("SuggestFor(%+v) explains %q; want it to say %q", tt.d, got.Explanation, p)
				}
			}
		})
	}
}

package ordering

import (
	"math"
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

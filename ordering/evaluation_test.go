package ordering

import (
	"math"
	"testing"
	"time"
)

func TestStage(t *testing.T) {
	month := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	flat := []float64{10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10}
	tests := []struct {
		name string
		b    BrandMonth
		want Lifecycle
	}{
		{"launched two months ago", BrandMonth{NewProduct: true, Launch: month.AddDate(0, -1, 0), Sales: []float64{0, 5}}, Introduced},
		{"first sales two months ago", BrandMonth{FirstSale: month.AddDate(0, -1, 0), Sales: []float64{0, 5}}, Introduced},
		{"launched half a year ago, growing", BrandMonth{NewProduct: true, Launch: month.AddDate(0, -6, 0), Sales: []float64{4, 6}}, Cultivated},
		{"launched half a year ago, falling back", BrandMonth{NewProduct: true, Launch: month.AddDate(0, -6, 0), Sales: []float64{6, 4}}, Maintained},
		{"established", BrandMonth{FirstSale: month.AddDate(-2, 0, 0), Sales: flat}, Maintained},
		{"falling three months below a fifth of its best", BrandMonth{FirstSale: month.AddDate(-2, 0, 0), Sales: []float64{50, 40, 20, 12, 9}}, Retired},
		{"below a fifth but not falling", BrandMonth{FirstSale: month.AddDate(-2, 0, 0), Sales: []float64{50, 9, 8, 9, 9}}, Maintained},
		{"no sales any more", BrandMonth{FirstSale: month.AddDate(-2, 0, 0), Sales: []float64{50, 40, 0}}, Retired},
	}
	for _, tt := range tests {
		if got := Stage(tt.b, month); got != tt.want {
			t.Errorf("%s: Stage = %s; want %s", tt.name, got, tt.want)
		}
	}
}

func TestEvaluate(t *testing.T) {
	month := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC) // 4 weeks
	stock, acc := 40, 0.9
	es := Evaluate(month, []BrandMonth{
		{Brand: "A", Sales: []float64{10, 20}, Buyers: 30, Active: 60, Ordered: 40, Reordered: 30, Stock: &stock, Accuracy: &acc},
		{Brand: "B", Sales: []float64{20, 10}, Buyers: 10, Active: 60, Ordered: 40, Reordered: 10},
		{Brand: "C", Sales: []float64{0, 5}, Buyers: 20, Active: 60},
	})
	if es[0].Brand != "A" || es[0].Rank != 1 || es[2].Brand != "B" {
		t.Fatalf("ranking %s, %s, %s; want A first and B last", es[0].Brand, es[1].Brand, es[2].Brand)
	}
	a := es[0]
	if *a.Growth != 1 || a.ListingRate != 0.5 || *a.SellThrough != 0.75 || math.Abs(*a.StockToSales-8) > 1e-9 || a.Score != 1 {
		t.Errorf("A = growth %v, listing %v, sell-through %v, stock-to-sales %v, score %v; want 1, 0.5, 0.75, 8 weeks, 1",
			*a.Growth, a.ListingRate, *a.SellThrough, *a.StockToSales, a.Score)
	}
	if c := es[1]; c.Growth != nil || c.SellThrough != nil || c.StockToSales != nil {
		t.Errorf("C = %+v; want no growth (none before), no sell-through, no stock-to-sales", c)
	}
}

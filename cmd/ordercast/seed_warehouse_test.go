package main

import (
	"reflect"
	"testing"
	"time"

	"github.com/ordercast/ordercast/ordering"
	"github.com/ordercast/ordercast/retailer/indicators"
)

func TestWarehousePlan(t *testing.T) {
	d := func(s string) time.Time { v, _ := time.Parse(time.DateOnly, s); return v }
	weeks := []time.Time{d("2026-11-30"), d("2026-12-07"), d("2026-12-14")}
	brands := []brandSupply{
		{Brand: "ON", Demand: 100, Factors: []float64{1, 1.2, 0.5}},
		{Brand: "SC", Scarce: true, Demand: 80, Supply: 50, Factors: []float64{1, 2, 1}},
		{Brand: "NEW", Demand: 0, Factors: []float64{1, 1, 1}}, // no demand yet: limits of 0, nothing planned
	}
	// Thursday 3 December: this week's Wednesday is past, so its arrival is today.
	stock, limits, arrivals := warehousePlan(brands, weeks, time.Date(2026, 12, 3, 15, 0, 0, 0, time.UTC))
	if want := map[string]int{"ON": 150, "NEW": 0}; !reflect.DeepEqual(stock, want) {
		t.Errorf("stock = %v; want %v: 1.5 weeks of demand on sale, none of a scarce brand", stock, want)
	}
	for brand, want := range map[string][2]int{"ON": {50, 300}, "SC": {0, 80}, "NEW": {0, 0}} {
		if l := limits[brand]; l.Lower != want[0] || l.Upper != want[1] || l.Basis == "" {
			t.Errorf("limits of %s = %+v; want %d … %d with a basis", brand, l, want[0], want[1])
		}
	}
	type plan struct {
		brand, on string
		cartons   int
	}
	var got []plan
	for _, a := range arrivals {
		if a.Cadence != ordering.Weekly {
			t.Errorf("arrival %+v; want a weekly cadence", a)
		}
		got = append(got, plan{a.Brand, a.ArrivesOn.Format(time.DateOnly), a.Cartons})
	}
	want := []plan{
		{"ON", "2026-12-03", 105}, {"ON", "2026-12-09", 126}, {"ON", "2026-12-16", 53}, // demand × factor × 1.05, up
		{"SC", "2026-12-03", 50}, {"SC", "2026-12-09", 50}, {"SC", "2026-12-16", 50}, // the supply of late, flat
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("arrivals = %v; want %v", got, want)
	}
	// Sunday 6 December: the week of 30 November is over.
	if _, _, arrivals := warehousePlan(brands[:1], weeks, time.Date(2026, 12, 6, 23, 0, 0, 0, time.UTC)); len(arrivals) != 3 ||
		arrivals[0].ArrivesOn.Format(time.DateOnly) != "2026-12-06" {
		t.Errorf("arrivals planned on Sunday 6 December = %+v; want the week under way's that day, then Wednesdays", arrivals)
	}
}

// The seeded targets are valid, one for every indicator.
func TestSeedTargets(t *testing.T) {
	seen := map[indicators.Indicator]bool{}
	for _, tg := range seedTargets() {
		if err := indicators.CheckTarget(tg); err != nil {
			t.Errorf("target %+v: %v", tg, err)
		}
		seen[tg.Indicator] = true
	}
	for _, s := range indicators.Specs {
		if !seen[s.Indicator] {
			t.Errorf("no seeded target for %s", s.Indicator)
		}
	}
}

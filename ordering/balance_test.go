package ordering

import (
	"math"
	"reflect"
	"testing"
	"time"
)

func monday(n int) time.Time { return time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 7*n) }

func fc(week int, point float64, arrivals int) WeekDemand {
	return WeekDemand{Week: monday(week), Forecast: point, Lo80: point * 0.8, Hi80: point * 1.2, HasForecast: true, Arrivals: arrivals}
}

func TestComputeBalanceWeekByWeek(t *testing.T) {
	tests := []struct {
		name      string
		in        BalanceInput
		projected []float64
		shortfall []float64
		proposal  *ScarceProposal
	}{
		{
			name:      "stock and arrivals cover demand",
			in:        BalanceInput{Brand: "B1", Stock: 100, Weeks: []WeekDemand{fc(0, 40, 0), fc(1, 40, 50), fc(2, 40, 0)}},
			projected: []float64{60, 70, 30},
			shortfall: []float64{0, 0, 0},
		},
		{
			name:      "a shortfall in the second week is proposed with the week's supply",
			in:        BalanceInput{Brand: "B1", Stock: 50, Weeks: []WeekDemand{fc(0, 30, 0), fc(1, 30, 5), fc(2, 30, 40)}},
			projected: []float64{20, 0, 10},
			shortfall: []float64{0, 5, 0},
			proposal:  &ScarceProposal{Week: monday(1), Supply: 25, Demand: 30, Shortfall: 5},
		},
		{
			name: "requested above forecast counts; delivered already left the stock",
			in: BalanceInput{Brand: "B1", Stock: 20, Weeks: []WeekDemand{
				{Week: monday(0), Forecast: 10, Hi80: 12, HasForecast: true, Requested: 25, Delivered: 15},
				{Week: monday(1), Forecast: 10, Hi80: 12, HasForecast: true}}},
			projected: []float64{10, 0},
			shortfall: []float64{0, 0},
		},
		{
			name: "weeks after the forecast run take its run rate, not no demand",
			in: BalanceInput{Brand: "B1", Stock: 20, WeeklySales: 99, Weeks: []WeekDemand{fc(0, 10, 10), fc(1, 14, 10),
				{Week: monday(2), Arrivals: 10}, {Week: monday(3), Arrivals: 0}}},
			projected: []float64{20, 16, 14, 2},
			shortfall: []float64{0, 0, 0, 0},
		},
		{
			name: "without any forecast, what was requested",
			in: BalanceInput{Brand: "B1", Stock: 10, WeeklySales: 6, Weeks: []WeekDemand{
				{Week: monday(0), Arrivals: 4}, {Week: monday(1), Requested: 15}}},
			projected: []float64{14, 0},
			shortfall: []float64{0, 1},
			proposal:  &ScarceProposal{Week: monday(1), Supply: 14, Demand: 15, Shortfall: 1},
		},
		{
			name: "a return raises the stock the balance starts from",
			// 20 in stock after 5 cartons came back: Σ movements = 30 arrived − 15 delivered + 5 returned
			in:        BalanceInput{Brand: "B1", Stock: StockOf([]Movement{{Kind: Arrival, Cartons: 30}, {Kind: Delivery, Cartons: -15}, {Kind: Return, Cartons: 5}}), Weeks: []WeekDemand{fc(0, 18, 0)}},
			projected: []float64{2},
			shortfall: []float64{0},
		},
		{
			name:      "an adjustment down makes a shortfall",
			in:        BalanceInput{Brand: "B1", Stock: StockOf([]Movement{{Kind: Arrival, Cartons: 30}, {Kind: Adjustment, Cartons: -12, Reason: "count"}}), Weeks: []WeekDemand{fc(0, 20, 0)}},
			projected: []float64{0},
			shortfall: []float64{2},
			proposal:  &ScarceProposal{Week: monday(0), Supply: 18, Demand: 20, Shortfall: 2},
		},
		{
			name:      "negative stock is no supply",
			in:        BalanceInput{Brand: "B1", Stock: -4, Weeks: []WeekDemand{fc(0, 3, 10)}},
			projected: []float64{7},
			shortfall: []float64{0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := ComputeBalance(tt.in)
			var projected, shortfall []float64
			for _, w := range b.Weeks {
				projected = append(projected, w.Projected)
				shortfall = append(shortfall, w.Shortfall)
			}
			if !reflect.DeepEqual(projected, tt.projected) || !reflect.DeepEqual(shortfall, tt.shortfall) {
				t.Errorf("ComputeBalance projected %v, shortfall %v; want %v, %v", projected, shortfall, tt.projected, tt.shortfall)
			}
			if !reflect.DeepEqual(b.Proposal, tt.proposal) {
				t.Errorf("ComputeBalance proposal = %+v; want %+v", b.Proposal, tt.proposal)
			}
			for i := 1; i < len(b.Weeks); i++ {
				if b.Weeks[i].Opening != b.Weeks[i-1].Projected {
					t.Errorf("week %d opens at %v; want the previous week's %v", i, b.Weeks[i].Opening, b.Weeks[i-1].Projected)
				}
			}
		})
	}
}

func TestComputeBalanceWarningsAtTheLimits(t *testing.T) {
	limits := &StockLimit{Lower: 20, Upper: 60}
	tests := []struct {
		name  string
		stock int
		want  []string
		surp  float64
	}{
		{"at the lower limit: no warning", 40, []string{}, 0},
		{"one below the lower limit", 39, []string{WarnBelowLower}, 0},
		{"at the upper limit: no warning", 80, []string{}, 0},
		{"one above the upper limit", 81, []string{WarnAboveUpper}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := ComputeBalance(BalanceInput{Brand: "B1", Stock: tt.stock, Limits: limits,
				Weeks: []WeekDemand{{Week: monday(0), Forecast: 20, Hi80: 20, HasForecast: true}}})
			w := b.Weeks[0]
			if !reflect.DeepEqual(w.Warnings, tt.want) || w.Surplus != tt.surp {
				t.Errorf("stock %d: warnings %v, surplus %v; want %v, %v", tt.stock, w.Warnings, w.Surplus, tt.want, tt.surp)
			}
		})
	}
}

func TestComputeBalanceCoverAndRatio(t *testing.T) {
	b := ComputeBalance(BalanceInput{Brand: "B1", Stock: 70, WeeklySales: 14,
		Weeks: []WeekDemand{fc(0, 14, 0), fc(1, 14, 0)}})
	w := b.Weeks[0]
	if w.DaysOfCover == nil || math.Abs(*w.DaysOfCover-28) > 1e-9 {
		t.Errorf("days of cover = %v; want 28 (56 cartons at 2 a day)", w.DaysOfCover)
	}
	if w.StockToSales == nil || math.Abs(*w.StockToSales-4) > 1e-9 {
		t.Errorf("stock-to-sales = %v; want 4 weeks", w.StockToSales)
	}
	if b.StockToSales == nil || *b.StockToSales != 5 {
		t.Errorf("current stock-to-sales = %v; want 5", b.StockToSales)
	}
	if got := ComputeBalance(BalanceInput{Brand: "B1", Stock: 3, Weeks: []WeekDemand{{Week: monday(0)}}}).Weeks[0]; got.DaysOfCover != nil || got.StockToSales != nil {
		t.Errorf("without demand or sales: cover %v, ratio %v; want nil, nil", got.DaysOfCover, got.StockToSales)
	}
	risky := ComputeBalance(BalanceInput{Brand: "B1", Stock: 11, Weeks: []WeekDemand{fc(0, 10, 0)}}).Weeks[0]
	if !reflect.DeepEqual(risky.Warnings, []string{WarnRisk}) {
		t.Errorf("supply 11 for forecast 10 (high 12): warnings %v; want [risk]", risky.Warnings)
	}
}

func TestProposeStockLimit(t *testing.T) {
	got := ProposeStockLimit(8, []WeekDemand{fc(0, 10, 0), fc(1, 10, 0)})
	if got == nil || got.Lower != 12 || got.Upper != 40 {
		t.Errorf("ProposeStockLimit(8, forecast 10 ± 2) = %+v; want lower 12, upper 40", got)
	}
	got = ProposeStockLimit(5.5, nil)
	if got == nil || got.Lower != 6 || got.Upper != 22 {
		t.Errorf("ProposeStockLimit(5.5, none) = %+v; want lower 6, upper 22", got)
	}
	if got := ProposeStockLimit(0, nil); got != nil {
		t.Errorf("ProposeStockLimit(0, none) = %+v; want nil", got)
	}
}

func TestValidateMovement(t *testing.T) {
	tests := []struct {
		m     Movement
		field string
	}{
		{Movement{Brand: "B1", Kind: Arrival, Cartons: 5}, ""},
		{Movement{Brand: "B1", Kind: Arrival, Cartons: -5}, "cartons"},
		{Movement{Brand: "B1", Kind: Adjustment, Cartons: -5, Reason: "count"}, ""},
		{Movement{Brand: "B1", Kind: Adjustment, Cartons: -5}, "reason"},
		{Movement{Brand: "B1", Kind: Adjustment, Cartons: 0, Reason: "x"}, "cartons"},
		{Movement{Brand: "B1", Kind: Delivery, Cartons: -5}, "kind"},
		{Movement{Kind: Arrival, Cartons: 5}, "brand"},
	}
	for _, tt := range tests {
		err := ValidateMovement(tt.m)
		var fields map[string]string
		if v, ok := err.(*ValidationError); ok {
			fields = v.Fields
		}
		if _, has := fields[tt.field]; (tt.field == "") != (err == nil) || (tt.field != "" && !has) {
			t.Errorf("ValidateMovement(%+v) = %v; want an error on %q", tt.m, err, tt.field)
		}
	}
}

func TestValidateArrivals(t *testing.T) {
	today := monday(0)
	key := func(i int) string { return "lines[" + string(rune('0'+i)) + "]" }
	ok := []ArrivalPlan{{Brand: "B1", ArrivesOn: today, Cartons: 10, Cadence: Weekly}, {Brand: "B1", ArrivesOn: today.AddDate(0, 0, 10), Cartons: 10, Cadence: TenDays}}
	if err := ValidateArrivals(ok, today, key); err != nil {
		t.Errorf("ValidateArrivals(valid) = %v; want nil", err)
	}
	bad := []ArrivalPlan{{Brand: "B1", ArrivesOn: today.AddDate(0, 0, -1), Cartons: 0, Cadence: "monthly"}, {Brand: "B1", ArrivesOn: today, Cartons: 1, Cadence: Weekly}, {Brand: "B1", ArrivesOn: today, Cartons: 1, Cadence: Weekly}}
	err := ValidateArrivals(bad, today, key)
	v, isV := err.(*ValidationError)
	if !isV {
		t.Fatalf("ValidateArrivals(bad) = %v; want a *ValidationError", err)
	}
	for _, f := range []string{"lines[0].arrives_on", "lines[0].cartons", "lines[0].cadence", "lines[2].arrives_on"} {
		if _, ok := v.Fields[f]; !ok {
			t.Errorf("ValidateArrivals(bad) fields %v; want %s", v.Fields, f)
		}
	}
}

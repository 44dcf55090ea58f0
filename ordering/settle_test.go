package ordering

import (
	"errors"
	"testing"
	"time"
)

func TestMoney(t *testing.T) {
	for cents, want := range map[int64]string{0: "0.00", 5: "0.05", 1999: "19.99", 100000: "1000.00", -250: "-2.50"} {
		if got := Money(cents); got != want {
			t.Errorf("Money(%d) = %q; want %q", cents, got, want)
		}
	}
	if got, want := InsufficientBalance(2000, 1500), "insufficient balance: the order is 20.00, the balance 15.00"; got != want {
		t.Errorf("InsufficientBalance = %q; want %q", got, want)
	}
}

func TestValidateDelivery(t *testing.T) {
	if err := ValidateDelivery(nil); err != nil {
		t.Errorf("no lines (all as granted) = %v; want valid", err)
	}
	err := ValidateDelivery([]DeliveryLine{{Brand: "A", Delivered: 0}, {Brand: "", Delivered: 1}, {Brand: "A", Delivered: MaxCartons + 1}})
	v, ok := err.(*ValidationError)
	if !ok || v.Fields["lines[1].brand"] != "required" || v.Fields["lines[2].brand"] == "" || v.Fields["lines[2].delivered"] == "" ||
		v.Fields["lines[0].delivered"] != "" {
		t.Errorf("ValidateDelivery = %v; want lines[1].brand, lines[2].brand and lines[2].delivered", err)
	}
}

func TestOutboxBatchDays(t *testing.T) {
	d := func(day int) time.Time { return time.Date(2026, 11, day, 0, 0, 0, 0, time.UTC) }
	b := OutboxBatch{Lines: []SalesLine{{Day: d(20)}, {Day: d(16)}, {Day: d(23)}}}
	if first, last := b.Days(); !first.Equal(d(16)) || !last.Equal(d(23)) {
		t.Errorf("Days = %v, %v; want the 16th and the 23rd", first, last)
	}
	if first, last := (OutboxBatch{}).Days(); !first.IsZero() || !last.IsZero() {
		t.Errorf("Days of an empty batch = %v, %v; want zero times", first, last)
	}
}

func TestValidateSupply(t *testing.T) {
	neg := -1
	err := ValidateSupply([]SupplyLine{{Brand: "A"}, {Brand: "A", SupplyCartons: &neg}},
		[]OutletLimit{{Outlet: "L1", Brand: "A", Cartons: 2}, {Outlet: "L1", Brand: "A", Cartons: -1}, {Brand: "B"}})
	v, ok := err.(*ValidationError)
	want := []string{"plan[1].brand", "plan[1].supply_cartons", "limits[1]", "limits[1].cartons", "limits[2].outlet"}
	if !ok {
		t.Fatalf("ValidateSupply = %v; want a validation error", err)
	}
	for _, f := range want {
		if v.Fields[f] == "" {
			t.Errorf("no error on %s in %v", f, v.Fields)
		}
	}
	if len(v.Fields) != len(want) {
		t.Errorf("fields %v; want exactly %v", v.Fields, want)
	}
	if err := ValidateSupply([]SupplyLine{{Brand: "A", OnSale: true}}, []OutletLimit{{Outlet: "L1", Brand: "A", Cartons: 0}}); err != nil {
		t.Errorf("a valid publication = %v", err)
	}
	if err := ValidateSupply(nil, nil); err == nil {
		t.Error("an empty publication is valid; want an error")
	}
}

func TestSuggest(t *testing.T) {
	limit := func(remaining, ordered int) CatalogueLine {
		return CatalogueLine{Remaining: &remaining, Ordered: ordered}
	}
	for _, tt := range []struct {
		demand, stock float64
		line          CatalogueLine
		want          int
	}{
		{4, 0, CatalogueLine{}, 5},   // 4 × 1.25
		{4, 2, CatalogueLine{}, 3},   // 5 − 2
		{4, 9, CatalogueLine{}, 0},   // stock covers it
		{4, -3, CatalogueLine{}, 5},  // a negative count is no stock
		{0.3, 0, CatalogueLine{}, 0}, // 0.375 rounds to 0
		{8, 0, limit(3, 2), 5},       // capped at 2 ordered + 3 remaining
		{8, 0, limit(-1, 0), 0},      // nothing remains
	} {
		if got := Suggest(tt.demand, tt.stock, tt.line); got != tt.want {
			t.Errorf("Suggest(%v, %v, %+v) = %d; want %d", tt.demand, tt.stock, tt.line, got, tt.want)
		}
	}
}

func TestParseWeek(t *testing.T) {
	if w, err := ParseWeek("2026-11-23"); err != nil || w.Weekday() != time.Monday {
		t.Errorf("ParseWeek(a Monday) = %v, %v", w, err)
	}
	for _, s := range []string{"2026-11-24", "23.11.2026", ""} {
		if _, err := ParseWeek(s); !errors.Is(err, ErrWeek) {
			t.Errorf("ParseWeek(%q) = %v; want ErrWeek", s, err)
		}
	}
}

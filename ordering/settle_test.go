package ordering

import (
	"errors"
	"reflect"
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

func TestSettle(t *testing.T) {
	due := []DueOrder{
		{ID: 3, OutletID: 30, TotalCents: 2000, BalanceCents: 1500}, // short
		{ID: 1, OutletID: 10, TotalCents: 2000, BalanceCents: 2000}, // exactly covered
		{ID: 2, OutletID: 20, TotalCents: 0, BalanceCents: 0},       // nothing granted: nothing to pay
		{ID: 5, OutletID: 10, TotalCents: 1, BalanceCents: 2000},    // the outlet's balance went to order 1
		{ID: 4, OutletID: 40, TotalCents: 999, BalanceCents: 100000},
		{ID: 6, OutletID: 60, TotalCents: 0, BalanceCents: -100}, // an overdrawn account pays nothing
	}
	got := Settle(due)
	wantPaid := []int64{1, 2, 4}
	if ids := paidIDs(got.Paid); !reflect.DeepEqual(ids, wantPaid) {
		t.Errorf("Settle paid %v; want %v", ids, wantPaid)
	}
	wantFailed := []FailedOrder{
		{DueOrder: due[0], Reason: "insufficient balance: the order is 20.00, the balance 15.00"},
		{DueOrder: due[3], Reason: "insufficient balance: the order is 0.01, the balance 0.00"},
		{DueOrder: due[5], Reason: "insufficient balance: the order is 0.00, the balance -1.00"},
	}
	if !reflect.DeepEqual(got.Failed, wantFailed) {
		t.Errorf("Settle failed %+v; want %+v", got.Failed, wantFailed)
	}
	if got, want := got.PaidCents(), int64(2999); got != want {
		t.Errorf("PaidCents = %d; want %d", got, want)
	}
	if due[0].ID != 3 {
		t.Errorf("Settle reordered its argument: %v", due)
	}
	if s := Settle(nil); s.Paid != nil || s.Failed != nil || s.PaidCents() != 0 {
		t.Errorf("Settle(nil) = %+v; want nothing", s)
	}
}

func paidIDs(orders []DueOrder) []int64 {
	var ids []int64
	for _, o := range orders {
		ids = append(ids, o.ID)
	}
	return ids
}

func TestCheckDelivered(t *testing.T) {
	granted := map[string]int{"A": 3, "B": 0}
	tests := []struct {
		name   string
		lines  []DeliveryLine
		fields []string
	}{
		{"as granted or short", []DeliveryLine{{"A", 3}, {"B", 0}}, nil},
		{"none", nil, nil},
		{"not in the order", []DeliveryLine{{"A", 1}, {"C", 1}}, []string{"lines[1].brand"}},
		{"more than granted", []DeliveryLine{{"A", 4}, {"B", 1}}, []string{"lines[0].delivered", "lines[1].delivered"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckDelivered(granted, tt.lines)
			if tt.fields == nil {
				if err != nil {
					t.Errorf("CheckDelivered(%v) = %v; want nil", tt.lines, err)
				}
				return
			}
			var v *ValidationError
			if !errors.As(err, &v) || len(v.Fields) != len(tt.fields) {
				t.Fatalf("CheckDelivered(%v) = %v; want errors on %v", tt.lines, err, tt.fields)
			}
			for _, f := range tt.fields {
				if v.Fields[f] == "" {
					t.Errorf("CheckDelivered(%v) = %v; want an error on %s", tt.lines, err, f)
				}
			}
		})
	}
}

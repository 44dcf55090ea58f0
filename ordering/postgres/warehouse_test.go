package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ordercast/ordercast/ordering"
)

func (f orderFixture) stock(t *testing.T, brand string) (current, sum int) {
	t.Helper()
	err := f.pool.QueryRow(context.Background(), `SELECT coalesce((SELECT w.cartons FROM warehouse_stock w WHERE w.brand_id = b.id), 0),
		(SELECT coalesce(sum(m.cartons), 0) FROM stock_movements m WHERE m.brand_id = b.id) FROM brands b WHERE b.code = $1`, brand).
		Scan(&current, &sum)
	if err != nil {
		t.Fatal(err)
	}
	return current, sum
}

func lineKey(i int) string { return fmt.Sprintf("lines[%d]", i) }

func TestStockMovementsAndArrivals(t *testing.T) {
	ctx := context.Background()
	f := newOrderFixture(t)
	if _, err := f.pool.Exec(ctx, `INSERT INTO manufacturers (code, name) VALUES ('M2', 'Other');
		INSERT INTO brands (code, name, manufacturer_id, price_class, wholesale_price_cents, retail_price_cents)
		SELECT 'X', 'Theirs', id, 2, 100, 120 FROM manufacturers WHERE code = 'M2'`); err != nil {
		t.Fatal(err)
	}
	week := ordering.WeekStart(f.now)
	var m1, m2 int64
	if err := f.pool.QueryRow(ctx, `SELECT (SELECT id FROM manufacturers WHERE code = 'M1'), (SELECT id FROM manufacturers WHERE code = 'M2')`).Scan(&m1, &m2); err != nil {
		t.Fatal(err)
	}

	// Arrival plans: M1 may plan its own brands only; an error writes nothing.
	plans := []ordering.ArrivalPlan{
		{Brand: "S", ArrivesOn: week.AddDate(0, 0, 8), Cartons: 30, Cadence: ordering.Weekly},
		{Brand: "X", ArrivesOn: week.AddDate(0, 0, 8), Cartons: 30, Cadence: ordering.Weekly},
	}
	var invalid *ordering.ValidationError
	if _, err := f.s.SubmitArrivals(ctx, m1, plans, "api", 0, f.now, lineKey); !errors.As(err, &invalid) || invalid.Fields["lines[1].brand"] == "" {
		t.Fatalf("M1 planning M2's brand = %v; want a validation error on lines[1].brand", err)
	}
	if got, _ := f.s.ArrivalPlans(ctx, 0, "", week); len(got) != 0 {
		t.Fatalf("after a refused submission, plans %+v; want none", got)
	}
	if n, err := f.s.SubmitArrivals(ctx, m1, plans[:1], "api", 0, f.now, lineKey); err != nil || n != 1 {
		t.Fatalf("SubmitArrivals = %d, %v", n, err)
	}
	plans[0].Cartons = 40 // sent again: replaces the day's quantity
	if _, err := f.s.SubmitArrivals(ctx, 0, plans, "plans.csv", 0, f.now, lineKey); err != nil {
		t.Fatal(err)
	}
	got, err := f.s.ArrivalPlans(ctx, m1, "", week)
	if err != nil || len(got) != 1 || got[0].Cartons != 40 || got[0].Manufacturer != "M1" {
		t.Fatalf("M1's arrival plans = %+v, %v; want S: 40 cartons", got, err)
	}

	// Movements: an arrival against the plan, an adjustment; a bare adjustment without reason is refused.
	if _, err := f.s.RecordMovement(ctx, ordering.Movement{Brand: "S", Kind: ordering.Adjustment, Cartons: -1}, 0, f.now); !errors.As(err, &invalid) {
		t.Errorf("an adjustment without reason = %v; want a validation error", err)
	}
	if _, err := f.s.RecordMovement(ctx, ordering.Movement{Brand: "S", Kind: ordering.Arrival, Cartons: 25, ArrivalPlan: got[0].ID}, 0, f.now); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.RecordMovement(ctx, ordering.Movement{Brand: "S", Kind: ordering.Adjustment, Cartons: -2, Reason: "broken in the store"}, 0, f.now); err != nil {
		t.Fatal(err)
	}
	if cur, sum := f.stock(t, "S"); cur != 23 || sum != 23 {
		t.Errorf("stock of S = %d (Σ movements %d); want 23", cur, sum)
	}

	// An order delivered moves the stock out.
	o := f.place(t, f.outlet, ordering.LineRequest{Brand: "S", Requested: 3})
	if _, err := f.s.CloseDueWindows(ctx, f.now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.Deliver(ctx, o.ID, nil, f.now); err != nil {
		t.Fatal(err)
	}
	if cur, sum := f.stock(t, "S"); cur != 20 || sum != 20 {
		t.Errorf("stock of S after delivering 3 = %d (Σ movements %d); want 20", cur, sum)
	}
	moves, err := f.s.Movements(ctx, m1, "S", 0, 10)
	if err != nil || len(moves) != 3 || moves[0].Kind != ordering.Delivery || moves[0].Cartons != -3 || moves[0].OrderID != o.ID {
		t.Errorf("movements of S = %+v, %v; want the delivery first", moves, err)
	}
	if _, err := f.s.Movements(ctx, m2, "S", 0, 10); !errors.Is(err, ordering.ErrNotFound) {
		t.Errorf("M2 reading S's movements = %v; want ErrNotFound", err)
	}

	// The balance's facts: stock, the outstanding 15 of the plan in the second week, the first week's orders.
	if err := f.s.SetStockLimit(ctx, "S", ordering.StockLimit{Lower: 5, Upper: 50, Basis: "set by a planner"}, 0, f.now); err != nil {
		t.Fatal(err)
	}
	facts, err := f.s.BalanceFacts(ctx, ordering.BalanceQuery{Brand: "S", From: week, Weeks: 3})
	if err != nil || len(facts) != 1 {
		t.Fatalf("BalanceFacts = %+v, %v", facts, err)
	}
	b := facts[0]
	if b.Stock != 20 || b.Weeks[0].Requested != 3 || b.Weeks[0].Delivered != 3 || b.Weeks[1].Arrivals != 15 || b.Limits == nil || b.Limits.Upper != 50 {
		t.Errorf("facts of S = %+v; want stock 20, requested and delivered 3 in week 0, 15 arriving in week 1, upper 50", b)
	}
	if facts, err := f.s.BalanceFacts(ctx, ordering.BalanceQuery{Manufacturer: m2, From: week, Weeks: 1}); err != nil || len(facts) != 1 || facts[0].Brand != "X" {
		t.Errorf("M2's balance facts = %+v, %v; want X alone", facts, err)
	}
}

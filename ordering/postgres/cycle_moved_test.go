package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ordercast/ordercast/ordering"
	"github.com/ordercast/ordercast/ordering/postgres"
)

// An order locks the supply of the cycle whose window is open when it takes its locks, and reads that
// cycle: when the window closes and another cycle's opens while it waits between the two (here for a
// rationed brand's row), its reads tell the cycle moved, and nothing is written; placed again, the
// order goes to the cycle open now.
func TestOrderWhoseCycleMovedWhileItLocked(t *testing.T) {
	ctx := context.Background()
	f := newOrderFixture(t)
	f.supplyOfA(t, 10)
	outlet := f.newOutlets(t, 1)[0]
	next := ordering.WeekStart(f.now).AddDate(0, 0, 7)
	_, err := f.s.PlaceOrderPausing(ctx, outlet, []ordering.LineRequest{{Brand: "A", Requested: 2}}, f.now, true, func() {})
	if err != nil {
		t.Fatalf("an order with nothing moving = %v", err)
	}

	tx, err := f.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // rolled back below
	if _, err := tx.Exec(ctx, `SELECT 1 FROM supply_plans sp JOIN brands b ON b.id = sp.brand_id
		WHERE sp.cycle_id = $1 AND b.code = 'A' FOR UPDATE OF sp`, f.cycleID); err != nil {
		t.Fatal(err)
	}
	placed := make(chan error, 1)
	go func() {
		_, err := f.s.PlaceOrderPausing(ctx, outlet, []ordering.LineRequest{{Brand: "A", Requested: 3}}, f.now, true, func() {})
		placed <- err
	}()
	f.waitForLock(t, "transactionid", "tuple")
	// Meanwhile the cycle's windows close and the next cycle's open.
	if _, err := f.pool.Exec(ctx, `UPDATE order_windows SET closed = true WHERE cycle_id = $1`, f.cycleID); err != nil {
		t.Fatal(err)
	}
	var windows []ordering.Window
	for d := time.Sunday; d <= time.Saturday; d++ {
		windows = append(windows, ordering.Window{OrderDay: d, OpensAt: f.now.Add(-time.Hour), ClosesAt: f.now.Add(2 * time.Hour)})
	}
	c2, err := f.s.EnsureCycle(ctx, next, windows)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-placed; !errors.Is(err, postgres.ErrCycleMoved) {
		t.Fatalf("an order whose cycle moved while it locked = %v; want ErrCycleMoved", err)
	}

	o, created, err := f.s.PlaceOrder(ctx, outlet, 0, []ordering.LineRequest{{Brand: "A", Requested: 3}},
		ordering.PlaceOptions{AllowCredit: true}, f.now)
	if err != nil || !created || o.CycleID != c2.ID || o.Lines[0].Granted != 3 {
		t.Errorf("placed again = %+v, created %v, %v; want a new order of 3 in cycle %d", o, created, err, c2.ID)
	}
	var orders int
	if err := f.pool.QueryRow(ctx, `SELECT count(*) FROM orders WHERE outlet_id = $1`, outlet).Scan(&orders); err != nil {
		t.Fatal(err)
	}
	if orders != 2 {
		t.Errorf("the outlet has %d orders; want 2 (one per cycle, nothing written by the moved attempt)", orders)
	}
}

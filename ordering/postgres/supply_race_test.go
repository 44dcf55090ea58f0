package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ordercast/ordercast/ordering"
	"github.com/ordercast/ordercast/ordering/postgres"
)

// An order reads what is left of a rationed brand's supply without locking its plan row; another order
// taking part of it before the first writes leaves the first's grant standing when the rest still
// covers it, and fails the first's write (nothing written) when it does not; PlaceOrder then places it
// again with the row locked from the start, when a racing order waits for it. Never more than the
// supply is granted, and the counter stays what the orders hold.
func TestOrderRacingForRationedSupply(t *testing.T) {
	ctx := context.Background()
	f := newOrderFixture(t)
	granted := f.supplyOfA(t, 10)
	outlets := f.newOutlets(t, 3)
	take := func(outlet int64, cartons int) {
		t.Helper()
		if _, _, err := f.s.PlaceOrder(ctx, outlet, 0, []ordering.LineRequest{{Brand: "A", Requested: cartons}},
			ordering.PlaceOptions{AllowCredit: true}, f.now); err != nil {
			t.Fatal(err)
		}
	}

	// 10 left when read; 3 taken meanwhile; the 4 still fit.
	o, err := f.s.PlaceOrderPausing(ctx, outlets[0], []ordering.LineRequest{{Brand: "A", Requested: 4}}, f.now, false,
		func() { take(outlets[1], 3) })
	if err != nil || o.Lines[0].Granted != 4 {
		t.Fatalf("an order of 4 with 10 read and 3 taken meanwhile = %+v, %v; want 4 granted", o, err)
	}
	if c, h := granted(); c != 7 || h != 7 {
		t.Fatalf("counter %d, orders hold %d; want 7 and 7", c, h)
	}

	// 3 left when read; 2 taken meanwhile: the write of 3 fails and writes nothing.
	_, err = f.s.PlaceOrderPausing(ctx, outlets[2], []ordering.LineRequest{{Brand: "A", Requested: 3}}, f.now, false,
		func() { take(outlets[1], 5) }) // outlet 1 replaces its 3 with 5
	if !errors.Is(err, postgres.ErrSupplyRaced) {
		t.Fatalf("an order of 3 with 3 read and 2 taken meanwhile = %v; want ErrSupplyRaced", err)
	}
	if c, h := granted(); c != 9 || h != 9 {
		t.Fatalf("after the failed write: counter %d, orders hold %d; want 9 and 9", c, h)
	}

	// With the row locked first (PlaceOrder's second attempt), an order racing for the supply waits for
	// the first to commit, and its write then counts what the first took. Outlet 0 replaces its 4 with
	// 1 meanwhile (giving back 3); outlet 2 is granted the 1 left.
	done := make(chan error, 1)
	o, err = f.s.PlaceOrderPausing(ctx, outlets[2], []ordering.LineRequest{{Brand: "A", Requested: 3}}, f.now, true,
		func() {
			go func() {
				_, _, err := f.s.PlaceOrder(ctx, outlets[0], 0, []ordering.LineRequest{{Brand: "A", Requested: 1}},
					ordering.PlaceOptions{AllowCredit: true}, f.now)
				done <- err
			}()
			f.waitForLock(t, "tuple", "transactionid")
		})
	if err != nil || o.Lines[0].Granted != 1 || o.Lines[0].Reason != ordering.BySupply {
		t.Fatalf("an order of 3 with 1 left, the row locked = %+v, %v; want 1 granted, limited by supply", o, err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if c, h := granted(); c != 7 || h != 7 {
		t.Errorf("at the end: counter %d, orders hold %d; want 7 and 7", c, h)
	}
}

// A planner's publication of a cycle's supply waits for the cycle's orders in flight (their shared
// lock on the cycle's supply) and counts what they were granted: an order of a brand not rationed
// when it read, committed while the publication rations the brand, is in the publication's count.
func TestPublicationWaitsForOrdersInFlight(t *testing.T) {
	ctx := context.Background()
	f := newOrderFixture(t)
	outlet := f.newOutlets(t, 1)[0]
	published := make(chan error, 1)
	o, err := f.s.PlaceOrderPausing(ctx, outlet, []ordering.LineRequest{{Brand: "A", Requested: 4}}, f.now, false,
		func() {
			supply := 10
			go func() {
				published <- f.s.PublishSupply(ctx, f.cycleID, 0, 0, []ordering.SupplyLine{{Brand: "A", OnSale: true, SupplyCartons: &supply}},
					nil, "manual", f.now)
			}()
			f.waitForLock(t, "advisory")
		})
	if err != nil || o.Lines[0].Granted != 4 {
		t.Fatalf("order = %+v, %v; want 4 granted", o, err)
	}
	if err := <-published; err != nil {
		t.Fatal(err)
	}
	var counter, held int
	if err := f.pool.QueryRow(ctx, `SELECT sp.granted_cartons,
			(SELECT coalesce(sum(ol.granted_cartons), 0) FROM order_lines ol JOIN orders o ON o.id = ol.order_id
			 WHERE o.cycle_id = sp.cycle_id AND ol.brand_id = sp.brand_id AND o.status NOT IN ('cancelled', 'failed'))
		FROM supply_plans sp JOIN brands b ON b.id = sp.brand_id WHERE sp.cycle_id = $1 AND b.code = 'A'`, f.cycleID).
		Scan(&counter, &held); err != nil {
		t.Fatal(err)
	}
	if counter != 4 || held != 4 {
		t.Errorf("after the publication: counter %d, orders hold %d; want 4 and 4", counter, held)
	}
}

// waitForLock returns once a session of the test's database waits for a lock of one of the types
// (pg_stat_activity.wait_event), and fails the test if none does within a minute.
func (f orderFixture) waitForLock(t *testing.T, types ...string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		var waiting bool
		if err := f.pool.QueryRow(context.Background(), `SELECT EXISTS (SELECT FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = ANY($1))`, types).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no session waited for a lock of %v within a minute", types)
}

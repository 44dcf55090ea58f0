package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

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

// A planner's publication of a brand's supply waits for the brand's orders in flight (their shared
// lock on its supply) and counts what they were granted: an order of a brand not rationed
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

// A publication holding its brands' supply locks writes new limits of outlets whose orders (or
// cut-off) wait for that lock: the limits' foreign keys check each outlet's row, which the waiting
// transaction holds. Neither waits for the other: the publication commits, then the order, the
// cancellation or the cut-off goes on and sees it (before outletOrderLock, PostgreSQL found a
// deadlock and aborted the order).
func TestPublicationBesideTransactionsWaitingForIt(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		run  func(f orderFixture, placed ordering.Order) error
	}{
		{"an order", func(f orderFixture, _ ordering.Order) error {
			_, _, err := f.s.PlaceOrder(ctx, f.outlet, 0, []ordering.LineRequest{{Brand: "A", Requested: 2}}, ordering.PlaceOptions{}, f.now)
			return err
		}},
		{"a cancellation", func(f orderFixture, placed ordering.Order) error {
			_, err := f.s.CancelOrder(ctx, f.outlet, placed.ID, 0, f.now)
			return err
		}},
		{"a cut-off failing the order", func(f orderFixture, _ ordering.Order) error {
			// Without the balance to pay it, the order fails and gives back its supply under the lock.
			if _, err := f.pool.Exec(ctx, `UPDATE outlets SET balance_cents = 0 WHERE id = $1`, f.outlet); err != nil {
				return err
			}
			r, _, err := f.s.CloseWindow(ctx, ordering.WeekStart(f.now), f.now.Weekday(), f.now.Add(2*time.Hour), false)
			if err == nil && r.Failed != 1 {
				err = fmt.Errorf("the cut-off failed %d orders; want 1", r.Failed)
			}
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newOrderFixture(t)
			supply := 100
			if err := f.s.PublishSupply(ctx, f.cycleID, 0, 0, []ordering.SupplyLine{{Brand: "A", OnSale: true, SupplyCartons: &supply}},
				nil, "manual", f.now); err != nil {
				t.Fatal(err)
			}
			placed, _, err := f.s.PlaceOrder(ctx, f.outlet, 0, []ordering.LineRequest{{Brand: "S", Requested: 1}},
				ordering.PlaceOptions{}, f.now)
			if err != nil {
				t.Fatal(err)
			}
			tx, err := f.pool.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback(ctx) //nolint:errcheck // committed below; a no-op then
			if err := postgres.LockBrandsSupply(ctx, tx, f.cycleID, []string{"A", "S"}); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- tt.run(f, placed) }()
			f.waitForLock(t, "advisory")
			// What a publication writes: a new limit of the outlet, its key checked against the outlet.
			if _, err := tx.Exec(ctx, `INSERT INTO outlet_limits (cycle_id, brand_id, outlet_id, limit_cartons)
				SELECT $1, id, $2, 3 FROM brands WHERE code = 'A'`, f.cycleID, f.outlet); err != nil {
				t.Fatalf("the publication's new limit beside %s waiting: %v", tt.name, err)
			}
			if err := tx.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			if err := <-done; err != nil {
				t.Errorf("%s after the publication: %v", tt.name, err)
			}
		})
	}
}

// Orders keep coming while an allocation of S gives 20,000 outlets new limits, each checking its
// outlet's row: half of the clients order A, half S. Every order is placed and the allocation
// published. Orders of S wait for the allocation, holding their outlets' rows: before outletOrderLock
// PostgreSQL found them deadlocked with it and aborted the allocation. Orders of A do not wait for it
// (a supply lock per brand); the log gives the slowest order of each beside the allocation's time.
func TestOrdersDuringAnAllocationOfNewLimits(t *testing.T) {
	ctx := context.Background()
	f := newOrderFixture(t)
	const n, orderers = 20_000, 8
	f.addOutlets(t, "M", n)
	var ids []int64
	rows, err := f.pool.Query(ctx, `SELECT id FROM outlets WHERE licence_no LIKE 'M%' ORDER BY id LIMIT 400`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	supply := 1_000_000
	if err := f.s.PublishSupply(ctx, f.cycleID, 0, 0, []ordering.SupplyLine{{Brand: "A", OnSale: true, SupplyCartons: &supply}},
		nil, "manual", f.now); err != nil {
		t.Fatal(err)
	}
	limits := make([]ordering.OutletLimit, n)
	total := 0
	for i := range limits {
		limits[i] = ordering.OutletLimit{Outlet: fmt.Sprintf("M%06d", i+1), Brand: "S", Cartons: 1 + i%3, Explanation: "test"}
		total += 1 + i%3
	}
	// The clients' own pool, a connection each: the orders of S waiting for the allocation hold theirs.
	cfg := f.pool.Config().Copy()
	cfg.MaxConns = orderers
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	clients := postgres.New(pool)
	stop := make(chan struct{})
	type result struct {
		placed, refused int
		slowest         [2]time.Duration // of A, of S
	}
	results := make(chan result, orderers)
	var firstErr error
	var errOnce sync.Once
	for g := range orderers {
		go func() {
			var r result
			for k := g; ; k += orderers {
				select {
				case <-stop:
					results <- r
					return
				default:
				}
				brand, requested := "A", 1+k%3 // the even clients (and outlets)
				if g%2 == 1 {
					brand, requested = "S", 1 // within any limit the allocation gives
				}
				began := time.Now()
				_, _, err := clients.PlaceOrder(ctx, ids[k%len(ids)], 0, []ordering.LineRequest{{Brand: brand, Requested: requested}},
					ordering.PlaceOptions{AllowCredit: true}, f.now)
				r.slowest[g%2] = max(r.slowest[g%2], time.Since(began))
				if err != nil {
					r.refused++
					errOnce.Do(func() { firstErr = err })
					continue
				}
				r.placed++
			}
		}()
	}
	time.Sleep(200 * time.Millisecond) // orders flowing first
	start := time.Now()
	err = f.s.PublishAllocation(ctx, ordering.WeekStart(f.now), ordering.SupplyLine{Brand: "S", OnSale: true, SupplyCartons: &total},
		"demand", "alloc-during-orders", f.supplyPublishedAt(t, ordering.WeekStart(f.now), "S"), limits, 0, f.now)
	took := time.Since(start)
	time.Sleep(200 * time.Millisecond)
	close(stop)
	var sum result
	for range orderers {
		r := <-results
		sum.placed += r.placed
		sum.refused += r.refused
		for i := range sum.slowest {
			sum.slowest[i] = max(sum.slowest[i], r.slowest[i])
		}
	}
	if err != nil {
		t.Fatalf("the allocation beside the orders: %v", err)
	}
	t.Logf("%d orders placed and %d refused while an allocation of %d new limits took %v; the slowest order of A %v, of S %v",
		sum.placed, sum.refused, n, took.Round(time.Millisecond), sum.slowest[0].Round(time.Millisecond),
		sum.slowest[1].Round(time.Millisecond))
	if sum.refused > 0 || sum.placed == 0 {
		t.Errorf("%d orders placed, %d refused (the first: %v); want every order placed", sum.placed, sum.refused, firstErr)
	}
}

// A publication holds up only the orders of the brands it publishes: while it holds brand S's supply
// lock, an order of A is placed, and an order with S waits until the publication commits.
func TestPublicationHoldsUpOnlyItsBrands(t *testing.T) {
	ctx := context.Background()
	f := newOrderFixture(t)
	supply := 100
	if err := f.s.PublishSupply(ctx, f.cycleID, 0, 0, []ordering.SupplyLine{{Brand: "A", OnSale: true, SupplyCartons: &supply}},
		nil, "manual", f.now); err != nil {
		t.Fatal(err)
	}
	var apart bool
	if err := f.pool.QueryRow(ctx, `SELECT (a.id - s.id) % 32 <> 0 FROM brands a, brands s WHERE a.code = 'A' AND s.code = 'S'`).
		Scan(&apart); err != nil || !apart {
		t.Fatalf("brands A and S share a supply lock (%v): the test needs them apart", err)
	}
	tx, err := f.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // committed below; a no-op then
	if err := postgres.LockBrandsSupply(ctx, tx, f.cycleID, []string{"S"}); err != nil {
		t.Fatal(err)
	}
	// Another brand: placed with the publication open. A deadline turns a wait into a failure.
	quick, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if o, _, err := f.s.PlaceOrder(quick, f.outlet, 0, []ordering.LineRequest{{Brand: "A", Requested: 2}}, ordering.PlaceOptions{},
		f.now); err != nil || o.Lines[0].Granted != 2 {
		t.Fatalf("an order of A beside a publication of S = %+v, %v; want 2 granted at once", o, err)
	}
	// The brand being published: waits for it, replacing the order above with a line of S.
	done := make(chan error, 1)
	go func() {
		_, _, err := f.s.PlaceOrder(ctx, f.outlet, 0, []ordering.LineRequest{{Brand: "A", Requested: 2}, {Brand: "S", Requested: 1}},
			ordering.PlaceOptions{}, f.now)
		done <- err
	}()
	f.waitForLock(t, "advisory")
	select {
	case err := <-done:
		t.Fatalf("an order with S placed while S's publication held its lock: %v", err)
	default:
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Errorf("the order with S after the publication: %v", err)
	}
}

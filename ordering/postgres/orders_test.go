package postgres_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
	"github.com/ordercast/ordercast/ordering"
	"github.com/ordercast/ordercast/ordering/postgres"
)

// orderFixture is a catalogue of two brands (A not limited, S limited), two outlets and a cycle whose
// windows are open around now.
type orderFixture struct {
	pool    *pgxpool.Pool
	s       *postgres.Store
	now     time.Time
	outlet  int64 // active, limit of 5 S
	closed  int64 // a closed outlet
	cycleID int64
}

func newOrderFixture(t testing.TB) orderFixture {
	t.Helper()
	ctx := context.Background()
	pool := storestest.Postgres(t)
	s := postgres.New(pool)
	err := s.LoadCatalogue(ctx, []ordering.Manufacturer{{Code: "M1", Name: "Maker"}}, []ordering.Brand{
		{Code: "A", Name: "Plenty", Manufacturer: "M1", PriceClass: 3, PacksPerCarton: 10, WholesaleCents: 1000, RetailCents: 1200},
		{Code: "S", Name: "Scarce", Manufacturer: "M1", PriceClass: 1, PacksPerCarton: 10, WholesaleCents: 5000, RetailCents: 6000, Scarce: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	f := orderFixture{pool: pool, s: s, now: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)}
	for _, o := range []struct {
		licence, status string
		id              *int64
	}{{"L1", "active", &f.outlet}, {"L2", "closed", &f.closed}} {
		if err := pool.QueryRow(ctx, `INSERT INTO outlets (licence_no, name, area, business_format, locality, order_day, grade, status, balance_cents)
			VALUES ($1, 'shop', 'A1', 'kiosk', 'urban', 5, 12, $2, 100000) RETURNING id`, o.licence, o.status).Scan(o.id); err != nil {
			t.Fatal(err)
		}
	}
	var windows []ordering.Window
	for d := time.Sunday; d <= time.Saturday; d++ {
		windows = append(windows, ordering.Window{OrderDay: d, OpensAt: f.now.Add(-time.Hour), ClosesAt: f.now.Add(time.Hour)})
	}
	c, err := s.EnsureCycle(ctx, ordering.WeekStart(f.now), windows)
	if err != nil {
		t.Fatal(err)
	}
	f.cycleID = c.ID
	if err := s.PublishSupply(ctx, c.ID, 0, 0, []ordering.SupplyLine{{Brand: "S", OnSale: true}},
		[]ordering.OutletLimit{{Outlet: "L1", Brand: "S", Cartons: 5, Explanation: "grade 12"}}, "manual", f.now); err != nil {
		t.Fatal(err)
	}
	return f
}

// supplyPublishedAt is when the supply of brand in the cycle of week was last published: the basis an
// allocation decided now passes to PublishAllocation.
func (f orderFixture) supplyPublishedAt(t testing.TB, week time.Time, brand string) time.Time {
	t.Helper()
	at, err := f.s.SupplyPublishedAt(context.Background(), week, brand)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

func (f orderFixture) used(t *testing.T) (used, granted int) {
	t.Helper()
	err := f.pool.QueryRow(context.Background(), `SELECT l.used_cartons,
			(SELECT coalesce(sum(ol.granted_cartons), 0) FROM order_lines ol JOIN orders o ON o.id = ol.order_id
			 JOIN brands b ON b.id = ol.brand_id
			 WHERE o.outlet_id = l.outlet_id AND o.cycle_id = l.cycle_id AND b.code = 'S' AND o.status NOT IN ('cancelled', 'failed'))
		FROM outlet_limits l WHERE l.outlet_id = $1 AND l.cycle_id = $2`, f.outlet, f.cycleID).Scan(&used, &granted)
	if err != nil {
		t.Fatal(err)
	}
	return used, granted
}

func line(o ordering.Order, brand string) ordering.Line {
	for _, l := range o.Lines {
		if l.Brand == brand {
			return l
		}
	}
	return ordering.Line{}
}

func TestPlaceEditCancelOrder(t *testing.T) {
	ctx := context.Background()
	f := newOrderFixture(t)

	o, created, err := f.s.PlaceOrder(ctx, f.outlet, 0, []ordering.LineRequest{{Brand: "S", Requested: 3}, {Brand: "A", Requested: 2}}, ordering.PlaceOptions{}, f.now)
	if err != nil || !created || o.Status != ordering.Submitted || o.TotalCents != 3*5000+2*1000 {
		t.Fatalf("PlaceOrder = %+v, %v, %v; want a new submitted order of 17000 cents", o, created, err)
	}
	if used, _ := f.used(t); used != 3 {
		t.Errorf("used after ordering 3 = %d; want 3", used)
	}

	// Editing counts the order's own 3 back: 7 requested, 5 granted, the request kept.
	o, created, err = f.s.PlaceOrder(ctx, f.outlet, 0, []ordering.LineRequest{{Brand: "S", Requested: 7}}, ordering.PlaceOptions{}, f.now)
	s := line(o, "S")
	if err != nil || created || s.Requested != 7 || s.Granted != 5 || s.Reason != ordering.ByLimit || *s.Limit != 5 || len(o.Lines) != 1 {
		t.Fatalf("edit to 7 = %+v, %v, %v; want the same order, 7 requested, 5 granted by limit", o, created, err)
	}
	if used, granted := f.used(t); used != 5 || granted != 5 {
		t.Errorf("used %d, granted %d after the edit; want 5 and 5", used, granted)
	}

	// All or nothing above the limit is refused and changes nothing.
	if _, _, err := f.s.PlaceOrder(ctx, f.outlet, 0, []ordering.LineRequest{{Brand: "S", Requested: 6}}, ordering.PlaceOptions{AllOrNothing: true}, f.now); !errors.Is(err, ordering.ErrLimitExceeded) {
		t.Errorf("all-or-nothing above the limit = %v; want ErrLimitExceeded", err)
	}
	if used, _ := f.used(t); used != 5 {
		t.Errorf("used after a refused order = %d; want 5 unchanged", used)
	}

	if o, err = f.s.CancelOrder(ctx, f.outlet, o.ID, 0, f.now); err != nil || o.Status != ordering.Cancelled {
		t.Fatalf("CancelOrder = %+v, %v", o, err)
	}
	if used, _ := f.used(t); used != 0 {
		t.Errorf("used after cancel = %d; want 0", used)
	}
	if _, err := f.s.CancelOrder(ctx, f.outlet, o.ID, 0, f.now); !errors.Is(err, ordering.ErrConflict) {
		t.Errorf("cancel twice = %v; want ErrConflict", err)
	}

	// After cancelling, a new order starts afresh.
	if _, created, err := f.s.PlaceOrder(ctx, f.outlet, 0, []ordering.LineRequest{{Brand: "A", Requested: 1}}, ordering.PlaceOptions{}, f.now); err != nil || !created {
		t.Errorf("order after cancel = %v, created %v; want a new order", err, created)
	}
}

func TestPlaceOrderRefusals(t *testing.T) {
	ctx := context.Background()
	f := newOrderFixture(t)
	tests := []struct {
		name   string
		outlet int64
		lines  []ordering.LineRequest
		at     time.Time
		want   error
	}{
		{"window not open yet", f.outlet, []ordering.LineRequest{{Brand: "A", Requested: 1}}, f.now.Add(-2 * time.Hour), ordering.ErrWindowClosed},
		{"window closed", f.outlet, []ordering.LineRequest{{Brand: "A", Requested: 1}}, f.now.Add(time.Hour), ordering.ErrWindowClosed},
		{"closed outlet", f.closed, []ordering.LineRequest{{Brand: "A", Requested: 1}}, f.now, ordering.ErrOutletInactive},
		{"unknown outlet", 999999, []ordering.LineRequest{{Brand: "A", Requested: 1}}, f.now, ordering.ErrNotFound},
		{"unknown brand", f.outlet, []ordering.LineRequest{{Brand: "NOPE", Requested: 1}}, f.now, ordering.ErrNotOnSale},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := f.s.PlaceOrder(ctx, tt.outlet, 0, tt.lines, ordering.PlaceOptions{}, tt.at); !errors.Is(err, tt.want) {
				t.Errorf("PlaceOrder = %v; want %v", err, tt.want)
			}
		})
	}
	_, _, err := f.s.PlaceOrder(ctx, f.outlet, 0, []ordering.LineRequest{{Brand: "A", Requested: 1}}, ordering.PlaceOptions{}, f.now.Add(-2*time.Hour))
	var closed *ordering.WindowClosedError
	if !errors.As(err, &closed) || !closed.ClosesAt.Equal(f.now.Add(time.Hour)) {
		t.Errorf("window-closed error = %v; want one with the window's times", err)
	}
}

// Many devices of one outlet placing, editing and cancelling at once never grant more than the limit,
// and the limit's used count always equals what the live order holds.
func TestConcurrentOrdersNeverExceedTheLimit(t *testing.T) {
	ctx := context.Background()
	f := newOrderFixture(t)
	const workers, rounds = 8, 5
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for r := 0; r < rounds; r++ {
				o, _, err := f.s.PlaceOrder(ctx, f.outlet, 0, []ordering.LineRequest{{Brand: "S", Requested: 1 + rng.IntN(8)}}, ordering.PlaceOptions{AllOrNothing: rng.IntN(3) == 0}, f.now)
				switch {
				case errors.Is(err, ordering.ErrLimitExceeded):
				case err != nil:
					errs <- err
				case line(o, "S").Granted > 5:
					errs <- errors.New("granted more than the limit")
				case rng.IntN(4) == 0:
					if _, err := f.s.CancelOrder(ctx, f.outlet, o.ID, 0, f.now); err != nil && !errors.Is(err, ordering.ErrNotFound) && !errors.Is(err, ordering.ErrConflict) {
						errs <- err
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	used, granted := f.used(t)
	if used > 5 || used != granted {
		t.Errorf("after %d concurrent writers: used %d, live orders hold %d; want equal and at most 5", workers, used, granted)
	}
	var live int
	f.pool.QueryRow(ctx, `SELECT count(*) FROM orders WHERE outlet_id = $1 AND status = 'submitted'`, f.outlet).Scan(&live) //nolint:errcheck
	if live > 1 {
		t.Errorf("%d live orders for one outlet and cycle; want at most 1", live)
	}
}

// PlaceOrder returns the order as stored, for a new order and for edits that change quantities, drop
// brands and add them, and the limit's used count follows the live order.
func TestPlaceOrderReturnsWhatIsStored(t *testing.T) {
	ctx := context.Background()
	f := newOrderFixture(t)
	var user int64
	if err := f.pool.QueryRow(ctx, `INSERT INTO users (username, password_hash, role, outlet_id) VALUES ('r', 'x', 'retailer', $1)
		RETURNING id`, f.outlet).Scan(&user); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		lines    []ordering.LineRequest
		wantUsed int
	}{
		{"new order", []ordering.LineRequest{{Brand: "S", Requested: 3}, {Brand: "A", Requested: 2}}, 3},
		{"edit the quantities", []ordering.LineRequest{{Brand: "A", Requested: 4}, {Brand: "S", Requested: 9}}, 5},
		{"drop a brand", []ordering.LineRequest{{Brand: "A", Requested: 1}}, 0},
		{"add it back", []ordering.LineRequest{{Brand: "A", Requested: 1}, {Brand: "S", Requested: 1}}, 1},
	}
	var first int64
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, created, err := f.s.PlaceOrder(ctx, f.outlet, user, tt.lines, ordering.PlaceOptions{}, f.now)
			if err != nil || created != (i == 0) {
				t.Fatalf("PlaceOrder = %v, created %v; want created %v", err, created, i == 0)
			}
			if i == 0 {
				first = got.ID
			}
			stored, err := f.s.Order(ctx, f.outlet, got.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Funds == nil {
				t.Errorf("PlaceOrder returned no funds")
			}
			got.Funds = nil // what placing found, not stored with the order
			if !reflect.DeepEqual(got, stored) {
				t.Errorf("PlaceOrder returned\n%+v\nthe store holds\n%+v", got, stored)
			}
			if got.ID != first || got.Version != i+1 || len(got.Lines) != len(tt.lines) {
				t.Errorf("order %d version %d with %d lines; want order %d version %d with %d lines",
					got.ID, got.Version, len(got.Lines), first, i+1, len(tt.lines))
			}
			if used, granted := f.used(t); used != tt.wantUsed || granted != tt.wantUsed {
				t.Errorf("used %d, live order holds %d; want %d", used, granted, tt.wantUsed)
			}
		})
	}
}

// newOutlets adds n active outlets ordering on f's order day, with a balance of 1000.00 each.
func (f orderFixture) newOutlets(t testing.TB, n int) []int64 {
	t.Helper()
	ids := make([]int64, n)
	for i := range ids {
		if err := f.pool.QueryRow(context.Background(), `INSERT INTO outlets (licence_no, name, area, business_format, locality, order_day, grade, balance_cents)
			VALUES ('X' || $1::int, 'shop', 'A1', 'kiosk', 'urban', 5, 12, 100000) RETURNING id`, i).Scan(&ids[i]); err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

// supplyOfA publishes a supply of A (not limited per outlet) and returns a function reading what the
// counter says was granted of it and what the cycle's live orders hold of it.
func (f orderFixture) supplyOfA(t testing.TB, cartons int) func() (counter, held int) {
	t.Helper()
	if err := f.s.PublishSupply(context.Background(), f.cycleID, 0, 0, []ordering.SupplyLine{{Brand: "A", OnSale: true, SupplyCartons: &cartons}},
		nil, "manual", f.now); err != nil {
		t.Fatal(err)
	}
	return func() (counter, held int) {
		t.Helper()
		err := f.pool.QueryRow(context.Background(), `SELECT sp.granted_cartons,
				(SELECT coalesce(sum(ol.granted_cartons), 0) FROM order_lines ol JOIN orders o ON o.id = ol.order_id
				 WHERE o.cycle_id = sp.cycle_id AND ol.brand_id = sp.brand_id AND o.status NOT IN ('cancelled', 'failed'))
			FROM supply_plans sp JOIN brands b ON b.id = sp.brand_id WHERE sp.cycle_id = $1 AND b.code = 'A'`, f.cycleID).Scan(&counter, &held)
		if err != nil {
			t.Fatal(err)
		}
		return counter, held
	}
}

// A brand's published supply bounds what all the cycle's orders are granted of it, without any
// per-outlet limit; the last outlet is granted what is left, saying why; lowering the supply below
// what is granted is refused; cancelling and failing at cut-off give the supply back.
func TestSupplyCapsTheCycleGrants(t *testing.T) {
	ctx := context.Background()
	f := newOrderFixture(t)
	granted := f.supplyOfA(t, 10)
	outlets := f.newOutlets(t, 4)
	var orders []ordering.Order
	for i, id := range outlets[:3] {
		o, _, err := f.s.PlaceOrder(ctx, id, 0, []ordering.LineRequest{{Brand: "A", Requested: 4}}, ordering.PlaceOptions{}, f.now)
		if err != nil {
			t.Fatal(err)
		}
		want, reason := 4, ordering.LimitReason("")
		if i == 2 {
			want, reason = 2, ordering.BySupply
		}
		if l := line(o, "A"); l.Granted != want || l.Reason != reason {
			t.Errorf("outlet %d: granted %d (%q); want %d (%q)", i, l.Granted, l.Reason, want, reason)
		}
		orders = append(orders, o)
	}
	if c, h := granted(); c != 10 || h != 10 {
		t.Errorf("counter %d, orders hold %d; want 10 and 10", c, h)
	}
	if _, _, err := f.s.PlaceOrder(ctx, outlets[3], 0, []ordering.LineRequest{{Brand: "A", Requested: 1}}, ordering.PlaceOptions{AllOrNothing: true}, f.now); !errors.Is(err, ordering.ErrLimitExceeded) {
		t.Errorf("all-or-nothing with the supply used up = %v; want ErrLimitExceeded", err)
	}
	nine := 9
	if err := f.s.PublishSupply(ctx, f.cycleID, 0, 0, []ordering.SupplyLine{{Brand: "A", OnSale: true, SupplyCartons: &nine}}, nil, "manual", f.now); !errors.Is(err, ordering.ErrConflict) {
		t.Errorf("supply lowered to 9 below the 10 granted = %v; want ErrConflict", err)
	}

	// Cancelling gives back 4: the fourth outlet gets them.
	if _, err := f.s.CancelOrder(ctx, outlets[0], orders[0].ID, 0, f.now); err != nil {
		t.Fatal(err)
	}
	o, _, err := f.s.PlaceOrder(ctx, outlets[3], 0, []ordering.LineRequest{{Brand: "A", Requested: 5}}, ordering.PlaceOptions{}, f.now)
	if l := line(o, "A"); err != nil || l.Granted != 4 || l.Reason != ordering.BySupply {
		t.Errorf("after a cancel: %+v, %v; want 4 granted, cut by supply", l, err)
	}

	// An order failed at cut-off gives back what it held.
	if _, err := f.pool.Exec(ctx, `UPDATE outlets SET balance_cents = 0 WHERE id = $1`, outlets[3]); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.s.CloseWindow(ctx, ordering.WeekStart(f.now), time.Friday, f.now, true); err != nil {
		t.Fatal(err)
	}
	if c, h := granted(); c != 6 || h != 6 {
		t.Errorf("after cut-off failed the 4 cartons' order: counter %d, orders hold %d; want 6 and 6", c, h)
	}
}

// Many outlets ordering the last cartons of a brand's supply at once are never granted more than it,
// and the counter always equals what the live orders hold.
func TestConcurrentOrdersNeverExceedTheSupply(t *testing.T) {
	ctx := context.Background()
	f := newOrderFixture(t)
	const supply, workers = 7, 24
	granted := f.supplyOfA(t, supply)
	outlets := f.newOutlets(t, workers)
	var wg sync.WaitGroup
	errs := make(chan error, workers*4)
	for w, id := range outlets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 11))
			for r := 0; r < 3; r++ {
				o, _, err := f.s.PlaceOrder(ctx, id, 0, []ordering.LineRequest{{Brand: "A", Requested: 1 + rng.IntN(3)}, {Brand: "S", Requested: 1}}, ordering.PlaceOptions{AllOrNothing: rng.IntN(3) == 0}, f.now)
				switch {
				case errors.Is(err, ordering.ErrLimitExceeded):
				case err != nil:
					errs <- err
				case rng.IntN(3) == 0:
					if _, err := f.s.CancelOrder(ctx, id, o.ID, 0, f.now); err != nil {
						errs <- err
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if c, h := granted(); c > supply || c != h {
		t.Errorf("after %d concurrent outlets: counter %d, live orders hold %d; want equal and at most %d", workers, c, h, supply)
	}
}

// An order above the balance the outlet has left is refused naming the amounts, or accepted on credit
// with a warning; the order comes back with the outlet's funds.
func TestPlaceOrderAboveTheBalance(t *testing.T) {
	ctx := context.Background()
	f := newOrderFixture(t)
	poor := f.newOutlets(t, 1)[0]
	if _, err := f.pool.Exec(ctx, `UPDATE outlets SET balance_cents = 1500 WHERE id = $1`, poor); err != nil {
		t.Fatal(err)
	}
	a17 := []ordering.LineRequest{{Brand: "A", Requested: 17}}
	_, _, err := f.s.PlaceOrder(ctx, poor, 0, a17, ordering.PlaceOptions{}, f.now)
	var d interface{ Detail() string }
	if !errors.Is(err, ordering.ErrInsufficientBalance) || !errors.As(err, &d) || d.Detail() != "the order is 170.00, the balance 15.00" {
		t.Fatalf("an order of 170.00 on a balance of 15.00 = %v; want ErrInsufficientBalance naming both", err)
	}
	o, _, err := f.s.PlaceOrder(ctx, poor, 0, []ordering.LineRequest{{Brand: "A", Requested: 1}}, ordering.PlaceOptions{}, f.now)
	if err != nil || o.Funds == nil || *o.Funds != (ordering.Funds{BalanceCents: 1500, OrderedCents: 1000}) {
		t.Fatalf("an order of 10.00 = %+v, %v; want funds of 15.00 with 10.00 ordered", o.Funds, err)
	}
	// Replacing it counts its own 10.00 back.
	o, _, err = f.s.PlaceOrder(ctx, poor, 0, a17, ordering.PlaceOptions{AllowCredit: true}, f.now)
	if err != nil || o.Funds == nil || o.Funds.OrderedCents != 17000 || o.Funds.ShortfallCents() != 15500 || o.Funds.Warning == "" {
		t.Fatalf("on credit = %+v, %v; want accepted with 170.00 ordered, 155.00 short and a warning", o.Funds, err)
	}
	if got, err := f.s.Funds(ctx, poor); err != nil || got.OrderedCents != 17000 || got.BalanceCents != 1500 {
		t.Errorf("Funds = %+v, %v; want 15.00 balance, 170.00 ordered", got, err)
	}
}

// If-Match: a replace or cancel against a stale version is refused with the current version, under
// the outlet's lock, and changes nothing; against the current one it goes through.
func TestIfMatchVersion(t *testing.T) {
	ctx := context.Background()
	f := newOrderFixture(t)
	a := func(n int) []ordering.LineRequest { return []ordering.LineRequest{{Brand: "A", Requested: n}} }
	var stale *ordering.StaleError
	if _, _, err := f.s.PlaceOrder(ctx, f.outlet, 0, a(1), ordering.PlaceOptions{IfVersion: 1}, f.now); !errors.As(err, &stale) || stale.Current != 0 {
		t.Fatalf("If-Match without an order = %v; want a StaleError with no current version", err)
	}
	o, _, err := f.s.PlaceOrder(ctx, f.outlet, 0, a(1), ordering.PlaceOptions{}, f.now)
	if err != nil {
		t.Fatal(err)
	}
	if o, _, err = f.s.PlaceOrder(ctx, f.outlet, 0, a(2), ordering.PlaceOptions{IfVersion: 1}, f.now); err != nil || o.Version != 2 {
		t.Fatalf("replace at the current version = v%d, %v; want v2", o.Version, err)
	}
	if _, _, err := f.s.PlaceOrder(ctx, f.outlet, 0, a(3), ordering.PlaceOptions{IfVersion: 1}, f.now); !errors.As(err, &stale) || stale.Current != 2 {
		t.Fatalf("replace at a stale version = %v; want a StaleError at version 2", err)
	}
	if _, err := f.s.CancelOrder(ctx, f.outlet, o.ID, 1, f.now); !errors.Is(err, ordering.ErrVersionMismatch) {
		t.Fatalf("cancel at a stale version = %v; want ErrVersionMismatch", err)
	}
	if got, err := f.s.Order(ctx, f.outlet, o.ID); err != nil || got.Version != 2 || got.Status != ordering.Submitted || got.Lines[0].Requested != 2 {
		t.Fatalf("after the stale writes: %+v, %v; want version 2, submitted, 2 cartons", got, err)
	}
	if got, err := f.s.CancelOrder(ctx, f.outlet, o.ID, 2, f.now); err != nil || got.Status != ordering.Cancelled {
		t.Errorf("cancel at the current version = %+v, %v; want cancelled", got, err)
	}
}

// A scarce brand is not on sale in a cycle until its supply is published: the catalogue says it
// awaits its supply, an order naming it is refused whole, and once the planner publishes (here the
// fixture cycle's plan and limits, carried forward as the seed does) it is ordered within its limit.
func TestScarceBrandAwaitsItsSupply(t *testing.T) {
	ctx := context.Background()
	f := newOrderFixture(t)
	week := ordering.WeekStart(f.now)
	var windows []ordering.Window
	for d := time.Sunday; d <= time.Saturday; d++ {
		windows = append(windows, ordering.Window{OrderDay: d, OpensAt: f.now.Add(-time.Hour), ClosesAt: f.now.Add(3 * time.Hour)})
	}
	next, err := f.s.EnsureCycle(ctx, week.AddDate(0, 0, 7), windows)
	if err != nil {
		t.Fatal(err)
	}
	at := f.now.Add(90 * time.Minute) // the fixture cycle's windows have closed; the next cycle's are open
	awaiting := func() map[string]bool {
		t.Helper()
		c, _, lines, err := f.s.Catalogue(ctx, f.outlet, at)
		if err != nil || c.ID != next.ID {
			t.Fatalf("Catalogue = cycle %d, %v; want the next cycle %d", c.ID, err, next.ID)
		}
		got := map[string]bool{}
		for _, l := range lines {
			got[l.Brand.Code] = l.AwaitingSupply()
		}
		return got
	}
	if got := awaiting(); !got["S"] || got["A"] {
		t.Errorf("awaiting supply before publishing = %v; want S only", got)
	}
	if n, err := f.s.CountAwaitingSupply(ctx, at); err != nil || n != 1 {
		t.Errorf("CountAwaitingSupply = %d, %v; want 1 (S in the next cycle)", n, err)
	}
	_, _, err = f.s.PlaceOrder(ctx, f.outlet, 0, []ordering.LineRequest{{Brand: "A", Requested: 1}, {Brand: "S", Requested: 2}},
		ordering.PlaceOptions{}, at)
	var le *ordering.LinesError
	if !errors.Is(err, ordering.ErrNotOnSale) || !errors.As(err, &le) || len(le.Lines) != 1 || le.Lines[1] == "" {
		t.Fatalf("ordering S before its supply = %v; want ErrNotOnSale naming lines[1]", err)
	}
	if orders, err := f.s.Orders(ctx, f.outlet, 0, 10); err != nil || len(orders) != 0 {
		t.Fatalf("orders after the refusal = %d, %v; want none", len(orders), err)
	}
	if _, created, err := f.s.PlaceOrder(ctx, f.outlet, 0, []ordering.LineRequest{{Brand: "A", Requested: 1}}, ordering.PlaceOptions{}, at); err != nil || !created {
		t.Fatalf("ordering A meanwhile = %v; want a new order", err)
	}

	plan, limits, err := f.s.PublishedSupply(ctx, week)
	wantLimits := []ordering.OutletLimit{{Outlet: "L1", Brand: "S", Cartons: 5, Explanation: "grade 12"}}
	if err != nil || len(plan) != 1 || plan[0].Brand != "S" || !plan[0].OnSale || !reflect.DeepEqual(limits, wantLimits) {
		t.Fatalf("PublishedSupply = %+v, %+v, %v; want S on sale and L1's limit of 5", plan, limits, err)
	}
	if err := f.s.PublishSupply(ctx, next.ID, 0, 0, plan, limits, "manual", at); err != nil {
		t.Fatal(err)
	}
	if got := awaiting(); got["S"] {
		t.Errorf("awaiting supply after publishing = %v; want none", got)
	}
	if n, err := f.s.CountAwaitingSupply(ctx, at); err != nil || n != 0 {
		t.Errorf("CountAwaitingSupply once published = %d, %v; want 0", n, err)
	}
	o, _, err := f.s.PlaceOrder(ctx, f.outlet, 0, []ordering.LineRequest{{Brand: "A", Requested: 1}, {Brand: "S", Requested: 7}},
		ordering.PlaceOptions{}, at)
	if s := line(o, "S"); err != nil || s.Granted != 5 || s.Reason != ordering.ByLimit {
		t.Fatalf("ordering S once published = %+v, %v; want 5 granted by its limit", s, err)
	}
	if _, _, err := f.s.PublishedSupply(ctx, week.AddDate(0, 0, 70)); !errors.Is(err, ordering.ErrNotFound) {
		t.Errorf("PublishedSupply of a week without a cycle = %v; want ErrNotFound", err)
	}
}

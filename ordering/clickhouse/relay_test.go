package clickhouse_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
	"github.com/ordercast/ordercast/ordering"
	"github.com/ordercast/ordercast/ordering/clickhouse"
	"github.com/ordercast/ordercast/ordering/postgres"
)

// relayFixture is a PostgreSQL store with paid orders to deliver, and a sales history to relay to.
type relayFixture struct {
	pool    *pgxpool.Pool
	orders  *postgres.Store
	history *clickhouse.Store
	conn    driver.Conn
	now     time.Time
	ids     []int64 // paid orders, two lines each
}

func newRelayFixture(t *testing.T, chDSN string, outlets int) *relayFixture {
	t.Helper()
	return newRelayFixtureOn(t, storestest.OpenClickHouse(t, chDSN), outlets)
}

// newRelayFixtureOn is newRelayFixture on the ClickHouse connection conn.
func newRelayFixtureOn(t *testing.T, conn driver.Conn, outlets int) *relayFixture {
	t.Helper()
	ctx := context.Background()
	pool := storestest.Postgres(t)
	f := &relayFixture{pool: pool, orders: postgres.New(pool), now: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)}
	f.conn = conn
	f.history = clickhouse.New(f.conn)
	err := f.orders.LoadCatalogue(ctx, []ordering.Manufacturer{{Code: "M1", Name: "Maker"}}, []ordering.Brand{
		{Code: "A", Name: "Plenty", Manufacturer: "M1", PriceClass: 3, PacksPerCarton: 10, WholesaleCents: 1000, RetailCents: 1200},
		{Code: "B", Name: "Other", Manufacturer: "M1", PriceClass: 2, PacksPerCarton: 10, WholesaleCents: 2000, RetailCents: 2400},
	})
	if err != nil {
		t.Fatal(err)
	}
	var windows []ordering.Window
	for d := time.Sunday; d <= time.Saturday; d++ {
		windows = append(windows, ordering.Window{OrderDay: d, OpensAt: f.now.Add(-time.Hour), ClosesAt: f.now.Add(time.Hour)})
	}
	if _, err := f.orders.EnsureCycle(ctx, ordering.WeekStart(f.now), windows); err != nil {
		t.Fatal(err)
	}
	for i := range outlets {
		var id int64
		if err := pool.QueryRow(ctx, `INSERT INTO outlets (licence_no, name, area, business_format, locality, order_day, grade, balance_cents)
			VALUES ($1, 'shop', 'A1', 'kiosk', 'urban', 5, 12, 1000000) RETURNING id`, fmt.Sprintf("L%03d", i)).Scan(&id); err != nil {
			t.Fatal(err)
		}
		o, _, err := f.orders.PlaceOrder(ctx, id, 0, []ordering.LineRequest{{Brand: "A", Requested: 1 + i%3}, {Brand: "B", Requested: 1}}, ordering.PlaceOptions{}, f.now)
		if err != nil {
			t.Fatal(err)
		}
		f.ids = append(f.ids, o.ID)
	}
	if _, err := f.orders.CloseDueWindows(ctx, f.now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *relayFixture) deliver(t *testing.T, ids []int64) {
	t.Helper()
	for _, id := range ids {
		if _, err := f.orders.Deliver(context.Background(), id, nil, f.now); err != nil {
			t.Fatal(err)
		}
	}
}

// checkSales fails the test unless the history holds exactly two lines of every order of ids and
// nothing else.
func (f *relayFixture) checkSales(t *testing.T, ids []int64) {
	t.Helper()
	got, err := f.history.SalesOfOrders(context.Background(), f.ids)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]int{}
	for _, id := range ids {
		want[id] = 2
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("sales lines per order = %v; want %v (every delivered order's 2 lines, once)", got, want)
	}
	// The same lines in the history ordered by outlet, read as its readers read it (FINAL).
	orders := make([]uint64, len(f.ids))
	for i, id := range f.ids {
		orders[i] = uint64(id)
	}
	rows, err := f.conn.Query(context.Background(), `SELECT order_id, count() FROM sales_by_outlet FINAL
		WHERE dataset = 'live' AND has(?, order_id) GROUP BY order_id`, orders)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	byOutlet := map[int64]int{}
	for rows.Next() {
		var id, n uint64
		if err := rows.Scan(&id, &n); err != nil {
			t.Fatal(err)
		}
		byOutlet[int64(id)] = int(n)
	}
	if fmt.Sprint(byOutlet) != fmt.Sprint(want) {
		t.Errorf("sales_by_outlet lines per order = %v; want %v", byOutlet, want)
	}
}

// relayStats records what a Relay reports.
type relayStats struct {
	backlog, relayed, failures int
}

func (s *relayStats) Backlog(lines int, _ time.Duration) { s.backlog = lines }
func (s *relayStats) Relayed(lines int, _ time.Duration) { s.relayed += lines }
func (s *relayStats) Failed()                            { s.failures++ }

// While ClickHouse is down deliveries go on and the backlog grows; when it is back the backlog drains,
// with no line lost and none doubled.
func TestRelaySurvivesClickHouseRestart(t *testing.T) {
	ctx := context.Background()
	srv := storestest.StartClickHouseServer(t)
	f := newRelayFixture(t, srv.MigratedDSN(), 12)
	stats := &relayStats{}
	relay := &ordering.Relay{Outbox: f.orders, History: f.history, Observer: stats, Batch: 5, Now: func() time.Time { return f.now }}

	f.deliver(t, f.ids[:4])
	if n, err := relay.Drain(ctx); err != nil || n != 8 {
		t.Fatalf("Drain = %d, %v; want the 8 lines of 4 orders", n, err)
	}
	f.checkSales(t, f.ids[:4])

	srv.Stop()
	f.deliver(t, f.ids[4:])
	if _, err := relay.Drain(ctx); err == nil {
		t.Fatal("Drain with ClickHouse stopped succeeded")
	}
	if n, _, err := f.orders.Backlog(ctx); err != nil || n != 16 {
		t.Errorf("backlog with ClickHouse stopped = %d, %v; want 16 lines", n, err)
	}

	srv.Start()
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := relay.Drain(ctx)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Drain after ClickHouse restarted: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if n, _, err := f.orders.Backlog(ctx); err != nil || n != 0 {
		t.Errorf("backlog after the restart = %d, %v; want 0", n, err)
	}
	f.checkSales(t, f.ids)
	if stats.relayed != 24 {
		t.Errorf("observer saw %d lines relayed; want 24", stats.relayed)
	}
}

// crashAfterWrite writes a batch and then fails, as a relay would that died between writing a batch to
// the history and marking it relayed.
type crashAfterWrite struct{ *clickhouse.Store }

var errCrash = errors.New("relay died after the write")

func (c crashAfterWrite) WriteSalesBatch(ctx context.Context, b ordering.OutboxBatch) error {
	if err := c.Store.WriteSalesBatch(ctx, b); err != nil {
		return err
	}
	return errCrash
}

func TestRelayDoesNotDoubleABatchWrittenBeforeACrash(t *testing.T) {
	ctx := context.Background()
	f := newRelayFixture(t, storestest.MigratedClickHouseDSN(t), 3)
	f.deliver(t, f.ids)
	crashing := &ordering.Relay{Outbox: f.orders, History: crashAfterWrite{f.history}, Batch: 4}
	if _, err := crashing.Drain(ctx); !errors.Is(err, errCrash) {
		t.Fatalf("Drain = %v; want the crash", err)
	}
	relay := &ordering.Relay{Outbox: f.orders, History: f.history, Batch: 4}
	if n, err := relay.Drain(ctx); err != nil || n != 6 {
		t.Fatalf("Drain after the crash = %d, %v; want all 6 lines relayed", n, err)
	}
	f.checkSales(t, f.ids)
}

// Only one relay works at a time.
func TestRelayLease(t *testing.T) {
	ctx := context.Background()
	f := newRelayFixture(t, storestest.MigratedClickHouseDSN(t), 1)
	release, ok, err := f.orders.LeaseRelay(ctx)
	if err != nil || !ok {
		t.Fatalf("first lease = %v, %v", ok, err)
	}
	relay := &ordering.Relay{Outbox: f.orders, History: f.history}
	if _, err := relay.Drain(ctx); !errors.Is(err, ordering.ErrRelayBusy) {
		t.Errorf("Drain while another relay holds the lease = %v; want ErrRelayBusy", err)
	}
	release()
	if _, err := relay.Drain(ctx); err != nil {
		t.Errorf("Drain after the lease was released = %v", err)
	}
}

// An instance that does not hold the lease still reports the backlog as it is, not as it was when it
// last relayed: after another relay drains the outbox, its observation falls to 0.
func TestRelayObservesTheBacklogWithoutTheLease(t *testing.T) {
	ctx := context.Background()
	f := newRelayFixture(t, storestest.MigratedClickHouseDSN(t), 2)
	f.deliver(t, f.ids)
	stats := &relayStats{}
	idle := &ordering.Relay{Outbox: f.orders, History: f.history, Observer: stats, Now: func() time.Time { return f.now }}
	idle.ObserveBacklog(ctx)
	if stats.backlog != 4 {
		t.Fatalf("backlog before the drain = %d; want the 4 lines of 2 orders", stats.backlog)
	}
	release, ok, err := f.orders.LeaseRelay(ctx)
	if err != nil || !ok {
		t.Fatalf("lease = %v, %v", ok, err)
	}
	if err := idle.Pass(ctx, f.now); err != nil { // busy: another holds the lease
		t.Fatalf("Pass while another relay holds the lease = %v; want no error", err)
	}
	if stats.relayed != 0 || stats.backlog != 4 {
		t.Fatalf("the idle relay relayed %d lines, reports %d waiting; want 0 relayed and 4 waiting", stats.relayed, stats.backlog)
	}
	release()
	holder := &ordering.Relay{Outbox: f.orders, History: f.history}
	if n, err := holder.Drain(ctx); err != nil || n != 4 {
		t.Fatalf("Drain = %d, %v; want 4 lines", n, err)
	}
	idle.ObserveBacklog(ctx)
	if stats.backlog != 0 {
		t.Errorf("backlog after another relay drained = %d; want 0", stats.backlog)
	}
}

package postgres_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ordercast/ordercast/ordering"
)

// addOutlet adds an active outlet ordering on Fridays, like the fixture's, with the given balance.
func (f orderFixture) addOutlet(t *testing.T, licence string, balanceCents int64) int64 {
	t.Helper()
	var id int64
	if err := f.pool.QueryRow(context.Background(), `INSERT INTO outlets (licence_no, name, area, business_format, locality,
			order_day, grade, status, balance_cents) VALUES ($1, 'shop', 'A1', 'kiosk', 'urban', 5, 12, 'active', $2) RETURNING id`,
		licence, balanceCents).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func (f orderFixture) balance(t *testing.T, outlet int64) (balance, ledger int64) {
	t.Helper()
	err := f.pool.QueryRow(context.Background(), `SELECT balance_cents,
		(SELECT coalesce(sum(amount_cents), 0) FROM balance_entries WHERE outlet_id = $1) FROM outlets WHERE id = $1`, outlet).
		Scan(&balance, &ledger)
	if err != nil {
		t.Fatal(err)
	}
	return balance, ledger
}

func (f orderFixture) place(t *testing.T, outlet int64, lines ...ordering.LineRequest) ordering.Order {
	t.Helper()
	o, _, err := f.s.PlaceOrder(context.Background(), outlet, 0, lines, ordering.PlaceOptions{}, f.now)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestCutoffPaysWhatTheBalanceCoversAndFailsTheRest(t *testing.T) {
	ctx := context.Background()
	f := newOrderFixture(t)
	poor := f.addOutlet(t, "L3", 1500)
	rich := f.place(t, f.outlet, ordering.LineRequest{Brand: "S", Requested: 3}, ordering.LineRequest{Brand: "A", Requested: 2}) // 17000
	// 2000 > 1500: accepted only on credit.
	short, _, err := f.s.PlaceOrder(ctx, poor, 0, []ordering.LineRequest{{Brand: "A", Requested: 2}}, ordering.PlaceOptions{AllowCredit: true}, f.now)
	if err != nil {
		t.Fatal(err)
	}

	if reports, err := f.s.CloseDueWindows(ctx, f.now); err != nil || len(reports) != 0 {
		t.Fatalf("CloseDueWindows before the close = %+v, %v; want nothing closed", reports, err)
	}
	closesAt := f.now.Add(time.Hour)
	reports, err := f.s.CloseDueWindows(ctx, closesAt)
	if err != nil {
		t.Fatal(err)
	}
	var friday ordering.CutoffReport
	for _, r := range reports {
		if r.OrderDay == time.Friday {
			friday = r
		} else if r.Paid+r.Failed != 0 {
			t.Errorf("window %s settled %d orders; want none", r.OrderDay, r.Paid+r.Failed)
		}
	}
	if len(reports) != 7 || friday.Paid != 1 || friday.Failed != 1 || friday.PaidCents != 17000 || !friday.ClosesAt.Equal(closesAt) {
		t.Fatalf("cut-off = %+v; want 7 windows closed, Friday's with 1 paid (17000 cents) and 1 failed", reports)
	}

	o, err := f.s.Order(ctx, f.outlet, rich.ID)
	if err != nil || o.Status != ordering.Paid {
		t.Errorf("the covered order = %+v, %v; want paid", o, err)
	}
	if balance, ledger := f.balance(t, f.outlet); balance != 100000-17000 || ledger != -17000 {
		t.Errorf("balance %d, ledger %d after paying 17000 of 100000; want 83000 and -17000", balance, ledger)
	}
	o, err = f.s.Order(ctx, poor, short.ID)
	if err != nil || o.Status != ordering.Failed || !strings.Contains(o.Reason, "insufficient balance") ||
		!strings.Contains(o.Reason, "20.00") || !strings.Contains(o.Reason, "15.00") {
		t.Errorf("the uncovered order = %+v, %v; want failed for an insufficient balance naming 20.00 and 15.00", o, err)
	}
	if balance, ledger := f.balance(t, poor); balance != 1500 || ledger != 0 {
		t.Errorf("balance %d, ledger %d of the failed outlet; want 1500 untouched", balance, ledger)
	}
	if used, granted := f.used(t); used != 3 || granted != 3 {
		t.Errorf("limit used %d, held by paid order %d; want 3 and 3", used, granted)
	}
	var status string
	f.pool.QueryRow(ctx, `SELECT status FROM cycles WHERE id = $1`, f.cycleID).Scan(&status) //nolint:errcheck
	if status != "closed" {
		t.Errorf("cycle status after every window closed = %q; want closed", status)
	}

	// Cut off once: a second pass finds nothing, and the window stays shut even at a time it was open.
	if reports, err := f.s.CloseDueWindows(ctx, closesAt.Add(time.Minute)); err != nil || len(reports) != 0 {
		t.Errorf("second cut-off = %+v, %v; want nothing", reports, err)
	}
	if _, _, err := f.s.PlaceOrder(ctx, f.outlet, 0, []ordering.LineRequest{{Brand: "A", Requested: 1}}, ordering.PlaceOptions{}, f.now); !errors.Is(err, ordering.ErrWindowClosed) {
		t.Errorf("ordering in a cut-off window = %v; want ErrWindowClosed", err)
	}
}

// An order placed at the last moment is cut off whole or refused: never left submitted, never paid
// for lines it does not hold.
func TestCutoffRacingOrders(t *testing.T) {
	ctx := context.Background()
	f := newOrderFixture(t)
	outlets := []int64{f.outlet}
	for _, l := range []string{"L4", "L5", "L6", "L7", "L8", "L9"} {
		outlets = append(outlets, f.addOutlet(t, l, 1_000_000))
	}
	// Every outlet has an order before the race, so that the cut-off has something to settle however
	// the race goes; the racers then edit them.
	for _, id := range outlets {
		f.place(t, id, ordering.LineRequest{Brand: "A", Requested: 1})
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(outlets)*10)
	for _, id := range outlets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 1; i <= 10; i++ {
				_, _, err := f.s.PlaceOrder(ctx, id, 0, []ordering.LineRequest{{Brand: "A", Requested: i}}, ordering.PlaceOptions{}, f.now)
				if errors.Is(err, ordering.ErrWindowClosed) {
					return
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	time.Sleep(5 * time.Millisecond)
	if _, closed, err := f.s.CloseWindow(ctx, ordering.WeekStart(f.now), time.Friday, f.now, true); err != nil || !closed {
		t.Fatalf("early cut-off = %v, %v", closed, err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var submitted, paid, mismatched int
	err := f.pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE status = 'submitted'), count(*) FILTER (WHERE status = 'paid'),
			count(*) FILTER (WHERE status = 'paid' AND total_cents <> (SELECT coalesce(sum(granted_cartons * price_cents), 0)
				FROM order_lines WHERE order_id = orders.id)
				OR status = 'paid' AND total_cents <> -(SELECT sum(amount_cents) FROM balance_entries WHERE order_id = orders.id))
		FROM orders WHERE cycle_id = $1`, f.cycleID).Scan(&submitted, &paid, &mismatched)
	if err != nil {
		t.Fatal(err)
	}
	if submitted != 0 || mismatched != 0 || paid != len(outlets) {
		t.Errorf("after the cut-off: %d submitted, %d paid of which %d charged other than their lines; want 0 submitted, "+
			"all %d paid, 0 mismatched", submitted, paid, mismatched, len(outlets))
	}
}

func TestDeliver(t *testing.T) {
	ctx := context.Background()
	f := newOrderFixture(t)
	o := f.place(t, f.outlet, ordering.LineRequest{Brand: "S", Requested: 7}, ordering.LineRequest{Brand: "A", Requested: 2})
	if _, err := f.s.Deliver(ctx, o.ID, nil, f.now); !errors.Is(err, ordering.ErrConflict) {
		t.Errorf("delivering a submitted order = %v; want ErrConflict", err)
	}
	if _, err := f.s.CloseDueWindows(ctx, f.now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	balance, _ := f.balance(t, f.outlet) // 100000 - (5*5000 + 2*1000)

	for _, tt := range []struct {
		lines []ordering.DeliveryLine
		field string
	}{
		{[]ordering.DeliveryLine{{Brand: "NOPE", Delivered: 1}}, "lines[0].brand"},
		{[]ordering.DeliveryLine{{Brand: "S", Delivered: 6}}, "lines[0].delivered"},
		{[]ordering.DeliveryLine{{Brand: "A", Delivered: -1}}, "lines[0].delivered"},
		{[]ordering.DeliveryLine{{Brand: "A", Delivered: 1}, {Brand: "A", Delivered: 1}}, "lines[1].brand"},
	} {
		var invalid *ordering.ValidationError
		if _, err := f.s.Deliver(ctx, o.ID, tt.lines, f.now); !errors.As(err, &invalid) || invalid.Fields[tt.field] == "" {
			t.Errorf("Deliver(%+v) = %v; want a validation error on %s", tt.lines, err, tt.field)
		}
	}
	if _, err := f.s.Deliver(ctx, 999999, nil, f.now); !errors.Is(err, ordering.ErrNotFound) {
		t.Errorf("delivering an unknown order = %v; want ErrNotFound", err)
	}

	// S arrives 4 of the 5 granted: one carton (5000) is refunded; A arrives as granted.
	d, err := f.s.Deliver(ctx, o.ID, []ordering.DeliveryLine{{Brand: "S", Delivered: 4}}, f.now)
	if err != nil || d.Status != ordering.Delivered {
		t.Fatalf("Deliver = %+v, %v; want delivered", d, err)
	}
	if got, ledger := f.balance(t, f.outlet); got != balance+5000 || ledger != got-100000 {
		t.Errorf("balance after a one-carton short delivery = %d (ledger %d); want %d, the ledger matching", got, ledger, balance+5000)
	}
	if _, err := f.s.Deliver(ctx, o.ID, nil, f.now); !errors.Is(err, ordering.ErrConflict) {
		t.Errorf("delivering twice = %v; want ErrConflict", err)
	}

	b, ok, err := f.s.NextBatch(ctx, 100)
	if err != nil || !ok || len(b.Lines) != 2 {
		t.Fatalf("outbox after the delivery = %+v, %v, %v; want one batch of 2 lines", b, ok, err)
	}
	want := map[string]ordering.SalesLine{
		"A": {OrderID: o.ID, Outlet: "L1", Brand: "A", Requested: 2, Granted: 2, Delivered: 2},
		"S": {OrderID: o.ID, Outlet: "L1", Brand: "S", Requested: 7, Granted: 5, Delivered: 4, Limited: true},
	}
	friday := ordering.WeekStart(f.now).AddDate(0, 0, 4)
	for _, l := range b.Lines {
		w := want[l.Brand]
		if l.OrderID != w.OrderID || l.Outlet != w.Outlet || l.Requested != w.Requested || l.Granted != w.Granted ||
			l.Delivered != w.Delivered || l.Limited != w.Limited || !l.Day.Equal(friday) {
			t.Errorf("sales line %+v; want %+v on %s", l, w, friday.Format(time.DateOnly))
		}
		if l.Brand == "S" && (l.Limit == nil || *l.Limit != 5) {
			t.Errorf("sales line of S has limit %v; want 5", l.Limit)
		}
	}
}

func TestDeliverCycle(t *testing.T) {
	ctx := context.Background()
	f := newOrderFixture(t)
	other := f.addOutlet(t, "L3", 1_000_000)
	f.place(t, f.outlet, ordering.LineRequest{Brand: "A", Requested: 2})
	f.place(t, other, ordering.LineRequest{Brand: "A", Requested: 1}, ordering.LineRequest{Brand: "S", Requested: 1})
	if _, err := f.s.CloseDueWindows(ctx, f.now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	orders, lines, err := f.s.DeliverCycle(ctx, ordering.WeekStart(f.now), -1, f.now)
	if err != nil || orders != 2 || lines != 3 {
		t.Fatalf("DeliverCycle = %d orders, %d lines, %v; want 2 and 3", orders, lines, err)
	}
	if orders, _, err := f.s.DeliverCycle(ctx, ordering.WeekStart(f.now), -1, f.now); err != nil || orders != 0 {
		t.Errorf("second DeliverCycle = %d orders, %v; want 0", orders, err)
	}
	if n, _, err := f.s.Backlog(ctx); err != nil || n != 3 {
		t.Errorf("backlog = %d, %v; want 3 lines", n, err)
	}
}

// A batch keeps its id and its lines until it is marked relayed; lines written meanwhile go to the
// next batch.
func TestOutboxBatches(t *testing.T) {
	ctx := context.Background()
	f := newOrderFixture(t)
	var ids []int64
	for _, l := range []string{"L3", "L4", "L5"} {
		ids = append(ids, f.addOutlet(t, l, 1_000_000))
	}
	for _, id := range ids {
		f.place(t, id, ordering.LineRequest{Brand: "A", Requested: 1})
	}
	if _, err := f.s.CloseDueWindows(ctx, f.now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	deliver := func(id int64) {
		o, err := f.s.Orders(ctx, id, 0, 1)
		if err != nil || len(o) != 1 {
			t.Fatalf("orders of %d = %v, %v", id, o, err)
		}
		if _, err := f.s.Deliver(ctx, o[0].ID, nil, f.now); err != nil {
			t.Fatal(err)
		}
	}
	deliver(ids[0])
	deliver(ids[1])
	first, ok, err := f.s.NextBatch(ctx, 10)
	if err != nil || !ok || len(first.Lines) != 2 {
		t.Fatalf("first batch = %+v, %v, %v", first, ok, err)
	}
	deliver(ids[2])
	again, _, err := f.s.NextBatch(ctx, 10)
	if err != nil || again.ID != first.ID || len(again.Lines) != 2 {
		t.Fatalf("batch before it is marked = %s with %d lines, %v; want %s again with 2", again.ID, len(again.Lines), err, first.ID)
	}
	if err := f.s.MarkRelayed(ctx, first.ID, f.now); err != nil {
		t.Fatal(err)
	}
	second, ok, err := f.s.NextBatch(ctx, 10)
	if err != nil || !ok || second.ID == first.ID || len(second.Lines) != 1 {
		t.Fatalf("batch after marking = %+v, %v, %v; want a new batch of the third line", second, ok, err)
	}
	if n, oldest, err := f.s.Backlog(ctx); err != nil || n != 1 || oldest.IsZero() {
		t.Errorf("backlog = %d since %v, %v; want 1", n, oldest, err)
	}
	if err := f.s.MarkRelayed(ctx, second.ID, f.now); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := f.s.NextBatch(ctx, 10); err != nil || ok {
		t.Errorf("NextBatch on an empty outbox = %v, %v; want none", ok, err)
	}
	if n, err := f.s.DeleteRelayed(ctx, f.now.Add(time.Second)); err != nil || n != 3 {
		t.Errorf("DeleteRelayed = %d, %v; want 3", n, err)
	}
}

package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ordercast/ordercast/ordering"
)

func TestDeliveryRound(t *testing.T) {
	ctx := context.Background()
	f := newOrderFixture(t)
	if _, err := f.pool.Exec(ctx, `UPDATE outlets SET route = 'R2', address = '1 Long St' WHERE licence_no = 'L1'`); err != nil {
		t.Fatal(err)
	}
	other := f.addOutlet(t, "L3", 100000)
	if _, err := f.pool.Exec(ctx, `UPDATE outlets SET route = 'R1' WHERE id = $1`, other); err != nil {
		t.Fatal(err)
	}
	o := f.place(t, f.outlet, ordering.LineRequest{Brand: "S", Requested: 4}, ordering.LineRequest{Brand: "A", Requested: 2})
	f.place(t, other, ordering.LineRequest{Brand: "A", Requested: 3})
	if _, err := f.s.CloseDueWindows(ctx, f.now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	friday := ordering.WeekStart(f.now).AddDate(0, 0, 4)
	pl, err := f.s.PickList(ctx, friday)
	if err != nil {
		t.Fatal(err)
	}
	if len(pl.Routes) != 2 || pl.Routes[0].Route != "R1" || pl.Routes[1].Stops[0].Address != "1 Long St" ||
		len(pl.Routes[1].Stops[0].Lines) != 2 || len(pl.Totals) != 2 || pl.Totals[0] != (ordering.PickLine{Brand: "A", Name: "Plenty", Cartons: 5}) {
		t.Errorf("pick list of %s = %+v; want R1 then R2, 5 cartons of A in all", friday.Format(time.DateOnly), pl)
	}
	if pl, err := f.s.PickList(ctx, friday.AddDate(0, 0, 1)); err != nil || len(pl.Routes) != 0 {
		t.Errorf("pick list of the next day = %+v, %v; want no stop", pl, err)
	}

	if _, err := f.s.Return(ctx, o.ID, []ordering.ReturnLine{{Brand: "S", Cartons: 1, Reason: "crushed"}}, 0, f.now); !errors.Is(err, ordering.ErrConflict) {
		t.Errorf("a return before delivery = %v; want ErrConflict", err)
	}
	if _, err := f.s.Receipt(ctx, f.outlet, o.ID, nil, "", f.now); !errors.Is(err, ordering.ErrConflict) {
		t.Errorf("a receipt before delivery = %v; want ErrConflict", err)
	}
	if len(pl.Delivered) != 0 {
		t.Errorf("delivered before any delivery = %+v; want none", pl.Delivered)
	}
	if _, err := f.s.Deliver(ctx, o.ID, nil, f.now); err != nil {
		t.Fatal(err)
	}
	pl, err = f.s.PickList(ctx, friday)
	if err != nil {
		t.Fatal(err)
	}
	if len(pl.Routes) != 1 || pl.Routes[0].Route != "R1" || len(pl.Delivered) != 1 || pl.Delivered[0] != (ordering.RouteDelivered{Route: "R2", Orders: 1}) {
		t.Errorf("pick list after R2's delivery = %+v; want R1's stop left, R2's order delivered", pl)
	}
	if pl, err := f.s.PickList(ctx, friday.AddDate(0, 0, 1)); err != nil || len(pl.Delivered) != 0 {
		t.Errorf("pick list of the next day = %+v, %v; want nothing delivered (the order was Friday's)", pl, err)
	}
	stockBefore, _ := f.stock(t, "S")
	balanceBefore, _ := f.balance(t, f.outlet)
	var invalid *ordering.ValidationError
	if _, err := f.s.Return(ctx, o.ID, []ordering.ReturnLine{{Brand: "S", Cartons: 5, Reason: "crushed"}}, 0, f.now); !errors.As(err, &invalid) || invalid.Fields["lines[0].cartons"] == "" {
		t.Errorf("returning more than delivered = %v; want a validation error on lines[0].cartons", err)
	}
	res, err := f.s.Return(ctx, o.ID, []ordering.ReturnLine{{Brand: "S", Cartons: 2, Reason: "crushed"}}, 0, f.now)
	if err != nil || res.RefundCents != 10000 {
		t.Fatalf("Return = %+v, %v; want 2 × 5000 refunded", res, err)
	}
	if got, ledger := f.balance(t, f.outlet); got != balanceBefore+10000 || ledger != got-100000 {
		t.Errorf("balance after the return = %d (ledger %d); want %d", got, ledger, balanceBefore+10000)
	}
	if cur, sum := f.stock(t, "S"); cur != stockBefore+2 || sum != cur {
		t.Errorf("stock of S after the return = %d (Σ %d); want %d", cur, sum, stockBefore+2)
	}
	if _, err := f.s.Return(ctx, o.ID, []ordering.ReturnLine{{Brand: "S", Cartons: 3, Reason: "crushed"}}, 0, f.now); !errors.As(err, &invalid) {
		t.Errorf("returning more than is left = %v; want a validation error", err)
	}

	if _, err := f.s.Receipt(ctx, other, o.ID, nil, "", f.now); !errors.Is(err, ordering.ErrNotFound) {
		t.Errorf("another outlet's receipt = %v; want ErrNotFound", err)
	}
	state, err := f.s.Receipt(ctx, f.outlet, o.ID, []ordering.ReceivedLine{{Brand: "A", Received: 1}}, "one carton missing", f.now)
	if err != nil || state != ordering.ReceiptShort {
		t.Errorf("Receipt with A short = %q, %v; want short", state, err)
	}
	var receivedA, receivedS int
	if err := f.pool.QueryRow(ctx, `SELECT (SELECT received_cartons FROM order_lines l JOIN brands b ON b.id = l.brand_id WHERE l.order_id = $1 AND b.code = 'A'),
		(SELECT received_cartons FROM order_lines l JOIN brands b ON b.id = l.brand_id WHERE l.order_id = $1 AND b.code = 'S')`, o.ID).Scan(&receivedA, &receivedS); err != nil {
		t.Fatal(err)
	}
	if receivedA != 1 || receivedS != 4 {
		t.Errorf("received A %d, S %d; want 1 and the 4 delivered", receivedA, receivedS)
	}
	if _, err := f.s.Receipt(ctx, f.outlet, o.ID, nil, "", f.now); !errors.Is(err, ordering.ErrConflict) {
		t.Errorf("a second receipt = %v; want ErrConflict", err)
	}
}

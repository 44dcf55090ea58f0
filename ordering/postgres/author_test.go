package postgres_test

import (
	"context"
	"testing"

	"github.com/ordercast/ordercast/ordering"
)

// An order records who placed its current lines and in what role: the retailer places it, its account
// manager replaces the lines when the retailer phones in, and every read names the manager from then on,
// while created_by stays the retailer.
func TestOrderAuthor(t *testing.T) {
	ctx := context.Background()
	f := newOrderFixture(t)
	var retailerID, managerID, amID int64
	if err := f.pool.QueryRow(ctx, `INSERT INTO account_managers (code, name) VALUES ('AM1', 'Wang') RETURNING id`).Scan(&amID); err != nil {
		t.Fatal(err)
	}
	if err := f.pool.QueryRow(ctx, `INSERT INTO users (username, password_hash, role, outlet_id) VALUES ('r1', 'x', 'retailer', $1)
		RETURNING id`, f.outlet).Scan(&retailerID); err != nil {
		t.Fatal(err)
	}
	if err := f.pool.QueryRow(ctx, `INSERT INTO users (username, password_hash, role, manager_id) VALUES ('m1', 'x', 'manager', $1)
		RETURNING id`, amID).Scan(&managerID); err != nil {
		t.Fatal(err)
	}

	placed, _, err := f.s.PlaceOrder(ctx, f.outlet, retailerID, []ordering.LineRequest{{Brand: "A", Requested: 1}}, ordering.PlaceOptions{}, f.now)
	if err != nil {
		t.Fatal(err)
	}
	want := ordering.Author{UserID: retailerID, Username: "r1", Role: "retailer"}
	if placed.PlacedBy == nil || *placed.PlacedBy != want {
		t.Errorf("placed by %+v; want %+v", placed.PlacedBy, want)
	}
	replaced, created, err := f.s.PlaceOrder(ctx, f.outlet, managerID, []ordering.LineRequest{{Brand: "A", Requested: 4}}, ordering.PlaceOptions{}, f.now)
	if err != nil || created {
		t.Fatalf("replace as the manager = %v, created %v; want the order replaced", err, created)
	}
	want = ordering.Author{UserID: managerID, Username: "m1", Role: "manager"}
	if replaced.PlacedBy == nil || *replaced.PlacedBy != want {
		t.Errorf("replaced by %+v; want %+v", replaced.PlacedBy, want)
	}
	read, err := f.s.Order(ctx, f.outlet, placed.ID)
	if err != nil {
		t.Fatal(err)
	}
	if read.PlacedBy == nil || *read.PlacedBy != want || read.Lines[0].Requested != 4 {
		t.Errorf("read %+v placed by %+v; want 4 A placed by %+v", read.Lines, read.PlacedBy, want)
	}
	var createdBy int64
	if err := f.pool.QueryRow(ctx, `SELECT created_by FROM orders WHERE id = $1`, placed.ID).Scan(&createdBy); err != nil {
		t.Fatal(err)
	}
	if createdBy != retailerID {
		t.Errorf("created_by %d; want the retailer, %d", createdBy, retailerID)
	}
	// An order placed without a user (the seed, a command) has no author.
	if err := f.pool.QueryRow(ctx, `UPDATE orders SET placed_by = NULL, placed_by_role = NULL WHERE id = $1 RETURNING id`, placed.ID).Scan(&placed.ID); err != nil {
		t.Fatal(err)
	}
	if read, err = f.s.Order(ctx, f.outlet, placed.ID); err != nil || read.PlacedBy != nil {
		t.Errorf("order without an author read as placed by %+v, %v; want none", read.PlacedBy, err)
	}
}

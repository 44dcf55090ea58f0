package postgres_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ordercast/ordercast/ordering"
)

// order_lines' references to its order and its brand are checked once per statement (migration 0016)
// and hold what the foreign keys held.
func TestOrderLinesReferences(t *testing.T) {
	ctx := context.Background()
	f := newOrderFixture(t)
	o, _, err := f.s.PlaceOrder(ctx, f.outlet, 0, []ordering.LineRequest{{Brand: "A", Requested: 2}, {Brand: "S", Requested: 1}},
		ordering.PlaceOptions{}, f.now)
	if err != nil {
		t.Fatal(err)
	}
	brandA := line(o, "A").BrandID
	var unused int64 // a brand no line names
	if err := f.pool.QueryRow(ctx, `INSERT INTO brands (code, name, manufacturer_id, price_class, wholesale_price_cents, retail_price_cents)
		SELECT 'U', 'Unused', manufacturer_id, 1, 100, 120 FROM brands WHERE id = $1 RETURNING id`, brandA).Scan(&unused); err != nil {
		t.Fatal(err)
	}
	violates := func(t *testing.T, err error, constraint string) {
		t.Helper()
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "23503" || pgErr.ConstraintName != constraint {
			t.Fatalf("error %v; want 23503 on %s", err, constraint)
		}
	}
	exec := func(sql string, args ...any) error {
		_, err := f.pool.Exec(ctx, sql, args...)
		return err
	}
	const insertLine = `INSERT INTO order_lines (order_id, brand_id, requested_cartons, granted_cartons, price_cents)
		VALUES ($1, $2, 1, 1, 100)`

	t.Run("a line names an order and a brand that exist", func(t *testing.T) {
		violates(t, exec(insertLine, o.ID, int64(1e9)), "order_lines_brand_id_fkey")
		violates(t, exec(insertLine, int64(1e9), unused), "order_lines_order_id_fkey")
		violates(t, exec(`INSERT INTO order_lines (order_id, brand_id, requested_cartons, granted_cartons, price_cents)
			SELECT $1, b, 1, 1, 100 FROM unnest($2::bigint[]) AS b`, o.ID, []int64{unused, 1e9}), "order_lines_brand_id_fkey")
		violates(t, exec(`UPDATE order_lines SET brand_id = $2 WHERE order_id = $1 AND brand_id = $3`, o.ID, int64(1e9), brandA),
			"order_lines_brand_id_fkey")
		violates(t, exec(`UPDATE order_lines SET order_id = $2 WHERE order_id = $1`, o.ID, int64(1e9)), "order_lines_order_id_fkey")
		// Updates keeping the references, and moves to ones that exist, stand.
		if err := exec(`UPDATE order_lines SET granted_cartons = 1 WHERE order_id = $1`, o.ID); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("a brand lines name stays", func(t *testing.T) {
		// The brand no other table names, named by a line for the while.
		move := `UPDATE order_lines SET brand_id = $2 WHERE order_id = $1 AND brand_id = $3`
		if err := exec(move, o.ID, unused, brandA); err != nil {
			t.Fatal(err)
		}
		violates(t, exec(`DELETE FROM brands WHERE id = $1`, unused), "order_lines_brand_id_fkey")
		violates(t, exec(`UPDATE brands SET id = $2 WHERE id = $1`, unused, int64(1e9)), "order_lines_brand_id_fkey")
		violates(t, exec(`UPDATE orders SET id = $2 WHERE id = $1`, o.ID, int64(1e9)), "order_lines_order_id_fkey")
		if err := exec(move, o.ID, brandA, unused); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("a line being written keeps its brand until it commits", func(t *testing.T) {
		tx, err := f.pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx) //nolint:errcheck // committed below
		if _, err := tx.Exec(ctx, insertLine, o.ID, unused); err != nil {
			t.Fatal(err)
		}
		deleted := make(chan error, 1)
		go func() { deleted <- exec(`DELETE FROM brands WHERE id = $1`, unused) }()
		f.waitForLock(t, "tuple", "transactionid")
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		violates(t, <-deleted, "order_lines_brand_id_fkey")
	})

	t.Run("an order's lines go with it", func(t *testing.T) {
		if err := exec(`DELETE FROM idempotency_keys`); err != nil {
			t.Fatal(err)
		}
		if err := exec(`DELETE FROM orders WHERE id = $1`, o.ID); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := f.pool.QueryRow(ctx, `SELECT count(*) FROM order_lines WHERE order_id = $1`, o.ID).Scan(&n); err != nil || n != 0 {
			t.Fatalf("%d lines of the deleted order left (%v)", n, err)
		}
	})

	t.Run("truncating the catalogue truncates the lines", func(t *testing.T) {
		o2, _, err := f.s.PlaceOrder(ctx, f.outlet, 0, []ordering.LineRequest{{Brand: "A", Requested: 1}}, ordering.PlaceOptions{}, f.now)
		if err != nil || len(o2.Lines) != 1 {
			t.Fatalf("order = %+v, %v", o2, err)
		}
		if err := f.s.DeleteCatalogue(ctx); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := f.pool.QueryRow(ctx, `SELECT count(*) FROM order_lines`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("%d lines left (%v)", n, err)
		}
	})
}
